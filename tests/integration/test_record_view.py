"""A permanent link (/start f_12, /start r_7) opens one record: what it says, whether it was
withdrawn, the history of its edits, and the link itself; always one valid Telegram message."""

from __future__ import annotations

import pytest

from bot.domain import links
from bot.domain.errors import NotFound
from bot.domain.i18n import ENGLISH
from bot.rendering.html import MAX_TEXT, utf16_len
from config.settings import Settings
from emulator.html import parse_html
from tests.support.clock import NOW
from tests.support.factories import add_price, add_report
from tests.support.services import make_services

OWNER = 9001
BOT = "jangmadang_bot"
EMOJI = "😀"


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine)


def view(services, kind: str, record_id: int, lang: str = "en"):
    """The record's view as Telegram shows it (parsed strictly), with its HTML."""
    html = services.records.view(kind, record_id, lang=lang, bot_username=BOT).text
    assert utf16_len(html) <= MAX_TEXT
    parsed = parse_html(html)  # raises on a cut tag or entity
    return parsed, html


def urls(parsed) -> list[str]:
    return [e["url"] for e in parsed.entities if e["type"] == "text_link"]


def test_a_figure_shows_its_facts_source_via_and_permanent_link(services, engine):
    catalogue = services.catalogue.current
    row = add_price(
        engine,
        catalogue,
        now=NOW,
        via="Nocut News",
        via_url="https://nocut.example/a?x=1&y=2",
        reliability="B2",
        note="Seen <at> the market & elsewhere",
        reported_date="2026-10-03",
    )
    parsed, _ = view(services, links.FIGURE, row.id)
    text = parsed.text
    assert text.startswith("rice — 📍 Hyesan")
    assert "8,000 KPW/kg" in text and "Observed: 1 Oct 2026" in text
    assert "Published: 2026-10-03" in text
    assert "Daily NK, via Nocut News" in text and "reliability B2" in text
    assert urls(parsed) == ["https://example.org/r", "https://nocut.example/a?x=1&y=2"]
    assert "Seen <at> the market & elsewhere" in text
    assert f"Figure f{row.id} · entered 2026-11-28 09:00 UTC" in text
    assert "History: no changes recorded." in text and "Withdrawn" not in text
    assert text.endswith(links.record_link(BOT, links.FIGURE, row.id))


def test_an_edit_shows_in_the_history_old_to_new(services, engine):
    row = add_price(engine, services.catalogue.current, now=NOW)
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "price", "9000"])
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "rel", "C3"])
    text = view(services, links.FIGURE, row.id)[0].text
    assert "9,000 KPW/kg" in text and "reliability C3" in text
    history = text.split("History (newest first, UTC)\n", 1)[1].splitlines()
    assert history[0] == "• 2026-11-28 09:00 — changed reliability: — → C3"
    assert history[1] == "• 2026-11-28 09:00 — changed price: 8000 → 9000"


def test_a_withdrawn_figure_still_opens_and_says_so(services, engine):
    row = add_price(engine, services.catalogue.current, now=NOW)
    services.admin.delete(admin_id=OWNER, ident=str(row.id))
    text = view(services, links.FIGURE, row.id)[0].text
    assert text.startswith(
        "⚠️ Withdrawn on 2026-11-28: this figure no longer appears in answers or digests."
    )
    assert "8,000 KPW/kg" in text and f"Figure f{row.id}" in text
    assert "• 2026-11-28 09:00 — withdrawn" in text
    assert text.endswith(f"?start=f_{row.id}")


def test_a_report_shows_as_a_report_with_its_history(services, engine):
    catalogue = services.catalogue.current
    report = add_report(
        engine, catalogue, now=NOW, border_status="closed", commodities="rice", date="2026-10"
    )
    services.admin.edit(admin_id=OWNER, args=[f"r{report.id}", "border", "open"])
    parsed, _ = view(services, links.REPORT, report.id)
    text = parsed.text
    assert text.startswith("📍 Hyesan — Oct 2026")
    assert "Border: open" in text and "Goods: rice" in text
    assert "Guards let traders cross again." in text and "Source: Daily NK" in text
    assert urls(parsed) == ["https://example.org/c"]
    assert f"Report r{report.id} · entered" in text
    assert "changed border_status: closed → open" in text
    assert text.endswith(f"https://t.me/{BOT}?start=r_{report.id}")
    korean = view(services, links.REPORT, report.id, lang="ko")[0].text
    assert korean.startswith("📍 혜산")


@pytest.mark.parametrize(
    ("kind", "record_id", "message"),
    [
        (links.FIGURE, 99, "There is no figure f99."),
        (links.REPORT, 99, "There is no report r99."),
        (links.FIGURE, 999_999_999_999, "There is no figure f999999999999."),  # past INTEGER
    ],
)
def test_an_id_never_stored_is_said_plainly(services, kind, record_id, message):
    with pytest.raises(NotFound) as caught:
        services.records.view(kind, record_id, lang="en", bot_username=BOT)
    assert caught.value.to_text(ENGLISH) == message


def test_a_long_note_and_many_long_edits_stay_in_one_message(services, engine):
    row = add_price(engine, services.catalogue.current, now=NOW, note=("&" + EMOJI) * 666)
    for n in range(12):  # escaped, every "&" is five characters
        url = f"https://example.org/{n}?" + "&" * 400
        services.admin.edit(admin_id=OWNER, args=[str(row.id), "url", url])
    parsed, html = view(services, links.FIGURE, row.id)
    assert html.count("&amp;") > 100  # the note is there, shortened to fit
    assert "earlier changes." in parsed.text  # the history, as much of it as fits
    assert parsed.text.endswith(f"?start=f_{row.id}")
