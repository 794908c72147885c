"""The application factory: one place where the bot is assembled."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import Engine
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.delivery.ratelimit import ChatPacedRateLimiter
from bot.delivery.sender import Sender
from bot.handlers import admin, basic, prices, subscriptions, taps
from bot.handlers.common import SERVICES_KEY
from bot.handlers.errors import error_handler
from bot.i18n import translator
from bot.services.core import PUBLIC_COMMANDS, Services
from config.settings import SUPPORTED_LANGUAGES, Settings

logger = logging.getLogger(__name__)
SENDER_KEY = "sender"
TICK_JOB = "digest-tick"


async def digest_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue due digests (the JobQueue runs this every few seconds)."""
    sender: Sender | None = context.application.bot_data.get(SENDER_KEY)
    if sender is None:
        return
    try:
        await sender.tick()
    except Exception:
        logger.exception("Digest tick failed; the next tick retries")


def start_sender(application: Application) -> Sender | None:
    """Start the digest sender and its scheduler tick (explicit job id, coalesced, long grace)."""
    services: Services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    if not settings.send_digests:
        return None
    sender = Sender(
        application.bot,
        services.engine,
        settings,
        catalogue=lambda: services.catalogue,
        now=services.now,
    )
    application.bot_data[SENDER_KEY] = sender
    loop = asyncio.get_running_loop()
    services.on_queued = lambda: loop.call_soon_threadsafe(sender.wake)
    application.bot_data["sender_task"] = asyncio.create_task(sender.run(), name="digest-sender")
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


async def post_init(application: Application) -> None:
    """Learn the bot's username and set the command menu per language; refusals are only logged."""
    services: Services = application.bot_data[SERVICES_KEY]
    try:
        me = await application.bot.get_me()
        services.bot_username = me.username or services.bot_username
    except TelegramError as exc:
        logger.warning("getMe failed: %s", exc)
    for lang in SUPPORTED_LANGUAGES:
        _ = translator(lang).gettext
        commands = [BotCommand(name, _(description)) for name, description in PUBLIC_COMMANDS]
        try:
            await application.bot.set_my_commands(
                commands,
                scope=BotCommandScopeDefault(),
                language_code=None if lang == "en" else lang,
            )
        except TelegramError as exc:
            logger.warning("Could not set the command menu (%s): %s", lang, exc)
    # Admins see their commands in their own chat; the handlers still check every id.
    for admin_id in services.admin.all_admin_ids():
        await admin.set_admin_menu(application.bot, services, admin_id, show=True)
    start_sender(application)


async def post_stop(application: Application) -> None:
    """Stop the sender: sends in flight finish and are recorded; the lease is given up."""
    sender: Sender | None = application.bot_data.pop(SENDER_KEY, None)
    task = application.bot_data.pop("sender_task", None)
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
        # Telegram's 30/s, or more for a bot allowed a higher broadcast budget.
        .rate_limiter(ChatPacedRateLimiter(overall_max_rate=max(30.0, settings.send_budget + 5)))
        .read_timeout(settings.request_timeout)
        .get_updates_read_timeout(settings.request_timeout + 10)
        .concurrent_updates(8)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    svc = services or Services(settings=settings, engine=engine)
    application.bot_data[SERVICES_KEY] = svc

    # Greeting, help and settings.
    application.add_handler(CommandHandler("start", basic.start))
    application.add_handler(CommandHandler("help", basic.help_command))
    application.add_handler(CommandHandler("settings", basic.settings_command))
    # Subscriptions: in private chats, groups (admins) and channels (posts by the channel).
    chats = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    for name, callback in (
        ("subscribe", subscriptions.subscribe_command),
        ("unsubscribe", subscriptions.unsubscribe_command),
        ("subscriptions", subscriptions.subscriptions_command),
        ("digest", subscriptions.digest_command),
        ("timezone", subscriptions.timezone_command),
        ("stats", subscriptions.stats_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=chats))
    application.add_handler(
        ChatMemberHandler(subscriptions.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subscriptions.on_migrate))
    # Editors: each handler checks the numeric id and the private chat itself.
    for name, callback in (
        ("addprice", admin.addprice),
        ("addreport", admin.addreport),
        ("cancel", admin.cancel),
        ("mine", admin.mine),
        ("undo", admin.undo),
        ("delete", admin.delete),
        ("edit", admin.edit),
        ("alias", admin.alias),
        ("audit", admin.audit),
        ("export", admin.export),
        ("grant", admin.grant),
        ("revoke", admin.revoke),
    ):
        application.add_handler(CommandHandler(name, callback))
    # Answers to an open guided form come before questions; CSV files are imports.
    application.add_handler(
        MessageHandler(
            filters.TEXT
            & ~filters.COMMAND
            & filters.ChatType.PRIVATE
            & admin.HasOpenForm(lambda: svc),
            admin.form_text,
        )
    )
    application.add_handler(MessageHandler(filters.Document.ALL, admin.upload))
    # Questions: commands, then plain text in private chats.
    application.add_handler(CommandHandler("price", prices.price_command))
    application.add_handler(CommandHandler("compare", prices.compare_command))
    application.add_handler(CommandHandler("trend", prices.trend_command))
    application.add_handler(CommandHandler("conditions", prices.conditions_command))
    application.add_handler(CommandHandler("commodities", prices.commodities_command))
    application.add_handler(CommandHandler("markets", prices.markets_command))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, prices.price_text
        )
    )
    # Button taps and inline mode.
    application.add_handler(
        CallbackQueryHandler(subscriptions.on_schedule_callback, pattern=r"^(sub|sch):")
    )
    application.add_handler(CallbackQueryHandler(taps.on_callback))
    application.add_handler(InlineQueryHandler(taps.on_inline_query))
    # Anything else that looks like a command.
    application.add_handler(MessageHandler(filters.COMMAND, basic.unknown_command))
    # Errors last.
    application.add_error_handler(error_handler)
    return application


ALLOWED_UPDATES = Update.ALL_TYPES
