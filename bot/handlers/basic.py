"""/start, /help, /settings and unknown commands."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.handlers.admin import set_admin_menu
from bot.handlers.common import run_service, send_reply, services, user_language
from bot.handlers.subscriptions import may_manage
from bot.i18n import translator
from bot.rendering import html as render
from bot.rendering.replies import Reply

logger = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user; a sub_... payload subscribes; a chat that blocked the bot is back."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    user = update.effective_user
    chat = update.effective_chat
    svc = services(context)
    if chat is not None:
        restarted = await asyncio.to_thread(svc.subscriptions.reactivate, chat_id=chat.id)
        if restarted:
            logger.info("Chat %d is back: %d subscriptions restarted", chat.id, restarted)
    payload = (context.args or [""])[0]
    if payload.startswith("sub_") and chat is not None:
        if not await may_manage(update, context, user.id if user else None):
            text = translator(lang).gettext(
                "Only an admin of this chat can change its subscriptions."
            )
            await send_reply(update.effective_message, Reply(text=render.esc(text)))
            return
        reply = await run_service(
            svc.subscriptions.subscribe_payload,
            chat_id=chat.id,
            chat_type=chat.type,
            user_id=user.id if user else None,
            payload=payload,
            lang=lang,
        )
        await send_reply(update.effective_message, reply)
        return
    text = svc.start_text(first_name=user.first_name if user else None, lang=lang)
    await send_reply(update.effective_message, Reply(text=text))
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
    chat = update.effective_chat
    reply = await asyncio.to_thread(
        services(context).settings_menu, lang=lang, chat_id=chat.id if chat else None
    )
    await send_reply(update.effective_message, reply)


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
