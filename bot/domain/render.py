"""Rendering answers as Telegram HTML, escaped and split to fit Telegram's limits."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date
from html.parser import HTMLParser

from bot.domain.dates import age_label
from bot.domain.prices import MarketPrice, Observation

# Telegram's limits (telegram.constants.MessageLimit); a test keeps them equal.
MAX_TEXT = 4096
MAX_CAPTION = 1024

_PRICE_TYPE_LABELS = {
    "retail": "retail",
    "wholesale": "wholesale",
    "state_purchase": "state purchase price",
    "middleman": "paid by traders/smugglers",
    "export": "export price",
    "ration": "ration (PDS) price",
    "market": "market rate",
    "official": "official rate",
}


def esc(text: object) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(str(text), quote=False)


def link(label: str, url: str | None) -> str:
    """Return an HTML link, or the escaped label when there is no URL."""
    if not url:
        return esc(label)
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


def observation_lines(obs: Observation, *, today: date) -> list[str]:
    """Render the facts of one figure: level, date and age, source and grade."""
    level = f"<b>{esc(obs.figure.text())}</b>"
    qualifiers = []
    if obs.grade:
        qualifiers.append(esc(obs.grade))
    elif obs.figure.low != obs.figure.high:
        qualifiers.append("range as reported")
    if obs.price_type != "retail":
        qualifiers.append(esc(_PRICE_TYPE_LABELS.get(obs.price_type, obs.price_type)))
    if qualifiers:
        level += f" ({', '.join(qualifiers)})"
    lines = [level]
    if obs.observed.value is None:
        when = "Observed: date not stated in the source"
        if obs.reported_on:
            when += f"; published {obs.reported_on.isoformat()}"
    else:
        when = f"Observed: {esc(obs.observed.label())} ({age_label(obs.age_days(today))})"
        if obs.reported_on and obs.reported_on != obs.observed.value:
            when += f"; published {obs.reported_on.isoformat()}"
    if obs.is_stale(today) and obs.observed.value is not None:
        when += " ⚠️ stale"
    lines.append(when)
    grade = f" · reliability {esc(obs.reliability)}" if obs.reliability else " · not graded"
    lines.append(f"Source: {link(obs.source_name, obs.source_url)}{grade}")
    if obs.note:
        lines.append(f"<i>{esc(_shorten(obs.note, 300))}</i>")
    return lines


def market_price_block(item: MarketPrice, *, today: date) -> str:
    """Render one market's latest price with its previous figure and the move."""
    obs = item.latest
    place = f"📍 <b>{esc(obs.market)}</b>"
    if obs.market_parent:
        place += f" ({esc(obs.market_parent)})"
    lines = [place, *observation_lines(obs, today=today)]
    if item.previous is not None:
        prev = item.previous
        text = f"Previous: {esc(prev.figure.text())}"
        if prev.observed.value is not None:
            text += f" ({esc(prev.observed.label())})"
        change = item.change
        if change is not None:
            text += f" → {change.text()}"
            if change.level != "normal":
                text += f" <b>{change.level}</b>"
        lines.append(text)
    if item.is_record_high:
        lines.append("🔺 Highest figure on record for this series")
    return "\n".join(lines)


def price_answer(
    commodity: str, items: Sequence[MarketPrice], *, today: date, heading_extra: str = ""
) -> str:
    """Render the answer to "what does X cost", one block per market."""
    head = f"<b>{esc(commodity)}</b>{esc(heading_extra)}"
    blocks = [market_price_block(item, today=today) for item in items]
    return "\n\n".join([head, *blocks])


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
