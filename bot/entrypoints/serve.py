"""`jangmadang run` in webhook mode, and the one-process rule of SQLite.

Webhook mode: the application is started without polling, the listener stores what Telegram
posts (bot.delivery.webhook, bot.delivery.inbox), setWebhook is called with the allowed updates
and max_connections (every replica calls it with the same URL: the last call wins, and they are
all the same), and the process serves until SIGTERM or SIGINT. Stopping: /readyz answers 503,
the listener stops taking requests, the updates in hand finish, then the application stops as
it does after polling. The webhook is left set: other replicas still serve it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Engine, make_url
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.app import ALLOWED_UPDATES, watch_backlogs
from bot.bootstrap import Container
from bot.delivery.botapi import BotApplication, connect, describe_error
from bot.delivery.inbox import Inbox
from bot.delivery.metrics import METRICS
from bot.delivery.webhook import Health, Listener
from bot.handlers.common import CONTAINER_KEY
from bot.services.processes import make_holder
from config.settings import ConfigError, Settings

__all__ = ["AlreadyServing", "serve_webhook", "sqlite_single_process"]

logger = logging.getLogger(__name__)
SET_WEBHOOK_RETRY_SECONDS = 5.0


class AlreadyServing(ConfigError):
    """Another process serves this SQLite database."""


@contextlib.contextmanager
def sqlite_single_process(settings: Settings) -> Iterator[None]:
    """Hold the SQLite database's serving lock while the bot runs (nothing on PostgreSQL).

    SQLite is for one process: a second `jangmadang run` on the same file would answer the same
    chats from a second copy of their state. The lock is a file lock beside the database,
    released by the kernel however the holder ends (kill -9 included)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    path = Path(url.database).resolve().with_name(Path(url.database).name + ".serving")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyServing(
                f"Another `jangmadang run` ({holder}) serves this SQLite database; SQLite serves "
                "one process. Stop it first, or use PostgreSQL (DATABASE_URL=postgresql+psycopg://"
                "...) to run several replicas."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


async def serve_webhook(
    application: BotApplication,
    settings: Settings,
    engine: Engine,
    *,
    stop: asyncio.Event | None = None,
    started: Callable[[Listener], None] | None = None,
) -> None:
    """Serve the webhook until SIGTERM or SIGINT, or until `stop` is set (InvalidToken when
    the token is refused). `started` is told the listener once it listens."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ConfigError("WEBHOOK_URL and WEBHOOK_SECRET are both needed for webhook mode.")
    secret = settings.webhook_secret.get_secret_value()
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
    if not await connect(application.initialize, settings.telegram_api_url, stop=stop):
        return
    services: Container = application.bot_data[CONTAINER_KEY]
    bot = application.bot

    def decode(payload: dict[str, Any]) -> Update:
        update = Update.de_json(payload, bot)
        assert update is not None
        return update

    inbox = Inbox(
        engine=engine,
        process=application.process_update,
        decode=decode,
        name=make_holder(),
    )
    health = Health(engine=engine, ping_bot_api=bot.get_me)
    listener = Listener(
        listen=settings.webhook_listen,
        health=health,
        inbox=inbox,
        path=settings.webhook_path,
        secret=secret,
    )
    stopping = False
    listener.ready_gate = lambda: not stopping
    METRICS.watch(
        "jangmadang_inbox_backlog", "Posted updates stored, not yet processed.", inbox.backlog
    )
    watch_backlogs(services)
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await listener.start()
        inbox.start()
        if started is not None:
            started(listener)
        register = asyncio.create_task(_set_webhook(application, settings, secret, stop))
        await stop.wait()
        stopping = True
        register.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await register
    finally:
        logger.info("Stopping: the updates in hand finish first")
        await listener.stop()
        await inbox.close()
        METRICS.unwatch("jangmadang_inbox_backlog")
        if application.running:
            await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _set_webhook(
    application: BotApplication, settings: Settings, secret: str, stop: asyncio.Event
) -> None:
    """setWebhook, retried while the Bot API is unreachable; a refusal is logged."""
    assert settings.webhook_url is not None
    while not stop.is_set():
        try:
            await application.bot.set_webhook(
                url=settings.webhook_url,
                secret_token=secret,
                max_connections=settings.webhook_max_connections,
                allowed_updates=ALLOWED_UPDATES,
            )
        except InvalidToken:
            logger.error("The Bot API refused the token at setWebhook; stopping")
            stop.set()
            raise
        except TelegramError as exc:
            logger.warning(
                "setWebhook failed (%s); retrying in %.0f s",
                describe_error(exc),
                SET_WEBHOOK_RETRY_SECONDS,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SET_WEBHOOK_RETRY_SECONDS)
            continue
        logger.info(
            "Webhook set: Telegram posts to %s (max %d connections)",
            _without_query(settings.webhook_url),
            settings.webhook_max_connections,
        )
        return


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]
