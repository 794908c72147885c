"""Splitting a question into the commodity, the place and the time it asks about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.domain.matching import Resolution, Resolver, contained_names
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
        *_listed("요 이 가 을 를 도 킬로 킬로그램 근 1kg 1근"),
    )
)
# Korean particles and "price" words written onto the end of a name: 쌀값이, 평양에서, 옥수수는.
_KO_SUFFIXES = (
    *_listed("에서는 에서의 에서 가격은 가격이 가격 시세는 시세가 시세 값은 값이 값도 값"),
    *_listed("환율은 환율이 환율 은요 는요 이요 은 는 이 가 을 를 의 도 요"),
)
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
    """The commodity, place and time parts of a question, each resolved."""

    commodity_text: str
    commodity: Resolution
    market_text: str | None
    market: Resolution | None
    period: Period | None = None
    period_problem: str | None = None


def parse_query(
    text: str, *, commodities: Resolver, markets: Resolver, today: date | None = None
) -> ParsedQuery:
    """Find the commodity, the optional place and, given `today`, the optional time in a question."""
    period: Period | None = None
    problem: str | None = None
    if today is not None:
        text, period, problem = extract_period(text, today=today)
    commodity_text, commodity, market_text, market = _best_reading(
        _split(text, commodities, markets), commodities, markets
    )
    return ParsedQuery(commodity_text, commodity, market_text, market, period, problem)


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
