"""The resolver and the question parser against labelled questions, on the real catalogue files."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.domain.matching import Resolver
from bot.domain.query import ParsedQuery, parse_query
from tests.support.catalogue import COMMODITIES, MARKETS

LABELLED = Path(__file__).resolve().parents[2] / "support" / "data" / "labelled_queries.csv"
TODAY = date(2026, 11, 28)
KINDS = {
    "typo",
    "alias",
    "korean",
    "korean-nk",
    "chinese",
    "romanisation",
    "mixed-place",
    "mixed-time",
    "exact",
    "out-of-catalogue",
}
NOT_IN_CATALOGUE = "-"


@dataclass(frozen=True)
class Labelled:
    query: str
    commodity: str
    market: str
    kind: str


def _labelled() -> list[Labelled]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


ROWS = _labelled()


def _parse(text: str) -> ParsedQuery:
    return parse_query(text, commodities=COMMODITIES, markets=MARKETS, today=TODAY)


def _slug(parsed_match: object) -> str | None:
    return parsed_match.entry.slug if parsed_match is not None else None  # type: ignore[attr-defined]


def _describe(parsed: ParsedQuery) -> str:
    def side(resolution) -> str:
        if resolution is None:
            return "none"
        if resolution.match is not None:
            return f"{resolution.match.entry.slug} ({resolution.match.score:.0f})"
        names = ", ".join(c.entry.slug for c in resolution.candidates[:3])
        return f"ask [{names}]" if names else "not found"

    period = parsed.period.label if parsed.period else parsed.period_problem or "-"
    return (
        f"commodity {parsed.commodity_text!r} -> {side(parsed.commodity)}; "
        f"market {parsed.market_text!r} -> {side(parsed.market)}; time {period}"
    )


def _correct(row: Labelled, parsed: ParsedQuery) -> bool:
    """Only a confident match counts: a right first candidate is still a question to the user."""
    if row.commodity == NOT_IN_CATALOGUE:
        return parsed.commodity.match is None
    if _slug(parsed.commodity.match) != row.commodity:
        return False
    if row.market:
        if parsed.market is None or _slug(parsed.market.match) != row.market:
            return False
    elif parsed.market is not None:
        return False
    return row.kind != "mixed-time" or parsed.period is not None


def test_the_labelled_set_is_well_formed():
    commodity_slugs = {e.slug for e in COMMODITIES.entries}
    market_slugs = {e.slug for e in MARKETS.entries}
    kinds = Counter(row.kind for row in ROWS)
    assert len(ROWS) >= 300 and set(kinds) == KINDS
    assert kinds["out-of-catalogue"] >= 50
    assert len({row.query for row in ROWS}) == len(ROWS), "duplicate queries"
    for row in ROWS:
        assert row.commodity in commodity_slugs | {NOT_IN_CATALOGUE}, row
        assert not row.market or row.market in market_slugs, row
        assert (row.commodity == NOT_IN_CATALOGUE) == (row.kind == "out-of-catalogue"), row


def test_accuracy_on_the_labelled_questions():
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    failures = []
    for row in ROWS:
        parsed = _parse(row.query)
        totals[row.kind] += 1
        if _correct(row, parsed):
            right[row.kind] += 1
        else:
            failures.append(f"  [{row.kind}] {row.query!r} -> {_describe(parsed)}")
    inside = [k for k in totals if k != "out-of-catalogue"]
    top1 = sum(right[k] for k in inside) / sum(totals[k] for k in inside)
    outside = right["out-of-catalogue"] / totals["out-of-catalogue"]
    report = [
        f"{k:18} {right[k]:4}/{totals[k]:<4} {right[k] / totals[k]:7.1%}" for k in sorted(totals)
    ]
    report.append(f"{'in catalogue top-1':18} {top1:7.1%}   not guessed outside {outside:7.1%}")
    print("\n".join(report))
    if failures:
        print("Failures:\n" + "\n".join(failures))
    assert top1 >= 0.95 and outside >= 0.98, "\n".join(report + failures)


def _aliases(resolver: Resolver):
    for entry in resolver.entries:
        for name in {entry.slug.replace("-", " "), *(n.text for n in entry.names)}:
            yield entry.slug, name


@pytest.mark.parametrize(("slug", "name"), sorted(_aliases(COMMODITIES)))
def test_every_commodity_name_resolves_exactly(slug, name):
    assert _slug(COMMODITIES.resolve(name).match) == slug
    parsed = _parse(name)
    assert _slug(parsed.commodity.match) == slug and parsed.market is None, _describe(parsed)


@pytest.mark.parametrize(("slug", "name"), sorted(_aliases(MARKETS)))
def test_every_place_name_resolves_exactly(slug, name):
    assert _slug(MARKETS.resolve(name).match) == slug
    parsed = _parse(f"rice {name}")
    assert _slug(parsed.commodity.match) == "rice", _describe(parsed)
    assert parsed.market is not None and _slug(parsed.market.match) == slug, _describe(parsed)
