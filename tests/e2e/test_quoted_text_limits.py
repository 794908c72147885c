"""Replies that quote hostile user text stay within Telegram's limits, through the strict emulator.

The emulator counts lengths in UTF-16 code units after entity parsing and refuses malformed
entities, as Telegram does; every reply here must be accepted and no call may fail.
"""

from __future__ import annotations

import pytest

from bot.offline.runtime import demo_token
from emulator import EmulatorConfig
from emulator.html import parse_html
from tests.support.bot import failed_calls, press
from tests.support.settings import ADMIN_ID

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID
USER = 4545
EMOJI = "😀"  # two UTF-16 code units
HEADER = "date,market,commodity,unit,currency,price,source\n"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # These tests enter several figures in quick succession in one chat; whether the bot's pacing
    # matches Telegram's per-chat bucket to the millisecond is test_flood's subject, not theirs.
    return EmulatorConfig(token=demo_token(), chat_burst=10)


async def say(chat, user, text, quiet=1.2):
    replies = await chat.reply_to(user, text, timeout=20, quiet=quiet)
    assert replies, f"no reply to {text[:40]!r}…"
    return replies


def text_of(messages):
    return "\n".join((m.get("text") or m.get("caption") or "") for m in messages)


async def no_failed_calls(chat):
    assert await failed_calls(chat) == []


async def add_figure(chat, line):
    """Enter a figure as the owner and confirm it; return its id."""
    [preview] = await say(chat, OWNER, line)
    assert "Check and confirm" in preview["text"], preview["text"]
    saved = text_of((await press(chat, OWNER, preview, "Confirm")).messages)
    return saved.split("#")[1].split(".")[0]


async def upload_result(chat, name, csv, expect):
    sent = await chat.upload(OWNER, name, csv.encode(), "text/csv")
    messages = []
    for _ in range(10):
        messages = await chat.collect(sent["chat_id"], sent["seq"], timeout=5, quiet=1.5)
        if expect in text_of(messages):
            break
    return messages


async def test_unknown_command_of_ampersands_is_answered(chat):
    text = text_of(await say(chat, USER, "/a" + "&" * 4094))
    assert "/help" in text and "&" in text
    await no_failed_calls(chat)


async def test_unknown_command_of_emoji_is_answered(chat):
    text = text_of(await say(chat, USER, "/a" + EMOJI * 4094))
    assert "/help" in text and EMOJI in text
    await no_failed_calls(chat)


async def test_question_of_emoji_is_answered(chat):
    assert await say(chat, USER, EMOJI * 4094)
    await no_failed_calls(chat)


async def test_csv_refusal_quoting_long_hostile_cells(chat):
    # Cells of 3,500 characters where a row's problem quotes them in full (a price, a unit, a
    # currency); names are shorter, as matching a long name is slow in itself.
    hostile = ("&<b>" + EMOJI) * 700
    name = ("&<b>" + EMOJI) * 60
    rows = "".join(
        f"2026-11-01,hyesan,rice,kg,KPW,{hostile}{i},Daily NK\n"
        f"2026-11-01,hyesan,rice,{hostile},KPW,500,Daily NK\n"
        f"2026-11-01,hyesan,rice,kg,{hostile},500,Daily NK\n"
        f"2026-11-01,{name},{name},kg,KPW,500,Daily NK\n"
        for i in range(12)
    )
    messages = await upload_result(chat, "hostile&<i>.csv", HEADER + rows, "nothing was written")
    text = text_of(messages)
    assert "nothing was written" in text and "line 2" in text
    assert "&<b>" in text  # quoted as text, not as formatting
    await no_failed_calls(chat)


async def test_guided_form_answer_of_emoji(chat):
    await say(chat, OWNER, "/addprice")
    assert await say(chat, OWNER, EMOJI * 4000)  # the commodity
    await say(chat, OWNER, "lingzhi")
    await say(chat, OWNER, "hyesan")
    assert await say(chat, OWNER, EMOJI * 4000)  # the price
    assert await say(chat, OWNER, "&" * 3000)  # the price again
    await say(chat, OWNER, "500")
    assert await say(chat, OWNER, "KPW/" + EMOJI * 4000)  # the unit
    assert "Cancelled" in text_of(await say(chat, OWNER, "/cancel"))
    await no_failed_calls(chat)


async def test_edit_note_and_unit_then_audit(chat):
    ident = await add_figure(chat, '/addprice pork hyesan 15000 KPW/kg 2026-11 source:"Daily NK"')
    note = ("&" + EMOJI) * 1000  # 2,000 characters, 3,000 UTF-16 units, 6,000 once escaped
    assert "Updated" in text_of(await say(chat, OWNER, f"/edit {ident} note {note}"))
    assert await say(chat, OWNER, f"/edit {ident} unit " + ("&" + EMOJI) * 1300)
    assert await say(chat, OWNER, f"/edit {ident} unit " + EMOJI * 4000)
    audit = await say(chat, OWNER, "/audit")
    assert "update" in text_of(audit)
    for message in audit:
        assert len(message["text"].encode("utf-16-le")) // 2 <= 4096
    await no_failed_calls(chat)


async def test_audit_after_figures_with_long_urls(chat):
    # Escaped, each "&" is five characters: a cut at a fixed length falls inside "&amp;" for
    # most positions of the URL in the line, so three positions are tried.
    for price, query in ((9900, "?q="), (9901, "?qq="), (9902, "?qqq=")):
        url = f"https://example.org/{query}" + "&" * (318 - len(f"https://example.org/{query}"))
        assert len(url) == 318
        await add_figure(
            chat, f'/addprice rice hyesan {price} KPW/kg 2026-11 source:"Daily NK" url:{url}'
        )
    audit = text_of(await say(chat, OWNER, "/audit"))
    assert "create" in audit and "https://example.org/" in audit
    await no_failed_calls(chat)


async def test_alias_holding_a_place_is_refused(chat):
    text = text_of(await say(chat, OWNER, "/alias lingzhi rice hyesan"))
    assert "place name" in text and "Hyesan" in text and "Nothing was added" in text
    assert "Lingzhi" not in text_of(await say(chat, USER, "rice hyesan"))
    long_name = text_of(await say(chat, OWNER, "/alias " + "&" * 3000 + " x"))
    assert "not exactly one commodity" in long_name
    await no_failed_calls(chat)


def test_the_emulator_counts_as_telegram_does():
    # The premise of these tests: escaped text is counted after parsing, in UTF-16 units.
    assert parse_html("&amp;" * 10).utf16_length == 10
    assert parse_html(EMOJI * 10).utf16_length == 20
