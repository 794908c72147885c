"""Feeds inside the polling bot: due feeds checked from the JobQueue (an explicit job id,
coalesced, one run at a time; each feed claimed in the database, so several processes never
check one feed twice), and the inbox's daily message to editors who asked for it (each day
claimed per editor in the database, so it is sent once whichever process sends it)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.delivery.botapi import BotApplication
from bot.delivery.metrics import METRICS
from bot.rendering.html import esc
from bot.rendering.inbox import check_line, daily_reply
from bot.services.feeds import CheckResult

logger = logging.getLogger(__name__)
FEED_JOB = "feed-tick"
NOW_JOB = "feed-now"
DISCONNECT_KEY = "feeds_disconnect"
# The daily message goes out from this hour (UTC) on, once a day per editor.
DAILY_HOUR_UTC = 0
CONTAINER_KEY = "feed_services"


async def feed_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check the due feeds (in a worker thread), then send the daily inbox messages due."""
    services: Container | None = context.application.bot_data.get(CONTAINER_KEY)
    if services is None:
        return
    feeds = services.feeds
    results: list[CheckResult] = []
    try:
        if services.settings.check_feeds:
            results = await asyncio.to_thread(feeds.run_due)
        else:  # this process checks only what its editors ask for now
            for feed_id in feeds.asked():
                one = await asyncio.to_thread(feeds.check, feed_id)
                results += [one] if one is not None else []
    except Exception:
        logger.exception("Checking the due feeds failed; the next tick retries")
    try:
        # Entries another process made (a feed run in a shell, /link on another bot).
        if await asyncio.to_thread(services.catalogue.reload_if_changed):
            logger.info("The catalogue changed in another process; reloaded")
    except Exception:
        logger.exception("Could not check the catalogue for changes")
    for result in results:
        METRICS.feed_checks.labels(result.status).inc()
        if result.status == "error":
            logger.warning("Feed %s: %s", result.feed_id, result.error)
        asker = services.feeds.asked_by(result.feed_id)
        if asker is not None:
            await _tell(context.bot, asker, result)
    try:
        await send_daily(context.bot, services)
    except Exception:
        logger.exception("The inbox's daily messages failed; the next tick retries")


async def _tell(bot: Bot, chat_id: int, result: CheckResult) -> None:
    """The result of a check an editor asked for with Run now."""
    line = check_line(result.feed_id, result.name, result.status, result.result, result.error)
    try:
        await bot.send_message(chat_id, esc(line), parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        logger.warning(
            "Could not tell chat %s the result of feed %s: %s", chat_id, result.feed_id, exc
        )


async def send_daily(bot: Bot, services: Container) -> int:
    """Send today's inbox message to each editor who asked for it and has new items."""
    now = services.clock()
    if now.hour < DAILY_HOUR_UTC:
        return 0
    inbox = services.inbox
    editors = frozenset(await asyncio.to_thread(services.admin.all_admin_ids))
    due = await asyncio.to_thread(inbox.daily_due, editors=editors)
    sent = 0
    for user_id, lang in due:
        del lang  # editors' tools speak English
        last = await asyncio.to_thread(inbox.claim_daily, user_id, today=now.date())
        if last is None:
            continue  # another process has it
        since = now.replace(
            year=last.year, month=last.month, day=last.day, hour=0, minute=0, second=0,
            microsecond=0,
        )  # fmt: skip
        entries = await asyncio.to_thread(inbox.pending, limit=10, since=since)
        if not entries:
            continue
        reply = daily_reply(entries, total=len(entries))
        try:
            await bot.send_message(
                user_id,
                reply.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except Forbidden:
            logger.info("Editor %s blocked the bot; no daily inbox message", user_id)
            await asyncio.to_thread(inbox.set_daily, user_id=user_id, on=False)
        except TelegramError as exc:
            logger.warning("Daily inbox message to %s failed: %s", user_id, exc)
        else:
            sent += 1
    return sent


def stop_feeds(application: BotApplication) -> None:
    """Stop listening for Run now (the JobQueue stops with the application)."""
    disconnect = application.bot_data.pop(DISCONNECT_KEY, None)
    if disconnect is not None:
        disconnect()


def start_feeds(application: BotApplication, services: Container) -> None:
    """Every FEED_TICK_SECONDS (the first soon after start): check the due feeds (unless
    CHECK_FEEDS is off), reload the catalogue if another process changed it, send the inbox's
    daily messages."""
    settings = services.settings
    if application.job_queue is None:
        return
    application.bot_data[CONTAINER_KEY] = services
    job_queue = application.job_queue
    loop = asyncio.get_running_loop()

    def now() -> None:
        # Raised from a worker thread (Run now): one tick at once, on the event loop.
        loop.call_soon_threadsafe(lambda: job_queue.run_once(feed_tick, 0, name=NOW_JOB))

    application.bot_data[DISCONNECT_KEY] = services.feeds.wanted.connect(now)
    job_queue.run_repeating(
        feed_tick,
        interval=settings.feed_tick_seconds,
        first=min(settings.feed_tick_seconds, 10.0),
        name=FEED_JOB,
        job_kwargs={
            "id": FEED_JOB,
            "replace_existing": True,
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": 3600,
        },
    )
