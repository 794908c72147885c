"""`jangmadang send`: a process that queues and sends digests and alerts without polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from sqlalchemy.engine import Engine
from telegram.error import InvalidToken
from telegram.ext import ExtBot

from bot.bootstrap import bootstrap
from bot.delivery import botapi
from bot.delivery.jobs import ledger_backlog
from bot.delivery.metrics import METRICS
from bot.delivery.sender import Sender
from bot.delivery.webhook import Health, Listener
from config.settings import Settings

logger = logging.getLogger(__name__)


async def run_worker(settings: Settings, engine: Engine, *, token: str) -> None:
    """Queue and send digests without answering updates: `jangmadang send`, beside `run`.

    Stops on SIGTERM or SIGINT: sends in flight finish and are recorded, the lease is released.
    Waits, retrying, while the Bot API is unreachable; raises InvalidToken when the Bot API
    refuses the token, at start or later (the deliveries stay queued).
    """
    root = bootstrap(settings, engine)
    base_url, base_file_url = botapi.endpoints(settings)
    bot = ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        rate_limiter=botapi.rate_limiter(settings),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if not await botapi.connect(bot.initialize, settings.telegram_api_url, stop=stop):
        return
    store = root.catalogue
    sender = Sender(bot, engine, settings, catalogue=lambda: store.current, now=root.clock)
    sender.on_token_refused = stop.set
    listener: Listener | None = None
    if settings.metrics_listen:
        # /healthz, /readyz and /metrics of this worker (the ledger backlog among them).
        listener = Listener(
            listen=settings.metrics_listen, health=Health(engine=engine, ping_bot_api=bot.get_me)
        )
        METRICS.watch(
            "jangmadang_ledger_backlog",
            "Digest and alert deliveries queued or being sent.",
            lambda: ledger_backlog(engine),
        )
        await listener.start()
    try:
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
    finally:
        if listener is not None:
            await listener.stop()
        await bot.shutdown()
    if sender.token_refused:
        raise InvalidToken("refused while sending")
