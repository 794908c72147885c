"""Judging the cells of one price row against the catalogue and the record rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

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
from bot.domain.units import Unit, valid_unit
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


# A row's price type, currency, unit, source, reliability and grade, as judged.
_Terms = tuple[str, str, Unit, str, str | None, str | None]


class RowParser:
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
        self.provenance_of = itemgetter(
            at["via"], at["via_url"], at["date_inferred"], at["report_order"]
        )
        self.memos: dict[str, dict[Any, tuple[Any, ...]]] = {
            k: {} for k in ("names", "prices", "terms", "dates", "url", "provenance")
        }
        m = self.memos
        self.m_names, self.m_prices, self.m_terms = m["names"], m["prices"], m["terms"]
        self.m_dates, self.m_url, self.m_provenance = m["dates"], m["url"], m["provenance"]
        self.pad = ("", source)
        self.rejected: dict[tuple[str, Any], str] = {}
        # A note is judged by its length alone, so one accepted note vouches for every shorter one.
        self.note_ok = 0

    def parse(self, cells: list[str]) -> ParsedRow:
        """Return the validated values of one row, or raise RowInvalid with the reason."""
        if len(cells) != self.width:
            self._fit(cells)
        cells += self.pad
        names = self.m_names.get(key := self.names_of(cells)) or self._judge(
            "names", self._names, key
        )
        prices = self.m_prices.get(key := self.prices_of(cells)) or self._judge(
            "prices", self._prices, key
        )
        terms = self.m_terms.get(key := self.terms_of(cells)) or self._judge(
            "terms", self._terms, key
        )
        dates = self.m_dates.get(key := self.dates_of(cells)) or self._judge(
            "dates", self._dates, key
        )
        url = self.m_url.get(key := cells[self.url_at]) or self._judge("url", self._url, key)
        provenance = self.m_provenance.get(key := self.provenance_of(cells)) or self._judge(
            "provenance", self._provenance, key
        )
        note = cells[self.note_at]
        if note[:1] == "'":
            note = unescape_cell(note)
        note = note.strip()
        if len(note) > self.note_ok:
            try:
                self._probe("note", note)
            except DomainError as exc:
                raise RowInvalid(exc.user_message) from None
            self.note_ok = len(note)
        # The goods' reading of the terms, or a currency's: its "retail" price is the market rate.
        terms = terms[names[0] in self.currency_ids]
        # Price and unit are judged apart: what they make per base unit is checked per row.
        if prices[1] / terms[2].quantity > MAX_PRICE:
            try:
                check_per_base(prices[1], terms[2], terms[1])
            except DomainError as exc:
                raise RowInvalid(exc.user_message) from None
        return tuple.__new__(
            ParsedRow, names + prices + terms + dates + url + (note or None,) + provenance
        )

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

    def _judge(
        self, group: str, judge: Callable[[Any], tuple[Any, ...]], key: Any
    ) -> tuple[Any, ...]:
        """Judge a group of cells not seen yet; remember the verdict, good or bad."""
        if (group, key) in self.rejected:
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

    def _terms(self, key: tuple[str, ...]) -> tuple[_Terms, _Terms]:
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
        return goods, (as_rate, *goods[1:])

    def _dates(self, key: tuple[str, str]) -> tuple[PartialDate, date | None]:
        reported = PartialDate.parse(key[1], today=self.today).value
        return PartialDate.parse(key[0], today=self.today), reported

    def _url(self, text: str) -> tuple[str | None]:
        return (parse_url(text),)

    def _provenance(self, key: tuple[str, str, str, str]) -> tuple[Any, ...]:
        via, via_url, inferred, order = key
        record = price_record_from_row(
            {**_PROBE, "via": via, "via_url": via_url, "date_inferred": inferred,
             "report_order": order},
            today=self.today,
        )  # fmt: skip
        return (record.via, record.via_url, record.date_inferred, record.report_order)


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def read_header(
    first: tuple[int, list[str]] | None, catalogue: Catalogue, today: date
) -> RowParser | RowError:
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
    return RowParser(columns, len(names), HDX_SOURCE if hdx else "", catalogue, today)
