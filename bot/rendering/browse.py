"""Rendering of trade-condition reports, market comparisons, overviews and paged lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain import conditions
from bot.domain.dates import PartialDate, age_label
from bot.domain.i18n import ENGLISH, Translator
from bot.domain.prices import Figure, Observation
from bot.domain.text import shorten
from bot.rendering.answers import PRICE_TYPE_LABELS, figure_text
from bot.rendering.html import esc, link

LABELS = {
    **conditions.TOPIC_LABELS,
    **conditions.BORDER_LABELS,
    **conditions.MARKET_LABELS,
    **conditions.DIRECTION_LABELS,
    **conditions.CHANNEL_LABELS,
}


@dataclass(frozen=True)
class ReportView:
    """A trade-condition report ready to show."""

    place: str
    observed: PartialDate
    topics: tuple[str, ...]
    direction: str | None
    channel: str | None
    border_status: str | None
    market_activity: str | None
    enforcement: str | None
    goods: tuple[str, ...]
    summary: str
    source_name: str
    source_url: str | None
    reliability: str | None


def _label(value: str, t: Translator) -> str:
    return t.gettext(LABELS[value]) if value in LABELS else value.replace("-", " ")


def report_block(report: ReportView, t: Translator = ENGLISH, *, summary_limit: int = 1200) -> str:
    """Render one report: place and date, the situation in facts, the story, the source."""
    _ = t.gettext
    lines = [f"📍 <b>{esc(report.place)}</b> — {esc(report.observed.label(t))}"]
    facts = []
    if report.border_status:
        facts.append(_("Border: {value}").format(value=_label(report.border_status, t)))
    if report.channel:
        facts.append(_("Channel: {value}").format(value=_label(report.channel, t)))
    if report.direction:
        facts.append(_("Direction: {value}").format(value=_label(report.direction, t)))
    if report.market_activity:
        facts.append(_("Markets: {value}").format(value=_label(report.market_activity, t)))
    if facts:
        lines.append(esc(" · ".join(facts)))
    if report.goods:
        lines.append(esc(_("Goods: {value}").format(value=", ".join(report.goods))))
    if report.enforcement:
        lines.append(esc(_("Enforcement: {value}").format(value=report.enforcement)))
    lines.append(esc(shorten(report.summary, summary_limit)))
    grade = (
        _("reliability {grade}").format(grade=esc(report.reliability))
        if report.reliability
        else _("not graded")
    )
    lines.append(
        _("Source: {source}").format(source=link(report.source_name, report.source_url))
        + f" · {grade}"
    )
    if report.topics:
        lines.append("<i>" + esc(", ".join(_label(x, t) for x in report.topics)) + "</i>")
    return "\n".join(lines)


def conditions_page(
    title: str, reports: Sequence[ReportView], *, page: int, pages: int, t: Translator = ENGLISH
) -> str:
    """Render one page of reports, newest first."""
    head = f"<b>{esc(title)}</b>"
    if pages > 1:
        head += " · " + esc(t.gettext("page {page} of {pages}").format(page=page, pages=pages))
    return "\n\n".join([head, *(report_block(r, t) for r in reports)])


@dataclass(frozen=True)
class CompareRow:
    """One market in a comparison: its figure in the common currency and unit, and the original."""

    market: str
    figure: Figure
    original: Figure
    converted: bool
    observed: PartialDate
    source_name: str
    price_type: str


def compare_table(
    commodity: str,
    rows: Sequence[CompareRow],
    *,
    period: str,
    missing: Sequence[str],
    t: Translator = ENGLISH,
    cheapest_first: bool = False,
) -> str:
    """Render markets side by side, dearest first (or cheapest), in one currency and unit.

    With two or more markets the dearest and the cheapest are marked (▲ and ▼).
    """
    _ = t.gettext
    ordered = sorted(rows, key=lambda r: r.figure.mid if cheapest_first else -r.figure.mid)
    dearest = max(rows, key=lambda r: r.figure.mid) if len(rows) > 1 else None
    cheapest = min(rows, key=lambda r: r.figure.mid) if len(rows) > 1 else None
    unit = f"{ordered[0].figure.currency}/{ordered[0].figure.unit}" if ordered else ""
    head = f"<b>{esc(commodity)}</b> — " + esc(
        _("markets compared, {period}, in {unit}").format(period=period, unit=unit)
    )
    width = max((len(r.market) for r in ordered), default=6)
    lines = []
    for r in ordered:
        mark = "≈" if r.converted else " "
        extra = [r.observed.label(t), r.source_name]
        if r.price_type != "retail":
            extra.append(_(PRICE_TYPE_LABELS.get(r.price_type, r.price_type)))
        flag = "▲" if r is dearest else "▼" if r is cheapest else " "
        lines.append(
            f"{flag} {r.market:<{width}} {mark}{r.figure.amount():>13}  {', '.join(extra)}"
        )
    body = "<pre>" + esc("\n".join(lines)) + "</pre>"
    notes = []
    if dearest is not None and cheapest is not None and dearest.figure.mid > cheapest.figure.mid:
        spread = (dearest.figure.mid - cheapest.figure.mid) / cheapest.figure.mid * 100
        notes.append(
            esc(
                _("▲ dearest, ▼ cheapest: {dearest} is {spread:.0f}% above {cheapest}.").format(
                    dearest=dearest.market, cheapest=cheapest.market, spread=spread
                )
            )
        )
    if any(r.converted for r in ordered):
        notes.append(
            esc(_("≈ converted at the same market's market exchange rate nearest in date."))
        )
    if missing:
        notes.append(
            esc(_("No figure in this period: {places}.").format(places="; ".join(missing)))
        )
    return "\n".join([head, body, *notes])


def extreme_line(rows: Sequence[CompareRow], *, extreme: str, t: Translator = ENGLISH) -> str:
    """Return the answer's first line: which market is cheapest (or dearest), and its figure."""
    _ = t.gettext
    pick = (min if extreme == "cheapest" else max)(rows, key=lambda r: r.figure.mid)
    figure = ("≈ " if pick.converted else "") + pick.figure.text(t)
    if len(rows) == 1:
        text = _("Only {market} has a figure: {figure} ({when}).")
    elif extreme == "cheapest":
        text = _("Cheapest: {market}, {figure} ({when}).")
    else:
        text = _("Dearest: {market}, {figure} ({when}).")
    return (
        "<b>"
        + esc(text.format(market=pick.market, figure=figure, when=pick.observed.label(t)))
        + "</b>"
    )


def overview(
    place: str, items: Sequence[Observation], *, today: date, t: Translator = ENGLISH
) -> str:
    """Render the latest figure of each commodity in a place."""
    _ = t.gettext
    lines = [f"📍 <b>{esc(place)}</b> — " + esc(_("latest figures"))]
    for obs in items:
        where = f" ({esc(obs.market)})" if obs.market != place else ""
        age = age_label(obs.age_days(today), t) if obs.observed.value else _("date not stated")
        lines.append(
            f"• <b>{esc(obs.commodity)}</b>{where}: {figure_text(obs.figure, t)} — {esc(age)}, {esc(obs.source_name)}"
        )
    if not items:
        lines.append(esc(_("No figures for this place yet.")))
    return "\n".join(lines)


def list_page(
    title: str, entries: Sequence[str], *, page: int, pages: int, t: Translator = ENGLISH
) -> str:
    """Render one page of a browsable list."""
    head = f"<b>{esc(title)}</b>"
    if pages > 1:
        head += " · " + esc(t.gettext("page {page} of {pages}").format(page=page, pages=pages))
    return "\n".join([head, *(f"• {esc(e)}" for e in entries)])
