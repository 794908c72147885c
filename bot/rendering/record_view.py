"""One record opened by its permanent link: what it says, whether it was withdrawn, its history.

Every text is escaped and the whole view fits in one Telegram message (MAX_TEXT UTF-16 code
units of HTML source) by construction: the note or summary gets the room the facts leave, the
history as many of its newest changes as fit, and the permanent link always ends the message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from bot.domain.i18n import ENGLISH, Translator
from bot.domain.prices import Observation
from bot.domain.text import shorten
from bot.rendering.answers import observation_lines
from bot.rendering.browse import ReportView, report_block
from bot.rendering.html import MAX_TEXT, esc, esc_short, split_message, utf16_len

# Each value of a change at most HISTORY_VALUE, each history line at most HISTORY_LINE UTF-16
# code units of plain text (shortened before escaping); at most HISTORY_FIELDS fields a change.
HISTORY_VALUE = 60
HISTORY_LINE = 300
HISTORY_FIELDS = 4
# What a note or a summary may take at most (escaped; as long as either is stored), and the
# room kept for the history below it.
NOTE_LIMIT = 2000
SUMMARY_LIMIT = 2000
HISTORY_ROOM = 800
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    """One audit row about a record: when, what was done, each field from → to (as text)."""

    at: datetime
    action: str  # create, update, delete, undo (any other is shown as written)
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class RecordFacts:
    """What every record view shows besides the record: its id, times, history and link."""

    label: str  # "f12", "r7"
    entered_at: datetime
    deleted_at: datetime | None
    link: str
    changes: tuple[Change, ...]  # newest first, possibly only the newest of them
    total_changes: int  # how many the record has in all


def figure_record(
    obs: Observation, facts: RecordFacts, *, today: date, t: Translator = ENGLISH
) -> str:
    """Render a figure: names, the figure and its provenance, the note, then its history."""
    _ = t.gettext
    lines = []
    if facts.deleted_at is not None:
        lines.append(
            "⚠️ "
            + esc(
                _(
                    "Withdrawn on {date}: this figure no longer appears in answers or digests. "
                    "What it said:"
                ).format(date=_utc(facts.deleted_at).date().isoformat())
            )
        )
    head = f"<b>{esc(obs.commodity)}</b> — 📍 {esc(obs.market)}"
    if obs.market_parent:
        head += f" ({esc(obs.market_parent)})"
    lines.append(head)
    # As an answer shows it (the source with where it was read, `via`), but the published date
    # always and the note at length.
    lines += observation_lines(replace(obs, note=None, reported_on=None), today=today, t=t)
    if obs.reported_on is not None:
        lines.append(esc(_("Published: {date}").format(date=obs.reported_on.isoformat())))
    lines.append(esc(_entered(_("Figure {id} · entered {when}"), facts)))
    facts_text = "\n".join(lines)
    if obs.note:
        room = _record_room(facts, t) - utf16_len(facts_text) - len("\n<i></i>")
        note = _fitting(obs.note, min(NOTE_LIMIT, room))
        if note:
            facts_text += f"\n<i>{esc(note)}</i>"
    return _assemble(facts_text, facts, t)


def report_record(
    report: ReportView, facts: RecordFacts, *, reported_on: date | None, t: Translator = ENGLISH
) -> str:
    """Render a trade-condition report as a report is shown, then its history."""
    _ = t.gettext
    notice = ""
    if facts.deleted_at is not None:
        notice = "⚠️ " + esc(
            _(
                "Withdrawn on {date}: this report no longer appears in answers or digests. "
                "What it said:"
            ).format(date=_utc(facts.deleted_at).date().isoformat())
        )
    lines = []
    if reported_on is not None:
        lines.append(esc(_("Published: {date}").format(date=reported_on.isoformat())))
    lines.append(esc(_entered(_("Report {id} · entered {when}"), facts)))
    # The block without its story, to measure the room the story has.
    bare = report_block(replace(report, summary=""), t)
    room = _record_room(facts, t) - utf16_len(f"{notice}\n{bare}\n" + "\n".join(lines))
    summary = _fitting(report.summary, min(SUMMARY_LIMIT, room))
    block = report_block(replace(report, summary=summary), t, summary_limit=SUMMARY_LIMIT)
    return _assemble("\n".join(x for x in (notice, block, *lines) if x), facts, t)


def history_lines(changes: tuple[Change, ...], t: Translator = ENGLISH) -> list[str]:
    """Return one escaped line per change, as given (newest first)."""
    return [esc_short("• " + _change_text(change, t), HISTORY_LINE) for change in changes]


def _change_text(change: Change, t: Translator) -> str:
    _ = t.gettext
    when = _utc(change.at).strftime("%Y-%m-%d %H:%M")
    if change.action == "create":
        what = _("entered")
    elif change.action == "delete":
        what = _("withdrawn")
    elif change.action == "undo":
        what = _("withdrawn (the entry was undone)")
    elif change.action == "update":
        shown = change.fields[:HISTORY_FIELDS]
        parts = [
            _("{field}: {before} → {after}").format(
                field=field, before=_value(before), after=_value(after)
            )
            for field, before, after in shown
        ]
        if len(change.fields) > len(shown):
            parts.append(
                t.ngettext(
                    "{n} more field", "{n} more fields", len(change.fields) - len(shown)
                ).format(n=len(change.fields) - len(shown))
            )
        what = _("changed {changes}").format(changes="; ".join(parts)) if parts else _("changed")
    else:
        what = change.action
    return _("{when} — {what}").format(when=when, what=what)


def _value(text: str) -> str:
    return shorten(" ".join(text.split()), HISTORY_VALUE) if text.strip() else EMPTY


def _history_block(facts: RecordFacts, lines: list[str], shown: int, t: Translator) -> str:
    """The history heading with the newest `shown` lines, saying how many earlier are left out."""
    _ = t.gettext
    if facts.total_changes == 0:
        return esc(_("History: no changes recorded."))
    heading = "<b>" + esc(_("History")) + "</b> " + esc(_("(newest first, UTC)"))
    earlier = facts.total_changes - shown
    block = [heading, *lines[:shown]]
    if earlier:
        block.append(
            esc(
                t.ngettext("…and {n} earlier change.", "…and {n} earlier changes.", earlier).format(
                    n=earlier
                )
            )
        )
    return "\n".join(block)


def _footer(facts: RecordFacts, t: Translator) -> str:
    return "🔗 " + esc(t.gettext("Permanent link: {link}").format(link=facts.link))


def _record_room(facts: RecordFacts, t: Translator) -> int:
    """The room the record itself may take: the message less the link and the history's start."""
    lines = history_lines(facts.changes[:1], t)
    history = min(utf16_len(_history_block(facts, lines, len(lines), t)), HISTORY_ROOM)
    return MAX_TEXT - utf16_len(_footer(facts, t)) - history - 4  # two blank lines between


def _assemble(record: str, facts: RecordFacts, t: Translator) -> str:
    """Put the record, as much of its history as fits, and the link in one message."""
    room = _record_room(facts, t)
    if utf16_len(record) > room:  # only names and links of extreme length come here
        record = split_message(record, room)[0]
    footer = _footer(facts, t)
    left = MAX_TEXT - utf16_len(record) - utf16_len(footer) - 4
    lines = history_lines(facts.changes, t)
    history = ""
    for shown in range(len(lines), -1, -1):
        block = _history_block(facts, lines, shown, t)
        if utf16_len(block) <= left:
            history = block
            break
    return "\n\n".join(part for part in (record, history, footer) if part)


def _fitting(text: str, room: int) -> str:
    """Return `text`, shortened when it must, so that escaped it takes at most `room` units."""
    limit = room
    while limit > 0:
        cut = shorten(text, limit)
        size = utf16_len(esc(cut))
        if size <= room:
            return cut
        limit = min(limit - 1, limit * room // size)
    return ""


def _entered(template: str, facts: RecordFacts) -> str:
    when = _utc(facts.entered_at).strftime("%Y-%m-%d %H:%M UTC")
    return template.format(id=facts.label, when=when)


def _utc(moment: datetime) -> datetime:
    """A stored time in UTC (a database may hand back a naive time, which is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
