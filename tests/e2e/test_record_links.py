"""The permanent link of a seeded figure (t.me/<bot>?start=f_<id>) opens that figure, in a private
chat and in a group; an id never stored is said plainly; a malformed payload is greeted."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from bot.domain import links
from db.models import PriceObservation
from tests.support.bot import failed_calls
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
USER = 5252
GROUP = -100717


async def answer(chat, text: str, part: str, **kw) -> str:
    """Send `text` as USER; return the bot's first message since that holds `part`."""
    sent = await chat.send_text(USER, text, **kw)

    async def probe() -> list[dict]:
        return await chat.messages(sent["chat_id"], after=sent["seq"])

    def found(messages: list[dict]) -> str | None:
        return next((m["text"] for m in messages if part in (m.get("text") or "")), None)

    messages = await wait_until(probe, f"a reply to {text!r} with {part!r}", until=found)
    return found(messages) or ""


def seeded_figure(engine) -> PriceObservation:
    with Session(engine) as session:
        figure = session.exec(
            select(PriceObservation).order_by(col(PriceObservation.id)).limit(1)
        ).one()
    return figure


async def test_the_link_of_a_seeded_figure_opens_that_figure(chat, e2e_engine, bot_services):
    figure = seeded_figure(e2e_engine)
    assert figure.id is not None
    catalogue = bot_services.catalogue.current
    link = links.record_link("jangmadang_bot", links.FIGURE, figure.id)
    payload = link.split("?start=", 1)[1]

    text = await answer(chat, f"/start {payload}", f"Figure f{figure.id} ·")
    assert catalogue.commodity_labels[figure.commodity_id].en in text
    assert catalogue.market_labels[figure.market_id].en in text
    assert figure.source_name in text and "Source:" in text
    assert text.endswith(link)
    await chat.open_group(GROUP, "Traders", admin_ids=[USER])
    in_group = await answer(
        chat, f"/start {payload}", f"Figure f{figure.id} ·", chat_id=GROUP, chat_type="group"
    )
    assert in_group.endswith(link)
    missing = await answer(chat, "/start f_987654321", "There is no")
    assert missing == "There is no figure f987654321."
    assert "Hello" in await answer(chat, "/start f_x", "Hello")
    assert await failed_calls(chat) == []
