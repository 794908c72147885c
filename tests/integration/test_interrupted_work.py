"""Conversation state and interrupted work, on a real database: guided forms and pending entries
are rows any process continues (after a restart, or on another replica), confirmed once; a chat
import has a marker row while it runs and the next process tells its owner once; confirming the
same figure twice at once is "already stored", never an integrity error.

A "process" here is one `bootstrap` (its own marker name); two on one database are the process
that died and the one that came after it, or two replicas.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import types

import pytest
from sqlmodel import Session, func, select

from bot.bootstrap import state_secret
from bot.domain.errors import InvalidInput, NotFound
from bot.services import pending as pending_module
from bot.services.pending import PendingStore, StaleEntry, StateCodec
from config.settings import Settings
from db import repo
from db.models import Conversation, PriceObservation, TradeReport, UnfinishedWork
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


def steps(engine) -> list[Conversation]:
    with Session(engine) as session:
        return list(session.exec(select(Conversation)))


# Conversation steps are rows: any process continues them


def test_a_guided_form_started_by_one_process_is_answered_by_the_next(services, engine):
    services.forms.start(admin_id=OWNER, kind="report")
    after = services_of(engine)  # the process that started after a kill -9, or a replica
    assert after.forms.is_open(admin_id=OWNER)
    reply = after.forms.answer(admin_id=OWNER, value="Hyesan")
    assert reply is not None
    [step] = steps(engine)
    assert step.kind == "form-report" and step.version == 3  # started, asked, answered
    # The first process sees the answer the second took: the form moved on for both.
    assert services.steps.form_of(OWNER).data["step"] == 1
    assert markers(engine) == []  # nothing was interrupted, so nothing is announced
    assert after.work.interrupted(owner_id=OWNER) == []


def test_a_preview_confirmed_by_another_process_writes_once(services, engine):
    first = services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE)
    token = token_of(first)
    other = services_of(engine)
    assert "Saved as" in other.entries.confirm(admin_id=OWNER, token=token).text
    with pytest.raises(NotFound):
        services.entries.confirm(admin_id=OWNER, token=token)
    assert rows(engine, PriceObservation) == 1 and steps(engine) == []


def test_only_the_owner_reaches_a_step(services, engine):
    token = token_of(services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE))
    with pytest.raises(NotFound):
        services.entries.confirm(admin_id=SECOND, token=token)
    assert services.steps.get(token, admin_id=SECOND) is None
    assert rows(engine, PriceObservation) == 0 and len(steps(engine)) == 1


def test_a_write_over_a_newer_version_is_refused(services, engine):
    services.forms.start(admin_id=OWNER, kind="price")
    mine, theirs = services.steps.form_of(OWNER), services_of(engine).steps.form_of(OWNER)
    theirs.data["step"] = 1
    services_of(engine).steps.save(theirs)
    mine.data["step"] = 2
    with pytest.raises(StaleEntry):
        services.steps.save(mine)
    assert services.steps.form_of(OWNER).data["step"] == 1


def test_a_cancelled_or_refused_entry_leaves_no_step(services, engine):
    reply = services.entries.report_from_line(admin_id=OWNER, text=REPORT_LINE)
    services.entries.cancel(admin_id=OWNER, token=token_of(reply))
    assert steps(engine) == []
    with pytest.raises(InvalidInput):
        services.entries.price_from_line(admin_id=OWNER, text="rice hyesan 9000")
    assert steps(engine) == []


def test_an_expired_step_is_gone_and_swept(services, engine, monkeypatch):
    token = token_of(services.entries.price_from_line(admin_id=OWNER, text=PRICE_LINE))
    later = pending_module.time.time() + pending_module.PENDING_SECONDS + 1
    monkeypatch.setattr(pending_module, "time", types.SimpleNamespace(time=lambda: later))
    assert services.steps.get(token, admin_id=OWNER) is None
    with pytest.raises(NotFound):
        services.entries.confirm(admin_id=OWNER, token=token)
    assert services.steps.sweep() == 1
    assert steps(engine) == [] and rows(engine, PriceObservation) == 0


def test_a_step_signed_with_another_key_or_holding_a_stranger_is_refused(services, engine):
    services.forms.start(admin_id=OWNER, kind="report")
    other = PendingStore(engine=engine, secret="another bot")
    assert other.form_of(OWNER) is None  # the signature fails: treated as expired
    codec = StateCodec(state_secret(services.settings))
    evil = codec.dump({"x": 1}).replace(b"\x8c\x01x", b"\x8c\x01y")  # body changed, not its mac
    assert codec.load(evil) is None
    smuggled = pickle.dumps({"x": os.system}, protocol=pickle.HIGHEST_PROTOCOL)
    signed = hmac.new(codec._key, smuggled, hashlib.sha256).digest() + smuggled
    assert codec.load(signed) is None  # signed, but os.system is not allowed


# A chat import runs in one process: a restart interrupts it, and its owner is told once


def test_an_interrupted_import_is_told_at_start_up(services, engine):
    services.work.started(
        owner_id=SECOND, kind="import", chat_id=SECOND, message_id=77, label="prices.csv"
    )
    after = services_of(engine)
    [imported] = after.work.left_over()
    assert (imported.chat_id, imported.message_id) == (SECOND, 77)
    assert imported.progress == "Interrupted by a restart; nothing was written."
    assert "import of prices.csv was interrupted" in imported.notice
    assert markers(engine) == []
    assert after.work.left_over() == [] and after.work.interrupted(owner_id=SECOND) == []


def test_two_later_processes_tell_the_owner_only_once(services, engine):
    services.work.started(owner_id=OWNER, kind="import", chat_id=OWNER, message_id=5)
    first, second = services_of(engine), services_of(engine)
    assert first.work.maybe_left(OWNER) and second.work.maybe_left(OWNER)
    second.work.interrupted(owner_id=SECOND)  # reads what was left before the first claims it
    told = [*first.work.interrupted(owner_id=OWNER), *second.work.interrupted(owner_id=OWNER)]
    assert [item.kind for item in told] == ["import"]


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
    assert steps(engine) == []
