"""The real bot against the offline Bot API emulator: starting it, pressing its buttons, watching
its digest ticks, and reading the calls the emulator refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot.app import build_application
from bot.delivery.sender import Sender
from bot.offline.runtime import polling
from bot.services.catalogue import sync_catalogue
from bot.services.seed import load_sample
from config.settings import Settings
from db.engine import make_engine, upgrade
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.clock import NOW
from tests.support.db import sqlite_url
from tests.support.waiting import TIMEOUT, wait_until

Message = dict[str, Any]


def seeded_engine(path: Path) -> Engine:
    """A migrated SQLite database at `path` with the catalogue and the sample figures."""
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    load_sample(engine, now=NOW)
    return engine


@dataclass
class RunningBot:
    """The bot polling an emulator, and a control client to talk to it as any user."""

    client: EmulatorClient
    application: Application

    @property
    def sender(self) -> Sender:
        """The digest sender the bot started (kept among the application's bot_data)."""
        senders = [v for v in self.application.bot_data.values() if isinstance(v, Sender)]
        assert len(senders) == 1, f"expected the bot to run one sender, found {len(senders)}"
        return senders[0]


@asynccontextmanager
async def running_bot(
    settings: Settings, engine: Engine, services: Any, config: EmulatorConfig
) -> AsyncIterator[RunningBot]:
    """Start the emulator and the bot (post_init done, polling); stop both on exit."""
    emulator = Emulator(config)
    root = await emulator.start()
    client = EmulatorClient(root)
    application = build_application(
        settings, engine=engine, token=config.token, api_url=root, services=services
    )
    try:
        async with polling(application, poll_timeout=1):
            yield RunningBot(client, application)
    finally:
        await client.aclose()
        await emulator.stop()


async def failed_calls(client: EmulatorClient) -> list[tuple[str, str | None]]:
    """Return the Bot API calls the emulator refused, except an editor's menu for a chat not yet open.

    Telegram answers "chat not found" when a menu is set for an editor who never opened the bot;
    the bot logs it and sets the menu again on the editor's /start.
    """
    out = []
    for call in await client.calls():
        if call["ok"]:
            continue
        scope = str(call["params"].get("scope", ""))
        if (
            call["method"] == "setMyCommands"
            and "chat" in scope
            and "chat not found" in str(call.get("description"))
        ):
            continue
        out.append((call["method"], call.get("description")))
    return out


def buttons(message: Message) -> list[dict[str, Any]]:
    """The inline buttons of a bot message, row after row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b for row in rows for b in row]


@dataclass
class Tap:
    """A pressed button and the bot's reply to it."""

    sent: dict[str, Any]  # what the emulator answered the press: update_id, callback_query_id
    answer: dict[str, Any]  # the callback query as the emulator shows it, answered
    messages: list[Message]  # bot messages new or edited since the press, latest state
    message_id: int  # the message whose button was pressed

    @property
    def alert(self) -> str | None:
        """The alert text the bot answered with, if it answered with one."""
        return _alert(self.answer)

    @property
    def edited(self) -> Message | None:
        """The pressed message as the bot left it, if the bot changed it."""
        return next((m for m in self.messages if m["message_id"] == self.message_id), None)


def _alert(query: dict[str, Any]) -> str | None:
    return (query.get("answer") or {}).get("text")


def _replied(until: Callable[[list[Message]], bool] | None) -> Callable[[dict], bool]:
    def done(seen: dict) -> bool:
        if not seen["answer"].get("answered"):
            return False
        if until is not None:
            return bool(until(seen["messages"]))
        # An alert leaves the message as it was; otherwise the bot edits it or writes anew.
        return bool(seen["messages"]) or bool(_alert(seen["answer"]))

    return done


async def press(
    client: EmulatorClient,
    user: int,
    message: Message,
    label: str,
    *,
    until: Callable[[list[Message]], bool] | None = None,
    timeout: float = TIMEOUT,
) -> Tap:
    """Press the button of `message` whose label contains `label`, as `user`; wait for the reply.

    The reply is in when the bot has answered the callback query and, unless it answered with an
    alert, a bot message in the chat is new or edited since the press. `until`, given the
    messages changed since the press, waits for more: a reply in several messages, or one text.
    """
    matching = [b for b in buttons(message) if label in b["text"]]
    assert matching, f"no button with {label!r} among {[b['text'] for b in buttons(message)]}"
    chat_id, message_id = message["chat_id"], message["message_id"]
    sent = await client.tap(user, chat_id, message_id, matching[0]["callback_data"])

    async def probe() -> dict:
        answer = await client.callback_answer(sent["callback_query_id"])
        changed = await client.messages(chat_id, after=sent["seq"])
        return {"answer": answer, "messages": [m for m in changed if not m.get("deleted")]}

    seen = await wait_until(
        probe,
        f"the bot's reply to a press of {label!r} on message {message_id} in chat {chat_id}",
        until=_replied(until),
        timeout=timeout,
    )
    ordered = sorted(seen["messages"], key=lambda m: m["message_id"])
    return Tap(sent, seen["answer"], ordered, message_id)


@dataclass
class Ticks:
    """The digest ticks the bot's sender completed since `count_ticks`, and what each queued."""

    queued: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.queued)


def count_ticks(sender: Sender) -> Ticks:
    """Record every tick `sender` completes from now on (the job queue calls `sender.tick`)."""
    ticks = Ticks()
    tick = sender.tick

    async def counted() -> int:
        queued = await tick()
        ticks.queued.append(queued)
        return queued

    sender.tick = counted  # type: ignore[method-assign]
    return ticks
