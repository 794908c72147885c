"""Button taps and inline queries."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.domain.errors import DomainError
from bot.domain.text import shorten
from bot.handlers.common import NO_PREVIEW, edit_reply, services, user_language
from bot.i18n import translator

logger = logging.getLogger(__name__)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edit the tapped message into what the button stands for, and answer the tap."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    lang = await user_language(update, context)
    try:
        reply = await asyncio.to_thread(
            services(context).callback, query.data, telegram_id=update.effective_user.id, lang=lang
        )
    except DomainError as exc:
        # Shown as a small alert; the message itself stays as it was.
        await query.answer(shorten(exc.to_text(translator(lang)), 200), show_alert=True)
        return
    await query.answer()
    await edit_reply(query, reply)


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer up to 50 answers, one per market, to drop into any chat."""
    query = update.inline_query
    if query is None:
        return
    lang = await user_language(update, context)
    try:
        results = await asyncio.to_thread(services(context).inline, query.query, lang=lang)
    except DomainError:
        results = []
    articles = [
        InlineQueryResultArticle(
            id=r.id,
            title=shorten(r.title, 120),
            description=shorten(r.description, 200),
            input_message_content=InputTextMessageContent(
                r.text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
        )
        for r in results
    ]
    await query.answer(articles, cache_time=60, is_personal=False)
