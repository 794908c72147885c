"""/price and plain-text questions."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.errors import DomainError
from bot.handlers.common import reply_html, services, user_language


async def price_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /price <commodity> [market]."""
    assert update.effective_message is not None
    await _answer(update, context, " ".join(context.args or []))


async def price_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a plain-text message as a price question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    await _answer(update, context, message.text)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    assert update.effective_message is not None
    lang = await user_language(update, context)
    try:
        answer = await asyncio.to_thread(services(context).price, text, lang=lang)
    except DomainError as exc:
        answer = exc.user_message
    await reply_html(update.effective_message, answer)
