"""/price, /compare, /trend, /conditions, /commodities, /markets and plain-text questions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import run_service, send_reply, services, user_language

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _asking(method: str, *, with_args: bool = True, doc: str = "") -> Handler:
    """Make a command handler: unpack the arguments, call one service method, reply."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        lang = await user_language(update, context)
        call = getattr(services(context), method)
        args = (" ".join(context.args or []),) if with_args else ()
        await send_reply(message, await run_service(call, *args, lang=lang))

    handler.__doc__ = doc
    return handler


price_command = _asking("ask", doc="Answer /price <commodity> [market] [period].")
compare_command = _asking("compare", doc="Answer /compare <commodity> [period].")
trend_command = _asking("trend", doc="Answer /trend <commodity> [market] [period] with a chart.")
conditions_command = _asking("conditions", doc="Answer /conditions [place or commodity].")
commodities_command = _asking(
    "commodities", with_args=False, doc="Answer /commodities with a paged list."
)
markets_command = _asking("markets", with_args=False, doc="Answer /markets with a paged list.")


async def price_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a plain-text message as a price question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    lang = await user_language(update, context)
    await send_reply(message, await run_service(services(context).ask, message.text, lang=lang))
