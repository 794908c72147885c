"""Fuzzy resolution of commodity and place names in English, Korean and Chinese."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.domain.text import compact, jamo, normalize, script_of

# Per script: (scorer, score at or above which one clear winner is taken, floor for suggestions).
# Latin names tolerate typos and word order; Hangul is compared in jamo so a wrong consonant is
# one edit; Chinese names are two or three characters, where one wrong character is a different
# word, so only suggestions come from fuzzy Chinese matches.
_SCRIPT_RULES = {
    "latin": (fuzz.WRatio, 85.0, 62.0),
    "hangul": (fuzz.ratio, 85.0, 60.0),
    "han": (fuzz.ratio, 101.0, 50.0),
}
# The winner must beat the runner-up by this much to be taken without asking.
_MARGIN = 6.0


@dataclass(frozen=True)
class Name:
    """One way of writing an entry's name, tagged with its language."""

    text: str
    lang: str


@dataclass(frozen=True)
class Entry:
    """Something that can be matched: a commodity or a place."""

    id: int
    slug: str
    display: str
    names: tuple[Name, ...]
    kind: str = ""


@dataclass(frozen=True)
class Candidate:
    """An entry with the score of its best-matching name."""

    entry: Entry
    score: float
    matched: str


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving a name: one confident match, candidates to ask about, or nothing."""

    query: str
    match: Candidate | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.match is not None


class Resolver:
    """Matches names against one catalogue; choices are prepared once, at construction."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._exact: dict[str, set[int]] = {}
        self._choices: dict[str, list[str]] = {"latin": [], "hangul": [], "han": []}
        self._owners: dict[str, list[int]] = {"latin": [], "hangul": [], "han": []}
        for index, entry in enumerate(self.entries):
            seen: set[tuple[str, str]] = set()
            for name in (Name(entry.slug.replace("-", " "), "en"), *entry.names):
                key = compact(name.text)
                if not key:
                    continue
                self._exact.setdefault(key, set()).add(index)
                script = script_of(key)
                prepared = jamo(key) if script == "hangul" else normalize(name.text)
                if (script, prepared) in seen:
                    continue
                seen.add((script, prepared))
                self._choices[script].append(prepared)
                self._owners[script].append(index)

    def exact(self, text: str) -> list[Entry]:
        """Return the entries one of whose names equals the text after normalisation."""
        return [self.entries[i] for i in sorted(self._exact.get(compact(text), ()))]

    def resolve(self, text: str, *, limit: int = 5) -> Resolution:
        """Resolve a name: exact alias first, then fuzzy matching with per-script cut-offs."""
        query = normalize(text)
        if not query:
            return Resolution(query=text)
        hits = self.exact(query)
        if len(hits) == 1:
            return Resolution(query=text, match=Candidate(hits[0], 100.0, query))
        if len(hits) > 1:
            return Resolution(
                query=text, candidates=tuple(Candidate(e, 100.0, query) for e in hits)
            )
        ranked = self.rank(query, limit=limit)
        if not ranked:
            return Resolution(query=text)
        script = script_of(query)
        _, confident, _ = _SCRIPT_RULES[script]
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= confident and best.score - runner_up >= _MARGIN:
            return Resolution(query=text, match=best)
        return Resolution(query=text, candidates=tuple(ranked))

    def rank(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Return up to `limit` distinct entries above the suggestion floor, best first."""
        query = normalize(text)
        if not query:
            return []
        script = script_of(query)
        scorer, _, floor = _SCRIPT_RULES[script]
        prepared = jamo(query.replace(" ", "")) if script == "hangul" else query
        choices = self._choices[script]
        owners = self._owners[script]
        if not choices:
            return []
        # Ask for more rows than entries wanted: several names of one entry may score high.
        rows = process.extract(
            prepared, choices, scorer=scorer, processor=None, limit=limit * 4, score_cutoff=floor
        )
        best: dict[int, Candidate] = {}
        for choice, score, position in rows:
            if script == "latin" and len(choice) * 1.5 <= len(prepared):
                # WRatio scores a short name found inside a longer query as a partial match
                # ("kangwon" contains "won"); a name much shorter than the query must match whole.
                score = min(score, fuzz.ratio(prepared, choice))
                if score < floor:
                    continue
            owner = owners[position]
            if owner not in best or score > best[owner].score:
                best[owner] = Candidate(self.entries[owner], float(score), choice)
        return sorted(best.values(), key=lambda c: (-c.score, c.entry.display))[:limit]


def contained_names(resolver: Resolver, text: str) -> list[tuple[Entry, str]]:
    """Return (entry, name) for Korean or Chinese names written inside a text without spaces."""
    key = compact(text)
    found: list[tuple[Entry, str]] = []
    for name, owners in resolver._exact.items():
        if len(name) >= 2 and script_of(name) != "latin" and name in key:
            found.extend((resolver.entries[i], name) for i in owners)
    # Longest names first: 영지버섯 before 영지.
    found.sort(key=lambda pair: -len(pair[1]))
    return found
