"""The bot answers through a strict Bot API emulator exactly as a Telegram user would see it."""

from __future__ import annotations

import pytest

from bot.handlers.errors import APOLOGY
from tests.support.bot import failed_calls

pytestmark = pytest.mark.e2e
USER = 4242


async def ask(chat, text, **kw):
    # Long answers go out in paced parts (about one a second per chat): wait for all of them.
    replies = await chat.reply_to(USER, text, timeout=15, quiet=1.2, **kw)
    assert replies, f"no reply to {text!r}"
    return "\n".join(m.get("text") or "" for m in replies)


async def no_failed_calls(chat):
    assert await failed_calls(chat) == []


async def test_start_and_help(chat):
    assert "/price lingzhi" in await ask(chat, "/start")
    help_text = await ask(chat, "/help")
    assert "/price" in help_text and "reliability" in help_text
    await no_failed_calls(chat)


async def test_price_of_lingzhi_comes_with_range_source_and_date(chat):
    text = await ask(chat, "/price lingzhi")
    assert "500-1,200 CNY/kg" in text and "Hyesan" in text
    assert "Daily NK" in text and "date not stated" in text and "200-300 CNY/kg" in text
    await no_failed_calls(chat)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("혜산 쌀값", "Hyesan"),
        ("灵芝价格", "500-1,200 CNY/kg"),
        ("lingzi hyesan", "500-1,200"),
        ("usd pyongyang", "KPW per USD"),
    ],
)
async def test_free_text_questions(chat, question, expected):
    assert expected in await ask(chat, question)


async def test_bad_input_gets_helpful_replies(chat):
    assert "Tell me what to look up" in await ask(chat, "/price")
    assert "xylophone" in await ask(chat, "/price xylophone")
    assert "/help" in await ask(chat, "/frobnicate")
    assert await ask(
        chat, "<b>rice</b> & <script>"
    )  # escaped, so the strict emulator accepts the reply
    assert await ask(chat, "😀" * 50)
    assert "long message" in await ask(chat, "rice " * 800)
    assert await ask(chat, "'; DROP TABLE priceobservation; --")
    assert "500-1,200" in await ask(chat, "/price lingzhi")  # the table is still there
    await no_failed_calls(chat)


async def test_long_answers_are_split_under_the_limit(chat):
    replies = await chat.reply_to(USER, "/price rice", timeout=15, quiet=1.5)
    assert replies and all(len(m["text"]) <= 4096 for m in replies)
    await no_failed_calls(chat)


async def test_command_menu_is_set_on_start(chat):
    commands = await chat.commands()
    names = (
        {c["command"] for scope in commands for c in scope["commands"]}
        if isinstance(commands, list)
        else {c["command"] for cmds in commands.values() for c in cmds}
    )
    assert {"price", "help", "compare", "trend", "conditions"} <= names


async def test_unexpected_errors_are_logged_and_apologised_for(
    chat, bot_services, monkeypatch, caplog
):
    def explode(*_a, **_k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot_services.questions, "ask", explode)
    text = await ask(chat, "/price rice")
    assert APOLOGY in text
    assert "database on fire" in caplog.text and "update_id=" in caplog.text


class TestServerWithoutCommandMenu:
    """A Bot API-compatible server that refuses setMyCommands: logged, never fatal."""

    @pytest.fixture
    def emulator_config(self):
        from bot.offline.runtime import demo_token
        from emulator import EmulatorConfig

        return EmulatorConfig(token=demo_token(), refuse_methods=("setMyCommands",))

    async def test_bot_still_answers(self, chat, caplog):
        assert "500-1,200" in await ask(chat, "/price lingzhi")
        refused = [c for c in await chat.calls() if c["method"] == "setMyCommands"]
        assert refused and not refused[0]["ok"]
        # post_init ran while the fixture started the bot.
        logged = [r.getMessage() for r in caplog.get_records("setup")]
        assert any("Could not set the command menu" in m for m in logged)
