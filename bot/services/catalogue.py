"""Loading the catalogue files into the database and building the in-memory name index."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.domain import places
from bot.domain.catalogue import CommoditySpec, PlaceSpec, read_commodities, read_places
from bot.domain.matching import Entry, Name, Resolver
from bot.domain.text import compact
from config.paths import COMMODITIES_CSV, PLACES_CSV
from db import repo
from db.models import Commodity, CommodityAlias, Market, MarketAlias

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """How many catalogue rows the database holds after a sync."""

    commodities: int
    places: int


def sync_catalogue(engine: Engine, *, now: datetime) -> SyncResult:
    """Upsert every commodity and place of the catalogue files, with their aliases (idempotent)."""
    commodities = read_commodities(COMMODITIES_CSV)
    places = read_places(PLACES_CSV)
    with Session(engine) as session:
        for commodity in commodities:
            repo.upsert_commodity(
                session,
                values=_commodity_values(commodity),
                aliases=_aliases(commodity.names),
                now=now,
            )
        by_slug: dict[str, Market] = {}
        for place in places:
            by_slug[place.slug] = repo.upsert_market(
                session, values=_place_values(place), aliases=_aliases(place.names), now=now
            )
        # Parents are linked after every place exists, whatever the file order.
        for place in places:
            parent = by_slug.get(place.parent) if place.parent else None
            if place.parent and parent is None:
                raise ValueError(f"places.csv: {place.slug} names unknown parent {place.parent}")
            by_slug[place.slug].parent_id = parent.id if parent else None
        session.commit()
        result = SyncResult(commodities=len(commodities), places=len(places))
    logger.info("Catalogue synced: %d commodities, %d places", result.commodities, result.places)
    return result


def catalogue_is_current(engine: Engine) -> bool:
    """True when a sync would change nothing: every commodity and place of the catalogue files
    is in the database with the files' values, parent and aliases (read only, four queries).

    Rows and aliases the editors added are not the files' business and never count.
    """
    commodities = read_commodities(COMMODITIES_CSV)
    places = read_places(PLACES_CSV)
    with Session(engine) as session:
        stored_commodities = {c.slug: (c, a) for c, a in repo.commodities_with_aliases(session)}
        stored_markets = {m.slug: (m, a) for m, a in repo.markets_with_aliases(session)}
    in_files = {place.slug for place in places}
    for commodity in commodities:
        found = stored_commodities.get(commodity.slug)
        if found is None or not _matches(
            found[0],
            {a.normalized for a in found[1]},
            _commodity_values(commodity),
            _aliases(commodity.names),
        ):
            return False
    for place in places:
        found_market = stored_markets.get(place.slug)
        if found_market is None or not _matches(
            found_market[0],
            {a.normalized for a in found_market[1]},
            _place_values(place),
            _aliases(place.names),
        ):
            return False
        parent = stored_markets.get(place.parent) if place.parent else None
        if place.parent and (parent is None or place.parent not in in_files):
            return False  # the sync links it, or says the parent is unknown
        if found_market[0].parent_id != (parent[0].id if parent else None):
            return False
    return True


def sync_catalogue_if_changed(engine: Engine, *, now: datetime) -> SyncResult | None:
    """Sync the catalogue files only when the database differs from them; None when it did not.

    Checking reads the files and the catalogue tables and writes nothing, so a start-up on a
    current database (every `jangmadang ask`) commits no transaction for the catalogue.
    """
    if catalogue_is_current(engine):
        logger.debug("Catalogue current; not synced")
        return None
    return sync_catalogue(engine, now=now)


def _commodity_values(commodity: CommoditySpec) -> dict[str, Any]:
    return {
        "slug": commodity.slug,
        "category": commodity.category,
        "default_unit": commodity.default_unit,
        "currency_code": commodity.currency_code,
        "name_en": commodity.name_en,
        "name_ko": commodity.name_ko,
        "name_zh": commodity.name_zh,
    }


def _place_values(place: PlaceSpec) -> dict[str, Any]:
    return {
        "slug": place.slug,
        "kind": place.kind,
        "country": place.country,
        "name_en": place.name_en,
        "name_ko": place.name_ko,
        "name_zh": place.name_zh,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "note": place.note,
    }


def _aliases(names: Iterable[Name]) -> list[tuple[str, str, str]]:
    """(text, lang, normalized) of each name, as the upsert stores them."""
    return [(n.text, n.lang, compact(n.text)) for n in names]


def _matches(
    row: Commodity | Market,
    stored_aliases: set[str],
    values: dict[str, Any],
    aliases: list[tuple[str, str, str]],
) -> bool:
    """True when the upsert would leave `row` as it is (same values, no alias to add)."""
    if any(getattr(row, key) != value for key, value in values.items()):
        return False
    return all(not normalized or normalized in stored_aliases for _, _, normalized in aliases)


@dataclass(frozen=True)
class Label:
    """A name in the languages the catalogue has."""

    en: str
    ko: str | None
    zh: str | None

    def in_lang(self, lang: str) -> str:
        """Return the name in `lang`, falling back to English."""
        if lang.startswith("ko") and self.ko:
            return self.ko
        if lang.startswith("zh") and self.zh:
            return self.zh
        return self.en


@dataclass(frozen=True)
class Catalogue:
    """The name index used to answer questions: resolvers plus labels and the place hierarchy."""

    commodities: Resolver
    markets: Resolver
    commodity_labels: dict[int, Label]
    market_labels: dict[int, Label]
    market_parent: dict[int, int | None]
    market_kind: dict[int, str]
    commodity_slugs: dict[str, int]
    market_slugs: dict[str, int]
    # ISO code -> commodity id of the exchange-rate series (USD, CNY, KPW).
    currency_commodities: dict[str, int]

    def market_parent_label(self, market_id: int, lang: str) -> str | None:
        """Return the name of the province a place belongs to, if it has one."""
        parent = self.market_parent.get(market_id)
        if parent is None or self.market_kind.get(parent) == "country":
            return None
        name = self.market_labels[parent].in_lang(lang)
        # "Pyongyang (directly governed city)" adds nothing after "Pyongyang".
        if name.startswith(self.market_labels[market_id].in_lang(lang)):
            return None
        return name

    def descendants(self, market_id: int) -> list[int]:
        """Return the place and every place inside it."""
        return places.descendants(self.market_parent, market_id)

    def ancestors(self, market_id: int) -> list[int]:
        """Return the places a place lies in, nearest first."""
        return places.ancestors(self.market_parent, market_id)


def load_catalogue(engine: Engine) -> Catalogue:
    """Build the name index from the database (run at start and after the catalogue changes)."""
    with Session(engine) as session:
        commodities = repo.commodities_with_aliases(session)
        markets = repo.markets_with_aliases(session)
    c_entries, c_labels, currencies = [], {}, {}
    for commodity, c_aliases in commodities:
        assert commodity.id is not None
        if commodity.currency_code:
            currencies[commodity.currency_code] = commodity.id
        c_labels[commodity.id] = Label(commodity.name_en, commodity.name_ko, commodity.name_zh)
        c_names = (Name(commodity.name_en, "en"), *(Name(a.text, a.lang) for a in c_aliases))
        c_entries.append(
            Entry(
                id=commodity.id,
                slug=commodity.slug,
                display=commodity.name_en,
                names=c_names,
                kind=commodity.category,
            )
        )
    m_entries, m_labels, parent, kind = [], {}, {}, {}
    for market, m_aliases in markets:
        assert market.id is not None
        m_labels[market.id] = Label(market.name_en, market.name_ko, market.name_zh)
        parent[market.id] = market.parent_id
        kind[market.id] = market.kind
        m_names = (Name(market.name_en, "en"), *(Name(a.text, a.lang) for a in m_aliases))
        m_entries.append(
            Entry(
                id=market.id,
                slug=market.slug,
                display=market.name_en,
                names=m_names,
                kind=market.kind,
            )
        )
    tree, cut = places.acyclic(parent)
    if cut:
        logger.error("The place tree loops or runs too deep at %s; those links are ignored", cut)
    return Catalogue(
        commodities=Resolver(c_entries),
        markets=Resolver(m_entries, parents=tree),
        commodity_labels=c_labels,
        market_labels=m_labels,
        market_parent=tree,
        market_kind=kind,
        commodity_slugs={e.slug: e.id for e in c_entries},
        market_slugs={e.slug: e.id for e in m_entries},
        currency_commodities=currencies,
    )


def catalogue_signature(engine: Engine) -> tuple[int, ...]:
    """What changes when entries or names are added, removed or linked: counts and top ids."""
    rows = (Commodity, Market, CommodityAlias, MarketAlias)
    with engine.connect() as conn:
        found = conn.execute(
            select(
                *(select(func.count()).select_from(m).scalar_subquery() for m in rows),
                *(select(func.max(col(m.id))).scalar_subquery() for m in rows),
            )
        ).one()
    return tuple(int(v or 0) for v in found)


class CatalogueStore:
    """Holds the current name index; `reload()` rebuilds it after the catalogue changed.

    Readers take `current` once per use case, so a reload never changes a name index in the middle
    of an answer.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._signature = catalogue_signature(engine)
        self._current = load_catalogue(engine)

    @property
    def current(self) -> Catalogue:
        """Return the name index as of the last load."""
        return self._current

    def reload(self) -> Catalogue:
        """Rebuild the name index from the database and return it."""
        self._signature = catalogue_signature(self._engine)
        self._current = load_catalogue(self._engine)
        return self._current

    def reload_if_changed(self) -> bool:
        """Rebuild the name index when another process changed the catalogue (a feed's check
        in a shell, an editor's /link on another replica); True when it did. Four aggregates."""
        if catalogue_signature(self._engine) == self._signature:
            return False
        self.reload()
        return True
