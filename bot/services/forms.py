"""Guided entry: one question at a time with suggestion buttons, ending in a preview (the
questions themselves are in form_steps)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.errors import DomainError
from bot.rendering.html import bound_quotes, esc
from bot.rendering.replies import Button, Reply
from bot.services.admin import Admin
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.entries import Entries
from bot.services.form_steps import (
    PRICE_STEPS,
    REPORT_STEPS,
    SKIP,
    Step,
    price_row,
    report_row,
)
from bot.services.pending import Pending, PendingStore
from db import repo
from db.repo.editing import recent_source_names


class Forms:
    """Runs the guided forms for /addprice and /addreport."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        pending: PendingStore,
        entries: Entries,
        names: Admin,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._pending = pending
        self._entries = entries
        self.names = names

    @property
    def catalogue(self) -> Catalogue:
        """The current name index (the steps read it)."""
        return self._catalogue.current

    def today(self) -> date:
        """Today's date by the injected clock."""
        return self._clock().date()

    def figure_counts(self, *, by: str) -> dict[int, int]:
        """Live figures per commodity or per place, for the suggestion buttons."""
        with Session(self._engine) as session:
            return repo.figure_counts(session, by=by)

    def recent_sources(self, *, admin_id: int) -> list[str]:
        """Sources this editor cited lately, newest first."""
        with Session(self._engine) as session:
            return recent_source_names(session, entered_by=admin_id)

    def start(self, *, admin_id: int, kind: str) -> Reply:
        """Open a form (any open one is dropped) and ask its first question."""
        self._pending.drop_forms(admin_id)
        pending = self._pending.add(
            admin_id=admin_id, kind=f"form-{kind}", data={"step": 0, "values": {}}
        )
        if kind == "price":
            pending.data.update(commodity_id=None, market_id=None)
        reply = self._ask(pending)
        self._pending.save(pending)
        return reply

    def is_open(self, *, admin_id: int) -> bool:
        """Tell whether the editor is in the middle of a guided form."""
        return self._pending.form_of(admin_id) is not None

    def answer(self, *, admin_id: int, value: str) -> Reply | None:
        """Take an answer to the current question; None when no form is open."""
        pending = self._pending.form_of(admin_id)
        if pending is None:
            return None
        try:
            reply = self._answer(pending, value)
            # Written back: the next answer may come to another process, or after a restart.
            self._pending.save(pending)
            return reply
        except DomainError as exc:
            # A refused answer is quoted back; a long one only in part.
            raise bound_quotes(exc) from None

    def _answer(self, pending: Pending, value: str) -> Reply:
        step = self._steps(pending)[pending.data["step"]]
        value = value.strip()
        if value == SKIP and step.optional:
            pending.data["values"][step.key] = ""
        else:
            result = step.check(self, pending, value)
            if isinstance(result, Reply):
                return result
            if result is None:  # the step wants another answer (a toggle, say)
                return self._ask(pending)
            pending.data["values"][step.key] = result
        pending.data["step"] += 1
        return self.resume(pending)

    def resume(self, pending: Pending) -> Reply:
        """Ask the next question, or preview when all are answered."""
        steps = self._steps(pending)
        if pending.data["step"] < len(steps):
            return self._ask(pending)
        values = pending.data["values"]
        if pending.kind == "form-price":
            return self._entries.preview_form_price(pending, price_row(self, pending, values))
        return self._entries.preview_report(pending, report_row(values))

    def cancel(self, *, admin_id: int) -> Reply:
        """Close the admin's open form."""
        self._pending.drop_forms(admin_id)
        return Reply(text="Cancelled; nothing was saved.")

    def _steps(self, pending: Pending) -> tuple[Step, ...]:
        return PRICE_STEPS if pending.kind == "form-price" else REPORT_STEPS

    def _ask(self, pending: Pending) -> Reply:
        steps = self._steps(pending)
        step = steps[pending.data["step"]]
        options = step.suggest(self, pending)
        if step.optional:
            options.append(("Skip", SKIP))
        rows = [
            tuple(
                Button(label, callbacks.encode("f", value)) for label, value in options[i : i + 3]
            )
            for i in range(0, len(options), 3)
        ]
        head = f"<b>{pending.data['step'] + 1}/{len(steps)}</b> {esc(step.prompt)}"
        return Reply(text=head + "\n<i>/cancel stops.</i>", buttons=tuple(rows))
