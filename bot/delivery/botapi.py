"""Where the Bot API is and how fast the bot may call it: shared by `run` and `send`.

Also how an outage of the Bot API is reported: each failed poll once, as a WARNING naming the
retry, and the return once; and reaching the Bot API at start, retried the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import (
    BadRequest,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue
from telegram.request import HTTPXRequest

from bot.delivery.ratelimit import ChatPacedRateLimiter, retry_seconds
from config.settings import Settings

logger = logging.getLogger(__name__)
# Connections to the Bot API for answers and sends: the sender's 16 and as many for answers (at
# 30 messages/s and a tenth of a second each, a few are busy at once; bursts wait their turn).
BOT_API_CONNECTIONS = 32

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


def describe_error(exc: BaseException) -> str:
    """`Type: message` of a Bot API error, on one line (no traceback)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Backoff:
    """The waits of PTB's network retry loop (telegram.ext._utils.networkloop), to name them.

    None after a timeout, what Telegram asked plus half a second after a 429, otherwise 1 s
    growing by half at each failure up to 30 s; a success starts again from nothing.
    """

    def __init__(self) -> None:
        self.delay = 0.0
        self.failures = 0
        self.since = 0.0

    def failed(self, exc: TelegramError) -> float:
        """Count a failure; return the seconds until the next attempt."""
        if self.failures == 0:
            self.since = time.monotonic()
        self.failures += 1
        if isinstance(exc, RetryAfter):
            self.delay = retry_seconds(exc) + 0.5
        elif isinstance(exc, TimedOut):
            self.delay = 0.0
        else:
            self.delay = 1.0 if self.delay == 0 else min(30.0, 1.5 * self.delay)
        return self.delay

    def succeeded(self) -> tuple[int, float]:
        """Start again from nothing; return the failures and seconds the trouble lasted."""
        failures, lasted = self.failures, time.monotonic() - self.since if self.failures else 0.0
        self.delay, self.failures = 0.0, 0
        return failures, lasted

    def retry(self) -> str:
        """`retrying in 1.5 s (failure 2 in a row)`, for the latest failure."""
        when = f"in {self.delay:.1f} s" if self.delay else "now"
        return f"retrying {when} (failure {self.failures} in a row)"


class PollingWatch:
    """Reports the outcome of each getUpdates call once (see PollingBot).

    PTB retries a failed poll and hands the error to the error handler, which would log a
    traceback each time. Here each failure is one line: a WARNING when the Bot API is
    unreachable, slow or answers with a server error, naming the retry; an ERROR for another
    refusal (another process polling with the same token). The first poll that works again is
    one INFO line. The error handler skips the errors reported here (`reported`). A token the
    server stopped accepting is logged, `token_refused` is set and `on_token_refused` is called
    (`jangmadang run` stops the bot then).
    """

    def __init__(self) -> None:
        self.backoff = Backoff()
        self.token_refused = False
        self.on_token_refused: Callable[[], object] | None = None
        self._reported: deque[BaseException] = deque(maxlen=16)

    def reported(self, error: object) -> bool:
        """Whether this error was logged here already (the error handler gets it too)."""
        return any(error is seen for seen in self._reported)

    def failed(self, exc: TelegramError) -> None:
        self._reported.append(exc)
        if isinstance(exc, InvalidToken):
            if not self.token_refused:
                self.token_refused = True
                logger.error(
                    "The Bot API refused the token while polling (%s)", describe_error(exc)
                )
                if self.on_token_refused is not None:
                    self.on_token_refused()
            return
        self.backoff.failed(exc)
        outage = isinstance(exc, NetworkError | RetryAfter) and not isinstance(exc, BadRequest)
        level = logging.WARNING if outage else logging.ERROR
        logger.log(
            level, "Polling the Bot API failed (%s); %s", describe_error(exc), self.backoff.retry()
        )

    def succeeded(self) -> None:
        if self.backoff.failures:
            failures, lasted = self.backoff.succeeded()
            logger.info(
                "Polling the Bot API again, after %d failed attempts in %.0f s", failures, lasted
            )


class PollingBot(ExtBot[Any]):
    """The bot of `jangmadang run`: its getUpdates calls are watched (PollingWatch)."""

    __slots__ = ("_watch",)

    def __init__(self, token: str, *, watch: PollingWatch, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self._watch = watch

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            updates = await super().get_updates(*args, **kwargs)
        except TelegramError as exc:
            self._watch.failed(exc)
            if isinstance(exc, InvalidToken) and self._watch.on_token_refused is not None:
                # The bot is being stopped: end the polling loop quietly, not with a traceback
                # (PTB would raise it again from Updater.stop and leave the shutdown unfinished).
                await asyncio.sleep(1.0)
                return ()
            raise
        self._watch.succeeded()
        return updates


def polling_bot(
    settings: Settings, token: str, watch: PollingWatch, api_url: str | None = None
) -> PollingBot:
    """The bot the Application polls with: the Bot API endpoint, timeouts, rate limiter."""
    base_url, base_file_url = endpoints(settings, api_url)
    return PollingBot(
        token,
        watch=watch,
        base_url=base_url,
        base_file_url=base_file_url,
        # Connections for answers and sends, and one for getUpdates, which waits longer (a
        # long poll is held open by the server). Not hundreds: httpcore looks at every idle
        # connection of the pool before each request (a system call each), which cost a third
        # of the event loop under load; a request that finds all busy waits for one.
        request=HTTPXRequest(
            connection_pool_size=BOT_API_CONNECTIONS,
            read_timeout=settings.request_timeout,
            pool_timeout=settings.request_timeout,
        ),
        get_updates_request=HTTPXRequest(
            connection_pool_size=1, read_timeout=settings.request_timeout + 10
        ),
        rate_limiter=rate_limiter(settings),
    )


async def connect(
    initialize: Callable[[], Awaitable[object]],
    where: str,
    *,
    stop: asyncio.Event | None = None,
) -> bool:
    """Call `initialize` (it asks getMe) until the Bot API answers; return True once it has.

    While the Bot API is unreachable each failed attempt is one WARNING naming the retry.
    InvalidToken (the server refused the token) is raised at once. Return False when `stop` is
    set while waiting for the next attempt.
    """
    backoff = Backoff()
    while True:
        try:
            await initialize()
        except InvalidToken:
            raise
        except TelegramError as exc:
            delay = backoff.failed(exc)
            logger.warning(
                "Could not reach the Bot API at %s (%s); %s",
                where,
                describe_error(exc),
                backoff.retry(),
            )
            if stop is None:
                await asyncio.sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return False
            continue
        if backoff.failures:
            failures, lasted = backoff.succeeded()
            logger.info(
                "Reached the Bot API at %s, after %d failed attempts in %.0f s",
                where,
                failures,
                lasted,
            )
        return True
