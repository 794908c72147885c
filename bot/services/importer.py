"""Importing price files (the project's columns or WFP/HDX food prices), all or nothing.

Pass 1 reads every row and judges it, keeping the rows as they will be stored in a temporary
file (a chunk in memory at a time); nothing is written to the database unless every row is
valid. Pass 2 writes those rows to temporary tables of the importing connection, which nobody
else waits for (on PostgreSQL with COPY); then one statement copies the new ones into the
figures and one commit makes them visible together. On SQLite the database's single write lock
is held only for that statement (about a second for a 20 MB file), not for the whole pass:
writing the figures directly held it while every row was parsed, and a user's first message,
which records the user, waited the whole busy timeout (10 s) for it and failed.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    bindparam,
    case,
    exists,
    func,
    insert,
    null,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable, DropTable

from bot.services.catalogue import Catalogue
from bot.services.csvfile import (
    FileError,
    read_records,
)
from bot.services.importrows import (
    DATES_COLUMNS,
    PROVENANCE_COLUMNS,
    TERMS_COLUMNS,
    Dates,
    Names,
    Numbered,
    Provenance,
    RowError,
    RowInvalid,
    RowNames,
    RowParser,
    Terms,
    natural_key,
    read_header,
)
from db.models import AuditLog, PriceObservation, table_of

logger = logging.getLogger(__name__)

MAX_LISTED = 200
CHECK_PROGRESS_EVERY = 10_000
# Seconds of reading between two moments the GIL is offered to other threads (those answering
# questions): parsing is pure Python, which otherwise keeps it for a whole switch interval (5 ms)
# each time an answer lets go of it to wait on the database. The clock is read every
# CLOCK_EVERY rows (a power of two), so the offers keep their pace however cheap a row gets.
YIELD_SECONDS = 0.001
CLOCK_EVERY = 64
# Rows per chunk of the temporary file between the passes (each chunk one marshal record).
SPOOL_ROWS = 512
PRICES: Table = table_of(PriceObservation)
AUDIT: Table = table_of(AuditLog)
# What pass 2 stages, in file order (`seq`): per row what is its own, and the numbers of its
# dates, terms and provenance, each staged once in a table of its own (importrows.Numbered).
# Their own metadata: they are no part of the schema, and live only in the connection of one
# import.
_ROW = (
    "commodity_id", "market_id", "price_low", "price_high", "source_url", "note", "natural_key",
    "usd_price",
)  # fmt: skip
_REFS = ("dates_ref", "terms_ref", "provenance_ref")
_STAGED = MetaData()
STAGING: Table = Table(
    "import_staging",
    _STAGED,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    *(Column(name, PRICES.c[name].type) for name in _ROW),
    *(Column(name, Integer, nullable=False) for name in _REFS),
    prefixes=["TEMPORARY"],
)


def _numbered_table(name: str, columns: Sequence[str]) -> Table:
    return Table(
        name,
        _STAGED,
        Column("ref", Integer, primary_key=True, autoincrement=False),
        *(
            Column(c, Boolean(create_constraint=False) if c == "per_base" else PRICES.c[c].type)
            for c in columns
        ),
        prefixes=["TEMPORARY"],
    )


STAGED_DATES = _numbered_table("import_staged_dates", DATES_COLUMNS)
STAGED_TERMS = _numbered_table("import_staged_terms", TERMS_COLUMNS)
STAGED_PROVENANCE = _numbered_table("import_staged_provenance", PROVENANCE_COLUMNS)
# Entries a RowNames promised under provisional ids, and the ids they were created with.
ID_MAP: Table = Table(
    "import_id_map",
    _STAGED,
    Column("provisional", Integer, primary_key=True, autoincrement=False),
    Column("id", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)
_NUMBERED: dict[type[Numbered], Table] = {
    Dates: STAGED_DATES,
    Terms: STAGED_TERMS,
    Provenance: STAGED_PROVENANCE,
}
# The columns the same for every row of an import, bound once when the rows are published.
_CONSTANT = ("entered_by", "created_at")
# SQLite pages kept in memory while the figures' indexes take the new rows (KiB; the default is
# 2 MB): with too few, pages are written out and read back, and the write lock is held longer.
PUBLISH_CACHE_KIB = 65_536

Progress = Callable[[int, int | None], None]
# What tells one price series from another: commodity and market ids, price type, currency,
# unit and source.
_Series = tuple[int, int, str, str, str, str]


@dataclass(frozen=True)
class ImportResult:
    """What an import did; when `errors` is not empty nothing was written."""

    rows: int
    added: int
    duplicates: int
    new_series: int
    errors: tuple[RowError, ...]
    error_count: int


def import_prices(
    engine: Engine,
    catalogue: Catalogue,
    source: BinaryIO,
    *,
    name: str,
    entered_by: int | None,
    now: datetime,
    progress: Progress | None = None,
    batch_size: int = 5000,
    names: RowNames | None = None,
) -> ImportResult:
    """Validate every row of a CSV file, then store the new ones in one transaction, or none.

    With `names`, a row's commodity and market are named by it (a publisher's codes) instead
    of by the catalogue, and the entries it promised are created in the same transaction.
    """
    with contextlib.ExitStack() as stack:
        if not source.seekable():
            # The file is read from where it starts (and again to find a line that is not
            # UTF-8): keep a copy on disk.
            copy = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(source, copy)
            copy.seek(0)
            source = copy
        spool = stack.enter_context(tempfile.TemporaryFile())
        checked = _check(source, source.tell(), catalogue, now.date(), progress, spool, names)
        if isinstance(checked, ImportResult):
            logger.info("Import of %s rejected: %d bad rows", name, checked.error_count)
            return checked
        rows, series = checked
        spool.seek(0)
        tables = (STAGING, *_NUMBERED.values(), *((ID_MAP,) if names is not None else ()))
        with engine.connect() as conn, staging(conn, *tables):
            _stage(conn, _unspool(spool), rows, progress, batch_size)
            new_series = _new_series(conn, series)
            # One transaction from here: new entries, the new figures and the audit row appear
            # together.
            if names is not None:
                _create_names(conn, names)
            added = _publish(conn, entered_by, now)
            duplicates = rows - added
            after = {"file": name, "added": added, "duplicates": duplicates}
            conn.execute(
                insert(AUDIT).values(
                    actor_id=entered_by,
                    action="import",
                    entity="priceobservation",
                    after=after,
                    created_at=now,
                )
            )
            conn.commit()
    logger.info("Imported %s: %d rows, %s, %d new series", name, rows, after, new_series)
    return ImportResult(rows, added, duplicates, new_series, (), 0)


def _check(
    source: BinaryIO,
    start: int,
    catalogue: Catalogue,
    today: date,
    progress: Progress | None,
    spool: BinaryIO,
    names: RowNames | None = None,
) -> ImportResult | tuple[int, set[_Series]]:
    """Pass 1: read every row; return the errors, or the row count and series seen.

    Until a row is refused, the rows go to `spool` as STAGING takes them, each chunk followed by
    the dates, terms and provenance first met in it (`_spool`).
    """
    errors: list[RowError] = []
    error_count = rows = 0
    # (names, terms): both shared by the rows of a series, so cheap to hash
    pairs: set[tuple[Names, tuple[str, str, str, str]]] = set()
    parser: RowParser | None = None
    chunk: list[tuple[Any, ...]] | None = []
    fresh: list[Numbered] = []

    def reject(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED:
            errors.append(RowError(line, message))

    try:
        records = read_records(source, start)
        header = read_header(next(records, None), catalogue, today, row_names=names)
        if isinstance(header, RowError):
            return ImportResult(0, 0, 0, 0, (header,), 1)
        parser = header
        parser.fresh = fresh
        judge, add = parser.judge, pairs.add
        clock, offer_at = CLOCK_EVERY - 1, time.perf_counter() + YIELD_SECONDS
        for line, cells in records:
            try:
                row = judge(cells)
            except RowInvalid as exc:
                reject(line, str(exc))
                # Nothing will be stored: judge the other rows only.
                chunk = parser.fresh = None
            else:
                named, prices, terms, dates, url, note, provenance, usd = row
                add((named, terms.series))
                if chunk is not None:
                    chunk.append(
                        (
                            rows + 1, named.commodity_id, named.market_id, prices.low,
                            prices.high, url, note, natural_key(row), usd, dates.ref, terms.ref,
                            provenance.ref,
                        )
                    )  # fmt: skip
                    if len(chunk) >= SPOOL_ROWS:
                        _spool(spool, chunk, fresh)
            rows += 1
            if not rows & clock and time.perf_counter() >= offer_at:
                offer_at = _offer()
            if progress is not None and rows % CHECK_PROGRESS_EVERY == 0:
                progress(rows, None)
    except FileError as exc:
        reject(*exc.args)
    if not rows and not error_count:
        reject(2, "The file has a header but no rows.")
    if error_count or parser is None:
        return ImportResult(rows, 0, 0, 0, tuple(errors), error_count)
    if progress is not None and rows % CHECK_PROGRESS_EVERY:
        progress(rows, None)
    if chunk:
        _spool(spool, chunk, fresh)
    return rows, {(n.commodity_id, n.market_id, *terms) for n, terms in pairs}


def _offer() -> float:
    """Offer the GIL to the threads waiting for it; return when to offer it next."""
    time.sleep(0)
    return time.perf_counter() + YIELD_SECONDS


# A chunk of the spool: rows as STAGING takes them, then (ref, *staged) of the verdicts for
# each table of _NUMBERED, in its order.
_Chunk = tuple[list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]


def _spool(spool: BinaryIO, chunk: list[tuple[Any, ...]], fresh: list[Numbered]) -> None:
    """Append the rows of `chunk` and the verdicts in `fresh` to the spool; empty both."""
    numbered: dict[type[Numbered], list[tuple[Any, ...]]] = {kind: [] for kind in _NUMBERED}
    for verdict in fresh:
        numbered[type(verdict)].append((verdict.ref, *verdict.staged))
    record = marshal.dumps((chunk, list(numbered.values())))
    spool.write(len(record).to_bytes(8, "little"))
    spool.write(record)
    chunk.clear()
    fresh.clear()


def _unspool(spool: BinaryIO) -> Iterator[_Chunk]:
    """Yield the chunks `_spool` wrote, in order."""
    while size := int.from_bytes(spool.read(8), "little"):
        chunk: _Chunk = marshal.loads(spool.read(size))
        yield chunk


@contextlib.contextmanager
def staging(conn: Connection, *tables: Table) -> Iterator[None]:
    """Create temporary staging tables on this connection; drop them after, whatever happened."""
    for table in tables:
        conn.execute(DropTable(table, if_exists=True))
        conn.execute(CreateTable(table))
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        try:
            for table in tables:
                conn.execute(DropTable(table, if_exists=True))
            conn.commit()
        except SQLAlchemyError:
            # A broken connection is discarded with its temporary tables; a live one drops
            # leftovers before its next import.
            names = ", ".join(table.name for table in tables)
            logger.warning("Could not drop the staging tables %s", names, exc_info=True)


def insert_new(
    conn: Connection, target: Table, columns: Sequence[str], rows: Select[Any]
) -> postgresql.Insert | sqlite.Insert:
    """INSERT INTO target (columns) the rows, skipping those whose natural key is stored.

    A key met earlier in the same rows is skipped too: the first of repeated rows is kept.
    """
    # WHERE true: SQLite would read the ON of "ON CONFLICT" after a bare FROM as a join's.
    rows = rows.where(true())
    dialect = conn.dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(target).from_select(columns, rows)
    elif dialect == "sqlite":
        statement = sqlite.insert(target).from_select(columns, rows)
    else:
        raise RuntimeError(f"imports support SQLite and PostgreSQL, not {dialect}")
    return statement.on_conflict_do_nothing(index_elements=["natural_key"])


@contextlib.contextmanager
def page_cache(conn: Connection, kib: int = PUBLISH_CACHE_KIB) -> Iterator[None]:
    """On SQLite, let this connection keep `kib` of pages in memory for a while."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA main.cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA main.cache_size = {-int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA main.cache_size = {int(before)}")


def _stage(
    conn: Connection,
    chunks: Iterator[_Chunk],
    total: int,
    progress: Progress | None,
    batch_size: int,
) -> None:
    """Pass 2: write every spooled row to the staging tables, batch by batch, in file order.

    The rows go to the driver as the tuples pass 1 built, each value as the column's type
    stores it: on SQLite one executemany per batch, on PostgreSQL one COPY. Building and binding
    a mapping per row through the SQL layer took most of the time of this pass, and binding the
    26 values of a figure much of the rest: a row is 11, its dates, terms and provenance are
    staged once each.
    """
    write = _copier(conn) if conn.dialect.name == "postgresql" else _inserter(conn)
    if progress is not None:
        progress(0, total)
    done = 0
    batch: list[tuple[Any, ...]] = []
    offer_at = time.perf_counter() + YIELD_SECONDS
    for rows, numbered in chunks:
        for table, values in zip(_NUMBERED.values(), numbered, strict=True):
            write(table, values)
        batch += rows
        while len(batch) >= batch_size or (batch and len(batch) + done == total):
            write(STAGING, batch[:batch_size])
            done += min(len(batch), batch_size)
            del batch[:batch_size]
            if progress is not None:
                progress(done, total)
        if time.perf_counter() >= offer_at:
            offer_at = _offer()
    if done != total:
        raise RuntimeError(f"the spool holds {done} rows, not {total}")
    # Only temporary tables are written: this commit holds nobody up.
    conn.commit()


_Write = Callable[[Table, Sequence[tuple[Any, ...]]], None]


def _inserter(conn: Connection) -> _Write:
    """Write rows to a table with one executemany (the DBAPI's, no SQL layer per row)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def write(table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            names = [c.name for c in table.columns]
            marks = ", ".join([mark] * len(names))
            conn.exec_driver_sql(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", rows
            )

    return write


def _copier(conn: Connection) -> _Write:
    """Write rows to a table with one COPY (psycopg), in the connection's transaction."""
    if not conn.in_transaction():
        conn.begin()
    dbapi = conn.connection.dbapi_connection

    def write(table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            names = ", ".join(c.name for c in table.columns)
            with (
                dbapi.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                write_row = copy.write_row
                for row in rows:
                    write_row(row)

    return write


def _publish(conn: Connection, entered_by: int | None, now: datetime) -> int:
    """Copy the staged rows whose natural key is new into the figures; return how many.

    A key already stored (deleted figures included) or met earlier in the file is skipped: the
    first of repeated rows is kept, and ids follow the file's order.
    """
    s, d, t, p = STAGING.c, STAGED_DATES.c, STAGED_TERMS.c, STAGED_PROVENANCE.c

    def per_base(price: ColumnElement[float]) -> ColumnElement[float | None]:
        # As Unit.per_base: the price over the unit's quantity (IEEE division on both sides).
        return case((t.per_base, price / t.unit_quantity), else_=null())

    values: dict[str, ColumnElement[Any]] = {
        **{name: s[name] for name in _ROW},
        **{name: d[name] for name in DATES_COLUMNS},
        **{name: t[name] for name in TERMS_COLUMNS if name != "per_base"},
        **{name: p[name] for name in PROVENANCE_COLUMNS},
        "per_base_low": per_base(s.price_low),
        "per_base_high": per_base(s.price_high),
        **{
            name: bindparam(name, value, type_=PRICES.c[name].type)
            for name, value in zip(_CONSTANT, (entered_by, now), strict=True)
        },
    }
    staged = (
        select(*(value.label(name) for name, value in values.items()))
        .select_from(
            STAGING.join(STAGED_DATES, d.ref == s.dates_ref)
            .join(STAGED_TERMS, t.ref == s.terms_ref)
            .join(STAGED_PROVENANCE, p.ref == s.provenance_ref)
        )
        .order_by(s.seq)
    )
    statement = insert_new(conn, PRICES, list(values), staged)
    with page_cache(conn):
        # An INSERT's row count is kept only when asked for.
        result = conn.execute(statement, execution_options={"preserve_rowcount": True})
    return result.rowcount


def _create_names(conn: Connection, names: RowNames) -> None:
    """Create the entries `names` promised and give the staged rows their ids (one UPDATE per
    column, only when something was created)."""
    created = names.create(conn)
    if not created:
        return
    conn.execute(insert(ID_MAP), [{"provisional": k, "id": v} for k, v in created.items()])
    m = ID_MAP.c
    for column in ("commodity_id", "market_id"):
        real = select(m.id).where(m.provisional == STAGING.c[column]).scalar_subquery()
        conn.execute(STAGING.update().where(STAGING.c[column] < 0).values({column: real}))


def _new_series(conn: Connection, series: set[_Series]) -> int:
    """Count the series with no live row in the table yet (one index seek each).

    On PostgreSQL in one statement, the series bound as arrays: one round trip, not one each.
    """
    c = PRICES.c
    names = ("commodity_id", "market_id", "price_type", "currency", "unit", "source_name")
    live = (c[name] == bindparam(name) for name in names)
    if not series:
        return 0
    if conn.dialect.name == "postgresql":
        given = func.unnest(
            *(bindparam(name, type_=postgresql.ARRAY(c[name].type)) for name in names)
        )
        rows = given.table_valued(*names).render_derived(name="series")
        live = (c[name] == rows.c[name] for name in names)
        query = (
            select(func.count())
            .select_from(rows)
            .where(~exists().where(*live, c.deleted_at.is_(None)))
        )
        columns = zip(*series, strict=True)
        counted = conn.execute(query, dict(zip(names, map(list, columns), strict=True)))
        return int(counted.scalar_one())
    query = select(true()).where(*live, c.deleted_at.is_(None)).limit(1)
    return sum(
        1
        for key in series
        if conn.execute(query, dict(zip(names, key, strict=True))).first() is None
    )
