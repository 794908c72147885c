"""Fuzzing the real bot through the emulator: hostile inputs, and a driver that sends them.

The strategies (hypothesis) make what a careless, curious or malicious user can send: random
unicode, HTML-hostile markup, emoji (ZWJ sequences, flags, skin tones), zero-width, control and
bidirectional characters, messages up to 5,000 characters, date-bearing fragments, the real names
of the catalogue, every command (the editors' too, and commands addressed to other bots), inline
queries, forged callback data for every kind in `bot.domain.callbacks.KINDS`, and CSV files of
fuzzed cells for both kinds of import.

`FuzzBot` runs the real Application against the offline emulator (its flood limits off, the bot's
own pace raised: FUZZ_SETTINGS) and sends inputs, a few in flight at once, each in a chat of its
own. It knows when the bot is done with an input (a last-group handler sees the update after the
bot's own handler and the error handler have run), then reads what the input caused:

* the bot messages it sent or edited in the chat (`replies`), and whether it answered the
  callback or inline query;
* every exception that reached PTB's error handling (an error handler of the driver's, after
  the bot's own, records it) and every other ERROR-or-worse log record, from any logger, while
  the input was handled (`errors`); and the apologies sent;
* every Bot API call the emulator refused meanwhile (`refused`): "can't parse entities",
  "message is too long", "BUTTON_DATA_INVALID" and the like. Two refusals are tolerated, as the
  bot handles them by design: "message is not modified" (a button for the page already shown)
  and an editor's command menu set for a chat that does not exist yet ("chat not found").

and whether the input was handled at all: one the bot has not finished after INPUT_TIMEOUT
fails as "not handled" (after MAX_STUCK of those nothing more is sent; the bot's worker threads
are daemons here, so a stuck one cannot keep the process from exiting).

Forged callbacks are queued straight into the emulator's state: its control API only presses
buttons a message really has, while Telegram delivers whatever an old message's button holds.
A command counts as addressed to another bot when Telegram's bot_command entity says so
("/cmd@name", name 3-32 word characters, not this bot's): silence is expected for it, a reply
for everything else ("/cmd@ab" is the command /cmd followed by "@ab", as PTB reads it too).

`explore` runs a seeded hypothesis property over a strategy in a worker thread, handing each
example to the bot's event loop; tests/e2e/test_fuzz.py and bench/fuzz.py both use it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import logging
import re
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.delivery.botapi import BotApplication
from bot.domain.callbacks import KINDS, MAX_CALLBACK_BYTES
from bot.handlers.errors import APOLOGY
from bot.offline.runtime import polling
from config.settings import Settings
from emulator import Emulator, EmulatorClient, EmulatorConfig, EmulatorError
from emulator.models import StoredMessage
from tests.support.settings import ADMIN_ID

# The emulated bot's username (EmulatorConfig's default), so /cmd@it is addressed to the bot.
BOT_USERNAME = EmulatorConfig().bot_username
# Telegram's limits: a message, an inline query (characters), callback data (bytes).
MAX_MESSAGE = 4096
MAX_LONG = 5000
MAX_INLINE = 256
# How long one input may take before it counts as never handled ("stuck"); after this many stuck
# inputs the driver sends no more (each one still holds a thread, and the run would only crawl).
INPUT_TIMEOUT = 15.0
MAX_STUCK = 3
STOPPED = "not sent: the bot is stuck on earlier inputs"
# A group after every handler group of the bot: it sees an update once the bot is done with it.
DONE_GROUP = 1_000_000
# Ids of users who ask once each (a fresh private chat per input: no chat's pace is hit).
FIRST_USER = 5_000_000
# Users who press forged buttons, in turn, each on a message the bot sent them.
TAPPERS = tuple(range(6_000_000, 6_000_040))
# The project's code, for naming where an exception was raised (the pacing wrapper every Bot API
# call goes through names nothing: the frame of the code that called is named instead).
PROJECT = Path(__file__).resolve().parents[2]
_CODE_DIRS = ("bot", "db", "config")
_PASS_THROUGH = (Path("bot/delivery/ratelimit.py"),)

# Settings of a fuzzed bot: editors (owners in ADMIN_IDS: the test settings' one and more, taking
# turns so that no editor's chat goes past its pace), and an overall pace well above Telegram's
# 30 calls/s (the bot's pace is send_budget + 5), so that inputs follow each other quickly.
EDITORS = (ADMIN_ID, *range(9101, 9164))
FUZZ_SETTINGS: dict[str, Any] = {"admin_ids": list(EDITORS), "send_budget": 500.0}

# --- what users type -------------------------------------------------------------------------

NAMES = (
    "rice", "corn", "lingzhi", "hyesan", "sinuiju", "pyongyang", "chongjin", "usd", "dollar",
    "yuan", "diesel", "gasoline", "pork", "혜산", "쌀", "옥수수", "평양", "灵芝", "大米", "惠山",
    "新义州", "靈芝", "Rice (white)", "north korea", "ryanggang", "lingzi", "hyesn", "RICE",
)  # fmt: skip
HOSTILE = (
    "<b>", "</b>", '<a href="x">', "</a>", "&amp;", "&#x;", "&", "&#0;", "&#xFFFFFF;", "&lt",
    "<", ">", "<<>>", "<script>alert(1)</script>", '"', "'", "`", "```", "*", "_", "~", "|",
    "[x](y)", "\\", "<i><b></i></b>", "<tg-spoiler>", '<pre><code class="x">', "<br>", "</",
    '<a href="javascript:alert(1)">x</a>', "%s", "%(x)s", "{0}", "{}", "${x}", "'; DROP TABLE x; --",
    "NULL", "None", "\\x00", "../../etc/passwd",
)  # fmt: skip
EMOJI = (
    "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏴‍☠️", "🇰🇵", "🇰🇷", "🇨🇳", "🇺🇳", "👍🏽", "❤️", "🧑‍🚀", "🫠", "🍚", "💵",
    "#️⃣", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👩🏿‍❤️‍💋‍👨🏻", "\U0001f1e6", "\ufe0f", "\u20e3",
)  # fmt: skip
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f")
CONTROL = (
    "\x00", "\x01", "\x07", "\x08", "\x1b", "\x1b[31m", "\x7f", "\r", "\t", "\n", "\x0b", "\x0c",
    "\r\n", "\x85", "\u2028", "\u2029", "\x9b", "\ufffd", "\ufffe", "\U0010ffff",
)  # fmt: skip
BIDI = (
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
    "\u2068", "\u2069", "\u061c", "مرحبا", "שלום",
)  # fmt: skip
DATES = (
    "since 9999-12", "before 0001", "9999년 12월", "公元0年", "since 2021", "2026-11", "2024-02-30",
    "0000-00-00", "2024-13", "2024-00", "31/12/9999", "since -1", "since 10000", "until 1900-01-01",
    "between 2030 and 2020", "from 2025 to 2019", "last 99999999999 months", "last 0 weeks",
    "today", "yesterday", "this week", "last year", "2024년 2월 30일", "2024年13月", "2024年",
    "작년", "올해", "지난달", "去年", "上个月", "Q5 2024", "2024-W60", "spring 2024", "1e309",
    "since 2024-11-31", "before 2026-11-29", "after 2099", "2026-11-28T09:00:00Z", "9999-99-99",
    "since since since", "before before 2024", "0001-01-01", "since 1969-12-31", "-2024",
)  # fmt: skip
NUMBERS = (
    "0", "-1", "500-1200", "1200-500", "1,200", "1.2.3", "１２３", "٣٤٥", "½", "1e999", "nan",
    "inf", "-0", "0x1F", "99999999999999999999999999", "5000 KPW/kg", "500-1200 CNY/kg",
    "8000원", "₩8000", "¥30", "$1", "1 000", "3_000", "+-5",
)  # fmt: skip
OPTIONS = (
    'source:"Daily NK"', "source:", 'source:"', "url:https://example.org/x", "url:javascript:x",
    "url:", "rel:B2", "rel:Z9", "rel:", 'grade:"good quality"', 'note:"x"', "border:open",
    "border:sideways", "direction:import", "channel:truck", "market:booming", "goods:rice",
    'goods:"rice; corn"', "enforcement:", "price", "date", "market", "unit", "reports", "all",
)  # fmt: skip
PUBLIC_COMMANDS = (
    "start", "price", "compare", "trend", "conditions", "brief", "commodities", "markets",
    "subscribe", "subscriptions", "digest", "unsubscribe", "timezone", "settings", "help",
)  # fmt: skip
EDITOR_COMMANDS = (
    "addprice", "addreport", "edit", "alias", "export", "mine", "undo", "delete", "audit",
    "cancel", "grant", "revoke", "stats",
)  # fmt: skip
UNKNOWN_COMMANDS = ("frobnicate", "PRICE", "Price", "price_", "p", "x" * 64, "start123")
ADDRESSED = ("", "", "", "", f"@{BOT_USERNAME}", f"@{BOT_USERNAME.upper()}", "@otherbot", "@ab")
SEPARATORS = (" ", " ", " ", "", "\n", "  ", "\t", ",", "\u3000", "\u00a0", ":", "/")

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{3,32}))?")


def addressed_elsewhere(text: str) -> bool:
    """Tell whether a message is a command addressed to another bot (/start@otherbot).

    Telegram marks "/cmd@name" as one bot_command entity (the emulator does too: its regex is
    this one); bots are expected to leave other bots' commands alone.
    """
    match = _COMMAND_RE.match(text)
    return bool(match and match.group(2) and match.group(2).lower() != BOT_USERNAME.lower())


def _sampled(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


def _generated_dates() -> st.SearchStrategy[str]:
    year = st.integers(-5, 99_999)
    month = st.integers(-1, 99)
    day = st.integers(-1, 99)
    return st.one_of(
        st.builds(lambda y, m: f"{y:04}-{m:02}", year, month),
        st.builds(lambda y, m, d: f"{y:04}-{m:02}-{d:02}", year, month, day),
        st.builds(lambda w, y: f"{w} {y}", _sampled(("since", "before", "after", "until")), year),
        st.builds(lambda y, m: f"{y}년 {m}월", year, month),
        st.builds(lambda y, m: f"{y}年{m}月", year, month),
        st.builds(lambda y, m, d: f"{d}/{m}/{y}", year, month, day),
        st.builds(
            lambda n, u: f"last {n} {u}",
            st.integers(-3, 10**15),
            _sampled(("days", "weeks", "months", "years")),
        ),
    )


@cache
def fragments() -> st.SearchStrategy[str]:
    """One piece of a message: a name, markup, emoji, invisible or control characters, a date,
    a number, an option of the editors' lines, or random unicode."""
    return st.one_of(
        _sampled(NAMES),
        _sampled(NAMES),
        _sampled(HOSTILE),
        _sampled(EMOJI),
        _sampled(ZERO_WIDTH),
        _sampled(CONTROL),
        _sampled(BIDI),
        _sampled(DATES),
        _generated_dates(),
        _sampled(NUMBERS),
        st.integers(-(10**20), 10**20).map(str),
        _sampled(OPTIONS),
        st.text(max_size=30),
        st.text(
            st.characters(codec="utf-8", categories=("Lo", "So", "Mn", "Cf", "Zs")), max_size=12
        ),
    )


@cache
def _joined(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[str]:
    return st.builds(
        lambda parts, sep: sep.join(parts),
        st.lists(fragments(), min_size=min_size, max_size=max_size),
        _sampled(SEPARATORS),
    )


def _long() -> st.SearchStrategy[str]:
    """Text from 3,000 to 5,000 characters (Telegram's limit is 4,096): one piece repeated."""
    return st.builds(
        lambda piece, size: ((piece or "x") * (size // max(len(piece), 1) + 1))[:size],
        _joined(1, 4),
        st.integers(3000, MAX_LONG),
    )


def _sendable(text: str) -> bool:
    # Telegram does not deliver a message with nothing but white space.
    return bool(text.strip())


def plain_messages() -> st.SearchStrategy[str]:
    """Free text, as a question: fragments joined, now and then very long."""
    return st.one_of(_joined(), _joined(), _joined(), _long()).filter(_sendable)


def commands(names: tuple[str, ...] = PUBLIC_COMMANDS + EDITOR_COMMANDS) -> st.SearchStrategy[str]:
    """A command (sometimes addressed to this bot or another one) with fuzzed arguments."""
    name = st.one_of(_sampled(names), _sampled(names), _sampled(names), _sampled(UNKNOWN_COMMANDS))
    args = st.one_of(st.just(""), _joined(0, 6), _joined(1, 10), _long())
    return st.builds(
        lambda n, at, sep, a: f"/{n}{at}{sep if a else ''}{a}",
        name,
        _sampled(ADDRESSED),
        _sampled((" ", " ", " ", "\n", "  ", "")),
        args,
    ).filter(_sendable)


def messages() -> st.SearchStrategy[str]:
    """Anything a user may send as text: a question, a command (an editor's too), a long one."""
    return st.one_of(
        plain_messages(), commands(), commands(PUBLIC_COMMANDS), commands(EDITOR_COMMANDS)
    )


# What an editor may have opened before a message: nothing, or a guided form the message answers.
FORMS = (None, None, None, "/addprice", "/addreport")


def conversations() -> st.SearchStrategy[tuple[str, str | None]]:
    """A message, and the guided form (if any) the editor opens just before sending it."""
    return st.tuples(messages(), st.sampled_from(FORMS))


def inline_queries() -> st.SearchStrategy[str]:
    """What a user types after @bot: empty, fragments, up to Telegram's 256 characters."""
    return st.one_of(st.just(""), _joined(), _long()).map(lambda q: q[:MAX_INLINE])


# --- forged buttons --------------------------------------------------------------------------

CALLBACK_WORDS = (
    "lang", "en", "ko", "xx", "al", "un", "cn", "pv", "all", "cad", "day", "hour", "tz", "zone",
    "pick", "a", "m", "g", "price", "market", "commodity", "place", "weekly", "daily", "monthly",
    "Europe/Berlin", "Asia/Seoul", "skip", "done", "back", "unit", "currency", "source", "topic",
)  # fmt: skip


def _callback_fields() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.integers(0, 60).map(str),  # ids in and around the catalogue's
        st.integers(0, 10**13).map(str),  # out of range, up to past int_at's 12 digits
        st.integers(-(10**6), -1).map(str),
        st.builds(lambda n, z: "0" * z + str(n), st.integers(0, 99), st.integers(1, 4)),
        st.builds(
            lambda y, m, d: f"{y:04}{m:02}{d:02}",
            st.integers(0, 9999),
            st.integers(0, 99),
            st.integers(0, 99),
        ),
        _sampled(CALLBACK_WORDS),
        _sampled(NUMBERS),
        st.text(st.characters(codec="ascii"), max_size=12),
        st.text(max_size=8),
        _sampled(EMOJI + ZERO_WIDTH + CONTROL),
    )


# Data no button of this bot holds: no kind, an unknown one, a known one misspelt.
UNKNOWN_KINDS = ("", "zz", "P", "p ", "ok\x00", "ＯＫ")


def forged_examples(kind: str) -> tuple[str, ...]:
    """Three forgeries of one kind that every run tries: no fields, a word where an id goes,
    and ids past any table with a date that does not exist and too many fields."""
    return (kind, f"{kind}:x", _fit(f"{kind}:9999999999999:-1:20241399" + ":1" * 12))


def _fit(data: str) -> str:
    """Cut callback data to Telegram's 64 bytes at a character boundary; never empty."""
    while len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        data = data[:-1]
    return data or ":"


def callback_data(kinds: tuple[str, ...] = tuple(KINDS)) -> st.SearchStrategy[str]:
    """Forged callback data: a known kind (or none) with random fields, wrong arity, non-digits,
    ids out of range, up to 64 bytes."""
    kind = _sampled((*kinds, *kinds, *kinds, *UNKNOWN_KINDS))
    return st.builds(
        lambda k, fields: _fit(":".join((k, *fields))),
        kind,
        st.lists(_callback_fields(), min_size=0, max_size=9),
    )


# --- CSV files -------------------------------------------------------------------------------

PRICE_HEADER = ("date", "market", "commodity", "unit", "pricetype", "currency", "price", "source", "source_url")  # fmt: skip
WFP_HEADER = ("date", "admin1", "admin2", "market", "latitude", "longitude", "category", "commodity", "unit", "priceflag", "pricetype", "currency", "price", "usdprice")  # fmt: skip
RANGE_HEADER = ("date", "market", "commodity", "unit", "currency", "price_low", "price_high", "grade", "source", "reliability", "note", "reported_date")  # fmt: skip
REPORT_HEADER = ("place", "date", "date_precision", "topics", "direction", "channel", "border_status", "market_activity", "enforcement", "commodities", "summary", "source", "source_url", "reliability")  # fmt: skip
HEADERS = (PRICE_HEADER, WFP_HEADER, RANGE_HEADER, REPORT_HEADER, ("place", "summary", "source"))

_CELL_VALUES: dict[str, tuple[str, ...]] = {
    "date": ("2026-11-01", "2026-11", "2024", "", *DATES[:12]),
    "reported_date": ("2026-11-02", "", "2099-01-01"),
    "market": ("hyesan", "sinuiju", "Hyesan", "혜산", "nowhere", ""),
    "place": ("hyesan", "sinuiju", "north-korea", "혜산", "nowhere", ""),
    "commodity": ("rice", "corn", "Rice (white)", "쌀", "灵芝", "zzquince", ""),
    "commodities": ("rice; corn", "rice", ";;", ""),
    "unit": ("kg", "KG", "jin", "斤", "USD", "", "kg/kg"),
    "currency": ("KPW", "CNY", "USD", "XYZ", "", "kpw"),
    "pricetype": ("retail", "Retail", "wholesale", "market", ""),
    "priceflag": ("actual", "aggregate", "forecast", ""),
    "price": ("8000", "500-1200", "-5", "0", "1e400", "nan", "", "8,000"),
    "price_low": ("500", "", "x"),
    "price_high": ("1200", "", "100"),
    "usdprice": ("0.94", "", "x"),
    "latitude": ("41.4", "999", ""),
    "longitude": ("128.18", "-999", ""),
    "reliability": ("B2", "Z9", "", "A1"),
    "date_precision": ("day", "month", "year", "era", ""),
    "topics": ("border", "border; smuggling", "nothing", ""),
    "border_status": ("closed", "partially-open", "sideways", ""),
    "market_activity": ("booming", "stable", "on fire", ""),
    "summary": ("Guards let traders cross again.", "", "x" * 2100),
    "source": ("Daily NK", "", "RFA"),
    "source_url": ("https://example.org/r", "javascript:alert(1)", "", "not a url"),
}


@cache
def _cell(column: str) -> st.SearchStrategy[str]:
    known = _CELL_VALUES.get(column, ("",))
    return st.one_of(
        _sampled(known),
        _sampled(known),
        _joined(1, 3),
        _sampled(("=1+1", "=cmd|'/C calc'!A0", "@SUM(1)")),
    )


@dataclass(frozen=True)
class CsvFile:
    """A CSV document an editor sends: its name and bytes."""

    name: str
    content: bytes


def _encode(rows: list[list[str]], style: str) -> bytes:
    if style == "raw":  # no quoting at all: quotes and commas inside cells break the file
        text = "\n".join(",".join(row) for row in rows) + "\n"
        return text.encode("utf-8")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if style == "crlf" else "\n").writerows(rows)
    text = buffer.getvalue()
    if style == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if style == "utf16":
        return text.encode("utf-16")
    if style == "latin1":
        return text.encode("latin-1", "replace")
    return text.encode("utf-8")


@st.composite
def csv_files(draw: st.DrawFn) -> CsvFile:
    """A small CSV of fuzzed cells, for prices (project or WFP columns) or for reports."""
    header = list(
        draw(
            st.one_of(
                st.sampled_from(HEADERS), st.lists(fragments(), min_size=1, max_size=6).map(tuple)
            )
        )
    )
    if draw(st.booleans()) and header:
        header[draw(st.integers(0, len(header) - 1))] = draw(fragments())
    rows: list[list[str]] = [header]
    for _ in range(draw(st.integers(0, 5))):
        width = len(header) + draw(st.sampled_from((0, 0, 0, 0, -1, 1, 3)))
        rows.append(
            [draw(_cell(header[i] if i < len(header) else "")) for i in range(max(width, 0))]
        )
    style = draw(
        st.sampled_from(("plain", "plain", "plain", "crlf", "bom", "raw", "utf16", "latin1"))
    )
    content = _encode(rows, style) or b"\n"
    stem = draw(
        st.one_of(
            _sampled(("prices", "reports", "x", "데이터", "価格 (1)")),
            st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12),
        )
    )
    suffix = draw(_sampled((".csv", ".csv", ".CSV", ".Csv")))
    return CsvFile(stem + suffix, content)


# --- running the bot -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one input caused, and what was wrong with it."""

    # text, command, editor-command, other-bot, long, form-answer, inline, callback, csv
    kind: str
    role: str  # user or editor
    data: Any  # the text, query or callback data sent, or the CsvFile
    expect_reply: bool = True
    replies: int = 0  # bot messages new or edited in the chat
    answered: bool | None = None  # callback and inline queries: answered at all
    errors: list[str] = field(default_factory=list)
    apologies: int = 0
    refused: list[str] = field(default_factory=list)
    timed_out: bool = False
    seconds: float = 0.0  # from sending the input to the bot being done with it
    skipped: str | None = None  # the emulator's control API would not take the input

    @property
    def causes(self) -> list[str]:
        """One line per defect this input showed (empty when it was handled well)."""
        if self.skipped:
            return []
        out = [f"unhandled error: {e}" for e in self.errors]
        out += [f"refused by the emulator: {r}" for r in self.refused]
        if self.apologies and not self.errors:
            out.append("apology sent without an ERROR log")
        if self.timed_out:
            out.append(f"not handled within {INPUT_TIMEOUT:g} s")
        elif self.answered is False:
            out.append(f"{self.kind} query never answered")
        elif self.expect_reply and self.answered is None and self.replies == 0:
            out.append("no reply")
        elif not self.expect_reply and self.replies:
            out.append("answered a command addressed to another bot")
        return out

    @property
    def ok(self) -> bool:
        return not self.causes


def text_kind(text: str) -> str:
    """Classify a text input for the counts: a command, another bot's, a long one, plain text."""
    if addressed_elsewhere(text):
        return "other-bot"
    if len(text) > MAX_MESSAGE:
        return "long"
    match = _COMMAND_RE.match(text)
    if match:
        return "editor-command" if match.group(1).lower() in EDITOR_COMMANDS else "command"
    return "text"


def summary(exc: BaseException) -> str:
    """Name an exception by its type, first line and the innermost frame of the project's code."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = ""
    for frame in reversed(frames):
        try:
            relative = Path(frame.filename).resolve().relative_to(PROJECT)
        except ValueError:
            continue
        if relative.parts and relative.parts[0] in _CODE_DIRS and relative not in _PASS_THROUGH:
            place = f" at {relative}:{frame.lineno} in {frame.name}"
            break
    if not place and frames:
        last = frames[-1]
        place = f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
    lines = str(exc).splitlines()
    message = f": {lines[0][:160]}" if lines else ""
    return f"{type(exc).__name__}{message}{place}"


def _logged(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return f"{record.name}: {summary(record.exc_info[1])}"
    lines = record.getMessage().splitlines() or [""]
    return f"{record.name}: {lines[0][:160]}" + (
        f" ... {lines[-1][:160]}" if len(lines) > 1 else ""
    )


def _handled_by_hook(record: logging.LogRecord) -> bool:
    """The bot's error handler logging an exception the driver's own error hook caught too."""
    return record.name == "bot.handlers.errors" and record.getMessage().startswith(
        "Unhandled error (update_id"
    )


class _ErrorLog(logging.Handler):
    """Keep every ERROR-or-worse record, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _capture_errors() -> Iterator[_ErrorLog]:
    handler = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _tolerated(method: str, description: str, params: dict[str, Any]) -> bool:
    if "message is not modified" in description:
        return True  # edit_reply ignores it on purpose: the page shown was tapped again
    # An editor's menu for a chat not opened yet (tests/support/bot.py failed_calls does the same).
    return method == "setMyCommands" and "chat not found" in description


@dataclass(frozen=True)
class _Mark:
    """Where the logs stood when an input was sent: calls, ERROR records, stray exceptions."""

    calls: int
    logs: int
    strays: int


class FuzzBot:
    """The bot polling an emulator, fed hostile inputs; see the module's docstring.

    Inputs may be in flight together (`explore`'s window): each one is sent in a chat no other
    input in flight uses (a fresh user, or the next of many editors in turn), so the messages of
    its chat are its replies, the calls naming its chat or query are its calls, and an
    exception PTB hands the error handlers is its own by the update's id. Only what names no
    chat, query or update (a call without a chat, an ERROR logged elsewhere) goes to every
    input in flight at the time.
    """

    def __init__(
        self,
        emulator: Emulator,
        client: EmulatorClient,
        application: BotApplication,
        editors: tuple[int, ...],
        errors: _ErrorLog,
        max_stuck: int = MAX_STUCK,
    ) -> None:
        self.emulator = emulator
        self.client = client
        self.application = application
        self.editors = editors
        self._errors = errors
        self._exceptions: defaultdict[int, list[BaseException]] = defaultdict(list)
        self._strays: list[BaseException] = []
        self._done: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._next_user = FIRST_USER
        self._turn: dict[str, int] = defaultdict(int)
        self._anchors: dict[int, int] = {}
        self.max_stuck = max_stuck
        self.stuck: list[Outcome] = []

    @property
    def stopped(self) -> bool:
        """Whether enough inputs got stuck that no more are sent."""
        return len(self.stuck) >= self.max_stuck

    def abandon(self) -> None:
        """Cancel the bot's handling of the stuck inputs, so that the bot can stop (their worker
        threads run on, as daemons)."""
        for task in asyncio.all_tasks():
            if task.get_name().endswith(":process_concurrent_update") and not task.done():
                task.cancel()

    # who sends

    def fresh_user(self) -> int:
        self._next_user += 1
        return self._next_user

    def _in_turn(self, pool: tuple[int, ...], name: str) -> int:
        self._turn[name] += 1
        return pool[self._turn[name] % len(pool)]

    def sender(self, role: str) -> int:
        """A fresh user, or the next editor in turn (editors' chats keep under their pace)."""
        return self._in_turn(self.editors, "editor") if role == "editor" else self.fresh_user()

    # what the bot did

    async def _record_error(self, update: object, context: Any) -> None:
        # Runs after the bot's error handler (which logs and apologises): every exception that
        # reached PTB's error handling is an unhandled one, however the bot logs it.
        if isinstance(update, Update):
            self._exceptions[update.update_id].append(context.error)
        else:
            self._strays.append(context.error)

    async def _mark_done(self, update: object, context: object) -> None:
        if isinstance(update, Update):
            self._done[update.update_id].set()

    def _mark(self) -> _Mark:
        return _Mark(self.emulator.state.call_seq, len(self._errors.records), len(self._strays))

    async def _finish(
        self,
        outcome: Outcome,
        update_id: int,
        mark: _Mark,
        *,
        chat_id: int | None = None,
        seq: int = 0,
        query_id: str | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._done[update_id].wait(), INPUT_TIMEOUT)
        except TimeoutError:
            outcome.timed_out = True
            self.stuck.append(outcome)
        outcome.seconds = time.perf_counter() - started
        self._done.pop(update_id, None)
        state, now = self.emulator.state, self._mark()
        if chat_id is not None:
            changed = [m for m in state.bot_messages(chat_id, seq) if not m.deleted]
            outcome.replies = len(changed)
            outcome.apologies = sum(1 for m in changed if (m.text or "").strip() == APOLOGY)
        outcome.refused = [
            f"{c.method}: {c.description}"
            for c in list(state.calls)
            if mark.calls < c.seq <= now.calls
            and not c.ok
            and not _tolerated(c.method, c.description or "", c.params)
            and _concerns(c.params, chat_id, query_id)
        ]
        outcome.errors = [summary(e) for e in self._exceptions.pop(update_id, [])]
        outcome.errors += [summary(e) for e in self._strays[mark.strays : now.strays]]
        outcome.errors += [
            _logged(r)
            for r in self._errors.records[mark.logs : now.logs]
            if not _handled_by_hook(r)
        ]
        return outcome

    # inputs

    async def message(self, text: str, *, role: str, user: int | None = None) -> Outcome:
        """Send `text` as a fresh user or an editor; expect one reply (silence for another bot)."""
        outcome = Outcome(text_kind(text), role, text, expect_reply=not addressed_elsewhere(text))
        if self.stopped:
            outcome.skipped = STOPPED
            return outcome
        sender = user if user is not None else self.sender(role)
        mark = self._mark()
        try:
            sent = await self.client.send_text(sender, text)
        except EmulatorError as exc:
            outcome.skipped = str(exc)
            return outcome
        return await self._finish(
            outcome, sent["update_id"], mark, chat_id=sent["chat_id"], seq=sent["seq"]
        )

    async def conversation(self, said: tuple[str, str | None]) -> list[Outcome]:
        """Send a message as a fresh user, then as an editor, who first opens a guided form if
        `said` names one (the message is then the form's answer, unless it is a command)."""
        text, form = said
        outcomes = [await self.message(text, role="user")]
        editor = self.sender("editor")
        if form is not None:
            outcomes.append(await self.message(form, role="editor", user=editor))
        answer = await self.message(text, role="editor", user=editor)
        if form is not None and answer.kind in ("text", "long"):
            answer.kind = "form-answer"
        return [*outcomes, answer]

    async def inline(self, query: str, *, role: str) -> Outcome:
        """Type an inline query; expect the bot to answer it (with results or none)."""
        outcome = Outcome("inline", role, query, answered=False)
        if self.stopped:
            outcome.skipped = STOPPED
            return outcome
        mark = self._mark()
        try:
            sent = await self.client.inline(self.sender(role), query)
        except EmulatorError as exc:
            outcome.skipped = str(exc)
            return outcome
        query_id = sent["inline_query_id"]
        outcome = await self._finish(outcome, sent["update_id"], mark, query_id=query_id)
        record = self.emulator.state.queries.get(query_id)
        outcome.answered = bool(record and record.answered)
        return outcome

    async def _anchor(self, user: int) -> StoredMessage:
        """A message the bot sent `user` (its reply to /settings, with buttons), to press on.

        Users take turns (`TAPPERS`, the editors), so one user never has two presses in flight.
        """
        state = self.emulator.state
        known = self._anchors.get(user)
        message = state.get_message(user, known) if known is not None else None
        if message is not None:
            return message
        await self.message("/settings", role="anchor", user=user)
        mine = [m for m in state.bot_messages(user, 0) if not m.deleted]
        if not mine:
            raise RuntimeError(f"the bot did not answer /settings from {user}")
        anchor = ([m for m in mine if m.callback_datas()] or mine)[-1]
        self._anchors[user] = anchor.message_id
        return anchor

    async def callback(self, data: str, *, role: str) -> Outcome:
        """Press a forged button (`data`) on a message the bot sent; expect an answered query."""
        outcome = Outcome("callback", role, data, answered=False)
        if self.stopped:
            outcome.skipped = STOPPED
            return outcome
        pool = self.editors if role == "editor" else TAPPERS
        anchor = await self._anchor(self._in_turn(pool, f"tap-{role}"))
        mark = self._mark()
        state = self.emulator.state
        who = state.ensure_user(anchor.chat_id)
        record = state.new_query("callback", who.id, {})
        record.payload = {
            "id": record.id,
            "from": who.to_json(),
            "message": state.message_json(anchor),
            "chat_instance": state.chat_instance(anchor.chat_id),
            "data": data,
        }
        seq = state.seq
        update_id = state.enqueue_update("callback_query", record.payload)
        outcome = await self._finish(
            outcome, update_id, mark, chat_id=anchor.chat_id, seq=seq, query_id=record.id
        )
        outcome.answered = record.answered
        return outcome

    async def csv(self, file: CsvFile) -> Outcome:
        """Send a CSV document as an editor; expect the import's reply, never an apology."""
        outcome = Outcome("csv", "editor", file)
        if self.stopped:
            outcome.skipped = STOPPED
            return outcome
        mark = self._mark()
        try:
            sent = await self.client.upload(
                self.sender("editor"), file.name, file.content, "text/csv"
            )
        except EmulatorError as exc:
            outcome.skipped = str(exc)
            return outcome
        return await self._finish(
            outcome, sent["update_id"], mark, chat_id=sent["chat_id"], seq=sent["seq"]
        )


def _concerns(params: dict[str, Any], chat_id: int | None, query_id: str | None) -> bool:
    """Whether a call is an input's: it names the input's chat or query, or names neither."""
    if "chat_id" in params:
        return chat_id is not None and str(params["chat_id"]) == str(chat_id)
    for key in ("callback_query_id", "inline_query_id"):
        if key in params:
            return query_id is not None and str(params[key]) == str(query_id)
    return True


class _DaemonThreads(ThreadPoolExecutor):
    """The event loop's executor for a fuzzed bot: each call in a daemon thread of its own.

    The bot runs its use cases in the loop's default executor (asyncio.to_thread). An input it
    never finishes would hold a pooled thread, starve the pool and keep the process from
    exiting; here it holds only its own thread, which dies with the process, and the property
    reports the input instead of hanging the suite.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=work, name="fuzzed-bot-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


@asynccontextmanager
async def fuzz_bot(
    settings: Settings,
    engine: Any,
    services: Any,
    config: EmulatorConfig,
    *,
    max_stuck: int = MAX_STUCK,
) -> AsyncIterator[FuzzBot]:
    """Start the emulator and the bot (as tests/support/bot.py running_bot does), keeping the
    emulator at hand; yield a FuzzBot; stop both on exit. Editors are settings.admin_ids."""
    asyncio.get_running_loop().set_default_executor(_DaemonThreads())
    emulator = Emulator(config)
    root = await emulator.start()
    client = EmulatorClient(root)
    application = build_application(
        settings, engine=engine, token=config.token, api_url=root, services=services
    )
    with _capture_errors() as errors:
        bot = FuzzBot(emulator, client, application, tuple(settings.admin_ids), errors, max_stuck)
        application.add_error_handler(bot._record_error)
        application.add_handler(TypeHandler(Update, bot._mark_done), group=DONE_GROUP)
        try:
            async with polling(application, poll_timeout=1):
                try:
                    yield bot
                finally:
                    if bot.stuck:
                        bot.abandon()
        finally:
            await client.aclose()
            await emulator.stop()


def unlimited_config(**overrides: Any) -> EmulatorConfig:
    """The emulator with its flood limits off: the bot still paces itself, and a 429 under that
    pace is a matter for tests/e2e/test_flood.py, not for what a message contains."""
    from bot.offline.runtime import demo_token

    values: dict[str, Any] = {
        "token": demo_token(),
        "global_rate": None,
        "chat_rate": None,
        "group_rate_per_min": None,
    }
    return EmulatorConfig(**{**values, **overrides})


def as_user_and_editor(
    send: Callable[..., Awaitable[Outcome]],
) -> Callable[[Any], Coroutine[Any, Any, list[Outcome]]]:
    """Send each value twice: as a fresh user (or one in turn), then as an editor."""

    async def both(value: Any) -> list[Outcome]:
        return [await send(value, role="user"), await send(value, role="editor")]

    return both


# Inputs in flight at once (each in a chat of its own; see FuzzBot).
WINDOW = 8


def run_examples(
    strategy: st.SearchStrategy[Any],
    send: Callable[[Any], Coroutine[Any, Any, list[Outcome]]],
    loop: asyncio.AbstractEventLoop,
    *,
    config: hypothesis.settings,
    seed_value: int,
    explicit: Iterable[Any] = (),
    window: int = WINDOW,
    fail_fast: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Run a seeded hypothesis property in this (worker) thread: each example is handed to
    `send` on `loop`, the bot's event loop, with up to `window` in flight. Return what every
    input caused, explicit examples first.

    Nothing fails inside hypothesis unless `fail_fast`: every example runs, and the caller
    judges them all (one report of every cause beats one shrunk example). With `fail_fast` each
    example is awaited and the first mishandled one raises, so that hypothesis shrinks it.
    """
    futures: list[concurrent.futures.Future[list[Outcome]]] = []
    slots = threading.Semaphore(1 if fail_fast else window)

    @hypothesis.seed(seed_value)
    @config
    @hypothesis.given(strategy)
    def prop(value: Any) -> None:
        slots.acquire()
        future = asyncio.run_coroutine_threadsafe(send(value), loop)
        future.add_done_callback(lambda _: slots.release())
        futures.append(future)
        if fail_fast:
            failed = [o for o in future.result() if not o.ok]
            if failed:
                raise AssertionError(failure_report(failed))
        if progress is not None:
            progress(len(futures))

    for value in explicit:
        prop = hypothesis.example(value)(prop)
    prop()
    return [outcome for future in futures for outcome in future.result()]


async def explore(
    strategy: st.SearchStrategy[Any],
    send: Callable[[Any], Coroutine[Any, Any, list[Outcome]]],
    **options: Any,
) -> list[Outcome]:
    """`run_examples` in a worker thread, sending on the running loop (the bot's)."""
    loop = asyncio.get_running_loop()
    return await asyncio.to_thread(run_examples, strategy, send, loop, **options)


def group_failures(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """Failing outcomes by cause, the most frequent cause first."""
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        for cause in dict.fromkeys(outcome.causes):
            grouped[cause].append(outcome)
    return dict(sorted(grouped.items(), key=lambda item: -len(item[1])))


def shown(value: Any, limit: int = 300) -> str:
    """A failing input, as repr, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def failure_report(outcomes: list[Outcome], *, examples: int = 3) -> str:
    """The failures by cause, with the first few inputs of each (repr, as role/kind)."""
    lines = []
    for cause, failed in group_failures(outcomes).items():
        lines.append(f"{len(failed)} x {cause}")
        for outcome in failed[:examples]:
            lines.append(f"    {outcome.role}/{outcome.kind}: {shown(outcome.data)}")
    return "\n".join(lines)
