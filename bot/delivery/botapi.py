"""Where the Bot API is and how fast the bot may call it: shared by `run` and `send`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.delivery.ratelimit import ChatPacedRateLimiter
from config.settings import Settings

# The Application as the factory builds it: PTB's default bot, context and data types.
BotApplication = Application[
    ExtBot[Any],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]


def endpoints(settings: Settings, api_url: str | None = None) -> tuple[str, str]:
    """Return the base URL of methods and of files for the configured (or given) server."""
    root = (api_url or settings.telegram_api_url).rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def rate_limiter(settings: Settings) -> ChatPacedRateLimiter:
    """Telegram's 30 messages/s, or more for a bot allowed a higher broadcast budget."""
    return ChatPacedRateLimiter(overall_max_rate=max(30.0, settings.send_budget + 5))
