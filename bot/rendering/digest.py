"""Digests of a subscription's period and the alerts between them, as Telegram HTML.

A digest is composed from facts the caller gathered (latest figures, their moves, reports); nothing
here reads the clock or the database. Every line is complete HTML on its own, so messages are split
only between lines and every tag closes in the message that opens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.domain.dates import PartialDate, age_label
from bot.domain.i18n import ENGLISH, Translator
from bot.domain.prices import STALE_AFTER_DAYS, Change, Figure
from bot.domain.text import shorten
from bot.rendering.answers import CHANGE_LEVELS
from bot.rendering.html import MAX_CAPTION, MAX_TEXT, esc, link, utf16_len

ALERT_LEVELS = ("normal", "high", "severe", "record")
SUMMARY_LIMIT = 200  # characters of a report's summary, cut on a word boundary
UNCHANGED_CAP = 20  # unchanged series named before "and N more"
STALE_CAP = 10  # stale series named before "and N more"
_LABEL = 80  # longest commodity, market, place or source label in a digest line
_SHORT_LABEL = 40  # the same in the packed lists (unchanged, stale)
_FIGURE = 120  # longest figure text ("500-1,200 CNY per 600 g")
_URL = 600  # longest escaped link target; a longer address is shown as its plain name
_PACKED_LINE = 320  # width a line of unchanged series is filled to
_STALE_LINE = 1500  # width the stale line is filled to
_VIA = 30  # a reprinting site's name in a digest line
_CHANGE_RANK = {"normal": 0, "high": 1, "severe": 2}


@dataclass(frozen=True)
class SeriesDigest:
    """One series (commodity in a market) as the digest shows it."""

    commodity: str  # display label, already in the reader's language
    market: str  # display label
    latest: Figure
    observed: PartialDate  # date of the latest figure
    source_name: str
    source_url: str | None
    reliability: str | None  # Admiralty grade like "B2", may be None
    since_last: Change | None  # latest vs the figure that was latest at the previous digest
    four_weeks: Change | None  # latest vs the latest figure on or before 28 days ago
    record_high: (
        bool  # latest is a new record high of the series, reached since the previous digest
    )
    stale: bool  # no figure for more than STALE_AFTER_DAYS days
    is_new: bool  # at least one figure arrived since the previous digest
    via: str | None = None  # where the figure was read when not at the publisher's
    via_url: str | None = None
    sources: int = 1  # sources with a figure for this good, place and period


@dataclass(frozen=True)
class ReportDigest:
    """A trade-conditions report (no figure): where, when, what, and who said it."""

    place: str
    observed: PartialDate
    summary: str
    source_name: str
    source_url: str | None


@dataclass(frozen=True)
class DigestInput:
    """Everything one digest shows; labels are already in the reader's language."""

    scope: str  # what the subscription watches, e.g. "Rice, Corn · Hyesan"
    period_label: str  # e.g. "week to 28 Nov 2026"
    series: tuple[SeriesDigest, ...]
    reports: tuple[ReportDigest, ...]
    today: date


@dataclass(frozen=True)
class _Block:
    """Lines that stay in one message, with the series and reports they account for."""

    text: str
    series: int = 0
    reports: int = 0
    new_section: bool = False  # a blank line goes before it unless it starts a message


# Labels and sources


def _clean(text: object, limit: int = _LABEL) -> str:
    """Return data as one line of at most `limit` characters (not escaped yet)."""
    return shorten(" ".join(str(text or "").split()), limit)


def _summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Return a summary on one line, cut on a word boundary with an ellipsis past `limit`."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if words[limit - 1] != " ":
        space = cut.rfind(" ")
        if space > limit // 2:  # a long word is cut rather than most of the summary lost
            cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def _is_web(url: str | None) -> bool:
    return bool(url) and str(url).strip().lower().startswith(("http://", "https://"))


def _source(
    name: str, url: str | None, reliability: str | None, t: Translator, *, limit: int = _LABEL
) -> str:
    """Return the source as a link (web addresses only) followed by its reliability grade."""
    label = _clean(name, limit) or t.gettext("source")
    text = esc(label)
    if url is not None and _is_web(url):
        anchor = link(label, url.strip())
        if len(anchor) - len(text) <= _URL:
            text = anchor
    grade = _clean(reliability, 8)
    if grade:
        text += f" {esc(grade)}"
    return text


def _with_class(text: str, change: Change, t: Translator) -> str:
    if change.level in CHANGE_LEVELS:
        return f"{text} ({t.gettext(CHANGE_LEVELS[change.level])})"
    return text


def _when(observed: PartialDate, stale: bool, t: Translator) -> str:
    text = esc(observed.label(t))
    if stale:
        text += " ⚠️ " + t.gettext("stale (over {days} days)").format(days=STALE_AFTER_DAYS)
    return text


def _name_key(s: SeriesDigest) -> tuple[str, str, str, str, str, str]:
    return (
        s.commodity.casefold(),
        s.market.casefold(),
        s.commodity,
        s.market,
        s.observed.iso(),
        s.source_name,
    )


def _changes(s: SeriesDigest) -> list[Change]:
    return [c for c in (s.since_last, s.four_weeks) if c is not None]


def _move_key(s: SeriesDigest) -> tuple[int, float, tuple[str, str, str, str, str, str]]:
    """Record highs and severe moves first, then high, then the rest; larger moves first."""
    changes = _changes(s)
    level = max((_CHANGE_RANK[c.level] for c in changes), default=0)
    tier = 0 if s.record_high or level == 2 else (1 if level == 1 else 2)
    size = max((abs(c.percent) for c in changes), default=0.0)
    return tier, -size, _name_key(s)


def _report_key(r: ReportDigest) -> tuple[bool, int, str, str, str, str]:
    """Newest first, undated last."""
    day = r.observed.value
    return (
        day is None,
        -(day.toordinal() if day else 0),
        r.place.casefold(),
        r.place,
        r.summary,
        r.source_name,
    )


# Lines


def _series_name(s: SeriesDigest, limit: int = _LABEL) -> str:
    return f"{esc(_clean(s.commodity, limit))} · {esc(_clean(s.market, limit))}"


def _move_line(s: SeriesDigest, t: Translator) -> str:
    _ = t.gettext
    figure = esc(_clean(s.latest.text(t), _FIGURE))
    parts = [f"• <b>{esc(_clean(s.commodity))}</b> · {esc(_clean(s.market))}: {figure}"]
    if s.since_last is not None:
        moved = _("{change} since last digest").format(change=s.since_last.text())
        parts.append(_with_class(moved, s.since_last, t))
    if s.four_weeks is not None:
        moved = _("4 wk {change}").format(change=s.four_weeks.text())
        parts.append(_with_class(moved, s.four_weeks, t))
    if s.record_high:
        parts.append("🔺 " + _("record high"))
    parts.append(_when(s.observed, s.stale, t))
    source = _source(s.source_name, s.source_url or s.via_url, s.reliability, t)
    if s.via:
        source += " " + esc(_("via {site}").format(site=_clean(s.via, _VIA)))
    parts.append(source)
    if s.sources > 1:
        parts.append(
            "🗂 " + esc(t.ngettext("{n} source", "{n} sources", s.sources).format(n=s.sources))
        )
    return " · ".join(parts)


def _report_line(r: ReportDigest, t: Translator) -> str:
    summary = esc(_summary(r.summary))
    source = _source(r.source_name, r.source_url, None, t)
    return f"• {esc(r.observed.label(t))} · {esc(_clean(r.place))}: {summary} — {source}"


def _more(n: int, t: Translator) -> str:
    return t.ngettext("and {n} more", "and {n} more", n).format(n=n)


def _unchanged_blocks(items: Sequence[SeriesDigest], t: Translator) -> list[_Block]:
    """Pack unchanged series several to a line: "Rice · Hyesan: 5,000 KPW/kg; Corn · …"."""
    pieces = [
        (
            f"{_series_name(s, _SHORT_LABEL)}: {esc(_clean(s.latest.text(t), _FIGURE))}",
            1,
        )
        for s in items[:UNCHANGED_CAP]
    ]
    if len(items) > UNCHANGED_CAP:
        rest = len(items) - UNCHANGED_CAP
        pieces.append((_more(rest, t), rest))
    lines: list[tuple[str, int]] = []
    for text, count in pieces:
        if lines and len(lines[-1][0]) + 2 + len(text) <= _PACKED_LINE:
            line, counted = lines[-1]
            lines[-1] = (f"{line}; {text}", counted + count)
        else:
            lines.append((text, count))
    return [_Block(text, series=count) for text, count in lines]


def _stale_block(items: Sequence[SeriesDigest], today: date, t: Translator) -> _Block:
    """One line naming series without a new figure for too long, with their age."""
    names: list[str] = []
    width = 0
    for s in items[:STALE_CAP]:
        name = f"{_series_name(s, _SHORT_LABEL)} ({age_label(s.observed.age_days(today), t)})"
        if names and width + len(name) > _STALE_LINE:
            break
        names.append(name)
        width += len(name) + 2
    if len(items) > len(names):
        names.append(_more(len(items) - len(names), t))
    text = t.gettext("No new figures for over {days} days: {series}").format(
        days=STALE_AFTER_DAYS, series=", ".join(names)
    )
    return _Block(text, series=len(items), new_section=True)


def _more_line(series: int, reports: int, t: Translator) -> str:
    """The last line when the digest is longer than the messages allowed."""
    _ = t.gettext
    parts = []
    if series:
        parts.append(t.ngettext("{n} more series", "{n} more series", series).format(n=series))
    if reports:
        parts.append(t.ngettext("{n} more report", "{n} more reports", reports).format(n=reports))
    more = (
        _("{first} and {second}").format(first=parts[0], second=parts[1])
        if len(parts) == 2
        else parts[0]
    )
    if series:
        return _("…and {more}: ask {command} for one").format(
            more=more, command=esc(_("/price <name>"))
        )
    return _("…and {more}.").format(more=more)


# Messages


def _length(blocks: Sequence[_Block]) -> int:
    total = 0
    for i, block in enumerate(blocks):
        if i:
            total += 2 if block.new_section else 1
        total += utf16_len(block.text)  # as Telegram counts: an emoji is two
    return total


def _join(blocks: Sequence[_Block]) -> str:
    parts = []
    for i, block in enumerate(blocks):
        if i:
            parts.append("\n\n" if block.new_section else "\n")
        parts.append(block.text)
    return "".join(parts)


def _section(heading: str, lines: Sequence[_Block]) -> list[_Block]:
    """Start a section: its bold heading stays with its first line, never alone at a message end."""
    first = replace(lines[0], text=f"<b>{heading}</b>\n{lines[0].text}", new_section=True)
    return [first, *lines[1:]]


def _pack(blocks: Sequence[_Block], t: Translator, max_messages: int) -> list[str]:
    """Fill messages block by block; past the last one, summarise the rest in a final line."""
    messages: list[list[_Block]] = [[]]
    for i, block in enumerate(blocks):
        current = messages[-1]
        if _length([*current, block]) <= MAX_TEXT:
            current.append(block)
            continue
        if current and len(messages) < max_messages:
            messages.append([block])
            continue
        rest = list(blocks[i:])
        while True:
            series = sum(b.series for b in rest)
            reports = sum(b.reports for b in rest)
            more = _Block(_more_line(series, reports, t), new_section=True)
            if not current or _length([*current, more]) <= MAX_TEXT:
                break
            rest.insert(0, current.pop())
        current.append(more)
        break
    return [_join(message) for message in messages if message]


def compose_digest(
    data: DigestInput, t: Translator = ENGLISH, *, max_messages: int = 3
) -> list[str]:
    """Compose the digest as at most `max_messages` HTML messages of at most MAX_TEXT UTF-16 units.

    A quiet period (no new figure, no report) is one line. Otherwise: a header, the moves (new
    figures, the largest and rarest first), the unchanged series, the stale ones, then reports of
    trade conditions. What does not fit is counted in a last line pointing at /price.
    """
    if max_messages < 1:
        raise ValueError("max_messages must be at least 1")
    _ = t.gettext
    title = "<b>" + _("Jangmadang digest") + "</b>"
    scope = esc(_clean(data.scope, 200))
    period = esc(_clean(data.period_label, 100))
    moves = sorted((s for s in data.series if s.is_new), key=_move_key)
    if not moves and not data.reports:
        quiet = _("{scope}: nothing new in the {period}.").format(scope=scope, period=period)
        return [f"{title} · {quiet}"]

    blocks = [_Block(f"{title} · {scope} · {period}")]
    if moves:
        lines = [_Block(_move_line(s, t), series=1) for s in moves]
        blocks += _section(_("Moves"), lines)
    unchanged = sorted((s for s in data.series if not s.is_new and not s.stale), key=_name_key)
    if unchanged:
        blocks += _section(_("Unchanged since last digest"), _unchanged_blocks(unchanged, t))
    stale = sorted((s for s in data.series if s.stale and not s.is_new), key=_name_key)
    if stale:
        blocks.append(_stale_block(stale, data.today, t))
    if data.reports:
        reports = sorted(data.reports, key=_report_key)
        lines = [_Block(_report_line(r, t), reports=1) for r in reports]
        blocks += _section(_("Trade conditions"), lines)
    return _pack(blocks, t, max_messages)


# Alerts


def alert_level(change: Change | None, record_high: bool) -> str:
    """Return "record" for a new record high, else the change's class ("normal" without one)."""
    if record_high:
        return "record"
    return change.level if change is not None else "normal"


def _alert_rank(level: str | None) -> int:
    level = level or "normal"
    if level not in ALERT_LEVELS:
        raise ValueError(f"alert level must be one of {ALERT_LEVELS}, not {level!r}")
    return ALERT_LEVELS.index(level)


def escalates(previous: str | None, new: str) -> bool:
    """Tell whether a move deserves an alert: severe or record, and above the last alert's level."""
    return new in ("severe", "record") and _alert_rank(new) > _alert_rank(previous)


def compose_alert(
    series: SeriesDigest, level: str, change: Change | None, t: Translator = ENGLISH
) -> str:
    """Return one short HTML alert (at most MAX_CAPTION UTF-16 units) for a severe move or record."""
    _alert_rank(level)
    text = _alert_text(series, level, change, t, limit=_LABEL)
    if utf16_len(text) > MAX_CAPTION:
        # Only hostile labels get here: shorter names, no link.
        text = _alert_text(series, level, change, t, limit=24, web=False)
    return text


def _alert_text(
    series: SeriesDigest,
    level: str,
    change: Change | None,
    t: Translator,
    *,
    limit: int,
    web: bool = True,
) -> str:
    _ = t.gettext
    figure = esc(_clean(series.latest.text(t), limit + 40))
    what = f"{esc(_clean(series.commodity, limit))} · {esc(_clean(series.market, limit))} {figure}"
    details = []
    if change is not None:
        moved = _("{change} since the previous figure").format(change=change.text())
        details.append(_with_class(moved, change, t))
    if level == "record":
        details.append(_("new record high"))
    head = "⚠️ <b>" + _("Price alert") + "</b>: " + what
    if details:
        head += ", " + ", ".join(details)
    url = series.source_url if web else None
    source = _source(series.source_name, url, series.reliability, t, limit=limit)
    return f"{head}\n{_when(series.observed, series.stale, t)} · {source}"
