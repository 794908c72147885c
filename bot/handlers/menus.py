"""Telegram's command menus and the /help lines, both made from the table of commands.

The application factory builds one `Menus` from `bot.handlers.commands.COMMANDS` and keeps it in
bot_data; handlers reach it with `menus(context)`, so no handler imports the table it is in.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.constants import BotCommandLimit
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.i18n import translator
from bot.rendering.help import HelpLine

logger = logging.getLogger(__name__)
MENUS_KEY = "menus"


class Scope(enum.Enum):
    """Where a command is listed: every user's menu and /help, editors', owners', or nowhere."""

    PUBLIC = "public"
    EDITOR = "editor"
    OWNER = "owner"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class MenuEntry:
    """A command as menus and /help show it."""

    name: str
    description: str
    scope: Scope


class Menus:
    """The public menu per language, editors' menus per chat, and the lines of /help."""

    def __init__(self, entries: Iterable[MenuEntry], *, languages: tuple[str, ...]) -> None:
        self._entries = tuple(e for e in entries if e.scope is not Scope.HIDDEN)
        self._languages = languages

    def help_lines(self, scope: Scope) -> list[HelpLine]:
        """The /help lines of one scope, in table order."""
        return [HelpLine(e.name, e.description) for e in self._entries if e.scope is scope]

    def editor_lines(self, *, owner: bool) -> list[HelpLine]:
        """What /help adds for an editor (and for an owner)."""
        return [*self.help_lines(Scope.EDITOR), *(self.help_lines(Scope.OWNER) if owner else [])]

    def _commands(self, scopes: tuple[Scope, ...], lang: str) -> list[BotCommand]:
        _ = translator(lang).gettext
        return [
            BotCommand(e.name, _(e.description)[: BotCommandLimit.MAX_DESCRIPTION])
            for scope in scopes
            for e in self._entries
            if e.scope is scope
        ]

    async def set_default(self, bot: Bot) -> None:
        """Set the public menu in every language (cosmetic: a refusal is only logged)."""
        for lang in self._languages:
            try:
                await bot.set_my_commands(
                    self._commands((Scope.PUBLIC,), lang),
                    scope=BotCommandScopeDefault(),
                    language_code=None if lang == "en" else lang,
                )
            except TelegramError as exc:
                logger.warning("Could not set the command menu (%s): %s", lang, exc)

    async def set_editor(self, bot: Bot, chat_id: int, *, show: bool, owner: bool) -> None:
        """Show an editor their commands in their private chat, or take them away."""
        scope = BotCommandScopeChat(chat_id=chat_id)
        scopes = (Scope.PUBLIC, Scope.EDITOR, *((Scope.OWNER,) if owner else ()))
        try:
            if show:
                await bot.set_my_commands(self._commands(scopes, "en"), scope=scope)
            else:
                await bot.delete_my_commands(scope=scope)
        except TelegramError as exc:
            # "Chat not found" is expected until the editor first opens the bot; /start sets it.
            level = logging.INFO if "chat not found" in str(exc).lower() else logging.WARNING
            logger.log(level, "Could not set the editor menu for %s: %s", chat_id, exc)


def menus(context: ContextTypes.DEFAULT_TYPE) -> Menus:
    """Return the menus the application factory stored in bot_data."""
    found: Menus = context.application.bot_data[MENUS_KEY]
    return found
