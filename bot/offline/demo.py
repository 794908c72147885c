"""Offline sessions: the bot polling the built-in Bot API emulator, for `ask` and `demo`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.delivery.botapi import BotApplication
from bot.offline.runtime import demo_token, polling
from bot.offline.sample_feeds import register_sample_feeds, serve_sample_feeds
from bot.services.clock import utc_now
from config.settings import Settings
from emulator import Emulator, EmulatorClient, EmulatorConfig, EmulatorError

DEMO_MEDIA = Path("data/demo-media")  # beside the demo database in ./data/
DEMO_USER = 1001
DEMO_ADMIN = 9001
DEMO_FEEDS = (
    "Source feeds: as :admin, send /feeds and tap Run now (a sample WFP file for Myanmar and a "
    "news feed, served on this machine), then ask rice yangon, or /inbox."
)
DEMO_HELP = """Demo commands (everything else is sent to the bot):
  :tap N      tap button N of the last message that has buttons
  :admin      talk as the admin account (id 9001)   :user   back to the normal user (id 1001)
  :lang CODE  set your Telegram language (en, ko)   :help   this text   :quit   leave
  :due        make this chat's digests due now (after /subscribe) and show what arrives"""


@asynccontextmanager
async def offline_bot(
    settings: Settings, engine: Engine, *, latency_ms: int = 0
) -> AsyncIterator[EmulatorClient]:
    """Start an emulator and the real bot polling it; yield a client of the emulator."""
    async with _offline_session(settings, engine, latency_ms=latency_ms) as session:
        yield session.client


class _Session:
    """An offline session: the emulator's client, the bot, and which updates it has taken."""

    def __init__(self, client: EmulatorClient, application: BotApplication) -> None:
        self.client = client
        self.application = application
        self._taken: set[int] = set()
        self._changed = asyncio.Event()

    async def took(self, update: object, _context: object) -> None:
        """Run first for every update (its own handler group): note that the bot has it."""
        if isinstance(update, Update):
            self._taken.add(update.update_id)
            self._changed.set()

    async def handled(self, update_id: int, timeout: float) -> bool:
        """Wait until the bot has taken update `update_id` and finished with every update it
        took (PTB marks each done on its update queue); False if that takes over `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while update_id not in self._taken:
                self._changed.clear()
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
            await asyncio.wait_for(
                self.application.update_queue.join(), max(0.0, deadline - loop.time())
            )
        except TimeoutError:
            return False
        return True

    async def reply_to(
        self, user_id: int, text: str, *, language_code: str, timeout: float, quiet: float
    ) -> list[dict[str, Any]]:
        """Send text and return the bot's messages: as soon as it has handled the message
        (plus `SETTLED` s for stragglers), else when it stays quiet for `quiet` s."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = await self.client.send_text(user_id, text, language_code=language_code)
        chat_id, after = sent["chat_id"], sent["seq"]
        if await self.handled(int(sent["update_id"]), timeout):
            # Everything the handlers sent is in the emulator already: one short last look.
            return await self.client.collect(chat_id, after, timeout=SETTLED, quiet=SETTLED)
        left = max(SETTLED, timeout - (loop.time() - start))
        return await self.client.collect(chat_id, after, left, quiet)


# After the bot has handled a message, how long `ask` still watches for more of its messages.
SETTLED = 0.05
# The handler group of `_Session.took`: before every group of the bot's own handlers.
_FIRST_GROUP = -(2**31)


@asynccontextmanager
async def _offline_session(
    settings: Settings, engine: Engine, *, latency_ms: int = 0
) -> AsyncIterator[_Session]:
    """Start an emulator and the real bot polling it; yield the session."""
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token, latency_ms=(latency_ms, latency_ms)))
    root = await emulator.start()
    client = EmulatorClient(root)
    application = build_application(settings, engine=engine, token=token, api_url=root)
    session = _Session(client, application)
    application.add_handler(TypeHandler(Update, session.took), group=_FIRST_GROUP)
    try:
        async with polling(application, poll_timeout=1):
            yield session
    finally:
        await client.aclose()
        await emulator.stop()


def with_link_targets(text: str, entities: list[dict[str, Any]]) -> str:
    """Append each text link's address after its label (entity offsets count UTF-16 units)."""
    units = text.encode("utf-16-le")
    links = sorted(
        (e for e in entities if e.get("type") == "text_link"), key=lambda e: -e["offset"]
    )
    for entity in links:
        end = (entity["offset"] + entity["length"]) * 2
        units = units[:end] + f" <{entity['url']}>".encode("utf-16-le") + units[end:]
    return units.decode("utf-16-le")


def render_message(
    message: dict[str, Any], *, as_html: bool = False, media: str | None = None
) -> str:
    """Show one bot message as terminal text (links spelled out), with numbered buttons.

    `media` is what `save_media` said about a photo or document: where it was saved, or why not.
    """
    if as_html:
        text = message.get("raw") or message.get("text") or message.get("caption") or ""
    else:
        text = with_link_targets(
            message.get("text") or message.get("caption") or "", message.get("entities") or []
        )
    if message.get("kind") in ("photo", "document"):
        label = f"{message['kind']} {media}" if media else message["kind"]
        text = f"[{label}] {text}".rstrip()
    buttons = _buttons(message)
    if buttons:
        text += "\n" + "  ".join(f"[{i}] {label}" for i, (label, _) in enumerate(buttons, start=1))
    return text


def safe_file_name(name: str) -> str:
    """A document's own name made safe to save: its last path part, only [A-Za-z0-9._-],
    no leading dots, at most 120 characters (keeping the suffix); "file" when nothing is left."""
    base = re.split(r"[/\\]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    if len(cleaned) > 120:
        stem, dot, suffix = cleaned.rpartition(".")
        suffix = f".{suffix}" if dot and stem and len(suffix) <= 16 else ""
        cleaned = cleaned[: 120 - len(suffix)] + suffix
    return cleaned or "file"


def media_file_name(message: dict[str, Any], data: bytes) -> str:
    """The name a photo or document is saved under, unique per chat and message:
    `<chat_id>-<message_id>.png` (the suffix read from the bytes) for a photo,
    `<chat_id>-<message_id>-<its own name, made safe>` for a document."""
    prefix = f"{message['chat_id']}-{message['message_id']}"
    if message.get("kind") == "photo":
        if data.startswith(b"\x89PNG"):
            return f"{prefix}.png"
        return f"{prefix}.jpg" if data.startswith(b"\xff\xd8") else f"{prefix}.bin"
    document = message.get("document") or {}
    return f"{prefix}-{safe_file_name(message.get('file_name') or document.get('file_name') or '')}"


def _media_file_id(message: dict[str, Any]) -> str | None:
    """The file_id of a photo or document message (for a photo, its largest size)."""
    if message.get("file_id"):
        return str(message["file_id"])
    if message.get("kind") == "photo" and message.get("photo"):
        largest = max(
            message["photo"],
            key=lambda size: (
                size.get("width", 0) * size.get("height", 0),
                size.get("file_size") or 0,
            ),
        )
        return str(largest["file_id"])
    document = message.get("document") or {}
    return str(document["file_id"]) if document.get("file_id") else None


async def save_media(
    client: EmulatorClient, message: dict[str, Any], folder: Path = DEMO_MEDIA
) -> str | None:
    """Save a photo or document the bot sent under `folder`; return its path to show, a short
    note when it could not be saved, or None for any other message."""
    if message.get("kind") not in ("photo", "document") or message.get("deleted"):
        return None
    file_id = _media_file_id(message)
    if not file_id:
        return "(not saved: no file)"
    try:
        data = await client.file_bytes(file_id)
        path = folder / media_file_name(message, data)

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        await asyncio.to_thread(write)
    except (OSError, httpx.HTTPError, EmulatorError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"(not saved to {folder}: {reason or type(exc).__name__})"
    return str(path)


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [
        (b.get("text", ""), b.get("callback_data", ""))
        for row in rows
        for b in row
        if b.get("callback_data")
    ]


def ask_once(
    settings: Settings,
    engine: Engine,
    text: str,
    *,
    user_id: int,
    language_code: str,
    as_html: bool,
    media_dir: Path = DEMO_MEDIA,
) -> list[str]:
    """Send one message through the emulator and return the bot's replies as text; photos and
    documents are saved under `media_dir`, their paths shown beside the caption."""

    # A one-off question must not send anyone's due digests on the way.
    settings = settings.model_copy(update={"send_digests": False})

    async def go() -> list[str]:
        async with _offline_session(settings, engine) as session:
            replies = await session.reply_to(
                user_id, text, language_code=language_code, timeout=20, quiet=0.5
            )
            return [
                render_message(
                    m, as_html=as_html, media=await save_media(session.client, m, media_dir)
                )
                for m in replies
            ]

    return asyncio.run(go())


async def run_demo(
    settings: Settings, engine: Engine, *, latency_ms: int = 0, media_dir: Path = DEMO_MEDIA
) -> None:
    """Chat with the bot from the terminal until :quit or end of input; photos and documents
    are saved under `media_dir`, their paths shown beside the caption."""
    # The sample feeds are served on 127.0.0.1: this session may fetch loopback links.
    settings = settings.model_copy(
        update={
            "admin_ids": [*settings.admin_ids, DEMO_ADMIN],
            "digest_tick_seconds": 1.0,
            "fetch_allow_private": True,
        }
    )
    user, lang = DEMO_USER, "en"
    last_with_buttons: dict[str, Any] | None = None
    print(
        "Jangmadang demo: offline, on sample data. Try /price lingzhi, rice hyesan, 혜산 쌀, 灵芝."
    )
    print(DEMO_FEEDS)
    print(DEMO_HELP)
    with serve_sample_feeds() as feeds_base:
        register_sample_feeds(engine, feeds_base, now=utc_now())
        await _chat(settings, engine, latency_ms, media_dir, user, lang, last_with_buttons)


async def _chat(
    settings: Settings,
    engine: Engine,
    latency_ms: int,
    media_dir: Path,
    user: int,
    lang: str,
    last_with_buttons: dict[str, Any] | None,
) -> None:
    # The last bot message shown per chat: what came meanwhile (the result of a Run now, an
    # alert) is shown before the next reply.
    seen: dict[int, int] = {}
    async with offline_bot(settings, engine, latency_ms=latency_ms) as client:
        while True:
            try:
                line = await asyncio.to_thread(input, f"\nyou ({user})> ")
            except (EOFError, KeyboardInterrupt):
                print()
                break
            line = line.strip()
            for message in await client.messages(user, seen.get(user, 0)) if user in seen else []:
                seen[user] = max(seen[user], int(message.get("seq", 0)))
                text = render_message(message, media=None).replace("\n", "\n     ")
                print("bot (meanwhile)> " + text)
            if not line:
                continue
            if line in (":quit", ":q", ":exit"):
                break
            if line == ":help":
                print(DEMO_HELP)
                continue
            if line in (":admin", ":user"):
                user = DEMO_ADMIN if line == ":admin" else DEMO_USER
                print(
                    f"(now talking as {'the admin' if user == DEMO_ADMIN else 'a normal user'}, id {user})"
                )
                continue
            if line.startswith(":lang"):
                lang = [*line.split(), "en"][1]
                print(f"(language_code is now {lang})")
                continue
            if line == ":due":
                replies = await _due(client, engine, user)
            elif line.startswith(":tap"):
                replies = await _tap(client, user, line, last_with_buttons)
            else:
                replies = await client.reply_to(
                    user, line, language_code=lang, timeout=20, quiet=0.4
                )
            if not replies:
                print("bot> (no reply)")
            for message in replies:
                seen[user] = max(seen.get(user, 0), int(message.get("seq", 0)))
                media = await save_media(client, message, media_dir)
                print("bot> " + render_message(message, media=media).replace("\n", "\n     "))
                if _buttons(message):
                    last_with_buttons = message
                elif last_with_buttons is not None and _same(message, last_with_buttons):
                    last_with_buttons = None  # its buttons were taken away
    print("Bye.")


async def _tap(
    client: EmulatorClient, user: int, line: str, message: dict[str, Any] | None
) -> list[dict[str, Any]]:
    buttons = _buttons(message) if message else []
    parts = line.split()
    if (
        not buttons
        or len(parts) != 2
        or not parts[1].isdigit()
        or not 1 <= int(parts[1]) <= len(buttons)
    ):
        print(
            f"(nothing to tap: give a button number 1-{len(buttons)})"
            if buttons
            else "(no buttons yet)"
        )
        return []
    assert message is not None
    chat_id = message["chat_id"]
    after = max((m["seq"] for m in await client.messages(chat_id)), default=0)
    try:
        await client.tap(user, chat_id, message["message_id"], buttons[int(parts[1]) - 1][1])
    except EmulatorError as exc:
        print(f"(that button is no longer there: {exc})")
        return []
    return await client.collect(chat_id, after, timeout=10, quiet=0.4)


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return (one.get("chat_id"), one.get("message_id")) == (
        other.get("chat_id"),
        other.get("message_id"),
    )


async def _due(client: EmulatorClient, engine: Engine, chat_id: int) -> list[dict[str, Any]]:
    """Move this chat's next digest to now; the scheduler tick queues it and the sender sends."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select

    from db.models import Subscription

    def move() -> int:
        with Session(engine) as session:
            rows = session.exec(
                select(Subscription).where(
                    Subscription.chat_id == chat_id,
                    Subscription.active == True,  # noqa: E712
                )
            ).all()
            for row in rows:
                row.next_due_at = datetime.now(UTC) - timedelta(minutes=1)
                session.add(row)
            session.commit()
            return len(rows)

    if not await asyncio.to_thread(move):
        print("(no subscriptions in this chat yet: try /subscribe rice hyesan)")
        return []
    after = max((m["seq"] for m in await client.messages(chat_id)), default=0)
    return await client.collect(chat_id, after, timeout=10, quiet=1.5)
