"""Admin use cases: rights, corrections with an audit trail, aliases and new catalogue names."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.dates import PartialDate
from bot.domain.entry import read_date, read_topics, resolve_goods, split_goods
from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.i18n import N_
from bot.domain.matching import Entry
from bot.domain.records import parse_goods, price_record_from_row, trade_report_from_row
from bot.domain.text import compact, normalize, script_of
from bot.rendering.html import QUOTE_LIMIT, bound_quotes, esc, esc_short, shorten_text
from bot.rendering.replies import Reply
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.records import price_row, trade_report_row
from db import repo
from db.models import Commodity, Market, PriceObservation, TradeReport, TradeReportCommodity
from db.repo.editing import market_id_by_slug
from db.repo.users import user_role

logger = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(hours=24)
# /edit field -> the import column it changes.
EDITABLE = {
    "price": "price",
    "currency": "currency",
    "unit": "unit",
    "date": "date",
    "grade": "grade",
    "source": "source",
    "url": "source_url",
    "rel": "reliability",
    "reliability": "reliability",
    "note": "note",
    "type": "pricetype",
    "reported": "reported_date",
    "via": "via",
    "via_url": "via_url",
    "inferred": "date_inferred",
    "order": "report_order",
}
# /edit rID field -> the report column it changes.
REPORT_EDITABLE = {
    "date": "date",
    "place": "place",
    "topics": "topics",
    "topic": "topics",
    "border": "border_status",
    "direction": "direction",
    "channel": "channel",
    "market": "market_activity",
    "goods": "commodities",
    "enforcement": "enforcement",
    "summary": "summary",
    "source": "source",
    "url": "source_url",
    "rel": "reliability",
    "reliability": "reliability",
}
# `/edit r7 url -` empties an optional field of a report.
CLEAR = "-"
REPORT_FIELDS_HELP = N_(
    "You can edit in a report: {fields}, e.g. /edit r7 border open; "
    "/edit r7 url - empties an optional field."
)
_QUOTES = "\"'“”„‟‘’‚‛«»"
_SNIPPET = 60
_LANG_OF_SCRIPT = {"latin": "en", "hangul": "ko", "han": "zh"}
# Editors' tools answer in English; this refusal is not yet in the Korean catalogue (bot/i18n).
ALIAS_HOLDS_PLACE = (
    "“{alias}” contains the place name “{place}” ({other}): a question with it would ask "
    "about that place. Nothing was added; choose an alias without a place name."
)
# /audit: each value at most AUDIT_VALUE, each line at most AUDIT_LINE UTF-16 code units.
AUDIT_VALUE = 120
AUDIT_LINE = 500
# /undo of an article's batch lists this many of its entries.
_BATCH_LINES = 10


class Admin:
    """What admins can do; every mutation writes an audit row in the same transaction."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        owner_ids: frozenset[int],
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._owner_ids = owner_ids

    def is_owner(self, telegram_id: int) -> bool:
        """Tell whether a numeric Telegram id is one of the configured owners (ADMIN_IDS)."""
        return telegram_id in self._owner_ids

    # Rights

    def is_admin(self, telegram_id: int) -> bool:
        """Tell whether an id is an owner (ADMIN_IDS) or was granted admin rights."""
        if telegram_id in self._owner_ids:
            return True
        with Session(self._engine) as session:
            return user_role(session, telegram_id=telegram_id) == "admin"

    def all_admin_ids(self) -> list[int]:
        """Return owners and granted admins, for their command menus."""
        with Session(self._engine) as session:
            granted = repo.admin_ids(session)
        return sorted({*self._owner_ids, *granted})

    def set_admin(self, *, owner_id: int, target: str, grant: bool) -> tuple[Reply, int]:
        """Grant or revoke admin rights by numeric id; only owners may."""
        if owner_id not in self._owner_ids:
            raise InvalidInput("Only owners (ADMIN_IDS) can grant or revoke admin rights.")
        if not re.fullmatch(r"\d{1,15}", target.strip()):
            raise InvalidInput("Give the numeric Telegram id: /grant 123456789.")
        target_id = int(target)
        if target_id in self._owner_ids:
            raise InvalidInput("That id is an owner; owners are set in ADMIN_IDS.")
        role = "admin" if grant else "user"
        with Session(self._engine) as session:
            before, _ = repo.set_role(session, telegram_id=target_id, role=role, now=self._clock())
            repo.add_audit(
                session,
                actor_id=owner_id,
                action="grant" if grant else "revoke",
                entity="chatuser",
                entity_id=str(target_id),
                before={"role": before},
                after={"role": role},
                now=self._clock(),
            )
            session.commit()
        text = f"{target_id} is now an admin." if grant else f"{target_id} is no longer an admin."
        return Reply(text=esc(text)), target_id

    # Corrections

    def mine(self, *, admin_id: int) -> Reply:
        """List my newest entries with their ids."""
        with Session(self._engine) as session:
            rows = repo.entries_by(session, telegram_id=admin_id, limit=15)
        if not rows:
            return Reply(text="You have not entered anything yet.")
        lines = ["<b>Your latest entries</b>"]
        for row in rows:
            lines.append(self._describe(row))
        lines.append(
            "\n/undo reverts the newest (within 24 hours); /delete ID and /edit ID FIELD VALUE change any."
        )
        return Reply(text="\n".join(lines))

    def _describe(self, row: PriceObservation | TradeReport) -> str:
        labels = self._catalogue.current
        when = row.created_at.strftime("%Y-%m-%d %H:%M")
        if isinstance(row, PriceObservation):
            figure = (
                f"{row.price_low:g}"
                if row.price_low == row.price_high
                else f"{row.price_low:g}-{row.price_high:g}"
            )
            return esc(
                f"#{row.id} {labels.commodity_labels[row.commodity_id].en}, "
                f"{labels.market_labels[row.market_id].en}: {figure} {row.currency}/{row.unit} "
                f"({row.source_name}) · {when}"
            )
        observed = PartialDate(row.observed_on, row.observed_precision).iso() or "undated"
        topics = f" ({', '.join(row.topics)})" if row.topics else ""
        return esc(
            f"r{row.id} {labels.market_labels[row.market_id].en}, {observed}{topics}: "
            f"{_first_words(row.summary)} · {when}"
        )

    def undo(self, *, admin_id: int) -> Reply:
        """Soft-delete my newest entry if it is less than 24 hours old."""
        with Session(self._engine) as session:
            rows = repo.entries_by(session, telegram_id=admin_id, limit=1)
            if not rows:
                raise NotFound("There is nothing of yours to undo.")
            row = rows[0]
            if self._clock() - row.created_at > UNDO_WINDOW:
                raise InvalidInput(
                    "Your last entry is more than 24 hours old; use /delete ID instead."
                )
            batch = _batch_of(session, row, admin_id=admin_id)
            if batch:
                return self._undo_batch(session, batch, admin_id=admin_id)
            self._soft_delete(session, row, actor_id=admin_id, action="undo")
            session.commit()
            return Reply(text="Undone: " + self._describe(row))

    def _undo_batch(
        self, session: Session, batch: list[PriceObservation | TradeReport], *, admin_id: int
    ) -> Reply:
        """Soft-delete every live row of one article's batch (saved together from a review)."""
        for row in batch:
            self._soft_delete(session, row, actor_id=admin_id, action="undo")
        session.commit()
        figures = sum(isinstance(row, PriceObservation) for row in batch)
        reports = len(batch) - figures
        counted = [
            *([f"{figures} figure{'s' if figures != 1 else ''}"] if figures else []),
            *([f"{reports} report{'s' if reports != 1 else ''}"] if reports else []),
        ]
        lines = [f"Undone: the article's batch of {len(batch)} entries ({', '.join(counted)})."]
        lines += [self._describe(row) for row in batch[:_BATCH_LINES]]
        if len(batch) > _BATCH_LINES:
            lines.append(f"…and {len(batch) - _BATCH_LINES} more.")
        return Reply(text="\n".join(lines))

    def delete(self, *, admin_id: int, ident: str) -> Reply:
        """Soft-delete a figure (#ID) or a report (rID)."""
        with Session(self._engine) as session:
            row = self._find(session, ident)
            self._soft_delete(session, row, actor_id=admin_id, action="delete")
            session.commit()
            return Reply(
                text="Deleted: "
                + self._describe(row)
                + "\nIt no longer appears in answers or digests."
            )

    def _find(self, session: Session, ident: str) -> PriceObservation | TradeReport:
        raw = ident.strip().lstrip("#")
        is_report = raw[:1].lower() == "r"
        if is_report:
            raw = raw[1:]
        if not raw.isdigit() or len(raw) > 12:
            raise InvalidInput("Give the id shown by /mine, e.g. /delete 123 (or r7 for a report).")
        row: PriceObservation | TradeReport | None = (
            session.get(TradeReport, int(raw))
            if is_report
            else session.get(PriceObservation, int(raw))
        )
        if row is None or row.deleted_at is not None:
            raise NotFound(
                "No entry #{ident} (it may already be deleted).",
                ident=f"r{raw}" if is_report else raw,
            )
        return row

    def _soft_delete(
        self, session: Session, row: PriceObservation | TradeReport, *, actor_id: int, action: str
    ) -> None:
        now = self._clock()
        row.deleted_at = now
        entity = "priceobservation" if isinstance(row, PriceObservation) else "tradereport"
        repo.add_audit(
            session,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=str(row.id),
            before={"deleted_at": None},
            after={"deleted_at": now.isoformat()},
            now=now,
        )

    def edit(self, *, admin_id: int, args: list[str]) -> Reply:
        """Change one field of a figure (#ID) or a report (rID), re-validating the whole entry."""
        try:
            return self._edit(admin_id=admin_id, args=args)
        except DomainError as exc:
            # A refused value is quoted back; a long one only in part.
            raise bound_quotes(exc) from None

    def _edit(self, *, admin_id: int, args: list[str]) -> Reply:
        if len(args) < 3 and args and _is_report_id(args[0]):
            raise InvalidInput(REPORT_FIELDS_HELP, fields=", ".join(sorted(REPORT_EDITABLE)))
        if len(args) < 3:
            raise InvalidInput(
                "Use /edit ID FIELD VALUE, e.g. /edit 123 price 500-1200. Fields: {fields}.",
                fields=", ".join(sorted(EDITABLE)),
            )
        ident, field_name, value = args[0], args[1].lower(), " ".join(args[2:])
        if _is_report_id(ident):
            return self._edit_report(admin_id=admin_id, ident=ident, field=field_name, value=value)
        if field_name not in EDITABLE:
            raise InvalidInput("You can edit: {fields}.", fields=", ".join(sorted(EDITABLE)))
        with Session(self._engine) as session:
            row = self._find(session, ident)
            assert isinstance(row, PriceObservation)  # a report's id starts with r
            before = row_fields(row, self._catalogue.current)
            fields = dict(before)
            fields[EDITABLE[field_name]] = value
            if field_name == "price":
                fields["price_low"] = fields["price_high"] = ""
            record = price_record_from_row(fields, today=self._clock().date())
            fresh = price_row(
                record, self._catalogue.current, entered_by=row.entered_by, now=row.created_at
            )
            if fresh.natural_key != row.natural_key and repo.price_exists(
                session, natural_key=fresh.natural_key
            ):
                raise InvalidInput(
                    "An identical figure is already stored; delete this one instead."
                )
            for key, val in fresh.model_dump(
                exclude={"id", "created_at", "entered_by", "deleted_at"}
            ).items():
                setattr(row, key, val)
            after = row_fields(row, self._catalogue.current)
            repo.add_audit(
                session,
                actor_id=admin_id,
                action="update",
                entity="priceobservation",
                entity_id=str(row.id),
                before=_diff(before, after),
                after=_diff(after, before),
                now=self._clock(),
            )
            session.commit()
            return Reply(text="Updated: " + self._describe(row))

    def _edit_report(self, *, admin_id: int, ident: str, field: str, value: str) -> Reply:
        """Change one field of a report, re-validating the whole report and relinking its goods."""
        if field not in REPORT_EDITABLE:
            raise InvalidInput(REPORT_FIELDS_HELP, fields=", ".join(sorted(REPORT_EDITABLE)))
        catalogue, today = self._catalogue.current, self._clock().date()
        column = REPORT_EDITABLE[field]
        with Session(self._engine) as session:
            row = self._find(session, ident)
            assert isinstance(row, TradeReport) and row.id is not None
            before = report_fields(row, catalogue)
            fields = dict(before)
            fields[column] = _report_value(column, value, catalogue, today=today)
            record = trade_report_from_row(fields, today=today)
            fresh, goods = trade_report_row(
                record, catalogue, entered_by=row.entered_by, now=row.created_at
            )
            if fresh.natural_key != row.natural_key and repo.trade_report_exists(
                session, natural_key=fresh.natural_key
            ):
                raise InvalidInput(
                    "An identical report is already stored; delete this one instead."
                )
            for key, val in fresh.model_dump(
                exclude={"id", "created_at", "entered_by", "deleted_at", "reported_on"}
            ).items():
                setattr(row, key, val)
            _relink_goods(session, report_id=row.id, commodity_ids=goods)
            after = report_fields(row, catalogue)
            repo.add_audit(
                session,
                actor_id=admin_id,
                action="update",
                entity="tradereport",
                entity_id=str(row.id),
                before=_diff(before, after),
                after=_diff(after, before),
                now=self._clock(),
            )
            session.commit()
            return Reply(text="Updated: " + self._describe(row))

    def audit(self) -> Reply:
        """Show the newest audit rows."""
        with Session(self._engine) as session:
            rows = repo.recent_audit(session, limit=20)
        if not rows:
            return Reply(text="The audit log is empty.")
        lines = ["<b>Audit log</b> (newest first)"]
        for row in rows:
            change = ""
            if row.before or row.after:
                change = f": {_short_values(row.before)} → {_short_values(row.after)}"
            # Shortened as plain text, then escaped: a cut in escaped text could split "&amp;".
            line = (
                f"{row.created_at:%Y-%m-%d %H:%M} {row.actor_id} {row.action} {row.entity} "
                f"{row.entity_id or ''}{change}"
            )
            lines.append(esc_short(line, AUDIT_LINE))
        return Reply(text="\n".join(lines))

    # Names

    def add_alias(self, *, admin_id: int, args: list[str]) -> Reply:
        """Add another name to a commodity: /alias <commodity> <alias>."""
        text = " ".join(args).strip()
        if "=" in text:
            name, alias = (part.strip() for part in text.split("=", 1))
        elif len(args) >= 2:
            name, alias = args[0], " ".join(args[1:])
        else:
            raise InvalidInput(
                "Use /alias COMMODITY ALIAS, e.g. /alias lingzhi 靈芝 (or /alias wild ginseng = 산삼)."
            )
        catalogue = self._catalogue.current
        hits = catalogue.commodities.exact(name)
        if len(hits) != 1:
            raise NotFound(
                "“{name}” is not exactly one commodity; use its English name or slug.",
                name=shorten_text(name, QUOTE_LIMIT),
            )
        entry = hits[0]
        key = compact(alias)
        if not key or len(alias) > 120:
            raise InvalidInput("The alias must be 1-120 characters.")
        # A question is read for a commodity and a place: an alias that is already a name, or
        # that holds a place, would take those questions from what they ask about.
        taken = [*catalogue.commodities.exact(alias), *catalogue.markets.exact(alias)]
        if taken:
            raise InvalidInput(
                "“{alias}” already names {other}.", alias=alias, other=taken[0].display
            )
        place = _place_in(alias, catalogue)
        if place is not None:
            raise InvalidInput(
                ALIAS_HOLDS_PLACE, alias=alias, place=place[1], other=place[0].display
            )
        with Session(self._engine) as session:
            repo.add_alias(
                session,
                kind="commodity",
                owner_id=entry.id,
                text=alias,
                lang=_LANG_OF_SCRIPT[script_of(key)],
                normalized=key,
            )
            repo.add_audit(
                session,
                actor_id=admin_id,
                action="create",
                entity="commodityalias",
                entity_id=str(entry.id),
                before=None,
                after={"alias": alias},
                now=self._clock(),
            )
            session.commit()
        self._catalogue.reload()
        return Reply(text=esc(f"“{alias}” now means {entry.display}."))

    def create_name(self, *, admin_id: int, kind: str, text: str) -> int:
        """Create a commodity or a place from a name nothing matched; return its id."""
        name = " ".join(text.split())
        key = compact(name)
        if not key or len(name) > 120:
            raise InvalidInput("A new name must be 1-120 characters.")
        if self._catalogue.current.commodities.exact(name) or self._catalogue.current.markets.exact(
            name
        ):
            raise InvalidInput("“{name}” already exists.", name=name)
        script = script_of(key)
        ascii_slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        slug = (
            ascii_slug
            if script == "latin" and ascii_slug
            else f"{kind}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        )
        names: dict[str, Any] = {
            "name_en": name,
            "name_ko": name if script == "hangul" else None,
            "name_zh": name if script == "han" else None,
        }
        now = self._clock()
        with Session(self._engine) as session:
            if kind == "commodity":
                row: Commodity | Market = repo.create_commodity(
                    session,
                    values={
                        "slug": slug,
                        "category": "uncategorised",
                        "default_unit": "kg",
                        **names,
                    },
                    aliases=[(name, _LANG_OF_SCRIPT[script], key)],
                    now=now,
                )
            else:
                country_id = market_id_by_slug(session, slug="north-korea")
                row = repo.create_market(
                    session,
                    values={
                        "slug": slug,
                        "kind": "city",
                        "parent_id": country_id,
                        **names,
                    },
                    aliases=[(name, _LANG_OF_SCRIPT[script], key)],
                    now=now,
                )
            repo.add_audit(
                session,
                actor_id=admin_id,
                action="create",
                entity=kind,
                entity_id=slug,
                before=None,
                after={"name": name},
                now=now,
            )
            session.commit()
            new_id = row.id
        self._catalogue.reload()
        assert new_id is not None
        return new_id


def _batch_of(
    session: Session, row: PriceObservation | TradeReport, *, admin_id: int
) -> list[PriceObservation | TradeReport]:
    """Return the live rows of the article batch `row` was saved in (empty: it was not).

    A batch is recorded as one audit row (action "intake") listing its figures and reports.
    """
    key = "prices" if isinstance(row, PriceObservation) else "reports"
    for audit in repo.intake_batches(session, actor_id=admin_id):
        after = audit.after or {}
        if row.id not in after.get(key, ()):
            continue
        prices = [session.get(PriceObservation, i) for i in after.get("prices", ())]
        reports = [session.get(TradeReport, i) for i in after.get("reports", ())]
        return [e for e in (*prices, *reports) if e is not None and e.deleted_at is None]
    return []


def _is_report_id(ident: str) -> bool:
    return ident.strip().lstrip("#")[:1].lower() == "r"


def _short_values(values: dict[str, Any] | None) -> dict[str, Any]:
    """An audit row's values with each text shortened (a note may be 2,000 characters)."""
    return {
        k: shorten_text(v, AUDIT_VALUE) if isinstance(v, str) else v
        for k, v in (values or {}).items()
    }


def _place_in(alias: str, catalogue: Catalogue) -> tuple[Entry, str] | None:
    """Return a place named by a word or run of words of an alias, with those words."""
    words = normalize(alias).split()
    for size in range(len(words), 0, -1):
        for start in range(len(words) - size + 1):
            piece = " ".join(words[start : start + size])
            found = catalogue.markets.exact(piece)
            if found:
                return found[0], piece
    return None


def _first_words(text: str, limit: int = _SNIPPET) -> str:
    """Return the words of a text that fit in `limit` characters, marking a cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return (flat[:limit].rsplit(" ", 1)[0] or flat[:limit]) + "…"


def _report_value(column: str, value: str, catalogue: Catalogue, *, today: date) -> str:
    """Return an /edit value for a report as the import column holds it (names resolved)."""
    raw = value.strip()
    if len(raw) > 1 and raw[0] in _QUOTES and raw[-1] in _QUOTES:
        raw = raw[1:-1].strip()
    if raw == CLEAR:
        return ""
    if column == "date":
        return read_date(raw, today=today) or raw
    if column == "place":
        if raw in catalogue.market_slugs:
            return raw
        match = catalogue.markets.resolve(raw).match
        return match.entry.slug if match is not None else raw  # else "Unknown place", closest
    if column == "topics":
        found, unknown = read_topics(raw)
        return ";".join([*found, *unknown])
    if column == "commodities":
        return ";".join(resolve_goods(parse_goods(split_goods(raw)), catalogue.commodities))
    return raw


def _relink_goods(session: Session, *, report_id: int, commodity_ids: list[int]) -> None:
    """Make a report's goods links the catalogue goods it names now."""
    links = list(
        session.exec(
            select(TradeReportCommodity).where(TradeReportCommodity.report_id == report_id)
        )
    )
    wanted = set(commodity_ids)
    for link in links:
        if link.commodity_id not in wanted:
            session.delete(link)
    for commodity_id in sorted(wanted - {link.commodity_id for link in links}):
        session.add(TradeReportCommodity(report_id=report_id, commodity_id=commodity_id))


def _diff(a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in a.items() if b.get(k) != v}


def row_fields(row: PriceObservation, catalogue: Any) -> dict[str, str]:
    """Return a stored figure as the import columns price_record_from_row validates."""
    observed = PartialDate(row.observed_on, row.observed_precision)
    price = (
        f"{row.price_low:g}"
        if row.price_low == row.price_high
        else f"{row.price_low:g}-{row.price_high:g}"
    )
    return {
        "date": observed.iso(),
        "market": next(s for s, i in catalogue.market_slugs.items() if i == row.market_id),
        "commodity": next(s for s, i in catalogue.commodity_slugs.items() if i == row.commodity_id),
        "unit": row.unit,
        "pricetype": row.price_type,
        "currency": row.currency,
        "price": price,
        "price_low": "",
        "price_high": "",
        "grade": row.grade or "",
        "source": row.source_name,
        "source_url": row.source_url or "",
        "reliability": row.reliability or "",
        "note": row.note or "",
        "reported_date": row.reported_on.isoformat() if row.reported_on else "",
        "via": row.via or "",
        "via_url": row.via_url or "",
        "date_inferred": "yes" if row.date_inferred else "",
        "report_order": str(row.report_order) if row.report_order else "",
    }


def report_fields(row: TradeReport, catalogue: Catalogue) -> dict[str, str]:
    """Return a stored report as the import columns trade_report_from_row validates."""
    return {
        "place": next(s for s, i in catalogue.market_slugs.items() if i == row.market_id),
        "date": PartialDate(row.observed_on, row.observed_precision).iso(),
        "topics": ";".join(row.topics),
        "direction": row.direction or "",
        "channel": row.channel or "",
        "border_status": row.border_status or "",
        "market_activity": row.market_activity or "",
        "enforcement": row.enforcement or "",
        "commodities": ";".join(row.goods),
        "summary": row.summary,
        "source": row.source_name,
        "source_url": row.source_url or "",
        "reliability": row.reliability or "",
    }
