"""Adding figures and reports from chat: a one-line entry or a guided form, a preview, then Confirm."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.entry import (
    ReportDraft,
    draft_to_row,
    missing_fields,
    missing_report_fields,
    parse_price_entry,
    parse_report_entry,
    report_draft_to_row,
)
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.matching import Resolution
from bot.domain.records import (
    MAX_SUMMARY,
    TradeReportRecord,
    price_record_from_row,
    trade_report_from_row,
)
from bot.rendering import browse
from bot.rendering.html import esc, esc_short
from bot.rendering.preview import render_preview
from bot.rendering.replies import Button, Reply
from bot.services.admin import Admin
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.condition_alerts import ConditionAlerts
from bot.services.pending import Pending, PendingStore
from bot.services.price_alerts import PriceAlerts
from bot.services.records import price_row, trade_report_row
from db import repo

logger = logging.getLogger(__name__)
ADDPRICE_EXAMPLE = (
    '<code>/addprice lingzhi hyesan 500-1200 CNY/kg 2024-11 grade:"good quality" '
    'source:"Daily NK" url:https://... rel:B2</code>'
)
ADDREPORT_EXAMPLE = (
    "<code>/addreport sinuiju 2025-09 border transport border:partially-open channel:truck "
    'goods:"rice;sugar" "Trucks crossed the Friendship Bridge again after a month." '
    'source:"Daily NK" url:https://www.dailynk.com/... rel:B3</code>'
)
MISSING_REPORT_FIELDS = (
    "Missing: {fields}. Add them to the line, e.g.\n"
    + ADDREPORT_EXAMPLE
    + "\nor send /addreport alone for a guided entry."
)


class Entries:
    """Drafts that become rows only when their admin taps Confirm."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        pending: PendingStore,
        names: Admin,
        alerts: PriceAlerts,
        condition_alerts: ConditionAlerts,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._store = pending
        self._names = names
        self._alerts = alerts
        self._condition_alerts = condition_alerts

    # One-line price entry

    def price_from_line(self, *, admin_id: int, text: str) -> Reply:
        """Parse `/addprice ...`, settle unclear names with buttons, then preview."""
        catalogue = self._catalogue.current
        draft = parse_price_entry(
            text,
            commodities=catalogue.commodities,
            markets=catalogue.markets,
            today=self._clock().date(),
        )
        if draft.problems:
            problems = "\n".join(draft.problems)
            raise InvalidInput(problems)
        pending = self._store.add(
            admin_id=admin_id,
            kind="price",
            data={"draft": draft, "commodity_id": None, "market_id": None},
        )
        return self._saved(pending, self._advance(pending))

    def _saved(self, pending: Pending, reply: Reply) -> Reply:
        """Write the step back (any process reads it next) and return the reply."""
        self._store.save(pending)
        return reply

    def _advance(self, pending: Pending) -> Reply:
        draft = pending.data["draft"]
        for what, key, text, resolution in (
            ("c", "commodity_id", draft.commodity_text, draft.commodity),
            ("m", "market_id", draft.market_text, draft.market),
        ):
            if pending.data[key] is not None:
                continue
            if resolution is not None and resolution.match is not None:
                pending.data[key] = resolution.match.entry.id
                continue
            if not text:
                self._store.pop(pending.token, admin_id=pending.admin_id)
                name = "commodity" if what == "c" else "market"
                raise InvalidInput(
                    f"The {name} is missing. Example: " + ADDPRICE_EXAMPLE, is_html=True
                )
            return self._ask_name(pending, what, text, resolution)
        missing = [f for f in missing_fields(draft) if f not in ("commodity", "market")]
        if missing:
            self._store.pop(pending.token, admin_id=pending.admin_id)
            raise InvalidInput(
                "Missing: {fields}. Add them to the line, or send /addprice alone for a guided entry.",
                fields=", ".join(missing),
            )
        catalogue = self._catalogue.current
        commodity_slug = _slug(catalogue.commodity_slugs, pending.data["commodity_id"])
        market_slug = _slug(catalogue.market_slugs, pending.data["market_id"])
        row = draft_to_row(draft, commodity_slug=commodity_slug, market_slug=market_slug)
        return self._preview_price(pending, row)

    # One-line report entry

    def report_from_line(self, *, admin_id: int, text: str) -> Reply:
        """Parse `/addreport ...`, settle an unclear place with buttons, then preview."""
        catalogue = self._catalogue.current
        draft = parse_report_entry(
            text,
            markets=catalogue.markets,
            commodities=catalogue.commodities,
            today=self._clock().date(),
        )
        missing = missing_report_fields(draft)
        if draft.problems or missing:
            parts = ["{problems}"] if draft.problems else []
            parts += [MISSING_REPORT_FIELDS] if missing else []
            template = "\n".join(parts)
            raise InvalidInput(
                template,
                is_html=True,
                problems="\n".join(draft.problems),
                fields=", ".join(missing),
            )
        pending = self._store.add(
            admin_id=admin_id, kind="report", data={"draft": draft, "market_id": None}
        )
        return self._saved(pending, self._advance_report(pending))

    def _advance_report(self, pending: Pending) -> Reply:
        draft: ReportDraft = pending.data["draft"]
        if pending.data.get("market_id") is None:
            if draft.place is not None and draft.place.match is not None:
                pending.data["market_id"] = draft.place.match.entry.id
            else:
                return self._ask_name(pending, "m", draft.place_text or "", draft.place)
        place_slug = _slug(self._catalogue.current.market_slugs, pending.data["market_id"])
        row = report_draft_to_row(draft, place_slug=place_slug)
        try:
            record = trade_report_from_row(row, today=self._clock().date())
            report, _ = trade_report_row(
                record, self._catalogue.current, entered_by=pending.admin_id, now=self._clock()
            )
        except (InvalidInput, NotFound):
            self._store.pop(pending.token, admin_id=pending.admin_id)
            raise
        with Session(self._engine) as session:
            if repo.trade_report_exists(session, natural_key=report.natural_key):
                self._store.pop(pending.token, admin_id=pending.admin_id)
                raise InvalidInput("This report is already stored; nothing was added.")
        return self.preview_report(pending, row)

    def _preview_price(self, pending: Pending, row: dict[str, str]) -> Reply:
        try:
            record = price_record_from_row(row, today=self._clock().date())
        except InvalidInput:
            self._store.pop(pending.token, admin_id=pending.admin_id)
            raise
        observation = price_row(
            record, self._catalogue.current, entered_by=pending.admin_id, now=self._clock()
        )
        with Session(self._engine) as session:
            if repo.price_exists(session, natural_key=observation.natural_key):
                self._store.pop(pending.token, admin_id=pending.admin_id)
                raise InvalidInput(
                    "This figure is already stored (same commodity, market, date, price and source)."
                )
        pending.kind = "price"
        pending.data["row"] = row
        labels = self._catalogue.current
        preview = render_preview(
            record,
            commodity=labels.commodity_labels[observation.commodity_id].en,
            market=labels.market_labels[observation.market_id].en,
        )
        return _confirm(pending, "<b>Check and confirm</b>\n" + preview)

    def _ask_name(
        self, pending: Pending, what: str, text: str, resolution: Resolution | None
    ) -> Reply:
        catalogue = self._catalogue.current
        labels = catalogue.commodity_labels if what == "c" else catalogue.market_labels
        name = "commodity" if what == "c" else "market"
        candidates = resolution.candidates if resolution is not None else ()
        rows = [
            (
                Button(
                    labels[c.entry.id].en, callbacks.encode("pick", pending.token, what, c.entry.id)
                ),
            )
            for c in candidates[:5]
        ]
        rows.append(
            (Button(f"➕ New {name} “{text[:30]}”", callbacks.encode("new", pending.token, what)),)
        )
        rows.append((Button("✖️ Cancel", callbacks.encode("no", pending.token)),))
        pending.data[f"{what}_text"] = text
        question = (
            f"Which {name} is “{esc_short(text, 100)}”?"
            if candidates
            else f"I know no {name} called “{esc_short(text, 100)}”."
        )
        return Reply(text=question, buttons=tuple(rows))

    def pick(self, *, admin_id: int, token: str, what: str, entry_id: int | None) -> Reply:
        """Settle a name with the button the admin tapped, then go on."""
        pending = self._pending(token, admin_id)
        labels = (
            self._catalogue.current.commodity_labels
            if what == "c"
            else self._catalogue.current.market_labels
        )
        if entry_id not in labels:
            raise InvalidInput("This button is no longer valid.")
        pending.data["commodity_id" if what == "c" else "market_id"] = entry_id
        return self._continue(pending)

    def create(self, *, admin_id: int, token: str, what: str) -> Reply:
        """Create the name nothing matched (with it as an alias), then go on."""
        pending = self._pending(token, admin_id)
        text = pending.data.get(f"{what}_text")
        if not text or what not in ("c", "m"):
            raise InvalidInput("This button is no longer valid.")
        new_id = self._names.create_name(
            admin_id=admin_id, kind="commodity" if what == "c" else "market", text=text
        )
        pending.data["commodity_id" if what == "c" else "market_id"] = new_id
        pending.data.setdefault("created", []).append(text)
        return self._continue(pending)

    def _continue(self, pending: Pending) -> Reply:
        # Name buttons come only from one-line entries; a guided form settles names itself.
        if pending.kind == "report":
            return self._saved(pending, self._advance_report(pending))
        return self._saved(pending, self._advance(pending))

    def _pending(self, token: str, admin_id: int) -> Pending:
        pending = self._store.get(token, admin_id=admin_id)
        if pending is None:
            raise NotFound("This entry has expired or was already handled; nothing was saved.")
        return pending

    # Confirm or cancel

    def confirm(self, *, admin_id: int, token: str) -> Reply:
        """Write the previewed entry (only Confirm writes), with its audit row.

        Two editors may confirm the same figure at once: both find it new, one insert wins and
        the other meets the unique natural key; that one is told it is already stored.
        """
        # The step leaves in the entry's own transaction: saved and gone, or neither; of two
        # processes confirming it at once, only the one that deletes the step writes.
        pending = self._store.get(token, admin_id=admin_id)
        if pending is None or "row" not in pending.data:
            raise NotFound("This entry has expired or was already handled; nothing was saved.")
        try:
            entity, ident, entity_id = self._write(pending, admin_id=admin_id)
        except InvalidInput:
            self._store.discard(token, admin_id=admin_id)
            raise
        logger.info("Admin %s added %s %s", admin_id, entity, ident)
        if entity == "priceobservation":
            self._alerts.prices_added([entity_id])
        else:
            self._condition_alerts.reports_added([entity_id])
        return Reply(text=f"✅ Saved as {ident}. /undo reverts it within 24 hours.")

    def _write(self, pending: Pending, *, admin_id: int) -> tuple[str, str, int]:
        """Store the pending row, its audit row and the end of its marker in one transaction;
        return the entity, the id as shown and the new row's id."""
        now = self._clock()
        is_price = pending.kind in ("price", "form-price")
        with Session(self._engine) as session:
            try:
                if is_price:
                    record = price_record_from_row(pending.data["row"], today=now.date())
                    row = price_row(record, self._catalogue.current, entered_by=admin_id, now=now)
                    key = row.natural_key
                    if repo.price_exists(session, natural_key=key):
                        raise _already_stored(is_price)
                    repo.add_price(session, observation=row)
                    session.flush()
                    entity, ident, entity_id = "priceobservation", f"#{row.id}", row.id
                    after = {k: v for k, v in pending.data["row"].items() if v}
                else:
                    report_record = trade_report_from_row(pending.data["row"], today=now.date())
                    report, goods = trade_report_row(
                        report_record, self._catalogue.current, entered_by=admin_id, now=now
                    )
                    key = report.natural_key
                    if repo.trade_report_exists(session, natural_key=key):
                        raise _already_stored(is_price)
                    repo.add_trade_report(session, report=report, commodity_ids=goods)
                    entity, ident, entity_id = "tradereport", f"r{report.id}", report.id
                    after = {k: v[:200] for k, v in pending.data["row"].items() if v}
                assert entity_id is not None
                repo.add_audit(
                    session,
                    actor_id=admin_id,
                    action="create",
                    entity=entity,
                    entity_id=str(entity_id),
                    before=None,
                    after=after,
                    now=now,
                )
                if not self._store.take(session, pending):
                    session.rollback()
                    raise NotFound(
                        "This entry has expired or was already handled; nothing was saved."
                    )
                session.commit()
            except IntegrityError:
                # The other editor's insert came between our check and ours: the same figure
                # is stored now. Any other violation is a real error.
                session.rollback()
                exists = repo.price_exists if is_price else repo.trade_report_exists
                if not exists(session, natural_key=key):
                    raise
                logger.info("Admin %s confirmed an entry stored meanwhile (%s)", admin_id, key)
                raise _already_stored(is_price) from None
        return entity, ident, entity_id

    def cancel(self, *, admin_id: int, token: str) -> Reply:
        """Drop a pending entry; say so when a name created for it stays in the catalogue."""
        pending = self._store.pop(token, admin_id=admin_id)
        created = pending.data.get("created", []) if pending is not None else []
        if created:
            names = ", ".join(f"“{esc(name)}”" for name in created)
            what = "report" if pending is not None and pending.kind == "report" else "figure"
            return Reply(
                text=f"Cancelled; the {what} was not saved. The new name {names} stays in the "
                "catalogue (/audit shows it; /alias adds other names to it)."
            )
        return Reply(text="Cancelled; nothing was saved.")

    # Reports (from the guided form)

    def preview_report(self, pending: Pending, row: dict[str, str]) -> Reply:
        """Validate a report row and show it with Confirm / Cancel."""
        try:
            record = trade_report_from_row(row, today=self._clock().date())
            trade_report_row(
                record, self._catalogue.current, entered_by=pending.admin_id, now=self._clock()
            )
        except InvalidInput:
            self._store.pop(pending.token, admin_id=pending.admin_id)
            raise
        pending.data["row"] = row
        return _confirm(
            pending, "<b>Check and confirm</b>\n" + report_preview(record, self._catalogue.current)
        )

    def preview_form_price(self, pending: Pending, row: dict[str, str]) -> Reply:
        """Validate a price row from the guided form and show it with Confirm / Cancel."""
        return self._preview_price(pending, row)


def report_preview(record: TradeReportRecord, catalogue: Catalogue) -> str:
    """Render a report as it will be stored."""
    place = catalogue.markets.exact(record.place)
    goods = []
    for text in record.commodities:
        hits = catalogue.commodities.exact(text)
        goods.append(hits[0].display if hits else text)
    view = browse.ReportView(
        place=place[0].display if place else record.place,
        observed=record.observed,
        topics=record.topics,
        direction=record.direction,
        channel=record.channel,
        border_status=record.border_status,
        market_activity=record.market_activity,
        enforcement=record.enforcement,
        goods=tuple(goods),
        summary=record.summary,
        source_name=record.source_name,
        source_url=record.source_url,
        reliability=record.reliability,
    )
    return browse.report_block(view, summary_limit=MAX_SUMMARY)


def _already_stored(is_price: bool) -> InvalidInput:
    if is_price:
        return InvalidInput("This figure is already stored; nothing was added.")
    return InvalidInput("This report is already stored; nothing was added.")


def _confirm(pending: Pending, text: str) -> Reply:
    buttons = (
        (
            Button("✅ Confirm", callbacks.encode("ok", pending.token)),
            Button("✖️ Cancel", callbacks.encode("no", pending.token)),
        ),
    )
    return Reply(text=text, buttons=buttons)


def _slug(slugs: dict[str, int], ident: Any) -> str:
    return next(slug for slug, i in slugs.items() if i == ident)
