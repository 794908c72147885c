"""The welcome, /help and unknown-command texts, built from the table of commands."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.prices import STALE_AFTER_DAYS
from bot.i18n import translator
from bot.rendering.html import esc, shorten_text

COMMAND_QUOTE = 64


@dataclass(frozen=True)
class HelpLine:
    """One command as /help lists it: its name and its (untranslated) description."""

    name: str
    description: str


def start_text(*, first_name: str | None, lang: str) -> str:
    """Return the welcome message."""
    _ = translator(lang).gettext
    name = esc(first_name) if first_name else _("there")
    return _(
        "Hello, {name}! I tell you what things cost in North Korea's markets, "
        "with the source and the age of every figure.\n\n"
        "Try <code>/price lingzhi</code> or <code>/price rice hyesan</code>, "
        "or just type a name: <code>corn sinuiju</code>, <code>혜산 쌀</code>, <code>灵芝</code>.\n\n"
        "/help lists everything I can do."
    ).format(name=name)


def help_text(
    *,
    lang: str,
    bot_username: str,
    public: Iterable[HelpLine],
    editor: Iterable[HelpLine] = (),
) -> str:
    """Return the command list and how to ask; `editor` lines are shown to editors only."""
    _ = translator(lang).gettext
    title = _("What I can do")
    lines = [f"<b>{esc(title)}</b>", ""]
    lines += [f"/{line.name} — {esc(_(line.description))}" for line in public]
    lines += [
        "",
        _(
            "<b>Asking</b>: write a commodity, optionally a place and a time, in English, Korean or "
            "Chinese: <code>lingzhi hyesan</code>, <code>rice sinuiju last month</code>, "
            "<code>혜산 쌀값</code>, <code>灵芝价格</code>. Typos are fine; when a name is unclear I ask. "
            "In any chat, type <code>@{bot} lingzhi</code> to share an answer."
        ).format(bot=esc(bot_username)),
        "",
        _(
            "<b>Reading an answer</b>: prices are shown as reported (ranges kept), with the "
            "observation date, its age, the source and its reliability grade "
            "(Admiralty code: source A-F, information 1-6). Figures older than {days} days are "
            "marked stale. ≈ marks a value converted at the same market's exchange rate, never the "
            "official rate."
        ).format(days=STALE_AFTER_DAYS),
    ]
    editor_lines = list(editor)
    if editor_lines:
        heading = _("For editors (private chat)")
        lines += ["", f"<b>{esc(heading)}</b>"]
        lines += [f"/{line.name} — {esc(_(line.description))}" for line in editor_lines]
        lines.append(
            esc(_("Send a CSV file (WFP/HDX or this bot's columns) to import it, all or nothing."))
        )
    return "\n".join(lines)


def unknown_command_text(command: str, *, lang: str) -> str:
    """Return the reply to a command the bot does not have."""
    _ = translator(lang).gettext
    # Telegram's commands have at most 32 characters; whatever else was typed is quoted short.
    return esc(
        _("I don't know the command {command}. /help lists what I can do.").format(
            command=shorten_text(command, COMMAND_QUOTE)
        )
    )
