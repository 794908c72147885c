"""Price figures read in an article's prose: the good, the amount, currency, unit, time and place.

    Lingzhi mushrooms previously traded for 200 to 300 Chinese yuan per kilogram, but recently
    prices have climbed to between 500 and 1,200 yuan, depending on quality.

gives Lingzhi 200-300 CNY/kg "before" and Lingzhi 500-1,200 CNY/kg "now", "depending on quality".
English, Korean and Chinese are read, and Japanese where it costs little (ASIAPRESS). Only an
amount with a currency is a figure, and only when a good stands for it; changes ("fell by 500
won"), conversions in parentheses ("8,000 won (US$1)"), trade values, fines, wages and banknotes
are not. Names go through the catalogue's resolvers, so aliases and Korean and Chinese names work.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.errors import InvalidInput
from bot.domain.intake import BEFORE, NOW, FoundFigure
from bot.domain.matching import Entry, Resolver, contained_names
from bot.domain.text import is_han, month_of_word, script_of
from bot.domain.units import CURRENCIES, UNSPECIFIED, parse_unit

# ---------------------------------------------------------------------------------------------
# Vocabulary


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Korean, Chinese and Japanese write magnitudes between digits: 1만2천원, 1万5250朝元, 3千5百.
_MAGNITUDES = {"억": 1e8, "億": 1e8, "亿": 1e8, "만": 1e4, "万": 1e4, "萬": 1e4}
_MAGNITUDES |= {"천": 1e3, "千": 1e3, "仟": 1e3, "백": 1e2, "百": 1e2, "佰": 1e2}
_HAN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5}
_HAN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_HAN_UNITS = {"十": 10.0, "百": 1e2, "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
# Currency words after an amount (the catalogue's own words, as /addprice reads them, and prose).
_CURRENCY_WORDS = {
    **dict.fromkeys(("won", "north korean won", "nk won", "dprk won", "kpw", "원", "원화"), "KPW"),
    **dict.fromkeys(("북한 원", "북한원", "朝鲜元", "朝鮮元", "朝元", "朝币", "朝幣"), "KPW"),
    **dict.fromkeys(("ウォン", "北朝鮮ウォン"), "KPW"),
    **dict.fromkeys(("south korean won", "krw", "韩元", "韓元", "韓国ウォン"), "KRW"),
    **dict.fromkeys(("yuan", "chinese yuan", "renminbi", "rmb", "cny", "위안", "위안화"), "CNY"),
    **dict.fromkeys(
        ("인민폐", "元", "元人民币", "元人民幣", "人民币", "人民幣", "块", "塊"), "CNY"
    ),
    **dict.fromkeys(("中国元", "人民元"), "CNY"),
    **dict.fromkeys(("dollar", "dollars", "us dollar", "us dollars", "usd", "달러", "딸라"), "USD"),
    **dict.fromkeys(("u.s. dollars", "american dollars", "美元", "美金", "ドル", "米ドル"), "USD"),
    **dict.fromkeys(("yen", "jpy", "円", "엔", "日元"), "JPY"),
    **dict.fromkeys(("euro", "euros", "유로", "欧元", "ユーロ"), "EUR"),
    **dict.fromkeys(("rouble", "roubles", "ruble", "rubles", "루블", "卢布", "ルーブル"), "RUB"),
}
_SYMBOLS = {"us$": "USD", "u.s.$": "USD", "$": "USD", "¥": "CNY", "₩": "KPW", "€": "EUR"}
_SYMBOLS |= {code.lower(): code for code in ("USD", "CNY", "KPW")} | {"rmb": "CNY"}
# Unit words as reported; units.parse_unit reads most of them, these are the rest.
_EXTRA_UNITS = {
    **dict.fromkeys(
        ("kgs", "kilos", "kilogramme", "kilogrammes", "키로", "キロ", "キログラム"), "kg"
    ),
    **dict.fromkeys(("gramme", "grammes", "グラム"), "g"),
    **dict.fromkeys(("tons", "tonnes", "톤", "トン"), "ton"),
    **dict.fromkeys(("catties",), "jin"),
    **dict.fromkeys(("リットル", "毫升"), "litre"),
    **dict.fromkeys(("알", "장", "個", "只", "枚", "대", "apiece"), "piece"),
    **dict.fromkeys(("heads", "棵"), "head"),
    **dict.fromkeys(("packs", "packet", "packets", "갑", "包"), "pack"),
    **dict.fromkeys(("bottles", "병", "瓶"), "bottle"),
    **dict.fromkeys(("sacks", "bag", "bags", "포대", "袋"), "sack"),
    **dict.fromkeys(("boxes",), "box"),
}
_UNIT_NAMES = {("kg", 1.0): "kg", ("kg", 0.001): "g", ("kg", 0.5): "jin", ("kg", 0.6): "geun"}
_UNIT_NAMES |= {("kg", 1000.0): "ton", ("l", 1.0): "litre", ("l", 0.001): "ml"}
_LATIN_UNITS = _words(
    "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes g gram grams gramme grammes jin "
    "catty catties geun kun ton tons tonne tonnes l litre litres liter liters ml piece pieces pc "
    "pcs head heads pack packs packet packets bottle bottles sack sacks bag bags box boxes m3"
)
# Korean counters of one syllable are units only after a number (최근 is "recently", not 근).
_CJK_UNITS = _words(
    "킬로그램 킬로 키로 그램 리터 톤 근 개 알 장 병 갑 포기 포대 대 公斤 千克 克 吨 斤 升 毫升 个 個 "
    "只 颗 棵 瓶 包 袋 枚 キログラム キロ グラム リットル トン kg g l"
)
# Goods and places as ASIAPRESS writes them in Japanese, where the catalogue has no Japanese.
_JAPANESE_GOODS = {
    **dict.fromkeys(("コメ", "米", "白米", "精米"), "rice"),
    **dict.fromkeys(("トウモロコシ", "とうもろこし", "トウモロコシ粉"), "corn"),
    **dict.fromkeys(("豚肉",), "pork"),
    **dict.fromkeys(("ガソリン",), "gasoline"),
    **dict.fromkeys(("軽油", "ディーゼル"), "diesel"),
    **dict.fromkeys(("砂糖",), "sugar"),
    **dict.fromkeys(("ジャガイモ", "じゃがいも"), "potato"),
    **dict.fromkeys(("卵", "鶏卵"), "chicken-egg"),
    **dict.fromkeys(("塩",), "salt"),
    **dict.fromkeys(("食用油",), "cooking-oil"),
    **dict.fromkeys(("霊芝",), "lingzhi"),
    **dict.fromkeys(("ドル", "米ドル"), "us-dollar"),
    **dict.fromkeys(("人民元", "中国元"), "chinese-yuan"),
    **dict.fromkeys(("ウォン", "北朝鮮ウォン"), "north-korean-won"),
}
_JAPANESE_PLACES = {"恵山": "hyesan", "恵山市": "hyesan", "両江道": "ryanggang"}
_JAPANESE_PLACES |= {"平壌": "pyongyang", "会寧": "hoeryong", "新義州": "sinuiju"}
# Goods whose unit is their own (an egg, a head of cabbage, a gram of gold): a unit said for the
# goods beside them in a sentence is not theirs.
_OWN_UNIT_GOODS = frozenset(("chicken-egg", "chinese-cabbage", "gold", "silver", "timber"))
_OWN_UNIT_GOODS |= {"cigarettes"}


def _alternation(words: Iterable[str]) -> str:
    """Return a regex matching any of the words, longest first; a Latin word ends at a letter."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        text = re.escape(word).replace(r"\ ", r"\s+")
        if word.isascii() and word[-1].isalnum():
            text += r"(?![a-z])"
        parts.append(text)
    return "|".join(parts)


_CURRENCY = _alternation(_CURRENCY_WORDS)
_PREFIX = r"US\$|U\.S\.\s?\$|\$|¥|₩|€|(?:USD|CNY|RMB|KPW)(?=\s?\d)"
_UNIT_WORD = _alternation([*_LATIN_UNITS, *_CURRENCY_WORDS])
_CJK_UNIT = _alternation(_CJK_UNITS)

_ATOM_RE = re.compile(
    rf"(?<![A-Za-z0-9.,])(?:(?P<pre>{_PREFIX})\s?)?"
    rf"(?P<num>(?:{_NUM})(?:\s?[{''.join(_MAGNITUDES)}](?:\s?(?:{_NUM}))?)*"
    rf"|[{''.join(_HAN_DIGITS)}十百千万萬亿億]+)"
    r"(?:\s?(?P<big>million|billion|trillion|bn|mn)(?![a-z]))?"
    r"(?P<odd>\s?(?:여|多|余|餘|남짓))?"
    rf"(?:\s?(?P<cur>{_CURRENCY}))?",
    re.IGNORECASE,
)
_RANGE_GAP_RE = re.compile(r"\s*(-|–|—|~|〜|to|and|至|到|에서|から|乃至)\s*", re.IGNORECASE)
# "从7800涨到8200朝元": the first figure takes the second's currency, and is the earlier one.
_CHANGE_TO_GAP_RE = re.compile(
    r"\s*(?:上涨|上漲|涨|漲|上升|升|下跌|跌|下降|降|回落|增加|减少|減少)了?(?:到|至)了?\s*"
)
_BETWEEN_RE = re.compile(r"\bbetween\s+(?:about\s+|around\s+)?$", re.IGNORECASE)
_CHANGE_VERB = (
    r"ris(?:e|es|en|ing)|rose|climb(?:s|ed|ing)?|jump(?:s|ed|ing)?|increas(?:e|es|ed|ing)"
    r"|fall(?:s|en|ing)?|fell|drop(?:s|ped|ping)?|declin(?:e|es|ed|ing)|decreas(?:e|es|ed|ing)"
    r"|soar(?:s|ed|ing)?|surg(?:e|es|ed|ing)|plung(?:e|es|ed|ing)|plummet(?:s|ed|ing)?|slipp?ed"
    r"|slid|gain(?:s|ed)?|lost|shed|went up|went down|gone up|gone down|edged (?:up|down)"
)
_FROM_CHANGE_RE = re.compile(rf"\b(?:{_CHANGE_VERB})\b[^.;]{{0,40}}\bfrom\s+$", re.IGNORECASE)
_UNIT_AFTER_RE = re.compile(
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:,\s*)?(?:"
    rf"(?:per|a|an|/|一|每|for\s+(?:a|one|each|every)|each|every|to\s+the|against\s+the)\s*"
    rf"(?:(?P<q>{_NUM})\s*|single\s+)?(?P<u>{_UNIT_WORD}|{_CJK_UNIT})"
    r"|(?P<each>each|apiece|a\s+piece)(?![a-z]))",
    re.IGNORECASE,
)
# "a kilogram of rice", "A 25-kilogram sack of corn", "600 grams, the usual geun, sold for".
_UNIT_OF_RE = re.compile(
    rf"\b(?:a|an|one|per|each|(?P<q>{_NUM}))[\s-]?(?P<u>{_alternation(_LATIN_UNITS)})"
    r"(?:\s+(?:sack|bag|box|bottle|pack|packet|can|tin|container|jerrycan|drum|barrel|tank)s?)?"
    r"(?:\s+of\b)?",
    re.IGNORECASE,
)
_CJK_UNIT_RE = re.compile(
    rf"(?:(?P<q>{_NUM})\s*|한\s*|一|每\s*)(?P<u>{_CJK_UNIT}|{_alternation(_CURRENCY_WORDS)})"
    rf"|(?P<solo>{_CJK_UNIT}|달러|위안화|위안|美元)\s*(?:당|当たり|あたり)",
    re.IGNORECASE,
)
_SINGLE_RE = re.compile(r"\b(?:a single|one single|each|every|per)\s+$", re.IGNORECASE)
_APPROX_BEFORE_RE = re.compile(
    r"(?:\b(?:about|around|roughly|approximately|approx\.?|some|nearly|almost|close to"
    r"|an estimated|estimated)\s+(?:between\s+)?|(?:약|대략|大约|大概|约|約|将近|およそ|ほぼ)\s*)$",
    re.IGNORECASE,
)
_APPROX_AFTER_RE = re.compile(
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:정도|가량|쯤|안팎|내외|남짓|左右|上下|前後|程度|ほど|くらい|ぐらい"
    r"|or so\b)",
    re.IGNORECASE,
)
# A change or a difference is not a price: "fell by 500 won", "500원 올랐다", "上涨了1200朝元".
_CHANGE_BEFORE_RE = re.compile(
    rf"(?:\b(?:{_CHANGE_VERB}|up|down|higher|lower|cheaper|dearer)\s+(?:by\s+)?"
    r"|\b(?:rise|increase|drop|fall|decline|decrease|jump|gain|hike|cut|change|difference|gap)"
    r"\s+of\s+|\bby\s+)(?:(?:about|around|roughly|some|nearly|almost|more than|over|just|another"
    r"|an additional|a further|a)\s+)?$"
    r"|(?:上涨|上漲|下跌|上升|下降|涨|漲|跌|降|(?<![每一\d])升|增加|减少|減少|提高|降低|贵|貴|便宜|高出)了?"
    r"(?:约|約|近|大约)?\s*$",
    re.IGNORECASE,
)
_CHANGE_AFTER_RE = re.compile(
    r"\s*(?:(?:more|less|higher|lower|cheaper|dearer)\b(?!\s+(?:to|from))"
    r"|(?:increase|rise|drop|fall|hike|jump|cut|gain)s?\b)"
    r"|\s*(?:이나|가량|정도|씩|이|가|나|쯤)?\s*(?:더\s*)?(?:올랐|올라|오른|오르|상승|인상|뛰었|뛰어|뛴"
    r"|치솟|급등|폭등|하락|떨어|내렸|내려|내린|인하|급락|폭락|비싸|싸|싼|저렴|높|낮|차이|늘|줄)"
    r"|\s*(?:も|ほど)?\s*(?:値上がり|値下がり|上昇|下落|上がっ|下がっ|高く|安く|高い|安い|急騰|高騰"
    r"|値上げ|値下げ)",
    re.IGNORECASE,
)
# Money that is not the price of a good: trade values, fines, wages, fees, bribes, cash, notes.
_NOT_PRICE_BEFORE_RE = re.compile(
    r"(?:\b(?:worth|valued|value|total(?:l?ing|l?ed)?|amount(?:ing|ed)?\s+to|revenue|turnover"
    r"|income|earn(?:s|ed|ing)?|profits?|wages?|salar(?:y|ies)"
    r"|fines?|fined|penalt(?:y|ies)|bribes?|bribed|fees?|fares?|tax(?:es)?|budget|invest\w*"
    r"|loans?|debts?|deposits?|donat\w*|rewards?|compensation|cash|savings|funds?|capital"
    r"|subsid\w*|allowances?|pensions?|rent|ransom|trade\s+of)\b"
    r"(?:\W+\w+){0,4}\W*"
    r"|(?:무역액|수출액|수입액|거래액|교역액|총액|규모|벌금|뇌물|월급|임금|노임|생활비|수수료|세금|이익금|이윤"
    r"|소득|매출|현금|자금|예금|보상금|지원금|성금|총|하루|한\s?달)[^\d]{0,12}"
    r"|(?:贸易额|貿易額|出口额|出口額|进口额|進口額|总额|總額|金额|金額|价值|價值|罚款|罰款|贿赂|賄賂"
    r"|工资|工資|薪水|月薪|收入|利润|利潤|税|稅|手续费|手續費|营业额|营业額|现金|現金|资金|資金|赚|挣"
    r"|存款|携带|攜帶)[^\d]{0,8}"
    r"|(?:貿易額|輸出額|輸入額|総額|罰金|賄賂|給料|月給|日当|収入|利益|手数料|現金|資金)[^\d]{0,8})$",
    re.IGNORECASE,
)
_RATE_WORTH_RE = re.compile(
    r"\b(?:dollars?|yuan|renminbi|rmb|won)\s+(?:was|is|were|are|remained|stayed)\s+worth\s+$",
    re.IGNORECASE,
)
_NOT_PRICE_AFTER_RE = re.compile(
    r"(?:\s*\([^()]{0,40}\))?\s*(?:(?:[a-z]+\s+)?(?:fees?|fines?|bribes?|notes?|bills?|banknotes?)\b"
    r"|(?:worth"
    r"|in\s+(?:cash|taxes|tax|fines|bribes|savings|wages|revenue|profits?|funds|loans?|aid)"
    r"|(?:a|per|each)\s+(?:month|year|week|day|hour|person|crossing|trip)"
    r"(?!\s+(?:ago|earlier|later|before|after|previously))"
    r"|monthly|annually|yearly|daily|weekly)\b"
    r"|-won\b|어치|권|짜리|의\s?(?:벌금|뇌물|수수료|월급)|(?:에|로|으로)\s?달(?:했|하|한)|에\s?이르"
    r"|现金|現金|的?罚款|面额|面值|纸币|的?工资|的?收入|札|紙幣|の罰金)",
    re.IGNORECASE,
)
# A writer's conversion: "8,000 won (US$1)", "6,500원(미화 약 0.8달러)", "5800朝元（约合0.7美元）".
_CONVERSION_WORDS_RE = re.compile(
    r"\b(?:about|around|roughly|approximately|approx|or|some|equivalent|to|us|i\.e|e\.g)\b"
    r"|per\s+\w+|/\s*\w+|미화|약|대략|约合|折合|相当于|约|約|およそ|合|[\s,.:;=~]",
    re.IGNORECASE,
)
_CONVERSION_GAP_RE = re.compile(
    r"[\s,]*(?:(?:or|i\.e\.|(?:the\s+)?equivalent\s+(?:to|of)|roughly\s+equivalent\s+to"
    r"|which\s+is)\s+(?:about\s+|around\s+|roughly\s+|some\s+)?"
    r"|,\s*(?:about|around|roughly|approximately|some)\s+)$",
    re.IGNORECASE,
)
# "1 yuan = 1,150 won", "1달러=8,100원", "1美元兑换8100朝元", "1ドル=8100ウォン".
_EXCHANGE_GAP_RE = re.compile(
    r"\s*(?:=|:|equals?|to|(?:(?:was|were|is|are)\s+)?(?:exchanged|traded|changed|sold|swapped)"
    r"\s+(?:for|at|into)|bought|fetched|兑换成?|兑|換成?|에|당|は)\s*",
    re.IGNORECASE,
)
# The text between two figures is split where a clause ends; each side goes to its figure.
_CLAUSE_RE = re.compile(
    r"[,;、]|\b(?:but|while|whereas|although|though|and|however)\b|지만|는데|으며|이며|고\s|며\s"
    r"|但|而|却|が、|けど",
    re.IGNORECASE,
)
_EN_NEXT_RE = re.compile(
    r"\b(?:now|recently|currently|these days|nowadays|lately|at present|today|(?:up|down)\s+from"
    rf"|from|compared|(?:{_CHANGE_VERB})\s+to)\b",
    re.IGNORECASE,
)
_CJK_PREVIOUS_RE = re.compile(r"\s*(?:에서|이던|였던|이었던|하던|보다|까지|から|だった|より)")
_BEFORE_CUE_RE = re.compile(
    r"\b(?:previously|before|earlier|used to|formerly|originally|until recently"
    r"|in the past|last (?:week|month|year|season|spring|summer|autumn|fall|winter)"
    r"|(?:a|one|two|three|four|five|six|several|a few|\d+) (?:days?|weeks?|months?|years?)"
    r" (?:ago|earlier|before)|the previous (?:week|month|year))\b"
    r"|(?:up|down)\s+from\s+(?:about\s+|around\s+)?$|\bfrom\s+$"
    r"|이전|전에는|예전|지난\s?달|지난\s?주|지난해|작년|전주|원래|한때|그동안|얼마 전|달 전|주 전|해 전|년 전"
    r"|此前|之前|以前|原来|原先|曾经|上个?月|去年|上周|上週|(?:从|從)[^,，。;；]{0,8}$|個?月前|个月前|年前"
    r"|先月|昨年|前は|かつて|先週|か月前|ヶ月前|カ月前",
    re.IGNORECASE,
)
_BEFORE_SUFFIX_RE = re.compile(r"\s*(?:에서|이던|였던|이었던|하던|보다|から|より)")
_NOW_CUE_RE = re.compile(
    r"\b(?:now|recently|currently|these days|nowadays|lately|at present|today"
    r"|this (?:week|month|year|season))\b"
    rf"|\b(?:{_CHANGE_VERB}|reach(?:ed|es)?|hit)\s+(?:to\s+)?(?:about\s+|around\s+|between\s+)*$"
    r"|최근|현재|요즘|지금|요새|이번 주|이번 달|이달|올해"
    r"|最近|近来|近日|目前|现在|現在|如今|当前|眼下|本月|本周|今年|[涨漲升降跌]到|[涨漲升降跌]至|卖到|賣到"
    r"|今は|いま|今月|今週",
    re.IGNORECASE,
)
_NOW_SUFFIX_RE = re.compile(
    r"\s*(?:\([^()]{0,40}\)\s*)?(?:(?:으로|로|까지)\s*\S{0,6}?\s*(?:올랐|상승|뛰었|치솟|하락|떨어|내렸"
    r"|급등|폭등)|(?:まで|に)\s*(?:値上がり|上昇|高騰|急騰|値下がり|下落))"
)
_RELATIVE_MONTH_RE = re.compile(r"\blast month\b|지난\s?달|上个?月|先月", re.IGNORECASE)
# Time words that place a figure before the date of the text without calling it an old price:
# "last week" alone is as good as now; beside a later figure of the series it is the earlier.
_RELATIVE_RE = re.compile(
    r"\blast\b|\bago\b|\bearlier\b|\bprevious\b|지난|작년|전주|달 전|주 전|해 전|년 전"
    r"|上个?月|去年|上周|上週|月前|年前|先月|先週|昨年|か月前|ヶ月前|カ月前",
    re.IGNORECASE,
)
_RELATIVE_WEEK_RE = re.compile(r"\bweek\b|주|周|週", re.IGNORECASE)
# "比上月上涨了", "지난해보다", "up 1,000 won from a month ago": the time of the comparison, not of
# the figure.
_COMPARED_BEFORE_RE = re.compile(
    r"(?:比[^,，。]{0,4}|than|compared\s+(?:with|to)|from)\s*(?:the\s+)?$", re.I
)
_COMPARED_AFTER_RE = re.compile(r"\s*(?:보다|より|에\s?비해|대비)")
# Qualifiers as the text says them.
_QUALIFIER_RE = re.compile(
    r"\b(?:depending on (?:the )?(?:quality|grade|size|cut|variety|season|type)"
    r"|according to (?:quality|grade)|(?:top|high|low|best|premium|first|second)[- ](?:quality|grade)"
    r"|wholesale|retail)\b"
    r"|품질에 따라|등급에 따라|상품에 따라|도매|소매"
    r"|根据品质不同|根据质量不同|根据品质|根据质量|根據品質|视品质|视质量|按质量|品质不同|批发|批發|零售"
    r"|品質によって|品質により|卸売り?|小売",
    re.IGNORECASE,
)
_PRICE_TYPE_RE = re.compile(r"wholesale|retail|도매|소매|批发|批發|零售|卸|小売", re.IGNORECASE)
# Out-of-catalogue goods: "solar panels cost 300 yuan each", "태양광판은 한 장에 300위안".
_EN_GOOD_RE = re.compile(
    r"(?P<np>(?:[A-Za-z][\w'-]*\s+){0,3}?[A-Za-z][\w'-]*)\s+"
    r"(?:(?:now|currently|reportedly|still|also|typically|usually|generally|only)\s+)?"
    r"(?:cost|costs|costing|sell|sells|sold|selling|go|goes|went|going|fetch|fetches|fetched"
    r"|fetching|retail|retails|retailed|(?:is|are|was|were)(?:\s+(?:being|now))?\s+"
    r"(?:selling|sold|priced|going|trading|retailing|offered))"
    r"(?:\s+(?:for|at))?\s+(?:(?:about|around|roughly|approximately|some|between|just|only"
    r"|as much as|up to|under|over)\s+)*$",
    re.IGNORECASE,
)
_EN_SOLD_GOOD_RE = re.compile(
    r"\b(?:sells?|sold|selling|offers?|offered|offering)\s+"
    r"(?P<np>(?:[A-Za-z][\w'-]*\s+){0,2}[A-Za-z][\w'-]*)\s+(?:for|at)\s+"
    r"(?:(?:about|around|roughly|approximately|some|between|just|only)\s+)*$",
    re.IGNORECASE,
)
_EN_NOT_GOODS = frozenset(
    (
        *_words(
            "a an the one each every some this that these those it its they them which who what"
        ),
        *_words(
            "and or but while whereas of in at on for to from by with as than said says now price"
        ),
        *_words(
            "prices cost costs fee fees fare fares fine fines wage wages salary rent bribe bribes"
        ),
        *_words("ticket tickets tax taxes there here also still only just"),
    )
)
_KO_GOOD_RE = re.compile(
    r"(?P<np>[가-힣]{2,8})(?:은|는|이|가)\s+(?:(?:한|1)\s?(?P<counter>개|장|대|벌|켤레|병|갑|알)"
    r"(?:에|당)?\s*|[가-힣]{1,4}당\s*)?(?:약\s*)?$"
)
_KO_NOT_GOODS = frozenset(
    _words(
        "가격 값 시세 환율 월급 임금 노임 생활비 비용 요금 벌금 뇌물 수수료 세금 소식통 주민 상인 당국 현금 "
        "수출 수입 무역 교역 거래 매출"
    )
)
_KO_NOT_GOOD_ENDINGS = ("비", "료", "세", "금", "액")
# Korean particles and price words written onto a name: 쌀값이, 입쌀가격은, 혜산시장에서.
_KO_SUFFIXES = (
    *_words("에서는 에서도 에서의 으로는 이라는 이었던 가격이 가격은 가격도 가격의 시세는 시세가"),
    *_words(
        "에서 에게 까지 부터 으로 로는 이던 였던 하던 값이 값은 값도 가격 시세 시장 장마당 지역"
    ),
    *_words("값 로 은 는 이 가 을 를 의 도 와 과 만 에 랑 나 산 시"),
)
_HAN_BEFORE_OK = frozenset("和与與及、或跟的のはがもをや")
_HAN_AFTER_OK = frozenset(
    "价價每一的为為卖賣售是约約涨漲跌在等都和与與及、也则則公斤克のはがもをや"
)
_CJK_RUN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffー]+|[가-힣]+")
_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]|[A-Za-z]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_MAX_NAME_WORDS = 6
# The longest Korean or Chinese name in the catalogue has 11 characters (朝鲜民主主义人民共和国).
_RUN_WINDOW, _RUN_OVERLAP = 32, 16

# Dates: 2024-11-03, Nov. 12, 3 November 2024, in August, 2024년 10월, 9월 초, 2024年11月3日.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE_RES = (
    re.compile(r"\b(?P<y>(?:19|20)\d\d)[-./](?P<m>\d{1,2})(?:[-./](?P<d>\d{1,2}))?\b"),
    re.compile(
        rf"\b(?P<mw>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d))?"
    ),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<mw>{_MONTH})\.?(?:,?\s+(?P<y>(?:19|20)\d\d))?\b"),
    re.compile(rf"\b(?P<mw>{_MONTH})\.?,?\s+(?P<y>(?:19|20)\d\d)\b"),
    re.compile(
        rf"\b(?i:in|early|mid|mid-|late|since|by|until|during|of|throughout|end of)\s+"
        rf"(?:early\s+|mid-?\s*|late\s+)?(?P<mw>{_MONTH})\b(?!\s+\d)"
    ),
    re.compile(
        r"(?:(?P<y>(?:19|20)\d\d)\s*[년年]\s*)?(?P<m>\d{1,2})\s*[월月](?:\s*(?P<d>\d{1,2})\s*[일日号號])?"
    ),
)


# ---------------------------------------------------------------------------------------------
# Text, sentences and names


@dataclass(frozen=True)
class _Text:
    """A text in NFKC (full-width digits and ～ read as 5 and ~), mapped back to the original."""

    raw: str
    norm: str
    index: Sequence[int]

    def original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1


def _read_text(text: str) -> _Text:
    if unicodedata.is_normalized("NFKC", text):
        return _Text(text, text, range(len(text) + 1))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        form = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        chars.append(form)
        index.extend([i] * len(form))
    index.append(len(text))
    return _Text(text, "".join(chars), tuple(index))


_ABBREVIATIONS = frozenset(
    _words(
        "no nos mr mrs ms dr st vs approx est jan feb mar apr jun jul aug sep sept oct nov dec u.s "
        "e.g i.e inc co corp gov gen lt col rep ltd"
    )
)
_MAX_SENTENCE = 1_000
_END_RE = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|[。!?]+[\"'”’」』)]*|\n\s*")


def _sentence_spans(norm: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END_RE.finditer(norm):
        if m.group().startswith("."):
            word = re.search(r"[\w.]+$", norm[start : m.start()])
            before = word.group().lower() if word else ""
            following = norm[m.end() :].lstrip()[:1]
            if before in _ABBREVIATIONS or len(before) == 1 or following.islower():
                continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(norm)))
    out = []
    for s, e in _short(norm, spans):
        while s < e and norm[s].isspace():
            s += 1
        while e > s and norm[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def _short(norm: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cut a "sentence" longer than any in prose (a pasted table on one line) where a clause or
    a word ends, so that reading it costs time in proportion to its length."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while e - s > _MAX_SENTENCE:
            cut = max(norm.rfind(",", s, s + _MAX_SENTENCE), norm.rfind(" ", s, s + _MAX_SENTENCE))
            cut = cut + 1 if cut > s else s + _MAX_SENTENCE
            out.append((s, cut))
            s = cut
        out.append((s, e))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence of a text, in the text's own offsets."""
    read = _read_text(text)
    return [read.original(s, e) for s, e in _sentence_spans(read.norm)]


@dataclass(frozen=True)
class Mention:
    """A catalogue name found in a text: the entry, the words as written and where they stand."""

    entry: Entry
    words: str
    start: int
    end: int


def _one(resolver: Resolver, text: str) -> Entry | None:
    hits = resolver.exact(text)
    return hits[0] if len(hits) == 1 else None


def _latin_variants(phrase: str) -> list[str]:
    out = [phrase]
    lowered = phrase.lower()
    for suffix in ("'s", "’s", "es", "s"):
        if lowered.endswith(suffix) and len(phrase) > len(suffix) + 2:
            out.append(phrase[: -len(suffix)])
    return out


def _first_words(resolver: Resolver) -> frozenset[str]:
    """Return the words Latin names of the catalogue begin with (only there can one start)."""
    firsts = set()
    for entry in resolver.entries:
        for name in (entry.slug.replace("-", " "), *(n.text for n in entry.names)):
            words = _LATIN_WORD_RE.findall(name)
            if words and name.isascii():
                firsts.add(words[0].lower())
    return frozenset(firsts)


def _latin_names(norm: str, resolver: Resolver) -> list[Mention]:
    words = list(_LATIN_WORD_RE.finditer(norm))
    firsts = _first_words(resolver)
    # Words of one name stand apart by spaces or a hyphen ("five-flavour berry").
    joined = [norm[a.end() : b.start()].strip() in ("", "-") for a, b in itertools.pairwise(words)]
    found: list[Mention] = []
    i = 0
    while i < len(words):
        first = words[i].group().lower()
        if first not in firsts and not any(v.lower() in firsts for v in _latin_variants(first)):
            i += 1
            continue
        longest = 1
        while longest < _MAX_NAME_WORDS and i + longest < len(words) and joined[i + longest - 1]:
            longest += 1
        for j in range(i + longest, i, -1):
            phrase = norm[words[i].start() : words[j - 1].end()]
            entry = next((e for v in _latin_variants(phrase) if (e := _one(resolver, v))), None)
            if entry is not None:
                found.append(Mention(entry, phrase, words[i].start(), words[j - 1].end()))
                i = j
                break
        else:
            i += 1
    return found


def _korean_core(token: str, places: Resolver | None) -> str:
    core = token
    for _ in range(3):
        suffix = next((s for s in _KO_SUFFIXES if core.endswith(s) and len(core) > len(s)), None)
        if suffix is None:
            break
        core = core[: -len(suffix)]
    if places is not None:
        for size in range(min(len(core) - 1, _RUN_WINDOW), 1, -1):
            if places.exact(core[:size]):
                return core[size:]
    return core


def _run_names(
    norm: str,
    run: str,
    start: int,
    resolver: Resolver,
    extra: dict[str, Entry],
    places: Resolver | None,
) -> list[Mention]:
    """Names inside one Korean word or one run of Chinese or Japanese characters."""
    if "가" <= run[0] <= "힣" and len(run) > _RUN_WINDOW:
        return []  # Korean is written in words; a run this long is not one
    pieces: dict[str, list[Entry]] = {}
    # contained_names compares every piece of its text: a run far longer than any name is read
    # in overlapping windows, so a page of characters without punctuation costs linear time.
    for at in range(0, max(1, len(run) - _RUN_OVERLAP), _RUN_WINDOW - _RUN_OVERLAP):
        for entry, piece in contained_names(resolver, run[at : at + _RUN_WINDOW]):
            if entry not in pieces.get(piece, []):
                pieces.setdefault(piece, []).append(entry)
    for word, entry in extra.items():
        if word in run:
            pieces.setdefault(word, []).append(entry)
    taken = [False] * len(run)
    found: list[Mention] = []
    for piece in sorted(pieces, key=len, reverse=True):
        entries = {e.id: e for e in pieces[piece]}
        if len(entries) != 1:
            continue
        pos = run.find(piece)
        while pos >= 0:
            if len(piece) == 1 and not _single_ok(run, pos):
                pos = run.find(piece, pos + 1)
                continue
            if not any(taken[pos : pos + len(piece)]):
                taken[pos : pos + len(piece)] = [True] * len(piece)
                found.append(
                    Mention(
                        next(iter(entries.values())), piece, start + pos, start + pos + len(piece)
                    )
                )
            pos = run.find(piece, pos + 1)
    if "가" <= run[0] <= "힣":
        # A one-syllable name (쌀, 금, 콩) only as a whole word: 쌀값이 is rice, 지금 is not gold,
        # and the 은 of "1kg은" is a particle, not silver.
        core = _korean_core(run, places)
        whole = not (start and norm[start - 1].isalnum())
        syllable = _one(resolver, core) if len(core) == 1 and whole and not found else None
        pos = run.find(core)
        if syllable is not None and pos >= 0:
            found.append(Mention(syllable, core, start + pos, start + pos + 1))
        return found
    for pos, ch in enumerate(run):
        single = _one(resolver, ch) if is_han(ch) and not taken[pos] else None
        if single is not None and _single_ok(run, pos):
            found.append(Mention(single, ch, start + pos, start + pos + 1))
    return found


def _single_ok(run: str, pos: int) -> bool:
    # One Chinese character names a good only standing alone: 金价 is gold, 资金 and 金正恩 are not.
    if "가" <= run[pos] <= "힣":
        return False  # Korean syllables: only a whole word (checked by the caller)
    before_ok = pos == 0 or run[pos - 1] in _HAN_BEFORE_OK
    after_ok = pos == len(run) - 1 or run[pos + 1] in _HAN_AFTER_OK
    return before_ok and after_ok


def _names(
    read: _Text, resolver: Resolver, extra: dict[str, str], places: Resolver | None
) -> list[Mention]:
    by_slug = {e.slug: e for e in resolver.entries}
    extra_entries = {word: by_slug[slug] for word, slug in extra.items() if slug in by_slug}
    found = _latin_names(read.norm, resolver)
    for m in _CJK_RUN_RE.finditer(read.norm):
        found.extend(_run_names(read.norm, m.group(), m.start(), resolver, extra_entries, places))
    return sorted(found, key=lambda x: x.start)


def _latin(text: str) -> bool:
    return script_of(text) == "latin" and _KANA_RE.search(text) is None


def _japanese(text: str, lang: str | None) -> bool:
    return lang == "ja" or (lang is None and _KANA_RE.search(text) is not None)


def find_goods(
    text: str, commodities: Resolver, *, markets: Resolver | None = None, lang: str | None = None
) -> list[Mention]:
    """Return the catalogue goods a text names, in the text's own offsets."""
    read = _read_text(text)
    extra = _JAPANESE_GOODS if _japanese(text, lang) else {}
    return [_to_original(read, m) for m in _names(read, commodities, extra, markets)]


def find_places(text: str, markets: Resolver, *, lang: str | None = None) -> list[Mention]:
    """Return the catalogue places a text names, in the text's own offsets."""
    read = _read_text(text)
    extra = _JAPANESE_PLACES if _japanese(text, lang) else {}
    return [_to_original(read, m) for m in _names(read, markets, extra, None)]


def _to_original(read: _Text, m: Mention) -> Mention:
    start, end = read.original(m.start, m.end)
    return Mention(m.entry, read.raw[start:end], start, end)


_PLACE_RANK = {"city": 3, "county": 3, "aggregate": 2, "province": 1, "country": 0}


def main_place(places: list[Mention]) -> Mention | None:
    """Return the place a text is about: the most specific kind named, then the most named, then
    the first (an article on Hyesan names North Korea and Ryanggang too)."""
    if not places:
        return None
    counts: dict[int, int] = {}
    for m in places:
        counts[m.entry.id] = counts.get(m.entry.id, 0) + 1
    return min(
        places,
        key=lambda m: (-_PLACE_RANK.get(m.entry.kind, 1), -counts[m.entry.id], m.start),
    )


def currency_code(entry: Entry) -> str | None:
    """Return the ISO code of a currency the catalogue lists as a good, or None for other goods."""
    if entry.kind != "currency":
        return None
    return next((n.text.upper() for n in entry.names if n.text.upper() in CURRENCIES), None)


# ---------------------------------------------------------------------------------------------
# Amounts


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    value: float
    currency: str | None
    big: bool
    odd: bool


@dataclass
class _Amount:
    start: int
    end: int
    low: float
    high: float
    currency: str
    approximate: bool = False
    big: bool = False
    forced: str | None = None  # BEFORE or NOW, from "rose from X to Y"
    tail: int = 0  # where the unit and approximation words after the amount end
    unit: str | None = None
    quantity: float = 1.0
    unit_words: str | None = None
    rate_of: str | None = None  # the currency this amount is the exchange rate of
    rate_words: str | None = None


def _value(num: str) -> float:
    """Read 1,200, 1만2천, 1万5250, 3천5백 or 1.5만 as a number."""
    total = section = 0.0
    current: float | None = None
    for m in re.finditer(rf"({_NUM})|([{''.join(_MAGNITUDES)}])", num):
        if m.group(1):
            current = float(m.group(1).replace(",", ""))
            continue
        magnitude = _MAGNITUDES[m.group(2)]
        if magnitude >= 1e4:
            total += ((section + (current or 0.0)) or 1.0) * magnitude
            section = 0.0
        else:
            section += (1.0 if current is None else current) * magnitude
        current = None
    return total + section + (current or 0.0)


def _han_value(num: str) -> float:
    """Read Chinese numerals: 五千, 一万五千, 两百."""
    total = section = 0.0
    digit: float | None = None
    for ch in num:
        if ch in _HAN_DIGITS:
            digit = float(_HAN_DIGITS[ch])
            continue
        magnitude = _HAN_UNITS[ch]
        if magnitude >= 1e4:
            total += ((section + (digit or 0.0)) or 1.0) * magnitude
            section = 0.0
        else:
            section += (1.0 if digit is None else digit) * magnitude
        digit = None
    return total + section + (digit or 0.0)


def _atoms(norm: str, start: int, end: int) -> list[_Atom]:
    out: list[_Atom] = []
    for m in _ATOM_RE.finditer(norm, start, end):
        num, pre, cur = m.group("num"), m.group("pre"), m.group("cur")
        code = _CURRENCY_WORDS.get(" ".join(cur.lower().split())) if cur else None
        if pre:
            code = code or _SYMBOLS.get(pre.lower().replace(" ", ""))
        han = not num[0].isdigit()
        if han and code is None:
            continue
        value = _han_value(num) if han else _value(num)
        # Hundreds of millions are trade values and budgets, not market prices: 23억 달러, 15亿美元.
        big = bool(m.group("big")) or any(ch in num for ch in "억億亿")
        if value > 0:
            out.append(_Atom(m.start(), m.end(), value, code, big, bool(m.group("odd"))))
    return out


def _amounts(norm: str, start: int, end: int) -> list[_Amount]:
    """Amounts with a currency, ranges joined ("200 to 300 yuan", "1만3천~1만5천원") and "from X to
    Y" changes split into the earlier and the later figure."""
    atoms = _atoms(norm, start, end)
    out: list[_Amount] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        b = atoms[i + 1] if i + 1 < len(atoms) else None
        gap = _RANGE_GAP_RE.fullmatch(norm, a.end, b.start) if b is not None else None
        if b is not None and gap is not None and b.currency and a.currency in (None, b.currency):
            word = gap.group(1).lower()
            if word != "and" or _BETWEEN_RE.search(norm, max(start, a.start - 24), a.start):
                after = norm[b.end : end]
                change = (
                    a.value > b.value
                    or (
                        word == "to"
                        and _FROM_CHANGE_RE.search(norm, max(start, a.start - 60), a.start)
                    )
                    or (word == "에서" and re.match(r"\s*(?:으로|로)", after))
                    or (word == "から" and re.match(r"\s*に", after))
                )
                big = a.big or b.big
                if change:
                    out.append(
                        _Amount(a.start, a.end, a.value, a.value, b.currency, a.odd, big, BEFORE)
                    )
                    out.append(
                        _Amount(b.start, b.end, b.value, b.value, b.currency, b.odd, big, NOW)
                    )
                else:
                    out.append(
                        _Amount(a.start, b.end, a.value, b.value, b.currency, a.odd or b.odd, big)
                    )
                i += 2
                continue
        if (
            b is not None
            and b.currency
            and a.currency is None
            and _CHANGE_TO_GAP_RE.fullmatch(norm, a.end, b.start)
        ):
            out.append(_Amount(a.start, a.end, a.value, a.value, b.currency, a.odd, a.big, BEFORE))
        elif a.currency:
            out.append(_Amount(a.start, a.end, a.value, a.value, a.currency, a.odd, a.big))
        i += 1
    return out


def _canonical_unit(word: str) -> str:
    key = " ".join(word.lower().split())
    if key in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[key]
    if key in _EXTRA_UNITS:
        return _EXTRA_UNITS[key]
    try:
        unit = parse_unit(key)
    except InvalidInput:
        return UNSPECIFIED
    return _UNIT_NAMES.get((unit.base, unit.quantity), unit.base)


def _unit_after(norm: str, a: _Amount, end: int) -> tuple[str, float, str, int] | None:
    m = _UNIT_AFTER_RE.match(norm, a.end, end)
    if m is None:
        return None
    if m.group("each"):
        return "piece", 1.0, m.group("each"), m.end()
    quantity = float(m.group("q").replace(",", "")) if m.group("q") else 1.0
    unit = _canonical_unit(m.group("u"))
    if unit == a.currency:
        return None
    return unit, quantity, m.group("u"), m.end()


def _unit_before(before: str, latin: bool, currency: str) -> tuple[str, float, str] | None:
    if latin:
        found = list(_UNIT_OF_RE.finditer(before))
        if not found:
            return None
        m = found[-1]
        quantity = float((m.group("q") or "1").replace(",", ""))
        return _canonical_unit(m.group("u")), quantity, m.group("u")
    for m in reversed(list(_CJK_UNIT_RE.finditer(before))):
        word = m.group("u") or m.group("solo")
        quantity = float((m.group("q") or "1").replace(",", ""))
        unit = _canonical_unit(word)
        if unit in CURRENCIES and (unit == currency or quantity not in (1.0, 10.0, 100.0, 1000.0)):
            continue  # "5000원" before a figure is another amount, not "per 5000 won"
        return unit, quantity, word
    return None


def _is_conversion(norm: str, start: int, a: _Amount, previous: _Amount | None) -> bool:
    """Tell whether an amount is the writer's conversion of the one before it."""
    if previous is None or previous.currency == a.currency:
        return False
    opening = norm.rfind("(", max(start, previous.end), a.start)
    closing = norm.find(")", a.end, a.end + 40)
    if opening >= 0 and closing >= 0 and ")" not in norm[opening : a.start]:
        inside = norm[opening + 1 : a.start] + norm[a.end : closing]
        if not _CONVERSION_WORDS_RE.sub("", inside).strip() and opening - previous.end <= 30:
            return True
    return _CONVERSION_GAP_RE.fullmatch(norm, previous.tail or previous.end, a.start) is not None


def _not_a_price(norm: str, start: int, end: int, a: _Amount) -> bool:
    if a.big:
        return True  # "$2 million", "23억 달러": trade values, budgets
    window = max(start, a.start - 40)
    if _CHANGE_BEFORE_RE.search(norm, window, a.start) or _CHANGE_AFTER_RE.match(norm, a.end, end):
        return True
    if _NOT_PRICE_AFTER_RE.match(norm, a.end, end):
        return True
    if _RATE_WORTH_RE.search(norm, window, a.start):
        return False  # "the dollar was worth 7,900 won" is a rate, not a trade value
    clauses = list(_CLAUSE_RE.finditer(norm, window, a.start))
    if clauses:
        window = clauses[-1].end()  # "a 500 won fee, and rice sold for 6,100 won"
    return _NOT_PRICE_BEFORE_RE.search(norm, window, a.start) is not None


def _read_amounts(norm: str, start: int, end: int) -> tuple[list[_Amount], list[_Amount]]:
    """Return the price amounts of a sentence, and every amount read (to keep names out of them)."""
    every = _amounts(norm, start, end)
    kept: list[_Amount] = []
    previous: _Amount | None = None
    for a in every:
        after = _unit_after(norm, a, end)
        if after is not None:
            a.unit, a.quantity, a.unit_words, a.tail = after
        else:
            a.tail = a.end
        approx = _APPROX_AFTER_RE.match(norm, a.tail, end)
        if approx is not None:
            a.tail = approx.end()
        a.approximate = bool(
            a.approximate
            or approx
            or _APPROX_BEFORE_RE.search(norm, max(start, a.start - 20), a.start)
        )
        conversion = _is_conversion(norm, start, a, previous)
        previous = a
        if conversion or _not_a_price(norm, start, end, a):
            continue
        last = kept[-1] if kept else None
        if (
            last is not None
            and last.low == last.high
            and last.low in (1.0, 10.0, 100.0, 1000.0)
            and last.currency != a.currency
            and _EXCHANGE_GAP_RE.fullmatch(norm, last.tail, a.start)
        ):
            # "1 yuan = 1,150 won": the rate of the yuan, 1,150 won per yuan.
            kept.pop()
            a.rate_of, a.quantity = last.currency, last.low
            a.rate_words = re.sub(r"[\d.,\s]+", " ", norm[last.start : last.end]).strip()
        kept.append(a)
    return kept, every


# ---------------------------------------------------------------------------------------------
# Figures


@dataclass
class _Draft:
    amount: _Amount
    entry: Entry | None
    words: str
    rate: bool
    unit: str | None
    quantity: float
    window: tuple[int, int]
    cue: str | None = None
    cue_words: str = ""
    date: str | None = None
    qualifier: str | None = None
    # Where the catalogue name stands, to quote it as the original text writes it.
    named: tuple[int, int] | None = None


def extract_figures(
    text: str,
    *,
    commodities: Resolver,
    markets: Resolver,
    published: date | None = None,
    lang: str | None = None,
) -> list[FoundFigure]:
    """Return the price figures a text states, in the order it states them."""
    read = _read_text(text)
    japanese = _japanese(text, lang)
    goods = _names(read, commodities, _JAPANESE_GOODS if japanese else {}, markets)
    places = _names(read, markets, _JAPANESE_PLACES if japanese else {}, None)
    main = main_place(places)
    dates = _dates(read.norm, published)
    by_code = {code: e for e in commodities.entries if (code := currency_code(e)) is not None}
    figures: list[FoundFigure] = []
    seen: set[tuple[object, ...]] = set()
    for s, e in _sentence_spans(read.norm):
        kept, every = _read_amounts(read.norm, s, e)
        if not kept:
            continue
        spans = [(a.start, a.end) for a in every]
        names = [
            m
            for m in goods
            if s <= m.start and m.end <= e and not any(x < m.end and m.start < y for x, y in spans)
        ]
        here = [m for m in places if s <= m.start and m.end <= e]
        drafts = _sentence_drafts(read.norm, s, e, kept, names, by_code)
        _settle(drafts, [d for d in dates if s <= d[0] and d[1] <= e], published)
        sentence = read.raw[slice(*read.original(s, e))]
        for d in drafts:
            place = _place_of(here, d.amount) or main
            figure = _figure(read, d, place, sentence)
            # The same figure said twice (a headline and the body) is proposed once.
            key: tuple[object, ...] = (figure.commodity_id, figure.commodity_words.lower())
            key += (figure.place_id, figure.low, figure.high, figure.currency, figure.unit)
            key += (figure.quantity, figure.when)
            if key not in seen:
                seen.add(key)
                figures.append(figure)
    return figures


def _figure(read: _Text, d: _Draft, place: Mention | None, sentence: str) -> FoundFigure:
    a = d.amount
    start, end = read.original(a.start, a.tail)
    place_words = None
    if place is not None:
        place_words = read.raw[slice(*read.original(place.start, place.end))]
    return FoundFigure(
        commodity_id=d.entry.id if d.entry is not None else None,
        commodity_words=read.raw[slice(*read.original(*d.named))] if d.named else d.words,
        place_id=place.entry.id if place is not None else None,
        place_words=place_words,
        low=a.low,
        high=a.high,
        currency=a.currency,
        unit=d.unit or UNSPECIFIED,
        quantity=d.quantity,
        when=_when(d),
        qualifier=d.qualifier,
        approximate=a.approximate,
        sentence=sentence,
        start=start,
        end=end,
    )


def _windows(norm: str, s: int, e: int, kept: list[_Amount], latin: bool) -> list[tuple[int, int]]:
    """Return for each amount where the words that are its own begin (before it) and end (after
    it): the text between two amounts is split where a clause ends."""
    starts, ends = [s], []
    for a, b in itertools.pairwise(kept):
        clauses = list(_CLAUSE_RE.finditer(norm, a.tail, b.start))
        if clauses:
            left, right = clauses[-1].start(), clauses[-1].end()
        elif latin:
            # English puts the time after the verb ("sold for X in August") and a new clause's
            # "now" or "from" before the next figure.
            m = _EN_NEXT_RE.search(norm, a.tail, b.start)
            left = right = m.start() if m else b.start
        else:
            # Korean, Chinese and Japanese put the time before the figure; only a suffix on the
            # first figure (5,500원이던, 5000ウォンから) is its own.
            m = _CJK_PREVIOUS_RE.match(norm, a.tail, b.start)
            left = right = m.end() if m else a.tail
        ends.append(left)
        starts.append(right)
    ends.append(e)
    return list(zip(starts, ends, strict=True))


def _sentence_drafts(
    norm: str,
    s: int,
    e: int,
    kept: list[_Amount],
    names: list[Mention],
    by_code: dict[str, Entry],
) -> list[_Draft]:
    latin = _latin(norm[s:e])
    windows = _windows(norm, s, e, kept, latin)
    drafts: list[_Draft] = []
    for i, a in enumerate(kept):
        start, end = windows[i]
        before = norm[start : a.start]
        unit, quantity = a.unit, a.quantity
        unit_words = a.unit_words
        if unit is None and a.rate_of is None:
            found = _unit_before(before, latin, a.currency)
            if found is not None:
                unit, quantity, unit_words = found
        if a.rate_of is not None:
            unit, rate = a.rate_of, a.rate_words
        else:
            rate = unit_words if unit in CURRENCIES else None
        good = _good(norm, i, kept, names, start, drafts, latin)
        if rate is not None and unit is not None:
            entry = by_code.get(unit)
            draft = _Draft(a, entry, rate, True, unit, quantity, (start, end))
        elif good is None:
            continue
        else:
            entry, words, is_rate, mention = good
            if is_rate and entry is not None:
                unit, quantity = currency_code(entry), 1.0
            elif (
                unit is None
                and mention is not None
                and _SINGLE_RE.search(norm, max(s, mention.start - 15), mention.start)
            ):
                unit = "piece"  # "a single egg costs 450 won"
            draft = _Draft(a, entry, words, is_rate, unit, quantity, (start, end))
            draft.named = (mention.start, mention.end) if mention is not None else None
        after = norm[a.tail : end]
        draft.cue, draft.cue_words = _cue(before, after, a.forced, a.low < a.high)
        draft.qualifier = _qualifier(before, after)
        drafts.append(draft)
    _propagate_units(drafts)
    return drafts


def _good(
    norm: str,
    i: int,
    kept: list[_Amount],
    names: list[Mention],
    start: int,
    drafts: list[_Draft],
    latin: bool,
) -> tuple[Entry | None, str, bool, Mention | None] | None:
    """Return the good an amount is the price of: (entry, words, is an exchange rate, mention)."""
    a = kept[i]
    previous = kept[i - 1] if i else None
    candidate: Mention | None = None
    for m in reversed([m for m in names if m.end <= a.start]):
        code = currency_code(m.entry)
        if code is None:
            candidate = m
            break
        if code == a.currency:
            continue  # "the won weakened ... 8,250 won": the currency of the price, not the good
        between = previous is not None and m.start < previous.start
        same_series = bool(drafts) and drafts[-1].rate and drafts[-1].entry == m.entry
        if (not between and a.start - m.end <= 60) or (between and same_series):
            return m.entry, m.words, True, m  # "the dollar traded at 8,100 won"
        break
    other = _other_good(norm[start : a.start], latin)
    if other is not None and (candidate is None or (previous and candidate.end <= previous.start)):
        return None, other, False, None
    if candidate is None:
        limit = kept[i + 1].start if i + 1 < len(kept) else len(norm)
        candidate = next(
            (
                m
                for m in names
                if a.tail <= m.start
                and m.end <= limit
                and m.start - a.tail <= 40
                and currency_code(m.entry) is None
            ),
            None,
        )
    if candidate is None:
        return None
    return candidate.entry, candidate.words, False, candidate


def _other_good(before: str, latin: bool) -> str | None:
    """Return the words of a good outside the catalogue that the text prices, if it does."""
    if latin:
        m = _EN_GOOD_RE.search(before) or _EN_SOLD_GOOD_RE.search(before)
        if m is None:
            return None
        words: list[str] = []
        for word in reversed(m.group("np").split()):
            bare = re.sub(r"['’]s$", "", word).lower()
            if bare in _EN_NOT_GOODS or len(words) == 3:
                break
            words.insert(0, word)
        return " ".join(words) or None
    k = _KO_GOOD_RE.search(before)
    if k is None:
        return None
    np = k.group("np")
    if np in _KO_NOT_GOODS or np.endswith(_KO_NOT_GOOD_ENDINGS):
        return None
    return np


def _propagate_units(drafts: list[_Draft]) -> None:
    """Give a figure without a unit the unit of its neighbour in the sentence: "rice sold for
    6,000 won and corn for 2,800 won per kg" is per kg for both."""

    def shares(d: _Draft) -> bool:
        return not d.rate and d.entry is not None and d.entry.slug not in _OWN_UNIT_GOODS

    for i, d in enumerate(drafts):
        if d.unit is not None or not shares(d):
            continue
        others = [
            (abs(j - i), j > i, o)
            for j, o in enumerate(drafts)
            if j != i
            and o.unit is not None
            and shares(o)
            and o.amount.currency == d.amount.currency
        ]
        if others:
            nearest = min(others, key=lambda t: (t[0], t[1]))[2]
            d.unit, d.quantity = nearest.unit, nearest.quantity


def _cue(before: str, after: str, forced: str | None, is_range: bool) -> tuple[str | None, str]:
    """Return BEFORE or NOW as the words nearest the figure say, and those words."""
    if forced is not None:
        return forced, ""
    found: list[tuple[int, str, str]] = []
    for pattern, cue in ((_BEFORE_CUE_RE, BEFORE), (_NOW_CUE_RE, NOW)):
        for text, side in ((before, -1), (after, 1)):
            for m in pattern.finditer(text):
                # After the figure, "比上月上涨了" dates a comparison; before it ("比上周的2900朝元")
                # the figure is the one compared with, the earlier.
                if not m.group() or (cue == BEFORE and side > 0 and _compared(text, m)):
                    continue
                distance = len(before) - m.end() if side < 0 else m.start()
                found.append((distance, cue, m.group()))
    if is_range:
        # "ranged from 5,000 to 6,000 won": that "from" opens a range, not an earlier price.
        found = [f for f in found if f[2].strip().lower() != "from"]
    if _BEFORE_SUFFIX_RE.match(after):
        found.append((0, BEFORE, ""))
    if _NOW_SUFFIX_RE.match(after):
        found.append((0, NOW, ""))
    if not found:
        return None, ""
    _distance, cue, words = min(found, key=lambda f: (f[0], f[1]))
    return cue, words


def _compared(text: str, m: re.Match[str]) -> bool:
    if m.group().strip().lower() in ("from", "up from", "down from"):
        return False
    return bool(
        _COMPARED_BEFORE_RE.search(text, 0, m.start()) or _COMPARED_AFTER_RE.match(text, m.end())
    )


def _qualifier(before: str, after: str) -> str | None:
    found = [(len(before) - m.end(), m.group()) for m in _QUALIFIER_RE.finditer(before)]
    found += [(m.start(), m.group()) for m in _QUALIFIER_RE.finditer(after)]
    return min(found)[1].lower() if found else None


def _place_of(places: list[Mention], a: _Amount) -> Mention | None:
    before = [m for m in places if m.end <= a.start]
    if before:
        return before[-1]
    return next((m for m in places if m.start >= a.end), None)


def _dates(norm: str, published: date | None) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for pattern in _DATE_RES:
        for m in pattern.finditer(norm):
            if any(s < m.end() and m.start() < e for s, e, _ in found):
                continue
            iso = _iso(m, published)
            if iso is not None:
                found.append((m.start(), m.end(), iso))
    return sorted(found)


def _iso(m: re.Match[str], published: date | None) -> str | None:
    groups = m.groupdict()
    month = month_of_word(groups["mw"]) if groups.get("mw") else int(groups["m"])
    if month is None or not 1 <= month <= 12:
        return None
    if groups.get("y"):
        year = int(groups["y"])
    elif published is not None:
        year = published.year - (1 if month > published.month else 0)
    else:
        return None  # "in August" of which year?
    day = int(groups["d"]) if groups.get("d") else 0
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if 1 <= day <= 31 else "")


def _previous_month(published: date) -> str:
    year, month = (
        (published.year, published.month - 1) if published.month > 1 else (published.year - 1, 12)
    )
    return f"{year:04d}-{month:02d}"


def _settle(
    drafts: list[_Draft], dates: list[tuple[int, int, str]], published: date | None
) -> None:
    """Give each figure its own date, and the earlier figure of a before/after pair BEFORE."""
    for d in drafts:
        start, end = d.window
        own = [
            (min(abs(ds - d.amount.start), abs(de - d.amount.tail)), iso)
            for ds, de, iso in dates
            if start <= ds and de <= end and not (d.amount.start <= ds < d.amount.tail)
        ]
        if own:
            d.date = min(own)[1]
    series: dict[tuple[object, ...], list[_Draft]] = {}
    for d in drafts:
        # Wholesale and retail prices are two series; "depending on quality" is one.
        kind = d.qualifier if d.qualifier and _PRICE_TYPE_RE.search(d.qualifier) else None
        key = (d.entry.id if d.entry else d.words.lower(), d.amount.currency, d.unit, kind)
        series.setdefault(key, []).append(d)
    isos = {iso for _s, _e, iso in dates}
    for group in series.values():
        for i, d in enumerate(group):
            later_now = any(o.cue == NOW for o in group[i + 1 :])
            if d.cue is None and d.date is None and later_now:
                d.cue = BEFORE  # "corn that sold for 2,500 won now costs 3,100 won"
            paired = any(o.cue != BEFORE for o in group if o is not d)
            if d.cue == BEFORE and not paired and _RELATIVE_RE.search(d.cue_words):
                # "sold for 21,000 won last week": no later figure, so the time of the text.
                if _RELATIVE_MONTH_RE.search(d.cue_words) and published is not None:
                    d.date = d.date or _previous_month(published)
                elif _RELATIVE_WEEK_RE.search(d.cue_words):
                    d.cue = NOW
            if len(group) == 1 and d.cue is None and d.date is None and len(isos) == 1:
                d.date = next(iter(isos))  # one date for the whole sentence


def _when(d: _Draft) -> str:
    if d.amount.forced == BEFORE:
        return BEFORE
    if d.date is not None:
        return d.date
    return BEFORE if d.cue == BEFORE else NOW


def find_dates(text: str, published: date | None = None) -> list[tuple[int, int, str]]:
    """Return the dates a text gives, as (start, end, ISO date) in the text's own offsets; a
    month without a year ("in August") takes the publication's year, or is skipped without it."""
    read = _read_text(text)
    return [(*read.original(s, e), iso) for s, e, iso in _dates(read.norm, published)]
