"""The intent layer against questions as people ask them, on the real catalogue files."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.domain.intent import Ask
from bot.domain.query import ParsedQuery, parse_query
from tests.support.catalogue import COMMODITIES, MARKETS

LABELLED = Path(__file__).resolve().parents[2] / "support" / "data" / "labelled_intents.csv"
TODAY = date(2026, 11, 28)
KINDS = {"en", "ko", "zh", "typo", "mixed"}


@dataclass(frozen=True)
class Labelled:
    query: str
    intent: str
    commodity: str
    markets: str
    start: str
    currency: str
    kind: str


def _labelled() -> list[Labelled]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


ROWS = _labelled()


def _parse(text: str) -> ParsedQuery:
    return parse_query(text, commodities=COMMODITIES, markets=MARKETS, today=TODAY)


def _places(parsed: ParsedQuery) -> list[str]:
    places = parsed.places or (
        ((parsed.market_text or "", parsed.market),) if parsed.market is not None else ()
    )
    return [p.match.entry.slug if p.match else f"?{text}" for text, p in places]


def _reading(parsed: ParsedQuery) -> str:
    commodity = parsed.commodity.match.entry.slug if parsed.commodity.match else "-"
    start = parsed.period.start.isoformat() if parsed.period and parsed.period.start else "-"
    return (
        f"{parsed.asks.value} commodity={commodity} places={';'.join(_places(parsed)) or '-'} "
        f"start={start} currency={parsed.intent.currency or '-'} cues={parsed.intent.cues}"
    )


def _correct(row: Labelled, parsed: ParsedQuery) -> bool:
    """The intent, the commodity and the places all right; a question back counts as wrong."""
    if parsed.asks.value != row.intent:
        return False
    if row.intent == Ask.OFF_TOPIC:
        return True
    commodity = parsed.commodity.match.entry.slug if parsed.commodity.match else ""
    if row.commodity and commodity != row.commodity:
        return False
    if not row.commodity and row.intent != Ask.CONDITIONS and commodity:
        return False
    return sorted(_places(parsed)) == sorted(filter(None, row.markets.split(";")))


def _period_right(row: Labelled, parsed: ParsedQuery) -> bool:
    if row.intent == Ask.OFF_TOPIC:
        return True  # "today's weather" names a day, and nothing is looked up
    start = parsed.period.start.isoformat() if parsed.period and parsed.period.start else ""
    return start == row.start and (parsed.intent.currency or "") == row.currency


def test_the_labelled_set_is_well_formed():
    commodity_slugs = {e.slug for e in COMMODITIES.entries}
    market_slugs = {e.slug for e in MARKETS.entries}
    intents = Counter(row.intent for row in ROWS)
    kinds = Counter(row.kind for row in ROWS)
    assert len(ROWS) >= 200 and set(kinds) == KINDS
    assert set(intents) == {a.value for a in Ask}
    assert all(n >= 15 for n in intents.values()), intents
    assert len({row.query for row in ROWS}) == len(ROWS), "duplicate queries"
    for row in ROWS:
        assert not row.commodity or row.commodity in commodity_slugs, row
        assert all(m in market_slugs for m in filter(None, row.markets.split(";"))), row
        for language in ("ko", "zh"):
            assert intents and any(r.kind == language and r.intent == row.intent for r in ROWS)


def test_accuracy_on_the_labelled_intents():
    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    failures = []
    timed = timed_right = 0
    for row in ROWS:
        parsed = _parse(row.query)
        totals[row.intent] += 1
        totals[row.kind] += 1
        if _correct(row, parsed):
            right[row.intent] += 1
            right[row.kind] += 1
            timed += 1
            timed_right += _period_right(row, parsed)
            if not _period_right(row, parsed):
                failures.append(f"  [time] {row.query!r} -> {_reading(parsed)}")
        else:
            failures.append(f"  [{row.intent}/{row.kind}] {row.query!r} -> {_reading(parsed)}")
    overall = sum(right[k] for k in KINDS) / len(ROWS)
    report = [f"{k:12} {right[k]:4}/{totals[k]:<4} {right[k] / totals[k]:7.1%}" for k in totals]
    report.append(f"{'all':12} {overall:7.1%}; time and currency right {timed_right}/{timed}")
    print("\n".join(report))
    if failures:
        print("Failures:\n" + "\n".join(failures))
    assert overall >= 0.95, "\n".join(report + failures)
    assert timed_right >= 0.95 * timed, "\n".join(report + failures)
