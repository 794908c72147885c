"""/start, /help, /settings and unknown commands."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.domain.replies import Reply
from bot.handlers.admin import set_admin_menu
from bot.handlers.common import send_reply, services, user_language


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and show examples."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    user = update.effective_user
    text = services(context).start_text(first_name=user.first_name if user else None, lang=lang)
    await send_reply(update.effective_message, Reply(text=text))
    chat = update.effective_chat
    # A menu set before the editor ever opened this chat failed ("chat not found"): retry now.
    if (
        user is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and await asyncio.to_thread(services(context).admin.is_admin, user.id)
    ):
        await set_admin_menu(context.bot, services(context), user.id, show=True)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the bot can do."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    user_id = update.effective_user.id if update.effective_user else None
    text = await asyncio.to_thread(services(context).help_text, lang=lang, telegram_id=user_id)
    await send_reply(update.effective_message, Reply(text=text))


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the settings with buttons."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(update.effective_message, services(context).settings_menu(lang=lang))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point an unknown command to /help."""
    message = update.effective_message
    if message is None or not message.text:
        return
    lang = await user_language(update, context)
    command = message.text.split()[0].split("@")[0]
    await send_reply(
        message, Reply(text=services(context).unknown_command_text(command, lang=lang))
    )
