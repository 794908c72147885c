"""Quoting user text and splitting replies within Telegram's limits, counted as Telegram counts:
UTF-16 code units, entities well formed (checked with the emulator's parser, strict like Telegram)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import ENGLISH
from bot.domain.text import shorten
from bot.rendering.help import unknown_command_text
from bot.rendering.html import (
    MAX_CAPTION,
    MAX_TEXT,
    bound_quotes,
    esc,
    esc_short,
    shorten_quotes,
    shorten_text,
    split_message,
    utf16_len,
)
from emulator.html import parse_html

EMOJI = "😀"  # outside the Basic Multilingual Plane: two UTF-16 code units
FAMILY = "👨\u200d👩\u200d👧"  # one emoji joined from three


def accepted(part: str, limit: int = MAX_TEXT) -> str:
    """Check one part as Telegram would; return its visible text."""
    parsed = parse_html(part)  # raises on a cut tag or entity
    assert parsed.utf16_length <= limit
    assert utf16_len(part) <= limit  # the conservative measure split_message promises
    assert parsed.text.strip(), "Telegram refuses an empty message"
    return parsed.text


def visible(parts: list[str]) -> str:
    return "".join(parse_html(p).text for p in parts)


def test_utf16_len_counts_as_telegram():
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("혜산") == 2
    assert utf16_len(EMOJI) == 2
    assert utf16_len(FAMILY) == 8
    assert utf16_len(EMOJI * 10) == parse_html(EMOJI * 10).utf16_length


def test_shorten_text_counts_utf16_and_marks_the_cut():
    assert shorten_text("short", 10) == "short"
    assert shorten_text("abcdefghij", 5) == "abcd…"
    cut = shorten_text(EMOJI * 100, 11)
    assert cut == EMOJI * 5 + "…" and utf16_len(cut) == 11
    cut = shorten_text(EMOJI * 100, 10)  # an odd budget: no half emoji
    assert cut == EMOJI * 4 + "…"
    assert "\ud83d" not in cut and utf16_len(cut) <= 10
    # A cut inside a joined emoji leaves no dangling joiner.
    assert not shorten_text(FAMILY * 10, 7).removesuffix("…").endswith("\u200d")
    assert shorten_text(42, 5) == "42"


def test_shorten_is_unchanged_for_text_of_the_basic_plane():
    text = "rice " * 100
    assert shorten(text, 50) == text[:49].rstrip() + "…"


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200))
def test_shorten_text_never_exceeds_the_limit(text, limit):
    cut = shorten_text(text, limit)
    assert utf16_len(cut) <= limit
    assert cut == text or cut.endswith("…")


def test_esc_short_shortens_before_escaping():
    quoted = esc_short("&" * 300, 100)
    assert parse_html(quoted).text == "&" * 99 + "…"
    # Escaping first and cutting after would end inside "&amp;".
    with pytest.raises(ValueError):
        parse_html(esc("&" * 300)[:102])


def test_shorten_quotes_cuts_each_long_quote_and_keeps_the_rest():
    message = f"“{'x' * 500}” is not a unit I know (kg, 600 g, jin)."
    short = shorten_quotes(message, 20)
    assert short.startswith("“" + "x" * 19 + "…”") and short.endswith("(kg, 600 g, jin).")
    assert utf16_len(shorten_quotes("y" * 5000)) <= 1000


def test_bound_quotes_shortens_params_and_written_in_quotes():
    with_param = bound_quotes(NotFound("“{name}” is not here.", name=EMOJI * 1000), 10)
    assert utf16_len(with_param.to_html(ENGLISH)) < 40
    written_in = bound_quotes(InvalidInput(f"“{'&' * 3000}” is not a unit."), 50)
    text = written_in.to_html(ENGLISH)
    assert parse_html(text).text == "“" + "&" * 49 + "…” is not a unit."


def test_unknown_command_quotes_the_command_short():
    for command in ("/a" + "&" * 4094, "/a" + EMOJI * 4094):
        accepted(unknown_command_text(command, lang="en"))
        assert utf16_len(parse_html(unknown_command_text(command, lang="en")).text) < 200


@pytest.mark.parametrize(
    "text",
    [
        "I don't know " + esc("&" * 4094),
        esc(EMOJI * 4094),
        esc(("&" + EMOJI) * 3000),
        "<b>" + esc("a & b " * 2000) + "</b>",
        '<a href="https://example.org/?a=1&amp;b=2">' + "link " * 2000 + "</a> after",
        "<b>head</b>\n<i>" + "\n".join(esc("line & more " * 9) for _ in range(200)) + "</i>",
        "<pre><code>" + esc("x < y;\n" * 2000) + "</code></pre>",
        esc(FAMILY * 1000),
    ],
)
def test_split_message_parts_are_accepted_and_keep_the_text(text):
    parts = split_message(text)
    assert len(parts) > 1
    for part in parts:
        accepted(part)
    # Nothing is lost but the whitespace at a cut.
    assert "".join(visible(parts).split()) == "".join(parse_html(text).text.split())


def test_split_message_closes_and_reopens_open_tags():
    text = '<b>bold <a href="https://x.org/?a&amp;b">' + "word " * 1500 + "</a></b> tail"
    parts = split_message(text)
    assert len(parts) == 2
    assert parts[0].endswith("</a></b>")
    assert parts[1].startswith('<b><a href="https://x.org/?a&amp;b">')
    for part in parts:
        entities = parse_html(part).entities
        assert {e["type"] for e in entities} == {"bold", "text_link"}


def test_split_message_prefers_blank_lines_then_line_ends_then_spaces():
    blocks = ["\n".join(["word " * 15] * 30) for _ in range(3)]
    parts = split_message("\n\n".join(blocks))
    assert parts == blocks  # two blocks exceed the limit; one fits
    lines = split_message("\n".join(["x" * 100] * 60))
    assert all(set(p) <= {"x", "\n"} and not p.startswith("\n") for p in lines)
    assert [len(p) for p in lines] == [4039, 2019]  # 40 lines, then 20
    words = split_message(" ".join(["word"] * 1000))
    assert len(words) == 2 and all(p.startswith("word") and p.endswith("word") for p in words)


def test_split_message_never_splits_a_joined_emoji():
    parts = split_message(FAMILY * 1000)
    assert all(p.startswith("👨") and p.endswith("👧") for p in parts)


def test_split_message_for_captions():
    caption = "<b>Lingzhi</b> " + esc("& " * 600)
    parts = split_message(caption, MAX_CAPTION)
    for part in parts:
        accepted(part, MAX_CAPTION)


def test_a_tag_too_long_to_reopen_loses_its_formatting_not_its_text():
    text = f'<a href="https://example.org/{"x" * 5000}">' + "word " * 100 + "</a>"
    parts = split_message(text, 1000)
    for part in parts:
        accepted(part, 1000)
    assert "".join(visible(parts).split()) == "word" * 100


def test_short_text_is_returned_as_it_is():
    assert split_message("<b>x</b>") == ["<b>x</b>"]
    assert split_message("") == [""]


_PIECES = st.sampled_from(
    ["a", "b", " ", "\n", "\n\n", "&", "<", ">", EMOJI, "혜", FAMILY, "\u0301", "'", '"']
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "b", "i", "code"]), st.lists(_PIECES, max_size=40)),
        max_size=40,
    ),
    st.integers(min_value=16, max_value=300),
)
def test_any_escaped_and_formatted_text_splits_into_accepted_parts(runs, limit):
    text = "".join(
        f"<{tag}>{esc(''.join(pieces))}</{tag}>" if tag else esc("".join(pieces))
        for tag, pieces in runs
    )
    if not parse_html(text).text.strip():
        return
    parts = split_message(text, limit)
    for part in parts:
        assert utf16_len(part) <= limit
        parse_html(part)
    assert "".join(visible(parts).split()) == "".join(parse_html(text).text.split())


def test_html_escape_is_what_esc_does():
    assert esc("<&>\"'") == html.escape("<&>\"'", quote=False)
