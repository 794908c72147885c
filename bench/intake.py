"""Figure extraction against the labelled passages: precision, recall and F1 per language.

A figure found counts when its commodity, low, high, currency and unit all match a labelled one
(each labelled figure matches once). A good outside the catalogue matches by its words: the
labelled words inside the words read, or the other way round ("solar panels" and "Chinese-made
solar panels"). `when` is not part of the match; the share of matched figures whose `when` agrees
is printed beside it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.extraction import extract_figures
from bot.domain.intake import FoundFigure
from bot.domain.matching import Resolver
from bot.domain.text import normalize
from tests.support.catalogue import catalogue_resolvers

LABELLED = Path(__file__).resolve().parents[1] / "tests/support/data/labelled_passages.jsonl"
LANGS = ("en", "ko", "zh", "ja")


@dataclass(frozen=True)
class Passage:
    id: str
    lang: str
    text: str
    figures: tuple[dict[str, Any], ...]
    published: date | None = None


def passages(path: Path = LABELLED) -> list[Passage]:
    """Read the labelled passages, one JSON object a line."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        published = date.fromisoformat(row["published"]) if row.get("published") else None
        out.append(Passage(row["id"], row["lang"], row["text"], tuple(row["figures"]), published))
    return out


def matches(found: FoundFigure, label: dict[str, Any], commodities: Resolver) -> bool:
    """Tell whether a figure found is the labelled one (commodity, low, high, currency, unit)."""
    same_values = (
        found.low == float(label["low"])
        and found.high == float(label["high"])
        and found.currency == label["currency"]
        and found.unit == label["unit"]
    )
    if not same_values:
        return False
    named = [
        e for e in commodities.entries if e.display.casefold() == label["commodity"].casefold()
    ]
    if named:
        return found.commodity_id == named[0].id
    if found.commodity_id is not None:
        return False
    read, said = normalize(found.commodity_words), normalize(label["commodity"])
    return bool(read and said) and (said in read or read in said)


@dataclass
class Score:
    passages: int = 0
    labelled: int = 0
    found: int = 0
    matched: int = 0
    when_agrees: int = 0
    no_price_passages: int = 0
    no_price_with_figures: int = 0

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, float | int]:
        precision = self.matched / self.found if self.found else 1.0
        recall = self.matched / self.labelled if self.labelled else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "when": round(self.when_agrees / self.matched, 3) if self.matched else 1.0,
            **{name: getattr(self, name) for name in self.__dataclass_fields__},
        }


def score_passage(
    passage: Passage, commodities: Resolver, markets: Resolver
) -> tuple[Score, list[FoundFigure], list[dict[str, Any]]]:
    """Score one passage; return its score, the figures found unmatched and the labels missed."""
    found = extract_figures(
        passage.text,
        commodities=commodities,
        markets=markets,
        published=passage.published,
        lang=passage.lang,
    )
    missed = list(passage.figures)
    extra: list[FoundFigure] = []
    score = Score(passages=1, labelled=len(missed), found=len(found))
    for figure in found:
        label = next((lab for lab in missed if matches(figure, lab, commodities)), None)
        if label is None:
            extra.append(figure)
            continue
        missed.remove(label)
        score.matched += 1
        score.when_agrees += figure.when == label["when"]
    if not passage.figures:
        score.no_price_passages = 1
        score.no_price_with_figures = int(bool(found))
    return score, extra, missed


def run(rows: Iterable[Passage] | None = None) -> dict[str, Any]:
    """Return per language and overall precision, recall, F1 and counts, and the seconds taken."""
    commodities, markets = catalogue_resolvers()
    scores = {lang: Score() for lang in LANGS}
    started = time.perf_counter()
    for passage in passages() if rows is None else rows:
        score, _extra, _missed = score_passage(passage, commodities, markets)
        scores.setdefault(passage.lang, Score()).add(score)
    seconds = time.perf_counter() - started
    overall = Score()
    for score in scores.values():
        overall.add(score)
    return {
        "languages": {lang: score.figures() for lang, score in scores.items()},
        "overall": overall.figures(),
        "seconds": round(seconds, 3),
    }


def main() -> None:
    result = run()
    print("Figure extraction on the labelled passages (commodity, low, high, currency, unit)")
    header = f"{'':8} {'passages':>8} {'labelled':>8} {'found':>6} {'matched':>7}"
    print(f"{header} {'precision':>9} {'recall':>7} {'F1':>6} {'when':>6} {'no-price hit':>12}")
    rows = [*result["languages"].items(), ("overall", result["overall"])]
    for name, f in rows:
        print(
            f"{name:8} {f['passages']:>8} {f['labelled']:>8} {f['found']:>6} {f['matched']:>7} "
            f"{f['precision']:>9.3f} {f['recall']:>7.3f} {f['f1']:>6.3f} {f['when']:>6.3f} "
            f"{f['no_price_with_figures']:>5}/{f['no_price_passages']:<6}"
        )
    print(f"{result['seconds']:.3f} s for every passage")


if __name__ == "__main__":
    main()
