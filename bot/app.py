"""The application factory: one place where the bot is assembled."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import basic, prices
from bot.handlers.common import SERVICES_KEY
from bot.handlers.errors import error_handler
from bot.ratelimit import ChatPacedRateLimiter
from bot.services.core import PUBLIC_COMMANDS, Services
from config.settings import Settings

logger = logging.getLogger(__name__)


async def post_init(application: Application) -> None:
    """Set the command menu; a server that refuses it is logged, never fatal."""
    commands = [BotCommand(name, description) for name, description in PUBLIC_COMMANDS]
    try:
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault())
    except TelegramError as exc:
        logger.warning("Could not set the command menu: %s", exc)


async def post_shutdown(application: Application) -> None:
    """Release the database connections."""
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is not None:
        services.engine.dispose()


def build_application(
    settings: Settings,
    *,
    engine: Engine,
    token: str | None = None,
    api_url: str | None = None,
    services: Services | None = None,
) -> Application:
    """Assemble the bot: Bot API endpoint, rate limiter, services, handlers in order."""
    root = (api_url or settings.telegram_api_url).rstrip("/")
    application = (
        ApplicationBuilder()
        .token(token or settings.token())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .rate_limiter(ChatPacedRateLimiter())
        .read_timeout(settings.request_timeout)
        .get_updates_read_timeout(settings.request_timeout + 10)
        .concurrent_updates(8)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services or Services(settings=settings, engine=engine)

    # Greeting and help.
    application.add_handler(CommandHandler("start", basic.start))
    application.add_handler(CommandHandler("help", basic.help_command))
    # Prices: the command, then plain text in private chats.
    application.add_handler(CommandHandler("price", prices.price_command))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, prices.price_text
        )
    )
    # Anything else that looks like a command.
    application.add_handler(MessageHandler(filters.COMMAND, basic.unknown_command))
    # Errors last.
    application.add_error_handler(error_handler)
    return application


ALLOWED_UPDATES = Update.ALL_TYPES
