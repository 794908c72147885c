"""The "📋 Cite" button of a price answer, through the strict emulator."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.domain.callbacks import cite_ids
from bot.services.catalogue import load_catalogue
from db import repo
from tests.support.bot import buttons, failed_calls, press

pytestmark = pytest.mark.e2e
USER = 5252


async def test_the_cite_button_sends_the_citations_as_a_new_message(chat, live_bot, e2e_engine):
    catalogue = load_catalogue(e2e_engine)
    with Session(e2e_engine) as session:
        row = repo.latest_price(
            session,
            commodity_id=catalogue.commodity_slugs["rice"],
            market_id=catalogue.market_slugs["hyesan"],
        )
    assert row is not None and row.id is not None
    messages = await chat.reply_to(USER, "rice hyesan", timeout=20, quiet=1.0)
    answer = next((m for m in messages if any("📋" in b["text"] for b in buttons(m))), None)
    assert answer is not None, "the price answer has a 📋 Cite button"
    [cite] = [b for b in buttons(answer) if "📋" in b["text"]]
    assert row.id in cite_ids(cite["callback_data"])
    tap = await press(
        chat, USER, answer, "📋", until=lambda ms: any("@misc" in m["text"] for m in ms)
    )
    assert tap.edited is None  # the answer stays as it was
    text = "\n".join(m["text"] for m in tap.messages)
    bot = live_bot.application.bot.username
    assert f"{row.source_name}" in text and f"Jangmadang record f{row.id}," in text
    assert f"https://t.me/{bot}?start=f_{row.id}" in text
    assert f"@misc{{jangmadang_f{row.id}," in text
    assert await failed_calls(chat) == []
