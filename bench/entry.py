"""Reading long /addprice lines: the cost of a 4,000-character note and of 500 names, against the
cost of a short line, measured in the same run (the unit tests assert what is looked up, not how
long it takes)."""

from __future__ import annotations

import statistics
import time
from datetime import date

from bot.domain.entry import parse_price_entry
from tests.support.catalogue import catalogue_resolvers

TODAY = date(2026, 11, 28)
SHORT = "lingzhi hyesan 500 CNY/kg source:x"
LINES = {
    "short": SHORT,
    "long note": f"{SHORT} note:" + "word " * 790,  # ~4,000 characters, as Telegram allows
    "500 names": "lingzhi " * 500 + "500 CNY/kg",
}


def run(repeats: int = 200) -> dict[str, dict[str, float]]:
    """Return per line its length, its median seconds to parse, and that against the short line."""
    commodities, markets = catalogue_resolvers()
    medians: dict[str, float] = {}
    for name, line in LINES.items():
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            parse_price_entry(line, commodities=commodities, markets=markets, today=TODAY)
            samples.append(time.perf_counter() - t0)
        medians[name] = statistics.median(samples)
    return {
        "chars": {name: len(line) for name, line in LINES.items()},
        "median": medians,
        "ratio": {name: seconds / medians["short"] for name, seconds in medians.items()},
    }
