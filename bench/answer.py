"""From question to reply text on 1,000,000 price observations in SQLite, against raw resolve + one SQL query."""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.domain.query import parse_query
from bot.domain.text import forget_normalized
from bot.services.catalogue import Catalogue, sync_catalogue
from config.settings import Settings
from db.engine import make_engine, upgrade

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LATEST_SQL = (
    "SELECT * FROM priceobservation WHERE commodity_id=? AND market_id=? AND deleted_at IS NULL "
    "ORDER BY sort_on DESC, id DESC LIMIT 1"
)


def _forget(catalogue: Catalogue) -> None:
    catalogue.commodities.forget()
    catalogue.markets.forget()
    forget_normalized()


def build(path: Path, rows: int, seed: int = 11) -> None:
    """Create a migrated database holding `rows` synthetic figures across the real catalogue."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    engine.dispose()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    commodities = [
        r[0] for r in con.execute("SELECT id FROM commodity WHERE currency_code IS NULL")
    ]
    rates = [
        r[0] for r in con.execute("SELECT id FROM commodity WHERE currency_code IN ('USD', 'CNY')")
    ]
    markets = [r[0] for r in con.execute("SELECT id FROM market WHERE kind IN ('city','county')")]
    start = date(2009, 1, 1)
    created = NOW.isoformat(sep=" ")

    def generate():  # type: ignore[no-untyped-def]
        for i in range(rows):
            day = start + timedelta(days=rng.randrange(6500))
            low = round(rng.uniform(100, 20000), 0)
            # One figure in twenty is a market exchange rate, as in the surveys.
            is_rate = rng.random() < 0.05
            unit = "USD" if is_rate else "kg"
            yield (
                rng.choice(rates) if is_rate else rng.choice(commodities),
                rng.choice(markets),
                day.isoformat(),
                "day",
                day.isoformat(),
                low,
                low * rng.choice((1, 1, 1.2)),
                "market" if is_rate else "retail",
                "KPW",
                unit,
                1.0,
                unit,
                low,
                low,
                "Bench Source",
                f"https://example.org/{i}",
                created,
                f"{i:064x}",
            )

    con.execute("PRAGMA journal_mode=WAL")
    con.executemany(
        "INSERT INTO priceobservation (commodity_id, market_id, observed_on, observed_precision, sort_on, "
        "price_low, price_high, price_type, currency, unit, unit_quantity, unit_base, per_base_low, "
        "per_base_high, source_name, source_url, created_at, natural_key) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        generate(),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def run(rows: int = 1_000_000, queries: int = 200) -> dict[str, float]:
    """Return p95 seconds for the full answer and the reference, their ratio and memory growth."""
    folder = Path(tempfile.mkdtemp(prefix="jm-bench-"))
    path = folder / "bench.sqlite3"
    t0 = time.perf_counter()
    build(path, rows)
    build_seconds = time.perf_counter() - t0
    url = f"sqlite:///{path}"
    services = bootstrap(Settings(_env_file=None, database_url=url), make_engine(url), lambda: NOW)
    catalogue = services.catalogue.current
    rng = random.Random(5)
    cities = [e for e in catalogue.markets.entries if e.kind in ("city", "county")]
    # Distinct questions across the catalogue, asked by a few dozen users.
    questions = [
        (
            rng.choice(catalogue.commodities.entries).display,
            rng.choice(cities).display,
            rng.randrange(40),
        )
        for _ in range(queries)
    ]
    raw = sqlite3.connect(path)
    answer_times, reference_times = [], []
    for _ in range(20):  # warm caches on both paths
        services.questions.ask("rice hyesan", lang="en")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for commodity, market, user in questions:
        text = f"{commodity} {market}"
        _forget(catalogue)
        t0 = time.perf_counter()
        # The reference: the resolve this question needs, then the one indexed query, raw.
        parsed = parse_query(
            text, commodities=catalogue.commodities, markets=catalogue.markets, today=NOW.date()
        )
        raw.execute(
            LATEST_SQL, (parsed.commodity.match.entry.id, parsed.market.match.entry.id)
        ).fetchone()
        # Each question is read the first time on both paths: nothing remembered from the other.
        _forget(catalogue)
        t1 = time.perf_counter()
        # What a handler does for a message: know the user, then answer.
        lang = services.users.touch(telegram_id=1000 + user, username=None, language_code="en")
        services.questions.ask(text, lang=lang)
        t2 = time.perf_counter()
        reference_times.append(t1 - t0)
        answer_times.append(t2 - t1)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    raw.close()
    services.engine.dispose()
    for name in os.listdir(folder):
        (folder / name).unlink()
    folder.rmdir()
    return {
        "rows": rows,
        "build_seconds": build_seconds,
        "answer": p95(answer_times),
        "reference": p95(reference_times),
        "ratio": p95(answer_times) / p95(reference_times),
        "rss_growth_mb": (rss_after - rss_before) / 1024,
    }
