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
    """Return p95 seconds per query for the resolver, raw extractOne and difflib, and their ratios.

    Also returns the share of queries the resolver answered with the entry the typo came from
    ("right") and with another entry ("wrong"); the rest it asked about or did not find.
    """
    rng = random.Random(seed)
    catalogue = []
    for i in range(entries):
        names = tuple(
            Name(f"{_word(rng)} {_word(rng)}" if k else _word(rng), "en") for k in range(3)
        )
        catalogue.append(Entry(id=i, slug=f"item-{i}", display=names[0].text, names=names))
    resolver = Resolver(catalogue)
    choices = resolver.choices("latin")  # the same normalised names the resolver searches
    targets = [rng.choice(catalogue) for _ in range(queries)]
    picks = [_typo(rng, rng.choice(entry.names).text) for entry in targets]
    timings: dict[str, list[float]] = {"resolver": [], "extractOne": [], "difflib": []}
    right = wrong = 0
    for query, target in zip(picks, targets, strict=True):
        t0 = time.perf_counter()
        resolution = resolver.resolve(query)
        t1 = time.perf_counter()
        process.extractOne(normalize(query), choices, scorer=fuzz.WRatio, processor=None)
        t2 = time.perf_counter()
        timings["resolver"].append(t1 - t0)
        timings["extractOne"].append(t2 - t1)
        if resolution.match is not None:
            right += resolution.match.entry.slug == target.slug
            wrong += resolution.match.entry.slug != target.slug
    # difflib is slow; a tenth of the queries suffices.
    for query in picks[: max(20, queries // 10)]:
        t0 = time.perf_counter()
        difflib.get_close_matches(normalize(query), choices, n=5, cutoff=0.6)
        timings["difflib"].append(time.perf_counter() - t0)
    result = {name: p95(values) for name, values in timings.items()}
    result["resolver/extractOne"] = result["resolver"] / result["extractOne"]
    result["resolver/difflib"] = result["resolver"] / result["difflib"]
    result["right"] = right / queries
    result["wrong"] = wrong / queries
    return result
