"""WFP's food prices as published on HDX: finding the data file of a dataset, and naming its
markets and commodities in the catalogue.

A WFP file names a market by WFP's id, its name and its region (admin1), and a commodity by
WFP's id and name. `WfpNames` (an importer `RowNames`) reads those cells: WFP's id first (the
codes already met, table `sourcecode`), then the name (one exact catalogue match in the same
country), and otherwise it creates the entry under WFP's name and id, with the country and
admin1 as the place's parents. Created entries are marked for editors to link to an existing
entry (`/link`). Everything is created in the import's own transaction: a refused file leaves
no trace in the catalogue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import Connection, insert, select
from sqlalchemy.engine import Engine

from bot.domain.errors import InvalidInput
from bot.domain.feeds import wfp_iso3
from bot.domain.text import compact
from bot.domain.units import valid_unit
from bot.services.catalogue import Catalogue
from bot.services.countries import Country, country_of
from db.models import (
    Commodity,
    CommodityAlias,
    Market,
    MarketAlias,
    SourceCode,
    table_of,
)

__all__ = ["SYSTEM", "WFP_SOURCE", "Created", "Resource", "WfpNames", "find_resource"]

SYSTEM = "wfp"
# The source WFP figures are credited to (with the dataset's link).
WFP_SOURCE = "WFP"
MARKETS = table_of(Market)
MARKET_ALIASES = table_of(MarketAlias)
COMMODITIES = table_of(Commodity)
COMMODITY_ALIASES = table_of(CommodityAlias)
CODES = table_of(SourceCode)
# The cells WfpNames reads, in this order (absent columns read as empty).
COLUMNS = (
    "market_id", "market", "admin1", "admin2", "latitude", "longitude",
    "commodity_id", "commodity", "category", "unit",
)  # fmt: skip
_CKAN = "/api/3/action/package_show"


@dataclass(frozen=True)
class Resource:
    """The data file a feed's link leads to, and the dataset figures are credited to."""

    url: str
    dataset_url: str
    iso3: str | None


def find_resource(url: str, body: bytes, media: str) -> Resource | None:
    """The WFP CSV that a dataset page or CKAN `package_show` answer points at; None when the
    body is the CSV itself. Raises InvalidInput when the page names no data file."""
    if media in ("text/csv", "application/csv", "text/plain", "application/octet-stream"):
        return None
    if media == "application/json" or _CKAN in url:
        return _from_package(url, body)
    if media in ("text/html", "application/xhtml+xml"):
        return _from_page(url, body)
    raise InvalidInput(
        "{url} sent {type}, not a CSV file, a dataset page or a package_show answer.",
        url=url,
        type=media or "no content type",
    )


def _from_package(url: str, body: bytes) -> Resource:
    try:
        answer = json.loads(body)
        result = answer["result"]
        name = str(result.get("name") or "")
        resources = list(result.get("resources") or [])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput("{url} is not a CKAN package_show answer.", url=url) from None
    if answer.get("success") is False:
        raise InvalidInput("HDX answered that the dataset is not there: {url}.", url=url)
    links = [
        (str(r.get("name") or ""), str(r.get("url") or ""))
        for r in resources
        if isinstance(r, dict) and str(r.get("format") or "").lower() == "csv" and r.get("url")
    ]
    chosen = _choose(links)
    if chosen is None:
        raise InvalidInput("The dataset at {url} has no WFP price file (CSV).", url=url)
    parts = urlsplit(url)
    dataset = f"{parts.scheme}://{parts.netloc}/dataset/{name}" if name else chosen
    return Resource(url=chosen, dataset_url=dataset, iso3=wfp_iso3(chosen) or _iso3_of(name))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href:
                self.links.append((href.rsplit("/", 1)[-1], href))


def _from_page(url: str, body: bytes) -> Resource:
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    links = [
        (name, urljoin(url, href))
        for name, href in parser.links
        if urlsplit(href).path.lower().endswith(".csv")
    ]
    chosen = _choose(links)
    if chosen is None:
        raise InvalidInput("The page at {url} links to no WFP price file (CSV).", url=url)
    return Resource(url=chosen, dataset_url=url, iso3=wfp_iso3(chosen) or wfp_iso3(url))


def _choose(links: Sequence[tuple[str, str]]) -> str | None:
    """The food-price file among a dataset's CSV links (not its QuickCharts extract)."""
    data = [(n, u) for n, u in links if "quickcharts" not in (n + u).lower()]
    for _name, link in data:
        if wfp_iso3(link) or wfp_iso3(_name):
            return link
    return data[0][1] if data else None


def _iso3_of(dataset: str) -> str | None:
    """The country of a dataset named wfp-food-prices-for-<country>, by its English name."""
    found = re.match(r"wfp-food-prices-for-(.+)$", dataset)
    if not found:
        return None
    from babel import Locale

    wanted = found.group(1).replace("-", " ").casefold()
    for iso2, name in Locale("en").territories.items():
        if len(iso2) == 2 and name.split(" (")[0].casefold() == wanted:
            country = country_of(iso2)
            return country.iso3 if country else None
    return None


@dataclass
class Created:
    """What one import created and linked in the catalogue, for the feed's report."""

    markets: list[str] = field(default_factory=list)
    commodities: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # countries and regions
    linked: int = 0  # codes first met and matched by name to an existing entry


@dataclass
class _Promise:
    table: str  # market, commodity
    provisional: int
    values: dict[str, Any]
    aliases: list[tuple[str, str]]
    parent: int | None = None  # a market's parent: an id, or a provisional one


class WfpNames:
    """Names the rows of one WFP country file (see the module's docstring)."""

    columns: Sequence[str] = COLUMNS
    source: str = WFP_SOURCE

    def __init__(
        self, engine: Engine, catalogue: Catalogue, *, country: Country, dataset_url: str,
        now: datetime,
    ) -> None:  # fmt: skip
        self.source_url = dataset_url
        self._catalogue = catalogue
        self._country = country
        self._now = now
        self.created = Created()
        with engine.connect() as conn:
            codes = conn.execute(
                select(CODES.c.kind, CODES.c.code, CODES.c.entity_id).where(
                    CODES.c.system == SYSTEM
                )
            ).all()
            places = conn.execute(
                select(MARKETS.c.id, MARKETS.c.kind, MARKETS.c.country, MARKETS.c.slug)
            ).all()
        self._codes: dict[tuple[str, str], int] = {(k, c): i for k, c, i in codes}
        self._place_country = {p.id: p.country for p in places}
        self._place_kind = {p.id: p.kind for p in places}
        self._market_slugs = {p.id: p.slug for p in places}
        self._commodity_slugs = {i: s for s, i in catalogue.commodity_slugs.items()}
        self._taken = {p.slug for p in places} | set(catalogue.commodity_slugs)
        self._next = -1
        self._promises: list[_Promise] = []
        self._new_codes: list[tuple[str, str, int, str, bool]] = []

    # RowNames

    def resolve(self, cells: tuple[str, ...]) -> tuple[int, str, int, str]:
        """Return the row's commodity and market (ids and slugs), promising what is new."""
        (
            market_id, market, admin1, admin2, latitude, longitude,
            commodity_id, commodity, category, unit,
        ) = (c.strip() for c in cells)  # fmt: skip
        if not market:
            raise InvalidInput("The market is missing.")
        if not commodity:
            raise InvalidInput("The commodity is missing.")
        place = self._market(market_id, market, admin1, admin2, latitude, longitude)
        good = self._commodity(commodity_id, commodity, category, unit)
        return good, self._commodity_slugs[good], place, self._market_slugs[place]

    def create(self, conn: Connection) -> dict[int, int]:
        """Insert the promised entries and the codes first met; return {provisional: id}."""
        ids: dict[int, int] = {}
        for promise in self._promises:
            values = dict(promise.values)
            if promise.parent is not None:
                values["parent_id"] = ids.get(promise.parent, promise.parent)
            table, aliases = (
                (MARKETS, MARKET_ALIASES) if promise.table == "market"
                else (COMMODITIES, COMMODITY_ALIASES)
            )  # fmt: skip
            key_row = conn.execute(insert(table).values(values)).inserted_primary_key
            assert key_row is not None
            new_id = int(key_row[0])
            ids[promise.provisional] = new_id
            key = "market_id" if promise.table == "market" else "commodity_id"
            rows = [
                {key: new_id, "text": text, "lang": lang, "normalized": compact(text)}
                for text, lang in dict.fromkeys(promise.aliases)
                if compact(text)
            ]
            if rows:
                conn.execute(insert(aliases), rows)
        if self._new_codes:
            conn.execute(
                insert(CODES),
                [
                    {
                        "system": SYSTEM, "kind": kind, "code": code,
                        "entity_id": ids.get(entity, entity), "name": name[:200],
                        "created": created, "created_at": self._now,
                    }
                    for kind, code, entity, name, created in self._new_codes
                ],
            )  # fmt: skip
        return ids

    # Markets and places

    def _market(
        self, market_id: str, name: str, admin1: str, admin2: str, latitude: str, longitude: str
    ) -> int:
        iso2 = self._country.iso2
        by_name = f"{iso2}:{compact(admin1)}:{compact(name)}"
        codes = [c for c in (market_id, f"name:{by_name}") if c and c != "name:"]
        found = self._known("market", codes)
        if found is not None:
            return found
        matched = self._match_place(name, kinds=("city", "county", "market"))
        if matched is not None:
            self._remember("market", codes, matched, name, created=False)
            self.created.linked += 1
            return matched
        # The market takes the plain slug (people name the town), then its region is made.
        slug = self._slug(name)
        region = self._admin1(admin1) if admin1 else self._country_place()
        note = f"WFP market {market_id}" if market_id else "WFP market"
        if admin2 and compact(admin2) != compact(name):
            note += f", {admin2}"
        values = {
            "kind": "city",
            "country": iso2,
            "name_en": name[:120],
            "latitude": _coordinate(latitude, 90),
            "longitude": _coordinate(longitude, 180),
            "note": note,
        }
        promised = self._promise("market", name, values, [(name, "en")], parent=region, slug=slug)
        self._remember("market", codes, promised, name, created=True)
        self.created.markets.append(name)
        return promised

    def _admin1(self, name: str) -> int:
        code = f"admin1:{self._country.iso2}:{compact(name)}"
        found = self._known("admin1", [code])
        if found is not None:
            return found
        matched = self._match_place(name, kinds=("province",))
        if matched is None:
            values = {"kind": "province", "country": self._country.iso2, "name_en": name[:120]}
            matched = self._promise(
                "market", name, values, [(name, "en")], parent=self._country_place(),
                slug=self._slug(name, region=True),
            )  # fmt: skip
            self._remember("admin1", [code], matched, name, created=True)
            self.created.places.append(name)
        else:
            self._remember("admin1", [code], matched, name, created=False)
        return matched

    def _country_place(self) -> int:
        country = self._country
        code = f"country:{country.iso2}"
        found = self._known("country", [code])
        if found is not None:
            return found
        existing = [
            i for i, kind in self._place_kind.items()
            if kind == "country" and self._place_country.get(i) == country.iso2
        ]  # fmt: skip
        if existing:
            self._remember("country", [code], existing[0], country.name_en, created=False)
            return int(existing[0])
        values = {
            "kind": "country",
            "country": country.iso2,
            "name_en": country.name_en,
            "name_ko": country.name_ko,
            "name_zh": country.name_zh,
        }
        names = [(country.name_en, "en")]
        names += [(n, lang) for n, lang in ((country.name_ko, "ko"), (country.name_zh, "zh")) if n]
        promised = self._promise("market", country.name_en, values, names, parent=None)
        self._remember("country", [code], promised, country.name_en, created=True)
        self.created.places.append(country.name_en)
        return promised

    def _match_place(self, name: str, *, kinds: tuple[str, ...]) -> int | None:
        """The one place of this country, of these kinds, one of whose names is `name`."""
        hits = [
            e.id for e in self._catalogue.markets.exact(name)
            if self._place_country.get(e.id) == self._country.iso2
            and self._place_kind.get(e.id) in kinds
        ]  # fmt: skip
        return hits[0] if len(hits) == 1 else None

    # Commodities

    def _commodity(self, commodity_id: str, name: str, category: str, unit: str) -> int:
        codes = [c for c in (commodity_id, f"name:{compact(name)}") if c and c != "name:"]
        found = self._known("commodity", codes)
        if found is not None:
            return found
        hits = self._catalogue.commodities.exact(name)
        if len(hits) == 1:
            self._remember("commodity", codes, hits[0].id, name, created=False)
            self.created.linked += 1
            return hits[0].id
        try:
            default_unit = valid_unit(unit).text[:20]
        except InvalidInput:
            default_unit = "kg"
        values = {
            "category": (category or "food").strip().lower()[:40],
            "default_unit": default_unit,
            "name_en": name[:120],
        }
        promised = self._promise("commodity", name, values, [(name, "en")], parent=None)
        self._remember("commodity", codes, promised, name, created=True)
        self.created.commodities.append(name)
        return promised

    # Bookkeeping

    def _known(self, kind: str, codes: Sequence[str]) -> int | None:
        for code in codes:
            found = self._codes.get((kind, code))
            if found is not None:
                # Met under another of its codes (an older file named it only): remember both.
                self._remember(kind, codes, found, "", created=False, only_new=True)
                return found
        return None

    def _remember(
        self, kind: str, codes: Sequence[str], entity: int, name: str, *, created: bool,
        only_new: bool = False,
    ) -> None:  # fmt: skip
        for code in codes:
            if (kind, code) in self._codes:
                continue
            self._codes[kind, code] = entity
            if only_new and not name:
                name = code
            self._new_codes.append((kind, code[:300], entity, name or code, created))

    def _promise(
        self, table: str, name: str, values: dict[str, Any], aliases: list[tuple[str, str]],
        *, parent: int | None, slug: str | None = None,
    ) -> int:  # fmt: skip
        provisional = self._next
        self._next -= 1
        slug = slug or self._slug(name)
        values = {**values, "slug": slug, "created_at": self._now}
        self._promises.append(_Promise(table, provisional, values, aliases, parent))
        if table == "market":
            self._market_slugs[provisional] = slug
            self._place_country[provisional] = str(values["country"])
            self._place_kind[provisional] = str(values["kind"])
        else:
            self._commodity_slugs[provisional] = slug
        return provisional

    def _slug(self, name: str, *, region: bool = False) -> str:
        """A free slug: the name's; a region's (named like its town) with the country's code."""
        base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "wfp"
        suffix = self._country.iso2.lower()
        first = (f"{base}-{suffix}", base) if region else (base, f"{base}-{suffix}")
        for candidate in first:
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate
        n = 2
        while f"{base}-{suffix}-{n}" in self._taken:
            n += 1
        slug = f"{base}-{suffix}-{n}"
        self._taken.add(slug)
        return slug


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if -limit <= value <= limit else None
