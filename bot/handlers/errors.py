"""The error handler: log with context, apologise to the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side while answering that. Please try again in a moment."
)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an unhandled error with the update's ids and tell the user politely."""
    details = "no update"
    if isinstance(update, Update):
        user = update.effective_user
        chat = update.effective_chat
        text = update.effective_message.text if update.effective_message else None
        details = (
            f"update_id={update.update_id} user={user.id if user else None} "
            f"chat={chat.id if chat else None} text={(text or '')[:200]!r}"
        )
    logger.error("Unhandled error (%s)", details, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(APOLOGY, do_quote=False)
        except TelegramError:
            logger.warning("Could not send the apology for update %s", update.update_id)
