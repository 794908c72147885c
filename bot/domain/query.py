"""Splitting a question into what it asks, the commodity, the places and the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from bot.domain.intent import Ask, Intent, read_intent
from bot.domain.matching import Candidate, Entry, Resolution, Resolver, contained_names
from bot.domain.periods import Period, extract_period
from bot.domain.text import normalize, script_of


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# Words that name nothing: question words, "price", units, and qualifiers that do not change the
# good ("fresh", "local"). Korean ones are matched after particles are removed.
_STOPWORDS = frozenset(
    (
        *_listed("how much many is are was were the a an of in at for to on and from by with"),
        *_listed("price prices priced cost costs costing what whats which does do did can could"),
        *_listed("today now current currently latest recent last market markets rate rates"),
        *_listed("exchange value please tell me show give i want know about per kg kilo kilogram"),
        *_listed("kilograms gram grams piece pack head it there selling sold sell buy fresh local"),
        *_listed("domestic imported retail wholesale average quote quotes going over within"),
        *_listed("during these this that those here right any some like around approximately"),
    )
)
_KO_STOPWORDS = frozenset(
    (
        *_listed(
            "얼마 얼마야 얼마예요 얼마에요 얼마인가요 얼마나 얼만가요 얼만데 가격 시세 값 환율"
        ),
        *_listed("시장 장마당 지금 현재 오늘 알려줘 알려주세요 좀 은 는 의 에서 어때 어때요"),
        *_listed("요 이 가 을 를 도 킬로 킬로그램 근 1kg 1근 곳 곳은 곳이 데 어디 좀 및"),
        *_listed("지역 지역은 지역이 때 시기 언제 판매 판매는"),
    )
)
# Korean particles and "price" words written onto the end of a name: 쌀값이, 평양에서, 옥수수는.
_KO_SUFFIXES = (
    *_listed("에서는 에서의 에서 가격은 가격이 가격 시세는 시세가 시세 값은 값이 값도 값"),
    *_listed("환율은 환율이 환율 은요 는요 이요 은 는 이 가 을 를 의 도 요"),
    *_listed("이랑 하고 과 와 랑"),  # 평양과 혜산: "and" between names
)
# "And" between names, left as a word of its own once the names are cut out: 平壤和惠山, 평양과 혜산.
_CONNECTORS = frozenset(_listed("和 与 與 跟 及 还有 還有 或 或者 对 對 과 와 랑 이랑 하고"))
# Chinese fillers are removed wherever they stand, as Chinese has no spaces to find words by.
_ZH_FILLERS = (
    *_listed("多少钱 多少錢 价格 價格 价钱 價錢 多少 汇率 匯率 行情 市场 市場 市价 市價 请问 請問"),
    *_listed("怎么样 怎麼樣 一公斤 每公斤 一斤 每斤 的 在 是 吗 嗎 呢"),
)
_ZH_PRICE = ("价", "價")  # 金价 is "gold price"
# The longest place names in the catalogue run to five words ("democratic people's republic of korea").
_MAX_PLACE_WORDS = 6


@dataclass(frozen=True)
class ParsedQuery:
    """The intent, commodity, place and time parts of a question, each resolved."""

    commodity_text: str
    commodity: Resolution
    market_text: str | None
    market: Resolution | None
    period: Period | None = None
    period_problem: str | None = None
    intent: Intent = field(default_factory=Intent)
    # Every place named when there are two or more ("rice pyongyang vs hyesan"); the first is
    # also `market`.
    places: tuple[tuple[str, Resolution], ...] = ()

    @property
    def asks(self) -> Ask:
        """What the question asks, once its names are known."""
        intent = self.intent
        if intent.conditions:
            return Ask.CONDITIONS
        if intent.chatter and not self.names_found:
            return Ask.OFF_TOPIC
        if intent.ask is Ask.PRICE and (self.places or intent.every_market or intent.where):
            return Ask.COMPARE  # two places named, "all cities", "where is rice sold"
        return intent.ask

    @property
    def names_found(self) -> bool:
        """Tell whether any name in the question was recognised with confidence."""
        return self.commodity.match is not None or (
            self.market is not None and self.market.match is not None
        )


def parse_query(
    text: str,
    *,
    commodities: Resolver,
    markets: Resolver,
    today: date | None = None,
    intents: bool = True,
) -> ParsedQuery:
    """Find the intent, the commodity, the places and, given `today`, the time in a question.

    With `intents=False` only names are read (an editor's entry names a good and a place).
    """
    period: Period | None = None
    problem: str | None = None
    if today is not None:
        text, period, problem = extract_period(text, today=today)

    def known(word: str) -> bool:
        return bool(commodities.exact(word) or markets.exact(word))

    def names_inside(word: str) -> list[str]:
        return [name for r in (commodities, markets) for _e, name in contained_names(r, word)]

    def maybe_name(word: str) -> bool:
        # A slip of a name, not a word that merely shares letters with one.
        for resolver in (commodities, markets):
            resolution = resolver.resolve(word)
            if resolution.found or any(c.score >= 75.0 for c in resolution.candidates):
                return True
        return False

    if intents:
        intent = read_intent(text, known=known, names_inside=names_inside, maybe_name=maybe_name)
    else:
        intent = Intent(rest=text, rest_with_currency=text)
    if intent.conditions:
        # Condition questions carry many words around their names ("are trucks crossing at
        # sinuiju again?"): a place named exactly settles the reading without fuzzy search.
        quick = _exact_reading(intent.rest, commodities, markets)
        if quick is not None:
            good_text, good, place_text, place = quick
            return ParsedQuery(good_text, good, place_text, place, period, problem, intent)
    several_first = intent.where or intent.ask in (Ask.COMPARE, Ask.CHEAPEST, Ask.DEAREST)
    reading = _reading(intent.rest, commodities, markets, several_first=several_first)
    if intent.currency is not None and reading[1].match is None:
        # "美元" alone or "dollar rate in usd"? The currency is the good when nothing else is.
        alternative = _reading(
            intent.rest_with_currency, commodities, markets, several_first=several_first
        )
        if alternative[1].match is not None:
            reading, intent = alternative, replace(intent, currency=None)
    if reading[1].match is None and intent.cues:
        # A cue may be a slip inside a name ("sticky rise"): read the words as names alone.
        alternative = _reading(normalize(text), commodities, markets)
        if alternative[1].match is not None:
            reading, intent = alternative, Intent()
    commodity_text, commodity, places = reading
    market_text, market = places[0] if places else (None, None)
    return ParsedQuery(
        commodity_text,
        commodity,
        market_text,
        market,
        period,
        problem,
        intent,
        places if len(places) > 1 else (),
    )


def _exact_reading(
    text: str, commodities: Resolver, markets: Resolver
) -> tuple[str, Resolution, str, Resolution] | None:
    """Read a place and a good named exactly among other words, or None without such a place.

    Words left over are read as one good (one fuzzy lookup), so "lingzi exports hyesan" still
    finds Lingzhi.
    """
    tokens = [t for t in _split(text, commodities, markets) if t not in _CONNECTORS]
    place: tuple[str, Entry] | None = None
    good: tuple[str, Entry] | None = None
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + _MAX_PLACE_WORDS), i, -1):
            phrase = " ".join(tokens[i:j])
            if j - i == 1 and (phrase in _STOPWORDS or phrase in _KO_STOPWORDS):
                continue
            hits = markets.exact(phrase)
            if not hits and phrase.endswith("s") and script_of(phrase) == "latin":
                hits = markets.exact(phrase[:-1])  # "north koreas" from "north korea's"
            if len(hits) == 1 and place is None:
                place = (phrase, hits[0])
                i = j
                break
            goods = commodities.exact(phrase)
            if len(goods) == 1 and good is None:
                good = (phrase, goods[0])
                i = j
                break
        else:
            if tokens[i] not in _STOPWORDS and tokens[i] not in _KO_STOPWORDS:
                rest.append(tokens[i])
            i += 1
    if place is None:
        return None
    place_text, place_entry = place
    market = Resolution(query=place_text, match=Candidate(place_entry, 100.0, place_text))
    if good is not None:
        good_text, entry = good
        return (
            good_text,
            Resolution(good_text, Candidate(entry, 100.0, good_text)),
            place_text,
            (market),
        )
    left = " ".join(rest)
    if not left:
        return "", Resolution(query=""), place_text, market
    return left, commodities.resolve(left), place_text, market


def _reading(
    text: str, commodities: Resolver, markets: Resolver, *, several_first: bool = False
) -> tuple[str, Resolution, tuple[tuple[str, Resolution], ...]]:
    tokens = [t for t in _split(text, commodities, markets) if t not in _CONNECTORS]
    if several_first:
        # "compare corn in ryanggang and north hamgyong": two places, although one survey area
        # is named "North Hamgyong/Ryanggang".
        several = _places_reading(tokens, commodities, markets)
        if several is not None:
            return several
    good, commodity, where, place = _best_reading(tokens, commodities, markets)
    single = ((where, place),) if where is not None and place is not None else ()
    if commodity.match is not None and (place is None or place.match is not None):
        return good, commodity, single
    several = _places_reading(tokens, commodities, markets)
    if several is not None:
        return several
    return good, commodity, single


def _places_reading(
    tokens: list[str], commodities: Resolver, markets: Resolver
) -> tuple[str, Resolution, tuple[tuple[str, Resolution], ...]] | None:
    """Read a good and two or more places ("rice pyongyang sinuiju"), or None."""
    places: list[tuple[str, Resolution]] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + _MAX_PLACE_WORDS), i, -1):
            span = " ".join(tokens[i:j])
            if {tokens[i], tokens[j - 1]} & _STOPWORDS and not markets.exact(span):
                continue
            if commodities.exact(span) or _two_places(tokens[i:j], markets):
                continue
            place = markets.resolve(span)
            if place.match is not None and _level(place) >= 2:
                places.append((span, place))
                i = j
                break
        else:
            if tokens[i] not in _STOPWORDS:
                rest.append(tokens[i])
            i += 1
    if len(places) < 2 or len({p.match.entry.id for _t, p in places if p.match}) < 2:
        return None
    good = " ".join(rest)
    commodity = commodities.resolve(good) if good else Resolution(query="")
    if commodity.match is None:
        return None
    return good, commodity, tuple(places)


def _split(text: str, commodities: Resolver, markets: Resolver) -> list[str]:
    """Split a question into words, cutting Korean and Chinese runs at place names and particles."""
    out: list[str] = []
    for word in normalize(text).split():
        if script_of(word) == "latin":
            out.append(word)
        else:
            out.extend(_cjk_words(word, commodities, markets))
    return out


def _cjk_words(word: str, commodities: Resolver, markets: Resolver) -> list[str]:
    def known(name: str) -> bool:
        return bool(commodities.exact(name) or markets.exact(name))

    if known(word):
        return [word]
    if script_of(word) == "han":
        for filler in _ZH_FILLERS:
            word = word.replace(filler, "")
        if word.endswith(_ZH_PRICE) and len(word) > 1:
            word = word[:-1]
    if not word or known(word):
        return [word] if word else []
    # Place and good are often written together: 혜산쌀값, 惠山灵芝, 평양에서.
    places = contained_names(markets, word)
    if places:
        before, place, after = word.partition(places[0][1])
        return [
            *_cjk_words(before, commodities, markets),
            place,
            *_cjk_words(after, commodities, markets),
        ]
    cleaned = _without_particles(word, known, commodities, markets)
    return [cleaned] if cleaned else []


def _without_particles(
    word: str, known: Callable[[str], bool], commodities: Resolver, markets: Resolver
) -> str | None:
    variants = [word]
    for _ in range(2):
        current = variants[-1]
        suffix = next((s for s in _KO_SUFFIXES if current.endswith(s) and current != s), None)
        if suffix is None:
            break
        variants.append(current[: -len(suffix)])
    for variant in variants:
        if known(variant):
            return variant
        if variant in _KO_STOPWORDS:
            return None
    # A misspelt name keeps its last syllable: 강넹이 is 강냉이, not 강넹 with a particle.
    for variant in variants:
        if commodities.resolve(variant).found or markets.resolve(variant).found:
            return variant
    return variants[-1]


def _best_reading(
    tokens: list[str], commodities: Resolver, markets: Resolver
) -> tuple[str, Resolution, str | None, Resolution | None]:
    content = [t for t in tokens if t not in _STOPWORDS]
    if not content:
        return "", Resolution(query=""), None, None
    whole = " ".join(content)
    for text in (whole, " ".join(tokens)):
        if commodities.exact(text):
            return text, commodities.resolve(text), None, None
    resolved: dict[tuple[bool, str], Resolution] = {}

    def resolve(is_place: bool, text: str) -> Resolution:
        if (is_place, text) not in resolved:
            resolved[(is_place, text)] = (markets if is_place else commodities).resolve(text)
        return resolved[(is_place, text)]

    best: tuple[tuple[int, ...], str, str | None] = (
        (*_rank(resolve(False, whole), None), 0),
        whole,
        None,
    )
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + _MAX_PLACE_WORDS) + 1):
            place = " ".join(tokens[i:j])
            # "northern border average" is a name even though "average" alone says nothing.
            if {tokens[i], tokens[j - 1]} & _STOPWORDS and not markets.exact(place):
                continue
            left = [t for t in tokens[:i] if t not in _STOPWORDS]
            right = [t for t in tokens[j:] if t not in _STOPWORDS]
            if left and right:
                continue  # the good is one run of words, before or after the place
            commodity = " ".join(left or right)
            c = resolve(False, commodity) if commodity else Resolution(query="")
            key = _rank(c, resolve(True, place))
            # Equal readings: the longer place name wins ("pyongyang/sinuiju/hyesan average").
            if key and (*key, j - i) > best[0]:
                best = ((*key, j - i), commodity, place)
    _key, good, where = best
    return (
        good,
        resolve(False, good) if good else Resolution(query=""),
        where,
        resolve(True, where) if where else None,
    )


def _two_places(tokens: list[str], markets: Resolver) -> bool:
    """Tell whether words naming one place also name two or more ("ryanggang and north hamgyong")."""

    def place(words: list[str]) -> bool:
        words = [w for w in words if w not in _STOPWORDS]
        return bool(words) and _level(markets.resolve(" ".join(words))) >= 2

    return any(
        place(tokens[:k]) and (place(tokens[k:]) or _two_places(tokens[k:], markets))
        for k in range(1, len(tokens))
    )


def _level(resolution: Resolution) -> int:
    if resolution.match is not None:
        return 3 if resolution.match.score >= 100.0 else 2
    return 1 if resolution.candidates else 0


def _rank(commodity: Resolution, place: Resolution | None) -> tuple[int, ...]:
    """Order readings: both parts known, then the good, then the place, then how exactly."""
    # A reading whose place is not recognised is no reading at all (empty key), unless the good
    # is known and the place is a close misspelling worth asking about.
    c = _level(commodity)
    if place is None:
        return (int(c >= 2), int(c >= 2), 0, c)
    p = _level(place)
    if p < 2 and not (p == 1 and c >= 2 and place.candidates[0].score >= 75.0):
        return ()
    return (int(c >= 2 and p >= 2), int(c >= 2), int(p >= 2), c + p)


def exact_names(text: str, resolver: Resolver) -> list[Entry]:
    """Return the entries named exactly anywhere in a text, longest names first, each once.

    Phrases of up to six words are looked up whole ("north korea", "north korea's" too), and
    Korean or Chinese names inside longer runs ("到新义州的"). Words around them do not matter:
    condition questions carry many ("are trucks crossing at sinuiju again?").
    """
    words = normalize(text).split()
    found: dict[int, tuple[int, Entry]] = {}
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _MAX_PLACE_WORDS), i, -1):
            phrase = " ".join(words[i:j])
            if j - i == 1 and phrase in _STOPWORDS:
                continue
            hits = resolver.exact(phrase)
            if not hits and phrase.endswith("s") and script_of(phrase) == "latin":
                hits = resolver.exact(phrase[:-1])  # "north koreas" from "north korea's"
            if len(hits) == 1:
                found.setdefault(hits[0].id, (len(phrase), hits[0]))
                i = j
                break
        else:
            if script_of(words[i]) != "latin":
                for entry, name in contained_names(resolver, words[i]):
                    found.setdefault(entry.id, (len(name), entry))
            i += 1
    return [entry for _size, entry in sorted(found.values(), key=lambda x: -x[0])]
