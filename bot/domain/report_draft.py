"""A trade-condition report proposed from an article, for an editor to check and summarise.

The place, topics, direction, channel, goods, border status, market activity and enforcement are
read from the article's sentences; the sentences that carry them are quoted, as the source's
words, for the editor to paraphrase. Words for the past ("before COVID-19", "after the border
closure") count for less, so a report says how things stand now.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.domain.conditions import TOPICS
from bot.domain.extraction import (
    currency_code,
    extract_figures,
    find_dates,
    find_goods,
    find_places,
    main_place,
    split_sentences,
)
from bot.domain.intake import ReportDraft
from bot.domain.intent import read_intent
from bot.domain.matching import Resolver

_I = re.IGNORECASE
# Topics that say something about trade on their own; "merchants" or "roads" alone do not.
_STRONG_TOPICS = frozenset(TOPICS) - {"transport", "market-activity"}
_MAX_SENTENCES = 12
_PAST_WEIGHT = 0.5


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _I)


# Topic words the question cues of bot.domain.intent leave out: reports say more than questions.
# (A rate alone is a price, as there; only its shocks are a condition.)
_TOPIC_RES = (
    ("smuggling", _compile(r"\bsmuggl\w*|밀수|走私|密輸")),
    ("border", _compile(r"\bborders?\b|\bcross-border\b|국경|边境|邊境|国境|國境|口岸")),
)
_CHANNEL_RES = (
    (
        "state-sanctioned-smuggling",
        _compile(
            r"\b(?:state|government|official|officially)[- ](?:sponsored|sanctioned|controlled|run"
            r"|backed|organi[sz]ed|led|authori[sz]ed|approved|managed|directed)\s+smuggl\w*"
            r"|\b(?:state|sanctioned)\s+smuggl\w*|\bsmuggling\s+(?:\w+\s+){0,2}that\s+the\s+state"
            r"\s+(?:now\s+)?runs|국가\s?(?:주도|승인|허가|차원의?)?\s?밀수|국가(?:가|에서)\s?(?:주도|승인|허가)"
            r"(?:하는|한)\s?밀수|당국(?:이|의)?\s?(?:승인|묵인|허가)(?:한|하는|된)?\s?밀수"
            r"|国家(?:主导|支持|批准|默许|控制|组织)?的?走私|官方(?:主导|控制|组织)?的?走私|国营走私"
            r"|国家(?:主導|公認)?の密輸"
        ),
    ),
    (
        "private-smuggling",
        _compile(
            r"\bprivate(?:ly)?[- ](?:run\s+)?smuggl\w*|\bindividual\s+smugglers?"
            r"|(?:개인|민간)\s?밀수|个人走私|私人走私|民间走私|個人の密輸"
        ),
    ),
    (
        "official-customs",
        _compile(
            r"\bofficial\s+customs|\bthrough\s+customs|\bcustoms\s+(?:clearance|channels|routes)"
            r"|\bformal\s+trade|\blegal\s+trade|정식\s?(?:세관|통관|무역)|세관을\s?통(?:한|해)"
            r"|正式(?:通关|海关|贸易)|通过海关|经海关|官方通关|正式な貿易"
        ),
    ),
    (
        "rail",
        _compile(
            r"\bfreight\s+trains?|\bby\s+rail\b|\brailways?\b|\btrains?\b|화물열차|열차|기차|火车|列车|铁路|貨物列車"
        ),
    ),
    ("truck", _compile(r"\btrucks?\b|\blorr(?:y|ies)\b|트럭|화물차|卡车|货车|貨車|トラック")),
    (
        "ship",
        _compile(
            r"\bships?\b|\bvessels?\b|\bboats?\b|\bbarges?\b|\bby\s+sea\b|선박|화물선|船只|货船|船舶"
        ),
    ),
)
_BORDER_RES = (
    (
        "partially-open",
        _compile(
            r"\bpartial(?:ly)?\s+(?:re)?open\w*|\blimited\s+reopening|일부\s?개방|부분(?:적으로)?\s?(?:재)?개방"
            r"|部分开放|有限开放|部分再開"
        ),
    ),
    (
        "closed",
        _compile(
            r"\b(?:closed|shut|sealed)\s+(?:its|the)\s+borders?|\bborders?\s+(?:(?:at|in|near|with)\s+"
            r"\w+\s+)?(?:(?:is|are|was|were"
            r"|has\s+been|have\s+been|remains?|remained|stays?|stayed)\s+)?(?:closed|shut|sealed)\b"
            r"|\bborder\s+closures?|\bclosure\s+of\s+the\s+border|\blockdown\b|국경\s?(?:봉쇄|폐쇄)"
            r"|국경(?:을|이)\s?(?:봉쇄|폐쇄|닫)|封关|封關|封锁边境|边境封锁|边境关闭|关闭边境|国境封鎖|国境を封鎖"
        ),
    ),
    (
        "open",
        _compile(
            r"\b(?:re)?opened\s+(?:its|the)\s+borders?|\bborders?\s+(?:(?:at|in|near|with)\s+\w+\s+)?"
            r"(?:(?:is|are|was|were|has\s+been"
            r"|have\s+been|remains?)\s+)?(?:re)?open(?:ed)?\b|\bborder\s+reopening|국경\s?(?:재)?개방"
            r"|국경(?:을|이)\s?(?:열|개방)|开放边境|边境开放|重新开放|恢复开放|国境(?:を)?開放"
        ),
    ),
    (
        "restricted",
        _compile(
            r"\b(?:tight(?:ened|er)?|strict(?:er)?)\s+(?:border\s+)?controls|\bborder\s+restrictions"
            r"|\brestrict\w*\s+(?:cross-border|border)\s+\w+|국경\s?통제|통제\s?강화|边境管控|加强管控"
            r"|严格管控|国境管理を強化"
        ),
    ),
)
_MARKET_WORD_RE = _compile(
    r"\bmarkets?\b|\bmarketplaces?\b|\bjangmadang\b|\bcommerce\b|\beconomy\b|\bconsumption\b"
    r"|\btrade\b|\btrading\b|시장|장마당|경기|상권|경제|市场|市場|集市|经济|經濟"
)
_ACTIVITY_RES = (
    (
        "recovering",
        _compile(
            r"\brecover\w*|\brevitali[sz]\w*|\brebound\w*|\bpick(?:s|ed|ing)?\s+up\b|\breviv\w*"
            r"|\bimprov\w*|회복|살아나|활성화|恢复|复苏|回暖|回復|持ち直"
        ),
    ),
    (
        "contracting",
        _compile(
            r"\bcontract(?:ed|ing|s|ion)\b|\bshr[iu]nk\w*|\bslump\w*|\bstagnat\w*|\bdepressed\b"
            r"|\bsluggish\b|\bdownturn\b|\bdeserted\b|위축|침체|얼어붙|한산|萎缩|低迷|冷清|萧条|停滞|冷え込"
        ),
    ),
    (
        "booming",
        _compile(r"\bboom\w*|\bthriv\w*|\bbustling\b|\bbrisk\b|활기|호황|붐비|繁荣|火爆|兴旺|活況"),
    ),
    ("stable", _compile(r"\bstable\b|\bsteady\b|\bstabili[sz]\w*|안정|稳定|平稳|安定")),
)
_ENFORCEMENT_RE = _compile(
    r"\bcrackdowns?\b|\bcrack(?:ed|ing)?\s+down\b|\binspections?\b|\binspected\b|\barrests?\b"
    r"|\barrested\b|\braids?\b|\braided\b|\bconfiscat\w*|\bseiz(?:ed|ures?)\b|\bpatrols?\b"
    r"|\bsurveillance\b|\bcheckpoints?\b|\bpunish\w*|\bexecut(?:ed|ions?)\b"
    r"|단속|검열|검문|체포|몰수|압수|처벌|처형|打击|打擊|检查|檢查|严打|嚴打|查处|查處|没收|沒收|逮捕"
    r"|取り締まり|検閲|摘発"
)
# Goods going to China are exports and goods from China imports, whatever the verb.
_EXPORT_RE = _compile(
    r"\bexport(?:s|ed|ing|ers?)?\b|\b(?:to|into)\s+China\b|수출|반출"
    r"|중국(?:으로|에)\s?(?:넘기|넘겨|팔|내보내|보내|반출)|出口|輸出|运往中国|運往中國|中国へ"
)
_IMPORT_RE = _compile(
    r"\bimport(?:s|ed|ing|ers?)?\b|\bfrom\s+China\b|수입(?=품|해|하|되|된|산|량|액|물|상품|업)|반입"
    r"|들여오|들여와|중국에서\s?(?:들여|사|넘어)|进口|進口|輸入|从中国运|從中國運|中国から"
)
_URL_RE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$", _I)
# The past: the channel or status of then, not of now.
_PAST_RE = _compile(
    r"\bbefore\s+(?:the\s+)?(?:covid|pandemic|coronavirus|border\s+closure|closure|20[01]\d)"
    r"|\bpre-(?:covid|pandemic)|\bused\s+to\b|\bin\s+the\s+past\b|\buntil\s+20\d\d"
    r"|코로나\s?(?:사태\s?)?(?:이전|전)|봉쇄\s?(?:이전|전)|疫情(?:之前|前|以前)|封关前|コロナ(?:禍)?(?:前|以前)"
)
_PAST_BEFORE_RE = _compile(r"\b(?:before|after|since|when|until|prior\s+to)\b(?:\W+\w+){0,3}\W*$")
_PAST_AFTER_RE = re.compile(r"\s*(?:이후|이전|전에?|뒤|후|以来|以后|之后|后|前|期间|以後|以前)")


@dataclass
class _Facts:
    topics: set[str] = field(default_factory=set)
    channels: dict[str, float] = field(default_factory=dict)
    border: dict[str, float] = field(default_factory=dict)
    activity: dict[str, float] = field(default_factory=dict)
    enforcement: list[str] = field(default_factory=list)
    exports: int = 0
    imports: int = 0

    def strong(self) -> bool:
        return bool(
            self.topics & _STRONG_TOPICS
            or self.channels
            or self.border
            or self.activity
            or self.enforcement
            or self.exports
            or self.imports
        )


def draft_report(
    text: str,
    *,
    commodities: Resolver,
    markets: Resolver,
    published: date | None = None,
) -> ReportDraft | None:
    """Propose the trade-condition report an article carries, or None when it carries none."""
    places = find_places(text, markets)
    goods = [
        m for m in find_goods(text, commodities, markets=markets) if currency_code(m.entry) is None
    ]

    def known(word: str) -> bool:
        return bool(commodities.exact(word) or markets.exact(word))

    total = _Facts()
    quoted: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if _URL_RE.match(text[start:end]):
            continue  # the article's link, pasted with it
        facts = _sentence_facts(text[start:end], known)
        if not facts.strong():
            continue
        quoted.append((start, end))
        _merge(total, facts)
    if not quoted:
        return None
    place = main_place(places)
    direction = _direction(total.exports, total.imports)
    channel = _best(total.channels)
    topics = set(total.topics)
    topics |= {"exports"} if direction in ("export", "both") else set()
    topics |= {"imports"} if direction in ("import", "both") else set()
    if channel is not None:
        topics |= {"smuggling"} if channel.endswith("smuggling") else set()
        topics |= {"customs"} if channel == "official-customs" else set()
        topics |= {"transport"} if channel in ("rail", "truck", "ship") else set()
    border_status = _best(total.border)
    activity = _best(total.activity)
    topics |= {"border"} if border_status else set()
    topics |= {"market-activity"} if activity else set()
    topics |= {"enforcement"} if total.enforcement else set()
    inside = [m for m in goods if any(s <= m.start and m.end <= e for s, e in quoted)]
    others = [
        f.commodity_words
        for f in extract_figures(
            text, commodities=commodities, markets=markets, published=published
        )
        if f.commodity_id is None
    ]
    dates = [
        iso for s, _e, iso in find_dates(text, published) if any(a <= s < b for a, b in quoted)
    ]
    return ReportDraft(
        place_id=place.entry.id if place is not None else None,
        place_words=place.words if place is not None else None,
        topics=tuple(t for t in TOPICS if t in topics),
        direction=direction,
        channel=channel,
        border_status=border_status,
        market_activity=activity,
        enforcement=", ".join(dict.fromkeys(total.enforcement)) or None,
        goods=tuple(dict.fromkeys(m.entry.id for m in inside)),
        goods_words=tuple(dict.fromkeys(others)),
        sentences=tuple(text[s:e].strip() for s, e in quoted[:_MAX_SENTENCES]),
        observed=dates[0] if dates else None,
    )


def _sentence_facts(sentence: str, known: Callable[[str], bool]) -> _Facts:
    norm = unicodedata.normalize("NFKC", sentence)
    weight = _PAST_WEIGHT if _PAST_RE.search(norm) else 1.0
    # The question cues read "restricted" and "bans" as enforcement; a report needs its words.
    facts = _Facts(topics=set(read_intent(norm, known=known).topics) - {"enforcement"})
    facts.topics |= {name for name, pattern in _TOPIC_RES if pattern.search(norm)}
    for name, pattern in _CHANNEL_RES:
        count = len(pattern.findall(norm))
        if count:
            facts.channels[name] = count * weight
    for name, pattern in _BORDER_RES:
        if any(not _in_past(norm, m) for m in pattern.finditer(norm)) and weight == 1.0:
            facts.border[name] = 1.0
    markets = [m.start() for m in _MARKET_WORD_RE.finditer(norm)]
    for name, pattern in _ACTIVITY_RES:
        near = [m for m in pattern.finditer(norm) if any(abs(p - m.start()) <= 60 for p in markets)]
        if near:
            past = all(_in_past(norm, m) for m in near)
            facts.activity[name] = len(near) * (_PAST_WEIGHT if past else weight)
    facts.enforcement = [m.group().lower() for m in _ENFORCEMENT_RE.finditer(norm)]
    facts.exports = len(_EXPORT_RE.findall(norm))
    facts.imports = len(_IMPORT_RE.findall(norm))
    return facts


def _in_past(norm: str, m: re.Match[str]) -> bool:
    """Tell whether a match is said of the past: "before North Korea closed its borders",
    "after the border closure", 봉쇄 이후."""
    return bool(
        _PAST_BEFORE_RE.search(norm, max(0, m.start() - 40), m.start())
        or _PAST_AFTER_RE.match(norm, m.end())
    )


def _merge(total: _Facts, facts: _Facts) -> None:
    total.topics |= facts.topics
    for mine, theirs in (
        (total.channels, facts.channels),
        (total.border, facts.border),
        (total.activity, facts.activity),
    ):
        for name, weight in theirs.items():
            mine[name] = mine.get(name, 0.0) + weight
    total.enforcement.extend(facts.enforcement)
    total.exports += facts.exports
    total.imports += facts.imports


def _best(weights: dict[str, float]) -> str | None:
    """Return the word said most (the first said, of equals), or None."""
    if not weights:
        return None
    return max(weights, key=lambda name: weights[name])


def _direction(exports: int, imports: int) -> str | None:
    """Export or import when one is said at least twice as often as the other, else both."""
    if not exports and not imports:
        return None
    if exports >= 2 * imports:
        return "export"
    if imports >= 2 * exports:
        return "import"
    return "both"
