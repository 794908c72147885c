"""The editors' inbox and the feeds in chat (and their plain-text lines for the shell).

Every piece of text from a feed or an article is escaped and shortened; a list stops before
Telegram's 4,096 characters and says how many it left out. Buttons carry only an item's or a
feed's number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain import callbacks
from bot.domain.feeds import checked_ago, show_every
from bot.domain.i18n import ENGLISH, Translator
from bot.domain.prices import Figure
from bot.domain.text import utf16_len
from bot.rendering.html import MAX_TEXT, esc, esc_short
from bot.rendering.replies import Button, Reply

__all__ = [
    "FeedView",
    "InboxView",
    "ago",
    "check_line",
    "daily_reply",
    "feeds_reply",
    "figure_words",
    "inbox_reply",
    "report_words",
    "result_words",
]

_TITLE = 160
_WORDS = 60
# Items (and feeds) listed in one message, each with its buttons.
MAX_LISTED = 8
_ROOM = MAX_TEXT - 300


class InboxView(Protocol):
    """One inbox item as listed (bot.services.inbox.InboxEntry is one)."""

    @property
    def id(self) -> int: ...
    @property
    def feed(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def figures(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def report(self) -> Mapping[str, Any] | None: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class FeedView:
    """One feed as /feeds lists it."""

    id: int
    kind: str
    name: str
    every_seconds: int
    paused: bool
    status: str
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    failures: int
    last_error: str | None


def figure_words(figure: Mapping[str, Any]) -> str:
    """Lingzhi, Hyesan: 500-1,200 CNY/kg (now, depending on quality)."""
    quantity = float(figure.get("quantity") or 1)
    unit = str(figure.get("unit") or "")
    if quantity != 1 and unit and not unit[:1].isdigit():
        unit = f"{quantity:g} {unit}"
    try:
        value = Figure(
            float(figure["low"]), float(figure["high"]), str(figure["currency"]), unit
        ).text()
    except (KeyError, TypeError, ValueError):
        value = "?"
    place = figure.get("place") or "no place"
    notes = [str(figure.get("when") or "")]
    if figure.get("qualifier"):
        notes.append(str(figure["qualifier"]))
    if figure.get("duplicate_of"):
        notes.append(f"already stored as #{figure['duplicate_of']}")
    return (
        f"{figure.get('commodity') or '?'}, {place}: {value} ({', '.join(n for n in notes if n)})"
    )


def report_words(report: Mapping[str, Any]) -> str:
    """Hyesan · export · state-sanctioned smuggling · border restricted."""
    parts = [str(report.get("place") or "no place")]
    for key, label in (
        ("direction", ""),
        ("channel", ""),
        ("border_status", "border "),
        ("market_activity", "market "),
        ("enforcement", "enforcement: "),
    ):
        if report.get(key):
            parts.append(f"{label}{report[key]}")
    if report.get("topics"):
        parts.append("topics " + ", ".join(map(str, report["topics"])))
    return " · ".join(parts)


def result_words(result: Mapping[str, Any]) -> str:
    """What a check did: "60 rows, 60 added, 0 already there, 4 new markets"; "unchanged (304)";
    "2 new entries"."""
    if result.get("unchanged"):
        return f"unchanged ({result.get('answer', '')})"
    if "new" in result:
        text = f"{result['new']} new entries"
        if result.get("unread"):
            text += f" ({result['unread']} could not be read)"
        return text
    parts = [
        f"{result.get('rows', 0):,} rows",
        f"{result.get('added', 0):,} added",
        f"{result.get('duplicates', 0):,} already there",
    ]
    for kind in ("markets", "commodities", "places"):
        if result.get(f"new_{kind}"):
            parts.append(f"{result[f'new_{kind}']} new {kind}")
    return ", ".join(parts)


def check_line(
    feed_id: int, name: str, status: str, result: Mapping[str, Any], error: str | None
) -> str:
    """One check as a line: "Feed 1 (WFP MMR): 60 rows, 60 added, …" or its failure."""
    head = f"Feed {feed_id} ({name}): "
    if status == "error":
        return head + f"failed: {error} It is retried later."
    return head + result_words(result)


def ago(when: datetime | None, now: datetime, t: Translator = ENGLISH) -> str:
    """ "2 days ago", "3 hours ago", "just now", "never"."""
    if when is None:
        return t.gettext("never")
    unit, count = checked_ago(when, now)
    if unit == "now":
        return t.gettext("just now")
    if unit == "minutes":
        return t.ngettext("{n} minute ago", "{n} minutes ago", count).format(n=count)
    if unit == "hours":
        return t.ngettext("{n} hour ago", "{n} hours ago", count).format(n=count)
    return t.ngettext("{n} day ago", "{n} days ago", count).format(n=count)


def _item_block(item: InboxView, t: Translator) -> str:
    title = esc_short(item.title, _TITLE)
    head = f'<a href="{esc(item.url)}">{title}</a>' if item.url else title
    date = f"{item.published:%Y-%m-%d}" if item.published else t.gettext("undated")
    lines = [f"<b>{item.id}.</b> {head}", f"   <i>{esc_short(item.feed, _WORDS)} · {date}</i>"]
    if item.error:
        lines.append("   ⚠️ " + esc(t.gettext("Not read: {reason}").format(reason=item.error)))
    for figure in item.figures[:5]:
        lines.append("   • " + esc_short(figure_words(figure), 200))
    if len(item.figures) > 5:
        more = len(item.figures) - 5
        lines.append(
            "   " + esc(t.ngettext("… and {n} more", "… and {n} more", more).format(n=more))
        )
    if item.report:
        lines.append("   📝 " + esc_short(report_words(item.report), 200))
    if not item.error and not item.figures and not item.report:
        lines.append("   " + esc(t.gettext("No figures or trade conditions found.")))
    return "\n".join(lines)


def inbox_reply(items: Sequence[InboxView], *, total: int, t: Translator = ENGLISH) -> Reply:
    """The inbox: the newest items with what was found, an Open and a Dismiss button each."""
    if not items:
        return Reply(text=esc(t.gettext("The inbox is empty: no article from the feeds waits.")))
    head = (
        "<b>"
        + esc(
            t.ngettext("Inbox: {n} article waiting", "Inbox: {n} articles waiting", total).format(
                n=total
            )
        )
        + "</b>"
    )
    blocks: list[str] = [head]
    buttons: list[tuple[Button, ...]] = []
    shown = 0
    for item in items[:MAX_LISTED]:
        block = _item_block(item, t)
        if utf16_len("\n\n".join([*blocks, block])) > _ROOM:
            break
        blocks.append(block)
        buttons.append(
            (
                Button(
                    t.gettext("Open {n}").format(n=item.id), callbacks.encode("ib", "o", item.id)
                ),
                Button(
                    t.gettext("Dismiss {n}").format(n=item.id),
                    callbacks.encode("ib", "x", item.id),
                ),
            )
        )
        shown += 1
    if total > shown:
        blocks.append(
            "<i>"
            + esc(
                t.gettext(
                    "{shown} of {total} shown; dismiss or open these to see the rest."
                ).format(shown=shown, total=total)
            )
            + "</i>"
        )
    blocks.append(
        "<i>"
        + esc(
            t.gettext(
                "Open one to review it (tick, /fix, /summary, Save). /inbox daily on: one "
                "message a day when new articles wait."
            )
        )
        + "</i>"
    )
    return Reply(text="\n\n".join(blocks), buttons=tuple(buttons))


def daily_reply(items: Sequence[InboxView], *, total: int, t: Translator = ENGLISH) -> Reply:
    """The daily message to an editor who asked for it: the new items, and /inbox."""
    head = (
        "<b>"
        + esc(
            t.ngettext(
                "{n} new article from the feeds waits in the inbox",
                "{n} new articles from the feeds wait in the inbox",
                total,
            ).format(n=total)
        )
        + "</b>"
    )
    lines = [head]
    for item in items[:10]:
        found = t.ngettext("{n} figure", "{n} figures", len(item.figures)).format(
            n=len(item.figures)
        )
        if item.report:
            found += " · " + t.gettext("a report")
        lines.append(f"• <b>{item.id}.</b> {esc_short(item.title, 120)} <i>({esc(found)})</i>")
    lines.append(esc(t.gettext("Send /inbox to open them. /inbox daily off stops this message.")))
    text = "\n".join(lines)
    while utf16_len(text) > _ROOM and len(lines) > 2:
        lines.pop(-2)
        text = "\n".join(lines)
    return Reply(text=text)


def feeds_reply(feeds: Sequence[FeedView], *, now: datetime, t: Translator = ENGLISH) -> Reply:
    """The feeds with their state, and Pause/Resume and Run now buttons each."""
    if not feeds:
        return Reply(
            text=esc(
                t.gettext(
                    "No feeds yet. Add one in a shell: jangmadang feeds add URL --kind "
                    "wfp-hdx|hapi|rss"
                )
            )
        )
    blocks = ["<b>" + esc(t.gettext("Feeds")) + "</b>"]
    buttons: list[tuple[Button, ...]] = []
    for feed in feeds[: MAX_LISTED * 2]:
        if feed.paused:
            state = "⏸ " + t.gettext("paused")
        elif feed.status == "error":
            state = "⚠️ " + t.gettext("failing")
        elif feed.status == "new":
            state = "🆕 " + t.gettext("not checked yet")
        else:
            state = "✅ " + t.gettext("ok")
        line = (
            f"<b>{feed.id}.</b> {esc_short(feed.name, _WORDS)} <i>({esc(feed.kind)}, "
            + esc(t.gettext("every {every}").format(every=show_every(feed.every_seconds)))
            + f")</i> · {esc(state)}\n   "
            + esc(
                t.gettext("checked {checked}, changed {changed}").format(
                    checked=ago(feed.last_checked_at, now, t),
                    changed=ago(feed.last_changed_at, now, t),
                )
            )
        )
        if feed.status == "error" and feed.last_error:
            line += "\n   " + esc_short(feed.last_error, 200)
        if utf16_len("\n\n".join([*blocks, line])) > _ROOM:
            break
        blocks.append(line)
        toggle = (
            Button(
                "▶ " + t.gettext("Resume {n}").format(n=feed.id),
                callbacks.encode("fd", "r", feed.id),
            )
            if feed.paused
            else Button(
                "⏸ " + t.gettext("Pause {n}").format(n=feed.id),
                callbacks.encode("fd", "p", feed.id),
            )
        )
        buttons.append(
            (
                toggle,
                Button(
                    "↻ " + t.gettext("Run {n} now").format(n=feed.id),
                    callbacks.encode("fd", "n", feed.id),
                ),
            )
        )
    return Reply(text="\n\n".join(blocks), buttons=tuple(buttons))


def links_reply(entries: Sequence[tuple[str, str, str, int]], *, t: Translator = ENGLISH) -> Reply:
    """The entries feeds created under a publisher's names: (kind, slug, name, figures)."""
    if not entries:
        return Reply(text=esc(t.gettext("No entry created by a feed waits to be linked.")))
    lines = [
        "<b>"
        + esc(
            t.ngettext(
                "{n} entry created by a feed", "{n} entries created by a feed", len(entries)
            ).format(n=len(entries))
        )
        + "</b>"
    ]
    shown = 0
    for kind, slug, name, figures in entries:
        line = f"• {esc(kind)} <code>{esc_short(slug, 80)}</code>: {esc_short(name, 80)} " + esc(
            t.ngettext("({n} figure)", "({n} figures)", figures).format(n=figures)
        )
        if utf16_len("\n".join([*lines, line])) > _ROOM:
            break
        lines.append(line)
        shown += 1
    if shown < len(entries):
        lines.append(esc(t.gettext("… and {n} more").format(n=len(entries) - shown)))
    lines.append(
        "<i>"
        + esc(
            t.gettext(
                "Link one to the catalogue's own entry: /link commodity SLUG NAME or /link place "
                "SLUG NAME. Its figures, names and WFP's codes move there."
            )
        )
        + "</i>"
    )
    return Reply(text="\n".join(lines))
