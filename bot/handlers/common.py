"""What every handler shares: the request it unpacks, who may use it, the one wrapper that runs a
use case in a worker thread, and turning Replies into Telegram messages."""

from __future__ import annotations

import asyncio
import enum
import io
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain.errors import DomainError
from bot.domain.i18n import N_
from bot.handlers.charts import ChartSender
from bot.i18n import translator
from bot.rendering.html import MAX_CAPTION, esc, split_message
from bot.rendering.replies import Reply

logger = logging.getLogger(__name__)
CONTAINER_KEY = "container"
CHARTS_KEY = "chart_sender"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
Result = Reply | Sequence[Reply]


class Access(enum.Enum):
    """Who may use a command or a button; the handler checks it every time."""

    ANYONE = "anyone"
    # Private chats manage themselves; in groups their admins; in channels whoever can post.
    CHAT_ADMIN = "chat admin"
    # An editor (owner or granted), in any chat.
    EDITOR_ANYWHERE = "editor anywhere"
    # An editor in a private chat with the bot: every write and file.
    EDITOR = "editor"


REFUSALS = {
    Access.CHAT_ADMIN: N_("Only an admin of this chat can change its subscriptions."),
    Access.EDITOR_ANYWHERE: N_("Only admins can do this."),
    # Editors' tools answer in English (their menus are English too).
    Access.EDITOR: "Sorry, this command is for the bot's editors, in a private chat with the bot.",
}


@dataclass(frozen=True)
class Request:
    """What a use case needs from an update, with no Telegram types."""

    user_id: int | None
    chat_id: int | None
    chat_type: str
    lang: str
    # The command's arguments joined by single spaces ("" for plain text).
    args: str
    # The message text as sent, and the text after the command word with its own spacing.
    text: str
    line: str
    first_name: str | None = None
    # The bot's own username, for links and help texts (from getMe at start).
    bot_username: str = ""

    @property
    def editor_id(self) -> int:
        """The id of the editor who sent it (editor handlers have checked there is one)."""
        assert self.user_id is not None
        return self.user_id


def container(context: ContextTypes.DEFAULT_TYPE) -> Container:
    """Return the services the application factory stored in bot_data."""
    found: Container = context.application.bot_data[CONTAINER_KEY]
    return found


@dataclass(frozen=True)
class Charts:
    """Where a chart reply goes to be drawn and sent, and the language of its apologies."""

    sender: ChartSender
    lang: str


def chart_sender(context: ContextTypes.DEFAULT_TYPE) -> ChartSender:
    """The application's chart sender (one per application: it knows the charts in flight)."""
    sender: ChartSender = context.application.bot_data[CHARTS_KEY]
    return sender


def charts_for(context: ContextTypes.DEFAULT_TYPE, lang: str) -> Charts:
    """The chart sender, for a reply in `lang`."""
    return Charts(chart_sender(context), lang)


async def user_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Register the sender and return the language to answer in."""
    users = container(context).users
    user = update.effective_user
    if user is None:
        return users.default_language
    # A user seen minutes ago needs no database, nor a worker thread.
    known = users.known_language(telegram_id=user.id, language_code=user.language_code)
    if known is not None:
        return known
    return await asyncio.to_thread(
        users.touch,
        telegram_id=user.id,
        username=user.username,
        language_code=user.language_code,
    )


async def request_of(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, english: bool = False
) -> Request:
    """Unpack an update; editors' tools answer in English and do not register the sender."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    text = (message.text or message.caption or "") if message is not None else ""
    parts = text.split(maxsplit=1)
    return Request(
        user_id=user.id if user else None,
        chat_id=chat.id if chat else None,
        chat_type=chat.type if chat else ChatType.PRIVATE,
        lang="en" if english else await user_language(update, context),
        args=" ".join(context.args or []),
        text=text,
        line=parts[1] if len(parts) > 1 and text.startswith("/") else "",
        first_name=user.first_name if user else None,
        bot_username=context.bot.username or "",
    )


async def may_manage_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Private chats manage themselves; in groups only admins (or the anonymous admin); anyone who
    can post in a channel is one of its admins."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None:
        return False
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    if (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True  # an anonymous group admin
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        logger.warning("Could not check admin rights in chat %d: %s", chat.id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def allowed(access: Access, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Check who sent the update against `access` (never the menu: menus are cosmetic)."""
    if access is Access.ANYONE:
        return True
    if access is Access.CHAT_ADMIN:
        return await may_manage_chat(update, context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    if access is Access.EDITOR and chat.type != ChatType.PRIVATE:
        return False
    return await asyncio.to_thread(container(context).admin.is_admin, user.id)


def refusal(access: Access, lang: str) -> str:
    """The plain-text refusal for someone who may not do this."""
    return translator(lang).gettext(REFUSALS[access])


def log_refusal(update: Update, access: Access) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    text = (message.text if message else None) or ""
    # The command's name only: what users write stays out of logs above DEBUG.
    command = text.split(maxsplit=1)[0][:40] if text.startswith("/") else "a message or file"
    logger.warning(
        "Refused %s (%s) from user %s in %s chat %s",
        command,
        access.value,
        user.id if user else None,
        chat.type if chat else None,
        chat.id if chat else None,
    )


UseCase = Callable[[Container, Request], Result]


def use_case(call: UseCase, *, access: Access = Access.ANYONE, english: bool = False) -> Handler:
    """Make a handler: unpack the update, check access, run one use case in a thread, reply.

    A domain error becomes its message as the reply; nothing else is caught here (the error
    handler logs it and apologises).
    """

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if not await allowed(access, update, context):
            log_refusal(update, access)
            lang = (
                "en" if english or access is Access.EDITOR else await user_language(update, context)
            )
            await send_reply(message, Reply(text=esc(refusal(access, lang))))
            return
        request = await request_of(update, context, english=english)
        result = await run(call, container(context), request)
        await send_result(message, result, charts=charts_for(context, request.lang))

    handler.__doc__ = call.__doc__
    handler.__name__ = getattr(call, "__name__", "handler")
    return handler


async def run(call: UseCase, services: Container, request: Request) -> Result:
    """Run a use case in a worker thread; a domain error becomes a plain reply."""
    try:
        return await asyncio.to_thread(call, services, request)
    except DomainError as exc:
        return Reply(text=exc.to_html(translator(request.lang)))


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def send_result(message: Message, result: Result, *, charts: Charts | None = None) -> None:
    """Send one reply or several in order."""
    for reply in [result] if isinstance(result, Reply) else result:
        await send_reply(message, reply, charts=charts)


async def send_reply(
    message: Message, reply: Reply, *, charts: Charts | None = None
) -> list[Message]:
    """Send a reply: a document, a photo or chart with its caption, or HTML split under
    Telegram's limit (4096 UTF-16 code units, never inside a tag or an entity) with the buttons
    on the last part. A caption too long for a photo (1024) keeps what fits; the rest follows as
    text. A chart goes through `charts`: drawn off the answer path, or sent again by file_id."""
    keyboard = markup(reply)
    if reply.chart is not None:
        if charts is None:
            raise RuntimeError("a chart reply needs the chart sender")
        caption, *rest = split_message(reply.caption or "", MAX_CAPTION)
        sent = await charts.sender.send(
            message,
            reply.chart,
            caption=caption or None,
            keyboard=None if rest else keyboard,
            lang=charts.lang,
        )
        return [sent, *await _send_parts(message, rest, keyboard)]
    if reply.document is not None:
        sent = await message.reply_document(
            document=io.BytesIO(reply.document), filename=reply.filename, do_quote=False
        )
        return [sent]
    if reply.photo is not None:
        caption, *rest = split_message(reply.caption or "", MAX_CAPTION)
        sent = await message.reply_photo(
            photo=reply.photo,
            caption=caption or None,
            parse_mode=ParseMode.HTML,
            reply_markup=None if rest else keyboard,
            do_quote=False,
        )
        return [sent, *await _send_parts(message, rest, keyboard)]
    return await _send_parts(message, split_message(reply.text), keyboard)


async def _send_parts(
    message: Message, parts: Sequence[str], keyboard: InlineKeyboardMarkup | None
) -> list[Message]:
    """Send HTML parts in order, each already within the limit; the buttons go on the last."""
    out = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        out.append(
            await message.reply_html(
                part,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard if last else None,
                do_quote=False,
            )
        )
    return out


async def edit_reply(query: CallbackQuery, reply: Reply, *, charts: Charts | None = None) -> None:
    """Turn the tapped message into the reply; what does not fit in it follows as new messages.
    A photo or chart is a new message."""
    message = query.message
    pictured = reply.photo is not None or reply.chart is not None
    if not isinstance(message, Message) or pictured or message.photo:
        if isinstance(message, Message):
            await send_reply(message, reply, charts=charts)
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
        await _send_parts(message, chunks[1:], keyboard)
