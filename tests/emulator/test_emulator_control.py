"""The control API, the async and sync clients, and the background-thread runner."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import telegram

from emulator import Emulator, EmulatorClient, EmulatorError, EmulatorThread, SyncEmulatorClient
from tests.support.emulator import USER, SleepLog, png_bytes, unlimited, wait_for

pytestmark = pytest.mark.usefixtures("user_chat")


async def test_messages_and_wait_track_sends_and_edits(
    emulator: Emulator, bot: telegram.Bot, client: EmulatorClient
) -> None:
    first = await bot.send_message(USER, "one")
    [listed] = await client.messages(USER)
    assert listed["text"] == "one" and listed["kind"] == "text" and not listed["edited"]
    assert listed["html"] == "one" and listed["parse_mode"] is None
    seq = listed["seq"]
    assert await client.wait(USER, seq, timeout=0.2) == []

    async def edit_later() -> None:
        waiting = emulator.state.messages_changed
        await wait_for(lambda: waiting.waiting, what="the wait call to park")
        await bot.edit_message_text("uno", chat_id=USER, message_id=first.message_id)

    task = asyncio.create_task(edit_later())
    [changed] = await client.wait(USER, seq, timeout=5)
    await task
    assert changed["message_id"] == first.message_id
    assert changed["text"] == "uno" and changed["edited"] and changed["seq"] > seq
    assert await client.messages(USER, after=changed["seq"]) == []
    assert await client.messages(999) == []


async def test_reply_to_collects_until_quiet(
    emulator: Emulator, bot: telegram.Bot, client: EmulatorClient
) -> None:
    async def fake_bot() -> None:
        offset = None
        while True:
            updates = await bot.get_updates(offset=offset, timeout=5)
            offset = updates[-1].update_id + 1
            if any(u.message and u.message.text == "price rice" for u in updates):
                break
        note = await bot.send_message(USER, "looking…")
        await asyncio.sleep(0.1)  # the bot works a little, well within `quiet`
        await bot.send_photo(USER, png_bytes(8, 8), caption="chart")
        await bot.edit_message_text("Rice: 3,000 ₩", chat_id=USER, message_id=note.message_id)

    worker = asyncio.create_task(fake_bot())
    await wait_for(lambda: emulator.state.updates_changed.waiting, what="the bot to poll")
    replies = await client.reply_to(USER, "price rice", timeout=5, quiet=1.0)
    await worker
    assert [(m["kind"], m["text"] or m["caption"]) for m in replies] == [
        ("text", "Rice: 3,000 ₩"),
        ("photo", "chart"),
    ]
    assert replies[0]["edited"]


async def test_reply_to_times_out_empty(client: EmulatorClient) -> None:
    assert await client.reply_to(USER, "anyone?", timeout=0.2, quiet=0.1) == []


async def test_deletions_are_reported(bot: telegram.Bot, client: EmulatorClient) -> None:
    sent = await bot.send_message(USER, "temp")
    seq = (await client.messages(USER))[-1]["seq"]
    await bot.delete_message(USER, sent.message_id)
    [gone] = await client.messages(USER, after=seq)
    assert gone["deleted"] is True


async def test_tap_validation(bot: telegram.Bot, client: EmulatorClient) -> None:
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("A", callback_data="a")]]
    )
    sent = await bot.send_message(USER, "pick", reply_markup=markup)
    with pytest.raises(EmulatorError) as missing_button:
        await client.tap(USER, USER, sent.message_id, "zzz")
    assert missing_button.value.status == 400
    assert "no inline button" in missing_button.value.message
    with pytest.raises(EmulatorError) as missing_message:
        await client.tap(USER, USER, 9999, "a")
    assert missing_message.value.status == 404
    with pytest.raises(EmulatorError):
        await client.tap(USER, USER, 1, "a")  # the user's own "hello"
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    with pytest.raises(EmulatorError):
        await client.tap(USER, USER, sent.message_id, "a")  # keyboard removed


async def test_call_log_and_reset(bot: telegram.Bot, client: EmulatorClient) -> None:
    await bot.send_document(USER, b"x" * 100, filename="big.bin")
    with pytest.raises(telegram.error.BadRequest):
        await bot.send_message(USER, "<oops>", parse_mode="HTML")
    calls = await client.calls()
    document = next(c for c in calls if c["method"] == "sendDocument")
    assert document["ok"] and document["params"]["document"]["size"] == 100
    assert document["params"]["chat_id"] == USER
    failed = calls[-1]
    assert failed["method"] == "sendMessage" and not failed["ok"]
    assert failed["error_code"] == 400
    assert failed["description"].startswith("Bad Request: can't parse entities")
    assert await client.calls(after=failed["seq"]) == []
    await client.reset()
    assert await client.calls() == [] and await client.messages(None) == []
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(USER, "who?")


async def test_latency_applies_to_bot_calls(
    emulator: Emulator, bot: telegram.Bot, client: EmulatorClient
) -> None:
    emulator.clock.sleep = sleeps = SleepLog()
    await client.configure(latency_ms=[150, 150])
    await bot.get_me()
    await client.messages(USER)  # control calls are never delayed
    assert sleeps.delays == [0.15]
    await client.configure(latency_ms=[0, 0])
    await bot.get_me()
    assert sleeps.delays == [0.15]
    with pytest.raises(EmulatorError):
        await client.configure(latency_ms=[5, 1])
    with pytest.raises(EmulatorError):
        await client.configure(token="nope")


def test_thread_and_sync_client() -> None:
    with EmulatorThread(unlimited()) as running, SyncEmulatorClient(running.root_url) as control:
        base = f"{running.root_url}/bot{running.token}"
        sent = control.send_text(USER, "/start")
        updates = httpx.get(f"{base}/getUpdates").json()["result"]
        assert updates[0]["message"]["entities"][0]["type"] == "bot_command"
        reply = httpx.post(f"{base}/sendMessage", data={"chat_id": USER, "text": "hi"}).json()
        assert reply["ok"]
        [listed] = control.messages(USER, after=sent["seq"])
        assert listed["text"] == "hi"
        assert control.wait(USER, listed["seq"], timeout=0.1) == []
        assert control.calls(method="sendMessage")[0]["ok"]
    with pytest.raises(RuntimeError):
        _ = running.root_url


async def test_a_forwarded_message_carries_its_origin(
    bot: telegram.Bot, client: EmulatorClient
) -> None:
    origin = {
        "type": "channel",
        "date": 1_790_000_000,
        "chat": {"id": -1001234567, "type": "channel", "title": "Daily NK"},
        "message_id": 812,
    }
    await client.send_text(USER, "Lingzhi went up.", forward_origin=origin)
    updates = await bot.get_updates(timeout=1)
    message = updates[-1].message
    assert message is not None and message.text == "Lingzhi went up."
    assert isinstance(message.forward_origin, telegram.MessageOriginChannel)
    assert message.forward_origin.chat.title == "Daily NK"
    assert updates[0].message is not None and updates[0].message.forward_origin is None
    with pytest.raises(EmulatorError, match="forward_origin"):
        await client.send_text(USER, "x", forward_origin={"date": 1})
