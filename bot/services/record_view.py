"""Opening one record by its permanent link (`/start f_12`, `/start r_7`): the figure or report,
withdrawn or not, with the history of its edits from the audit log. Nothing here writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import links
from bot.domain.errors import NotFound
from bot.i18n import translator
from bot.rendering import record_view
from bot.rendering.replies import Reply
from bot.services.browse import report_view
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.market_figures import to_observation
from db import repo
from db.models import AuditLog, PriceObservation, TradeReport

# The audit log names a record by its table and its id (see bot/services/admin.py).
ENTITIES = {links.FIGURE: "priceobservation", links.REPORT: "tradereport"}
# The newest changes read; older ones are counted ("…and 3 earlier changes").
HISTORY_SHOWN = 10
# The goods of a report a record view names at most.
GOODS_SHOWN = 20


class RecordViews:
    """One figure or report as its permanent link shows it."""

    def __init__(self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock

    def view(self, kind: str, record_id: int, *, lang: str, bot_username: str) -> Reply:
        """Return the record `kind` (links.FIGURE or links.REPORT) `record_id` with its history;
        raise NotFound when no such record was ever stored (a withdrawn one is shown, marked)."""
        if kind not in ENTITIES:
            raise ValueError(f"no record kind {kind!r}")
        t = translator(lang)
        catalogue = self._catalogue.current
        label = f"{kind}{record_id}"
        goods: list[int] = []
        with Session(self._engine) as session:
            if kind == links.FIGURE:
                figure = repo.figure_by_id(session, figure_id=record_id)
                if figure is None:
                    raise NotFound("There is no figure {ident}.", ident=label)
                row: PriceObservation | TradeReport = figure
            else:
                report = repo.report_by_id(session, report_id=record_id)
                if report is None:
                    raise NotFound("There is no report {ident}.", ident=label)
                goods = repo.report_goods(session, report_ids=[record_id]).get(record_id, [])
                row = report
            audit, total = repo.record_history(
                session, entity=ENTITIES[kind], entity_id=record_id, limit=HISTORY_SHOWN
            )
        facts = record_view.RecordFacts(
            label=label,
            entered_at=row.created_at,
            deleted_at=row.deleted_at,
            link=links.record_link(bot_username, kind, record_id),
            changes=tuple(_change(entry) for entry in audit),
            total_changes=total,
        )
        if isinstance(row, PriceObservation):
            obs = to_observation(row, catalogue, lang=lang)
            text = record_view.figure_record(obs, facts, today=self._clock().date(), t=t)
        else:
            view = report_view(row, goods, catalogue, lang)
            view = replace(view, goods=view.goods[:GOODS_SHOWN])
            text = record_view.report_record(view, facts, reported_on=row.reported_on, t=t)
        return Reply(text=text)


def _change(entry: AuditLog) -> record_view.Change:
    """An audit row as a change: each field it names, from its value before to after."""
    before, after = entry.before or {}, entry.after or {}
    fields: tuple[tuple[str, str, str], ...] = ()
    if entry.action == "update":
        names = [*after, *(k for k in before if k not in after)]
        fields = tuple((name, _text(before.get(name)), _text(after.get(name))) for name in names)
    return record_view.Change(at=entry.created_at, action=entry.action, fields=fields)


def _text(value: Any) -> str:
    return "" if value is None else str(value)
