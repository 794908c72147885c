"""What a question asks, read from the words around the names: a trend, a comparison, the cheapest
or dearest market, a change, a conversion, trade conditions, or nothing this bot does.

The intent layer runs after the time words are cut and before names are matched. It removes the
words that carry the intent ("trend", "cheapest", "달러로", "走势") so that only names are left to
match, and it never removes a word that is itself a name in the catalogue (`known`). Currency words
are names too ("dollar rate"); they are read as a conversion only when the rest still names a good,
which the caller checks with `Intent.rest_with_currency`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import OSA

from bot.domain.text import normalize, script_of


class Ask(StrEnum):
    """What a question asks for."""

    PRICE = "price"
    TREND = "trend"
    COMPARE = "compare"
    CHEAPEST = "cheapest"
    DEAREST = "dearest"
    CHANGE = "change"
    CONDITIONS = "conditions"
    OFF_TOPIC = "off-topic"


# When a question carries several cues the most specific wins: "where is rice cheapest" is about
# the cheapest market, "compare the rice trend" wants the chart of every market.
_PRIORITY = (Ask.CHEAPEST, Ask.DEAREST, Ask.CHANGE, Ask.TREND, Ask.COMPARE)


@dataclass(frozen=True)
class Intent:
    """The intent of a question and the text left for name matching."""

    ask: Ask = Ask.PRICE
    currency: str | None = None  # the currency the answer is asked in: USD, CNY, KPW
    every_market: bool = False  # "all cities", "전국", "各地"
    where: bool = False  # "where", "which market": a comparison unless something says more
    topics: tuple[str, ...] = ()  # trade-condition topics named
    partner: str | None = None  # a trading partner named: "cn" (China) or "ru" (Russia)
    conditions: bool = False  # a trade-condition question, with or without a topic
    chatter: bool = False  # "hello", "who made you", "날씨": not about prices or trade
    cues: tuple[str, ...] = ()  # the words read as intent, in the order found
    rest: str = ""
    rest_with_currency: str = ""


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    effect: str  # an Ask value, "currency:XXX", "topic:NAME", "partner:XX", "every", "where",
    # "chatter", "conditions" or "filler"
    latin: bool


_CUES: list[_Cue] = []
_MAX_NAME_WORDS = 6
# Korean particles and verb endings after a cue: 비교해줘, 올랐어요, 어디가, 곳은.
_TAIL = "[은는이가을를의도에서로으해했하한된되됐요야나니냐죠지어었았네군줘주세까던다고래봐면게]*"


def _cue(effect: str, *patterns: str) -> None:
    for pattern in patterns:
        latin = script_of(pattern) == "latin"
        # English words need boundaries; Korean and Chinese are written without spaces.
        text = rf"(?<![^\W_])(?:{pattern})(?![^\W_])" if latin else f"(?:{pattern})"
        _CUES.append(_Cue(re.compile(text), effect, latin))


# Longer expressions first: "how much more" before "more", "most expensive" before "expensive".
# A rate alone is a price ("평양 달러 환율"); a shock to it is a trade condition.
_cue(
    "topic:exchange-rate",
    r"(?:exchange[ -]rates?|currency|dollar|won|yuan) (?:shocks?|crisis|crash(?:ed|es)?"
    r"|collapse[sd]?|plunge[sd]?|spikes?|surge[sd]?|volatility|turmoil|swings?|reform)"
    r"|redenomination|devaluation|currency reform|foreign currency|forex|hard currency",
    rf"환율 ?(?:급등|폭등|급락|폭락|충격|불안|위기|파동|상황){_TAIL}|화폐 ?(?:개혁|교환){_TAIL}"
    rf"|외화{_TAIL}|외환{_TAIL}",
    r"汇率(?:暴涨|暴跌|飙升|剧烈波动|波动|危机|冲击|情况)|匯率(?:暴漲|暴跌|波動|危機)|货币改革|外汇|外匯",
)
_cue("currency:USD", r"(?:in|into|to|as|in terms of) (?:us |american )?(?:dollars?|usd|\$|bucks)")
_cue("currency:CNY", r"(?:in|into|to|as|in terms of) (?:chinese )?(?:yuan|rmb|cny|renminbi)")
_cue("currency:KPW", r"(?:in|into|to|as|in terms of) (?:north korean |nk )?(?:won|kpw)")
_cue("currency:USD", r"(?:미국 ?)?(?:달러|딸라|미화|불)(?:화)?(?:로|으로|기준으로|기준)")
_cue("currency:CNY", r"(?:위안화|위안|인민폐|인민원|중국 ?돈)(?:으로|로|기준으로|기준)")
_cue("currency:KPW", r"(?:북한 ?|조선 ?)?(?:원화|원)(?:으로|기준으로|기준)")
_cue("currency:USD", r"(?:换成|换算成|折合|按)?(?:美元|美金)")
_cue("currency:CNY", r"(?:换成|换算成|折合|按)?(?:人民币|人民幣)")
_cue("currency:KPW", r"(?:换成|换算成|折合|按)?(?:朝鲜元|朝鮮元|朝币)")

_cue(
    Ask.CHEAPEST,
    r"least expensive|most affordable|lowest prices?|best prices?|cheapest|cheaper|lowest|cheap",
    rf"(?:제일|가장|젤|더) ?(?:싼|싸|쌉|저렴|낮은|낮){_TAIL}|최저{_TAIL}|(?<!비)싼 ?곳{_TAIL}",
    r"最便宜|最低|更便宜|便宜",
)
_cue(
    Ask.DEAREST,
    r"most expensive|more expensive|highest prices?|dearest|priciest|costliest|highest",
    rf"(?:제일|가장|젤|더) ?(?:비싼|비싸|높은|높){_TAIL}|최고{_TAIL}|비싼 ?곳{_TAIL}",
    r"最贵|最貴|最高|更贵|更貴",
)
_cue(
    Ask.CHANGE,
    r"how much (?:more|less|higher|lower|up|down)|(?:gone|go|goes|went|going) (?:up|down)"
    r"|up or down|ris(?:e|es|en|ing)|rose|fall(?:s|en|ing)?|fell|drop(?:s|ped|ping)?"
    r"|increas(?:e|es|ed|ing)|decreas(?:e|es|ed|ing)|declin(?:e|es|ed|ing)|jump(?:s|ed)?"
    r"|surg(?:e|es|ed)|climb(?:s|ed)?|chang(?:e|es|ed|ing)|difference|percent change",
    rf"얼마나 ?(?:올랐|올라|오르|올|내렸|내려|내|떨어졌|떨어|변했|변|달라졌|달라){_TAIL}|(?:올랐|올라|오른|오르|상승|인상|내렸|내린|내려"
    rf"|떨어졌|떨어진|떨어|하락|인하|등락|변했|변동폭|변화폭){_TAIL}",
    r"涨了多少|跌了多少|涨幅|跌幅|上涨|下跌|涨价|降价|下降|上升|涨|漲|跌",
)
_cue(
    Ask.TREND,
    r"over time|price history|trends?|trending|history|historical|charts?|graphs?|plot(?:ted)?"
    r"|timeline|evolution|movements?|moved|moving",
    r"추이|추세|그래프|차트|동향|흐름|변화|변동",
    r"走势|走勢|趋势|趨勢|变化|變化|图表|圖表|曲线|曲線|历史|歷史|图|圖",
)
_cue(
    "every",
    r"(?:in |across |at |for )?(?:all|every|each|other) (?:the )?(?:cities|city|markets?|places?"
    r"|regions?|towns?|provinces?|areas?)|everywhere|nationwide|across the country"
    r"|by (?:city|market|region|place)|across (?:the )?(?:markets|cities|places|regions|country)",
    rf"전국{_TAIL}|(?:모든|전체|각) ?(?:시장|도시|지역){_TAIL}|(?:지역|시장|도시)별{_TAIL}",
    r"各地|全国|全國|各个城市|各個城市|所有城市|所有市场|所有市場|各市场|各市場",
)
_cue(
    Ask.COMPARE,
    r"compar(?:e|es|ed|ing|ison|isons)|versus|vs|side by side",
    rf"비교{_TAIL}|대비",
    r"比较|比較|对比|對比",
)
_cue(
    "where",
    r"wheres|where|which (?:markets?|cities|city|places?|towns?|regions?)",
    rf"어디{_TAIL}|어느 ?(?:시장|도시|지역|곳){_TAIL}",
    r"哪里|哪裡|哪儿|哪兒|哪个市场|哪個市場|哪个城市|哪個城市|在哪",
)
_cue(
    "topic:border,enforcement",
    r"lockdowns?|locked down|lock downs?|quarantines?|sealed off|sealing",
    rf"봉쇄{_TAIL}|격리{_TAIL}",
    r"封锁|封鎖|封城|封关|封關|隔离|隔離",
)
_cue(
    "topic:border,transport",
    r"(?:road |rail |river |friendship |new yalu (?:river )?)?bridges?",
    rf"대교{_TAIL}|(?:자동차|도로|철도) ?다리{_TAIL}|철교{_TAIL}",
    r"大桥|大橋|铁桥|鐵橋|界河桥",
)
_cue(
    "topic:border",
    r"border crossings?|crossings?|crossing points?|borders?|frontier|checkpoints? on the border",
    rf"국경{_TAIL}|도강{_TAIL}",
    r"边境|邊境|国境|國境|口岸",
)
_cue("topic:customs", r"customs", rf"세관{_TAIL}|통관", r"海关|海關|通关|通關|税関")
_cue(
    "topic:smuggling",
    r"smuggl\w*|contraband|sanctions?(?: evasion| busting| violations?)?|illicit|illegal trade",
    rf"밀수{_TAIL}|제재{_TAIL}",
    r"走私|制裁|密輸",
)
_cue("topic:exports", r"export(?:s|ing|ed|ers?)?", rf"수출{_TAIL}(?![가-힣])", r"出口|輸出")
_cue(
    "topic:imports",
    r"import(?:s|ing|ed|ers?)?|(?:come|comes|coming|came|brought|bringing|flow(?:s|ing)?) "
    r"(?:in|into|across)",
    rf"수입{_TAIL}(?![가-힣])|들여오{_TAIL}|반입{_TAIL}",
    r"进口|進口|输入|輸入",  # 輸入 is also Japanese
)
_cue(
    "topic:enforcement",
    r"crackdowns?|crack down|inspections?|enforcement|arrests?|arrested"
    r"|executions?|executed|raids?|punish\w*|surveillance|checkpoints?|bans?|banned|banning"
    r"|restrictions?|restricted|controls on",
    rf"단속{_TAIL}|검열{_TAIL}|처형{_TAIL}|통제{_TAIL}|검문소?{_TAIL}|금지{_TAIL}",
    r"打击|打擊|镇压|鎮壓|检查站?|檢查站?|处决|處決|管制|禁止|严打|嚴打",
)
_cue(
    "topic:market-activity",
    r"markets? (?:hours|activity|closures?|closed|open|days?|shut)|market opening hours"
    r"|markets? (?:reopen\w*|recover\w*|boom\w*|slump\w*)|jangmadang|recover(?:y|ed|ing|s)?"
    r"|merchants?|vendors?",
    rf"장마당 ?(?:상황|분위기|운영|폐쇄|시간){_TAIL}|시장 ?(?:상황|폐쇄|운영|시간){_TAIL}"
    rf"|장마당{_TAIL}",
    r"市场情况|市場情況|市场关闭|市場關閉|市场开放|市場開放|集市|营业时间|營業時間|营业|營業|商贩|商販",
)
_cue(
    "topic:transport",
    r"freight trains?|trains?|railways?|rail|trucks?|lorr(?:y|ies)|ships?|shipping|vessels?"
    r"|boats?|ports?|harbou?rs?|containers?|freight|cargo|roads?|highways?|flights?",
    rf"화물열차{_TAIL}|열차{_TAIL}|기차{_TAIL}|트럭{_TAIL}|화물차{_TAIL}|선박{_TAIL}|항구{_TAIL}"
    rf"|항만{_TAIL}|화물{_TAIL}|(?<=[가-힣])항{_TAIL}(?![가-힣])",
    r"火车|火車|列车|列車|货车|貨車|卡车|卡車|船只|船隻|货船|貨船|港口|航线|航線|航运|航運|海运"
    r"|海運|货运|貨運|(?<=\w)港",
)
_cue(
    "topic:food-supply",
    r"grain (?:shops?|stores?|sales? (?:shops?|stations?))|food (?:supply|supplies|situation"
    r"|crisis|shortages?|shops?|stores?)|state (?:shops?|stores?)|shortages?|famine|hunger"
    r"|starvation|rations?|rationing",
    rf"양곡판매소{_TAIL}|배급{_TAIL}|식량 ?(?:사정|난|상황|공급|부족){_TAIL}|공급{_TAIL}|기근{_TAIL}",
    r"粮店|糧店|粮食供应|糧食供應|粮食|糧食|粮荒|糧荒|饥荒|饑荒|缺粮|配给|配給|供应|供應",
)
_cue(
    "partner:cn",
    r"china|chinese|dandong|ji ?an|changbai|hunchun|tumen|yanji|beijing",
    rf"중국{_TAIL}|단둥{_TAIL}|단동{_TAIL}",
    r"中国|中國|丹东|丹東|集安|长白|長白|珲春|琿春",
)
_cue(
    "partner:ru",
    r"russia|russian|moscow|vladivostok|khasan",
    rf"러시아{_TAIL}|로씨야{_TAIL}|로시아{_TAIL}",
    r"俄罗斯|俄羅斯|俄国|俄國",
)
_cue(
    "conditions",
    r"trade|trading|situation|happening|going on|news|conditions|status|why|reasons?|causes?"
    r"|caused|explain",
    rf"무역{_TAIL}|상황{_TAIL}|소식{_TAIL}|정세{_TAIL}|왜|이유{_TAIL}|원인{_TAIL}",
    r"贸易|貿易|情况|情況|形势|形勢|消息|为什么|為什麼|为何|為何|原因",
)
_cue(
    "chatter",
    r"hello|hiya|hi|good (?:morning|afternoon|evening|night)|thanks|thank you|thx|bye|goodbye"
    r"|who (?:are|made|built|created|wrote|owns) you|who is your \w+|what are you|are you a bot"
    r"|what can you do|how are you|how old are you|your name|are you|weather|jokes?|lol"
    r"|meaning of life",
    rf"안녕{_TAIL}|고마워{_TAIL}|고맙{_TAIL}|감사{_TAIL}|반가{_TAIL}|누구{_TAIL}|날씨{_TAIL}|농담{_TAIL}",
    r"你好|您好|谢谢|謝謝|再见|再見|天气|天氣|你是谁|你是誰|笑话|笑話",
)
# Words that carry no name and no intent once the cues are gone: "please", "show me", 좀.
_cue(
    "filler",
    r"can you|could you|would you|will you|do you know|i d like to know|i want to know"
    r"|let me know|look up|show me|tell me|give me|please|pls|plz|hey|open|opened|reopen(?:ed|ing)?"
    r"|closed|closing|shut|the|has|have|had|been|be|did|much|there|more|most|least|doing|or|if"
    r"|when|between|through|via",
    rf"보여{_TAIL}|알려{_TAIL}|해줘|해주세요|해 ?줘|주세요|어떻게|어떤가요|어때{_TAIL}|됐{_TAIL}|했{_TAIL}",
    r"一下|告诉我|告訴我|如何|了吗|了嗎|怎样|怎樣|的时候|的時候|时候|時候|的地方|地方|了",
)
# Single English intent words, for slips ("cheapset", "histroy"): only words of five letters or
# more, and only for a word that is not a name and not like one.
_SLIP_WORDS = {
    **dict.fromkeys(("cheapest", "cheaper", "lowest"), str(Ask.CHEAPEST)),
    **dict.fromkeys(("dearest", "priciest", "highest", "expensive"), str(Ask.DEAREST)),
    **dict.fromkeys(("trend", "trends", "history", "chart", "graph", "timeline"), str(Ask.TREND)),
    **dict.fromkeys(("compare", "comparison", "versus"), str(Ask.COMPARE)),
    **dict.fromkeys(("change", "increase", "decrease", "risen", "dropped"), str(Ask.CHANGE)),
    **dict.fromkeys(("border", "crossing"), "topic:border"),
    **dict.fromkeys(("smuggling", "smuggle"), "topic:smuggling"),
    **dict.fromkeys(("customs",), "topic:customs"),
    **dict.fromkeys(("exports", "export"), "topic:exports"),
    **dict.fromkeys(("imports",), "topic:imports"),
    **dict.fromkeys(("crackdown", "inspection"), "topic:enforcement"),
    **dict.fromkeys(("lockdown",), "topic:border,enforcement"),
    **dict.fromkeys(("shipping", "trains", "trucks", "freight"), "topic:transport"),
    **dict.fromkeys(("hours",), "topic:market-activity"),
}


def read_intent(
    text: str,
    *,
    known: Callable[[str], bool] = lambda _: False,
    names_inside: Callable[[str], Iterable[str]] = lambda _: (),
    maybe_name: Callable[[str], bool] = lambda _: False,
) -> Intent:
    """Find what a question asks and cut the words that say it.

    `known` tells whether a word is a name in the catalogue (such a word is never cut);
    `names_inside` returns the names written inside a Korean or Chinese run, which are protected
    the same way; `maybe_name` tells whether a word is close to a name, so that a slip of an
    intent word is only read as one when it is not a slip of a name.
    """
    rest = normalize(text)
    kept = _protected(rest, known, names_inside)
    effects: list[tuple[int, str, str]] = []
    masked = rest
    currency_spans: list[tuple[int, int]] = []
    for cue in _CUES:
        for m in cue.pattern.finditer(masked):
            if not m.group().strip():
                continue
            is_currency = cue.effect.startswith("currency:")
            # A currency word is a name as well ("美元"); it is put back when no good is left.
            overlapping = [(s, e) for s, e in kept if m.start() < e and s < m.end()]
            if not is_currency and overlapping:
                # "南浦市场情况": the name 南浦市 ends inside the cue 市场情况, and 南浦 is a
                # name too, so the cue wins the shared character.
                if cue.latin or not all(
                    s < m.start() and known(rest[s : m.start()]) for s, _e in overlapping
                ):
                    continue
                kept = [(s, m.start()) if (s, e) in overlapping else (s, e) for s, e in kept]
            if cue.latin and known(m.group()):
                continue
            effects.append((m.start(), cue.effect, m.group()))
            if is_currency:
                currency_spans.append((m.start(), m.end()))
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    with_currency = _restore(masked, rest, currency_spans)
    for m in list(re.finditer(r"\S+", masked)):
        if any(m.start() < e and s < m.end() for s, e in kept):
            continue
        effect = _slip(m.group(), known, maybe_name)
        if effect is not None:
            effects.append((m.start(), effect, m.group()))
            blank = " " * (m.end() - m.start())
            masked = masked[: m.start()] + blank + masked[m.end() :]
            with_currency = with_currency[: m.start()] + blank + with_currency[m.end() :]
    effects.sort()
    return _intent([(effect, word) for _, effect, word in effects], masked, with_currency)


def _protected(
    text: str, known: Callable[[str], bool], names_inside: Callable[[str], Iterable[str]]
) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    words = list(re.finditer(r"\S+", text))
    for i, m in enumerate(words):
        # Names of several words too: "northern border average" is a place, not a border topic.
        for j in range(min(len(words), i + _MAX_NAME_WORDS), i, -1):
            if known(" ".join(w.group() for w in words[i:j])):
                spans.append((m.start(), words[j - 1].end()))
                break
        word = m.group()
        if script_of(word) != "latin":
            for name in names_inside(word):
                start = word.find(name)
                while start >= 0:
                    spans.append((m.start() + start, m.start() + start + len(name)))
                    start = word.find(name, start + 1)
    return spans


def _restore(masked: str, original: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        masked = masked[:start] + original[start:end] + masked[end:]
    return masked


def _slip(word: str, known: Callable[[str], bool], maybe_name: Callable[[str], bool]) -> str | None:
    if len(word) < 4 or script_of(word) != "latin" or known(word):
        return None
    for target, effect in _SLIP_WORDS.items():
        if (
            abs(len(target) - len(word)) <= 1
            and word[0] == target[0]
            and OSA.distance(word, target, score_cutoff=1) <= 1
        ):
            return None if maybe_name(word) else effect
    return None


def _intent(effects: list[tuple[str, str]], rest: str, with_currency: str) -> Intent:
    asks = {effect for effect, _ in effects}
    topics = tuple(
        dict.fromkeys(
            topic
            for e, _ in effects
            if e.startswith("topic:")
            for topic in e.split(":", 1)[1].split(",")
        )
    )
    partners = [e.split(":", 1)[1] for e, _ in effects if e.startswith("partner:")]
    currencies = [e.split(":", 1)[1] for e, _ in effects if e.startswith("currency:")]
    ask = next((a for a in _PRIORITY if a in asks), Ask.PRICE)
    return Intent(
        ask=ask,
        currency=currencies[-1] if currencies else None,
        every_market="every" in asks,
        where="where" in asks,
        topics=topics,
        partner=partners[0] if partners else None,
        conditions=bool(topics) or bool(partners) or "conditions" in asks,
        chatter="chatter" in asks,
        cues=tuple(word for effect, word in effects if effect != "filler"),
        rest=re.sub(r"\s+", " ", rest).strip(),
        rest_with_currency=re.sub(r"\s+", " ", with_currency).strip(),
    )
