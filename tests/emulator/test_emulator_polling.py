"""getUpdates: long polling, offsets, conflicts, filters and incoming message shape."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import telegram

from emulator import Emulator, EmulatorClient
from tests.support.emulator import USER, wait_for


def parked(emulator: Emulator) -> int:
    """Return how many getUpdates long polls are waiting for an update."""
    return emulator.state.updates_changed.waiting


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emulator: Emulator, bot: telegram.Bot, client: EmulatorClient
) -> None:
    # The poll may wait 50 s; it must end on the update, long before that.
    poll = asyncio.create_task(bot.get_updates(timeout=50))
    await wait_for(lambda: parked(emulator), what="the long poll to wait")
    assert not poll.done()
    await client.send_text(USER, "ping")
    updates = await asyncio.wait_for(poll, 10)
    assert [u.message.text for u in updates if u.message] == ["ping"]
    assert parked(emulator) == 0


async def test_empty_long_poll_waits_for_timeout(emulator: Emulator, bot: telegram.Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await wait_for(lambda: parked(emulator), what="the long poll to wait")
    assert not poll.done()
    assert await asyncio.wait_for(poll, 10) == ()
    assert parked(emulator) == 0


async def test_offset_confirms_and_limit(bot: telegram.Bot, client: EmulatorClient) -> None:
    for text in ("a", "b", "c"):
        await client.send_text(USER, text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["a", "b"]
    assert [u.message.text for u in await bot.get_updates()] == ["a", "b", "c"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["c"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_negative_offset_keeps_the_latest(bot: telegram.Bot, client: EmulatorClient) -> None:
    for text in ("a", "b", "c"):
        await client.send_text(USER, text)
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["c"]
    assert [u.message.text for u in await bot.get_updates()] == ["c"]


async def test_second_poller_terminates_the_first(emulator: Emulator) -> None:
    url = f"{emulator.root_url}/bot{emulator.token}/getUpdates"
    async with httpx.AsyncClient(timeout=10) as http:
        first = asyncio.create_task(http.post(url, data={"timeout": "5"}))
        await wait_for(lambda: parked(emulator), what="the first long poll to wait")
        second = asyncio.create_task(http.post(url, data={"timeout": "0"}))
        terminated = await asyncio.wait_for(first, 2)
        assert terminated.status_code == 409
        assert terminated.json() == {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; make sure that "
            "only one bot instance is running",
        }
        assert (await second).json() == {"ok": True, "result": []}


async def test_ptb_raises_conflict(emulator: Emulator, bot: telegram.Bot) -> None:
    url = f"{emulator.root_url}/bot{emulator.token}/getUpdates"
    waiting = asyncio.create_task(bot.get_updates(timeout=5, read_timeout=10))
    await wait_for(lambda: parked(emulator), what="PTB's long poll to wait")
    async with httpx.AsyncClient() as http:
        await http.post(url, data={"timeout": "0"})
    with pytest.raises(telegram.error.Conflict):
        await waiting


async def test_allowed_updates_filters(bot: telegram.Bot, client: EmulatorClient) -> None:
    await client.inline(USER, "q")
    await client.send_text(USER, "m")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["m"]
    assert all(u.inline_query is None for u in updates)
    # The setting sticks until changed, as on Telegram.
    await client.inline(USER, "dropped")
    assert all(u.inline_query is None for u in await bot.get_updates())


async def test_delete_webhook_can_drop_pending(bot: telegram.Bot, client: EmulatorClient) -> None:
    await client.send_text(USER, "old")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.get_updates() == ()


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("/start", 6),
        ("/price rice", 6),
        ("/price@jangmadang_bot rice", 21),
        ("/가격", None),
        ("hi /start", None),
        ("/", None),
    ],
)
async def test_bot_command_entity(
    bot: telegram.Bot, client: EmulatorClient, text: str, length: int | None
) -> None:
    await client.send_text(USER, text)
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None and message.text == text
    if length is None:
        assert message.entities == ()
    else:
        [entity] = message.entities
        assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, length)


async def test_incoming_message_shape(bot: telegram.Bot, client: EmulatorClient) -> None:
    await client.send_text(USER, "안녕", first_name="Min", username="min_k", language_code="ko")
    await client.send_text(2002, "group hi", chat_id=-77, chat_type="group", chat_title="Jang")
    private, group = await bot.get_updates()
    assert private.message.from_user.first_name == "Min"
    assert private.message.from_user.language_code == "ko"
    assert private.message.chat.type == "private" and private.message.chat.id == USER
    assert group.message.chat.type == "group" and group.message.chat.title == "Jang"
    assert group.message.from_user.id == 2002


async def test_user_document_upload(bot: telegram.Bot, client: EmulatorClient) -> None:
    sent = await client.upload(USER, "receipt.txt", b"rice 3000", "text/plain", caption="see")
    [update] = await bot.get_updates()
    document = update.message.document
    assert document is not None and document.file_id == sent["file_id"]
    assert document.file_name == "receipt.txt" and update.message.caption == "see"
    data = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(data) == b"rice 3000"
