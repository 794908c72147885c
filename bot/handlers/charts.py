"""Sending a chart: by the file_id it was first sent with, else its kept PNG, else drawn by a
chart worker while the chat shows "sending a photo"; one drawing and one upload per chart.

Identical requests that arrive together wait for the first: it draws and uploads, they send its
file_id. A file_id Telegram refuses is forgotten and the PNG uploaded again. A full queue or a
failed drawing gets a short apology in the asker's language, never silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.domain.i18n import N_
from bot.i18n import translator
from bot.rendering.chart_spec import TrendChart
from bot.rendering.html import esc
from bot.services.chart_cache import ChartCache
from bot.services.chart_pool import ChartBusy, ChartFailed, ChartPool

logger = logging.getLogger(__name__)

BUSY = N_("Many charts are being drawn right now. Please try again in a minute.")
FAILED = N_("Sorry, this chart could not be drawn. Please try again later.")
# Telegram shows a chat action for about five seconds; it is sent again while a chart is drawn.
ACTION_EVERY = 4.0
# file_ids remembered in memory (the chart cache in the database keeps them all).
REMEMBERED_FILE_IDS = 1024
# What Telegram says of a file_id it does not know (another bot's, or a deleted file).
_FILE_ID_REFUSALS = ("file identifier", "file_id", "file reference", "remote file", "wrong file")


@dataclass
class ChartStats:
    """What happened to the charts sent: counted for benchmarks, tests and metrics."""

    by_file_id: int = 0
    uploaded: int = 0
    drawn: int = 0
    busy: int = 0
    failed: int = 0
    refused_file_ids: int = 0


class ChartSender:
    """Sends charts for one bot: the pool draws, the cache keeps PNGs and file_ids."""

    def __init__(
        self, pool: ChartPool, cache: ChartCache, *, rate_limit_args: int | None = None
    ) -> None:
        self.pool = pool
        self.cache = cache
        # The rate limiter's lane for photos (the application puts them behind other answers).
        self._rate_limit_args = rate_limit_args
        self.stats = ChartStats()
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        # file_ids this process sent lately, so that a chart asked for again needs no database
        # read; the database stays the record (other processes, restarts).
        self._sent: OrderedDict[str, str] = OrderedDict()

    async def send(
        self,
        message: Message,
        chart: TrendChart,
        *,
        caption: str | None,
        keyboard: InlineKeyboardMarkup | None,
        lang: str,
    ) -> Message:
        """Send `chart` in reply to `message` (or an apology when it cannot be drawn now)."""
        key = chart.key
        async with self._only_one(key):
            recent = self._sent.get(key)
            if recent is not None:
                try:
                    sent = await self._photo(message, recent, caption, keyboard)
                except BadRequest as exc:
                    if not _refuses_file_id(exc):
                        raise
                    logger.warning("A sent chart's file_id was refused (%s): uploading again", exc)
                    self.stats.refused_file_ids += 1
                    self._sent.pop(key, None)
                    await asyncio.to_thread(self.cache.forget_file_id, key, recent)
                else:
                    self._sent.move_to_end(key)
                    self.stats.by_file_id += 1
                    return sent
            stored = await asyncio.to_thread(self.cache.find, key)
            if stored is not None and stored.file_id:
                try:
                    sent = await self._photo(message, stored.file_id, caption, keyboard)
                except BadRequest as exc:
                    if not _refuses_file_id(exc):
                        raise
                    logger.warning("A kept chart's file_id was refused (%s): uploading again", exc)
                    self.stats.refused_file_ids += 1
                    await asyncio.to_thread(self.cache.forget_file_id, key, stored.file_id)
                else:
                    self.stats.by_file_id += 1
                    self._remember(key, stored.file_id)
                    return sent
            if stored is not None:
                png = stored.png
            else:
                try:
                    png = await self._draw(message, chart)
                except ChartBusy:
                    self.stats.busy += 1
                    return await _apology(message, BUSY, lang)
                except ChartFailed:
                    self.stats.failed += 1
                    return await _apology(message, FAILED, lang)
                self.stats.drawn += 1
            sent = await self._photo(message, png, caption, keyboard)
            self.stats.uploaded += 1
            file_id = _file_id(sent)
            await asyncio.to_thread(self.cache.store, key, png=png, file_id=file_id)
            if file_id:
                self._remember(key, file_id)
            return sent

    def _remember(self, key: str, file_id: str) -> None:
        self._sent[key] = file_id
        self._sent.move_to_end(key)
        while len(self._sent) > REMEMBERED_FILE_IDS:
            self._sent.popitem(last=False)

    async def _photo(
        self,
        message: Message,
        photo: bytes | str,
        caption: str | None,
        keyboard: InlineKeyboardMarkup | None,
    ) -> Message:
        bot = message.get_bot()
        file = photo if isinstance(photo, str) else InputFile(photo, filename="chart.png")
        if not isinstance(bot, ExtBot):
            return await message.reply_photo(
                photo=file,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                do_quote=False,
            )
        return await bot.send_photo(
            chat_id=message.chat_id,
            photo=file,
            caption=caption or None,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
            rate_limit_args=self._rate_limit_args,
        )

    async def _draw(self, message: Message, chart: TrendChart) -> bytes:
        async with _showing_upload(message):
            return await self.pool.render(chart)

    @contextlib.asynccontextmanager
    async def _only_one(self, key: str) -> AsyncIterator[None]:
        # One sender per chart at a time; the lock goes when nobody waits for it.
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)


async def _apology(message: Message, text: str, lang: str) -> Message:
    return await message.reply_html(esc(translator(lang).gettext(text)), do_quote=False)


def _file_id(sent: Message) -> str | None:
    """The file_id of the largest size Telegram made of the photo (None from an odd server)."""
    sizes = sent.photo or ()
    if not sizes:
        return None
    largest = max(sizes, key=lambda s: (s.width or 0) * (s.height or 0))
    return largest.file_id or None


def _refuses_file_id(exc: BadRequest) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _FILE_ID_REFUSALS)


@contextlib.asynccontextmanager
async def _showing_upload(message: Message) -> AsyncIterator[None]:
    """Show "sending a photo" in the chat until the block ends (cosmetic: refusals are logged)."""

    async def keep_showing() -> None:
        while True:
            try:
                await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
            except TelegramError as exc:
                logger.info("Chat action refused in chat %s: %s", message.chat_id, exc)
                return
            await asyncio.sleep(ACTION_EVERY)

    task = asyncio.create_task(keep_showing(), name=f"upload-photo-{message.chat_id}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


__all__ = ["ChartSender", "ChartStats"]
