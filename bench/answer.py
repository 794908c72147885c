"""From question to reply text on 1,000,000 price observations, against raw resolve + one SQL query.

`run` measures SQLite, the reference on raw sqlite3. `run_postgres` measures the same rows and
questions on PostgreSQL (built with COPY in a schema of its own, dropped at the end), the reference
on a raw psycopg connection: the same indexed query, parameters bound, prepared by psycopg after
its first few executions as it does by default.
"""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bot.bootstrap import Container, bootstrap
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
# The same query for psycopg, which binds %s (server-side: parameters never spliced into the text).
LATEST_SQL_PG = LATEST_SQL.replace("?", "%s")
# Where `run_postgres` builds its schema; BENCH_DATABASE_URL (else TEST_DATABASE_URL) overrides.
PG_URL = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
COLUMNS = (
    "commodity_id, market_id, observed_on, observed_precision, sort_on, price_low, price_high, "
    "price_type, currency, unit, unit_quantity, unit_base, per_base_low, per_base_high, "
    "source_name, source_url, created_at, natural_key"
)


def _forget(catalogue: Catalogue) -> None:
    catalogue.commodities.forget()
    catalogue.markets.forget()
    forget_normalized()


def _rows(
    rng: random.Random,
    rows: int,
    commodities: list[int],
    rates: list[int],
    markets: list[int],
) -> Iterator[tuple[Any, ...]]:
    """The synthetic figures, in the order of COLUMNS; the same for a seed on both databases."""
    start = date(2009, 1, 1)
    created = NOW.isoformat(sep=" ")
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


_COMMODITIES = "SELECT id FROM commodity WHERE currency_code IS NULL ORDER BY id"
_RATES = "SELECT id FROM commodity WHERE currency_code IN ('USD', 'CNY') ORDER BY id"
_MARKETS = "SELECT id FROM market WHERE kind IN ('city','county') ORDER BY id"


def _migrated(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    engine.dispose()


def build(path: Path, rows: int, seed: int = 11) -> None:
    """Create a migrated database holding `rows` synthetic figures across the real catalogue."""
    _migrated(f"sqlite:///{path}")
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    commodities = [r[0] for r in con.execute(_COMMODITIES)]
    rates = [r[0] for r in con.execute(_RATES)]
    markets = [r[0] for r in con.execute(_MARKETS)]
    con.execute("PRAGMA journal_mode=WAL")
    con.executemany(
        f"INSERT INTO priceobservation ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _rows(rng, rows, commodities, rates, markets),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _questions(catalogue: Catalogue, queries: int) -> list[tuple[str, str, int]]:
    rng = random.Random(5)
    cities = [e for e in catalogue.markets.entries if e.kind in ("city", "county")]
    # Distinct questions across the catalogue, asked by a few dozen users.
    return [
        (
            rng.choice(catalogue.commodities.entries).display,
            rng.choice(cities).display,
            rng.randrange(40),
        )
        for _ in range(queries)
    ]


def _measure(
    services: Container,
    questions: list[tuple[str, str, int]],
    reference: Callable[[int, int], object],
) -> tuple[list[float], list[float]]:
    """Time each question through the services and the reference; return (answer, reference)."""
    catalogue = services.catalogue.current
    answer_times, reference_times = [], []
    for commodity, market, user in questions:
        text = f"{commodity} {market}"
        _forget(catalogue)
        t0 = time.perf_counter()
        # The reference: the resolve this question needs, then the one indexed query, raw.
        parsed = parse_query(
            text, commodities=catalogue.commodities, markets=catalogue.markets, today=NOW.date()
        )
        commodity_match = parsed.commodity.match
        market_match = parsed.market.match if parsed.market is not None else None
        assert commodity_match is not None and market_match is not None, text
        reference(commodity_match.entry.id, market_match.entry.id)
        # Each question is read the first time on both paths: nothing remembered from the other.
        _forget(catalogue)
        t1 = time.perf_counter()
        # What a handler does for a message: know the user, then answer.
        lang = services.users.touch(telegram_id=1000 + user, username=None, language_code="en")
        services.questions.ask(text, lang=lang)
        t2 = time.perf_counter()
        reference_times.append(t1 - t0)
        answer_times.append(t2 - t1)
    return answer_times, reference_times


def run(rows: int = 1_000_000, queries: int = 200) -> dict[str, float]:
    """Return p95 seconds for the full answer and the reference, their ratio and memory growth."""
    folder = Path(tempfile.mkdtemp(prefix="jm-bench-"))
    path = folder / "bench.sqlite3"
    t0 = time.perf_counter()
    build(path, rows)
    build_seconds = time.perf_counter() - t0
    url = f"sqlite:///{path}"
    services = bootstrap(Settings(_env_file=None, database_url=url), make_engine(url), lambda: NOW)
    questions = _questions(services.catalogue.current, queries)
    raw = sqlite3.connect(path)
    for _ in range(20):  # warm caches on both paths
        services.questions.ask("rice hyesan", lang="en")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer_times, reference_times = _measure(
        services, questions, lambda c, m: raw.execute(LATEST_SQL, (c, m)).fetchone()
    )
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


# PostgreSQL


def _conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (psycopg takes it as it is)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _in_schema(url: str, schema: str) -> str:
    """The URL of `url` with every connection's search_path set to `schema`."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def build_postgres(url: str, schema: str, rows: int, seed: int = 11) -> None:
    """Fill a new schema with the same figures as `build`: migrate, one COPY, then ANALYZE."""
    import psycopg

    _migrated(_in_schema(url, schema))
    rng = random.Random(seed)
    with psycopg.connect(_conninfo(url), options=f"-csearch_path={schema}") as con:
        commodities = [r[0] for r in con.execute(_COMMODITIES)]
        rates = [r[0] for r in con.execute(_RATES)]
        markets = [r[0] for r in con.execute(_MARKETS)]
        with (
            con.cursor() as cur,
            cur.copy(f"COPY priceobservation ({COLUMNS}) FROM STDIN") as copy,
        ):
            for row in _rows(rng, rows, commodities, rates, markets):
                copy.write_row(row)
        con.commit()
        con.execute("ANALYZE")
        con.commit()


def run_postgres(rows: int = 1_000_000, queries: int = 200, url: str = PG_URL) -> dict[str, Any]:
    """The figures of `run` on PostgreSQL, plus the statements one answer runs.

    Returns {"skipped": reason} when the server cannot be reached.
    """
    try:
        import psycopg
    except ImportError:
        return {"skipped": "psycopg is not installed"}
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=5, autocommit=True) as admin:
            schema = f"jm_bench_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())[:200]
        return {"skipped": f"cannot reach {_describe(url)}: {reason}"}
    schema_url = _in_schema(url, schema)
    try:
        t0 = time.perf_counter()
        build_postgres(url, schema, rows)
        build_seconds = time.perf_counter() - t0
        engine = make_engine(schema_url)
        settings = Settings(_env_file=None, database_url=schema_url)
        services = bootstrap(settings, engine, lambda: NOW)
        questions = _questions(services.catalogue.current, queries)
        with psycopg.connect(
            _conninfo(url), options=f"-csearch_path={schema}", autocommit=True
        ) as raw:
            cur = raw.cursor()

            def reference(commodity_id: int, market_id: int) -> object:
                return cur.execute(LATEST_SQL_PG, (commodity_id, market_id)).fetchone()

            for _ in range(20):  # warm caches on both paths (psycopg prepares from the 5th run)
                services.questions.ask("rice hyesan", lang="en")
                reference(1, 1)
            statements = _statements(services)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            answer_times, reference_times = _measure(services, questions, reference)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        services.engine.dispose()
    finally:
        with psycopg.connect(_conninfo(url), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    # A user's first question also writes their row (a commit): apart, what reading costs.
    first: dict[int, int] = {}
    for i, (_, _, user) in enumerate(questions):
        first.setdefault(user, i)
    firsts = set(first.values())
    known = [t for i, t in enumerate(answer_times) if i not in firsts]
    return {
        "rows": rows,
        "build_seconds": build_seconds,
        "answer": p95(answer_times),
        "reference": p95(reference_times),
        "ratio": p95(answer_times) / p95(reference_times),
        "rss_growth_mb": (rss_after - rss_before) / 1024,
        "statements": statements,
        "first_questions": len(first),
        "answer_known": p95(known),
        "ratio_known": p95(known) / p95(reference_times),
    }


def _statements(services: Container) -> list[str]:
    """The statements a warm answer runs (a user already known), as the engine sends them."""
    seen: list[str] = []

    def log(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine: Engine = services.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        services.users.touch(telegram_id=999, username=None, language_code="en")
        seen.clear()
        _forget(services.catalogue.current)
        services.users.touch(telegram_id=999, username=None, language_code="en")
        services.questions.ask("rice hyesan", lang="en")
    finally:
        event.remove(engine, "before_cursor_execute", log)
    return seen
