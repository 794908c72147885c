"""One chat's updates one at a time and in order; other chats meanwhile."""

from __future__ import annotations

import asyncio

from telegram import Chat, InlineQuery, Message, Update, User

from bot.delivery.updates import ChatOrderedProcessor, chat_key

USER = User(id=5, first_name="A", is_bot=False)


def message_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(id=chat_id, type="private")
    return Update(update_id, message=Message(update_id, None, chat, from_user=USER, text="hi"))


async def test_one_chat_waits_for_its_previous_update_and_others_do_not():
    processor = ChatOrderedProcessor()
    release = asyncio.Event()
    order: list[str] = []

    started = asyncio.Event()

    async def handle(name: str, wait: bool = False) -> None:
        order.append(f"start {name}")
        started.set()
        if wait:
            await release.wait()
        order.append(f"end {name}")

    first = asyncio.create_task(
        processor.process_update(message_update(1, 10), handle("a1", wait=True))
    )
    await started.wait()  # chat 10's first update is being handled
    second = asyncio.create_task(processor.process_update(message_update(2, 10), handle("a2")))
    other = asyncio.create_task(processor.process_update(message_update(3, 20), handle("b1")))
    await other
    # The other chat was answered while chat 10's first update still runs; its second waits.
    assert order == ["start a1", "start b1", "end b1"]
    assert processor.chats_in_flight == 1
    release.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["end a1", "start a2", "end a2"]
    assert processor.chats_in_flight == 0


async def test_an_update_that_fails_lets_the_next_of_its_chat_run():
    processor = ChatOrderedProcessor()

    async def fail() -> None:
        raise RuntimeError("boom")

    async def fine() -> str:
        return "done"

    failed = asyncio.create_task(processor.process_update(message_update(1, 10), fail()))
    after = asyncio.create_task(processor.process_update(message_update(2, 10), fine()))
    results = await asyncio.gather(failed, after, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1] is None
    assert processor.chats_in_flight == 0


def test_inline_queries_keep_no_order():
    query = InlineQuery("q1", USER, "rice", "")
    assert chat_key(Update(1, inline_query=query)) is None
    assert chat_key(message_update(2, 42)) == 42
    assert chat_key(object()) is None
