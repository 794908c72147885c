"""The review message: numbered figures ticked or not, the draft report with the source's words
quoted, buttons that fit Telegram, everything escaped and within one message."""

from __future__ import annotations

from bot.domain import callbacks
from bot.domain.intake import BEFORE, NOW
from bot.domain.text import utf16_len
from bot.rendering.html import MAX_TEXT
from bot.rendering.intake_review import FigureLine, ReportLines, ReviewView, render_review


def line(number: int, **overrides: object) -> FigureLine:
    values: dict = {
        "number": number,
        "commodity": "Lingzhi",
        "place": "Hyesan",
        "low": 500,
        "high": 1200,
        "currency": "CNY",
        "unit": "kg",
        "when": NOW,
        "qualifier": "depending on quality",
        "approximate": False,
        "duplicate_of": None,
        "kept": True,
    }
    return FigureLine(**{**values, **overrides})


def view(figures, report=None, **overrides: object) -> ReviewView:
    values: dict = {
        "token": "AbCdEfGh",
        "title": "Border trade picks up",
        "source": "Daily NK",
        "source_from": "the page",
        "url": "https://www.dailynk.com/english/x",
        "published": "2026-11-20",
        "published_from": "the page",
        "figures": tuple(figures),
        "report": report,
    }
    return ReviewView(**{**values, **overrides})


def report(**overrides: object) -> ReportLines:
    values: dict = {
        "place": "Hyesan",
        "observed": None,
        "topics": ("exports", "smuggling"),
        "direction": "export",
        "channel": "state-sanctioned-smuggling",
        "goods": ("Lingzhi",),
        "border_status": None,
        "market_activity": None,
        "enforcement": None,
        "sentences": ("Trading companies are buying up Lingzhi & herbs.",),
        "summary": None,
    }
    return ReportLines(**{**values, **overrides})


def test_each_figure_is_one_numbered_line_with_its_toggle():
    reply = render_review(
        view(
            [
                line(1, low=200, high=300, when=BEFORE, qualifier=None),
                line(2),
                line(3, kept=False, duplicate_of=41, when="2026-10"),
            ],
            report(),
        )
    )
    lines = reply.text.splitlines()
    assert "☑ <b>1.</b> Lingzhi, Hyesan: <b>200-300 CNY/kg</b> · before 2026-11-20" in lines
    assert (
        "☑ <b>2.</b> Lingzhi, Hyesan: <b>500-1,200 CNY/kg</b> · now (2026-11-20) · "
        "depending on quality"
    ) in lines
    assert any(x.startswith("☐ <b>3.</b>") and "duplicate of #41" in x for x in lines)
    assert "“Trading companies are buying up Lingzhi &amp; herbs.”" in reply.text
    assert "/summary TEXT" in reply.text and "/fix 2 low 450" in reply.text
    labels = [[b.text for b in row] for row in reply.buttons]
    assert labels == [["☑ 1", "☑ 2", "☐ 3"], ["✅ Save kept (2)", "✖️ Cancel"]]
    data = [b.data for row in reply.buttons for b in row]
    assert data == [
        "ir:AbCdEfGh:t:1",
        "ir:AbCdEfGh:t:2",
        "ir:AbCdEfGh:t:3",
        "ir:AbCdEfGh:s",
        "ir:AbCdEfGh:x",
    ]
    assert all(callbacks.decode(d).kind == "ir" for d in data)


def test_with_its_summary_save_names_the_report_too():
    reply = render_review(view([line(1)], report(summary="Exports <grew>.")))
    assert "Summary (yours): Exports &lt;grew&gt;. " in reply.text
    assert reply.buttons[-1][0].text == "✅ Save kept (1) + report"


def test_text_from_the_article_is_escaped():
    reply = render_review(
        view(
            [line(1, commodity="<b>rice</b>", place="A & B", qualifier="<i>")],
            source="<Daily>",
            title="x</b>",
        )
    )
    assert "&lt;b&gt;rice&lt;/b&gt;" in reply.text and "A &amp; B" in reply.text
    assert "&lt;Daily&gt;" in reply.text and "x&lt;/b&gt;" in reply.text


def test_the_longest_review_fits_one_message_and_its_buttons_fit_telegram():
    words = "Lingzhi mushrooms from the hills above Hyesan " * 4
    figures = [line(n, commodity=words, place=words, qualifier=words) for n in range(1, 31)]
    long_report = report(sentences=tuple("A very long sentence. " * 30 for _ in range(8)))
    reply = render_review(view(figures, long_report, hidden=12))
    assert utf16_len(reply.text) <= MAX_TEXT
    assert "more not shown" in reply.text
    shown = sum(1 for x in reply.text.splitlines() if x.startswith("☑"))
    toggles = sum(len(row) for row in reply.buttons[:-1])
    assert shown == toggles and 0 < toggles <= 30
    assert all(len(row) <= 5 for row in reply.buttons)
