"""Admin commands: checked by numeric id in a private chat, every time (the menu is not the check)."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Message, Update
from telegram.constants import ChatType, FileSizeLimit
from telegram.error import TelegramError
from telegram.ext import ContextTypes, filters

from bot.domain.errors import DomainError
from bot.handlers.common import run_service, send_reply, services
from bot.i18n import translator
from bot.rendering.replies import Reply
from bot.services.core import ADMIN_COMMANDS, OWNER_COMMANDS, PUBLIC_COMMANDS, Services

logger = logging.getLogger(__name__)
REFUSAL = "Sorry, this command is for the bot's editors, in a private chat with the bot."
PROGRESS_EVERY_SECONDS = 2.0


async def _admin_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Message | None:
    """Return the message if it comes from an admin in a private chat; otherwise refuse and log."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return None
    allowed = chat.type == ChatType.PRIVATE and await asyncio.to_thread(
        services(context).admin.is_admin, user.id
    )
    if not allowed:
        logger.warning(
            "Refused %s from user %s in %s chat %s",
            (message.text or "a file")[:40],
            user.id,
            chat.type,
            chat.id,
        )
        await send_reply(message, Reply(text=REFUSAL))
        return None
    return message


async def set_admin_menu(bot: Any, svc: Services, chat_id: int, *, show: bool) -> None:
    """Show admins their commands in their private chat (cosmetic: failures are only logged)."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if not show:
            await bot.delete_my_commands(scope=scope)
            return
        owner = chat_id in svc.settings.admin_ids
        entries = (*PUBLIC_COMMANDS, *ADMIN_COMMANDS, *(OWNER_COMMANDS if owner else ()))
        await bot.set_my_commands(
            [BotCommand(n, translator("en").gettext(d)[:256]) for n, d in entries], scope=scope
        )
    except TelegramError as exc:
        # "Chat not found" is expected until the editor first opens the bot; /start sets it then.
        level = logging.INFO if "chat not found" in str(exc).lower() else logging.WARNING
        logger.log(level, "Could not set the admin menu for %s: %s", chat_id, exc)


def _admin_command(call: Callable[[Services, Update, ContextTypes.DEFAULT_TYPE], Reply]):  # type: ignore[no-untyped-def]
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = await _admin_message(update, context)
        if message is None:
            return
        try:
            reply = await asyncio.to_thread(call, services(context), update, context)
        except DomainError as exc:
            reply = Reply(text=exc.to_html(translator("en")))
        await send_reply(message, reply)

    handler.__doc__ = call.__doc__
    return handler


def _uid(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


@_admin_command
def addprice(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Add a price from one line, or start the guided form when there is none."""
    text = " ".join(context.args or [])
    if not text.strip():
        return s.forms.start(admin_id=_uid(update), kind="price")
    # Keep the admin's own spacing and quotes: take the text after the command itself.
    raw = (update.effective_message.text or "") if update.effective_message else ""
    line = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else text
    return s.entries.price_from_line(admin_id=_uid(update), text=line)


@_admin_command
def addreport(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Start the guided trade-condition report."""
    return s.forms.start(admin_id=_uid(update), kind="report")


@_admin_command
def cancel(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Stop a guided entry."""
    return s.forms.cancel(admin_id=_uid(update))


@_admin_command
def mine(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """List my latest entries."""
    return s.admin.mine(admin_id=_uid(update))


@_admin_command
def undo(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Revert my last entry."""
    return s.admin.undo(admin_id=_uid(update))


@_admin_command
def delete(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Soft-delete an entry."""
    if not context.args:
        return Reply(text="Use /delete ID (the ids are in /mine).")
    return s.admin.delete(admin_id=_uid(update), ident=context.args[0])


@_admin_command
def edit(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Correct one field of an entry."""
    return s.admin.edit(admin_id=_uid(update), args=list(context.args or []))


@_admin_command
def alias(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Add another name to a commodity."""
    return s.admin.add_alias(admin_id=_uid(update), args=list(context.args or []))


@_admin_command
def audit(s: Services, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Show recent changes."""
    return s.admin.audit()


async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Give admin rights (owners only)."""
    await _set_admin(update, context, grant=True)


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take admin rights away (owners only)."""
    await _set_admin(update, context, grant=False)


async def _set_admin(update: Update, context: ContextTypes.DEFAULT_TYPE, *, grant: bool) -> None:
    message = await _admin_message(update, context)
    if message is None:
        return
    svc = services(context)
    try:
        reply, target = await asyncio.to_thread(
            svc.admin.set_admin,
            owner_id=_uid(update),
            target=" ".join(context.args or []),
            grant=grant,
        )
    except DomainError as exc:
        await send_reply(message, Reply(text=exc.to_html(translator("en"))))
        return
    await send_reply(message, reply)
    await set_admin_menu(context.bot, svc, target, show=grant)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the prices as a CSV document, filtered by commodity and market."""
    message = await _admin_message(update, context)
    if message is None:
        return
    svc = services(context)
    try:
        name, data = await asyncio.to_thread(svc.files.export_csv, " ".join(context.args or []))
    except DomainError as exc:
        await send_reply(message, Reply(text=exc.to_html(translator("en"))))
        return
    await message.reply_document(document=io.BytesIO(data), filename=name, do_quote=False)


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a CSV file an admin sends, all or nothing, with progress in an edited message."""
    message = await _admin_message(update, context)
    if message is None or message.document is None:
        return
    document = message.document
    if not (document.file_name or "").lower().endswith(".csv"):
        await send_reply(
            message, Reply(text="Send prices as a .csv file (WFP/HDX or this bot's columns).")
        )
        return
    if (document.file_size or 0) > FileSizeLimit.FILESIZE_DOWNLOAD:
        await send_reply(
            message,
            Reply(
                text="Bots can download files up to 20 MB; use <code>jangmadang import FILE</code> for larger ones."
            ),
        )
        return
    status = await message.reply_text("Reading the file…", do_quote=False)
    data = await (await document.get_file()).download_as_bytearray()
    loop = asyncio.get_running_loop()
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        # Called from the worker thread: edit at most every few seconds (one chat's flood limit).
        if time.monotonic() - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = time.monotonic()
        text = f"Importing… {done:,} rows" + (f" of {total:,}" if total else "")
        asyncio.run_coroutine_threadsafe(_quiet_edit(status, text), loop)

    svc = services(context)
    reply = await run_service(
        svc.files.import_csv,
        bytes(data),
        name=document.file_name or "upload.csv",
        admin_id=_uid(update),
        progress=progress,
        lang="en",
    )
    await _quiet_edit(status, "Done reading the file.")
    await send_reply(message, reply)


async def _quiet_edit(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except TelegramError as exc:
        logger.debug("Progress edit skipped: %s", exc)


class HasOpenForm(filters.MessageFilter):
    """Pass text from a user who is answering a guided form."""

    def __init__(self, svc_getter: Callable[[], Services]) -> None:
        super().__init__(name="HasOpenForm")
        self._svc = svc_getter

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self._svc().pending.form_of(user.id) is not None


async def form_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take a typed answer to the open guided form."""
    message = await _admin_message(update, context)
    if message is None or not message.text:
        return
    reply = await run_service(
        _form_answer, services(context), _uid(update), message.text, lang="en"
    )
    await send_reply(message, reply)


def _form_answer(svc: Services, admin_id: int, text: str, *, lang: str) -> Reply:
    return svc.forms.answer(admin_id=admin_id, value=text) or Reply(
        text="This form has expired; start again."
    )
