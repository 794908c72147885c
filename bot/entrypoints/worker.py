"""`jangmadang send`: a process that queues and sends digests and alerts without polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.delivery.sender import Sender
from config.settings import Settings

logger = logging.getLogger(__name__)


async def run_worker(settings: Settings, engine: Engine, *, token: str) -> None:
    """Queue and send digests without answering updates: `jangmadang send`, beside `run`.

    Stops on SIGTERM or SIGINT: sends in flight finish and are recorded, the lease is released.
    """
    import signal

    from telegram.ext import ExtBot

    from bot.delivery.ratelimit import ChatPacedRateLimiter
    from bot.services.catalogue import load_catalogue

    root = settings.telegram_api_url.rstrip("/")
    bot = ExtBot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        rate_limiter=ChatPacedRateLimiter(overall_max_rate=max(30.0, settings.send_budget + 5)),
    )
    catalogue = load_catalogue(engine)
    sender = Sender(
        bot,
        engine,
        settings,
        catalogue=lambda: catalogue,
        now=lambda: datetime.now(UTC),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        task = asyncio.create_task(sender.run(), name="digest-sender")
        try:
            while not stop.is_set():
                try:
                    await sender.tick()
                except Exception:
                    logger.exception("Digest tick failed; the next tick retries")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.digest_tick_seconds)
        finally:
            await sender.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(sender.release)
