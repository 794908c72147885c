"""Two bot processes on one database: on SQLite exactly one sends (the lease); on PostgreSQL both
share the ledger (row claims) and nobody gets a digest twice."""

from __future__ import annotations

import pytest

from tests.support.crashrun import two_workers
from tests.support.db import PG_URL, pg_schema

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
SUBSCRIBERS = 120


async def test_on_sqlite_one_process_sends_everything_once(tmp_path):
    per_chat, by_sender = await two_workers(tmp_path / "two.sqlite3", subscribers=SUBSCRIBERS)
    assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}
    assert len(by_sender) == 1 and sum(by_sender.values()) == SUBSCRIBERS


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL")
async def test_on_postgres_both_processes_share_the_ledger():
    with pg_schema("jm_two") as url:
        per_chat, by_sender = await two_workers(url, subscribers=SUBSCRIBERS)
    assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}
    assert len(by_sender) == 2 and sum(by_sender.values()) == SUBSCRIBERS
