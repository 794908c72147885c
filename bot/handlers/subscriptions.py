"""/subscribe, /unsubscribe, /subscriptions, /digest, /timezone, /stats, and the chat-membership
updates that pause or move subscriptions."""

from __future__ import annotations

import asyncio

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_
from bot.handlers.common import (
    Access,
    Request,
    container,
    log_refusal,
    refusal,
    send_reply,
    use_case,
)
from bot.i18n import translator
from bot.rendering.html import esc
from bot.rendering.replies import Reply

TIMEZONE_USAGE = N_(
    "Send /timezone with an IANA name, e.g. /timezone Europe/Berlin, "
    "/timezone America/New_York, /timezone Asia/Seoul."
)


def _chat(r: Request) -> int:
    assert r.chat_id is not None
    return r.chat_id


def _subscribe(c: Container, r: Request) -> Reply:
    """/subscribe [commodities] [markets] [conditions [off]]: this chat gets a digest of them
    (nothing = everything); "conditions" switches condition alerts on for them, "conditions off"
    off again (the 🛂 button does the same)."""
    return c.subscriptions.subscribe(
        chat_id=_chat(r), chat_type=r.chat_type, user_id=r.user_id, text=r.args, lang=r.lang
    )


def _unsubscribe(c: Container, r: Request) -> Reply:
    """/unsubscribe [number | names | all]."""
    return c.subscriptions.unsubscribe(
        chat_id=_chat(r), text=r.args, lang=r.lang, bot_username=r.bot_username
    )


def _listing(c: Container, r: Request) -> Reply:
    """/subscriptions: what this chat gets, with buttons."""
    return c.subscriptions.listing(chat_id=_chat(r), lang=r.lang, bot_username=r.bot_username)


def _digest(c: Container, r: Request) -> list[Reply]:
    """/digest: this chat's digest as it would go out now (nothing is recorded)."""
    return [Reply(text=part) for part in c.subscriptions.preview(chat_id=_chat(r), lang=r.lang)]


def _timezone(c: Container, r: Request) -> Reply:
    """/timezone Europe/Berlin: the digest time zone of this chat (and of the user's next ones)."""
    t = translator(r.lang)
    text = r.args.strip()
    if not text:
        return Reply(text=esc(t.gettext(TIMEZONE_USAGE)))
    private = r.chat_type == ChatType.PRIVATE
    zone = text
    if private and r.user_id is not None:
        zone = c.schedules.remember_timezone(user_id=r.user_id, text=text)
    try:
        when = c.schedules.set_schedule(chat_id=_chat(r), field="zone", value=zone, lang=r.lang)
    except InvalidInput:
        if not private:
            raise
        message = t.gettext("Time zone set to {zone} for your next subscriptions.")
        return Reply(text=esc(message.format(zone=zone)))
    return Reply(text="✅ " + esc(when))


def _stats(c: Container, r: Request) -> Reply:
    """/stats (editors, in a private chat): subscribers and last week's deliveries by status."""
    return c.subscriptions.stats(lang=r.lang)


subscribe_command = use_case(_subscribe, access=Access.CHAT_ADMIN)
unsubscribe_command = use_case(_unsubscribe, access=Access.CHAT_ADMIN)
subscriptions_command = use_case(_listing)
digest_command = use_case(_digest)
timezone_command = use_case(_timezone, access=Access.CHAT_ADMIN)
_stats_for_editors = use_case(_stats, access=Access.EDITOR_ANYWHERE)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: an editor's command, answered in a private chat only (the counts are not for a
    group or channel to read); anyone else is told it is for admins."""
    message, chat = update.effective_message, update.effective_chat
    if message is None:
        return
    if chat is not None and chat.type != ChatType.PRIVATE:
        log_refusal(update, Access.EDITOR)
        await send_reply(message, Reply(text=esc(refusal(Access.EDITOR, "en"))))
        return
    await _stats_for_editors(update, context)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, kicked or added back: pause or restart that chat's subscriptions."""
    change = update.my_chat_member
    if change is None:
        return
    subscriptions = container(context).subscriptions
    chat, status = change.chat, change.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        await asyncio.to_thread(subscriptions.chat_left, chat_id=chat.id, chat_type=chat.type)
    elif status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        await asyncio.to_thread(subscriptions.reactivate, chat_id=chat.id)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its subscriptions follow the new chat id."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or message.migrate_to_chat_id is None or chat is None:
        return
    await asyncio.to_thread(
        container(context).subscriptions.chat_migrated,
        old_chat_id=chat.id,
        new_chat_id=message.migrate_to_chat_id,
    )
