"""What a subscription watches: commodities and places read from free text, and deep-link payloads."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain.matching import Candidate, Resolver
from bot.domain.query import _split
from bot.domain.text import normalize

# Names may be separated by commas (any script) or "and"; otherwise by spaces.
_SEPARATORS = re.compile(r"\s*(?:[,，、;；/&+]|\band\b|\b및\b)\s*")
MAX_SPAN = 4
MAX_NAMES = 20
_PAYLOAD = re.compile(r"^sub_(all|(?:c(\d{1,6}(?:-\d{1,6})*))?(?:_?m(\d{1,6}(?:-\d{1,6})*))?)$")


@dataclass(frozen=True)
class Unknown:
    """A word that names nothing known, with the closest names to suggest."""

    text: str
    suggestions: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class WatchList:
    """Commodity and place ids (empty = all), and what could not be read."""

    commodity_ids: tuple[int, ...] = ()
    market_ids: tuple[int, ...] = ()
    unknown: tuple[Unknown, ...] = ()


def _resolve(text: str, commodities: Resolver, markets: Resolver) -> tuple[str, int] | None:
    """Return ("c", id) or ("m", id) for a confident name, exact names first."""
    exact_goods, exact_places = commodities.exact(text), markets.exact(text)
    if len(exact_goods) == 1 and not exact_places:
        return "c", exact_goods[0].id
    if len(exact_places) == 1 and not exact_goods:
        return "m", exact_places[0].id
    good, place = commodities.resolve(text), markets.resolve(text)
    if good.match and (not place.match or good.match.score >= place.match.score):
        return "c", good.match.entry.id
    if place.match:
        return "m", place.match.entry.id
    return None


def _unreadable(text: str) -> list[Unknown]:
    """The words of `text` with nothing to read in them: emoji and other symbols (punctuation
    between names is no word: "rice - corn", "rice."); all of it when nothing is readable."""
    words = text.split()
    if words and not normalize(text):
        return [Unknown(text.strip())]
    return [
        Unknown(word)
        for word in words
        if not normalize(word) and not all(unicodedata.category(ch)[0] == "P" for ch in word)
    ]


def parse_watch_list(text: str, *, commodities: Resolver, markets: Resolver) -> WatchList:
    """Read "rice, corn hyesan" / "쌀 혜산" / "灵芝 惠山" into ids; nothing = everything.

    Each run of words is matched longest first (up to four words, so "pork belly" beats
    "pork"); a word that starts no name is reported with suggestions instead of being ignored.
    Only an empty text means everything: emoji or punctuation alone are words that name
    nothing, reported like any unknown word.
    """
    goods: list[int] = []
    places: list[int] = []
    unknown: list[Unknown] = _unreadable(text)
    for piece in _SEPARATORS.split(normalize(text)):
        words = _split(piece, commodities, markets) if piece.strip() else []
        i = 0
        while i < len(words):
            for size in range(min(MAX_SPAN, len(words) - i), 0, -1):
                found = _resolve(" ".join(words[i : i + size]), commodities, markets)
                if found is not None:
                    kind, entry_id = found
                    target = goods if kind == "c" else places
                    if entry_id not in target:
                        target.append(entry_id)
                    i += size
                    break
            else:
                word = words[i]
                suggestions = sorted(
                    (*commodities.resolve(word).candidates, *markets.resolve(word).candidates),
                    key=lambda c: -c.score,
                )[:3]
                unknown.append(Unknown(word, tuple(suggestions)))
                i += 1
    return WatchList(tuple(goods[:MAX_NAMES]), tuple(places[:MAX_NAMES]), tuple(unknown))


def payload_for(commodity_ids: tuple[int, ...], market_ids: tuple[int, ...]) -> str:
    """A /start payload that subscribes in one tap: sub_c12-15_m3, or sub_all (<= 64 chars)."""
    if not commodity_ids and not market_ids:
        return "sub_all"
    parts = []
    if commodity_ids:
        parts.append("c" + "-".join(str(i) for i in sorted(commodity_ids)))
    if market_ids:
        parts.append("m" + "-".join(str(i) for i in sorted(market_ids)))
    payload = "sub_" + "_".join(parts)
    if len(payload) > 64:
        raise ValueError("too many names for one link")
    return payload


def parse_payload(payload: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Read a payload made by payload_for; None if it is not one."""
    match = _PAYLOAD.match(payload.strip())
    if match is None or match.group(1) == "":
        return None
    if match.group(1) == "all":
        return (), ()
    goods = tuple(int(x) for x in match.group(2).split("-")) if match.group(2) else ()
    places = tuple(int(x) for x in match.group(3).split("-")) if match.group(3) else ()
    return goods, places
