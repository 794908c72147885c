"""Broadcast support: bulk chats, migrations, gone chats, stalls, statistics and load."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from typing import Any

import aiohttp
import httpx
import pytest
import telegram

from emulator import (
    Emulator,
    EmulatorClient,
    EmulatorConfig,
    EmulatorError,
    EmulatorThread,
    SyncEmulatorClient,
)
from emulator.clock import Clock
from tests.support.emulator import (
    USER,
    FakeClock,
    SleepLog,
    unlimited,
    wait_for,
    wait_for_sync,
)

GROUP = -4001
SUPERGROUP = -1004001
CHANNEL = -1009001


async def post(api: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    """Post the way PTB does: urlencoded, non-strings JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await api.post(method, data=data)


def error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


async def send_all(
    emu: Emulator, chat_ids: Iterable[int], concurrency: int = 40
) -> list[tuple[int, dict[str, Any]]]:
    """Send one message to each chat, `concurrency` requests in flight; return (status, body).

    aiohttp rather than httpx: httpcore's pool costs milliseconds per request at this
    concurrency, which would swamp the emulator's own cost being measured here.
    """
    gate = asyncio.Semaphore(concurrency)
    url = f"/bot{emu.token}/sendMessage"
    connector = aiohttp.TCPConnector(limit=concurrency + 10)

    async def one(http: aiohttp.ClientSession, chat_id: int) -> tuple[int, dict[str, Any]]:
        async with gate:
            data = {"chat_id": str(chat_id), "text": f"digest for {chat_id}"}
            async with http.post(url, data=data) as response:
                return response.status, await response.json()

    async with aiohttp.ClientSession(emu.root_url, connector=connector) as http:
        return await asyncio.gather(*(one(http, c) for c in chat_ids))


async def open_raw(client: EmulatorClient, user_ids: Any) -> None:
    """Post any user_ids to open_chats, bypassing the client's list() conversion."""
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{client.root_url}/_emulator/open_chats", json={"user_ids": user_ids}
        )
    if response.status_code >= 400:
        raise EmulatorError(response.status_code, response.json()["error"])


# opening chats


async def test_open_chats_opens_many_private_chats_fast_and_quietly(
    client: EmulatorClient, api: httpx.AsyncClient
) -> None:
    ids = list(range(200_001, 210_001))
    assert await client.open_chats(ids, language_code="ko") == 10_000
    # As if each had sent /start, but nothing is queued for the bot.
    assert (await api.get("getUpdates")).json()["result"] == []
    assert await client.open_chats([ids[0], ids[-1], 300_000]) == 1
    reply = await post(api, "sendMessage", chat_id=ids[-1], text="hi")
    assert reply.json()["result"]["chat"] == {
        "id": ids[-1],
        "type": "private",
        "first_name": f"User{ids[-1]}",
    }
    member = await post(api, "getChatMember", chat_id=ids[0], user_id=ids[0])
    assert member.json()["result"]["user"]["language_code"] == "ko"
    never_opened = await post(api, "sendMessage", chat_id=ids[-1] + 1, text="hi")
    assert never_opened.json() == error(400, "Bad Request: chat not found")
    for bad in ([0], [True], ["5"], 5):
        with pytest.raises(EmulatorError) as refused:
            await open_raw(client, bad)
        assert refused.value.status == 400


async def test_open_group_creates_and_reuses_group_chats(
    client: EmulatorClient, bot: telegram.Bot
) -> None:
    created = await client.open_group(GROUP, "Hyesan traders", admin_ids=[USER])
    assert created["created"] and created["chat"] == {
        "id": GROUP,
        "type": "group",
        "title": "Hyesan traders",
    }
    again = await client.open_group(GROUP, "Hyesan market", admin_ids=[USER + 1])
    assert not again["created"] and again["admins"] == [USER, USER + 1]
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("group", "Hyesan market")
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.user.id, a.status) for a in admins] == [
        (USER, "creator"),
        (USER + 1, "administrator"),
    ]
    assert (await bot.send_message(GROUP, "prices")).chat.id == GROUP
    with pytest.raises(EmulatorError) as other_type:
        await client.open_group(GROUP, "x", type="channel")
    assert other_type.value.status == 409
    for chat_id, chat_type in ((5, "group"), (-5, "private"), (-5, "gigagroup")):
        with pytest.raises(EmulatorError):
            await client.open_group(chat_id, "x", type=chat_type)


# chats that are gone


async def test_migrated_group_answers_like_telegram(
    client: EmulatorClient, api: httpx.AsyncClient, bot: telegram.Bot
) -> None:
    await client.open_group(GROUP, "Sinuiju", admin_ids=[USER])
    await client.send_text(USER + 2, "hello", chat_id=GROUP)
    await bot.send_message(GROUP, "before")
    result = await client.migrate(GROUP, SUPERGROUP)
    assert result["chat"] == {"id": SUPERGROUP, "type": "supergroup", "title": "Sinuiju"}

    upgraded = error(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=SUPERGROUP,
    )
    response = await post(api, "sendMessage", chat_id=GROUP, text="digest")
    assert response.status_code == 400 and response.json() == upgraded
    edit = await post(api, "editMessageText", chat_id=GROUP, message_id=1, text="x")
    assert edit.json() == upgraded
    with pytest.raises(telegram.error.ChatMigrated) as caught:
        await bot.send_message(GROUP, "digest")
    assert caught.value.new_chat_id == SUPERGROUP

    sent = await bot.send_message(SUPERGROUP, "digest")
    assert sent.chat.type == "supergroup"
    admins = await bot.get_chat_administrators(SUPERGROUP)
    assert [(a.user.id, a.status) for a in admins] == [(USER, "creator")]
    assert await bot.get_chat_member_count(SUPERGROUP) == 3  # USER, USER + 2 and the bot

    # Telegram tells the bot with a service message in each chat.
    updates = (await api.get("getUpdates")).json()["result"]
    notices = [u["message"] for u in updates if "text" not in u["message"]]
    assert [(m["chat"]["id"], m["from"]["id"]) for m in notices] == [
        (GROUP, USER),
        (SUPERGROUP, USER),
    ]
    assert notices[0]["migrate_to_chat_id"] == SUPERGROUP
    assert notices[1]["migrate_from_chat_id"] == GROUP
    parsed = [telegram.Update.de_json(u, bot) for u in updates]
    assert parsed[-1].message is not None
    assert parsed[-1].message.migrate_from_chat_id == GROUP

    with pytest.raises(EmulatorError) as again:
        await client.migrate(GROUP, SUPERGROUP - 1)
    assert again.value.status == 409
    with pytest.raises(EmulatorError):
        await client.send_text(USER, "old id", chat_id=GROUP)
    with pytest.raises(EmulatorError):
        await client.migrate(SUPERGROUP, SUPERGROUP - 1)  # only groups are upgraded
    await client.open_group(GROUP - 1, "Other", admin_ids=[USER])
    with pytest.raises(EmulatorError) as taken:
        await client.migrate(GROUP - 1, SUPERGROUP)
    assert taken.value.status == 409


async def test_deleted_chat_is_not_found(client: EmulatorClient, api: httpx.AsyncClient) -> None:
    await client.open_chats([USER])
    await client.open_group(GROUP, "Gone soon", admin_ids=[USER])
    await client.block(USER)
    assert (await client.delete_chat(USER))["chat_id"] == USER
    await client.delete_chat(GROUP)
    not_found = error(400, "Bad Request: chat not found")
    for chat_id in (USER, GROUP):
        response = await post(api, "sendMessage", chat_id=chat_id, text="digest")
        assert response.status_code == 400 and response.json() == not_found
        assert (await post(api, "getChat", chat_id=chat_id)).json() == not_found
    with pytest.raises(EmulatorError) as unknown:
        await client.delete_chat(GROUP)
    assert unknown.value.status == 404
    # Writing to the bot again opens a fresh chat, no longer blocked.
    await client.send_text(USER, "/start")
    assert (await post(api, "sendMessage", chat_id=USER, text="welcome back")).json()["ok"]


async def test_deleting_a_migrated_group_forgets_the_forwarding(
    client: EmulatorClient, api: httpx.AsyncClient
) -> None:
    await client.open_group(GROUP, "Old", admin_ids=[USER])
    await client.migrate(GROUP, SUPERGROUP)
    await client.delete_chat(GROUP)
    response = await post(api, "sendMessage", chat_id=GROUP, text="x")
    assert response.json() == error(400, "Bad Request: chat not found")
    assert (await post(api, "sendMessage", chat_id=SUPERGROUP, text="x")).json()["ok"]


@pytest.mark.parametrize(
    ("chat_type", "chat_id", "description"),
    [
        ("private", USER, "Forbidden: bot was blocked by the user"),
        ("group", GROUP, "Forbidden: bot was kicked from the group chat"),
        ("supergroup", SUPERGROUP, "Forbidden: bot was kicked from the supergroup chat"),
        ("channel", CHANNEL, "Forbidden: bot is not a member of the channel chat"),
    ],
)
async def test_blocked_chats_answer_telegrams_403_texts(
    client: EmulatorClient,
    api: httpx.AsyncClient,
    bot: telegram.Bot,
    chat_type: str,
    chat_id: int,
    description: str,
) -> None:
    if chat_type == "private":
        await client.open_chats([USER])
    else:
        await client.open_group(chat_id, "Blocked", type=chat_type, admin_ids=[USER])
    assert (await post(api, "sendMessage", chat_id=chat_id, text="before")).json()["ok"]
    await client.block(chat_id)
    response = await post(api, "sendMessage", chat_id=chat_id, text="after")
    assert response.status_code == 403 and response.json() == error(403, description)
    with pytest.raises(telegram.error.Forbidden, match=description.removeprefix("Forbidden: ")):
        await bot.send_message(chat_id, "after")
    if chat_type != "private":
        # open_group puts the bot back into the chat.
        await client.open_group(chat_id, "Back", type=chat_type)
        assert (await post(api, "sendMessage", chat_id=chat_id, text="back")).json()["ok"]


async def test_deactivated_user(client: EmulatorClient, api: httpx.AsyncClient) -> None:
    await client.open_chats([USER, USER + 1])
    assert (await client.deactivate_user(USER))["deactivated"] is True
    deactivated = error(403, "Forbidden: user is deactivated")
    response = await post(api, "sendMessage", chat_id=USER, text="digest")
    assert response.status_code == 403 and response.json() == deactivated
    await client.block(USER)
    assert (await post(api, "sendMessage", chat_id=USER, text="x")).json() == deactivated
    assert (await post(api, "sendMessage", chat_id=USER + 1, text="x")).json()["ok"]
    with pytest.raises(EmulatorError):
        await client.send_text(USER, "I am gone")
    await client.deactivate_user(USER, deactivated=False)
    blocked = error(403, "Forbidden: bot was blocked by the user")
    assert (await post(api, "sendMessage", chat_id=USER, text="x")).json() == blocked


# stalls


async def abandoned(client: EmulatorClient, count: int) -> dict[str, Any] | None:
    """Return the stats once `count` stalled sends were given up on, else None."""
    stats = await client.stats()
    return stats if stats["sends_abandoned"] >= count else None


async def test_stalled_send_whose_client_times_out_is_not_delivered(
    client: EmulatorClient, emulator: Emulator, bot: telegram.Bot
) -> None:
    emulator.clock.sleep = sleeps = SleepLog()
    await client.open_chats([USER])
    await client.stall(1, 0.8)
    url = f"{emulator.root_url}/bot{emulator.token}/sendMessage"
    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(httpx.TimeoutException):
            await http.post(url, data={"chat_id": USER, "text": "lost"})
    stats = await wait_for(lambda: abandoned(client, 1), what="the stalled send to end")
    assert await client.messages(USER) == []
    assert (stats["sends_ok"], stats["sends_abandoned"], stats["sends_failed"]) == (0, 1, 0)
    [call] = await client.calls(method="sendMessage")
    assert not call["ok"] and call["error_code"] == 499
    assert sleeps.delays == [0.8]
    # The stall is used up: the next send goes through at once.
    assert emulator.core.stall_count == 0
    await bot.send_message(USER, "on time")
    assert sleeps.delays == [0.8]

    await client.stall(1, 0.8)
    with pytest.raises(telegram.error.TimedOut):
        await bot.send_message(USER, "lost too", read_timeout=0.2)
    await wait_for(lambda: abandoned(client, 2), what="the second stalled send to end")
    assert [m["text"] for m in await client.messages(USER)] == ["on time"]
    assert (await client.stats())["sends_abandoned"] == 2
    assert sleeps.delays == [0.8, 0.8]


async def test_stall_holds_the_next_sends_then_delivers(
    client: EmulatorClient, emulator: Emulator, bot: telegram.Bot
) -> None:
    emulator.clock.sleep = sleeps = SleepLog()
    await client.open_chats([USER, USER + 1])
    assert await client.stall(2, 0.4) == {"ok": True, "count": 2, "seconds": 0.4, "deliver": False}
    await bot.send_chat_action(USER, "typing")  # not a sending call: not stalled
    await bot.get_me()
    assert sleeps.delays == [] and emulator.core.stall_count == 2
    sends = asyncio.gather(bot.send_message(USER, "a"), bot.send_message(USER + 1, "b"))
    # Held together, not one after the other, and nothing is posted while they are held.
    await wait_for(lambda: sleeps.active == 2, what="both sends to be held")
    assert await client.messages(None) == []
    await sends
    assert sleeps.delays == [0.4, 0.4] and sleeps.peak == 2
    assert emulator.core.stall_count == 0
    await bot.send_message(USER, "c")
    assert sleeps.delays == [0.4, 0.4]  # the stall is used up
    assert (await client.stats())["sends_ok"] == 3

    # deliver=True: Telegram sometimes posts a message whose request timed out.
    await client.stall(1, 0.6, deliver=True)
    with pytest.raises(telegram.error.TimedOut):
        await bot.send_message(USER, "duplicate risk", read_timeout=0.2)

    async def last_text() -> bool:
        return bool((await client.messages(USER))[-1]["text"] == "duplicate risk")

    await wait_for(last_text, what="the timed-out send to be delivered")
    assert sleeps.delays == [0.4, 0.4, 0.6]

    await client.stall(5, 10)
    await client.stall(0, 0)  # cancels
    assert emulator.core.stall_count == 0
    await bot.send_message(USER, "free")
    assert sleeps.delays == [0.4, 0.4, 0.6]
    with pytest.raises(EmulatorError):
        await client.stall(-1, 1)
    with pytest.raises(EmulatorError):
        await client.stall(1, -1)


# statistics


async def test_stats_and_sent_log(
    client: EmulatorClient, emulator: Emulator, bot: telegram.Bot
) -> None:
    assert emulator.clock.wall is time.time  # timestamps are Unix seconds unless replaced
    wall = FakeClock(1_700_000_000.0)
    start = wall.now
    emulator.clock.wall = wall
    assert await client.stats() == {
        "sends_ok": 0,
        "sends_429": 0,
        "sends_failed": 0,
        "sends_abandoned": 0,
        "first_ok_at": None,
        "last_ok_at": None,
        "ok_per_chat_max": 0,
        "chats_ok": 0,
    }
    await client.open_chats([USER, USER + 1, USER + 2])
    await client.configure(chat_rate=0.01, chat_burst=2)
    long_text = "가" * 300
    first = await bot.send_message(USER, long_text)
    wall.now += 1
    await bot.send_message(USER, "two")
    wall.now += 1
    await bot.send_message(USER + 1, "other chat")
    wall.now += 1
    await bot.edit_message_text("edited", chat_id=USER + 1, message_id=1)  # 2nd in USER + 1
    wall.now += 1
    with pytest.raises(telegram.error.RetryAfter):
        await bot.send_message(USER + 1, "flooded")
    with pytest.raises(telegram.error.BadRequest):
        await bot.send_message(USER + 2, "<b>broken", parse_mode="HTML")
    await client.block(USER + 2)
    with pytest.raises(telegram.error.Forbidden):
        await bot.send_message(USER + 2, "blocked")
    with pytest.raises(telegram.error.BadRequest):
        await bot.send_message(999_999, "nobody")
    await bot.get_me()
    await bot.send_chat_action(USER, "typing")

    stats = await client.stats(by_chat=True)
    assert {k: stats[k] for k in ("sends_ok", "sends_429", "sends_failed")} == {
        "sends_ok": 4,
        "sends_429": 1,
        "sends_failed": 3,
    }
    assert stats["ok_per_chat_max"] == 2 and stats["chats_ok"] == 2
    assert stats["by_chat"] == {str(USER): 2, str(USER + 1): 2}
    assert (stats["first_ok_at"], stats["last_ok_at"]) == (start, start + 3)
    assert "by_chat" not in await client.stats()

    sent = await client.sent()
    assert [(s["method"], s["chat_id"], s["message_id"]) for s in sent] == [
        ("sendMessage", USER, first.message_id),
        ("sendMessage", USER, first.message_id + 1),
        ("sendMessage", USER + 1, 1),
    ]
    assert sent[0]["text"] == long_text[:200]
    assert sent[0]["at"] == stats["first_ok_at"]
    assert [s["at"] for s in sent] == [start, start + 1, start + 2]
    assert await client.sent(chat_id=USER + 1) == sent[2:]
    assert await client.sent(method="sendPhoto") == []
    assert len(await client.sent(method="sendmessage")) == 3
    calls = await client.calls(method="sendMessage")
    assert [c["at"] for c in calls] == [start, start + 1, start + 2] + [start + 4] * 4
    assert [c["at"] for c in await client.calls(method="editMessageText")] == [start + 3]

    await client.reset_stats()
    assert (await client.stats())["sends_ok"] == 0 and await client.sent() == []
    await client.configure(chat_rate=None)
    await bot.send_photo(USER, "https://example.com/rice.jpg", caption="chart")
    [photo] = await client.sent()
    assert (photo["method"], photo["text"]) == ("sendPhoto", "chart")
    assert len(await client.messages(USER)) == 3  # reset_stats keeps the messages
    await client.reset()
    assert (await client.stats())["sends_ok"] == 0 and await client.sent() == []


async def test_listing_all_chats_follows_the_latest_change(
    client: EmulatorClient, bot: telegram.Bot
) -> None:
    await client.open_chats([USER, USER + 1])
    a = await bot.send_message(USER, "a")
    await bot.send_message(USER + 1, "b")
    [_, listed_b] = await client.messages(None)
    await bot.edit_message_text("a2", chat_id=USER, message_id=a.message_id)
    assert [m["text"] for m in await client.messages(None)] == ["b", "a2"]
    assert [m["text"] for m in await client.messages(None, after=listed_b["seq"])] == ["a2"]
    await bot.delete_message(USER + 1, listed_b["message_id"])
    changed = await client.messages(None, after=listed_b["seq"])
    assert [(m["text"], m["deleted"]) for m in changed] == [("a2", False), ("b", True)]


# load


async def test_bulk_broadcast_counts_match(emulator: Emulator, client: EmulatorClient) -> None:
    await client.configure(global_rate=30, chat_rate=1, chat_burst=3)
    assert await client.open_chats(range(500_001, 510_001)) == 10_000
    await client.configure(global_rate=100_000)
    targets = list(range(500_001, 500_201))
    responses = await send_all(emulator, targets)
    assert [status for status, _ in responses] == [200] * 200
    extra = await send_all(emulator, [500_201] * 4)  # burst of 3 for one chat, then 429
    assert sorted(status for status, _ in extra) == [200, 200, 200, 429]
    stats = await client.stats()
    assert (stats["sends_ok"], stats["sends_429"], stats["sends_failed"]) == (203, 1, 0)
    assert stats["ok_per_chat_max"] == 3 and stats["chats_ok"] == 201
    sent = await client.sent(method="sendMessage")
    assert len(sent) == 203
    assert {s["chat_id"] for s in sent} == {*targets, 500_201}
    assert sent[0]["text"] == "digest for 500001"
    assert len(await client.calls(method="sendMessage")) == 204


async def test_flood_limit_under_latency_and_concurrency() -> None:
    config = EmulatorConfig(global_rate=30, chat_rate=1, chat_burst=3, latency_ms=(100, 300))
    # Flood control's clock only moves when the test moves it.
    buckets = FakeClock()
    async with (
        Emulator(config, clock=Clock(monotonic=buckets)) as emu,
        EmulatorClient(emu.root_url) as control,
    ):
        await control.open_chats(range(1, 10_001))
        responses = await send_all(emu, range(1, 81), concurrency=40)
        codes = [status for status, _ in responses]
        assert set(codes) <= {200, 429}
        ok = codes.count(200)
        assert ok == 30  # the 30/s bucket starts full and has not refilled
        flooded = [body for status, body in responses if status == 429]
        assert len(flooded) == 50
        assert all(f["parameters"]["retry_after"] == 1 for f in flooded)
        stats = await control.stats()
        assert (stats["sends_ok"], stats["sends_429"]) == (ok, len(flooded))
        assert stats["sends_failed"] == 0 and stats["ok_per_chat_max"] == 1
        # A second later the bucket is full again: 30 more get through, the rest wait.
        buckets.now += 1.0
        later = await send_all(emu, range(81, 121), concurrency=40)
        assert sorted(status for status, _ in later) == [200] * 30 + [429] * 10
        assert (await control.stats())["sends_ok"] == 60


async def test_call_cost_does_not_grow_with_the_world(
    emulator: Emulator, client: EmulatorClient
) -> None:
    await client.open_chats(range(1, 10_001))
    assert all(status == 200 for status, _ in await send_all(emulator, range(1, 201)))
    # Fill the world in process: 50,000 older bot messages and a full call log.
    state = emulator.state
    for i in range(50_000):
        state.add_message(state.chats[i % 10_000 + 1], state.bot.id, "text", text="old")
    for _ in range(25_000):
        state.log_call("sendMessage", {}, None)
    assert len(state.calls) == 20_000
    # Listing the latest changes across all chats walks back only as far as needed.
    for _ in range(10):
        assert len(state.bot_messages(None, state.seq - 3)) == 3

    async def follow_all_chats() -> None:
        """Watch every chat the way a test's collect() does: one wait per change."""
        after = state.seq
        while True:
            batch = await client.wait(None, after, timeout=5)
            after = max([after, *(m["seq"] for m in batch)])

    watcher = asyncio.create_task(follow_all_chats())
    await wait_for(lambda: state.messages_changed.waiting, what="the watcher to wait")
    responses = await send_all(emulator, range(201, 401))
    watcher.cancel()
    assert all(status == 200 for status, _ in responses)


# channel posts


async def test_channel_post_from_an_admin(client: EmulatorClient, bot: telegram.Bot) -> None:
    await client.open_group(CHANNEL, "Rice news", type="channel", username="ricenews")
    command = f"/subscribe@{bot.username}"
    sent = await client.send_text(USER, f"{command} rice", chat_id=CHANNEL)
    assert sent["chat_id"] == CHANNEL
    [update] = await bot.get_updates()
    post_ = update.channel_post
    assert post_ is not None and update.message is None
    assert post_.from_user is None and update.effective_user is None
    assert post_.sender_chat is not None and post_.sender_chat.id == CHANNEL
    assert post_.chat.type == "channel" and post_.chat.username == "ricenews"
    assert post_.text == f"{command} rice"
    assert post_.parse_entities([telegram.MessageEntity.BOT_COMMAND]).popitem()[1] == command
    reply = await bot.send_message("@ricenews", "subscribed")
    assert reply.chat.id == CHANNEL and reply.sender_chat is not None
    assert reply.from_user is None
    # An unknown channel is created on the fly when chat_type says so.
    await client.send_text(USER, "/subscribe salt", chat_id=CHANNEL - 1, chat_type="channel")
    [later] = await bot.get_updates(offset=update.update_id + 1)
    assert later.channel_post is not None and later.channel_post.chat.id == CHANNEL - 1


# sync client


def test_sync_client_broadcast_methods() -> None:
    with EmulatorThread(unlimited()) as running, SyncEmulatorClient(running.root_url) as control:
        base = f"{running.root_url}/bot{running.token}"

        def send(chat_id: int, timeout: float = 5.0) -> dict[str, Any]:
            data = {"chat_id": chat_id, "text": "digest"}
            return httpx.post(f"{base}/sendMessage", data=data, timeout=timeout).json()

        assert control.open_chats([1, 2, 3], language_code="en") == 3
        group = control.open_group(GROUP, "Group", admin_ids=[1])
        assert group["chat"]["type"] == "group"
        control.open_group(CHANNEL, "Channel", type="channel", username="chan")
        assert send(1)["ok"] and send(GROUP)["ok"] and send(CHANNEL)["ok"]
        assert control.migrate(GROUP, SUPERGROUP)["new_chat_id"] == SUPERGROUP
        assert send(GROUP)["parameters"] == {"migrate_to_chat_id": SUPERGROUP}
        control.delete_chat(2)
        assert send(2)["description"] == "Bad Request: chat not found"
        control.deactivate_user(3)
        assert send(3)["description"] == "Forbidden: user is deactivated"
        control.stall(1, 0.6)
        with pytest.raises(httpx.TimeoutException):
            send(1, timeout=0.2)
        wait_for_sync(lambda: control.stats()["sends_abandoned"], what="the stalled send to end")
        stats = control.stats(by_chat=True)
        assert (stats["sends_ok"], stats["sends_failed"], stats["sends_abandoned"]) == (3, 3, 1)
        assert stats["by_chat"] == {"1": 1, str(GROUP): 1, str(CHANNEL): 1}
        assert [s["chat_id"] for s in control.sent()] == [1, GROUP, CHANNEL]
        assert control.sent(method="sendPhoto", chat_id=1) == []
        control.reset_stats()
        assert control.stats()["sends_ok"] == 0 and control.sent() == []
