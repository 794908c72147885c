"""/subscribe, /unsubscribe, /subscriptions, /digest, /timezone, /stats, schedule buttons, and the
chat-membership updates that pause or move subscriptions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from telegram import Chat, ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain import callbacks
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.text import shorten
from bot.handlers.common import edit_reply, run_service, send_reply, services, user_language
from bot.i18n import translator
from bot.rendering import html as render
from bot.rendering.replies import Reply
from db import repo

logger = logging.getLogger(__name__)
ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def may_manage(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int | None
) -> bool:
    """Private chats manage themselves; in groups only admins (or the anonymous admin); anyone who
    can post in a channel is one of its admins."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    message = update.effective_message
    if (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True  # an anonymous group admin
    if user_id is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user_id)
    except TelegramError as exc:
        logger.warning("Could not check admin rights in chat %d: %s", chat.id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def _lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    if update.effective_user is None:
        return services(context).settings.default_language
    return await user_language(update, context)


def _args(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or [])


async def _refuse(update: Update, lang: str) -> None:
    assert update.effective_message is not None
    text = translator(lang).gettext("Only an admin of this chat can change its subscriptions.")
    await send_reply(update.effective_message, Reply(text=render.esc(text)))


async def _for_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, call: Callable[..., Reply], **kwargs: Any
) -> None:
    """Run a use case that changes this chat's subscriptions, if the sender may change them."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    lang = await _lang(update, context)
    user_id = update.effective_user.id if update.effective_user else None
    if not await may_manage(update, context, user_id):
        await _refuse(update, lang)
        return
    reply = await run_service(call, chat_id=chat.id, text=_args(context), lang=lang, **kwargs)
    await send_reply(message, reply)


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscribe [commodities] [markets]: this chat gets a digest of them (nothing = everything)."""
    chat, user = update.effective_chat, update.effective_user
    await _for_chat(
        update,
        context,
        services(context).subscriptions.subscribe,
        chat_type=chat.type if chat else "private",
        user_id=user.id if user else None,
    )


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unsubscribe [number | names | all]."""
    await _for_chat(update, context, services(context).subscriptions.unsubscribe)


async def subscriptions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/subscriptions: what this chat gets, with buttons."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    lang = await _lang(update, context)
    reply = await run_service(services(context).subscriptions.listing, chat_id=chat.id, lang=lang)
    await send_reply(message, reply)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: this chat's digest as it would go out now (nothing is recorded)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    lang = await _lang(update, context)
    try:
        parts = await asyncio.to_thread(
            services(context).subscriptions.preview, chat_id=chat.id, lang=lang
        )
    except DomainError as exc:
        await send_reply(message, Reply(text=exc.to_html(translator(lang))))
        return
    for part in parts:
        await send_reply(message, Reply(text=part))


async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone Europe/Berlin: the digest time zone of this chat (and of the user's future ones)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    lang = await _lang(update, context)
    t = translator(lang)
    text = _args(context).strip()
    if not text:
        await send_reply(
            message,
            Reply(
                text=render.esc(
                    t.gettext(
                        "Send /timezone with an IANA name, e.g. /timezone Europe/Berlin, "
                        "/timezone America/New_York, /timezone Asia/Seoul."
                    )
                )
            ),
        )
        return
    user_id = update.effective_user.id if update.effective_user else None
    if not await may_manage(update, context, user_id):
        await _refuse(update, lang)
        return
    schedules = services(context).schedules

    def change() -> Reply:
        if chat.type == ChatType.PRIVATE and user_id is not None:
            zone = schedules.remember_timezone(user_id=user_id, text=text)
        else:
            zone = text
        try:
            when = schedules.set_schedule(chat_id=chat.id, field="zone", value=zone, lang=lang)
        except InvalidInput:
            if chat.type != ChatType.PRIVATE:
                raise
            return Reply(
                text=render.esc(
                    t.gettext("Time zone set to {zone} for your next subscriptions.").format(
                        zone=zone
                    )
                )
            )
        return Reply(text="✅ " + render.esc(when))

    try:
        reply = await asyncio.to_thread(change)
    except DomainError as exc:
        reply = Reply(text=exc.to_html(t))
    await send_reply(message, reply)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): subscribers and last week's deliveries by status."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = await _lang(update, context)
    if not await asyncio.to_thread(services(context).admin.is_admin, user.id):
        await send_reply(
            message, Reply(text=render.esc(translator(lang).gettext("Only admins can do this.")))
        )
        return
    reply = await run_service(services(context).subscriptions.stats, lang=lang)
    await send_reply(message, reply)


async def on_schedule_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons of /subscriptions and the schedule part of /settings."""
    query = update.callback_query
    if query is None or update.effective_user is None or update.effective_chat is None:
        return
    lang = await user_language(update, context)
    t = translator(lang)
    chat_id = update.effective_chat.id
    if not await may_manage(update, context, update.effective_user.id):
        await query.answer(
            t.gettext("Only an admin of this chat can change its subscriptions."), show_alert=True
        )
        return
    subs = services(context).subscriptions
    svc = services(context)

    def act() -> Reply | list[str]:
        cb = callbacks.decode(query.data)
        action = cb.fields[0] if cb.fields else ""
        if cb.kind == "sub":
            target = cb.int_at(1)
            if target is None:
                raise InvalidInput("This button is no longer valid.")
            if action == "al":
                return subs.toggle_alerts(chat_id=chat_id, subscription_id=target, lang=lang)
            if action == "un":
                return subs.stop_one(chat_id=chat_id, subscription_id=target, lang=lang)
            if action == "pv":
                return subs.preview(chat_id=chat_id, lang=lang, subscription_id=target)
        if cb.kind == "sch":
            value = cb.fields[1] if len(cb.fields) > 1 else ""
            if action == "pick":
                return svc.schedules.picker(what=value, chat_id=chat_id, lang=lang)
            svc.schedules.set_schedule(chat_id=chat_id, field=action, value=value, lang=lang)
            return svc.settings_menu(lang=lang, chat_id=chat_id)
        raise InvalidInput("This button is no longer valid.")

    try:
        result = await asyncio.to_thread(act)
    except DomainError as exc:
        await query.answer(shorten(exc.to_text(t), 200), show_alert=True)
        return
    await query.answer()
    if isinstance(result, list):
        message = query.message
        if message is not None and hasattr(message, "reply_html"):
            for part in result:
                await send_reply(message, Reply(text=part))  # type: ignore[arg-type]
        return
    await edit_reply(query, result)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, kicked or added back: pause or restart that chat's subscriptions."""
    change = update.my_chat_member
    if change is None:
        return
    chat: Chat = change.chat
    status = change.new_chat_member.status
    svc = services(context)

    def apply() -> None:
        now = svc.now()
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            reason = "blocked" if chat.type == ChatType.PRIVATE else "kicked"
            with Session(svc.engine) as session:
                repo.deactivate_chat(session, chat_id=chat.id, reason=reason, now=now)
                session.commit()
        elif status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
            svc.subscriptions.reactivate(chat_id=chat.id)

    await asyncio.to_thread(apply)


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its subscriptions follow the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None or update.effective_chat is None:
        return
    svc = services(context)
    old, new = update.effective_chat.id, message.migrate_to_chat_id

    def apply() -> None:
        with Session(svc.engine) as session:
            repo.migrate_chat(session, old_chat_id=old, new_chat_id=new, now=svc.now())
            session.commit()

    await asyncio.to_thread(apply)
