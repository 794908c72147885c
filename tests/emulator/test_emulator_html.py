"""Telegram HTML parsing: accepted markup, entities, offsets and error wording."""

from __future__ import annotations

import pytest

from emulator.html import EntityParseError, parse_html, utf16_length


@pytest.mark.parametrize(
    ("text", "plain", "types"),
    [
        ("<b>a</b><strong>b</strong>", "ab", ["bold", "bold"]),
        (
            "<i>a</i><em>b</em><u>c</u><ins>d</ins>",
            "abcd",
            ["italic", "italic", "underline", "underline"],
        ),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", ["strikethrough"] * 3),
        ('<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>', "ab", ["spoiler"] * 2),
        ("<code>x</code>", "x", ["code"]),
        ("<blockquote>q</blockquote>", "q", ["blockquote"]),
        ("<blockquote expandable>q</blockquote>", "q", ["expandable_blockquote"]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
        ("&lt;&gt;&amp;&quot;&#65;&#x42;", '<>&"AB', []),
        ("a > b", "a > b", []),
    ],
)
def test_valid_markup(text: str, plain: str, types: list[str]) -> None:
    parsed = parse_html(text)
    assert parsed.text == plain
    assert [e["type"] for e in parsed.entities] == types


def test_link_and_pre_with_language() -> None:
    parsed = parse_html(
        '<a href="https://example.com/?a=1&amp;b=2">go</a> '
        '<pre><code class="language-python">x = 1</code></pre>'
    )
    assert parsed.text == "go x = 1"
    assert parsed.entities == [
        {"offset": 0, "length": 2, "type": "text_link", "url": "https://example.com/?a=1&b=2"},
        {"offset": 3, "length": 5, "type": "pre", "language": "python"},
    ]


def test_language_only_on_pre() -> None:
    parsed = parse_html('<code class="language-go">x</code>')
    assert parsed.entities == [{"offset": 0, "length": 1, "type": "code"}]


def test_offsets_and_length_are_utf16() -> None:
    parsed = parse_html("😀 <b>가나</b>")
    assert parsed.utf16_length == 5 == utf16_length("😀 가나")
    assert parsed.entities == [{"offset": 3, "length": 2, "type": "bold"}]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("hi <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 3'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("AT&T", "Can't find end of the entity starting at byte offset 2"),
        ("&nbsp;", "Can't find end of the entity starting at byte offset 0"),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("tail <", "Unclosed start tag at byte offset 5"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=http://x>y</a>", "Unexpected end of name token at byte offset 8"),
        ("가 <zz>", 'Unsupported start tag "zz" at byte offset 4'),
    ],
)
def test_errors_match_telegram_wording(text: str, detail: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(text)
    assert caught.value.detail == detail


def test_bare_ampersand_tolerated_when_not_strict() -> None:
    assert parse_html("AT&T", strict_entities=False).text == "AT&T"
