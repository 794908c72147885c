"""The update inbox on a real database: a posted update is processed once, a chat's updates in
update_id order and one at a time even by two processes (on PostgreSQL the advisory lock is the
only thing between them), and what a dead process stored is taken by a live one."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from telegram import Update

from bot.delivery import inbox as inbox_module
from bot.delivery.inbox import BadUpdate, Inbox
from db import repo
from db.models import UpdateInbox

CHAT = 5150


def message(update_id: int, chat: int = CHAT, text: str = "hi") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "U"},
            "text": text,
        },
    }


class Recorder:
    """A stand-in for the application: records the order and the overlap of processing."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[tuple[str, int]] = []
        self.active: dict[int, int] = {}
        self.overlap = 0
        self.delay = delay

    def process(self, name: str):
        async def run(update: Update) -> None:
            chat = update.effective_chat.id
            self.active[chat] = self.active.get(chat, 0) + 1
            self.overlap = max(self.overlap, self.active[chat])
            # Simulated work (not a wait for a result): long enough that a second process
            # taking the same chat meanwhile would show as overlap.
            await asyncio.sleep(self.delay)
            self.seen.append((name, update.update_id))
            self.active[chat] -= 1

        return run


def inbox_of(engine, recorder: Recorder, name: str) -> Inbox:
    return Inbox(
        engine=engine,
        process=recorder.process(name),
        decode=lambda payload: Update.de_json(payload, None),
        name=name,
    )


def rows(engine) -> list[UpdateInbox]:
    with Session(engine) as session:
        return list(session.exec(select(UpdateInbox).order_by(UpdateInbox.update_id)))


async def settle(*inboxes: Inbox) -> None:
    for inbox in inboxes:
        while inbox._tasks:
            await asyncio.gather(*list(inbox._tasks))


async def test_an_update_posted_twice_is_processed_once(engine):
    recorder = Recorder()
    inbox = inbox_of(engine, recorder, "a")
    assert await inbox.receive(message(1)) is True
    await settle(inbox)
    assert await inbox.receive(message(1)) is False  # Telegram posting it again
    await settle(inbox)
    assert recorder.seen == [("a", 1)]
    [row] = rows(engine)
    assert row.done_at is not None and row.done_by == "a" and row.chat_key == CHAT
    with pytest.raises(BadUpdate):
        await inbox.receive({"message": {}})
    await inbox.close()


async def test_two_processes_keep_one_chats_order_and_take_it_one_at_a_time(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serves one process (bot.entrypoints.serve.sqlite_single_process)")
    recorder = Recorder(delay=0.02)
    first, second = inbox_of(engine, recorder, "a"), inbox_of(engine, recorder, "b")
    # The replicas take turns, as behind a round-robin balancer; two chats interleaved.
    for update_id in range(1, 13):
        target = first if update_id % 2 else second
        await target.receive(message(update_id, chat=CHAT if update_id % 3 else CHAT + 1))
    await settle(first, second)
    done = [ident for _, ident in recorder.seen]
    assert sorted(done) == list(range(1, 13))  # each once
    for chat in (CHAT, CHAT + 1):
        mine = [i for i in done if (i % 3 != 0) == (chat == CHAT)]
        assert mine == sorted(mine)  # in update_id order
    assert recorder.overlap == 1  # never two of one chat at once
    assert all(row.done_at is not None for row in rows(engine))
    await first.close()
    await second.close()


async def test_what_a_dead_process_stored_is_taken_by_a_live_one(engine, monkeypatch):
    now = datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as connection:  # stored by a replica killed before it processed them
        for update_id in (7, 8):
            repo.store_update(
                connection,
                update_id=update_id,
                chat_key=CHAT,
                kind="message",
                payload=json.dumps(message(update_id)),
                now=now,
            )
    recorder = Recorder()
    inbox = inbox_of(engine, recorder, "live")
    monkeypatch.setattr(inbox_module, "ORPHAN_SECONDS", 0.0)
    assert await inbox.sweep_orphans() == 1  # one chat
    await settle(inbox)
    assert recorder.seen == [("live", 7), ("live", 8)]
    assert await inbox.sweep_orphans() == 0
    # A day later the processed updates are forgotten.
    monkeypatch.setattr(inbox_module, "KEEP", timedelta(seconds=-60))
    assert await asyncio.to_thread(inbox.forget_old) == 2
    assert rows(engine) == []
    await inbox.close()
