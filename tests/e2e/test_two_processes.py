"""Two bot processes on one database: on SQLite exactly one sends (the lease); on PostgreSQL both
share the ledger (row claims) and nobody gets a digest twice."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from db.engine import make_engine
from tests.conftest import PG_URL
from tests.e2e.crashrun import two_workers

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
SUBSCRIBERS = 120


async def test_on_sqlite_one_process_sends_everything_once(tmp_path):
    per_chat, by_sender = await two_workers(tmp_path / "two.sqlite3", subscribers=SUBSCRIBERS)
    assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}
    assert len(by_sender) == 1 and sum(by_sender.values()) == SUBSCRIBERS


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL")
async def test_on_postgres_both_processes_share_the_ledger():
    schema = f"jm_two_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        per_chat, by_sender = await two_workers(url, subscribers=SUBSCRIBERS)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}
    assert len(by_sender) == 2 and sum(by_sender.values()) == SUBSCRIBERS
