"""An import never holds other users' answers: they go on while it stores its rows.

A 19.9 MB import once kept other users waiting 10.3 s: its store pass held SQLite's only write
lock from its first row to its commit, and a user's first message records the user (a write),
which waited the whole busy timeout (10 s) and then failed. Now the store pass writes to a
temporary table of the importing connection, and one statement at the end copies the new rows in.

Nothing here measures time. The import is held in the middle of its store pass (its progress
callback waits) while users talk to the bot: each is recorded and answered before the import goes
on, so before it finishes; and nothing of the file is visible until it has.
"""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from bot.services.report_import import REPORT_COLUMNS
from config.settings import Settings
from db.models import AuditLog, ChatUser, PriceObservation, TradeReport
from tests.support.clock import NOW
from tests.support.services import make_services
from tests.support.waiting import wait_until

OWNER = 9001
# Past one batch of the store pass (5,000 prices, 500 reports), so it reports progress midway.
PRICE_ROWS = 6_000
REPORT_ROWS = 600
USERS = 5
HELD = 60.0  # seconds the held import waits for the users at most; a pass never waits that long


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def price_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("date", "market", "commodity", "unit", "currency", "price", "source"))
    start = date(2005, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i % 7000)
        writer.writerow((day.isoformat(), "hyesan", "rice", "kg", "KPW", 1000 + i, "Daily NK"))
    return out.getvalue().encode()


def report_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS, restval="")
    writer.writeheader()
    for i in range(rows):
        writer.writerow(
            {"place": "hyesan", "date": "2026-10", "topics": "border", "commodities": "rice",
             "summary": f"Traders crossed at the bridge, report {i}.", "source": "Daily NK"}
        )  # fmt: skip
    return out.getvalue().encode()


def count(engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


class Hold:
    """A progress callback that stops the import at its first report from inside the store pass."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.seen: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.seen.append((done, total))
        if total is not None and 0 < done < total and not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(HELD), "the users were not answered while the import waited"


async def users_talk_while_the_import_is_held(
    services, engine, model: type, run_import: Callable[[Hold], object]
) -> object:
    hold = Hold()
    importing = asyncio.ensure_future(asyncio.to_thread(run_import, hold))
    try:
        await wait_until(lambda: hold.reached.is_set() or importing.done(), "the store pass")
        assert hold.reached.is_set(), f"the import ended without pausing: {hold.seen}"
        before = count(engine, model)
        for user in range(USERS):
            # A handler's work for a message from someone new: record them (a write), answer.
            lang = await asyncio.to_thread(
                services.users.touch, telegram_id=5000 + user, username=None, language_code="en"
            )
            reply = await asyncio.to_thread(services.questions.ask, "rice hyesan", lang=lang)
            assert reply.text
            # Each user is answered while the import is still in the middle of its rows.
            assert not importing.done()
        assert count(engine, ChatUser) == USERS
        # Nothing of the file shows before the import has finished: still all or nothing.
        assert count(engine, model) == before
    finally:
        hold.release.set()
        # A failed test still lets the import end before its database goes.
        await asyncio.wait({importing})
    return importing.result()


async def test_users_are_answered_while_a_price_import_stores_its_rows(services, engine):
    data = price_file(PRICE_ROWS)

    def run_import(hold: Hold):
        return services.files.import_csv(
            data, name="big.csv", admin_id=OWNER, progress=hold, lang="en"
        )

    reply = await users_talk_while_the_import_is_held(
        services, engine, PriceObservation, run_import
    )
    assert f"{PRICE_ROWS:,} added" in reply.text
    assert count(engine, PriceObservation) == PRICE_ROWS
    assert count(engine, AuditLog) == 1


async def test_users_are_answered_while_a_report_import_stores_its_rows(services, engine):
    data = report_file(REPORT_ROWS)

    def run_import(hold: Hold):
        return services.files.import_csv(
            data, name="reports.csv", admin_id=OWNER, progress=hold, lang="en"
        )

    reply = await users_talk_while_the_import_is_held(services, engine, TradeReport, run_import)
    assert f"{REPORT_ROWS:,}" in reply.text
    assert count(engine, TradeReport) == REPORT_ROWS
