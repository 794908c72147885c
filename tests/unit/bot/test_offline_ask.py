"""`ask` returns once the bot has handled the message, not after a fixed quiet time; when it
cannot tell (the update never reached a handler), it waits for quiet as before."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from telegram import Update

from bot.offline.demo import SETTLED, _Session


class FakeClient:
    """The emulator client's send and collect, recording how `collect` was asked."""

    def __init__(self) -> None:
        self.collects: list[tuple[float, float]] = []

    async def send_text(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        return {"update_id": 7, "message_id": 3, "chat_id": user_id, "seq": 10}

    async def collect(
        self, chat_id: int, after: int, timeout: float, quiet: float
    ) -> list[dict[str, Any]]:
        self.collects.append((timeout, quiet))
        return [{"chat_id": chat_id, "message_id": 4, "seq": after + 1}]


def session() -> tuple[_Session, FakeClient, asyncio.Queue[object]]:
    client = FakeClient()
    queue: asyncio.Queue[object] = asyncio.Queue()
    return _Session(client, SimpleNamespace(update_queue=queue)), client, queue  # type: ignore[arg-type]


async def test_handled_waits_for_the_update_and_every_update_taken():
    s, _, queue = session()
    queue.put_nowait("update 7")  # fetched by the bot, not yet done
    # Not handled while no handler has it, nor while another update is taken, nor while ours
    # is still being handled: each check ends at its (short) timeout.
    assert await s.handled(7, timeout=0.05) is False
    await s.took(Update(6), None)  # another update: not ours
    assert await s.handled(7, timeout=0.05) is False
    await s.took(Update(7), None)  # a handler has it, but it is still being handled
    assert await s.handled(7, timeout=0.05) is False
    waiting = asyncio.create_task(s.handled(7, timeout=5))
    queue.get_nowait()
    queue.task_done()  # PTB marks the update done
    assert await asyncio.wait_for(waiting, 1) is True


async def test_handled_gives_up_after_the_timeout():
    s, _, _ = session()
    assert await s.handled(7, timeout=0.05) is False


async def test_a_handled_message_takes_one_short_last_look():
    s, client, _ = session()
    await s.took(Update(7), None)
    replies = await s.reply_to(1001, "rice hyesan", language_code="en", timeout=20, quiet=0.5)
    assert replies and client.collects == [(SETTLED, SETTLED)]


async def test_an_update_no_handler_saw_falls_back_to_quiet(monkeypatch):
    s, client, _ = session()

    async def never(update_id: int, timeout: float) -> bool:
        return False

    monkeypatch.setattr(s, "handled", never)
    await s.reply_to(1001, "rice hyesan", language_code="en", timeout=20, quiet=0.5)
    [(timeout, quiet)] = client.collects
    assert 19 < timeout <= 20 and quiet == 0.5  # what is left of the 20 s, and quiet as before
