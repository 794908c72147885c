"""Trade-condition answers on 100,000 reports in SQLite, against the one indexed query they need.

Each question goes through `bot.services.asking.ask` (read the question, resolve its names, find
the reports, render the reply). The reference is the reports query that answer runs, captured
from the engine during a warm-up answer and replayed, same SQL text and parameters, through raw
sqlite3 on its own connection. Both are timed in the same run, in interleaved rounds; so is a
second reference, reading the question (`asking.read`) then that raw query, which shows how much of
the answer is reading the question rather than the database. A third reference runs that same
SQL through the bot's own engine (SQLAlchemy and its connection pool, which every query of the bot
goes through). The target: answer p95 <= 3x the p95 of that query through the engine, over every
question; the ratio to the raw sqlite3 query is printed beside it.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.domain.conditions import BORDER_STATUSES, CHANNELS, DIRECTIONS, MARKET_ACTIVITY, TOPICS
from bot.domain.text import forget_normalized
from bot.services.asking import ask, read
from bot.services.catalogue import Catalogue, load_catalogue, sync_catalogue
from db.engine import make_engine, upgrade

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
TARGET = 3.0
QUESTIONS = (
    "smuggling hyesan",
    "is the border open in sinuiju?",
    "혜산 밀수",
    "惠山走私",
    "rason russia trade",
    "customs pyongyang 2024",
    "what is north korea exporting to china",
    "enforcement hoeryong since 2023",
)
# Where reports come from: mostly the border, then the big cities, a few for whole provinces.
BORDER = {
    "hyesan": 12,
    "sinuiju": 12,
    "hoeryong": 8,
    "rason": 6,
    "onsong": 5,
    "musan": 5,
    "manpo": 4,
    "sinpa": 3,
    "gyeongwon": 3,
    "chongjin": 4,
}
KIND_WEIGHTS = {"country": 3.0, "province": 1.0, "city": 2.0, "county": 1.0, "aggregate": 0.3}
UNDATED = "0001-01-01"
GOODS = (
    "mobile phones",
    "medicinal herbs",
    "seafood",
    "coal",
    "iron ore",
    "textiles",
    "used cars",
    "cosmetics",
    "electronics",
    "fertiliser",
)
SOURCES = ("Daily NK", "Asia Press", "RFA", "NK News", "Bench Source")
_WORDS = [
    "traders",
    "merchants",
    "smugglers",
    "officials",
    "guards",
    "brokers",
    "wholesalers",
    "families",
    "residents",
    "workers",
    "companies",
    "agencies",
    "drivers",
    "bosses",
    "women",
    "sellers",
    "buyers",
    "inspectors",
]
_VERBS = [
    "reported",
    "said",
    "complained",
    "noted",
    "explained",
    "warned",
    "confirmed",
    "claimed",
    "saw",
    "heard",
    "expected",
]
_THINGS = [
    "prices",
    "shipments",
    "crackdowns",
    "bribes",
    "permits",
    "inspections",
    "quotas",
    "fees",
    "stalls",
    "trucks",
    "trains",
    "boats",
    "loads",
    "routes",
    "checkpoints",
    "deliveries",
    "wages",
    "goods",
    "stocks",
    "rations",
]
_CHANGES = [
    "rose",
    "fell",
    "doubled",
    "halved",
    "stalled",
    "resumed",
    "slowed",
    "recovered",
    "tightened",
    "eased",
]
_PLACES = ("the border", "the market", "the customs post", "the river", "the station")


@dataclass(frozen=True)
class Statement:
    """One SQL statement as the answer sent it to the driver."""

    sql: str
    params: tuple[Any, ...]


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_WORDS).capitalize()} {rng.choice(_VERBS)} that {rng.choice(_THINGS)} "
        f"near {rng.choice(_PLACES)} {rng.choice(_CHANGES)} after {rng.choice(_THINGS)} "
        f"{rng.choice(_CHANGES)}."
    )


def _summary(rng: random.Random) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 300:
        parts.append(_sentence(rng))
    # The partner countries, as reports name them: China often, Russia now and then.
    roll = rng.random()
    if roll < 0.35:
        parts.insert(rng.randrange(len(parts) + 1), "Goods crossed from China.")
    elif roll < 0.42:
        parts.insert(rng.randrange(len(parts) + 1), "Russia took more of the loads.")
    return " ".join(parts)


def build(path: Path, reports: int, seed: int = 23) -> None:
    """Create a migrated database holding `reports` synthetic trade reports, then ANALYZE it."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    engine.dispose()
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    markets = con.execute("SELECT id, slug, kind FROM market").fetchall()
    market_ids = [m[0] for m in markets]
    weights = [float(BORDER.get(m[1], KIND_WEIGHTS.get(m[2], 1.0))) for m in markets]
    commodities = con.execute("SELECT id, name_en FROM commodity").fetchall()
    created = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    start = date(2015, 1, 1)
    span = (TODAY - start).days
    summaries = [_summary(rng) for _ in range(4_000)]
    links: list[tuple[int, int]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(reports):
            report_id = i + 1
            roll = rng.random()
            if roll < 0.03:
                observed, precision, sort_on = None, "unknown", UNDATED
            else:
                day = start + timedelta(days=rng.randrange(span))
                if roll < 0.62:
                    precision = "day"
                elif roll < 0.9:
                    precision, day = "month", day.replace(day=1)
                else:
                    precision, day = "year", day.replace(month=1, day=1)
                observed = sort_on = day.isoformat()
            topics = rng.sample(TOPICS, rng.choice((1, 1, 2, 2, 3)))
            goods: list[str] = []
            if rng.random() < 0.3:
                for commodity_id, name in rng.sample(commodities, rng.choice((1, 1, 2))):
                    goods.append(name.lower())
                    links.append((report_id, commodity_id))
            if rng.random() < 0.2:
                goods.append(rng.choice(GOODS))
            yield (
                report_id,
                rng.choices(market_ids, weights)[0],
                observed,
                precision,
                sort_on,
                json.dumps(topics),
                rng.choice(DIRECTIONS) if rng.random() < 0.5 else None,
                rng.choice(CHANNELS) if rng.random() < 0.4 else None,
                rng.choice(BORDER_STATUSES)
                if rng.random() < (0.7 if "border" in topics else 0.1)
                else None,
                rng.choice(MARKET_ACTIVITY)
                if rng.random() < (0.7 if "market-activity" in topics else 0.1)
                else None,
                json.dumps(goods),
                rng.choice(summaries),
                rng.choice(SOURCES),
                f"https://example.org/report/{report_id}",
                created,
                # One report in two hundred was deleted.
                created if rng.random() < 0.005 else None,
                f"{report_id:064x}",
            )

    con.execute("PRAGMA journal_mode=WAL")
    con.executemany(
        "INSERT INTO tradereport (id, market_id, observed_on, observed_precision, sort_on, topics, "
        "direction, channel, border_status, market_activity, goods, summary, source_name, "
        "source_url, created_at, deleted_at, natural_key) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows(),
    )
    con.executemany(
        "INSERT INTO tradereportcommodity (report_id, commodity_id) VALUES (?, ?)", links
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()


def capture(engine: Engine, catalogue: Catalogue, text: str) -> list[Statement]:
    """Answer `text` once and return every statement it ran, in order."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool) -> None:
        seen.append(Statement(sql, tuple(params or ())))

    event.listen(engine, "before_cursor_execute", record)
    try:
        ask(engine, catalogue, text, today=TODAY, lang="en")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def reports_queries(statements: Sequence[Statement]) -> list[Statement]:
    """Keep the reports searches: the statements on tradereport ordered newest first, limited."""
    return [
        s
        for s in statements
        if "FROM tradereport" in s.sql and "ORDER BY" in s.sql and "LIMIT" in s.sql
    ]


def plan(con: sqlite3.Connection, statement: Statement) -> str:
    """EXPLAIN QUERY PLAN of a statement, one step per `;`."""
    rows = con.execute(f"EXPLAIN QUERY PLAN {statement.sql}", statement.params).fetchall()
    return "; ".join(str(r[-1]) for r in rows)


def width(text: str) -> int:
    """Columns `text` takes in a terminal: Korean and Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _figures(answers: Sequence[float], references: Sequence[float]) -> dict[str, float]:
    return {
        "answer_p50": statistics.median(answers),
        "answer_p95": p95(answers),
        "reference_p50": statistics.median(references),
        "reference_p95": p95(references),
        "ratio": p95(answers) / p95(references),
    }


def measure(
    path: Path, questions: Sequence[str] = QUESTIONS, rounds: int = 200, warmup: int = 20
) -> dict[str, Any]:
    """Time each question's answer and its reference query on the database at `path`."""
    engine = make_engine(f"sqlite:///{path}")
    catalogue = load_catalogue(engine)
    raw = sqlite3.connect(path)
    try:
        captured = {q: capture(engine, catalogue, q) for q in questions}
        references = {q: reports_queries(captured[q]) for q in questions}
        for q, found in references.items():
            if not found:
                raise RuntimeError(f"{q!r}: the answer ran no reports query")

        def reference(q: str) -> None:
            for s in references[q]:
                raw.execute(s.sql, s.params).fetchall()

        def through_engine(q: str) -> None:
            with engine.connect() as conn:
                for s in references[q]:
                    conn.exec_driver_sql(s.sql, s.params).fetchall()

        def read_and_reference(q: str) -> None:
            read(catalogue, q, today=TODAY, lang="en")
            reference(q)

        def answer(q: str) -> None:
            ask(engine, catalogue, q, today=TODAY, lang="en")

        def first_time(q: str) -> None:  # the same answer, nothing remembered of the text
            ask(engine, catalogue, q, today=TODAY, lang="en")

        def forget() -> None:
            catalogue.commodities.forget()
            catalogue.markets.forget()
            forget_normalized()

        calls = (reference, read_and_reference, answer, through_engine, first_time)
        times: dict[Callable[[str], None], dict[str, list[float]]] = {
            call: {q: [] for q in questions} for call in calls
        }
        for _ in range(warmup):  # warm caches on every path
            for q in questions:
                for call in calls:
                    call(q)
        for i in range(rounds):
            for q in questions:
                # Interleaved, each first in turn, so drift and cache state favour none.
                for call in calls[i % len(calls) :] + calls[: i % len(calls)]:
                    if call is first_time:
                        forget()
                    t0 = time.perf_counter()
                    call(q)
                    times[call][q].append(time.perf_counter() - t0)
        reference_times, read_times, answer_times, engine_times, cold_times = (
            times[c] for c in calls
        )
        per_question = {}
        for q in questions:
            per_question[q] = {
                **_figures(answer_times[q], reference_times[q]),
                "read_reference_p50": statistics.median(read_times[q]),
                "read_reference_p95": p95(read_times[q]),
                "engine_p50": statistics.median(engine_times[q]),
                "engine_p95": p95(engine_times[q]),
                "engine_ratio": p95(answer_times[q]) / p95(engine_times[q]),
                "statements": len(captured[q]),
                "searches": len(references[q]),
                "sql": references[q][-1].sql,
                "params": references[q][-1].params,
                "plan": " | ".join(plan(raw, s) for s in references[q]),
            }
        every_answer = [t for q in questions for t in answer_times[q]]
        every_reference = [t for q in questions for t in reference_times[q]]
        every_read = [t for q in questions for t in read_times[q]]
        every_engine = [t for q in questions for t in engine_times[q]]
        every_cold = [t for q in questions for t in cold_times[q]]
        overall = {
            **_figures(every_answer, every_reference),
            "read_reference_p50": statistics.median(every_read),
            "read_reference_p95": p95(every_read),
            "read_ratio": p95(every_answer) / p95(every_read),
            "engine_p50": statistics.median(every_engine),
            "engine_p95": p95(every_engine),
            "engine_ratio": p95(every_answer) / p95(every_engine),
            "cold_p50": statistics.median(every_cold),
            "cold_p95": p95(every_cold),
            "cold_ratio": p95(every_cold) / p95(every_engine),
        }
    finally:
        raw.close()
        engine.dispose()
    return {
        "questions": per_question,
        "overall": overall,
        "samples": rounds,
        "met": overall["engine_ratio"] <= TARGET,
    }


def run(
    reports: int = 100_000, rounds: int = 200, questions: Sequence[str] = QUESTIONS
) -> dict[str, Any]:
    """Build the database, measure, clean up; return the figures (seconds) and the ratios."""
    folder = Path(tempfile.mkdtemp(prefix="jm-bench-conditions-"))
    try:
        path = folder / "bench.sqlite3"
        t0 = time.perf_counter()
        build(path, reports)
        build_seconds = time.perf_counter() - t0
        result = measure(path, questions, rounds=rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"reports": reports, "build_seconds": build_seconds, **result}
