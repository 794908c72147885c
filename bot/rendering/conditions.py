"""Rendering of trade-condition answers: filtered pages, what is known, one-line reports, briefings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.conditions import BORDER_LABELS, TOPIC_LABELS
from bot.domain.dates import PartialDate, age_label
from bot.domain.i18n import ENGLISH, Translator
from bot.domain.prices import STALE_AFTER_DAYS, MarketPrice, format_number
from bot.domain.text import shorten
from bot.rendering.answers import figure_text
from bot.rendering.browse import ReportView, report_block
from bot.rendering.html import esc, link

# A report older than this is called stale in a briefing.
STALE_REPORT_DAYS = 365
LINE_SUMMARY = 160


def topic_names(topics: Sequence[str], t: Translator = ENGLISH) -> str:
    """Return topics in the reader's language, joined."""
    return ", ".join(t.gettext(TOPIC_LABELS[x]) if x in TOPIC_LABELS else x for x in topics)


def conditions_page(
    title: str,
    scope: str | None,
    reports: Sequence[ReportView],
    *,
    page: int,
    note: str | None = None,
    t: Translator = ENGLISH,
) -> str:
    """Render one page of reports, newest first, under a title saying what was asked."""
    head = f"<b>{esc(title)}</b>"
    if page > 1:
        head += " · " + esc(t.gettext("page {page}").format(page=page))
    lines = [head]
    if scope:
        lines.append(f"<i>{esc(scope)}</i>")
    if note:
        lines.append(f"<i>{esc(note)}</i>")
    return "\n\n".join(["\n".join(lines), *(report_block(r, t) for r in reports)])


@dataclass(frozen=True)
class Known:
    """What is stored for a place (or everywhere), to say when a question finds nothing."""

    place: str | None
    count: int
    topics: tuple[tuple[str, int], ...]  # most reported first
    first: PartialDate | None
    last: PartialDate | None
    places: tuple[tuple[str, int], ...] = ()  # where reports are filed, when the place has none


def nothing_found(asked: str, known: Known, t: Translator = ENGLISH) -> str:
    """Say that nothing matched and what is known instead (never "unknown commodity")."""
    _ = t.gettext
    lines = [esc(_("No reports on {asked}.").format(asked=asked))]
    if known.count and known.first is not None and known.last is not None:
        span = known.first.label(t)
        if known.last != known.first:
            span += " – " + known.last.label(t)
        topics = ", ".join(f"{topic_names([topic], t)} ({n})" for topic, n in known.topics)
        text = (
            t.ngettext(
                "For {place} I have {n} report ({span}) on: {topics}.",
                "For {place} I have {n} reports ({span}) on: {topics}.",
                known.count,
            )
            if known.place
            else t.ngettext(
                "I have {n} report ({span}) on: {topics}.",
                "I have {n} reports ({span}) on: {topics}.",
                known.count,
            )
        )
        lines.append(esc(text.format(place=known.place, n=known.count, span=span, topics=topics)))
    elif known.count:
        lines.append(
            esc(
                t.ngettext(
                    "For {place} I have {n} undated report.",
                    "For {place} I have {n} undated reports.",
                    known.count,
                ).format(place=known.place, n=known.count)
            )
        )
    elif known.place:
        lines.append(
            esc(_("No trade-condition reports for {place} yet.").format(place=known.place))
        )
    if known.places:
        where = ", ".join(f"{name} ({n})" for name, n in known.places)
        lines.append(esc(_("Reports are filed for: {places}.").format(places=where)))
    return "\n".join(lines)


def report_line(report: ReportView, *, today: date, t: Translator = ENGLISH) -> str:
    """One report on one line: date, border status, place when it differs, the story, source."""
    _ = t.gettext
    head = esc(report.observed.label(t))
    if report.border_status:
        head += " · " + esc(
            _("border {status}").format(status=_(BORDER_LABELS[report.border_status]))
            if report.border_status in BORDER_LABELS
            else report.border_status
        )
    text = f"• <b>{head}</b> — {esc(shorten(report.summary, LINE_SUMMARY))}"
    return f"{text} ({link(report.source_name, report.source_url)})"


@dataclass(frozen=True)
class StapleView:
    """A good's latest figure in a briefing, with its move."""

    name: str
    item: MarketPrice | None


def briefing(
    place: str,
    parent: str | None,
    reports: Sequence[ReportView],
    staples: Sequence[StapleView],
    *,
    today: date,
    t: Translator = ENGLISH,
) -> str:
    """Render a place briefing: the latest trade conditions, then the staples and rates."""
    _ = t.gettext
    title = f"📍 <b>{esc(place)}</b>"
    if parent:
        title += f" ({esc(parent)})"
    title += " — " + esc(_("briefing"))
    blocks = [title]
    heading = _("Trade conditions")
    lines = [f"<b>{esc(heading)}</b>"]
    if reports:
        lines += [report_line(r, today=today, t=t) for r in reports]
        newest = reports[0].observed.age_days(today)
        if newest is None or newest > STALE_REPORT_DAYS:
            lines.append(
                "<i>⚠️ "
                + esc(
                    _("The newest report is {age}.").format(age=age_label(newest, t))
                    if newest is not None
                    else _("The newest report is undated.")
                )
                + "</i>"
            )
    else:
        lines.append(esc(_("No trade-condition reports for this place yet.")))
    blocks.append("\n".join(lines))
    heading = _("Prices and rates")
    lines = [f"<b>{esc(heading)}</b>"]
    shown = [s for s in staples if s.item is not None]
    for staple in shown:
        assert staple.item is not None
        lines.append(_staple_line(staple.name, staple.item, place=place, today=today, t=t))
    missing = [s.name for s in staples if s.item is None]
    if missing:
        lines.append(
            "<i>"
            + esc(_("No figures here for: {names}.").format(names=", ".join(missing)))
            + "</i>"
        )
    blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _staple_line(name: str, item: MarketPrice, *, place: str, today: date, t: Translator) -> str:
    _ = t.gettext
    obs = item.latest
    text = f"• <b>{esc(name)}</b>: {figure_text(obs.figure, t)}"
    if obs.observed.value is None:
        text += " · " + esc(_("date not stated"))
    else:
        text += " · " + esc(f"{obs.observed.label(t)}, {age_label(obs.age_days(today), t)}")
    change = item.change
    # A move is shown between dated figures only: an undated one has no place in time.
    if (
        change is not None
        and item.previous is not None
        and item.previous.observed.value is not None
        and obs.observed.value is not None
    ):
        since = item.previous.observed
        text += " · " + esc(change.text())
        text += " " + esc(_("since {date}").format(date=since.label(t)))
        before = item.previous.figure
        if before.low != before.high or obs.figure.low != obs.figure.high:
            text += " " + esc(
                _("(midpoints {before} → {after})").format(
                    before=format_number(before.mid), after=format_number(obs.figure.mid)
                )
            )
    if obs.observed.value is not None and obs.is_stale(today):
        text += " ⚠️ " + esc(_("stale (over {days} days)").format(days=STALE_AFTER_DAYS))
    if obs.market and obs.market != place:
        text += f" <i>({esc(obs.market)})</i>"
    if item.others:
        count = len(item.others) + 1
        text += " · 🗂 " + esc(t.ngettext("{n} source", "{n} sources", count).format(n=count))
        if item.sources_disagree and item.spread_percent is not None:
            text += " ⚠️ " + esc(
                _("differing by {percent} per cent").format(percent=f"{item.spread_percent:.0f}")
            )
        text += ": " + ", ".join(
            f"{esc(o.source_name)} {figure_text(o.figure, t)}" for o in item.others
        )
    return text
