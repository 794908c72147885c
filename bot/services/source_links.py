"""Entries a feed created under a publisher's names, and linking one to an existing entry.

A WFP file's market or commodity the catalogue did not know is created under WFP's name (see
bot.services.wfp). An editor who knows it is an entry the catalogue has ("Rice (low quality)" is
rice; "Yangon" the city is the place already there) links the two: in one transaction the
created entry's figures (and reports, and places inside it) move to the existing one, its names
become the existing one's aliases, WFP's codes point at the existing one (so the next file's rows
land there), and the created entry is deleted. A moved figure gets the natural key it would have
had under the existing entry; one the existing entry already has is dropped, not doubled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.records import price_natural_key
from bot.domain.text import compact
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.records import resolve_exactly
from bot.services.wfp import SYSTEM
from db import repo
from db.models import (
    AlertState,
    Commodity,
    CommodityAlias,
    Market,
    MarketAlias,
    PriceObservation,
    SourceCode,
    TradeReport,
    TradeReportCommodity,
)
from db.repo import feeds as feed_repo

__all__ = ["LINK_USAGE", "Linked", "SourceLinks", "Unlinked"]

logger = logging.getLogger(__name__)
LINK_USAGE = (
    "Link an entry a feed created to the catalogue's own: <code>/link commodity "
    "rice-low-quality rice</code> or <code>/link place yangon-mm yangon</code>. /link alone "
    "lists the entries waiting."
)
KINDS = {"commodity": "commodity", "place": "market", "market": "market"}


@dataclass(frozen=True)
class Unlinked:
    """A created entry waiting for an editor: its kind, slug, publisher's name, figures."""

    kind: str  # commodity, place
    slug: str
    name: str
    figures: int


@dataclass(frozen=True)
class Linked:
    """What a link did."""

    kind: str
    source: str
    target: str
    moved: int
    dropped: int


class SourceLinks:
    """The entries feeds created, and links of them to existing entries."""

    def __init__(self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock

    def unlinked(self) -> list[Unlinked]:
        """Created commodities and markets (not regions or countries) still under WFP's names."""
        with Session(self._engine) as session:
            codes = feed_repo.unlinked_codes(session, system=SYSTEM)
            found: dict[tuple[str, int], str] = {}
            for code in codes:
                if code.kind in ("commodity", "market"):
                    found.setdefault((code.kind, code.entity_id), code.name)
            out = []
            for (kind, ident), name in found.items():
                row: Commodity | Market | None = (
                    session.get(Commodity, ident) if kind == "commodity"
                    else session.get(Market, ident)
                )  # fmt: skip
                if row is None:
                    continue
                column = (
                    PriceObservation.commodity_id if kind == "commodity"
                    else PriceObservation.market_id
                )  # fmt: skip
                count = session.execute(
                    select(func.count()).where(
                        col(column) == ident, col(PriceObservation.deleted_at).is_(None)
                    )
                ).scalar_one()
                out.append(
                    Unlinked("commodity" if kind == "commodity" else "place", row.slug, name, count)
                )
        return sorted(out, key=lambda u: (u.kind, u.name.casefold()))

    def link(self, *, kind: str, slug: str, target: str, admin_id: int) -> Linked:
        """Link the created entry `slug` to the existing entry named `target`."""
        table = KINDS.get(kind.strip().lower())
        if table is None:
            raise InvalidInput(LINK_USAGE, is_html=True)
        catalogue = self._catalogue.current
        resolver, slugs = (
            (catalogue.commodities, catalogue.commodity_slugs) if table == "commodity"
            else (catalogue.markets, catalogue.market_slugs)
        )  # fmt: skip
        source_id = slugs.get(slug.strip().lower())
        if source_id is None:
            raise NotFound(
                "No {kind} has the slug “{slug}”. /link lists them.", kind=kind, slug=slug
            )
        target_id, target_slug = resolve_exactly(resolver, slugs, target.strip(), table)
        if target_id == source_id:
            raise InvalidInput("That is the same entry.")
        now = self._clock()
        with Session(self._engine) as session:
            created = session.execute(
                select(col(SourceCode.code)).where(
                    col(SourceCode.system) == SYSTEM,
                    col(SourceCode.entity_id) == source_id,
                    col(SourceCode.created).is_(True),
                    col(SourceCode.kind).in_(
                        ["commodity"] if table == "commodity" else ["market", "admin1", "country"]
                    ),
                )
            ).first()
            if created is None:
                raise InvalidInput(
                    "“{slug}” was not created by a feed: only those can be linked.", slug=slug
                )
            moved, dropped = self._move(session, table, source_id, target_id, target_slug, now)
            self._names_and_codes(session, table, source_id, target_id)
            session.execute(
                delete(Commodity if table == "commodity" else Market).where(
                    (Commodity.id if table == "commodity" else Market.id) == source_id  # type: ignore[arg-type]
                )
            )
            repo.add_audit(
                session,
                actor_id=admin_id,
                action="link",
                entity=table,
                entity_id=str(target_id),
                before={"slug": slug, "id": source_id},
                after={"into": target_slug, "moved": moved, "dropped": dropped},
                now=now,
            )
            session.commit()
        self._catalogue.reload()
        logger.info("Admin %s linked %s %s to %s", admin_id, table, slug, target_slug)
        return Linked(kind, slug, target_slug, moved, dropped)

    def _move(
        self, session: Session, table: str, source: int, target: int, target_slug: str,
        now: datetime,
    ) -> tuple[int, int]:  # fmt: skip
        """Move the figures to the target with their new natural keys; drop the repeats."""
        catalogue = self._catalogue.current
        commodity_slug = {i: s for s, i in catalogue.commodity_slugs.items()}
        market_slug = {i: s for s, i in catalogue.market_slugs.items()}
        column = "commodity_id" if table == "commodity" else "market_id"
        rows = (
            session.execute(
                select(PriceObservation).where(getattr(PriceObservation, column) == source)
            )
            .scalars()
            .all()
        )
        moved = dropped = 0
        for row in rows:
            c = target if table == "commodity" else row.commodity_id
            m = target if table == "market" else row.market_id
            key = price_natural_key(
                target_slug if table == "commodity" else commodity_slug[c],
                target_slug if table == "market" else market_slug[m],
                PartialDate(row.observed_on, row.observed_precision).iso(),
                row.price_type, row.currency, row.unit, row.grade, row.price_low, row.price_high,
                row.source_name, row.source_url or row.via_url, row.note,
            )  # fmt: skip
            if repo.price_exists(session, natural_key=key):
                session.delete(row)
                dropped += 1
                continue
            setattr(row, column, target)
            row.natural_key = key
            moved += 1
        session.flush()
        if table == "commodity":
            session.execute(
                update(TradeReportCommodity)
                .where(col(TradeReportCommodity.commodity_id) == source)
                .values(commodity_id=target)
            )
        else:
            session.execute(
                update(TradeReport)
                .where(col(TradeReport.market_id) == source)
                .values(market_id=target)
            )
            session.execute(
                update(Market).where(col(Market.parent_id) == source).values(parent_id=target)
            )
        session.execute(delete(AlertState).where(getattr(AlertState, column) == source))
        return moved, dropped

    def _names_and_codes(self, session: Session, table: str, source: int, target: int) -> None:
        """The created entry's names become the target's aliases; its codes point at it."""
        if table == "commodity":
            row = session.get(Commodity, source)
            alias_model: type[CommodityAlias] | type[MarketAlias] = CommodityAlias
            owner = "commodity_id"
        else:
            row = session.get(Market, source)  # type: ignore[assignment]
            alias_model = MarketAlias
            owner = "market_id"
        assert row is not None
        existing = set(
            session.execute(
                select(col(alias_model.normalized)).where(getattr(alias_model, owner) == target)
            ).scalars()
        )
        names = [(row.name_en, "en")]
        names += [
            (a.text, a.lang)
            for a in session.execute(
                select(alias_model).where(getattr(alias_model, owner) == source)
            ).scalars()
        ]
        session.execute(delete(alias_model).where(getattr(alias_model, owner) == source))
        for text, lang in names:
            normalized = compact(text)
            if normalized and normalized not in existing:
                existing.add(normalized)
                repo.add_alias(
                    session, kind="commodity" if table == "commodity" else "market",
                    owner_id=target, text=text, lang=lang, normalized=normalized,
                )  # fmt: skip
        kinds = ["commodity"] if table == "commodity" else ["market", "admin1", "country"]
        session.execute(
            update(SourceCode)
            .where(
                col(SourceCode.system) == SYSTEM,
                col(SourceCode.entity_id) == source,
                col(SourceCode.kind).in_(kinds),
            )
            .values(entity_id=target, created=False)
        )
