"""What the logs say about errors: no user text above DEBUG, one line per failed poll of the Bot
API naming the retry PTB makes, and no traceback for an outage."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Chat, InlineQuery, Message, Update, User
from telegram.error import (
    BadRequest,
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext._utils import networkloop

from bot.delivery.botapi import Backoff, PollingWatch, connect
from bot.entrypoints.logs import DemoteRepeats
from bot.handlers.errors import APOLOGY, REPORTED_KEY, error_handler, scrub

SECRET = "my cousin in Hyesan sells lingzhi at 900"
USER_ID = 4242


class FakeBot:
    """Records what the error handler sends (the apology)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    async def send_message(self, **kwargs: Any) -> None:
        if self.fail:
            raise NetworkError("httpx.ConnectError: All connection attempts failed")
        self.sent.append(kwargs)


def message_update(text: str, bot: FakeBot) -> Update:
    user = User(USER_ID, "Kim", False)
    chat = Chat(USER_ID, Chat.PRIVATE)
    message = Message(1, datetime(2026, 11, 1, tzinfo=UTC), chat, from_user=user, text=text)
    message.set_bot(bot)  # type: ignore[arg-type]
    return Update(77, message=message)


def context(error: BaseException, bot_data: dict[str, Any] | None = None) -> Any:
    return SimpleNamespace(error=error, bot_data=bot_data or {})


def raised(exc: BaseException) -> BaseException:
    """The exception as a handler would have raised it (with a traceback)."""
    try:
        raise exc
    except BaseException as caught:
        return caught


def records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == level]


async def test_an_error_in_a_handler_is_logged_without_the_users_text(caplog):
    caplog.set_level(logging.DEBUG)
    bot = FakeBot()
    # An exception whose message quotes the user's text, as a careless service might.
    error = raised(RuntimeError(f"no figures for {SECRET!r}; database on fire"))
    await error_handler(message_update(SECRET, bot), context(error))
    errors = records(caplog, logging.ERROR)
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "update_id=77" in line and f"user={USER_ID}" in line and f"chat={USER_ID}" in line
    assert "Traceback" in line and "database on fire" in line and "[user text]" in line
    assert SECRET not in line and "Hyesan" not in line and "lingzhi" not in line
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert not any("Hyesan" in text for text in above_debug)
    # DEBUG may carry it, on a line of its own.
    assert any(SECRET in r.getMessage() for r in records(caplog, logging.DEBUG))
    assert bot.sent and bot.sent[0]["text"] == APOLOGY


async def test_an_inline_query_text_stays_out_too(caplog):
    caplog.set_level(logging.DEBUG)
    query = InlineQuery("q1", User(USER_ID, "Kim", False), "hyesan rice smuggled", "")
    update = Update(78, inline_query=query)
    await error_handler(update, context(raised(ValueError("bad 'hyesan rice smuggled'"))))
    (error,) = records(caplog, logging.ERROR)
    assert "smuggled" not in error.getMessage() and "update_id=78" in error.getMessage()


async def test_the_bot_api_unreachable_while_answering_is_one_warning(caplog):
    caplog.set_level(logging.DEBUG)
    bot = FakeBot(fail=True)
    error = raised(TimedOut("Timed out"))
    await error_handler(message_update(SECRET, bot), context(error))
    assert records(caplog, logging.ERROR) == []
    warnings = [r.getMessage() for r in records(caplog, logging.WARNING)]
    assert any("Bot API did not answer (TimedOut: Timed out)" in w for w in warnings)
    assert all("Traceback" not in w and SECRET not in w for w in warnings)
    assert all(r.exc_info is None for r in caplog.records)


async def test_a_bad_request_is_a_bug_and_logged_in_full(caplog):
    caplog.set_level(logging.INFO)
    error = raised(BadRequest("Can't parse entities: unclosed tag at byte offset 12"))
    await error_handler(message_update("/price rice", FakeBot()), context(error))
    (line,) = [r.getMessage() for r in records(caplog, logging.ERROR)]
    assert "Traceback" in line and "Can't parse entities" in line


async def test_a_failed_poll_reported_by_the_watch_is_not_logged_again(caplog):
    caplog.set_level(logging.DEBUG)
    watch = PollingWatch()
    error = NetworkError("Bad Gateway")
    watch.failed(error)
    await error_handler(None, context(error, {REPORTED_KEY: watch.reported}))
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG]
    # An error without an update that nobody reported is still an error.
    caplog.clear()
    await error_handler(None, context(raised(RuntimeError("job failed")), {}))
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_scrub_replaces_the_text_in_its_forms_but_not_inside_words():
    text = "it's 혜산 쌀값\nsecond line"
    trace = (
        'Traceback (most recent call last):\n  File "bot/handlers/errors.py", line 3\n'
        f"ValueError: {text!r} and IT'S 혜산 쌀값 and second line; hi this"
    )
    out = scrub(trace, [text, "hi"])
    assert "혜산" not in out and "second line" not in out
    assert "this" in out and "errors.py" in out  # "hi" is replaced only as a whole word


class TestPollingWatch:
    def test_each_failure_is_one_warning_naming_the_retry(self, caplog):
        caplog.set_level(logging.DEBUG, logger="bot.delivery.botapi")
        watch = PollingWatch()
        for _ in range(3):
            watch.failed(NetworkError("httpx.ConnectError: All connection attempts failed"))
        watch.failed(TimedOut("Timed out"))
        watch.failed(NetworkError("Bad Gateway"))
        watch.failed(RetryAfter(7))
        lines = [r.getMessage() for r in caplog.records]
        assert all(r.levelno == logging.WARNING and r.exc_info is None for r in caplog.records)
        assert lines == [
            "Polling the Bot API failed (NetworkError: httpx.ConnectError: All connection "
            "attempts failed); retrying in 1.0 s (failure 1 in a row)",
            "Polling the Bot API failed (NetworkError: httpx.ConnectError: All connection "
            "attempts failed); retrying in 1.5 s (failure 2 in a row)",
            "Polling the Bot API failed (NetworkError: httpx.ConnectError: All connection "
            "attempts failed); retrying in 2.2 s (failure 3 in a row)",
            "Polling the Bot API failed (TimedOut: Timed out); retrying now (failure 4 in a row)",
            "Polling the Bot API failed (NetworkError: Bad Gateway); retrying in 1.0 s "
            "(failure 5 in a row)",
            lines[-1],
        ]
        assert "retrying in 7.5 s (failure 6 in a row)" in lines[-1]
        caplog.clear()
        watch.succeeded()
        watch.succeeded()
        (back,) = caplog.records
        assert back.levelno == logging.INFO
        assert back.getMessage().startswith("Polling the Bot API again, after 6 failed attempts")

    def test_another_refusal_is_an_error_line_without_traceback(self, caplog):
        watch = PollingWatch()
        watch.failed(Conflict("terminated by other getUpdates request"))
        (record,) = caplog.records
        assert record.levelno == logging.ERROR and record.exc_info is None
        assert "Conflict: terminated by other getUpdates request" in record.getMessage()

    def test_a_refused_token_is_reported_once_and_stops(self, caplog):
        stops: list[int] = []
        watch = PollingWatch()
        watch.on_token_refused = lambda: stops.append(1)
        first, second = InvalidToken("Unauthorized"), InvalidToken("Unauthorized")
        watch.failed(first)
        watch.failed(second)
        assert watch.token_refused and stops == [1]
        assert [r.levelno for r in caplog.records] == [logging.ERROR]
        assert watch.reported(first) and watch.reported(second)
        assert not watch.reported(InvalidToken("Unauthorized"))


async def test_backoff_names_the_waits_ptb_makes(monkeypatch):
    """Guard against PTB changing its retry loop: the waits named are the waits made."""
    script: list[TelegramError] = [
        NetworkError("a"),
        NetworkError("b"),
        NetworkError("c"),
        TimedOut("d"),
        NetworkError("e"),
        RetryAfter(3),
        NetworkError("f"),
    ] + [NetworkError("g")] * 12
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(networkloop.asyncio, "sleep", fake_sleep)
    calls = iter(script)

    async def action() -> None:
        raise next(calls)

    done = iter(range(len(script)))
    await networkloop.network_retry_loop(
        action_cb=action,
        description="test",
        interval=0,
        max_retries=-1,
        repeat_on_success=True,
        is_running=lambda: next(done, None) is not None,
    )
    backoff = Backoff()
    named = [backoff.failed(exc) for exc in script]
    assert [round(s, 3) for s in slept] == [round(s, 3) for s in named if s]
    assert named[-1] == 30.0


async def test_connect_retries_until_the_bot_api_answers(caplog):
    caplog.set_level(logging.INFO, logger="bot.delivery.botapi")
    attempts: list[int] = []

    async def initialize() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise TimedOut("Timed out")  # retried at once: keeps this test fast

    assert await connect(initialize, "http://api.example")
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines[0] == (
        logging.WARNING,
        "Could not reach the Bot API at http://api.example (TimedOut: Timed out); "
        "retrying now (failure 1 in a row)",
    )
    assert [level for level, _ in lines] == [logging.WARNING, logging.WARNING, logging.INFO]
    assert "after 2 failed attempts" in lines[-1][1]


async def test_connect_gives_up_when_told_to_stop_and_raises_a_refused_token():
    stop = asyncio.Event()

    async def unreachable() -> None:
        stop.set()
        raise NetworkError("httpx.ConnectError: All connection attempts failed")

    assert await connect(unreachable, "http://api.example", stop=stop) is False

    async def refused() -> None:
        raise InvalidToken("The token `123:abc` was rejected by the server.")

    with pytest.raises(InvalidToken):
        await connect(refused, "http://api.example")


def test_ptbs_own_tracebacks_for_errors_the_bot_reports_become_debug():
    demote = DemoteRepeats()
    logger = logging.getLogger("telegram.request.BaseRequest")

    def record(name: str, level: int, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, msg, ("<html>",), None)

    bad_json = record(logger.name, logging.ERROR, 'Can not load invalid JSON data: "%s"')
    old_level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert demote.filter(bad_json) is False  # not shown unless DEBUG is on
        logger.setLevel(logging.DEBUG)
        again = record(logger.name, logging.ERROR, 'Can not load invalid JSON data: "%s"')
        assert demote.filter(again) is True and again.levelname == "DEBUG"
    finally:
        logger.setLevel(old_level)
    other = record("telegram.ext.Application", logging.ERROR, "Something else: %s")
    assert demote.filter(other) is True and other.levelno == logging.ERROR
