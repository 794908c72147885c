"""Running the bot's Application by hand: polling a Bot API server until told to stop."""

from __future__ import annotations

import secrets
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update

from bot.delivery.botapi import BotApplication
from config.settings import PLACEHOLDERS


def demo_token() -> str:
    """Return a fresh token-shaped secret for an offline emulator session."""
    alphabet = string.ascii_letters + string.digits
    while True:
        token = "100000001:" + "".join(secrets.choice(alphabet) for _ in range(35))
        # One in a thousand holds "xxx" or another placeholder word, which settings refuse.
        if not any(word in token.lower() for word in PLACEHOLDERS):
            return token


@asynccontextmanager
async def polling(
    application: BotApplication, *, poll_timeout: int = 10
) -> AsyncIterator[BotApplication]:
    """Initialize, run post_init, start polling; stop and shut down on exit, as run_polling would."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, timeout=poll_timeout, drop_pending_updates=False
        )
        try:
            yield application
        finally:
            await application.updater.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
            await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
