"""/price, /compare, /trend, /conditions, /commodities, /markets and plain-text questions."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import run_service, send_reply, services, user_language


def _args(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or [])


async def price_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /price <commodity> [market] [period]."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message,
        await run_service(services(context).ask, _args(context), lang=lang),
    )


async def price_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a plain-text message as a price question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    lang = await user_language(update, context)
    await send_reply(message, await run_service(services(context).ask, message.text, lang=lang))


async def compare_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /compare <commodity> [period]."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message,
        await run_service(services(context).compare, _args(context), lang=lang),
    )


async def trend_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /trend <commodity> [market] [period] with a chart."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message,
        await run_service(services(context).trend, _args(context), lang=lang),
    )


async def conditions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /conditions [place or commodity]."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message,
        await run_service(services(context).conditions, _args(context), lang=lang),
    )


async def commodities_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /commodities with a paged list."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message, await run_service(services(context).commodities, lang=lang)
    )


async def markets_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer /markets with a paged list."""
    assert update.effective_message is not None
    lang = await user_language(update, context)
    await send_reply(
        update.effective_message, await run_service(services(context).markets, lang=lang)
    )
