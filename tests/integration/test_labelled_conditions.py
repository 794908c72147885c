"""Trade-condition questions as people ask them, read and answered on the sample data.

The labelled set (tests/support/data/labelled_conditions.csv) is written from the 60 dated facts
of the sample reports: English, Korean and Chinese, with and without a place, with typos, mixed
with goods, and about things the reports do not cover.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.services import asking
from bot.services.catalogue import Catalogue, load_catalogue, sync_catalogue
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from tests.support.clock import NOW
from tests.support.db import sqlite_url

LABELLED = Path(__file__).resolve().parents[1] / "support" / "data" / "labelled_conditions.csv"
TODAY = NOW.date()
KINDS = {"en", "ko", "zh", "typo", "mixed", "no-place", "uncovered"}
TOPICS = {
    "border", "smuggling", "customs", "exports", "imports", "enforcement", "market-activity",
    "exchange-rate", "transport", "food-supply",
}  # fmt: skip


@dataclass(frozen=True)
class Labelled:
    query: str
    topics: str
    place: str
    commodity: str
    kind: str


def _labelled() -> list[Labelled]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


ROWS = _labelled()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Iterator[tuple[Engine, Catalogue]]:
    """The sample data on SQLite, loaded once for the whole set."""
    engine = make_engine(sqlite_url(tmp_path_factory.mktemp("labelled") / "sample.sqlite3"))
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    load_sample(engine, now=NOW)
    yield engine, load_catalogue(engine)
    engine.dispose()


def test_the_set_is_large_and_well_formed(sample) -> None:
    _engine, catalogue = sample
    assert len(ROWS) >= 150
    kinds = Counter(r.kind for r in ROWS)
    assert set(kinds) <= KINDS and all(kinds[k] >= 10 for k in KINDS), kinds
    assert len({r.query for r in ROWS}) == len(ROWS)
    for row in ROWS:
        assert set(filter(None, row.topics.split(";"))) <= TOPICS, row
        assert not row.place or row.place in catalogue.market_slugs, row
        assert not row.commodity or row.commodity in catalogue.commodity_slugs, row


def _reading(catalogue: Catalogue, row: Labelled) -> str | None:
    """Return why a question was misread, or None when its topic and place are right."""
    asked = asking.read(catalogue, row.query, today=TODAY, lang="en")
    if not isinstance(asked, asking.AboutConditions):
        return f"not read as a condition question: {asked!r}"[:200]
    query = asked.query
    expected = set(filter(None, row.topics.split(";")))
    if expected and not expected & set(query.topics):
        return f"topics {query.topics}, expected {sorted(expected)}"
    place = next((s for s, i in catalogue.market_slugs.items() if i == query.market_id), "")
    if place != row.place:
        return f"place {place!r}, expected {row.place!r}"
    good = next((s for s, i in catalogue.commodity_slugs.items() if i == query.commodity_id), "")
    if good != row.commodity:
        return f"good {good!r}, expected {row.commodity!r}"
    return None


def test_topic_and_place_are_right_for_95_percent(sample) -> None:
    _engine, catalogue = sample
    misses = {row.query: why for row in ROWS if (why := _reading(catalogue, row)) is not None}
    rate = 1 - len(misses) / len(ROWS)
    assert rate >= 0.95, misses
    by_kind = Counter(r.kind for r in ROWS if r.query in misses)
    # No kind is left behind: each is read right at least nine times in ten.
    for kind, n in Counter(r.kind for r in ROWS).items():
        assert by_kind[kind] <= n // 10, (kind, by_kind[kind], misses)


def test_every_condition_question_gets_reports_or_what_is_known(sample) -> None:
    """Never a price-only answer, never "unknown commodity"; a mixed question gets both."""
    engine, catalogue = sample
    for row in ROWS:
        reply = asking.ask(engine, catalogue, row.query, today=TODAY, lang="en")
        text = reply.text or ""
        assert "know a commodity" not in text, row
        assert (
            "Trade conditions" in text  # a page of reports or a briefing
            or "No reports on" in text  # nothing matched: what is known instead
        ), (row, text[:300])
        if row.kind == "mixed":
            name = catalogue.commodity_labels[catalogue.commodity_slugs[row.commodity]].en
            # The price part comes first: the figure, or that there is none yet.
            first = text.split("\n", 1)[0].lower()
            assert name.lower() in first and "trade conditions" not in first, (row, text[:200])
            assert "Trade conditions" in text or "No reports on" in text


def test_uncovered_questions_say_what_is_known(sample) -> None:
    engine, catalogue = sample
    text = asking.ask(engine, catalogue, "customs in musan", today=TODAY, lang="en").text or ""
    assert text.startswith("No reports on customs in Musan.")
    assert "For Musan I have 1 report (Apr 2020) on: " in text
    assert "border" in text.split("on:")[1]
    nothing = asking.ask(engine, catalogue, "경원 국경", today=TODAY, lang="en").text or ""
    assert "No trade-condition reports for Gyeongwon yet." in nothing
    assert "Reports are filed for:" in nothing and "Hyesan" in nothing
