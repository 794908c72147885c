"""Article intake through the emulator: an editor forwards or pastes an article (or sends
/intake URL), reviews the figures the bot read, saves them once and undoes the batch; anyone
else's forwarded article is answered as a question, and nothing is proposed.

The reader is the real one (bot.services.intake, with the real extraction), recorded; links are
served on 127.0.0.1 by tests/support/pages.py, which these settings allow fetching.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, func, select

from bot.services import pending as pending_module
from bot.services.catalogue import sync_catalogue
from bot.services.intake_review import IntakeReviews
from db.engine import make_engine, upgrade
from db.models import Conversation, PriceObservation, TradeReport
from tests.support.articles import NO_FIGURES, PASSAGE, URL, Recording
from tests.support.bot import buttons, press
from tests.support.clock import NOW
from tests.support.db import sqlite_url
from tests.support.pages import serve_pages
from tests.support.services import make_services
from tests.support.settings import ADMIN_ID, make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID
USER = 4343
SUMMARY = (
    "In Hyesan, exports on state-run smuggling routes lifted Lingzhi prices; locals earn more."
)
CHANNEL = {
    "type": "channel",
    "date": int(datetime(2026, 11, 20, 8, 0, tzinfo=UTC).timestamp()),
    "chat": {"id": -1001234567, "type": "channel", "title": "Daily NK"},
    "message_id": 812,
}


@pytest.fixture
def e2e_engine(tmp_path):
    """The catalogue without the sample figures (the sample holds this very report's)."""
    engine = make_engine(sqlite_url(tmp_path / "e2e.sqlite3"))
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path):
    """Test settings that may fetch the local page server (never in production)."""
    return make_settings(tmp_path, fetch_allow_private=True, fetch_timeout=2)


@pytest.fixture
def bot_services_base(settings, e2e_engine):
    return make_services(settings, e2e_engine)


@pytest.fixture
def reader(bot_services_base) -> Recording:
    return Recording(bot_services_base.intake)


@pytest.fixture
def bot_services(bot_services_base, reader):
    """The bot's services, the reviews reading through the recorded real reader."""
    services = bot_services_base
    reviews = IntakeReviews(
        engine=services.engine,
        catalogue=services.catalogue,
        clock=services.clock,
        pending=services.steps,
        reader=reader,
        alerts=services.alerts,
        condition_alerts=services.condition_alerts,
    )
    return replace(services, reviews=reviews)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_pages() as root:
        yield root


async def say(chat, user, text, quiet=1.2, **kw):
    return await chat.reply_to(user, text, timeout=20, quiet=quiet, **kw)


def text_of(messages):
    return "\n".join((m.get("text") or "") for m in messages)


def live(engine, model) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(model).where(col(model.deleted_at).is_(None))
        return session.exec(query).one()


def markers(engine) -> list[str]:
    """The reviews held (unexpired conversation steps of kind intake)."""
    now = datetime.fromtimestamp(pending_module.time.time(), UTC)
    with Session(engine) as session:
        rows = session.exec(select(Conversation).where(Conversation.kind == "intake"))
        return [c.kind for c in rows if c.expires_at.replace(tzinfo=UTC) > now]


async def current(chat, message):
    """A bot message as it is now (after edits)."""
    found = await chat.messages(message["chat_id"])
    return next(m for m in found if m["message_id"] == message["message_id"])


def labels(message) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def test_a_forwarded_article_is_reviewed_saved_once_and_undone(chat, e2e_engine):
    [review] = await say(chat, OWNER, PASSAGE, forward_origin=CHANNEL)
    text = review["text"]
    assert "Article review" in text and "Daily NK" in text and "the forwarded post" in text
    # Exactly the two Lingzhi figures, and a Hyesan report on state-sanctioned exports.
    lines = [line for line in text.splitlines() if line.startswith(("☑", "☐"))]
    assert lines == [
        "☑ 1. Lingzhi, Hyesan: 200-300 CNY/kg · before 2026-11-20",
        "☑ 2. Lingzhi, Hyesan: 500-1,200 CNY/kg · now (2026-11-20) · depending on quality",
    ]
    assert "Draft report" in text and "place Hyesan" in text and "direction export" in text
    assert "state-sanctioned-smuggling" in text and "in your own words" in text
    assert labels(review) == ["☑ 1", "☑ 2", "✅ Save kept (2)", "✖️ Cancel"]
    assert live(e2e_engine, PriceObservation) == 0 and markers(e2e_engine) == ["intake"]

    # The summary, in the editor's words: the review is edited in place.
    edited, note = await say(chat, OWNER, f"/summary {SUMMARY}")
    assert "Summary set" in note["text"] and edited["message_id"] == review["message_id"]
    review = await current(chat, review)
    assert "Summary (yours)" in review["text"]
    assert "✅ Save kept (2) + report" in labels(review)

    # Two taps on Save (the second before the first is answered): written once.
    data = next(b["callback_data"] for b in buttons(review) if "Save" in b["text"])
    first = await chat.tap(OWNER, OWNER, review["message_id"], data)
    second = await chat.tap(OWNER, OWNER, review["message_id"], data)

    async def answers():
        return [await chat.callback_answer(t["callback_query_id"]) for t in (first, second)]

    done = await wait_until(
        answers, "both Save taps answered", until=lambda a: all(x.get("answered") for x in a)
    )
    assert "already saved" in (done[1].get("answer") or {}).get("text", "")
    saved = await current(chat, review)
    assert "Saved 2 figures" in saved["text"] and "report as r" in saved["text"]
    assert live(e2e_engine, PriceObservation) == 2 and live(e2e_engine, TradeReport) == 1
    assert markers(e2e_engine) == []
    with Session(e2e_engine) as session:
        rows = list(session.exec(select(PriceObservation).order_by(col(PriceObservation.id))))
    assert [(r.source_name, r.source_url, r.entered_by) for r in rows] == [
        ("Daily NK", URL, OWNER)
    ] * 2
    assert "500-1,200 CNY/kg" in text_of(await say(chat, USER, "/price lingzhi hyesan"))

    # /undo removes the whole batch.
    undone = text_of(await say(chat, OWNER, "/undo"))
    assert "batch of 3 entries (2 figures, 1 report)" in undone
    assert live(e2e_engine, PriceObservation) == 0 and live(e2e_engine, TradeReport) == 0


async def test_parts_in_a_row_are_one_article_and_fix_edits_the_review(chat, reader):
    [review] = await say(chat, OWNER, PASSAGE, quiet=0.3)
    # A short part right after a long one is its next part, not a question.
    tail = "(Reported by Daily NK's sources in Ryanggang Province.)"
    replies = await say(chat, OWNER, tail)
    assert [m["message_id"] for m in replies] == [review["message_id"]]  # edited in place
    assert "(2 parts)" in replies[0]["text"]
    assert reader.texts[-1] == PASSAGE + "\n\n" + tail
    fixed = await say(chat, OWNER, "/fix 2 low 450")
    edited = next(m for m in fixed if m["message_id"] == review["message_id"])
    assert "450-1,200 CNY/kg" in edited["text"]
    assert "Figure 2 low: 450" in text_of(fixed)
    assert "Source: dailynk.com (the link)" in edited["text"]  # a paste: no publisher, no channel
    tapped = await press(chat, OWNER, edited, "☑ 1")
    assert tapped.edited is not None and "✅ Save kept (1)" in labels(tapped.edited)
    cancelled = await press(chat, OWNER, tapped.edited, "Cancel")
    assert "nothing from this article was saved" in cancelled.edited["text"]


async def test_a_non_editor_forwarding_an_article_gets_an_ordinary_answer(chat, e2e_engine, reader):
    for kw in ({"forward_origin": CHANNEL}, {}):
        replies = await say(chat, USER, PASSAGE, **kw)
        assert replies and "Article review" not in text_of(replies)
        assert not any("Save" in label for m in replies for label in labels(m))
    assert reader.texts == [] and markers(e2e_engine) == []


async def test_an_editors_short_question_stays_a_question(chat, reader):
    replies = await say(chat, OWNER, "lingzhi hyesan")
    assert "Article review" not in text_of(replies) and reader.texts == []


async def test_an_open_form_takes_the_text_first(chat, reader):
    await say(chat, OWNER, "/addreport")
    replies = await say(chat, OWNER, PASSAGE)
    assert "Article review" not in text_of(replies) and reader.texts == []


async def test_intake_without_a_link_gets_usage_and_with_one_a_review(chat, reader, site):
    assert "/intake URL" in text_of(await say(chat, OWNER, "/intake"))
    [review] = await say(chat, OWNER, f"/intake {site}/article")
    assert reader.urls == [f"{site}/article"] and "Article review" in review["text"]
    assert "Tumen Ledger (the page)" in review["text"] and "2025-03-14 (the page)" in review["text"]
    assert "200-300 CNY/kg" in review["text"] and "500-1,200 CNY/kg" in review["text"]
    bad = text_of(await say(chat, OWNER, f"/intake {site}/report.pdf"))
    assert "The page is not HTML" in bad
    assert "for the bot's editors" in text_of(await say(chat, USER, f"/intake {site}/article"))


async def test_text_with_no_figures_gets_a_clear_reply(chat, e2e_engine):
    replies = await say(chat, OWNER, NO_FIGURES, forward_origin=CHANNEL)
    assert "No price figures or trade conditions found; nothing was saved." in text_of(replies)
    assert not any(buttons(m) for m in replies)
    assert live(e2e_engine, PriceObservation) == 0 and markers(e2e_engine) == []


async def test_an_expired_review_cannot_be_saved(chat, e2e_engine, monkeypatch):
    [review] = await say(chat, OWNER, PASSAGE, forward_origin=CHANNEL)
    later = pending_module.time.time() + pending_module.PENDING_SECONDS + 1
    monkeypatch.setattr(pending_module, "time", types.SimpleNamespace(time=lambda: later))
    tapped = await press(chat, OWNER, review, "Save")
    assert "expired" in (tapped.alert or "")
    assert live(e2e_engine, PriceObservation) == 0 and markers(e2e_engine) == []


async def test_a_photo_whose_caption_is_the_article_is_reviewed(chat, e2e_engine):
    from tests.support.emulator import png_bytes

    sent = await chat.send_photo(OWNER, png_bytes(8, 8), caption=PASSAGE)
    [review] = await chat.collect(sent["chat_id"], sent["seq"], timeout=20, quiet=1.2)
    lines = [line for line in review["text"].splitlines() if line.startswith(("☑", "☐"))]
    assert [line.split(":")[1].strip().split(" ·")[0] for line in lines] == [
        "200-300 CNY/kg",
        "500-1,200 CNY/kg",
    ]
    # Anyone else's captioned photo is left alone, as before.
    other = await chat.send_photo(USER, png_bytes(8, 8), caption=PASSAGE)
    assert await chat.collect(other["chat_id"], other["seq"], timeout=1.5, quiet=0.2) == []
