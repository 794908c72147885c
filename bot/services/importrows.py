"""Judging the cells of one price row against the catalogue and the record rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from itertools import count
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Connection

from bot.domain.dates import PartialDate
from bot.domain.errors import DomainError
from bot.domain.records import (
    MAX_PRICE,
    PriceRecord,
    check_per_base,
    parse_currency,
    parse_price_range,
    parse_reliability,
    parse_url,
    price_record_from_row,
)
from bot.domain.units import UNSPECIFIED, Unit, valid_unit
from bot.services.catalogue import Catalogue
from bot.services.csvfile import (
    HDX_MARKERS,
    HDX_SOURCE,
    KNOWN_COLUMNS,
    PRICE_COLUMNS,
    REQUIRED,
    unescape_cell,
)
from bot.services.records import resolve_exactly
from db.models import UNDATED

# Verdicts are remembered per group of cells; past this many a memo starts again, so a file of
# unique values costs bounded memory.
MEMO_LIMIT = 50_000


MEMO_KEY_LIMIT = 600


# A valid row: changing one cell of it shows that cell's own verdict under the record rules.
_PROBE = {
    "commodity": "-", "market": "-", "price": "1", "currency": "KPW", "unit": "kg", "source": "-",
}  # fmt: skip


@dataclass(frozen=True)
class RowError:
    """A rejected row: its line in the file (the header is line 1) and why."""

    line: int
    message: str


class RowInvalid(Exception):
    pass


class ParsedRow(NamedTuple):
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
    via: str | None
    via_url: str | None
    date_inferred: bool
    report_order: int | None

    def natural_key(self) -> str:
        """Return the record's natural key (a row has every field the record's hash reads)."""
        return PriceRecord.natural_key(self, self.commodity, self.market)  # type: ignore[arg-type]


# The verdicts on one row's groups of cells, shared by every row with the same cells. Each holds
# what a figure stores of them and its share of the text the natural key hashes (`key`, each
# piece followed by KEY_SEP), so a row costs no conversion of its own. The dates, terms and
# provenance are numbered (`ref`, once per verdict made): an import stages each of them once,
# and its rows with their numbers (importer.py).
KEY_SEP = "\x1f"
DATES_COLUMNS = ("observed_on", "observed_precision", "reported_on", "sort_on")
TERMS_COLUMNS = (
    "price_type", "currency", "unit", "unit_quantity", "unit_base", "source_name", "reliability",
    "grade", "per_base",
)  # fmt: skip
PROVENANCE_COLUMNS = ("via", "via_url", "date_inferred", "report_order")


class Names(NamedTuple):
    commodity_id: int
    market_id: int
    commodity: str  # the slugs
    market: str
    is_currency: int  # 1 when the commodity is a currency: its terms are read as a market rate
    key: str


class Prices(NamedTuple):
    low: float
    high: float
    key: str


class Terms(NamedTuple):
    ref: int
    # TERMS_COLUMNS; per_base is False for an unspecified unit, whose price per base unit (the
    # price over unit_quantity) is not stored
    staged: tuple[str, str, str, float, str, str, str | None, str | None, bool]
    unit: Unit
    key: str  # price type, currency, unit and grade
    source_key: str
    series: tuple[str, str, str, str]  # price_type, currency, unit, source_name


class Dates(NamedTuple):
    ref: int
    # DATES_COLUMNS, dates as ISO text: how SQLAlchemy stores a Date on SQLite, what COPY reads
    staged: tuple[str | None, str, str | None, str]
    observed: PartialDate
    reported_on: date | None
    key: str


class Provenance(NamedTuple):
    ref: int
    staged: tuple[str | None, str | None, bool, int | None]  # PROVENANCE_COLUMNS


Numbered = Terms | Dates | Provenance


class Judged(NamedTuple):
    """The verdicts on the cells of one valid row."""

    names: Names
    prices: Prices
    terms: Terms
    dates: Dates
    source_url: str | None
    note: str | None
    provenance: Provenance
    # The publisher's own conversion to USD (WFP's usdprice), kept apart from the figure.
    usd_price: float | None


class RowNames(Protocol):
    """Names a row's commodity and market from cells beyond the two name columns (a publisher's
    codes and regions), for files whose names need not be in the catalogue yet.

    `resolve` is called once per distinct group of `columns` cells (absent columns read "");
    an entry it has not met it may promise under a provisional (negative) id and its slug to be,
    and `create` makes the promised entries in the publishing transaction and returns the
    provisional ids' real ones. Rows whose file has no source column are credited to `source`,
    with `source_url`.
    """

    columns: Sequence[str]
    source: str
    source_url: str

    def resolve(self, cells: tuple[str, ...]) -> tuple[int, str, int, str]:
        """Return (commodity id, commodity slug, market id, market slug), or raise DomainError."""
        ...

    def create(self, conn: Connection) -> dict[int, int]:
        """Insert the entries promised so far; return {provisional id: id}."""
        ...


def natural_key(row: Judged) -> str:
    """Return a judged row's natural key: PriceRecord.natural_key, from the verdicts' pieces.

    (Tests hold the two equal.)
    """
    names, prices, terms, dates, url, note, provenance, _usd = row
    text = (
        f"{names.key}{dates.key}{terms.key}{prices.key}{terms.source_key}"
        f"{url or provenance.staged[1] or ''}{KEY_SEP}{note or ''}"
    )
    return sha256(text.encode()).hexdigest()


class RowParser:
    """The record rules applied to rows, each distinct group of cells judged only once."""

    def __init__(
        self,
        columns: dict[str, int],
        width: int,
        source: str,
        catalogue: Catalogue,
        today: date,
        *,
        names: RowNames | None = None,
        header: Sequence[str] = (),
    ) -> None:
        self.width = width
        self.catalogue = catalogue
        self.currency_ids = frozenset(catalogue.currency_commodities.values())
        self.today = today
        # Absent columns read the empty cell appended after the row, the source the one after it.
        at = {c: columns.get(c, width) for c in KNOWN_COLUMNS}
        at["source"] = columns.get("source", width + 1)
        at["source_url"] = columns.get("source_url", width + 2)
        self.row_names = names
        if names is None:
            self.names_of = itemgetter(at["commodity"], at["market"])
        else:
            found = {name: i for i, name in reversed(list(enumerate(header)))}
            self.names_of = itemgetter(*(found.get(c, width) for c in names.columns))
        self.prices_of = itemgetter(at["price"], at["price_low"], at["price_high"])
        self.terms_of = itemgetter(
            at["pricetype"], at["currency"], at["unit"], at["source"], at["reliability"],
            at["grade"],
        )  # fmt: skip
        self.dates_of = itemgetter(at["date"], at["reported_date"])
        self.url_at, self.note_at, self.usd_at = at["source_url"], at["note"], at["usdprice"]
        self.provenance_of = itemgetter(
            at["via"], at["via_url"], at["date_inferred"], at["report_order"]
        )
        self.memos: dict[str, dict[Any, Any]] = {
            k: {} for k in ("names", "prices", "terms", "dates", "url", "provenance")
        }
        m = self.memos
        self.m_names, self.m_prices, self.m_terms = m["names"], m["prices"], m["terms"]
        self.m_dates, self.m_url, self.m_provenance = m["dates"], m["url"], m["provenance"]
        self.pad = ("", source, names.source_url if names is not None else "")
        self.refs = count(1)
        # While a list, every numbered verdict made is added to it (the importer empties it).
        self.fresh: list[Numbered] | None = None
        self.rejected: dict[tuple[str, Any], str] = {}
        # A note is judged by its length alone, so one accepted note vouches for every shorter one.
        self.note_ok = 0
        # Return the verdicts on one row, or raise RowInvalid with the reason.
        self.judge = self._judge_rows()

    def _judge_rows(self) -> Callable[[list[str]], Judged]:
        """Return `judge`: what it reads per row is bound once (a row's cost is mostly lookups)."""
        width, fit, pad = self.width, self._fit, self.pad
        url_at, note_at, usd_at = self.url_at, self.note_at, self.usd_at
        m_names, m_prices, m_terms = self.m_names, self.m_prices, self.m_terms
        m_dates, m_url, m_provenance = self.m_dates, self.m_url, self.m_provenance
        names_of, prices_of, terms_of = self.names_of, self.prices_of, self.terms_of
        dates_of, provenance_of = self.dates_of, self.provenance_of
        group, new = self._judge, tuple.__new__
        names_j, prices_j, terms_j = self._names, self._prices, self._terms
        dates_j, url_j, provenance_j = self._dates, self._url, self._provenance

        def judge(cells: list[str]) -> Judged:
            if len(cells) != width:
                fit(cells)
            cells += pad
            names: Names = m_names.get(key := names_of(cells)) or group("names", names_j, key)
            prices: Prices = m_prices.get(key := prices_of(cells)) or group("prices", prices_j, key)
            both = m_terms.get(key := terms_of(cells)) or group("terms", terms_j, key)
            dates: Dates = m_dates.get(key := dates_of(cells)) or group("dates", dates_j, key)
            url = m_url.get(key := cells[url_at]) or group("url", url_j, key)
            provenance = m_provenance.get(key := provenance_of(cells)) or group(
                "provenance", provenance_j, key
            )
            note = cells[note_at]
            if note[:1] == "'":
                note = unescape_cell(note)
            note = note.strip()
            if len(note) > self.note_ok:
                try:
                    self._probe("note", note)
                except DomainError as exc:
                    raise RowInvalid(exc.user_message) from None
                self.note_ok = len(note)
            # The goods' reading of the terms, or a currency's: its "retail" price is the
            # market rate.
            terms: Terms = both[names.is_currency]
            usd_cell = cells[usd_at]
            usd: float | None = None
            if usd_cell:
                try:
                    usd = float(usd_cell)
                except ValueError:
                    pass  # the publisher's conversion is theirs: a bad one is left out
                else:
                    if not 0 < usd < MAX_PRICE:
                        usd = None
            # Price and unit are judged apart: what they make per base unit is checked per row.
            if prices.high / terms.staged[3] > MAX_PRICE:
                try:
                    check_per_base(prices.high, terms.unit, terms.staged[1])
                except DomainError as exc:
                    raise RowInvalid(exc.user_message) from None
            return new(Judged, (names, prices, terms, dates, url[0], note or None, provenance, usd))

        return judge

    def parse(self, cells: list[str]) -> ParsedRow:
        """Return the validated values of one row, or raise RowInvalid with the reason."""
        names, prices, terms, dates, url, note, provenance, _usd = self.judge(cells)
        price_type, currency, _t, _q, _b, source_name, reliability, grade, _p = terms.staged
        return ParsedRow(
            names.commodity_id, names.market_id, names.commodity, names.market, prices.low,
            prices.high, price_type, currency, terms.unit, source_name, reliability, grade,
            dates.observed, dates.reported_on, url, note, *provenance.staged,
        )  # fmt: skip

    def _numbered(self, verdict: Numbered) -> None:
        if self.fresh is not None:
            self.fresh.append(verdict)

    def _fit(self, cells: list[str]) -> None:
        width = self.width
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        elif any(cells[width:]):
            raise RowInvalid(
                f"This row has {len(cells)} cells but the header has {width}: "
                "is there a comma in a cell without quotes around it?"
            )
        else:
            del cells[width:]

    def _judge(self, group: str, judge: Callable[[Any], Any], key: Any) -> Any:
        """Judge a group of cells not seen yet; remember the verdict, good or bad."""
        if self.rejected and (group, key) in self.rejected:
            raise RowInvalid(self.rejected[group, key])
        # Outsized cells are judged every time rather than kept.
        small = (len(key) if isinstance(key, str) else sum(map(len, key))) <= MEMO_KEY_LIMIT
        # The cells as written before export escaped them (csvfile.escape_cell).
        cells = unescape_cell(key) if isinstance(key, str) else tuple(map(unescape_cell, key))
        try:
            verdict = judge(cells)
        except DomainError as exc:
            if small:
                _remember(self.rejected, (group, key), exc.user_message)
            raise RowInvalid(exc.user_message) from None
        if small:
            _remember(self.memos[group], key, verdict)
        return verdict

    def _probe(self, column: str, text: str) -> PriceRecord:
        return price_record_from_row({**_PROBE, column: text}, today=self.today)

    def _names(self, key: tuple[str, ...]) -> Names:
        if self.row_names is not None:
            commodity_id, commodity_slug, market_id, market_slug = self.row_names.resolve(key)
            return Names(
                commodity_id,
                market_id,
                commodity_slug,
                market_slug,
                int(commodity_id in self.currency_ids),
                f"{commodity_slug}{KEY_SEP}{market_slug}{KEY_SEP}",
            )
        commodity = self._probe("commodity", key[0]).commodity
        market = self._probe("market", key[1]).market
        c = self.catalogue
        commodity_id, commodity_slug = resolve_exactly(
            c.commodities, c.commodity_slugs, commodity, "commodity"
        )
        market_id, market_slug = resolve_exactly(c.markets, c.market_slugs, market, "market")
        return Names(
            commodity_id,
            market_id,
            commodity_slug,
            market_slug,
            int(commodity_id in self.currency_ids),
            f"{commodity_slug}{KEY_SEP}{market_slug}{KEY_SEP}",
        )

    def _prices(self, key: tuple[str, str, str]) -> Prices:
        price, low_cell, high_cell = key
        # Most files write a price with a few distinct values (a memo hit) or as a range no other
        # row repeats: the two shapes `_plain_prices` reads without the general rules.
        plain = None if low_cell or high_cell else _plain_prices(price)
        low, high = plain or parse_price_range(*key)
        return Prices(low, high, f"{low:g}{KEY_SEP}{high:g}{KEY_SEP}")

    def _terms(self, key: tuple[str, ...]) -> tuple[Terms, Terms]:
        price_type, currency, unit, source, reliability, grade = key
        goods = (
            self._probe("pricetype", price_type).price_type,
            parse_currency(currency),
            valid_unit(unit),
            self._probe("source", source).source_name,
            parse_reliability(reliability),
            self._probe("grade", grade).grade,
        )
        as_rate = "market" if price_type.strip().lower() in ("", "retail") else goods[0]
        both = _terms(next(self.refs), *goods), _terms(next(self.refs), as_rate, *goods[1:])
        for terms in both:
            self._numbered(terms)
        return both

    def _dates(self, key: tuple[str, str]) -> Dates:
        reported = PartialDate.parse(key[1], today=self.today).value
        observed = PartialDate.parse(key[0], today=self.today)
        value = observed.value
        dates = Dates(
            next(self.refs),
            (
                None if value is None else value.isoformat(),
                observed.precision,
                None if reported is None else reported.isoformat(),
                (value or reported or UNDATED).isoformat(),
            ),
            observed,
            reported,
            f"{observed.iso()}{KEY_SEP}",
        )
        self._numbered(dates)
        return dates

    def _url(self, text: str) -> tuple[str | None]:
        return (parse_url(text),)

    def _provenance(self, key: tuple[str, str, str, str]) -> Provenance:
        via, via_url, inferred, order = key
        record = price_record_from_row(
            {**_PROBE, "via": via, "via_url": via_url, "date_inferred": inferred,
             "report_order": order},
            today=self.today,
        )  # fmt: skip
        provenance = Provenance(
            next(self.refs), (record.via, record.via_url, record.date_inferred, record.report_order)
        )
        self._numbered(provenance)
        return provenance


def _terms(
    ref: int,
    price_type: str,
    currency: str,
    unit: Unit,
    source_name: str,
    reliability: str | None,
    grade: str | None,
) -> Terms:
    text, quantity, base = unit.text, unit.quantity, unit.base
    return Terms(
        ref,
        (
            price_type, currency, text, quantity, base, source_name, reliability, grade,
            base != UNSPECIFIED,
        ),
        unit,
        f"{price_type}{KEY_SEP}{currency}{KEY_SEP}{text}{KEY_SEP}{grade or ''}{KEY_SEP}",
        f"{source_name.casefold()}{KEY_SEP}",
        (price_type, currency, text, source_name),
    )  # fmt: skip


def _plain_prices(price: str) -> tuple[float, float] | None:
    """Read "12,500" or "12500-13,000" as `parse_price_range` does; None for any other text.

    Only ASCII digits and thousands commas, no space, one hyphen at most, every number above
    zero and within MAX_PRICE, low not above high: anything else (and every error) is left to
    `parse_price_range`, which reads these shapes to the same values.
    """
    low, hyphen, high = price.partition("-")
    low = low.replace(",", "")
    high = high.replace(",", "") if hyphen else low
    if not (low.isdigit() and high.isdigit() and low.isascii() and high.isascii()):
        return None
    lo, hi = float(low), float(high)
    if 0 < lo <= hi <= MAX_PRICE:
        return lo, hi
    return None


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def read_header(
    first: tuple[int, list[str]] | None,
    catalogue: Catalogue,
    today: date,
    *,
    row_names: RowNames | None = None,
) -> RowParser | RowError:
    """Read the header row: a parser for the columns it names, or what is missing."""
    if first is None:
        return RowError(1, "The file is empty: it needs a header row and at least one price row.")
    header = [cell.strip().lower() for cell in first[1]]
    columns: dict[str, int] = {}
    for position, column in enumerate(header):
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
    source = HDX_SOURCE if hdx else ""
    if row_names is not None:
        source = row_names.source
    return RowParser(columns, len(header), source, catalogue, today, names=row_names, header=header)
