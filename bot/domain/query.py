"""Splitting a question into the commodity and the place it asks about."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.matching import Resolution, Resolver, contained_names
from bot.domain.text import compact, normalize, script_of

# Words that carry no name: "how much is", "price of", Korean and Chinese "price" suffixes.
_STOPWORDS = {
    "how",
    "much",
    "is",
    "are",
    "the",
    "a",
    "an",
    "of",
    "in",
    "at",
    "for",
    "price",
    "prices",
    "cost",
    "costs",
    "what",
    "whats",
    "does",
    "do",
    "today",
    "now",
    "current",
    "market",
    "rate",
    "얼마",
    "얼마야",
    "얼마예요",
    "가격",
    "시세",
    "값",
    "의",
    "에서",
    "价格",
    "多少钱",
    "价钱",
    "多少",
    "的",
    "在",
}
_SUFFIXES = (
    "가격은",
    "가격",
    "시세",
    "값은",
    "값이",
    "값",
    "에서",
    "의",
    "价格",
    "多少钱",
    "价钱",
    "的",
)


@dataclass(frozen=True)
class ParsedQuery:
    """The commodity part and the place part of a question, each resolved."""

    commodity_text: str
    commodity: Resolution
    market_text: str | None
    market: Resolution | None


def strip_words(text: str) -> list[str]:
    """Normalise a question and drop words that are not names, keeping the order of the rest."""
    tokens = []
    for token in normalize(text).split():
        if token in _STOPWORDS:
            continue
        for suffix in _SUFFIXES:
            if script_of(token) != "latin" and token.endswith(suffix) and len(token) > len(suffix):
                token = token[: -len(suffix)]
                break
        if token and token not in _STOPWORDS:
            tokens.append(token)
    return tokens


def parse_query(text: str, *, commodities: Resolver, markets: Resolver) -> ParsedQuery:
    """Find the commodity and the optional place in a short question such as "lingzhi hyesan"."""
    if "," in text:
        head, _, tail = text.rpartition(",")
        if strip_words(tail) and markets.resolve(" ".join(strip_words(tail))).found:
            return _parsed(
                " ".join(strip_words(head)), " ".join(strip_words(tail)), commodities, markets
            )
    tokens = strip_words(text)
    if not tokens:
        return ParsedQuery("", Resolution(query=""), None, None)
    whole = " ".join(tokens)
    if commodities.exact(whole):
        return _parsed(whole, None, commodities, markets)
    # A place named exactly at the end ("rice sinuiju") or at the start ("혜산 쌀").
    for size in range(min(3, len(tokens) - 1), 0, -1):
        tail, head = " ".join(tokens[-size:]), " ".join(tokens[:-size])
        if markets.exact(tail):
            return _parsed(head, tail, commodities, markets)
        lead, rest = " ".join(tokens[:size]), " ".join(tokens[size:])
        if markets.exact(lead):
            return _parsed(rest, lead, commodities, markets)
    # Korean and Chinese often write place and good without a space: 혜산쌀, 惠山灵芝.
    if script_of(whole) != "latin":
        for _entry, name in contained_names(markets, whole):
            rest = compact(whole).replace(name, "", 1)
            if rest:
                return _parsed(rest, name, commodities, markets)
    # A misspelt place at the end, taken only when the rest is a known commodity.
    if len(tokens) > 1:
        tail, head = tokens[-1], " ".join(tokens[:-1])
        place = markets.resolve(tail)
        if place.found and commodities.resolve(head).found:
            return _parsed(head, tail, commodities, markets)
    return _parsed(whole, None, commodities, markets)


def _parsed(
    commodity: str, market: str | None, commodities: Resolver, markets: Resolver
) -> ParsedQuery:
    commodity = re.sub(r"\s+", " ", commodity).strip()
    return ParsedQuery(
        commodity_text=commodity,
        commodity=commodities.resolve(commodity),
        market_text=market,
        market=markets.resolve(market) if market else None,
    )
