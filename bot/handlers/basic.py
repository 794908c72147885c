"""/start, /help, unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import reply_html, services, user_language


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and show examples."""
    assert update.effective_message is not None
    await user_language(update, context)
    user = update.effective_user
    await reply_html(
        update.effective_message,
        services(context).start_text(first_name=user.first_name if user else None),
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the bot can do."""
    assert update.effective_message is not None
    await user_language(update, context)
    await reply_html(update.effective_message, services(context).help_text())


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point an unknown command to /help."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0].split("@")[0]
    await reply_html(message, services(context).unknown_command_text(command))
