"""Importing price files (the project's columns or WFP/HDX food prices), all or nothing.

Pass 1 reads every row and judges it; nothing is written unless every row is valid. Pass 2
reads the rows again into a temporary table of the importing connection, which nobody else
waits for; then one statement copies the new ones into the figures and one commit makes them
visible together. On SQLite the database's single write lock is held only for that statement
(about a second for a 20 MB file), not for the whole pass: writing the figures directly held it
while every row was parsed, and a user's first message, which records the user, waited the
whole busy timeout (10 s) for it and failed.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    bindparam,
    insert,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable, DropTable

from bot.domain.units import UNSPECIFIED
from bot.services.catalogue import Catalogue
from bot.services.csvfile import (
    FileError,
    read_records,
)
from bot.services.importrows import (
    ParsedRow,
    RowError,
    RowInvalid,
    RowParser,
    read_header,
)
from db.models import UNDATED, AuditLog, PriceObservation, table_of

logger = logging.getLogger(__name__)

MAX_LISTED = 200
CHECK_PROGRESS_EVERY = 10_000
# Rows read between two moments the GIL is offered to other threads (those answering questions):
# parsing is pure Python, which otherwise keeps it for a whole switch interval (5 ms) each time
# an answer lets go of it to wait on the database.
YIELD_EVERY = 128
PRICES: Table = table_of(PriceObservation)
AUDIT: Table = table_of(AuditLog)
# The columns of a figure as pass 2 stages them, in the order `_values` gives them.
_STAGED = (
    "commodity_id", "market_id", "observed_on", "observed_precision", "reported_on", "sort_on",
    "price_low", "price_high", "grade", "price_type", "currency", "unit", "unit_quantity",
    "unit_base", "per_base_low", "per_base_high", "source_name", "source_url", "reliability",
    "note", "via", "via_url", "date_inferred", "report_order", "natural_key",
)  # fmt: skip
# The columns the same for every row of an import, bound once when the rows are published.
_CONSTANT = ("entered_by", "created_at")
# The rows of pass 2 in file order (`seq`). Its own metadata: it is no part of the schema, and
# lives only in the connection of one import.
STAGING: Table = Table(
    "import_staging",
    MetaData(),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    *(Column(name, PRICES.c[name].type) for name in _STAGED),
    prefixes=["TEMPORARY"],
)
# SQLite pages kept in memory while the figures' indexes take the new rows (KiB; the default is
# 2 MB): with too few, pages are written out and read back, and the write lock is held longer.
PUBLISH_CACHE_KIB = 32_768

Progress = Callable[[int, int | None], None]
# What tells one price series from another (ParsedRow.series).
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
) -> ImportResult:
    """Validate every row of a CSV file, then store the new ones in one transaction, or none."""
    with contextlib.ExitStack() as stack:
        if not source.seekable():
            # Both passes read the file from the start: keep a copy on disk.
            spool = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(source, spool)
            spool.seek(0)
            source = spool
        start = source.tell()
        checked = _check(source, start, catalogue, now.date(), progress)
        if isinstance(checked, ImportResult):
            logger.info("Import of %s rejected: %d bad rows", name, checked.error_count)
            return checked
        parser, rows, series = checked
        with engine.connect() as conn, staging(conn, STAGING):
            _stage(conn, _rows(parser, source, start), rows, progress, batch_size)
            new_series = _new_series(conn, series)
            # One transaction from here: the new figures and the audit row appear together.
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
    source: BinaryIO, start: int, catalogue: Catalogue, today: date, progress: Progress | None
) -> ImportResult | tuple[RowParser, int, set[_Series]]:
    """Pass 1: read every row; return the errors, or the parser, row count and series seen."""
    errors: list[RowError] = []
    error_count = rows = 0
    series: set[_Series] = set()
    parser: RowParser | None = None

    def reject(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED:
            errors.append(RowError(line, message))

    try:
        records = read_records(source, start)
        header = read_header(next(records, None), catalogue, today)
        if isinstance(header, RowError):
            return ImportResult(0, 0, 0, 0, (header,), 1)
        parser = header
        parse = parser.parse
        offer = YIELD_EVERY
        for line, cells in records:
            try:
                series.add(parse(cells).series)
            except RowInvalid as exc:
                reject(line, str(exc))
            rows += 1
            if not rows % offer:
                time.sleep(0)
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
    return parser, rows, series


def _rows(parser: RowParser, source: BinaryIO, start: int) -> Iterator[ParsedRow]:
    """Pass 2: yield the rows again, known to be valid."""
    records = read_records(source, start)
    next(records)
    parse = parser.parse
    offer = YIELD_EVERY
    for line, cells in records:
        if not line % offer:
            time.sleep(0)
        try:
            yield parse(cells)
        except RowInvalid as exc:
            # Only if the file changed since it was checked: roll back.
            raise RuntimeError(f"the file changed during the import: {exc}") from None


@contextlib.contextmanager
def staging(conn: Connection, table: Table) -> Iterator[None]:
    """Create a temporary staging table on this connection; drop it after, whatever happened."""
    conn.execute(DropTable(table, if_exists=True))
    conn.execute(CreateTable(table))
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        try:
            conn.execute(DropTable(table, if_exists=True))
            conn.commit()
        except SQLAlchemyError:
            # A broken connection is discarded with its temporary table; a live one drops a
            # leftover before its next import.
            logger.warning("Could not drop the staging table %s", table.name, exc_info=True)


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
    rows: Iterator[ParsedRow],
    total: int,
    progress: Progress | None,
    batch_size: int,
) -> None:
    """Pass 2: write every row to the staging table, batch by batch, in file order.

    The rows go to the driver as tuples, each value as the column's type would bind it: building
    and binding a mapping per row through the SQL layer took most of the time of this pass.
    """
    dialect = conn.dialect
    names = ("seq", *_STAGED)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    add = (
        f"INSERT INTO {STAGING.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    )
    binders = [
        (at, bind)
        for at, name in enumerate(names)
        if (bind := dialect.type_descriptor(STAGING.c[name].type).bind_processor(dialect))
    ]
    done = 0
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        if batch:
            conn.exec_driver_sql(add, batch)
            batch.clear()
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    for row in rows:
        done += 1
        values = [done, *_values(row, row.natural_key())]
        for at, bind in binders:
            values[at] = bind(values[at])
        batch.append(tuple(values))
        if len(batch) >= batch_size:
            flush()
    flush()
    # Only the temporary table is written: this commit holds nobody up.
    conn.commit()
    if done != total:
        raise RuntimeError(f"the file changed during the import: {done} rows, not {total}")


def _publish(conn: Connection, entered_by: int | None, now: datetime) -> int:
    """Copy the staged rows whose natural key is new into the figures; return how many.

    A key already stored (deleted figures included) or met earlier in the file is skipped: the
    first of repeated rows is kept, and ids follow the file's order.
    """
    constant = (
        bindparam(name, value, type_=PRICES.c[name].type).label(name)
        for name, value in zip(_CONSTANT, (entered_by, now), strict=True)
    )
    staged = select(*(STAGING.c[name] for name in _STAGED), *constant).order_by(STAGING.c.seq)
    statement = insert_new(conn, PRICES, (*_STAGED, *_CONSTANT), staged)
    with page_cache(conn):
        # An INSERT's row count is kept only when asked for.
        result = conn.execute(statement, execution_options={"preserve_rowcount": True})
    return result.rowcount


def _values(row: ParsedRow, key: str) -> tuple[Any, ...]:
    """Return the _STAGED values of a row, as `price_row` builds them."""
    (commodity_id, market_id, _c, _m, low, high, price_type, currency, unit, source_name,
     reliability, grade, observed, reported_on, url, note, via, via_url, inferred,
     order) = row  # fmt: skip
    unspecified = unit.base == UNSPECIFIED
    return (
        commodity_id,
        market_id,
        observed.value,
        observed.precision,
        reported_on,
        observed.value or reported_on or UNDATED,
        low,
        high,
        grade,
        price_type,
        currency,
        unit.text,
        unit.quantity,
        unit.base,
        None if unspecified else unit.per_base(low),
        None if unspecified else unit.per_base(high),
        source_name,
        url,
        reliability,
        note,
        via,
        via_url,
        inferred,
        order,
        key,
    )


def _new_series(conn: Connection, series: set[_Series]) -> int:
    """Count the series with no live row in the table yet (one index seek each)."""
    c = PRICES.c
    names = ("commodity_id", "market_id", "price_type", "currency", "unit", "source_name")
    query = (
        select(true())
        .where(*(c[name] == bindparam(name) for name in names), c.deleted_at.is_(None))
        .limit(1)
    )
    return sum(
        1
        for key in series
        if conn.execute(query, dict(zip(names, key, strict=True))).first() is None
    )
