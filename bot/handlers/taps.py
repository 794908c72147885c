"""Button taps: one table maps each callback kind to who may tap it and the use case it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain import callbacks
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.text import shorten
from bot.handlers import editors
from bot.handlers import feeds as feed_handlers
from bot.handlers.common import (
    Access,
    Result,
    allowed,
    charts_for,
    container,
    edit_reply,
    refusal,
    send_result,
    user_language,
)
from bot.i18n import translator
from bot.rendering.replies import Reply

INVALID = "This button is no longer valid."


@dataclass(frozen=True)
class TapContext:
    """What a tap's use case needs: who tapped, where, and in which language."""

    user_id: int
    chat_id: int
    lang: str
    bot_username: str
    chat_type: str = "private"


TapUseCase = Callable[[Container, callbacks.Callback, TapContext], Result]


@dataclass(frozen=True)
class Tap:
    """One callback kind: its use case and who may tap it.

    A single Reply edits the tapped message; several (a digest preview) follow it as new messages.
    """

    run: TapUseCase
    access: Access = Access.ANYONE


def _token(cb: callbacks.Callback) -> str:
    return cb.fields[0] if cb.fields else ""


def _set(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    """A language button of /settings: a private chat's is its user's language; a group's or a
    channel's is the language of that chat's digests (the tap is its admin's, checked)."""
    if cb.fields[:1] != ("lang",) or len(cb.fields) != 2:
        raise InvalidInput(INVALID)
    if t.chat_type == ChatType.PRIVATE:
        return c.users.set_language(telegram_id=t.user_id, language=cb.fields[1])
    return c.users.set_chat_language(chat_id=t.chat_id, language=cb.fields[1])


def _cancel(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    c.forms.cancel(admin_id=t.user_id)
    return c.entries.cancel(admin_id=t.user_id, token=_token(cb))


def _pick(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    if len(cb.fields) != 3:
        raise InvalidInput(INVALID)
    return c.entries.pick(
        admin_id=t.user_id, token=_token(cb), what=cb.fields[1], entry_id=cb.int_at(2)
    )


def _new(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    if len(cb.fields) != 2:
        raise InvalidInput(INVALID)
    return c.entries.create(admin_id=t.user_id, token=_token(cb), what=cb.fields[1])


def _form(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    reply = c.forms.answer(admin_id=t.user_id, value=":".join(cb.fields))
    if reply is None:
        raise InvalidInput("This form has expired; start again with /addprice or /addreport.")
    return reply


def _review(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    """A button of an article under review: toggle a figure, Save kept, or Cancel."""
    action = cb.fields[1] if len(cb.fields) > 1 else ""
    if action == "t" and len(cb.fields) == 3:
        return c.reviews.toggle(admin_id=t.user_id, token=_token(cb), number=cb.int_at(2))
    if action == "s" and len(cb.fields) == 2:
        return c.reviews.save(admin_id=t.user_id, token=_token(cb))
    if action == "x" and len(cb.fields) == 2:
        return c.reviews.cancel(admin_id=t.user_id, token=_token(cb))
    raise InvalidInput(INVALID)


def _inbox(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    """An inbox item's button: Open (the review follows as a new message) or Dismiss."""
    action, item = (cb.fields[0] if cb.fields else ""), cb.int_at(1)
    if item is None:
        raise InvalidInput(INVALID)
    if action == "o":
        return [feed_handlers.open_item(c, t.user_id, item).reply]
    if action == "x":
        entry = c.inbox.dismiss(item, admin_id=t.user_id)
        return feed_handlers.inbox_list(c, note=f"Dismissed {entry.id}.")
    raise InvalidInput(INVALID)


def _feed(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    """A feed's button: Pause, Resume or Run now (the list is shown again)."""
    action, feed = (cb.fields[0] if cb.fields else ""), cb.int_at(1)
    if feed is None or action not in ("p", "r", "n"):
        raise InvalidInput(INVALID)
    return feed_handlers.feed_action(c, action, feed, chat_id=t.chat_id)


def _subscription(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    action, target = (cb.fields[0] if cb.fields else ""), cb.int_at(1)
    if target is None:
        raise InvalidInput(INVALID)
    subs = c.subscriptions
    if action == "al":
        return subs.toggle_alerts(
            chat_id=t.chat_id, subscription_id=target, lang=t.lang, bot_username=t.bot_username
        )
    if action == "cn":
        return subs.toggle_condition_alerts(
            chat_id=t.chat_id, subscription_id=target, lang=t.lang, bot_username=t.bot_username
        )
    if action == "un":
        return subs.stop_one(
            chat_id=t.chat_id, subscription_id=target, lang=t.lang, bot_username=t.bot_username
        )
    if action == "pv":
        parts = subs.preview(chat_id=t.chat_id, lang=t.lang, subscription_id=target)
        return [Reply(text=part) for part in parts]
    raise InvalidInput(INVALID)


def _subscribe_place(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    market_id = cb.int_at(0)
    if market_id is None or market_id not in c.catalogue.current.market_labels:
        raise InvalidInput(INVALID)
    reply = c.subscriptions.subscribe_ids(
        chat_id=t.chat_id,
        chat_type=t.chat_type,
        user_id=t.user_id,
        commodity_ids=(),
        market_ids=(market_id,),
        lang=t.lang,
    )
    return [reply]  # a new message: the briefing stays as it was


def _cite(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    """The cite button of a price answer: the citations follow as a new message."""
    reply = c.citations.cite(callbacks.cite_ids(cb), lang=t.lang, bot_username=t.bot_username)
    return [reply]  # the answer stays as it was


def _schedule(c: Container, cb: callbacks.Callback, t: TapContext) -> Result:
    action = cb.fields[0] if cb.fields else ""
    value = cb.fields[1] if len(cb.fields) > 1 else ""
    if action == "pick":
        return c.schedules.picker(what=value, chat_id=t.chat_id, lang=t.lang)
    c.schedules.set_schedule(chat_id=t.chat_id, field=action, value=value, lang=t.lang)
    return c.users.settings(lang=t.lang, chat_id=t.chat_id)


TAPS: dict[str, Tap] = {
    "p": Tap(lambda c, cb, t: c.questions.tapped_price(cb, lang=t.lang)),
    "t": Tap(lambda c, cb, t: c.questions.tapped_trend(cb, lang=t.lang)),
    "cmp": Tap(lambda c, cb, t: c.questions.tapped_compare(cb, lang=t.lang)),
    "q": Tap(lambda c, cb, t: c.questions.tapped_question(cb, lang=t.lang)),
    "c": Tap(lambda c, cb, t: c.questions.conditions_page(cb, lang=t.lang)),
    "k": Tap(lambda c, cb, t: c.questions.conditions_page(cb, lang=t.lang)),
    "b": Tap(lambda c, cb, t: c.questions.tapped_brief(cb, lang=t.lang)),
    "ci": Tap(_cite),
    "sbm": Tap(_subscribe_place, access=Access.CHAT_ADMIN),
    "lc": Tap(lambda c, cb, t: c.questions.commodities_page(cb, lang=t.lang)),
    "lm": Tap(lambda c, cb, t: c.questions.markets_page(cb, lang=t.lang)),
    "m": Tap(lambda c, cb, t: c.questions.market_overview(cb, lang=t.lang)),
    # The settings of a group are its admins' to change, not every member's.
    "set": Tap(_set, access=Access.CHAT_ADMIN),
    "ok": Tap(
        lambda c, cb, t: c.entries.confirm(admin_id=t.user_id, token=_token(cb)),
        access=Access.EDITOR_ANYWHERE,
    ),
    "no": Tap(_cancel, access=Access.EDITOR_ANYWHERE),
    "pick": Tap(_pick, access=Access.EDITOR_ANYWHERE),
    "new": Tap(_new, access=Access.EDITOR_ANYWHERE),
    "f": Tap(_form, access=Access.EDITOR_ANYWHERE),
    "ir": Tap(_review, access=Access.EDITOR_ANYWHERE),
    "ib": Tap(_inbox, access=Access.EDITOR_ANYWHERE),
    "fd": Tap(_feed, access=Access.EDITOR_ANYWHERE),
    "sub": Tap(_subscription, access=Access.CHAT_ADMIN),
    "sch": Tap(_schedule, access=Access.CHAT_ADMIN),
}


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run what the tapped button stands for and answer the tap; refusals are small alerts."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None:
        return
    # A tap on a form or preview a restart cut short: its editor hears why it fails.
    await editors.tell_interrupted(update, context)
    lang = await user_language(update, context)
    t = translator(lang)
    kind = (query.data or "").split(":", 1)[0]
    tap = TAPS.get(kind)
    if tap is not None and not await allowed(tap.access, update, context):
        await query.answer(shorten(refusal(tap.access, lang), 200), show_alert=True)
        return
    tapped = TapContext(
        user_id=user.id,
        chat_id=chat.id if chat else user.id,
        lang=lang,
        bot_username=context.bot.username or "",
        chat_type=chat.type if chat else "private",
    )

    def act() -> Result:
        cb = callbacks.decode(query.data)
        if tap is None or cb.kind != kind:
            raise InvalidInput(INVALID)
        return tap.run(container(context), cb, tapped)

    try:
        result = await asyncio.to_thread(act)
    except DomainError as exc:
        # Shown as a small alert; the message itself stays as it was.
        await query.answer(shorten(exc.to_text(t), 200), show_alert=True)
        return
    await query.answer()
    charts = charts_for(context, lang)
    if isinstance(result, Reply):
        await edit_reply(query, result, charts=charts)
    elif isinstance(query.message, Message):
        await send_result(query.message, result, charts=charts)
