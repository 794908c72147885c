"""Feeds and the inbox in chat, through the emulator: an editor lists the feeds and runs one
now, opens a news article from the inbox into the review and saves it, links a commodity a WFP
file created; a non-editor is refused. The feeds are served on 127.0.0.1 (tests/support/feeds.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, func, select

from db.models import FeedItem, PriceObservation
from tests.support.bot import buttons, press
from tests.support.feeds import FeedServer, serve_feeds
from tests.support.settings import ADMIN_ID, make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID
USER = 4343


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, fetch_allow_private=True, fetch_timeout=3, feed_timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with serve_feeds() as running:
        yield running


async def say(chat, user, text, quiet=0.8):
    return await chat.reply_to(user, text, timeout=20, quiet=quiet)


async def result_message(chat, text: str) -> None:
    """Wait for the message that tells a Run now's result."""

    async def texts():
        return [m.get("text") or "" for m in await chat.messages(OWNER)]

    await wait_until(texts, f"a message with {text!r}", until=lambda t: any(text in x for x in t))


def labels(message) -> list[str]:
    return [b["text"] for b in buttons(message)]


def feed_figures(engine, server) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(col(PriceObservation.source_url).startswith(server.base))
        return session.exec(query).one()


async def test_an_editor_runs_a_feed_opens_an_article_from_the_inbox_and_links(
    chat, bot_services, e2e_engine, server
):
    wfp = bot_services.feeds.add(server.url("/files/wfp_food_prices_mmr.csv"), kind="wfp-hdx")
    [listed] = await say(chat, OWNER, "/feeds")
    assert "WFP MMR" in listed["text"] and "not checked yet" in listed["text"]
    assert f"↻ Run {wfp.id} now" in labels(listed) and f"⏸ Pause {wfp.id}" in labels(listed)

    # Run now answers at once; the check runs in the feed job and its result follows.
    ran = await press(chat, OWNER, listed, f"Run {wfp.id} now")
    assert ran.edited is not None and "Checking feed 1 (WFP MMR) now" in ran.edited["text"]
    await result_message(chat, "Feed 1 (WFP MMR): 60 rows, 60 added")
    assert feed_figures(e2e_engine, server) == 60
    paused = await press(chat, OWNER, ran.edited, f"Pause {wfp.id}")
    assert "paused" in paused.edited["text"] and f"▶ Resume {wfp.id}" in labels(paused.edited)

    [answer] = await say(chat, USER, "rice yangon")
    assert "Rice (low quality)" in answer["text"] and "checked today" in answer["text"]

    news = bot_services.feeds.add(server.url("/feeds/news.rss"), kind="rss", name="Tumen Ledger")
    await say(chat, OWNER, f"/feeds run {news.id}", quiet=0.3)
    # (The bot's own tick may have checked it first: then Run now finds it unchanged.)
    await result_message(chat, f"Feed {news.id} (Tumen Ledger): ")
    [inbox] = await say(chat, OWNER, "/inbox")
    assert "Inbox: 2 articles waiting" in inbox["text"]
    assert "Lingzhi, Hyesan: 500-1,200 CNY/kg" in inbox["text"]
    with Session(e2e_engine) as session:
        item = session.exec(
            select(FeedItem).where(col(FeedItem.url).like("%hyesan-border-trade"))
        ).one()
    opened = await press(chat, OWNER, inbox, f"Open {item.id}")
    review = opened.messages[-1]
    assert "Article review" in review["text"] and "Lingzhi" in review["text"]
    # The seeded sample holds this report's two figures: they start unticked as duplicates.
    assert "duplicate of #" in review["text"] and "Save kept (0)" in " ".join(labels(review))
    dismissed = await press(chat, OWNER, inbox, f"Dismiss {item.id}")
    assert "Inbox: 1 article waiting" in dismissed.edited["text"]

    [waiting] = await say(chat, OWNER, "/link")
    assert "rice-low-quality" in waiting["text"]
    [linked] = await say(chat, OWNER, "/link commodity rice-low-quality rice (white)")
    assert "31 figures moved" in linked["text"]
    [answer] = await say(chat, USER, "rice yangon")
    assert answer["text"].startswith("rice") and "3,250 MMK/kg" in answer["text"]


async def test_a_non_editor_is_refused(chat):
    for command in ("/feeds", "/inbox", "/link"):
        [refusal] = await say(chat, USER, command)
        assert "editors" in refusal["text"].lower()
