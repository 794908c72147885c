"""/start, /help, /settings and unknown commands."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain.links import parse_record_payload
from bot.handlers.common import (
    Access,
    Request,
    container,
    may_manage_chat,
    refusal,
    request_of,
    run,
    send_reply,
    send_result,
    use_case,
)
from bot.handlers.menus import Scope, menus
from bot.rendering.help import help_text, start_text, unknown_command_text
from bot.rendering.html import esc
from bot.rendering.replies import Reply

logger = logging.getLogger(__name__)


def _subscribe_link(c: Container, r: Request) -> Reply:
    assert r.chat_id is not None
    return c.subscriptions.subscribe_payload(
        chat_id=r.chat_id,
        chat_type=r.chat_type,
        user_id=r.user_id,
        payload=r.args.split()[0],
        lang=r.lang,
    )


def _open_record(c: Container, r: Request) -> Reply:
    """Show the figure or report a permanent link names (t.me/<bot>?start=f_12)."""
    record = parse_record_payload(r.args.split()[0])
    assert record is not None  # start() answers a record payload only
    kind, record_id = record
    return c.records.view(kind, record_id, lang=r.lang, bot_username=r.bot_username)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user; a sub_... payload subscribes, an f_/r_ payload opens that record; a chat
    that blocked the bot is back."""
    message, chat = update.effective_message, update.effective_chat
    if message is None:
        return
    c = container(context)
    request = await request_of(update, context)
    if chat is not None:
        restarted = await asyncio.to_thread(c.subscriptions.reactivate, chat_id=chat.id)
        if restarted:
            logger.info("Chat %d is back: %d subscriptions restarted", chat.id, restarted)
    if request.args.startswith("sub_") and chat is not None:
        if not await may_manage_chat(update, context):
            await send_reply(message, Reply(text=esc(refusal(Access.CHAT_ADMIN, request.lang))))
            return
        await send_result(message, await run(_subscribe_link, c, request))
        return
    if request.args and parse_record_payload(request.args.split()[0]) is not None:
        await send_result(message, await run(_open_record, c, request))
        return
    text = start_text(first_name=request.first_name, lang=request.lang)
    await send_reply(message, Reply(text=text))
    # A menu set before the editor ever opened this chat failed ("chat not found"): retry now.
    user_id = request.user_id
    if (
        user_id is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and await asyncio.to_thread(c.admin.is_admin, user_id)
    ):
        await menus(context).set_editor(
            context.bot, user_id, show=True, owner=c.admin.is_owner(user_id)
        )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the bot can do; editors also see their commands."""
    message = update.effective_message
    if message is None:
        return
    c, m = container(context), menus(context)
    request = await request_of(update, context)
    editor = request.user_id is not None and await asyncio.to_thread(
        c.admin.is_admin, request.user_id
    )
    text = help_text(
        lang=request.lang,
        bot_username=request.bot_username,
        public=m.help_lines(Scope.PUBLIC),
        editor=m.editor_lines(owner=c.admin.is_owner(request.user_id or 0)) if editor else (),
    )
    await send_reply(message, Reply(text=text))


def _settings(c: Container, r: Request) -> Reply:
    """Show the settings with buttons."""
    return c.users.settings(lang=r.lang, chat_id=r.chat_id)


settings_command = use_case(_settings)


def is_edit(update: Update) -> bool:
    """Tell whether the update is an edited message or channel post.

    Edits are ignored, except an edited question, which is answered again: only reading
    commands (the table's `edits`) and plain-text questions take them. Re-running anything
    else would subscribe, enter, import or take a form's answer a second time.
    """
    return update.edited_message is not None or update.edited_channel_post is not None


def for_another_bot(command: str, *, bot_username: str) -> bool:
    """Tell whether a command word is addressed to another bot (/ban@groupguard in a group).

    As Telegram reads commands, "@name" belongs to the command only when it can be a username
    (3 to 32 letters, digits or underscores): "/p@ab" is the command /p followed by "@ab", and
    "/price@jangmadang_bot1941" is addressed to the bot "jangmadang_bot1941".
    """
    _, _, addressee = command.partition("@")
    username = _USERNAME.match(addressee)
    if username is None:
        return False
    return username.group().lower() != bot_username.lower()


# Up to 32 username characters belong to the command; what follows them is text.
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point an unknown command to /help; stay silent for edits and other bots' commands."""
    message = update.effective_message
    if message is None or not message.text or is_edit(update):
        return
    word = message.text.split()[0]
    if for_another_bot(word, bot_username=context.bot.username or ""):
        return
    request = await request_of(update, context)
    command = word.split("@")[0]
    await send_reply(message, Reply(text=unknown_command_text(command, lang=request.lang)))
