"""The error handler: log with context, apologise to the user.

What users wrote stays out of every log line above DEBUG: an error is logged with the update's
ids, and the user's text, wherever it turns up in the error's message, is replaced by
[user text]. At DEBUG the text is logged on a line of its own.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import ContextTypes

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side while answering that. Please try again in a moment."
)
# bot_data key of a callable telling which errors were logged already (failed polls, by the
# getUpdates connection): PTB hands those to the error handler as well.
REPORTED_KEY = "reported_errors"
USER_TEXT = "[user text]"


def user_texts(update: Update) -> list[str]:
    """What the user wrote in this update: message text or caption, inline query."""
    texts: list[str] = []
    message = update.effective_message
    if message is not None:
        texts += [t for t in (message.text, message.caption) if t]
    if update.inline_query is not None and update.inline_query.query:
        texts.append(update.inline_query.query)
    if update.chosen_inline_result is not None and update.chosen_inline_result.query:
        texts.append(update.chosen_inline_result.query)
    return texts


def scrub(text: str, secrets: list[str]) -> str:
    """Replace each of `secrets` by [user text]: as written or inside a repr, each of its lines,
    in any case; longest first, and only whole words (a short text cuts no word apart)."""
    forms: set[str] = set()
    for secret in secrets:
        for form in (secret, repr(secret)[1:-1]):
            forms.add(form.strip())
            forms.update(line.strip() for line in form.splitlines())
    for form in sorted((f for f in forms if len(f) >= 2), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", USER_TEXT, text, flags=re.IGNORECASE)
    return text


def _already_reported(context: ContextTypes.DEFAULT_TYPE, error: object) -> bool:
    reported: Callable[[object], bool] | None = context.bot_data.get(REPORTED_KEY)
    return reported is not None and reported(error)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an unhandled error with the update's ids and tell the user politely."""
    error = context.error
    if update is None and _already_reported(context, error):
        logger.debug("Polling error (logged already): %r", error)
        return
    if not isinstance(update, Update):
        logger.error("Unhandled error (no update)", exc_info=error)
        return
    user, chat = update.effective_user, update.effective_chat
    details = (
        f"update_id={update.update_id} user={user.id if user else None} "
        f"chat={chat.id if chat else None}"
    )
    texts = user_texts(update)
    if texts:
        logger.debug("Update %s carried %r", update.update_id, texts)
    if isinstance(error, InvalidToken):
        # The token was revoked while running; PTB's message may quote it, so it is not shown.
        logger.error("Could not answer (%s): the Bot API refused the token", details)
        return
    # TimedOut is a NetworkError too: the Bot API is unreachable or slow. BadRequest is one in
    # PTB's classes, but it is a refusal of what the bot sent: a bug, logged in full.
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.warning(
            "Could not answer (%s): the Bot API did not answer (%s: %s)",
            details,
            type(error).__name__,
            scrub(" ".join(str(error).split()), texts),
        )
    elif error is not None:
        trace = "".join(traceback.format_exception(error)).rstrip()
        logger.error("Unhandled error (%s)\n%s", details, scrub(trace, texts))
    else:
        logger.error("Unhandled error (%s)", details)
    if update.effective_message is not None:
        try:
            await update.effective_message.reply_text(APOLOGY, do_quote=False)
        except TelegramError:
            logger.warning("Could not send the apology for update %s", update.update_id)
