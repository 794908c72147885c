"""The digest sender inside the polling bot: started after the bot is up, ticked by the JobQueue,
woken when a service queued an alert, stopped before the bot shuts down."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.delivery.botapi import BotApplication
from bot.delivery.sender import Sender
from db import repo

logger = logging.getLogger(__name__)
SENDER_KEY = "sender"
SENDER_TASK_KEY = "sender_task"
DISCONNECT_KEY = "sender_disconnect"
TICK_JOB = "digest-tick"
SWEEP_JOB = "conversation-sweep"
# Expired conversation steps are deleted this often (reads skip them meanwhile).
SWEEP_SECONDS = 600.0


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue due digests (the JobQueue runs this every few seconds)."""
    sender: Sender | None = context.application.bot_data.get(SENDER_KEY)
    if sender is None:
        return
    try:
        await sender.tick()
    except Exception:
        logger.exception("Digest tick failed; the next tick retries")


def start_sender(application: BotApplication, services: Container) -> Sender | None:
    """Start the sender and its tick (explicit job id, coalesced, an hour of misfire grace)."""
    settings = services.settings
    if not settings.send_digests:
        return None
    store = services.catalogue
    sender = Sender(
        application.bot,
        services.engine,
        settings,
        catalogue=lambda: store.current,
        now=services.clock,
    )
    loop = asyncio.get_running_loop()
    application.bot_data[SENDER_KEY] = sender

    def wake() -> None:
        # Raised from a worker thread; the sender lives on the event loop.
        loop.call_soon_threadsafe(sender.wake)

    application.bot_data[DISCONNECT_KEY] = services.queued.connect(wake)
    application.bot_data[SENDER_TASK_KEY] = asyncio.create_task(sender.run(), name="digest-sender")
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            digest_tick,
            interval=settings.digest_tick_seconds,
            first=1,
            name=TICK_JOB,
            job_kwargs={
                "id": TICK_JOB,
                "replace_existing": True,
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": 3600,
            },
        )
    return sender


async def sweep_steps(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete expired conversation steps (every process may: the delete is idempotent)."""
    services = context.job.data if context.job is not None else None
    if not isinstance(services, Container):
        return
    try:
        swept = await asyncio.to_thread(services.steps.sweep)
    except Exception:
        logger.warning("Sweeping expired conversation steps failed; retried later", exc_info=True)
        return
    if swept:
        logger.debug("Swept %d expired conversation steps", swept)


def start_sweeps(application: BotApplication, services: Container) -> None:
    """Sweep expired conversation steps now and then (a job with an explicit id)."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            sweep_steps,
            interval=SWEEP_SECONDS,
            first=SWEEP_SECONDS,
            name=SWEEP_JOB,
            data=services,
            job_kwargs={"id": SWEEP_JOB, "replace_existing": True, "coalesce": True},
        )


async def stop_sender(application: BotApplication) -> None:
    """Sends in flight finish and are recorded; the lease is given up."""
    sender: Sender | None = application.bot_data.pop(SENDER_KEY, None)
    task = application.bot_data.pop(SENDER_TASK_KEY, None)
    disconnect = application.bot_data.pop(DISCONNECT_KEY, None)
    if disconnect is not None:
        disconnect()
    if sender is None:
        return
    await sender.stop()
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    try:
        await asyncio.to_thread(sender.release)
    except Exception:
        logger.exception("Could not release the sender lease")


def ledger_backlog(engine: Engine) -> int:
    """Digest and alert deliveries queued or being sent (for /metrics)."""
    with Session(engine) as session:
        return repo.delivery_backlog(session)
