"""Rendering answers as Telegram HTML, escaped and split to fit Telegram's limits."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import NamedTuple, TypeVar

from bot.domain.errors import DomainError
from bot.domain.text import shorten, utf16_len

E = TypeVar("E", bound=DomainError)

# Telegram's limits (telegram.constants.MessageLimit); a test keeps them equal.
MAX_TEXT = 4096
MAX_CAPTION = 1024
# How much of one piece of user text a reply quotes back, in UTF-16 code units.
QUOTE_LIMIT = 200
# A plain message that quotes user text is shortened to this many UTF-16 code units in all.
MAX_QUOTED_MESSAGE = 1000
_MIN_LIMIT = 16
_QUOTED_RE = re.compile(r"“([^”]*)”")
_VISIBLE_TAG_RE = re.compile(r"<[^<>]*>")
_ATOM_RE = re.compile(
    r"<[^<>]*>|&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});|.",
    re.DOTALL,
)
_TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
# Characters that belong to the one before: a cut before them would split what is shown as one.
_JOINED = re.compile(
    r"[\u0300-\u036f\u200c\u200d\u20d0-\u20ff\ufe00-\ufe0f\U000e0020-\U000e007f\U0001f3fb-\U0001f3ff]"
)

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "QUOTE_LIMIT",
    "bound_quotes",
    "esc",
    "esc_short",
    "html_to_plain",
    "link",
    "shorten_quotes",
    "shorten_text",
    "split_message",
    "utf16_len",
]


def esc(text: object) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(str(text), quote=False)


def link(label: str, url: str | None) -> str:
    """Return an HTML link, or the escaped label when there is no URL."""
    if not url:
        return esc(label)
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


def shorten_text(text: object, limit: int = QUOTE_LIMIT) -> str:
    """Cut user text to at most `limit` UTF-16 code units, marking the cut; escape the result after
    (cutting escaped text could end inside "&amp;" and break the whole message)."""
    return shorten(str(text), limit)


def esc_short(text: object, limit: int = QUOTE_LIMIT) -> str:
    """Quote user text in HTML: shorten it (in UTF-16 code units), then escape it."""
    return esc(shorten_text(text, limit))


def shorten_quotes(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Shorten every “quoted” part of a plain message that is longer than `limit` UTF-16 code
    units, then the whole message to MAX_QUOTED_MESSAGE; for messages that quote user text in full."""
    text = _QUOTED_RE.sub(lambda m: f"“{shorten(m.group(1), limit)}”", text)
    return shorten(text, MAX_QUOTED_MESSAGE)


def bound_quotes(exc: E, limit: int = QUOTE_LIMIT) -> E:
    """Shorten the user text a domain error quotes, in place, and return the error: its text
    parameters, or (a message with the text written in, and no parameters) its “quoted” parts.
    Its HTML is escaped after, when it is shown."""
    exc.params = {k: shorten(v, limit) if isinstance(v, str) else v for k, v in exc.params.items()}
    if not exc.params and not exc.is_html:
        exc.template = shorten_quotes(exc.template, limit)
    return exc


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split Telegram HTML into parts Telegram accepts, each at most `limit` UTF-16 code units.

    The measure is conservative: the HTML source is counted (Telegram counts the text after
    entity parsing, which is never longer). Parts end at a blank line if one fits, else at a line
    end, else at a space, else between two characters; never inside a tag or a character
    reference, never inside a surrogate pair or after a zero-width joiner. A tag open at a cut is
    closed at the end of the part and opened again at the start of the next.
    """
    if utf16_len(text) <= limit:
        return [text]
    if limit < _MIN_LIMIT:
        raise ValueError(f"a part must hold at least {_MIN_LIMIT} UTF-16 code units")
    atoms = _atoms(text)
    parts: list[str] = []
    start = 0
    stack: tuple[_Open, ...] = ()
    while start < len(atoms):
        cut = _cut(atoms, start, stack, limit)
        if cut is None:  # not even one piece fits beside its tags: the rest loses its formatting
            rest = esc(_visible(text[atoms[start].begin :]))
            parts += [p for p in split_message(rest, limit) if p.strip()]
            break
        end, after, stack_end = cut
        body = text[atoms[start].begin : atoms[end - 1].end] if end > start else ""
        part = "".join(t.source for t in stack) + body + _closers(stack_end)
        if _VISIBLE_TAG_RE.sub("", part).strip():
            parts.append(part)
        start, stack = after, stack_end
    return parts or [""]


@dataclass(frozen=True)
class _Open:
    name: str
    source: str  # the start tag as written, attributes and all
    units: int


class _Atom(NamedTuple):
    """A piece of the source no cut may enter: a tag, a character reference or one character."""

    begin: int
    end: int
    source: str
    units: int
    opens: _Open | None = None
    closes: str | None = None


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for match in _ATOM_RE.finditer(text):
        source = match.group(0)
        opens = closes = None
        if len(source) > 1 and source[0] == "<":
            tag = _TAG_RE.match(source)
            if tag is not None and tag.group(1):
                closes = tag.group(2).lower()
            elif tag is not None:
                opens = _Open(tag.group(2).lower(), source, utf16_len(source))
        atoms.append(_Atom(match.start(), match.end(), source, utf16_len(source), opens, closes))
    return atoms


def _closers(stack: tuple[_Open, ...]) -> str:
    return "".join(f"</{t.name}>" for t in reversed(stack))


def _closers_units(stack: tuple[_Open, ...]) -> int:
    return sum(len(t.name) + 3 for t in stack)  # "</" name ">", tag names being ASCII


def _after_tag(stack: tuple[_Open, ...], atom: _Atom) -> tuple[_Open, ...]:
    if atom.opens is not None:
        return (*stack, atom.opens)
    if atom.closes is not None:
        names = [t.name for t in stack]
        if atom.closes in names:  # close it and whatever was left open inside it
            return stack[: len(names) - 1 - names[::-1].index(atom.closes)]
    return stack


def _cut(
    atoms: list[_Atom], start: int, stack: tuple[_Open, ...], limit: int
) -> tuple[int, int, tuple[_Open, ...]] | None:
    """Choose where the part starting at atom `start` ends: (end, next start, tags open there);
    None when not even its first atom fits beside the tags it must reopen and close."""
    used = sum(t.units for t in stack)
    current = stack
    # The last cut of each kind that fits: blank line, line end, space, between two characters;
    # then, when none of those is possible, anywhere at all.
    best: list[tuple[int, int, tuple[_Open, ...]] | None] = [None] * 5
    index = start
    while index < len(atoms):
        atom = atoms[index]
        if index > start:
            kind = _boundary(atoms, index)
            best[4] = (index, index, current)
            if kind is not None:
                best[kind] = (index, _skip(atoms, index, kind), current)
        after = _after_tag(current, atom)
        if used + atom.units + _closers_units(after) > limit:
            break
        used += atom.units
        current = after
        index += 1
    else:
        return len(atoms), len(atoms), current
    return next((cut for cut in best if cut is not None), None)


def _boundary(atoms: list[_Atom], index: int) -> int | None:
    """The kind of cut before atom `index`: 0 blank line, 1 line end, 2 space, 3 between two
    characters, None where a cut would split what is shown as one character."""
    source = atoms[index].source
    if source == "\n":
        following = atoms[index + 1].source if index + 1 < len(atoms) else ""
        return 0 if following == "\n" else 1
    if source == " ":
        return 2
    previous = atoms[index - 1].source
    if _JOINED.fullmatch(source) or previous == "\u200d":
        return None
    if "\ud800" <= previous[-1] <= "\udbff":  # a lone high surrogate: keep its pair together
        return None
    return 3


def _skip(atoms: list[_Atom], index: int, kind: int) -> int:
    """Where the next part starts after a cut before `index`: past the newlines or spaces cut at."""
    if kind == 3:
        return index
    blank = "\n" if kind < 2 else " "
    while index < len(atoms) and atoms[index].source == blank:
        index += 1
    return index


def _visible(text: str) -> str:
    """The text Telegram shows for some HTML: tags dropped, character references decoded."""
    return html.unescape(_VISIBLE_TAG_RE.sub("", text))


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            href = self._href.pop()
            if href:
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(text: str) -> str:
    """Turn Telegram HTML into plain text for a terminal; links keep their address."""
    parser = _PlainText()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)
