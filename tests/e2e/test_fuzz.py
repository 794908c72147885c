"""Hardening, kept found: hostile inputs through the real bot and the strict emulator.

Seeded hypothesis properties (tests/support/fuzz.py has the strategies and the driver): random,
HTML-hostile, emoji, zero-width, control-character, over-long and date-bearing messages and
commands (the editors' too), as a fresh user and as an editor; inline queries; forged callback
data for every callback kind; CSV files of fuzzed cells. Each input must be handled with zero
unhandled errors (no ERROR log, no apology), zero calls refused by the emulator, and a reply:
one answer per message (silence for a command addressed to another bot), an answered callback or
inline query, the import's verdict on a file.

Every example runs; the failures are collected and reported together, grouped by cause, with the
inputs that showed them. FUZZ_EXAMPLES (150) sets the generated examples per property, FUZZ_SEED
the seed (the same examples every run by default); FUZZ_SHRINK=1 makes the first failure raise
inside hypothesis instead, so that it shrinks it to a minimal input.

A message goes to the bot as a fresh user, then as an editor, who sometimes first opens a guided
form (/addprice, /addreport), so that the message is the form's answer. One bot serves all
examples of a property: hypothesis runs in a worker thread and hands each input to the event loop
the bot and emulator run in, up to 8 at once, each in a chat of its own (fresh users, editors in
turn: the test settings' owner and 63 more in ADMIN_IDS). An input the bot has not finished after 15 s fails as "not handled";
after three of those no more are sent (the rest show as not sent).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.domain.callbacks import KINDS
from bot.rendering.replies import Reply
from tests.support.fuzz import (
    BOT_USERNAME,
    FUZZ_SETTINGS,
    STOPPED,
    UNKNOWN_KINDS,
    CsvFile,
    Outcome,
    as_user_and_editor,
    callback_data,
    conversations,
    csv_files,
    explore,
    failure_report,
    forged_examples,
    fuzz_bot,
    inline_queries,
    messages,
    unlimited_config,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SEED = int(os.environ.get("FUZZ_SEED", "20261128"))
SHRINK = os.environ.get("FUZZ_SHRINK", "") not in ("", "0")

FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if SHRINK else ())),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, **FUZZ_SETTINGS)


@pytest.fixture
async def fuzz(settings, e2e_engine, bot_services):
    async with fuzz_bot(settings, e2e_engine, bot_services, unlimited_config()) as bot:
        yield bot


async def run_property(strategy, send, explicit=()) -> list[Outcome]:
    """The seeded property over `strategy`, with up to 8 inputs in flight (1 with FUZZ_SHRINK)."""
    return await explore(
        strategy, send, config=FUZZ, seed_value=SEED, explicit=explicit, fail_fast=SHRINK
    )


def check(outcomes: list[Outcome], expected: int) -> None:
    """No input was mishandled (the report groups them by cause), and every input was sent."""
    failed = [o for o in outcomes if not o.ok]
    stopped = sum(1 for o in outcomes if o.skipped == STOPPED)
    assert not failed, (
        f"{len(failed)} of {len(outcomes)} inputs mishandled, by cause:\n{failure_report(failed)}"
        + (f"\n({stopped} inputs after those not sent: {STOPPED})" if stopped else "")
    )
    handled = [o for o in outcomes if not o.skipped]
    skipped = {o.skipped for o in outcomes if o.skipped}
    assert len(handled) >= expected, f"only {len(handled)} of {expected} inputs sent: {skipped}"


async def test_messages_and_commands(fuzz):
    explicit = [
        (text, None)
        for text in (
            "/start@otherbot",
            f"/price@{BOT_USERNAME} rice",
            '<b><a href="x">&amp;&#x; rice',
            "rice " * 1000,
            "👨‍👩‍👧‍👦🇰🇵\u200b\u202erice\x00",
            "/trend corn hyesan since 9999-12",
            "/compare rice before 0001",
            "/conditions 혜산 9999년 12월",
            "/brief 公元0年",
            '/addprice 灵芝 hyesan 500-1200 CNY/kg 9999-12 source:"<b>"',
            '/addreport hyesan 0001 border "&#x;" source:x',
            "/edit 1 price <b>",
            "/alias rice \u200b",
            "/export rice since 9999-12",
        )
    ]
    # A long answer to a guided form's first step (a commodity's name): 1,000 characters.
    explicit.append(("3091年95月" * 125, "/addprice"))
    outcomes = await run_property(conversations(), fuzz.conversation, explicit)
    check(outcomes, 2 * EXAMPLES)


async def test_inline_queries(fuzz):
    explicit = ("", "<b>灵芝 &#x;", "rice " * 60, "\x00\u202e")
    outcomes = await run_property(inline_queries(), as_user_and_editor(fuzz.inline), explicit)
    check(outcomes, 2 * EXAMPLES)


async def test_forged_callbacks(fuzz):
    # Every kind is forged in a few ways on every run, whatever the generated examples hold.
    explicit = [data for kind in (*KINDS, *UNKNOWN_KINDS) for data in forged_examples(kind)]
    outcomes = await run_property(callback_data(), as_user_and_editor(fuzz.callback), explicit)
    check(outcomes, 2 * EXAMPLES)


async def test_csv_files(fuzz):
    async def send(file: CsvFile) -> list[Outcome]:
        return [await fuzz.csv(file)]

    explicit = (
        CsvFile("prices.csv", b"date,market\n"),
        CsvFile("prices.csv", b"\xff\xfe\x00garbage"),
        CsvFile("reports.csv", b'place,summary,source\nhyesan,"<b>&#x;",x\n'),
        CsvFile("prices.csv", b'date,market,commodity,unit,currency,price\n"unclosed,x\n'),
    )
    outcomes = await run_property(csv_files(), send, explicit)
    check(outcomes, EXAMPLES)


def test_strategies_cover_every_callback_kind():
    """The forged data names every kind the bot knows (and some it does not)."""
    seen: set[str] = set()

    @hypothesis_settings(max_examples=600, derandomize=True, database=None)
    @given(callback_data())
    def draw(data):
        seen.add(data.split(":", 1)[0])

    draw()
    assert set(KINDS) <= seen


@pytest.mark.parametrize("strategy", [messages(), inline_queries(), csv_files()])
def test_strategies_make_sendable_inputs(strategy):
    @hypothesis_settings(
        max_examples=100,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data):
        value = data.draw(strategy)
        if isinstance(value, str):
            assert len(value) <= 5000
        else:
            assert value.content and value.name.lower().endswith(".csv")

    draw()


async def test_the_driver_sees_errors_refusals_and_silence(fuzz, bot_services, monkeypatch):
    """The properties cannot pass blind: an exception, a reply the emulator refuses and a
    missing answer each show up as a cause."""
    assert (await fuzz.message("rice", role="user")).ok
    assert (await fuzz.message("/start@otherbot", role="user")).replies == 0

    def explode(*_a, **_k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot_services.questions, "ask", explode)
    crashed = await fuzz.message("rice", role="user")
    assert crashed.apologies == 1
    assert any("RuntimeError: database on fire" in c for c in crashed.causes)

    monkeypatch.setattr(bot_services.questions, "ask", lambda *_a, **_k: Reply(text="<b>rice"))
    refused = await fuzz.message("rice", role="editor")
    assert any("refused by the emulator: sendMessage" in c for c in refused.causes)
    assert any("unhandled error: BadRequest" in c for c in refused.causes)

    silent = Outcome("text", "user", "rice")
    assert silent.causes == ["no reply"]


async def test_concurrent_inputs_keep_their_own_errors(fuzz, bot_services, monkeypatch):
    """With inputs in flight together, an error and a refused reply go to the input that caused
    them, not to its neighbours."""
    ask = bot_services.questions.ask

    def sometimes(text, **kw):
        if "boom" in text:
            raise RuntimeError("boom")
        if "bold" in text:
            return Reply(text="<b>unclosed")
        return ask(text, **kw)

    monkeypatch.setattr(bot_services.questions, "ask", sometimes)
    words = st.sampled_from(("rice", "corn hyesan", "boom rice", "bold rice", "lingzhi"))
    texts = st.builds(lambda w, n: f"{w} {n}", words, st.integers(1, 10**6))
    config = hypothesis_settings(max_examples=40, database=None, deadline=None)
    outcomes = await explore(
        texts, as_user_and_editor(fuzz.message), config=config, seed_value=SEED
    )
    assert len(outcomes) >= 80
    for o in outcomes:
        if "boom" in o.data:
            assert [c for c in o.causes if "RuntimeError: boom" in c], o
        elif "bold" in o.data:
            assert [c for c in o.causes if "refused by the emulator: sendMessage" in c], o
        else:
            assert o.ok, o
