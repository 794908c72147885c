"""Helpers shared by handlers: reaching the services and turning Replies into Telegram messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.domain.errors import DomainError
from bot.i18n import translator
from bot.rendering.html import split_message
from bot.rendering.replies import Reply
from bot.services.core import Services

logger = logging.getLogger(__name__)
SERVICES_KEY = "services"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services object stored in bot_data by the application factory."""
    return context.application.bot_data[SERVICES_KEY]


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


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def run_service(call: Callable[..., Reply], *args: Any, lang: str, **kwargs: Any) -> Reply:
    """Run a use case in a worker thread; a domain error becomes a plain reply."""
    try:
        return await asyncio.to_thread(call, *args, lang=lang, **kwargs)
    except DomainError as exc:
        return Reply(text=exc.to_html(translator(lang)))


async def send_reply(message: Message, reply: Reply) -> list[Message]:
    """Send a reply: a photo with its caption, or HTML split under 4096 characters, buttons last."""
    keyboard = markup(reply)
    if reply.photo is not None:
        sent = await message.reply_photo(
            photo=reply.photo,
            caption=reply.caption,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            do_quote=False,
        )
        return [sent]
    chunks = split_message(reply.text)
    out = []
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        out.append(
            await message.reply_html(
                chunk,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard if last else None,
                do_quote=False,
            )
        )
    return out


async def edit_reply(query: CallbackQuery, reply: Reply) -> None:
    """Turn the tapped message into the reply; what does not fit in it follows as new messages."""
    message = query.message
    if not isinstance(message, Message) or reply.photo is not None or message.photo:
        if isinstance(message, Message):
            await send_reply(message, reply)
        return
    chunks = split_message(reply.text)
    keyboard = markup(reply)
    try:
        await message.edit_text(
            chunks[0],
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=keyboard if len(chunks) == 1 else None,
        )
    except BadRequest as exc:
        # Tapping the button of the page already shown changes nothing; that is fine.
        if "not modified" not in str(exc).lower():
            raise
    if len(chunks) > 1:
        await send_reply(message, Reply(text="\n\n".join(chunks[1:]), buttons=reply.buttons))
