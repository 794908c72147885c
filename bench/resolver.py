"""Resolver speed against raw rapidfuzz and difflib on a synthetic catalogue of 5,000 x 3 names."""

from __future__ import annotations

import difflib
import random
import statistics
import string
import time

from rapidfuzz import fuzz, process

from bot.domain.matching import Entry, Name, Resolver
from bot.domain.text import normalize


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def run(entries: int = 5000, queries: int = 300, seed: int = 7) -> dict[str, float]:
    """Return p95 seconds per query for the resolver, raw extractOne and difflib, and their ratios."""
    rng = random.Random(seed)
    catalogue = []
    for i in range(entries):
        names = tuple(
            Name(f"{_word(rng)} {_word(rng)}" if k else _word(rng), "en") for k in range(3)
        )
        catalogue.append(Entry(id=i, slug=f"item-{i}", display=names[0].text, names=names))
    resolver = Resolver(catalogue)
    choices = resolver._choices["latin"]  # the same prepared strings the resolver searches
    picks = [_typo(rng, rng.choice(rng.choice(catalogue).names).text) for _ in range(queries)]
    timings: dict[str, list[float]] = {"resolver": [], "extractOne": [], "difflib": []}
    for query in picks:
        t0 = time.perf_counter()
        resolver.resolve(query)
        t1 = time.perf_counter()
        process.extractOne(normalize(query), choices, scorer=fuzz.WRatio, processor=None)
        t2 = time.perf_counter()
        timings["resolver"].append(t1 - t0)
        timings["extractOne"].append(t2 - t1)
    for query in picks[
        : max(20, queries // 10)
    ]:  # difflib is slow; a tenth of the queries suffices
        t0 = time.perf_counter()
        difflib.get_close_matches(normalize(query), choices, n=5, cutoff=0.6)
        timings["difflib"].append(time.perf_counter() - t0)
    result = {name: p95(values) for name, values in timings.items()}
    result["resolver/extractOne"] = result["resolver"] / result["extractOne"]
    result["resolver/difflib"] = result["resolver"] / result["difflib"]
    return result
