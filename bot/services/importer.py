"""Importing price files (the project's columns or WFP/HDX food prices), all or nothing."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import Connection, Table, bindparam, insert, select, true
from sqlalchemy.engine import Engine

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
PRICES: Table = table_of(PriceObservation)
AUDIT: Table = table_of(AuditLog)

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
        with engine.begin() as conn:
            new_series = _new_series(conn, series)
            added, duplicates = _store(
                conn, _rows(parser, source, start), rows, entered_by, now, progress, batch_size
            )
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
        for line, cells in records:
            try:
                series.add(parse(cells).series)
            except RowInvalid as exc:
                reject(line, str(exc))
            rows += 1
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
    for _line, cells in records:
        try:
            yield parse(cells)
        except RowInvalid as exc:
            # Only if the file changed since it was checked: roll back.
            raise RuntimeError(f"the file changed during the import: {exc}") from None


def _store(
    conn: Connection,
    rows: Iterator[ParsedRow],
    total: int,
    entered_by: int | None,
    now: datetime,
    progress: Progress | None,
    batch_size: int,
) -> tuple[int, int]:
    """Insert every row whose natural key is new, batch by batch; return (added, duplicates)."""
    added = duplicates = done = 0
    batch: dict[str, dict[str, Any]] = {}
    column = PRICES.c.natural_key
    # Built once with the keys as a parameter: a statement per batch would hold its keys until
    # the cyclic garbage collector came by.
    existing = select(column).where(column.in_(bindparam("keys", expanding=True)))
    add = insert(PRICES)

    def flush() -> None:
        nonlocal added, duplicates
        # Earlier batches are in the table already: this finds repeats within the file too.
        stored = set(conn.scalars(existing, {"keys": list(batch)})) if batch else set()
        fresh = [values for key, values in batch.items() if key not in stored]
        if fresh:
            conn.execute(add, fresh)
        added += len(fresh)
        duplicates += len(batch) - len(fresh)
        batch.clear()
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    for row in rows:
        done += 1
        key = row.natural_key()
        if key in batch:
            duplicates += 1
        else:
            batch[key] = _values(row, key, entered_by, now)
            if len(batch) >= batch_size:
                flush()
    flush()
    if done != total:
        raise RuntimeError(f"the file changed during the import: {done} rows, not {total}")
    return added, duplicates


def _values(row: ParsedRow, key: str, entered_by: int | None, now: datetime) -> dict[str, Any]:
    """Return the column values of a row, as `price_row` builds them."""
    (commodity_id, market_id, _c, _m, low, high, price_type, currency, unit, source_name,
     reliability, grade, observed, reported_on, url, note) = row  # fmt: skip
    unspecified = unit.base == UNSPECIFIED
    return {
        "commodity_id": commodity_id,
        "market_id": market_id,
        "observed_on": observed.value,
        "observed_precision": observed.precision,
        "reported_on": reported_on,
        "sort_on": observed.value or reported_on or UNDATED,
        "price_low": low,
        "price_high": high,
        "grade": grade,
        "price_type": price_type,
        "currency": currency,
        "unit": unit.text,
        "unit_quantity": unit.quantity,
        "unit_base": unit.base,
        "per_base_low": None if unspecified else unit.per_base(low),
        "per_base_high": None if unspecified else unit.per_base(high),
        "source_name": source_name,
        "source_url": url,
        "reliability": reliability,
        "note": note,
        "entered_by": entered_by,
        "created_at": now,
        "natural_key": key,
    }


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
