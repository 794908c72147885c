"""Rendering answers as Telegram HTML, escaped and split to fit Telegram's limits."""

from __future__ import annotations

import html
from collections.abc import Iterable
from html.parser import HTMLParser

# Telegram's limits (telegram.constants.MessageLimit); a test keeps them equal.
MAX_TEXT = 4096
MAX_CAPTION = 1024


def esc(text: object) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(str(text), quote=False)


def link(label: str, url: str | None) -> str:
    """Return an HTML link, or the escaped label when there is no URL."""
    if not url:
        return esc(label)
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split HTML text into chunks under `limit`, only at blank lines or line ends."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for block in _blocks(text.split("\n\n"), limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = block
    if current:
        chunks.append(current)
    return chunks


def _blocks(blocks: Iterable[str], limit: int) -> Iterable[str]:
    # A block longer than the limit is split at line ends; a line longer than that is cut, which
    # only happens for text we built ourselves from bounded fields.
    for block in blocks:
        if len(block) <= limit:
            yield block
            continue
        current = ""
        for line in block.split("\n"):
            while len(line) > limit:
                yield line[:limit]
                line = line[limit:]
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) <= limit:
                current = candidate
            else:
                yield current
                current = line
        if current:
            yield current


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
