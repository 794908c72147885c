"""Fuzzy resolution of commodity and place names in English, Korean and Chinese."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from rapidfuzz.distance import OSA

from bot.domain.text import compact, jamo, keys_adjacent, normalize, script_of, sorted_key

SCRIPTS = ("latin", "hangul", "han")
# A name is offered as a suggestion when it is within this share of the query's length in edits.
_SUGGEST_SHARE = 0.4
# Only the names sharing the most character pairs with the query are compared in full, so a query
# costs the same whatever the catalogue's size; a name a few slips away keeps most of its pairs
# and ranks near the top of that count.
_SHORTLIST = 48
_COUNT = itemgetter(1)
# Chinese place names are also written without their administrative suffix: 三水郡 -> 三水.
_HAN_PLACE_SUFFIXES = ("市", "郡", "县", "縣", "区", "區", "道")


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


def form_of(text: str) -> str:
    """Return the string names are compared as: no spaces, and Hangul split into jamo."""
    key = compact(text)
    return jamo(key) if script_of(key) == "hangul" else key


def bigrams(form: str) -> set[str]:
    """Return the character pairs of a form, with its start and end marked ("^r", "ri", … "e$")."""
    marked = f"\x02{form}\x03"
    return {marked[i : i + 2] for i in range(len(marked) - 1)}


def allowed_edits(script: str, length: int) -> int:
    """Return how many slips a name of this length may carry and still be taken without asking."""
    if script == "han" or length <= 2 or (script == "hangul" and length <= 3):
        # Chinese names are two or three characters and a Hangul syllable is a whole word:
        # one wrong character there is another word, not a slip.
        return 0
    if length <= 7:
        return 1
    return 2 if length <= 12 else 3


def plausible_slip(query: str, name: str, distance: int, script: str) -> bool:
    """Tell whether `query` reads as `name` typed with slips rather than as another word."""
    if distance == 0:
        return True
    # People rarely get the first letter wrong; "ice" and "tomato" are other words.
    if distance > allowed_edits(script, len(name)) or query[0] != name[0]:
        return False
    if len(name) > 4:
        return True
    if script == "hangul":
        return query[-1] == name[-1]
    return _short_slip(query, name)


def _short_slip(query: str, name: str) -> bool:
    # In a word of three or four letters one edit reaches many real words ("coin", "cord" and
    # "corn"), so only slips typing explains are taken: a doubled or stray key, a dropped letter
    # that does not leave an unfinished word, two swapped letters, or a neighbouring key.
    if len(query) == len(name) + 1:
        return True
    if len(query) == len(name) - 1:
        return not name.startswith(query)
    diffs = [i for i, (a, b) in enumerate(zip(query, name, strict=True)) if a != b]
    if len(diffs) == 2:
        return diffs[1] == diffs[0] + 1
    return len(diffs) == 1 and keys_adjacent(query[diffs[0]], name[diffs[0]])


def _words_agree(query: str, name: str) -> bool:
    # A query with as many words as the name must match word by word: "rice wine" is two edits
    # from "rice white" but "wine" is not a slip of "white".
    query_words, name_words = query.split(), name.split()
    if len(query_words) != len(name_words) or len(name_words) < 2:
        return True
    for q, n in zip(query_words, name_words, strict=True):
        fq, fn = form_of(q), form_of(n)
        if not plausible_slip(fq, fn, OSA.distance(fq, fn), script_of(fn)):
            return False
    return True


_MEMO_SIZE = 20_000
# The longest names in the catalogue run to about 40 characters; a cell or an entry word several
# times longer names nothing, and fuzzy search over it costs more than it could find.
MAX_NAME_CHARS = 120


class Resolver:
    """Matches names against one catalogue; choices are prepared once, at construction."""

    def __init__(
        self, entries: Iterable[Entry], *, parents: Mapping[int, int | None] | None = None
    ) -> None:
        """`parents` (places: entry id -> the id of the place it lies in) lets a name that a
        place shares with the region around it (Yangon in Yangon) name the place alone."""
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._exact: dict[str, set[int]] = {}
        self._reordered: dict[str, set[int]] = {}
        self._words: dict[str, set[int]] = {}
        self._forms: dict[str, list[str]] = {s: [] for s in SCRIPTS}
        self._names: dict[str, list[str]] = {s: [] for s in SCRIPTS}
        self._owners: dict[str, list[int]] = {s: [] for s in SCRIPTS}
        self._index: dict[str, dict[str, list[int]]] = {s: {} for s in SCRIPTS}
        stems: dict[str, set[int]] = {}
        for index, entry in enumerate(self.entries):
            seen: set[str] = set()
            for name in (Name(entry.slug.replace("-", " "), "en"), *entry.names):
                text = normalize(name.text)
                key = text.replace(" ", "")
                if not key:
                    continue
                self._exact.setdefault(key, set()).add(index)
                words = text.split()
                if len(words) > 1:
                    self._reordered.setdefault(sorted_key(text), set()).add(index)
                    for word in words:
                        self._words.setdefault(word, set()).add(index)
                script = script_of(key)
                if script == "han" and len(key) >= 3 and key.endswith(_HAN_PLACE_SUFFIXES):
                    stems.setdefault(key[:-1], set()).add(index)
                form = form_of(key)
                if form in seen:
                    continue
                seen.add(form)
                for pair in bigrams(form):
                    self._index[script].setdefault(pair, []).append(len(self._forms[script]))
                self._forms[script].append(form)
                self._names[script].append(text)
                self._owners[script].append(index)
        for stem, owners in stems.items():
            if stem not in self._exact and len(owners) == 1:
                self._exact[stem] = owners
        # Each pair's forms in order of length, with their lengths: a search counts only the
        # forms whose length is within its cutoff (no other can be within it).
        self._lengths: dict[str, dict[str, list[int]]] = {s: {} for s in SCRIPTS}
        for script, pairs in self._index.items():
            forms = self._forms[script]
            for pair, positions in pairs.items():
                positions.sort(key=lambda p, f=forms: len(f[p]))  # type: ignore[misc]
                self._lengths[script][pair] = [len(forms[p]) for p in positions]
        if parents:
            for table in (self._exact, self._reordered):
                for key, owners in table.items():
                    if len(owners) > 1:
                        table[key] = self._innermost(owners, parents)
        # Fuzzy results by text: one question tries the same word groups several times, and
        # people ask the same questions. Bounded; a new catalogue gets a new resolver.
        self._memo: dict[tuple[str, int], Resolution] = {}

    def _innermost(self, owners: set[int], parents: Mapping[int, int | None]) -> set[int]:
        """Drop the owners that hold another owner (a region named like its city)."""
        ids = {self.entries[i].id: i for i in owners}
        outer: set[int] = set()
        for ident in ids:
            seen: set[int] = set()
            parent = parents.get(ident)
            while parent is not None and parent not in seen:
                seen.add(parent)
                if parent in ids:
                    outer.add(ids[parent])
                parent = parents.get(parent)
        return owners - outer if outer and owners - outer else owners

    def forget(self) -> None:
        """Drop the remembered results (benchmarks measure a question read the first time)."""
        self._memo.clear()

    def choices(self, script: str = "latin") -> list[str]:
        """Return the normalised names searched for queries in one script."""
        return list(self._names[script])

    def exact(self, text: str) -> list[Entry]:
        """Return the entries one of whose names equals the text after normalisation."""
        return [self.entries[i] for i in sorted(self._exact.get(compact(text), ()))]

    def resolve(self, text: str, *, limit: int = 5) -> Resolution:
        """Resolve a name: exact alias first, then fuzzy matching with per-script rules."""
        key = (text, limit)
        found = self._memo.get(key)
        if found is None:
            found = self._resolve(text, limit)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _resolve(self, text: str, limit: int) -> Resolution:
        query = normalize(text)
        if not query or len(query) > MAX_NAME_CHARS:
            # Nothing to match, or far longer than any name: fuzzy search would only cost time.
            return Resolution(query=text)
        owners = self._exact.get(query.replace(" ", "")) or self._reordered.get(sorted_key(query))
        if owners:
            hits = tuple(Candidate(self.entries[i], 100.0, query) for i in sorted(owners))
            if len(hits) == 1:
                return Resolution(query=text, match=hits[0])
            return Resolution(query=text, candidates=hits)
        ranked, winner = self._search(query, limit)
        if winner is not None:
            return Resolution(query=text, match=winner)
        return Resolution(query=text, candidates=tuple(ranked))

    def rank(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Return up to `limit` distinct entries worth suggesting, best first."""
        query = normalize(text)
        return self._search(query, limit)[0] if query else []

    def _search(self, query: str, limit: int) -> tuple[list[Candidate], Candidate | None]:
        script = script_of(query)
        form = form_of(query)
        best: dict[int, Candidate] = {}
        distances: dict[int, tuple[int, int]] = {}
        forms = self._forms[script]
        shared: Counter[int] = Counter()
        index, lengths = self._index[script], self._lengths[script]
        cutoff = max(1, int(len(form) * _SUGGEST_SHARE))
        shortest, longest = len(form) - cutoff, len(form) + cutoff
        for pair in bigrams(form):
            positions = index.get(pair)
            if positions:
                sizes = lengths[pair]
                window = positions[bisect_left(sizes, shortest) : bisect_right(sizes, longest)]
                shared.update(window)
        # As shared.most_common(_SHORTLIST) (ties in first-counted order), sorted in C: the
        # pure-Python heap of most_common cost more than the counting on a large catalogue.
        for position, _count in sorted(shared.items(), key=_COUNT, reverse=True)[:_SHORTLIST]:
            choice = forms[position]
            distance = OSA.distance(form, choice, score_cutoff=cutoff)
            if distance <= cutoff:
                owner = self._owners[script][position]
                if owner in distances and distances[owner][0] <= distance:
                    continue
                distances[owner] = (int(distance), position)
                score = 100.0 * (1 - distance / max(len(form), len(choice)))
                best[owner] = Candidate(self.entries[owner], score, self._names[script][position])
        for owner, name, score in self._partial(query):
            if owner not in best or best[owner].score < score:
                best[owner] = Candidate(self.entries[owner], score, name)
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.entry.display))[:limit]
        return ranked, self._winner(query, form, script, distances, best)

    def _winner(
        self,
        query: str,
        form: str,
        script: str,
        distances: dict[int, tuple[int, int]],
        best: dict[int, Candidate],
    ) -> Candidate | None:
        if not distances:
            return None
        order = sorted(distances.items(), key=lambda item: item[1][0])
        owner, (distance, position) = order[0]
        if len(order) > 1 and order[1][1][0] <= distance:
            return None  # two entries are as close: ask
        name = self._names[script][position]
        if plausible_slip(form, self._forms[script][position], distance, script) and _words_agree(
            query, name
        ):
            return Candidate(self.entries[owner], best[owner].score, name)
        return None

    def _partial(self, query: str) -> Iterator[tuple[int, str, float]]:
        # Suggestions only: a whole name inside a longer query ("fresh pork", 옥수수빵) and a
        # query that is one word of longer names ("mushroom", "oil").
        key = query.replace(" ", "")
        for name in _pieces(query):
            for owner in self._exact.get(name.replace(" ", ""), ()):
                yield owner, name, min(90.0, 100.0 * len(name.replace(" ", "")) / len(key))
        for owner in self._words.get(query, ()):
            yield owner, query, 60.0


def _pieces(query: str) -> Iterator[str]:
    """Yield the parts of a query that could be a name inside it: runs of words, or substrings."""
    words = query.split()
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            yield " ".join(words[start : start + size])
    if script_of(query) != "latin":
        key = query.replace(" ", "")
        for size in range(len(key) - 1, 1, -1):
            for start in range(len(key) - size + 1):
                piece = key[start : start + size]
                if script_of(piece) != "latin":
                    yield piece


def contained_names(resolver: Resolver, text: str) -> list[tuple[Entry, str]]:
    """Return (entry, name) for Korean or Chinese names written inside a text without spaces."""
    key = compact(text)
    found: list[tuple[Entry, str]] = []
    seen: set[str] = set()
    # Longest first: 영지버섯 before 영지.
    for size in range(len(key), 1, -1):
        for start in range(len(key) - size + 1):
            piece = key[start : start + size]
            if piece in seen or script_of(piece) == "latin":
                continue
            seen.add(piece)
            found.extend(
                (resolver.entries[i], piece) for i in sorted(resolver._exact.get(piece, ()))
            )
    return found
