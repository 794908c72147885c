"""Hardening in chat, end to end: two editors confirming one figure at once, a form that goes on
after a kill -9 and an import it interrupts, /stats in a group, other bots' commands and edited messages, /subscribe with
nothing readable, and a group's /settings in a non-admin's hands.

Silence is checked, never slept on: a recorder in a later handler group sees each update once
the bot's own handler has finished with it, and only then are the chat's messages read.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.offline.runtime import demo_token
from config.settings import Settings
from db import repo
from db.models import (
    ChatUser,
    Conversation,
    PriceObservation,
    Subscription,
    TradeReport,
    UnfinishedWork,
)
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.bot import buttons, press, seeded_engine
from tests.support.db import sqlite_url
from tests.support.settings import ADMIN_ID, make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID
SECOND = 9002  # a second editor
USER = 4646
GROUP_ADMIN = 4747
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Two editors."""
    return make_settings(tmp_path, admin_ids=[OWNER, SECOND])


@pytest.fixture
def handled(live_bot) -> set[int]:
    """The ids of the updates the bot has finished handling (its handlers run in group 0)."""
    done: set[int] = set()

    async def record(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        done.add(update.update_id)

    live_bot.application.add_handler(TypeHandler(Update, record), group=1)
    return done


async def answer(chat, user, text, *, until, what, **kw) -> list[dict]:
    """Send `text` as `user`; return the bot's messages in that chat since, once `until` holds."""
    sent = await chat.send_text(user, text, **kw)

    async def probe() -> list[dict]:
        return await chat.messages(sent["chat_id"], after=sent["seq"])

    return await wait_until(probe, what, until=until)


def containing(part: str):
    return lambda messages: any(part in (m.get("text") or "") for m in messages)


async def after_handling(chat, handled: set[int], sent: dict) -> list[dict]:
    """Wait until the bot has handled the update `sent` made; return what it wrote since."""
    await wait_until(lambda: sent["update_id"] in handled, f"update {sent['update_id']} handled")
    return await chat.messages(sent["chat_id"], after=sent["seq"])


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


# 7. Two editors confirming the same figure at once


@pytest.mark.parametrize(
    ("line", "model", "stored"),
    [
        (
            '/addprice rice hyesan 9400 KPW/kg 2026-11 source:"Daily NK"',
            PriceObservation,
            "This figure is already stored; nothing was added.",
        ),
        (
            '/addreport sinuiju 2026-10 border "Trucks crossed the bridge at dawn." '
            'source:"Daily NK"',
            TradeReport,
            "This report is already stored; nothing was added.",
        ),
    ],
)
async def test_two_editors_confirming_the_same_entry_at_once(
    chat, e2e_engine, monkeypatch, line, model, stored
):
    before = count(e2e_engine, model)
    previews = []
    for editor in (OWNER, SECOND):
        [preview] = await answer(
            chat, editor, line, until=containing("Check and confirm"), what="a preview"
        )
        previews.append(preview)
    barrier = threading.Barrier(2, timeout=20)
    calls = itertools.count()
    for name in ("price_exists", "trade_report_exists"):
        real = getattr(repo, name)

        def check(session, *, natural_key, real=real):
            found = real(session, natural_key=natural_key)
            if next(calls) < 2:  # both confirms find it new before either inserts it
                barrier.wait()
            return found

        monkeypatch.setattr(repo, name, check)
    taps = await asyncio.gather(
        press(chat, OWNER, previews[0], "Confirm"), press(chat, SECOND, previews[1], "Confirm")
    )
    saved = [t for t in taps if t.edited is not None and "Saved as" in t.edited["text"]]
    refused = [t for t in taps if t.alert is not None]
    assert len(saved) == 1 and len(refused) == 1, [(t.alert, t.messages) for t in taps]
    assert refused[0].alert == stored
    assert count(e2e_engine, model) == before + 1
    assert "Sorry" not in " ".join(m.get("text") or "" for t in taps for m in t.messages)


# 8. kill -9 in the middle of a form (it goes on) and of an import (its owner is told)


def spawn_bot(root: str, token: str, db: Path, log: Path) -> subprocess.Popen:
    """`jangmadang run` in a child process, against the emulator, with the two editors."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": root,
        "DATABASE_URL": sqlite_url(db),
        "ADMIN_IDS": f"{OWNER},{SECOND}",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from bot.entrypoints.cli import main; main()", "run"],
            env=env,
            stdout=out,
            stderr=out,
            cwd=ROOT,
        )


def big_csv(rows: int) -> bytes:
    """Prices enough for an import to take a few seconds (every row a new figure)."""
    lines = ["date,market,commodity,unit,currency,price,source"]
    lines += [
        f"2020-{1 + i % 12:02d}-{1 + i % 28:02d},hyesan,rice,kg,KPW,{1000 + i},Source {i % 50}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def writing(db: Path) -> bool:
    """Tell whether a transaction holds the database's write lock (the import's store pass)."""
    connection = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def rows_of(db: Path, model: type) -> list:
    """Every row of `model` in the SQLite database at `db`."""
    from db.engine import make_engine

    engine = make_engine(sqlite_url(db))
    try:
        with Session(engine) as session:
            return list(session.exec(select(model)))
    finally:
        engine.dispose()


def conversations(db: Path) -> list[Conversation]:
    return rows_of(db, Conversation)


def markers(db: Path) -> list[UnfinishedWork]:
    return rows_of(db, UnfinishedWork)


@pytest.mark.timeout(240)
async def test_a_form_killed_by_kill_9_goes_on_and_an_import_is_reported_once(tmp_path):
    db = tmp_path / "killed.sqlite3"
    engine = seeded_engine(db)
    prices_before = count(engine, PriceObservation)
    engine.dispose()
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token))
    root = await emulator.start()
    chat = EmulatorClient(root)
    children: list[subprocess.Popen] = []
    log = tmp_path / "bot.log"

    def alive(child: subprocess.Popen) -> None:
        if child.poll() is not None:
            raise RuntimeError(f"the bot exited with {child.returncode}: {log.read_text()[-2000:]}")

    async def messages_of(child, chat_id, after):
        alive(child)
        return await chat.messages(chat_id, after=after)

    try:
        await chat.open_chats([OWNER, SECOND])
        first = spawn_bot(root, token, db, log)
        children.append(first)
        sent = await chat.send_text(OWNER, "/addreport")
        await wait_until(
            lambda: messages_of(first, OWNER, sent["seq"]),
            "the form's first question",
            until=containing("1/"),
            timeout=60,
        )
        upload = await chat.upload(SECOND, "big.csv", big_csv(80_000), "text/csv")

        async def importing() -> bool:
            # The import is under way: its marker is written and its progress message counts
            # rows (the store pass writes to a private staging table, so no lock shows it).
            alive(first)
            if not any(m.kind == "import" for m in markers(db)):
                return False
            shown = await chat.messages(SECOND, after=upload["seq"])
            return any((m.get("text") or "").startswith("Importing…") for m in shown)

        await wait_until(importing, "the import under way", timeout=90, interval=0.01)
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait)
        [progress] = await chat.messages(SECOND, after=upload["seq"])
        assert progress["text"].startswith(("Reading the file", "Importing…")), progress
        left = markers(db)
        assert [(m.owner_id, m.kind) for m in left] == [(SECOND, "import")]
        assert [m.message_id for m in left] == [progress["message_id"]]
        assert [(c.owner_id, c.kind) for c in conversations(db)] == [(OWNER, "form-report")]

        second = spawn_bot(root, token, db, log)
        children.append(second)
        # The form was a row, not this process's memory: the editor's next answer continues it.
        sent = await chat.send_text(OWNER, "hyesan")
        [asked] = await wait_until(
            lambda: messages_of(second, OWNER, sent["seq"]),
            "the form's second question",
            until=containing("2/"),
            timeout=60,
        )
        assert "interrupted" not in asked["text"] and "When?" in asked["text"]
        [form] = conversations(db)
        assert form.kind == "form-report" and form.version >= 3

        # The importing editor is told, at the restart or at their next message at the latest,
        # and the progress message is ended.
        sent = await chat.send_text(SECOND, "/mine")
        changed = await wait_until(
            lambda: messages_of(second, SECOND, upload["seq"]),
            "the progress message ended and the notice of the interrupted import",
            until=lambda ms: (
                containing("Interrupted by a restart; nothing was written.")(ms)
                and containing("Your import of big.csv was interrupted")(ms)
            ),
            timeout=30,
        )
        ended = next(m for m in changed if m["message_id"] == progress["message_id"])
        assert ended["text"] == "Interrupted by a restart; nothing was written." and ended["edited"]
        assert any(
            (m.get("text") or "")
            == "Your import of big.csv was interrupted by a restart; nothing was written. "
            "Send the file again."
            for m in changed
        )
        assert markers(db) == []
        engine = seeded_engine(db)  # idempotent: the sample is already in
        assert count(engine, PriceObservation) == prices_before
        engine.dispose()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        await chat.aclose()
        await emulator.stop()


# 11. /stats is for a private chat


async def test_stats_in_a_group_posts_no_counts(chat):
    group = -100611
    await chat.open_group(group, "Traders", admin_ids=[OWNER])
    [refused] = await answer(
        chat,
        OWNER,
        "/stats",
        until=bool,
        what="the answer to /stats in a group",
        chat_id=group,
        chat_type="group",
    )
    assert "private chat" in refused["text"] and "subscri" not in refused["text"].lower()
    [counts] = await answer(chat, OWNER, "/stats", until=bool, what="/stats in private")
    assert "subscri" in counts["text"].lower()
    [refused] = await answer(chat, USER, "/stats", until=bool, what="/stats by a non-editor")
    assert "Only admins" in refused["text"]


# 12. Other bots' commands and edited messages


async def test_commands_for_other_bots_are_left_to_them(chat, handled):
    group = -100612
    await chat.open_group(group, "Border traders", admin_ids=[GROUP_ADMIN])
    for text in ("/start@otherbot", "/ban@groupguard spammer", "/price@OtherBot rice"):
        sent = await chat.send_text(USER, text, chat_id=group, chat_type="group")
        assert await after_handling(chat, handled, sent) == [], text
    # Addressed to this bot, an unknown command is still pointed to /help.
    [pointed] = await answer(
        chat,
        USER,
        "/nosuch@jangmadang_bot",
        until=bool,
        what="the answer to an unknown command",
        chat_id=group,
        chat_type="group",
    )
    assert "I don't know the command /nosuch" in pointed["text"]


def edited(sent: dict, *, user: int, text: str, chat_type: str, update_id: int) -> dict:
    """The update Telegram sends when `user` edits the message `sent` into `text`."""
    now = int(time.time())
    chat = {"id": sent["chat_id"], "type": chat_type}
    if chat_type != "private":
        chat["title"] = "Border traders"
    else:
        chat["first_name"] = "U"
    message = {
        "message_id": sent["message_id"],
        "date": now - 5,
        "edit_date": now,
        "chat": chat,
        "from": {"id": user, "is_bot": False, "first_name": "U"},
        "text": text,
    }
    if text.startswith("/"):
        word = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(word)}]
    return {"update_id": update_id, "edited_message": message}


async def test_edits_are_ignored_except_an_edited_question(chat, live_bot, handled, e2e_engine):
    application = live_bot.application
    update_ids = itertools.count(900_000_000)

    async def edit(sent, *, user, text, chat_type="private") -> dict:
        update_id = next(update_ids)
        payload = edited(sent, user=user, text=text, chat_type=chat_type, update_id=update_id)
        seq = max(m["seq"] for m in await chat.messages(sent["chat_id"]))
        await application.update_queue.put(Update.de_json(payload, application.bot))
        return {"update_id": update_id, "chat_id": sent["chat_id"], "seq": seq}

    # A subscription command edited in a group: not "unknown", and nothing subscribed again.
    group = -100613
    await chat.open_group(group, "Border traders", admin_ids=[GROUP_ADMIN])
    sent = await chat.send_text(GROUP_ADMIN, "/subscribe rice", chat_id=group, chat_type="group")
    await wait_until(lambda: chat.messages(group, after=sent["seq"]), "the subscription")
    changed = await edit(sent, user=GROUP_ADMIN, text="/subscribe corn", chat_type="group")
    assert await after_handling(chat, handled, changed) == []
    assert count(e2e_engine, Subscription, Subscription.chat_id == group) == 1
    # An editor's entry edited: no second preview.
    sent = await chat.send_text(OWNER, '/addprice rice hyesan 7000 KPW/kg 2026-11 source:"RFA"')
    await wait_until(lambda: chat.messages(OWNER, after=sent["seq"]), "the preview")
    changed = await edit(sent, user=OWNER, text='/addprice rice hyesan 7100 KPW/kg source:"RFA"')
    assert await after_handling(chat, handled, changed) == []
    # A question edited: answered again, as the new question.
    sent = await chat.send_text(USER, "lingzhi")
    await wait_until(lambda: chat.messages(USER, after=sent["seq"]), "the answer")
    changed = await edit(sent, user=USER, text="corn sinuiju")
    [again] = await after_handling(chat, handled, changed)
    assert "corn" in again["text"].lower() and "Sinuiju" in again["text"]
    sent = await chat.send_text(USER, "/price lingzhi")
    await wait_until(lambda: chat.messages(USER, after=sent["seq"]), "the answer")
    changed = await edit(sent, user=USER, text="/price rice hyesan")
    [again] = await after_handling(chat, handled, changed)
    assert "rice" in again["text"].lower() and "Hyesan" in again["text"]


# 13. /subscribe with nothing readable


@pytest.mark.parametrize("words", ["🎉🎉", "!!!", "🌾 …"])
async def test_subscribe_with_only_emoji_or_punctuation_changes_nothing(chat, e2e_engine, words):
    [reply] = await answer(chat, USER, f"/subscribe {words}", until=bool, what="the answer")
    assert "Nothing was changed" in reply["text"] and "Subscribed" not in reply["text"]
    assert count(e2e_engine, Subscription, Subscription.chat_id == USER) == 0
    # Only an empty argument means everything.
    [reply] = await answer(chat, USER, "/subscribe", until=bool, what="the subscription")
    assert "Subscribed" in reply["text"]
    [reply] = await answer(chat, USER, f"/unsubscribe {words}", until=bool, what="the answer")
    assert "Stopped" not in reply["text"]
    assert count(e2e_engine, Subscription, Subscription.chat_id == USER, Subscription.active) == 1


# 17. A group's settings are its admins'


def language_of(engine, user: int) -> str | None:
    with Session(engine) as session:
        row = session.get(ChatUser, user)
        return None if row is None else row.language


async def test_only_a_groups_admins_change_its_settings(chat, e2e_engine):
    group = -100617
    await chat.open_group(group, "Border traders", admin_ids=[GROUP_ADMIN])
    await answer(
        chat,
        GROUP_ADMIN,
        "/subscribe rice",
        until=bool,
        what="the subscription",
        chat_id=group,
        chat_type="group",
    )
    [menu] = await answer(
        chat,
        GROUP_ADMIN,
        "/settings",
        until=bool,
        what="the settings",
        chat_id=group,
        chat_type="group",
    )
    assert "한국어" in " ".join(b["text"] for b in buttons(menu))
    # A member who is no admin: refused, and the group's message stays the group's.
    tap = await press(chat, USER, menu, "한국어")
    assert tap.alert is not None and "Only an admin" in tap.alert
    assert tap.edited is None
    assert language_of(e2e_engine, USER) is None
    # The admin: the group's digests change language; nobody's own language does.
    tap = await press(chat, GROUP_ADMIN, menu, "한국어")
    assert tap.edited is not None and "설정" in tap.edited["text"]
    with Session(e2e_engine) as session:
        [subscription] = session.exec(select(Subscription).where(Subscription.chat_id == group))
    assert subscription.language == "ko"
    assert language_of(e2e_engine, GROUP_ADMIN) is None
