"""The resolver and the question parser on a small catalogue of their own."""

import pytest

from bot.domain.matching import Entry, Name, Resolver
from bot.domain.query import parse_query
from bot.domain.text import normalize, script_of

COMMODITIES = Resolver(
    [
        Entry(
            1,
            "lingzhi",
            "Lingzhi",
            (Name("영지버섯", "ko"), Name("영지", "ko"), Name("灵芝", "zh"), Name("reishi", "en")),
        ),
        Entry(
            2,
            "rice",
            "rice",
            (Name("쌀", "ko"), Name("입쌀", "ko-KP"), Name("大米", "zh"), Name("white rice", "en")),
        ),
        Entry(
            3, "glutinous-rice", "glutinous rice", (Name("찹쌀", "ko"), Name("sticky rice", "en"))
        ),
        Entry(4, "corn", "corn", (Name("maize", "en"), Name("옥수수", "ko"), Name("玉米", "zh"))),
        Entry(5, "us-dollar", "US dollar", (Name("USD", "en"), Name("달러", "ko"))),
        Entry(
            6,
            "north-korean-won",
            "NK won",
            (Name("NK won", "en"), Name("won", "en"), Name("KPW", "en")),
        ),
        Entry(7, "soybean-oil", "soybean oil", (Name("soy oil", "en"), Name("콩기름", "ko"))),
    ]
)
MARKETS = Resolver(
    [
        Entry(
            10, "hyesan", "Hyesan", (Name("혜산", "ko"), Name("惠山", "zh"), Name("Haysan", "en"))
        ),
        Entry(11, "sinuiju", "Sinuiju", (Name("신의주", "ko"), Name("Shinuiju", "en"))),
        Entry(12, "pyongyang", "Pyongyang", (Name("평양", "ko"), Name("平壤", "zh"))),
        Entry(13, "north-korea", "North Korea", (Name("NK", "en"), Name("DPRK", "en"))),
        Entry(14, "kangwon", "Kangwon", (Name("강원도", "ko"),)),
    ]
)


def test_normalize_folds_width_case_and_punctuation():
    assert normalize("  ＬＩＮＧＺＨＩ!!  ") == "lingzhi"
    assert normalize("Rice (white)") == "rice white"
    assert (
        script_of("쌀값") == "hangul"
        and script_of("灵芝") == "han"
        and script_of("rice") == "latin"
    )


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("lingzhi", "lingzhi"),
        ("LINGZHI", "lingzhi"),
        ("ling zhi", "lingzhi"),
        ("lingzi", "lingzhi"),
        ("reishi", "lingzhi"),
        ("영지", "lingzhi"),
        ("灵芝", "lingzhi"),
        ("rce", "rice"),
        ("maize", "corn"),
        ("usd", "us-dollar"),
        ("sticky rice", "glutinous-rice"),
        ("입쌀", "rice"),
    ],
)
def test_confident_matches(text, slug):
    result = COMMODITIES.resolve(text)
    assert result.match is not None and result.match.entry.slug == slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("corm", "corn"),  # m is next to n on the keyboard
        ("rcie", "rice"),  # two letters swapped
        ("ricee", "rice"),
        ("rice white", "rice"),  # words in another order
        ("soy oli", "soybean-oil"),
        ("옥수스", "corn"),  # one jamo wrong
        ("kpw", "north-korean-won"),
    ],
)
def test_typing_slips_are_forgiven(text, slug):
    result = COMMODITIES.resolve(text)
    assert result.match is not None and result.match.entry.slug == slug


@pytest.mark.parametrize("text", ["helicopter", "😀😀", "", "zzzz", "牛肉"])
def test_things_not_in_the_catalogue_are_not_guessed(text):
    assert COMMODITIES.resolve(text).match is None


@pytest.mark.parametrize(
    "text",
    [
        "ice",  # a first letter is rarely mistyped: another word, at most a suggestion
        "coin",  # one letter from "corn", but not a neighbouring key
        "rice wine",  # two edits from "rice white", yet "wine" is not a slip of "white"
        "soy milk",
        "kangwon",  # contains "won" but is another word
        "콩국수",
    ],
)
def test_near_words_are_not_taken_for_names(text):
    assert COMMODITIES.resolve(text).match is None


def test_nonsense_gets_no_suggestions():
    assert COMMODITIES.rank("xyz") == [] and COMMODITIES.resolve("qwrtzp").candidates == ()


def test_a_longer_query_suggests_the_name_inside_it():
    result = COMMODITIES.resolve("fresh maize kernels")
    assert result.match is None and [c.entry.slug for c in result.candidates] == ["corn"]
    oil = COMMODITIES.resolve("oil")
    assert oil.match is None and [c.entry.slug for c in oil.candidates] == ["soybean-oil"]


def test_close_names_become_candidates_not_guesses():
    result = COMMODITIES.resolve("rice sticky glutinous white")
    assert result.match is None or result.match.entry.slug in ("rice", "glutinous-rice")
    ambiguous = COMMODITIES.resolve("ric")
    assert ambiguous.match is None and ambiguous.candidates


@pytest.mark.parametrize(
    ("text", "commodity", "market"),
    [
        ("lingzhi hyesan", "lingzhi", "hyesan"),
        ("how much is lingzhi in hyesan?", "lingzhi", "hyesan"),
        ("rice, sinuiju", "rice", "sinuiju"),
        ("혜산 쌀값", "rice", "hyesan"),
        ("혜산쌀", "rice", "hyesan"),
        ("惠山灵芝价格", "lingzhi", "hyesan"),
        ("灵芝价格", "lingzhi", None),
        ("corn shinuiju", "corn", "sinuiju"),
        ("usd rate pyongyang", "us-dollar", "pyongyang"),
        ("rice sinuju", "rice", "sinuiju"),
        ("rice nk", "rice", "north-korea"),
        ("nk won", "north-korean-won", None),
        ("won rate in dprk", "north-korean-won", "north-korea"),
        ("rice kangwon", "rice", "kangwon"),
        ("평양에서 옥수수 값이 얼마예요?", "corn", "pyongyang"),
    ],
)
def test_questions_split_into_commodity_and_place(text, commodity, market):
    parsed = parse_query(text, commodities=COMMODITIES, markets=MARKETS)
    assert parsed.commodity.match is not None and parsed.commodity.match.entry.slug == commodity
    if market is None:
        assert parsed.market is None
    else:
        assert parsed.market is not None and parsed.market.match.entry.slug == market
