"""Helpers shared by handlers: reaching the services and replying within Telegram's limits."""

from __future__ import annotations

import asyncio

from telegram import LinkPreviewOptions, Message, Update
from telegram.ext import ContextTypes

from bot.domain.render import split_message
from bot.services.core import Services

SERVICES_KEY = "services"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services object stored in bot_data by the application factory."""
    return context.application.bot_data[SERVICES_KEY]


async def reply_html(message: Message, text: str) -> list[Message]:
    """Send HTML text as one or more messages, split on line boundaries under 4096 characters."""
    sent = []
    for chunk in split_message(text):
        sent.append(
            await message.reply_html(chunk, link_preview_options=NO_PREVIEW, do_quote=False)
        )
    return sent


async def user_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Register the sender and return the language to answer in."""
    user = update.effective_user
    if user is None:
        return services(context).settings.default_language
    return await asyncio.to_thread(
        services(context).touch_user,
        telegram_id=user.id,
        username=user.username,
        language_code=user.language_code,
    )
