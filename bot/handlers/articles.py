"""Articles editors send to be read, and their review in chat.

In a private chat an editor's forwarded message, a pasted text too long to be a question, or a part
that follows the last one within a few seconds is an article (`article_text`); anyone else's is a
question as before. `/intake URL` reads a page; `/fix` and `/summary` change the review, whose
message is edited in place. Its buttons are in bot.handlers.taps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot, Message, MessageOriginChannel, MessageOriginChat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from bot.bootstrap import Container
from bot.domain.errors import DomainError
from bot.handlers import editors, questions
from bot.handlers.basic import is_edit
from bot.handlers.common import (
    NO_PREVIEW,
    Access,
    allowed,
    container,
    log_refusal,
    markup,
    refusal,
    send_reply,
)
from bot.handlers.steps import OpenSteps
from bot.i18n import translator
from bot.rendering.html import esc
from bot.rendering.replies import Reply
from bot.services.intake_review import INTAKE_USAGE, PART, Forwarded, Shown, may_be_article

__all__ = [
    "LooksLikeArticle",
    "Shown",
    "article_text",
    "editor_allowed",
    "fix_command",
    "intake_command",
    "present",
    "review",
    "summary_command",
]

logger = logging.getLogger(__name__)


class LooksLikeArticle(filters.MessageFilter):
    """Pass text that may be an article: forwarded, long, or the next part of one an editor is
    sending. Whether its sender is an editor is checked by the handler (it needs the database)."""

    def __init__(self, services: Container, steps: OpenSteps) -> None:
        super().__init__(name="LooksLikeArticle")
        self._reviews = services.reviews
        self._steps = steps

    def filter(self, message: Message) -> bool:
        if message.forward_origin is not None:
            return True
        if may_be_article(message.text or message.caption or ""):
            return True
        user = message.from_user
        if user is None:
            return False
        kinds = self._steps.get(message)
        if kinds is None:  # not read before (an edited message): ask the database
            return self._reviews.is_joining(user.id)
        return PART in kinds


async def article_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read an editor's forwarded or pasted article and show its review; anyone else's text is
    answered as a question (nothing is proposed)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not await allowed(Access.EDITOR, update, context):
        if message.text:  # a photo's caption from anyone else is left alone, as before
            await questions.price_text(update, context)
        return
    if is_edit(update):  # an edited part is not read again
        return
    if await editors.tell_interrupted(update, context):
        return
    c = container(context)
    forwarded = _forwarded(message)
    # A forwarded channel post is often a photo with the report as its caption.
    text = message.text or message.caption or ""
    await review(
        message,
        context,
        lambda: c.reviews.read_text(admin_id=user.id, text=text, forwarded=forwarded),
    )


async def intake_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read the article at a link: /intake URL."""
    message = await _editor_message(update, context)
    if message is None or update.effective_user is None:
        return
    url = " ".join(context.args or [])
    if not url.strip():
        await send_reply(message, Reply(text=INTAKE_USAGE))
        return
    admin_id = update.effective_user.id
    c = container(context)
    await review(message, context, lambda: c.reviews.read_url(admin_id=admin_id, url=url))


async def fix_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Change a field of the article under review: /fix 2 low 450."""
    message = await _editor_message(update, context)
    if message is None or update.effective_user is None:
        return
    admin_id = update.effective_user.id
    args = _after_command(message)
    c = container(context)
    await review(message, context, lambda: c.reviews.fix(admin_id=admin_id, args=args))


async def summary_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Write the summary of the report under review: /summary TEXT."""
    message = await _editor_message(update, context)
    if message is None or update.effective_user is None:
        return
    admin_id = update.effective_user.id
    text = _after_command(message)
    c = container(context)
    await review(message, context, lambda: c.reviews.summary(admin_id=admin_id, text=text))


async def _editor_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Message | None:
    """The message, if an editor sent it in a private chat; otherwise refuse (and log)."""
    message = update.effective_message
    if message is None:
        return None
    if not await allowed(Access.EDITOR, update, context):
        log_refusal(update, Access.EDITOR)
        await send_reply(message, Reply(text=esc(refusal(Access.EDITOR, "en"))))
        return None
    return message


async def editor_allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether an editor sent this in a private chat (anyone else is refused, and logged)."""
    return await _editor_message(update, context) is not None


def _after_command(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _forwarded(message: Message) -> Forwarded | None:
    """The name of the channel or group a forwarded post came from, and its date."""
    origin = message.forward_origin
    if origin is None:
        return None
    name = None
    if isinstance(origin, MessageOriginChannel):
        name = origin.chat.title
    elif isinstance(origin, MessageOriginChat):
        name = origin.sender_chat.title
    return Forwarded(name=name, posted=origin.date.date() if origin.date else None)


async def review(
    message: Message, context: ContextTypes.DEFAULT_TYPE, call: Callable[[], Shown]
) -> None:
    """Run a review use case in a thread and show what it returns (a refusal as its text)."""
    try:
        shown = await asyncio.to_thread(call)
    except DomainError as exc:
        await send_reply(message, Reply(text=exc.to_html(translator("en"))))
        return
    await present(context.bot, message, shown, container(context))


async def present(bot: Bot, message: Message, shown: Shown, c: Container) -> None:
    """Edit the review message in place (or send it anew), then the note, if any."""
    edited = False
    if shown.edit_message_id is not None:
        edited = await _edit(bot, message.chat_id, shown.edit_message_id, shown.reply)
    if not edited:
        sent = await send_reply(message, shown.reply)
        if shown.token is not None and sent:
            await asyncio.to_thread(
                c.reviews.shown,
                admin_id=message.chat_id,
                token=shown.token,
                message_id=sent[-1].message_id,
            )
    if shown.note:
        await send_reply(message, Reply(text=esc(shown.note) + " (the review above is updated)"))


async def _edit(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> bool:
    """Edit a review message; False when it cannot be (deleted, too old): send it anew."""
    try:
        await bot.edit_message_text(
            reply.text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup(reply),
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        logger.info("Could not edit review message %d: %s", message_id, exc)
        return False
    return True
