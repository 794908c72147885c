"""Parse Telegram's HTML parse_mode the way the Bot API server does.

The tag grammar, error wording and byte offsets follow Telegram's own parser.
Telegram itself lets a stray `&` through as a literal; its documentation says
every `&` must be escaped, and `strict_entities` (the default) enforces that,
because unescaped user input in a reply is exactly the bug this should catch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SPACES = frozenset(b" \t\r\n\x0b\x00")
_QUOTES = frozenset(b"'\"")
_NAMED = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
ALLOWED_TAGS = frozenset({*_SIMPLE, "a", "pre", "blockquote", "tg-emoji", "tg-time"})


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; `detail` is Telegram's message."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class ParsedText:
    """Plain text with its formatting entities, lengths in UTF-16 code units."""

    text: str
    entities: list[dict[str, Any]]
    utf16_length: int


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    byte_offset: int
    out_start: int
    extra: dict[str, Any] = field(default_factory=dict)


def utf16_length(text: str) -> int:
    """Return the length of `text` as Telegram counts it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode the character reference at `pos`; return (code point, next position)."""
    n = len(data)
    end = pos + 1
    value = 0
    if end < n and data[end] == ord("#"):
        end += 1
        hexadecimal = end < n and data[end] == ord("x")
        if hexadecimal:
            end += 1
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        while end < n and data[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
            if value >= 0x10FFFF:
                return None
        if value == 0 or 0xD800 <= value <= 0xDFFF:
            return None
    else:
        while end < n and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = _NAMED.get(data[pos + 1 : end])
        if named is None:
            return None
        value = named
    if end < n and data[end] == ord(";"):
        end += 1
    return value, end


class _Parser:
    def __init__(self, text: str, strict_entities: bool):
        self.data = text.encode("utf-8", "replace")
        self.n = len(self.data)
        self.strict = strict_entities
        self.out = bytearray()
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def at(self, i: int) -> int:
        return self.data[i] if i < self.n else 0

    def run(self) -> ParsedText:
        i = 0
        while i < self.n:
            c = self.data[i]
            if c == ord("&"):
                decoded = _decode_entity(self.data, i)
                if decoded is not None:
                    code_point, i = decoded
                    self.out += chr(code_point).encode("utf-8")
                    self.utf16 += 2 if code_point > 0xFFFF else 1
                    continue
                if self.strict:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {i}"
                    )
            if c != ord("<"):
                self.out.append(c)
                if c & 0xC0 != 0x80:
                    self.utf16 += 2 if c >= 0xF0 else 1
                i += 1
                continue
            i = self._end_tag(i) if self.at(i + 1) == ord("/") else self._start_tag(i)
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        for entity in self.entities:
            # A language only survives on <pre><code class="language-x">, as a pre entity.
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText(self.out.decode("utf-8", "replace"), self.entities, self.utf16)

    def _start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if i >= self.n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in ALLOWED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        opened = _Open(tag, "", self.utf16, begin, len(self.out))
        while self.at(i) != ord(">"):
            i = self._attribute(i, opened)
        self._check_start(opened)
        self.stack.append(opened)
        return i + 1

    def _skip_spaces(self, i: int) -> int:
        while i < self.n and self.data[i] in _SPACES:
            i += 1
        return i

    def _attribute(self, i: int, opened: _Open) -> int:
        unclosed = EntityParseError(f"Unclosed start tag at byte offset {opened.byte_offset}")
        i = self._skip_spaces(i)
        if i >= self.n:
            raise unclosed
        if self.at(i) == ord(">"):
            return i
        name_begin = i
        while i < self.n and self.data[i] not in _SPACES and self.data[i] not in b"=>":
            i += 1
        name = self.data[name_begin:i].decode("utf-8", "replace")
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{opened.tag}" at byte offset '
                f"{opened.byte_offset}"
            )
        i = self._skip_spaces(i)
        if i >= self.n:
            raise unclosed
        if self.at(i) != ord("="):
            if opened.tag == "blockquote" and name == "expandable":
                opened.argument = "expandable"
            return i
        i = self._skip_spaces(i + 1)
        if i >= self.n:
            raise unclosed
        value, i = self._attribute_value(i)
        if i >= self.n:
            raise unclosed
        self._apply_attribute(opened, name, value)
        return i

    def _attribute_value(self, i: int) -> tuple[str, int]:
        if self.at(i) not in _QUOTES:
            token_begin = i
            while chr(self.at(i)).isascii() and (chr(self.at(i)).isalnum() or self.at(i) in b".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.data[token_begin:i].decode("utf-8", "replace").lower(), i
        quote = self.data[i]
        i += 1
        value = bytearray()
        while i < self.n and self.data[i] != quote:
            if self.data[i] == ord("&") and (decoded := _decode_entity(self.data, i)):
                value += chr(decoded[0]).encode("utf-8")
                i = decoded[1]
                continue
            value.append(self.data[i])
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    @staticmethod
    def _apply_attribute(opened: _Open, name: str, value: str) -> None:
        tag = opened.tag
        if tag == "a" and name == "href":
            opened.argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            opened.argument = value.removeprefix("language-")
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            opened.argument = value.removeprefix("tg-")
        elif (tag, name) in (("tg-emoji", "emoji-id"), ("tg-time", "unix")):
            opened.argument = value
        elif tag == "tg-time" and name == "format":
            opened.extra["format"] = value
        elif tag == "blockquote" and name == "expandable":
            opened.argument = "expandable"

    @staticmethod
    def _check_start(opened: _Open) -> None:
        where = f"at byte offset {opened.byte_offset}"
        if opened.tag == "span" and opened.argument != "spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {where}')
        if opened.tag == "tg-emoji" and not (opened.argument.isdigit() and int(opened.argument)):
            raise EntityParseError("Invalid custom emoji identifier specified")
        if opened.tag == "tg-time" and not opened.argument.lstrip("-").isdigit():
            raise EntityParseError(f"Invalid Unix time specified {where}")

    def _end_tag(self, begin: int) -> int:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.data[begin + 2 : i].decode("utf-8", "replace")
        i = self._skip_spaces(i)
        if self.at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if end_name and end_name != opened.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > opened.utf16_offset:
            self._close(opened)
        self.stack.pop()
        return i + 1

    def _close(self, opened: _Open) -> None:
        entity: dict[str, Any] = {
            "offset": opened.utf16_offset,
            "length": self.utf16 - opened.utf16_offset,
        }
        tag = opened.tag
        if tag in _SIMPLE:
            entity["type"] = _SIMPLE[tag]
            if tag == "code" and opened.argument:
                entity["language"] = opened.argument
        elif tag == "a":
            entity["type"] = "text_link"
            inner = self.out[opened.out_start :].decode("utf-8", "replace")
            entity["url"] = opened.argument or inner
        elif tag == "pre":
            entity["type"] = "pre"
            last = self.entities[-1] if self.entities else None
            # <pre><code class="language-x">...</code></pre> is one pre entity.
            if last and last["type"] == "code" and _same_span(last, entity):
                self.entities.pop()
                if "language" in last:
                    entity["language"] = last["language"]
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif tag == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = opened.argument
        else:
            entity["type"] = "date_time"
            entity["unix_time"] = int(opened.argument)
            if "format" in opened.extra:
                entity["date_time_format"] = opened.extra["format"]
        self.entities.append(entity)


def _same_span(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["offset"] == b["offset"] and a["length"] == b["length"])


def parse_html(text: str, *, strict_entities: bool = True) -> ParsedText:
    """Parse Telegram HTML; raise EntityParseError with Telegram's detail text."""
    return _Parser(text, strict_entities).run()
