"""The cite button's service on a real database: figures by id, withdrawn ones, Telegram's limit."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.domain.i18n import ENGLISH
from bot.rendering.html import MAX_TEXT, utf16_len
from bot.services.catalogue import CatalogueStore
from bot.services.citing import Citations, inline_citation
from bot.services.market_figures import to_observation
from db.models import PriceObservation
from tests.support.clock import NOW, fixed_clock
from tests.support.factories import add_price

BOT = "JangmadangBot"


def citations(engine) -> Citations:
    return Citations(engine=engine, catalogue=CatalogueStore(engine), clock=fixed_clock(NOW))


def test_cites_stored_figures_by_id_in_order_and_names_the_unknown(engine, catalogue):
    first = add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    second = add_price(
        engine,
        catalogue,
        now=NOW,
        market="sinuiju",
        date="2026-09",
        price="7500",
        source="Asia Press",
        source_url="",
        via="Nocut News",
        via_url="https://www.nocutnews.co.kr/news/1",
    )
    text = citations(engine).cite([second.id, 999_999, first.id], lang="en", bot_username=BOT).text
    assert text.index(f"f{second.id}") < text.index(f"f{first.id}")
    assert 'Asia Press (via Nocut News). "Rice, Sinuiju' in text
    assert "Read at https://www.nocutnews.co.kr/news/1." in text
    assert f"https://t.me/{BOT}?start=f_{first.id}, accessed 28 Nov 2026." in text
    assert f"@misc{{jangmadang_f{first.id}," in text and "urldate = {2026-11-28}" in text
    assert '<pre><code class="language-bibtex">' in text
    assert "Figure f999999 is not in the database." in text


def test_a_withdrawn_figure_is_cited_and_says_it_was_withdrawn(engine, catalogue):
    row = add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    with Session(engine) as session:
        stored = session.get(PriceObservation, row.id)
        assert stored is not None
        stored.deleted_at = NOW - timedelta(days=2)
        session.add(stored)
        session.commit()
    text = citations(engine).cite([row.id], lang="en", bot_username=BOT).text
    assert f"Jangmadang record f{row.id}" in text
    assert "Withdrawn from the record on 26 Nov 2026." in text
    assert "Withdrawn from the record on 2026-11-26" in text


def test_many_figures_stay_within_one_message(engine, catalogue):
    def figure(month: int, *, url: str, name: str) -> int:
        row = add_price(
            engine,
            catalogue,
            now=NOW,
            date=f"2026-{month:02d}-01",
            price=str(7000 + month),
            source=name,
            source_url=url,
            via="x" * 100,
            via_url=url + "v",
        )
        assert row.id is not None
        return row.id

    ids = [figure(m, url="https://example.org/" + "a" * 280, name="Daily NK") for m in range(1, 11)]
    reply = citations(engine).cite(ids, lang="en", bot_username=BOT)
    assert utf16_len(reply.text) <= MAX_TEXT
    cited = sum(f"@misc{{jangmadang_f{i}," in reply.text for i in ids)
    assert 1 < cited < len(ids)
    assert f"{len(ids) - cited} more figures: ask about one place to cite them." in reply.text
    # Every field at its longest, full of characters HTML and BibTeX escape: still one message.
    worst = figure(11, url="https://example.org/" + "&%" * 230, name="&_" * 60)
    text = citations(engine).cite([worst, *ids], lang="en", bot_username=BOT).text
    assert utf16_len(text) <= MAX_TEXT and f"Jangmadang record f{worst}," in text


def test_the_inline_citation_fits_an_inline_message(engine, catalogue):
    row = add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    obs = to_observation(row, catalogue, lang="en")
    title, description, text = inline_citation(obs, NOW.date(), BOT, ENGLISH)
    assert title.startswith("📋 Cite: Rice, Hyesan") and "8,000 KPW/kg" in title
    assert description == f"Daily NK · Observed 1 Oct 2026 · f{row.id}"
    assert f"@misc{{jangmadang_f{row.id}," in text and utf16_len(text) <= MAX_TEXT
