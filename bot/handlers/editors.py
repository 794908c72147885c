"""Editors' tools: checked by numeric id in a private chat every time (the menu is not the check)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from telegram import Bot, Message, Update
from telegram.constants import FileSizeLimit
from telegram.error import TelegramError
from telegram.ext import ContextTypes, filters

from bot.bootstrap import Container
from bot.domain.errors import DomainError
from bot.handlers.basic import is_edit
from bot.handlers.common import (
    Access,
    Handler,
    Request,
    UseCase,
    allowed,
    container,
    log_refusal,
    refusal,
    request_of,
    run,
    send_reply,
    send_result,
    use_case,
)
from bot.handlers.menus import menus
from bot.handlers.steps import OpenSteps
from bot.i18n import translator
from bot.rendering.replies import Reply
from bot.services.pending import FORMS, IMPORT, Interrupted

logger = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 2.0
FORM_EXPIRED = "This form has expired; start again with /addprice or /addreport."


def editor(call: UseCase) -> Handler:
    """An editor's command: in a private chat, by an editor, answered in English."""
    return use_case(call, access=Access.EDITOR, english=True)


def _addprice(c: Container, r: Request) -> Reply:
    """Add a price from one line, or start the guided form when there is none."""
    if not r.args.strip():
        return c.forms.start(admin_id=r.editor_id, kind="price")
    # Keep the editor's own spacing and quotes: the text after the command itself.
    return c.entries.price_from_line(admin_id=r.editor_id, text=r.line or r.args)


def _addreport(c: Container, r: Request) -> Reply:
    """Add a trade-condition report from one line, or start the guided form when there is none."""
    if not r.args.strip():
        return c.forms.start(admin_id=r.editor_id, kind="report")
    return c.entries.report_from_line(admin_id=r.editor_id, text=r.line or r.args)


def _cancel(c: Container, r: Request) -> Reply:
    """Stop a guided entry."""
    return c.forms.cancel(admin_id=r.editor_id)


def _mine(c: Container, r: Request) -> Reply:
    """List my latest entries."""
    return c.admin.mine(admin_id=r.editor_id)


def _undo(c: Container, r: Request) -> Reply:
    """Revert my last entry."""
    return c.admin.undo(admin_id=r.editor_id)


def _delete(c: Container, r: Request) -> Reply:
    """Soft-delete an entry."""
    if not r.args:
        return Reply(text="Use /delete ID (the ids are in /mine).")
    return c.admin.delete(admin_id=r.editor_id, ident=r.args.split()[0])


def _edit(c: Container, r: Request) -> Reply:
    """Correct one field of an entry."""
    return c.admin.edit(admin_id=r.editor_id, args=r.args.split())


def _alias(c: Container, r: Request) -> Reply:
    """Add another name to a commodity."""
    return c.admin.add_alias(admin_id=r.editor_id, args=r.args.split())


def _audit(c: Container, r: Request) -> Reply:
    """Show recent changes."""
    return c.admin.audit()


def _export(c: Container, r: Request) -> Reply:
    """Send the prices (or, with `reports`, the trade-condition reports) as a CSV document."""
    name, data = c.files.export_csv(r.args)
    return Reply(text="", document=data, filename=name)


def _form_answer(c: Container, r: Request) -> Reply:
    """Take a typed answer to the open guided form."""
    return c.forms.answer(admin_id=r.editor_id, value=r.text) or Reply(text=FORM_EXPIRED)


addprice = editor(_addprice)
addreport = editor(_addreport)
cancel = editor(_cancel)
mine = editor(_mine)
undo = editor(_undo)
delete = editor(_delete)
edit = editor(_edit)
alias = editor(_alias)
audit = editor(_audit)
export = editor(_export)
_form_answer_handler = editor(_form_answer)


async def form_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take a typed answer to the open guided form; an edited answer is not taken again."""
    if is_edit(update):
        return
    await _form_answer_handler(update, context)


async def tell_interrupted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Tell the sender, once, of their forms, entries and imports a restart interrupted.

    Return whether a guided form was among them: the text that came was meant as its answer.
    Costs no query for a sender with nothing interrupted.
    """
    user = update.effective_user
    if user is None or is_edit(update):
        return False
    work = container(context).work
    if not work.maybe_left(user.id):
        return False
    left = await asyncio.to_thread(work.interrupted, owner_id=user.id)
    await announce(context.bot, left)
    return any(item.form for item in left)


async def announce_interrupted(bot: Bot, services: Container) -> int:
    """At start-up: tell every owner of work the previous process left; return how many.

    (The application's post_init may call it; otherwise each owner hears on their next message.)
    """
    left = await asyncio.to_thread(services.work.left_over)
    await announce(bot, left)
    return len(left)


async def announce(bot: Bot, left: Sequence[Interrupted]) -> None:
    """Turn interrupted imports' progress messages into their end, and tell each owner once."""
    notices: dict[int, list[str]] = {}
    for item in left:
        logger.info("Interrupted by a restart: %s of %d", item.kind, item.owner_id)
        if item.progress is not None and item.message_id is not None:
            try:
                await bot.edit_message_text(
                    item.progress, chat_id=item.chat_id, message_id=item.message_id
                )
            except TelegramError as exc:
                logger.info("Could not end the progress message of an import: %s", exc)
        lines = notices.setdefault(item.chat_id, [])
        if item.notice not in lines:
            lines.append(item.notice)
    for chat_id, lines in notices.items():
        try:
            await bot.send_message(chat_id, "\n".join(lines))
        except TelegramError as exc:
            logger.warning("Could not tell chat %d of interrupted work: %s", chat_id, exc)


async def _guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Message | None:
    """Return the message if an editor sent it in a private chat; otherwise refuse and log."""
    message = update.effective_message
    if message is None:
        return None
    if not await allowed(Access.EDITOR, update, context):
        log_refusal(update, Access.EDITOR)
        await send_reply(message, Reply(text=refusal(Access.EDITOR, "en")))
        return None
    return message


async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Give editor rights (owners only)."""
    await _set_editor(update, context, grant=True)


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take editor rights away (owners only)."""
    await _set_editor(update, context, grant=False)


async def _set_editor(update: Update, context: ContextTypes.DEFAULT_TYPE, *, grant: bool) -> None:
    message = await _guard(update, context)
    if message is None:
        return
    c = container(context)
    request = await request_of(update, context, english=True)
    try:
        reply, target = await asyncio.to_thread(
            c.admin.set_admin, owner_id=request.editor_id, target=request.args, grant=grant
        )
    except DomainError as exc:
        await send_reply(message, Reply(text=exc.to_html(translator("en"))))
        return
    await send_reply(message, reply)
    await menus(context).set_editor(context.bot, target, show=grant, owner=False)


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import a CSV file an editor sends, all or nothing, with progress in an edited message.

    While it runs, a marker names the progress message: should the process die, the next one
    ends that message and tells the editor nothing was written. An edited caption imports
    nothing again.
    """
    if is_edit(update):
        return
    await tell_interrupted(update, context)
    message = await _guard(update, context)
    if message is None or message.document is None:
        return
    document = message.document
    if not (document.file_name or "").lower().endswith(".csv"):
        await send_reply(
            message,
            Reply(
                text="Send prices or trade-condition reports as a .csv file (WFP/HDX or this "
                "bot's columns; /export and /export reports show them)."
            ),
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
    c = container(context)
    request = await request_of(update, context, english=True)
    status = await message.reply_text("Reading the file…", do_quote=False)
    marker = await asyncio.to_thread(
        c.work.started,
        owner_id=request.editor_id,
        kind=IMPORT,
        chat_id=status.chat_id,
        message_id=status.message_id,
        label=document.file_name,
    )
    try:
        data = await (await document.get_file()).download_as_bytearray()
    except Exception:
        await asyncio.to_thread(c.work.finished, [marker])
        raise
    loop = asyncio.get_running_loop()
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        # Called from the worker thread: edit at most every few seconds (one chat's flood limit).
        if time.monotonic() - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = time.monotonic()
        text = f"Importing… {done:,} rows" + (f" of {total:,}" if total else "")
        asyncio.run_coroutine_threadsafe(_quiet_edit(status, text), loop)

    def import_file(c: Container, r: Request) -> Reply:
        try:
            return c.files.import_csv(
                bytes(data),
                name=document.file_name or "upload.csv",
                admin_id=r.editor_id,
                progress=progress,
                lang="en",
            )
        finally:
            # At once, in this thread: the import committed (or failed) a moment ago.
            c.work.finished([marker])

    reply = await run(import_file, c, request)
    await _quiet_edit(status, "Done reading the file.")
    await send_result(message, reply)


async def _quiet_edit(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except TelegramError as exc:
        logger.debug("Progress edit skipped: %s", exc)


class HasOpenForm(filters.MessageFilter):
    """Pass text from a user who is answering a guided form."""

    def __init__(self, services: Container, steps: OpenSteps) -> None:
        super().__init__(name="HasOpenForm")
        self._forms = services.forms
        self._steps = steps

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None:
            return False
        kinds = self._steps.get(message)
        if kinds is None:  # not read before (an edited message): ask the database
            return self._forms.is_open(admin_id=user.id)
        return not kinds.isdisjoint(FORMS)
