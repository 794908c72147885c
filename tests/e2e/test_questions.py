"""Questions, buttons, charts and inline mode through the strict emulator."""

from __future__ import annotations

import pytest

from tests.support.bot import buttons, failed_calls, press
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
USER = 5151


async def replies(chat, text, quiet=1.2, **kw):
    got = await chat.reply_to(USER, text, timeout=20, quiet=quiet, **kw)
    assert got, f"no reply to {text!r}"
    return got


def text_of(messages):
    return "\n".join((m.get("text") or m.get("caption") or "") for m in messages)


def has_text(part):
    """Wait-for condition on the messages a tap changed: one of them contains `part`."""
    return lambda messages: part in text_of(messages)


async def tap(chat, message, label_part, *, until=None):
    """Press a button as USER; return the press and the bot messages it changed or sent."""
    pressed = await press(chat, USER, message, label_part, until=until)
    return pressed.sent, pressed.messages


async def no_failed_calls(chat):
    assert await failed_calls(chat) == []


async def test_did_you_mean_buttons_edit_the_message_into_the_answer(chat):
    assert "Sinuiju" in text_of(
        await replies(chat, "/price rcie sinuiju")
    )  # one clear typo: answered
    [question] = await replies(chat, "/price ric")
    assert "Which commodity did you mean" in question["text"]
    labels = [b["text"] for b in buttons(question)]
    assert "rice" in labels and all(
        len(b["callback_data"].encode()) <= 64 for b in buttons(question)
    )
    sent, after = await tap(chat, question, "rice", until=has_text("Observed"))
    edited = [m for m in after if m["message_id"] == question["message_id"]]
    assert edited and edited[0]["edited"] and "Observed" in edited[0]["text"]
    answer = await chat.callback_answer(sent["callback_query_id"])
    assert answer["answered"]
    await no_failed_calls(chat)


async def test_answer_has_conversion_and_change(chat):
    text = text_of(await replies(chat, "rice hyesan"))
    assert "KPW/kg" in text and "Source:" in text


async def test_compare_puts_markets_side_by_side(chat):
    text = text_of(await replies(chat, "/compare rice"))
    assert "markets compared" in text and "Pyongyang" in text and "Sinuiju" in text


async def test_trend_sends_a_chart_with_sources_in_the_caption(chat):
    messages = await replies(chat, "/trend rice", quiet=1.0)
    photo = next(m for m in messages if m["kind"] == "photo")
    assert "Sources:" in photo["caption"] and len(photo["caption"]) <= 1024
    png = await chat.file_bytes(photo["file_id"])
    assert png.startswith(b"\x89PNG")
    await no_failed_calls(chat)


async def test_trend_with_too_few_points_is_a_table(chat):
    text = text_of(await replies(chat, "/trend potato"))
    assert "Too few figures for a chart" in text


async def test_conditions_page_with_buttons_that_edit(chat):
    [first] = await replies(chat, "/conditions hyesan")
    assert "Trade conditions: Hyesan" in first["text"] and "Daily NK" in first["text"]
    assert "Hyesan with Ryanggang, newest first" in first["text"]
    _, after = await tap(chat, first, "▶", until=has_text("page 2"))
    page2 = next(m for m in after if m["message_id"] == first["message_id"])
    assert "Trade conditions: Hyesan · page 2" in page2["text"] and page2["text"] != first["text"]
    # Filters in the question stay on every page.
    [border] = await replies(chat, "is the border open in hyesan?")
    _, after = await tap(chat, border, "▶", until=has_text("page 2"))
    page2 = next(m for m in after if m["message_id"] == border["message_id"])
    assert "Trade conditions: Hyesan · border · page 2" in page2["text"]
    await no_failed_calls(chat)


async def test_commodity_list_buttons_answer_for_the_entry(chat):
    [listing] = await replies(chat, "/commodities")
    assert "Commodities" in listing["text"] and len(buttons(listing)) > 5
    _, after = await tap(chat, listing, "rice", until=has_text("Observed"))
    assert any("Observed" in (m.get("text") or "") for m in after)


async def test_market_list_shows_an_overview(chat):
    [listing] = await replies(chat, "/markets")
    _, after = await tap(chat, listing, "Hyesan", until=has_text("latest figures"))
    assert any("latest figures" in (m.get("text") or "") for m in after)


async def test_inline_mode_returns_one_result_per_market(chat):
    sent = await chat.inline(USER, "rice")
    record = await wait_until(
        lambda: chat.inline_answer(sent["inline_query_id"]),
        "the bot's answer to the inline query 'rice'",
        until=lambda record: record.get("answered"),
    )
    results = record["answer"]["results"]
    assert 1 < len(results) <= 50
    # One answer per market, each followed by its citation.
    answers = [r for r in results if not r["id"].endswith("-cite")]
    cites = [r for r in results if r["id"].endswith("-cite")]
    titles = [r["title"] for r in answers]
    assert len({t.split(":")[0] for t in titles}) == len(titles)
    assert [r["id"] for r in cites] == [f"{r['id']}-cite" for r in answers][: len(cites)]
    assert len(cites) >= len(answers) - 1
    cited = cites[0]["input_message_content"]["message_text"]
    assert cites[0]["title"].startswith("📋") and "@misc{jangmadang_f" in cited
    assert "?start=f_" in cited


async def test_korean_user_gets_korean_names_and_settings_switch_language(chat):
    text = text_of(await replies(chat, "혜산 쌀값", language_code="ko"))
    assert "혜산" in text and "쌀" in text
    [menu] = await replies(chat, "/settings")
    _, after = await tap(chat, menu, "English", until=has_text("Language: English"))
    assert any("Language: English" in (m.get("text") or "") for m in after)
    text = text_of(await replies(chat, "rice hyesan"))
    assert "Hyesan" in text


async def test_the_language_follows_the_telegram_app_until_one_is_chosen(chat):
    assert "혜산" in text_of(await replies(chat, "rice hyesan", language_code="ko"))
    # The user switched their Telegram app to English: the next answer follows.
    assert "Hyesan" in text_of(await replies(chat, "혜산 쌀값", language_code="en"))
    [menu] = await replies(chat, "/settings", language_code="en")
    await tap(chat, menu, "한국어", until=has_text("한국어"))
    # A language chosen in /settings wins over the app's.
    assert "혜산" in text_of(await replies(chat, "rice hyesan", language_code="en"))


async def test_bad_questions_get_helpful_answers(chat):
    assert "year 3000" in text_of(
        await replies(chat, "rice in the year 3000")
    ) or "3000" in text_of(await replies(chat, "rice in the year 3000"))
    assert "No figures" in text_of(await replies(chat, "gold hyesan"))
    await no_failed_calls(chat)
