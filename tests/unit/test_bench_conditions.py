"""The trade-condition bench runs on a small database and replays the answer's own reports query.

Only what it measures is checked here, never how long anything takes: `python -m bench conditions`
prints the figures.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bench import conditions

REPORTS = 2_000


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("bench") / "bench.sqlite3"
    conditions.build(path, REPORTS)
    return path, conditions.measure(path, rounds=3, warmup=1)


def test_build_fills_and_analyses_the_reports(measured: tuple[Path, dict[str, Any]]) -> None:
    path, _ = measured
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM tradereport").fetchone() == (REPORTS,)
        assert con.execute("SELECT count(*) FROM tradereportcommodity").fetchone()[0] > 0
        undated = con.execute(
            "SELECT count(*) FROM tradereport WHERE sort_on = '0001-01-01' "
            "AND observed_on IS NULL AND observed_precision = 'unknown'"
        ).fetchone()[0]
        assert 0 < undated < REPORTS * 0.1
        topics = con.execute("SELECT topics FROM tradereport LIMIT 1").fetchone()[0]
        assert topics.startswith('["')
        assert con.execute(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tradereport'"
        ).fetchone()[0]
    finally:
        con.close()


def test_every_question_is_timed_against_its_reports_query(
    measured: tuple[Path, dict[str, Any]],
) -> None:
    _, result = measured
    assert set(result["questions"]) == set(conditions.QUESTIONS)
    for question, f in result["questions"].items():
        assert f["searches"] == 1, question
        sql = " ".join(f["sql"].split())
        assert sql.startswith("SELECT tradereport.id, "), question
        assert "FROM tradereport WHERE tradereport.deleted_at IS NULL" in sql, question
        assert sql.endswith(
            "ORDER BY tradereport.sort_on DESC, tradereport.id DESC LIMIT ? OFFSET ?"
        ), question
        assert f["params"][-2:] == (4, 0), question  # a page of three and one more, newest first
        assert "USING INDEX" in f["plan"], question
    hyesan = result["questions"]["smuggling hyesan"]
    assert "tradereport.market_id IN (?, ?)" in hyesan["sql"]  # Hyesan and Ryanggang
    assert "CAST(tradereport.topics AS VARCHAR) LIKE ?" in hyesan["sql"]
    assert '%"smuggling"%' in hyesan["params"]
    assert hyesan["params"] == result["questions"]["혜산 밀수"]["params"]
    china = result["questions"]["what is north korea exporting to china"]
    assert "market_id" not in china["sql"].split("WHERE", 1)[1]  # the whole country
    assert "%China%" in china["params"]
    assert "2024-01-01" in result["questions"]["customs pyongyang 2024"]["params"]


def test_the_figures_are_reported(measured: tuple[Path, dict[str, Any]]) -> None:
    _, result = measured
    o = result["overall"]
    for key in ("answer", "reference", "read_reference"):
        assert 0 < o[f"{key}_p50"] <= o[f"{key}_p95"]
    assert o["ratio"] == pytest.approx(o["answer_p95"] / o["reference_p95"])
    # The target is judged against the reports query replayed through the bot's engine.
    assert o["engine_ratio"] == pytest.approx(o["answer_p95"] / o["engine_p95"])
    assert result["met"] == (o["engine_ratio"] <= conditions.TARGET)
    assert result["samples"] == 3
