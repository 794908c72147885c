"""Work a restart interrupts, on a real database: every guided form, pending entry and chat import
has a marker row while it is open; the next process tells its owner once; confirming the same
figure twice at once is "already stored", never an integrity error.

A "process" here is one `bootstrap` (its own marker name); two on one database are the process
that died and the one that came after it.
"""

from __future__ import annotations

import types

import pytest
from sqlmodel import Session, func, select

from bot.domain.errors import InvalidInput
from bot.services import pending as pending_module
from config.settings import Settings
from db import repo
from db.models import PriceObservation, TradeReport, UnfinishedWork
from tests.support.clock import NOW
from tests.support.services import make_services

OWNER = 9001
SECOND = 9002  # a second editor
PRICE_LINE = 'rice hyesan 9000 KPW/kg 2026-11 source:"Daily NK" rel:B2'
REPORT_LINE = (
    'sinuiju 2026-09 border transport border:partially-open channel:truck "Trucks crossed the '
    'Friendship Bridge again after a month." source:"Daily NK" rel:B3'
)


def services_of(engine):
    """One process's services (each has its own marker name)."""
    settings = Settings(_env_file=None, admin_ids=[OWNER, SECOND])
    return make_services(settings, engine, now=lambda: NOW)


@pytest.fixture
def services(engine):
    return services_of(engine)


def markers(engine) -> list[UnfinishedWork]:
    with Session(engine) as session:
        return list(session.exec(select(UnfinishedWork)))


def rows(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def token_of(reply) -> str:
    data = reply.buttons[0][0].data
    assert data.startswith("ok:"), reply.buttons
    return data.split(":")[1]


# Markers live exactly as long as the work


def test_a_guided_form_has_a_marker_until_it_is_cancelled(services, engine):
    services.forms.start(admin_id=OWNER, kind="report")
    [marker] = markers(engine)
    assert (marker.owner_id, marker.kind, marker.chat_id) == (OWNER, "form-report", OWNER)
    assert marker.process == services.work.process and marker.started_at == NOW
    # A new form replaces the open one, and its marker.
    services.forms.start(admin_id=OWNER, kind="price")
    assert [m.kind for m in markers(engine)] == ["form-price"]
    services.forms.cancel(admin_id=OWNER)
    assert markers(engine) == []


def test_a_confirmed_entry_takes_its_marker_with_it(services, engine):
    reply = services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE)
    assert [m.kind for m in markers(engine)] == ["price"]
    assert "Saved as #" in services.entries.confirm(admin_id=OWNER, token=token_of(reply)).text
    assert markers(engine) == []


def test_a_cancelled_or_refused_entry_leaves_no_marker(services, engine):
    reply = services.entries.report_from_line(admin_id=OWNER, text=REPORT_LINE)
    assert [m.kind for m in markers(engine)] == ["report"]
    services.entries.cancel(admin_id=OWNER, token=token_of(reply))
    assert markers(engine) == []
    with pytest.raises(InvalidInput):  # a line the validator refuses
        services.entries.price_from_line(admin_id=OWNER, text="rice hyesan 1200-500 KPW/kg")
    assert markers(engine) == []


def test_an_expired_entry_loses_its_marker(services, engine, monkeypatch):
    services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE)
    assert len(markers(engine)) == 1
    later = pending_module.time.monotonic() + pending_module.PENDING_SECONDS + 1
    monkeypatch.setattr(pending_module, "time", types.SimpleNamespace(monotonic=lambda: later))
    # The next entry finds the old one expired and deletes its marker.
    services.forms.start(admin_id=SECOND, kind="price")
    assert [(m.owner_id, m.kind) for m in markers(engine)] == [(SECOND, "form-price")]


# A restart: the next process tells the owner once


def test_the_next_process_tells_of_an_interrupted_form_once(services, engine):
    services.forms.start(admin_id=OWNER, kind="report")
    assert services.work.interrupted(owner_id=OWNER) == []  # its own form is not interrupted
    after = services_of(engine)  # the process that started after a kill -9
    assert not after.forms.is_open(admin_id=OWNER)
    assert after.work.maybe_left(OWNER)
    [item] = after.work.interrupted(owner_id=OWNER)
    assert item.form and item.progress is None
    assert item.notice == (
        "Your /addreport form was interrupted by a restart; nothing was saved. "
        "Send /addreport to start again."
    )
    assert markers(engine) == []
    assert after.work.interrupted(owner_id=OWNER) == []
    assert not after.work.maybe_left(OWNER)  # no query for it any more
    assert not after.work.maybe_left(SECOND)


def test_an_interrupted_entry_and_import_are_told_at_start_up(services, engine):
    services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE)
    services.work.started(
        owner_id=SECOND, kind="import", chat_id=SECOND, message_id=77, label="prices.csv"
    )
    after = services_of(engine)
    left = {item.owner_id: item for item in after.work.left_over()}
    assert set(left) == {OWNER, SECOND}
    assert not left[OWNER].form
    assert left[OWNER].notice.startswith("Your /addprice entry was interrupted by a restart")
    imported = left[SECOND]
    assert (imported.chat_id, imported.message_id) == (SECOND, 77)
    assert imported.progress == "Interrupted by a restart; nothing was written."
    assert "import of prices.csv was interrupted" in imported.notice
    assert "nothing was written" in imported.notice
    assert markers(engine) == []
    assert after.work.left_over() == [] and after.work.interrupted(owner_id=OWNER) == []


def test_two_later_processes_tell_the_owner_only_once(services, engine):
    services.forms.start(admin_id=OWNER, kind="price")
    first, second = services_of(engine), services_of(engine)
    assert first.work.maybe_left(OWNER) and second.work.maybe_left(OWNER)
    second.work.interrupted(owner_id=SECOND)  # reads what was left before the first claims it
    told = [*first.work.interrupted(owner_id=OWNER), *second.work.interrupted(owner_id=OWNER)]
    assert [item.kind for item in told] == ["form-price"]


def test_a_finished_import_leaves_no_marker(services, engine):
    token = services.work.started(owner_id=OWNER, kind="import", chat_id=OWNER, message_id=5)
    assert [m.message_id for m in markers(engine)] == [5]
    services.work.finished([token])
    assert markers(engine) == []
    assert services_of(engine).work.left_over() == []


# Two editors confirming the same figure at once


@pytest.mark.parametrize(
    ("start", "line", "model", "message"),
    [
        ("price_from_line", PRICE_LINE, PriceObservation, "This figure is already stored"),
        ("report_from_line", REPORT_LINE, TradeReport, "This report is already stored"),
    ],
)
def test_the_second_confirm_of_the_same_entry_is_already_stored(
    services, engine, monkeypatch, start, line, model, message
):
    first = getattr(services.entries, start)(admin_id=OWNER, text=line)
    second = getattr(services.entries, start)(admin_id=SECOND, text=line)
    assert "Saved as" in services.entries.confirm(admin_id=OWNER, token=token_of(first)).text
    real_price_exists, real_report_exists = repo.price_exists, repo.trade_report_exists
    misses = iter([True])

    def miss_once(real):
        # The confirm's own check misses (the race); the look after the violation does not.
        return lambda session, *, natural_key: (
            False if next(misses, False) else real(session, natural_key=natural_key)
        )

    monkeypatch.setattr(repo, "price_exists", miss_once(real_price_exists))
    monkeypatch.setattr(repo, "trade_report_exists", miss_once(real_report_exists))
    with pytest.raises(InvalidInput) as refused:
        services.entries.confirm(admin_id=SECOND, token=token_of(second))
    assert str(refused.value) == f"{message}; nothing was added."
    assert rows(engine, model) == 1
    assert markers(engine) == []
