"""Importing price files (the project's columns or WFP/HDX food prices), all or nothing."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, BinaryIO, NamedTuple

from sqlalchemy import Connection, Table, bindparam, insert, select, true
from sqlalchemy.engine import Engine

from bot.domain.dates import PartialDate
from bot.domain.errors import DomainError
from bot.domain.records import (
    PriceRecord,
    parse_currency,
    parse_price_range,
    parse_reliability,
    parse_url,
    price_record_from_row,
)
from bot.domain.units import UNSPECIFIED, Unit, parse_unit
from bot.services.catalogue import Catalogue
from bot.services.csvfile import (
    HDX_MARKERS,
    HDX_SOURCE,
    KNOWN_COLUMNS,
    PRICE_COLUMNS,
    REQUIRED,
    FileError,
    read_records,
)
from bot.services.records import resolve_exactly
from db.models import UNDATED, AuditLog, PriceObservation

logger = logging.getLogger(__name__)

MAX_LISTED = 200
CHECK_PROGRESS_EVERY = 10_000
# Verdicts are remembered per group of cells; past this many a memo starts again, so a file of
# unique values costs bounded memory.
MEMO_LIMIT = 50_000
MEMO_KEY_LIMIT = 600
# A valid row: changing one cell of it shows that cell's own verdict under the record rules.
_PROBE = {
    "commodity": "-", "market": "-", "price": "1", "currency": "KPW", "unit": "kg", "source": "-",
}  # fmt: skip
PRICES: Table = PriceObservation.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditLog.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class RowError:
    """A rejected row: its line in the file (the header is line 1) and why."""

    line: int
    message: str


@dataclass(frozen=True)
class ImportResult:
    """What an import did; when `errors` is not empty nothing was written."""

    rows: int
    added: int
    duplicates: int
    new_series: int
    errors: tuple[RowError, ...]
    error_count: int


class _RowInvalid(Exception):
    pass


class _Row(NamedTuple):
    """One validated row with its names resolved; fields are grouped as the parser judges them."""

    commodity_id: int
    market_id: int
    commodity: str
    market: str
    low: float
    high: float
    price_type: str
    currency: str
    unit: Unit
    source_name: str
    reliability: str | None
    grade: str | None
    observed: PartialDate
    reported_on: date | None
    source_url: str | None
    note: str | None

    @property
    def series(self) -> tuple[int, int, str, str, str, str]:
        """Return what tells one price series from another."""
        return (
            self.commodity_id, self.market_id, self.price_type, self.currency, self.unit.text,
            self.source_name,
        )  # fmt: skip

    def natural_key(self) -> str:
        """Return the record's natural key (a row has every field the record's hash reads)."""
        return PriceRecord.natural_key(self, self.commodity, self.market)  # type: ignore[arg-type]


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
            source = spool  # type: ignore[assignment]
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
) -> ImportResult | tuple[_Parser, int, set[tuple]]:
    """Pass 1: read every row; return the errors, or the parser, row count and series seen."""
    errors: list[RowError] = []
    error_count = rows = 0
    series: set[tuple] = set()
    parser: _Parser | None = None

    def reject(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_LISTED:
            errors.append(RowError(line, message))

    try:
        records = read_records(source, start)
        header = _header(next(records, None), catalogue, today)
        if isinstance(header, RowError):
            return ImportResult(0, 0, 0, 0, (header,), 1)
        parser = header
        parse = parser.parse
        for line, cells in records:
            try:
                series.add(parse(cells).series)
            except _RowInvalid as exc:
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


def _rows(parser: _Parser, source: BinaryIO, start: int) -> Iterator[_Row]:
    """Pass 2: yield the rows again, known to be valid."""
    records = read_records(source, start)
    next(records)
    parse = parser.parse
    for _line, cells in records:
        try:
            yield parse(cells)
        except _RowInvalid as exc:
            # Only if the file changed since it was checked: roll back.
            raise RuntimeError(f"the file changed during the import: {exc}") from None


def _store(
    conn: Connection,
    rows: Iterator[_Row],
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


def _values(row: _Row, key: str, entered_by: int | None, now: datetime) -> dict[str, Any]:
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


def _new_series(conn: Connection, series: set[tuple]) -> int:
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


class _Parser:
    """The record rules applied to rows, each distinct group of cells judged only once."""

    def __init__(
        self, columns: dict[str, int], width: int, source: str, catalogue: Catalogue, today: date
    ) -> None:
        self.width = width
        self.catalogue = catalogue
        self.currency_ids = frozenset(catalogue.currency_commodities.values())
        self.today = today
        # Absent columns read the empty cell appended after the row, the source the one after it.
        at = {c: columns.get(c, width) for c in KNOWN_COLUMNS}
        at["source"] = columns.get("source", width + 1)
        self.names_of = itemgetter(at["commodity"], at["market"])
        self.prices_of = itemgetter(at["price"], at["price_low"], at["price_high"])
        self.terms_of = itemgetter(
            at["pricetype"], at["currency"], at["unit"], at["source"], at["reliability"],
            at["grade"],
        )  # fmt: skip
        self.dates_of = itemgetter(at["date"], at["reported_date"])
        self.url_at, self.note_at = at["source_url"], at["note"]
        self.memos: dict[str, dict[Any, tuple]] = {
            k: {} for k in ("names", "prices", "terms", "dates", "url")
        }
        m = self.memos
        self.m_names, self.m_prices, self.m_terms = m["names"], m["prices"], m["terms"]
        self.m_dates, self.m_url = m["dates"], m["url"]
        self.pad = ("", source)
        self.rejected: dict[tuple[str, Any], str] = {}
        # A note is judged by its length alone, so one accepted note vouches for every shorter one.
        self.note_ok = 0

    def parse(self, cells: list[str]) -> _Row:
        """Return the validated values of one row, or raise _RowInvalid with the reason."""
        if len(cells) != self.width:
            self._fit(cells)
        cells += self.pad
        names = self.m_names.get(key := self.names_of(cells)) or self._judge("names", key)
        prices = self.m_prices.get(key := self.prices_of(cells)) or self._judge("prices", key)
        terms = self.m_terms.get(key := self.terms_of(cells)) or self._judge("terms", key)
        dates = self.m_dates.get(key := self.dates_of(cells)) or self._judge("dates", key)
        url = self.m_url.get(key := cells[self.url_at]) or self._judge("url", key)
        note = cells[self.note_at].strip()
        if len(note) > self.note_ok:
            try:
                self._probe("note", note)
            except DomainError as exc:
                raise _RowInvalid(exc.user_message) from None
            self.note_ok = len(note)
        # The goods' reading of the terms, or a currency's: its "retail" price is the market rate.
        terms = terms[names[0] in self.currency_ids]
        return tuple.__new__(_Row, names + prices + terms + dates + url + (note or None,))

    def _fit(self, cells: list[str]) -> None:
        width = self.width
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        elif any(cells[width:]):
            raise _RowInvalid(
                f"This row has {len(cells)} cells but the header has {width}: "
                "is there a comma in a cell without quotes around it?"
            )
        else:
            del cells[width:]

    def _judge(self, group: str, key: Any) -> tuple:
        """Judge a group of cells not seen yet; remember the verdict, good or bad."""
        if (group, key) in self.rejected:
            raise _RowInvalid(self.rejected[group, key])
        # Outsized cells are judged every time rather than kept.
        small = (len(key) if isinstance(key, str) else sum(map(len, key))) <= MEMO_KEY_LIMIT
        try:
            verdict = getattr(self, f"_{group}")(key)
        except DomainError as exc:
            if small:
                _remember(self.rejected, (group, key), exc.user_message)
            raise _RowInvalid(exc.user_message) from None
        if small:
            _remember(self.memos[group], key, verdict)
        return verdict

    def _probe(self, column: str, text: str) -> PriceRecord:
        return price_record_from_row({**_PROBE, column: text}, today=self.today)

    def _names(self, key: tuple[str, str]) -> tuple[int, int, str, str]:
        commodity = self._probe("commodity", key[0]).commodity
        market = self._probe("market", key[1]).market
        c = self.catalogue
        commodity_id, commodity_slug = resolve_exactly(
            c.commodities, c.commodity_slugs, commodity, "commodity"
        )
        market_id, market_slug = resolve_exactly(c.markets, c.market_slugs, market, "market")
        return commodity_id, market_id, commodity_slug, market_slug

    def _prices(self, key: tuple[str, str, str]) -> tuple[float, float]:
        return parse_price_range(*key)

    def _terms(self, key: tuple[str, ...]) -> tuple:
        price_type, currency, unit, source, reliability, grade = key
        goods = (
            self._probe("pricetype", price_type).price_type,
            parse_currency(currency),
            parse_unit(unit),
            self._probe("source", source).source_name,
            parse_reliability(reliability),
            self._probe("grade", grade).grade,
        )
        as_rate = "market" if price_type.strip().lower() in ("", "retail") else goods[0]
        return goods, (as_rate, *goods[1:])

    def _dates(self, key: tuple[str, str]) -> tuple[PartialDate, date | None]:
        reported = PartialDate.parse(key[1], today=self.today).value
        return PartialDate.parse(key[0], today=self.today), reported

    def _url(self, text: str) -> tuple[str | None]:
        return (parse_url(text),)


def _remember(memo: dict, key: Any, value: Any) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _header(
    first: tuple[int, list[str]] | None, catalogue: Catalogue, today: date
) -> _Parser | RowError:
    """Read the header row: a parser for the columns it names, or what is missing."""
    if first is None:
        return RowError(1, "The file is empty: it needs a header row and at least one price row.")
    names = [cell.strip().lower() for cell in first[1]]
    columns: dict[str, int] = {}
    for position, column in enumerate(names):
        if column in KNOWN_COLUMNS:
            if column in columns:
                return RowError(1, f"The column “{column}” appears twice in the header.")
            columns[column] = position
    missing = [c for c in REQUIRED if c not in columns]
    if not any(c in columns for c in PRICE_COLUMNS):
        missing.append("price")
    if missing:
        plural = "s" if len(missing) > 1 else ""
        return RowError(
            1,
            f"The header has no {', '.join(missing)} column{plural}. Required: "
            f"{', '.join(REQUIRED)} and price (or price_low and price_high).",
        )
    hdx = "source" not in columns and any(c in columns for c in HDX_MARKERS)
    return _Parser(columns, len(names), HDX_SOURCE if hdx else "", catalogue, today)
