"""The review of an article in chat: the figures the bot read, the draft report, the buttons.

One message, edited in place as the editor ticks figures or fixes fields: a numbered line per
candidate figure (☑ kept, ☐ dropped; duplicates of stored figures start dropped), then the draft
trade-condition report with the source's sentences quoted for the editor to paraphrase, then how
to change a field. Every piece of text from the article or the editor is escaped and shortened;
the whole stays within one Telegram message.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import callbacks
from bot.domain.intake import BEFORE, NOW
from bot.domain.prices import Figure
from bot.domain.text import utf16_len
from bot.rendering.html import MAX_TEXT, esc, esc_short
from bot.rendering.replies import Button, Reply

# Toggle buttons per row, and the longest piece of article text quoted in a line.
BUTTONS_PER_ROW = 5
_WORDS = 80
_SENTENCE = 300
_SENTENCES = 4
KEPT, DROPPED = "☑", "☐"
FIX_HELP = (
    "<i>Tap a number to keep or drop a figure. Change a field with /fix: "
    "<code>/fix 2 low 450</code>, <code>/fix 2 price 500-1200</code>, "
    "<code>/fix 2 when before</code> (before, now or a date), <code>/fix 2 commodity rice</code>, "
    "<code>/fix 2 place hyesan</code>, <code>/fix 2 unit 600 g</code>, "
    "<code>/fix 2 qualifier wholesale</code>; <code>/fix report border open</code> "
    "(place, date, topics, direction, channel, border, market, goods, enforcement); "
    "<code>/fix source Daily NK</code>, <code>/fix url …</code>, <code>/fix date 2026-11-20</code> "
    "(the publication date).</i>"
)


@dataclass(frozen=True)
class FigureLine:
    """One candidate figure as the review lists it."""

    number: int
    commodity: str
    place: str | None
    low: float
    high: float
    currency: str
    unit: str  # as stored: kg, 600 g, USD
    when: str  # BEFORE, NOW or an ISO date
    qualifier: str | None
    approximate: bool
    duplicate_of: int | None
    kept: bool
    # What must be settled before it can be saved ("commodity", "place"): not in the catalogue.
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportLines:
    """The draft report as the review shows it (names already in English)."""

    place: str | None
    observed: str | None
    topics: tuple[str, ...]
    direction: str | None
    channel: str | None
    goods: tuple[str, ...]
    border_status: str | None
    market_activity: str | None
    enforcement: str | None
    sentences: tuple[str, ...]
    summary: str | None


@dataclass(frozen=True)
class ReviewView:
    """Everything the review message shows."""

    token: str
    title: str | None
    # The publisher figures will be credited to, and where it was found; None: none found.
    source: str | None
    source_from: str | None
    url: str | None
    # The publication date (ISO) and where it was found; None: not known.
    published: str | None
    published_from: str | None
    figures: tuple[FigureLine, ...]
    report: ReportLines | None
    # Candidates beyond what one review shows.
    hidden: int = 0
    parts: int = 1


def when_text(when: str, published: str | None) -> str:
    """Say when a figure is for: before the article's time, at it, or on a date."""
    if when == BEFORE:
        return f"before {published}" if published else "before (earlier figure)"
    if when == NOW:
        return f"now ({published})" if published else "now (recent figure)"
    return when


def figure_line(line: FigureLine, published: str | None) -> str:
    """One numbered candidate: ☑ 2. Lingzhi, Hyesan: 500-1,200 CNY/kg · now · depending on
    quality."""
    mark = KEPT if line.kept else DROPPED
    where = f", {esc_short(line.place, _WORDS)}" if line.place else ", <i>no place</i>"
    figure = Figure(line.low, line.high, line.currency, line.unit).text()
    parts = [
        f"{mark} <b>{line.number}.</b> {esc_short(line.commodity, _WORDS)}{where}: "
        f"{'about ' if line.approximate else ''}<b>{esc(figure)}</b>",
        esc(when_text(line.when, published)),
    ]
    if line.qualifier:
        parts.append(esc_short(line.qualifier, _WORDS))
    if line.duplicate_of is not None:
        parts.append(f"duplicate of #{line.duplicate_of} (not saved)")
    for what in line.missing:
        parts.append(f"⚠️ {what} not in the catalogue: /fix {line.number} {what} NAME")
    return " · ".join(parts)


def _report_block(report: ReportLines, *, sentences: int) -> list[str]:
    def value(text: str | None) -> str:
        return esc_short(text, _WORDS) if text else "—"

    goods = ", ".join(report.goods)
    lines = [
        "<b>Draft report</b>: "
        + " · ".join(
            (
                f"place {value(report.place)}" + ("" if report.place else " (/fix report place)"),
                f"date {value(report.observed)}",
                f"topics {value(', '.join(report.topics))}",
                f"direction {value(report.direction)}",
                f"channel {value(report.channel)}",
                f"goods {esc_short(goods, 200) if goods else '—'}",
                f"border {value(report.border_status)}",
                f"market {value(report.market_activity)}",
                *([f"enforcement {value(report.enforcement)}"] if report.enforcement else []),
            )
        )
    ]
    shown = report.sentences[:sentences]
    if shown:
        lines.append(
            "The source's words (for you to paraphrase: they are never stored as the summary):"
        )
        quotes = "\n".join(f"“{esc_short(s, _SENTENCE)}”" for s in shown)
        lines.append(f"<blockquote>{quotes}</blockquote>")
    if report.summary:
        lines.append(
            f"Summary (yours): {esc_short(report.summary, 600)} "
            "(<code>/summary -</code> leaves the report out)"
        )
    else:
        lines.append(
            "Summary: <i>none yet</i>. Send <code>/summary TEXT</code> in your own words; "
            "without it Save keeps only the figures."
        )
    return lines


def _text(view: ReviewView, figures: int, sentences: int) -> str:
    head = "<b>Article review</b>"
    if view.title:
        head += f": “{esc_short(view.title, 150)}”"
    if view.parts > 1:
        head += f" ({view.parts} parts)"
    if view.source:
        found = f" ({esc(view.source_from)})" if view.source_from else ""
        source = f"Source: <b>{esc_short(view.source, 120)}</b>{found}"
    else:
        source = "Source: <i>none found</i>; saved as “unknown” unless you send /fix source NAME"
    if view.url:
        source += f" · {esc_short(view.url, 200)}"
    found = f" ({esc(view.published_from)})" if view.published and view.published_from else ""
    dated = f"Published: {esc(view.published)}{found}" if view.published else "Published: —"
    lines = [head, source, dated, ""]
    if view.figures:
        lines.append("<b>Figures</b>")
        lines += [figure_line(f, view.published) for f in view.figures[:figures]]
        left = len(view.figures) - figures + view.hidden
        if left > 0:
            lines.append(f"<i>…and {left} more not shown (review the article in parts).</i>")
    else:
        lines.append("<i>No price figures found.</i>")
    if view.report is not None:
        lines += ["", *_report_block(view.report, sentences=sentences)]
    lines += ["", FIX_HELP]
    return "\n".join(lines)


def kept_count(view: ReviewView) -> int:
    """The figures Save would write: ticked and not already stored."""
    return sum(1 for f in view.figures if f.kept and f.duplicate_of is None)


def render_review(view: ReviewView) -> Reply:
    """The review message with a toggle per figure, Save kept (N) and Cancel."""
    figures, sentences = len(view.figures), _SENTENCES
    text = _text(view, figures, sentences)
    # Within one message: fewer quoted sentences first, then fewer figure lines.
    while utf16_len(text) > MAX_TEXT and sentences > 0:
        sentences -= 1
        text = _text(view, figures, sentences)
    while utf16_len(text) > MAX_TEXT and figures > 0:
        figures -= 1
        text = _text(view, figures, sentences)
    toggles = [
        Button(
            f"{KEPT if f.kept else DROPPED} {f.number}",
            callbacks.encode("ir", view.token, "t", f.number),
        )
        for f in view.figures[:figures]
    ]
    rows = [
        tuple(toggles[i : i + BUTTONS_PER_ROW]) for i in range(0, len(toggles), BUTTONS_PER_ROW)
    ]
    report = " + report" if view.report is not None and view.report.summary else ""
    rows.append(
        (
            Button(
                f"✅ Save kept ({kept_count(view)}){report}",
                callbacks.encode("ir", view.token, "s"),
            ),
            Button("✖️ Cancel", callbacks.encode("ir", view.token, "x")),
        )
    )
    return Reply(text=text, buttons=tuple(rows))
