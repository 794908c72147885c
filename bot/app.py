"""The application factory: one place where the bot is assembled from the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.bootstrap import Container, bootstrap
from bot.delivery import botapi
from bot.delivery.botapi import BotApplication, PollingWatch
from bot.delivery.feed_jobs import start_feeds, stop_feeds
from bot.delivery.jobs import ledger_backlog, start_sender, start_sweeps, stop_sender
from bot.delivery.metrics import METRICS
from bot.delivery.observe import count_error, traced
from bot.delivery.ratelimit import BULKY
from bot.delivery.updates import ChatOrderedProcessor
from bot.delivery.webhook import Health, Listener
from bot.handlers import articles, basic, editors, questions, subscriptions, taps
from bot.handlers.charts import ChartSender
from bot.handlers.commands import COMMANDS
from bot.handlers.common import CHARTS_KEY, CONTAINER_KEY
from bot.handlers.errors import REPORTED_KEY, error_handler
from bot.handlers.menus import MENUS_KEY, Menus
from bot.handlers.steps import STEPS_KEY, OpenSteps, prefetch
from config.settings import SUPPORTED_LANGUAGES, Settings

logger = logging.getLogger(__name__)
ALLOWED_UPDATES = Update.ALL_TYPES
POLLING_KEY = "polling_watch"
CHART_START_KEY = "chart_workers_starting"
WARM_CHARTS_KEY = "warm_charts"
LISTENER_KEY = "monitoring_listener"


async def post_init(application: BotApplication) -> None:
    """Set the command menus (refusals are only logged), tell editors about work a restart
    interrupted, then start the digest sender."""
    services = application.bot_data[CONTAINER_KEY]
    bot_menus: Menus = application.bot_data[MENUS_KEY]
    await bot_menus.set_default(application.bot)
    # Editors see their commands in their own chat; the handlers still check every id.
    for editor_id in services.admin.all_admin_ids():
        await bot_menus.set_editor(
            application.bot, editor_id, show=True, owner=services.admin.is_owner(editor_id)
        )
    # Forms, entries and imports a previous process left unfinished: their owners hear once.
    await editors.announce_interrupted(application.bot, services)
    start_sender(application, services)
    start_feeds(application, services)
    start_sweeps(application, services)
    watch_backlogs(services)
    settings: Settings = services.settings
    if settings.metrics_listen and not settings.webhook:
        # Polling mode: /healthz, /readyz and /metrics on their own listener.
        listener = Listener(
            listen=settings.metrics_listen,
            health=Health(engine=services.engine, ping_bot_api=application.bot.get_me),
        )
        await listener.start()
        application.bot_data[LISTENER_KEY] = listener
    # A long-running bot starts its chart workers in the background, so that the first chart
    # need not wait for them; a one-question session starts them only if it draws.
    if application.bot_data.get(WARM_CHARTS_KEY):
        application.bot_data[CHART_START_KEY] = asyncio.create_task(
            _start_charts(services), name="chart-workers"
        )


def watch_backlogs(services: Container) -> None:
    """Expose the backlogs this process can see on /metrics."""
    METRICS.watch(
        "jangmadang_ledger_backlog",
        "Digest and alert deliveries queued or being sent.",
        lambda: ledger_backlog(services.engine),
    )
    METRICS.watch(
        "jangmadang_chart_queue",
        "Charts waiting for a drawing worker.",
        lambda: services.chart_pool.waiting,
    )


async def _start_charts(services: Container) -> None:
    try:
        await services.chart_pool.start()
    except Exception:  # charts fail one by one later, with an apology each
        logger.exception("Chart workers did not start; charts will be retried when asked for")


async def post_stop(application: BotApplication) -> None:
    """Stop the sender before the bot stops."""
    stop_feeds(application)
    await stop_sender(application)


async def post_shutdown(application: BotApplication) -> None:
    """Release the database connections."""
    services: Container | None = application.bot_data.get(CONTAINER_KEY)
    listener: Listener | None = application.bot_data.pop(LISTENER_KEY, None)
    if listener is not None:
        await listener.stop()
    starting: asyncio.Task[None] | None = application.bot_data.pop(CHART_START_KEY, None)
    if starting is not None:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    if services is not None:
        await services.chart_pool.close()
        services.engine.dispose()


def build_application(
    settings: Settings,
    *,
    engine: Engine,
    token: str | None = None,
    api_url: str | None = None,
    services: Container | None = None,
    warm_charts: bool = False,
) -> BotApplication:
    """Assemble the bot: Bot API endpoint, rate limiter, services, handlers in order.

    `warm_charts` starts the chart workers at start rather than at the first chart (`run`)."""
    # getUpdates is watched: an outage of the Bot API is reported once per failed poll.
    polling = PollingWatch()
    bot: ExtBot[Any] = botapi.polling_bot(settings, token or settings.token(), polling, api_url)
    application = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    built = services or bootstrap(settings, engine)
    application.bot_data[CONTAINER_KEY] = built
    application.bot_data[POLLING_KEY] = polling
    application.bot_data[WARM_CHARTS_KEY] = warm_charts
    # Charts wait behind other answers for the overall sending budget.
    application.bot_data[CHARTS_KEY] = ChartSender(
        built.chart_pool, built.chart_cache, rate_limit_args=BULKY
    )
    application.bot_data[REPORTED_KEY] = polling.reported
    application.bot_data[MENUS_KEY] = Menus(
        (command.menu_entry() for command in COMMANDS), languages=SUPPORTED_LANGUAGES
    )

    # Commands, from the one table; subscription commands also arrive as channel posts.
    chats = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    for command in COMMANDS:
        application.add_handler(
            CommandHandler(
                command.name,
                command.handler,
                filters=chats if command.in_channels else None,
            )
        )
    # Telegram reporting the bot blocked, removed or added back; groups becoming supergroups.
    application.add_handler(
        ChatMemberHandler(subscriptions.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subscriptions.on_migrate))
    # Answers to an open guided form come before questions; CSV files are imports.
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    # What a private text may continue (a form, an article's parts) is read first, in a
    # thread: the filters below cannot wait for the database.
    steps = OpenSteps()
    application.bot_data[STEPS_KEY] = steps
    application.add_handler(TypeHandler(Update, prefetch), group=-1)
    application.add_handler(
        MessageHandler(private_text & editors.HasOpenForm(built, steps), editors.form_text)
    )
    application.add_handler(MessageHandler(filters.Document.ALL, editors.upload))
    # An editor's forwarded or long text (or the next part of one) is an article to review; the
    # handler answers anyone else's as a question.
    application.add_handler(
        MessageHandler(
            private_text & articles.LooksLikeArticle(built, steps), articles.article_text
        )
    )
    # A photo (or video) whose caption is an article: forwarded channel posts often are.
    captioned = (filters.PHOTO | filters.VIDEO) & filters.CAPTION & filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(captioned & articles.LooksLikeArticle(built, steps), articles.article_text)
    )
    # Plain text in private chats is a question.
    application.add_handler(MessageHandler(private_text, questions.price_text))
    # Button taps (one table) and inline mode.
    application.add_handler(CallbackQueryHandler(taps.on_callback))
    application.add_handler(InlineQueryHandler(questions.on_inline_query))
    # Anything else that looks like a command.
    application.add_handler(MessageHandler(filters.COMMAND, basic.unknown_command))
    # Errors last: counted and marked on the update's log line, then logged and apologised for.
    application.add_error_handler(count_error)
    application.add_error_handler(error_handler)
    # Each handler names itself on its update's log line.
    for group, handlers in application.handlers.items():
        if group < 0:  # the prefetch of open steps handles nothing
            continue
        for handler in handlers:
            handler.callback = traced(handler.callback)
    return application


def polling_watch(application: BotApplication) -> PollingWatch:
    """What watches the getUpdates calls of an application the factory built."""
    polling: PollingWatch = application.bot_data[POLLING_KEY]
    return polling
