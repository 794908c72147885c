"""Reading price figures and trade conditions out of article text, on the real catalogue files."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bench.intake import LABELLED, LANGS, Score, passages, score_passage
from bot.domain.conditions import BORDER_STATUSES, CHANNELS, DIRECTIONS, MARKET_ACTIVITY, TOPICS
from bot.domain.extraction import extract_figures, split_sentences
from bot.domain.intake import BEFORE, NOW, FoundFigure
from bot.domain.report_draft import draft_report
from tests.support.catalogue import COMMODITIES, MARKETS

GOOD = {e.slug: e.id for e in COMMODITIES.entries}
PLACE = {e.slug: e.id for e in MARKETS.entries}
PUBLISHED = date(2024, 11, 20)

# The shape of the seed report (two Lingzhi figures, before and now, in one sentence), in words
# of our own.
SEED_SHAPED = (
    "Trading companies in Hyesan, Ryanggang province, have been buying medicinal herbs and "
    "Lingzhi from gatherers for export to China, moving them through state-sanctioned smuggling "
    "channels, a source in the city said.\n"
    "Lingzhi mushrooms used to fetch 200 to 300 Chinese yuan per kilogram, a local trader said, "
    "but buyers are now offering between 500 and 1,200 yuan, depending on quality.\n"
    "Residents hope that markets in the border city may recover if the exports continue."
)


def figures(text: str, **kwargs: object) -> list[FoundFigure]:
    return extract_figures(text, commodities=COMMODITIES, markets=MARKETS, **kwargs)  # type: ignore[arg-type]


def values(text: str, **kwargs: object) -> list[tuple[object, ...]]:
    """(slug or words, low, high, currency, unit, quantity, when) of each figure read."""
    slugs = {e.id: e.slug for e in COMMODITIES.entries}
    return [
        (
            slugs[f.commodity_id] if f.commodity_id is not None else f.commodity_words,
            f.low,
            f.high,
            f.currency,
            f.unit,
            f.quantity,
            f.when,
        )
        for f in figures(text, **kwargs)
    ]


def one(text: str, **kwargs: object) -> FoundFigure:
    found = figures(text, **kwargs)
    assert len(found) == 1, found
    return found[0]


# The seed shape


def test_the_seed_shaped_report_gives_exactly_the_two_lingzhi_figures() -> None:
    before, now = figures(SEED_SHAPED, published=PUBLISHED)
    assert (before.commodity_id, before.low, before.high) == (GOOD["lingzhi"], 200, 300)
    assert (before.currency, before.unit, before.quantity, before.when) == ("CNY", "kg", 1, BEFORE)
    assert (now.commodity_id, now.low, now.high) == (GOOD["lingzhi"], 500, 1200)
    assert (now.currency, now.unit, now.when) == ("CNY", "kg", NOW)
    assert now.qualifier == "depending on quality"
    assert before.commodity_words == now.commodity_words == "Lingzhi mushrooms"
    assert before.place_id == now.place_id == PLACE["hyesan"]
    assert SEED_SHAPED[before.start : before.end] == "200 to 300 Chinese yuan per kilogram"
    assert SEED_SHAPED[now.start : now.end] == "500 and 1,200 yuan"
    assert (
        now.sentence.startswith("Lingzhi mushrooms used to fetch") and now.sentence in SEED_SHAPED
    )


def test_the_seed_shaped_report_is_a_hyesan_report_on_state_sanctioned_exports() -> None:
    report = draft_report(SEED_SHAPED, commodities=COMMODITIES, markets=MARKETS)
    assert report is not None
    assert (report.place_id, report.place_words) == (PLACE["hyesan"], "Hyesan")
    assert {"exports", "smuggling"} <= set(report.topics)
    assert report.channel == "state-sanctioned-smuggling"
    assert report.direction == "export"
    assert report.market_activity == "recovering"
    assert {GOOD["lingzhi"], GOOD["medicinal-herbs"]} <= set(report.goods)
    assert report.sentences and all(s in SEED_SHAPED for s in report.sentences)
    assert set(report.topics) <= set(TOPICS)


# Amounts: ranges, numerals, currencies


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Corn sold for 5,000-6,000 won per kg.", ("corn", 5000, 6000, "KPW", "kg")),
        (
            "Pork sells for between 13,000 and 15,000 won a kilogram.",
            ("pork", 13000, 15000, "KPW", "kg"),
        ),
        (
            "Lingzhi fetches 200 to 300 Chinese yuan per kilogram.",
            ("lingzhi", 200, 300, "CNY", "kg"),
        ),
        ("Rice prices ranged from 5,000 to 6,000 won.", ("rice", 5000, 6000, "KPW", "unspecified")),
        ("돼지고기는 1kg에 1만3천~1만5천원에 팔린다.", ("pork", 13000, 15000, "KPW", "kg")),
        ("灵芝每公斤200至300元人民币。", ("lingzhi", 200, 300, "CNY", "kg")),
        ("大米价格在5500至6000朝元之间。", ("rice", 5500, 6000, "KPW", "unspecified")),
    ],
)
def test_ranges(text: str, expected: tuple[object, ...]) -> None:
    assert [v[:5] for v in values(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "low", "currency", "unit"),
    [
        ("쌀 1kg에 1만2천원이다.", 12000, "KPW", "kg"),
        ("옥수수 1kg은 9,300원이다.", 9300, "KPW", "kg"),
        ("설탕은 1만1천5백원에 거래됐다.", 11500, "KPW", "unspecified"),
        ("猪肉每公斤1万5250朝元。", 15250, "KPW", "kg"),
        ("人参5千元/公斤。", 5000, "CNY", "kg"),
        ("쌀은 6,000원/kg이다.", 6000, "KPW", "kg"),
        ("大米五千朝元一公斤。", 5000, "KPW", "kg"),
        ("豚肉は1キロ1万4000ウォンだ。", 14000, "KPW", "kg"),
        ("市場では白米が1キロ3.5元で売られている。", 3.5, "CNY", "kg"),
        ("Cigarettes cost $2 a pack.", 2, "USD", "pack"),
        ("Lingzhi sells for ¥450 per kg.", 450, "CNY", "kg"),
    ],
)
def test_numerals_and_currencies(text: str, low: float, currency: str, unit: str) -> None:
    figure = one(text)
    assert (figure.low, figure.high, figure.currency, figure.unit) == (low, low, currency, unit)


# Units and quantities


@pytest.mark.parametrize(
    ("text", "unit", "quantity"),
    [
        ("Pork sold for 9,300 won per 600 g in Hyesan.", "g", 600),
        ("신의주 시장에서 돼지고기는 600g당 9,300원에 팔리고 있다.", "g", 600),
        ("A 25-kilogram sack of corn costs 70,000 won.", "kg", 25),
        ("Gasoline is 20,000 won per litre.", "litre", 1),
        ("휘발유는 리터당 2만원이다.", "litre", 1),
        ("汽油每升2万朝元。", "litre", 1),
        ("Eggs cost 500 won per piece.", "piece", 1),
        ("A single egg costs 450 won.", "piece", 1),
        ("달걀은 개당 500원이다.", "piece", 1),
        ("鸡蛋每个500朝元。", "piece", 1),
        ("松茸每斤350元。", "jin", 1),
        ("Pine mushrooms fetch 300 yuan per jin.", "jin", 1),
        ("돼지고기 1근에 9천원이다.", "geun", 1),
        ("Cabbage is 2,200 won a head.", "head", 1),
        ("쌀 1톤이 550만 원에 넘겨진다.", "ton", 1),
    ],
)
def test_units_and_quantities(text: str, unit: str, quantity: float) -> None:
    figure = one(text)
    assert (figure.unit, figure.quantity) == (unit, quantity)


def test_a_unit_said_once_holds_for_the_goods_listed_with_it() -> None:
    text = "At the Sunchon market, rice sold for 6,000 won and corn for 2,800 won per kg."
    assert [v[:5] for v in values(text)] == [
        ("rice", 6000, 6000, "KPW", "kg"),
        ("corn", 2800, 2800, "KPW", "kg"),
    ]
    # An egg keeps its own unit: the kilogram is said for the rice.
    text = "Rice is 6,000 won per kg and eggs are 500 won."
    assert [v[4] for v in values(text)] == ["kg", "unspecified"]


@pytest.mark.parametrize(
    "text",
    [
        "At the Sunchon market, rice sold for 6,000 won and corn for 2,800 won, while soybeans fetched 7,500 won.",
        "평양에서는 입쌀이 6,000원, 강냉이는 2,800원, 콩은 7,500원에 거래되고 있다.",
        "大米6000朝元，玉米2800朝元，大豆7500朝元。",
    ],
)
def test_several_goods_in_one_sentence(text: str) -> None:
    assert [v[:4] for v in values(text)] == [
        ("rice", 6000, 6000, "KPW"),
        ("corn", 2800, 2800, "KPW"),
        ("soybeans", 7500, 7500, "KPW"),
    ]


# Exchange rates


@pytest.mark.parametrize(
    ("text", "good", "low", "currency", "unit"),
    [
        ("The dollar traded at 8,100 won in Hyesan.", "us-dollar", 8100, "KPW", "USD"),
        ("Money changers quoted 1 yuan = 1,200 won.", "chinese-yuan", 1200, "KPW", "CNY"),
        ("혜산에서는 달러당 8천원에 환전되고 있다.", "us-dollar", 8000, "KPW", "USD"),
        ("평양 시장 환율은 1달러=8,100원 수준이다.", "us-dollar", 8100, "KPW", "USD"),
        ("위안화 환율은 1,150원이다.", "chinese-yuan", 1150, "KPW", "CNY"),
        ("1美元兑换8100朝元。", "us-dollar", 8100, "KPW", "USD"),
        ("1ドル=8100ウォンで取引されている。", "us-dollar", 8100, "KPW", "USD"),
        ("Changers in Sinuiju paid 8,250 won per dollar.", "us-dollar", 8250, "KPW", "USD"),
        ("Black-market rates reached 8,000 won to the dollar.", "us-dollar", 8000, "KPW", "USD"),
        ("On Oct. 28 the dollar was worth 7,900 won.", "us-dollar", 7900, "KPW", "USD"),
        ("The dollar bought 7.2 yuan in Dandong.", "us-dollar", 7.2, "CNY", "USD"),
    ],
)
def test_exchange_rates(text: str, good: str, low: float, currency: str, unit: str) -> None:
    figure = one(text)
    assert (figure.commodity_id, figure.low, figure.currency, figure.unit) == (
        GOOD[good],
        low,
        currency,
        unit,
    )


def test_rates_of_two_currencies_in_one_sentence() -> None:
    text = "The US dollar traded at 8,100 won, up from 7,950 won a week earlier, while the yuan stood at 1,130 won."
    assert [v[:2] + v[4:] for v in values(text)] == [
        ("us-dollar", 8100, "USD", 1, NOW),
        ("us-dollar", 7950, "USD", 1, BEFORE),
        ("chinese-yuan", 1130, "CNY", 1, NOW),
    ]


# Time


@pytest.mark.parametrize(
    ("text", "whens"),
    [
        ("Rice prices rose from 5,500 won to 6,300 won per kilogram.", [BEFORE, NOW]),
        ("Rice sold for 6,000 won in 2023 but 7,200 won this year.", [BEFORE, NOW]),
        (
            "The price of a kilogram of pork has climbed to 14,500 won from 12,000 won two months ago.",
            [NOW, BEFORE],
        ),
        (
            "Pine mushrooms sell for 60 dollars per kilogram, up from around 50 dollars last year.",
            [NOW, BEFORE],
        ),
        ("지난달 5,500원이던 쌀값이 최근 6,300원으로 올랐다.", [BEFORE, NOW]),
        ("강냉이 1kg 가격은 지난주 2,900원보다 200원 오른 3,100원이다.", [BEFORE, NOW]),
        ("美元汇率从7800涨到8200朝元。", [BEFORE, NOW]),
        ("玉米每公斤3100朝元，比上周的2900朝元上涨了200朝元。", [NOW, BEFORE]),
        ("灵芝此前每公斤售价200至300元，最近涨到500至1200元。", [BEFORE, NOW]),
    ],
)
def test_before_and_after_in_one_series(text: str, whens: list[str]) -> None:
    assert [v[6] for v in values(text)] == whens


@pytest.mark.parametrize(
    ("text", "whens"),
    [
        ("Rice was going for 5,900 won per kilogram on Nov. 4, vendors said.", ["2024-11-04"]),
        (
            "Corn that sold for 2,500 won a kilogram in August now costs 3,100 won.",
            ["2024-08", NOW],
        ),
        ("In March, rice cost 5,000 won; it now costs 6,000 won.", ["2024-03", NOW]),
        ("Rice sold for 6,000 won on 2024-10-03.", ["2024-10-03"]),
        ("2024년 10월 혜산 시장에서 쌀은 kg당 5,900원에 판매됐다.", ["2024-10"]),
        ("쌀 가격은 9월 초 5,700원에서 10월 말 6,400원으로 상승했다.", ["2024-09", "2024-10"]),
        ("2024年11月3日，大米每公斤6000朝元。", ["2024-11-03"]),
        ("Rice sold for 5,000 won last month.", ["2024-10"]),
    ],
)
def test_a_date_in_the_text_is_the_figures_date(text: str, whens: list[str]) -> None:
    assert [v[6] for v in values(text, published=PUBLISHED)] == whens


def test_without_a_date_a_figure_is_as_of_publication() -> None:
    assert one("Rice costs 6,000 won per kg.", published=PUBLISHED).when == NOW
    assert one("Rice costs 6,000 won per kg.").when == NOW
    # A month without a year needs the publication date to be read.
    assert one("Rice cost 5,000 won in August.").when == NOW


# Qualifiers and approximations


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        (
            "Dried leeches fetch 25 to 40 yuan per kilogram depending on quality.",
            "depending on quality",
        ),
        ("Wholesale dealers let rice go at 5,600 won per kg.", "wholesale"),
        ("Retail prices of rice are 6,100 won.", "retail"),
        ("영지버섯은 품질에 따라 500~1,200위안이다.", "품질에 따라"),
        ("批发市场上，大米每吨480万朝元。", "批发"),
        ("Rice costs 6,000 won per kg.", None),
    ],
)
def test_qualifiers(text: str, qualifier: str | None) -> None:
    assert one(text).qualifier == qualifier


def test_qualifiers_go_to_their_own_figure() -> None:
    text = "Wholesale rice sold for 5,500 won while retail rice went for 6,000 won."
    assert [f.qualifier for f in figures(text)] == ["wholesale", "retail"]


@pytest.mark.parametrize(
    ("text", "approximate"),
    [
        ("Rice sold for about 6,000 won.", True),
        ("Corn went for around 3,000 won.", True),
        ("Sugar costs roughly 11,000 won.", True),
        ("쌀은 6,000원 정도다.", True),
        ("옥수수는 약 3,000원이다.", True),
        ("大米每公斤6000朝元左右。", True),
        ("玉米约3000朝元。", True),
        ("コメは1キロ約6000ウォンだ。", True),
        ("Rice sold for 6,000 won.", False),
    ],
)
def test_approximations_are_flagged(text: str, approximate: bool) -> None:
    assert one(text).approximate is approximate


# What is not a price figure


@pytest.mark.parametrize(
    "text",
    [
        "Traffic through the port fell 12% in the first half of 2024, and rose 20 % in July.",
        "Customs officials inspected 43 trucks on Tuesday, and about 120 workers unloaded 3,500 tons of fertiliser.",
        "Police detained a 34-year-old woman at house No. 12 on Sept. 3; her ID number is 271-0034.",
        "North Korea's exports to China were worth $2 million in October.",
        "Bilateral trade of 100 million yuan was recorded over the quarter.",
        "The price of rice fell by 500 won over the month, and corn rose 300 won.",
        "Corn rose 300 won a kilogram, and rice went up by about 200 won.",
        "Vendors pay a daily stall fee of 3,000 won and face fines of up to 50,000 won.",
        "A worker at a state factory earns about 4,000 won a month.",
        "A 5,000-won note now buys far less, and people queued to exchange old 1,000-won bills.",
        "Smugglers pay border guards bribes of 500 to 1,000 yuan per crossing.",
        "쌀값은 한 주 만에 500원 올랐고 옥수수는 300원 떨어졌다.",
        "2023년 북중 무역액은 23억 달러로 전년 대비 36% 증가했다.",
        "이들에게는 각각 벌금 50만 원이 부과됐다.",
        "월급은 3,000원에서 5,000원 사이다.",
        "압수된 현금은 총 2만 달러에 달했다.",
        "2024年前三季度，中朝贸易额达到15亿美元，同比增长30%。",
        "一名42岁的走私者因非法携带3万元现金过境被罚款5000元。",
        "猪肉比上月上涨了1200朝元。",
        "2023年の中朝貿易額は約23億ドルで、前年比で36%増えた。",
        "コメは前月より500ウォン値上がりした。",
    ],
)
def test_numbers_that_are_not_prices(text: str) -> None:
    assert figures(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Rice cost 8,000 won (US$1) per kg in Hyesan.",
        "A kilogram of rice costs 8,000 won, or about US$1.",
        "Rice was 8,000 won per kg, the equivalent of $1.",
        "쌀 1kg에 8,000원(미화 약 1달러)이다.",
        "大米每公斤8000朝元（约合1美元）。",
        "コメは1キロ8000ウォン（約150円）だ。",
    ],
)
def test_a_writers_conversion_is_not_a_second_figure(text: str) -> None:
    figure = one(text)
    assert (figure.commodity_id, figure.low, figure.currency) == (GOOD["rice"], 8000, "KPW")


def test_a_good_outside_the_catalogue_is_a_figure_when_priced() -> None:
    figure = one("Chinese-made solar panels cost 300 yuan each in Hyesan.")
    assert figure.commodity_id is None
    assert figure.commodity_words == "Chinese-made solar panels"
    assert (figure.low, figure.currency, figure.unit) == (300, "CNY", "piece")
    figure = one("중국산 자전거는 한 대에 150달러 정도에 팔린다.")
    assert (figure.commodity_id, figure.commodity_words, figure.currency) == (None, "자전거", "USD")


def test_names_that_hold_a_one_character_good_are_not_that_good() -> None:
    # 은 after "1kg" is a particle, not silver; 资金 and 现金 are not gold.
    assert [v[0] for v in values("옥수수 1kg은 2,900원이다.")] == ["corn"]
    assert figures("这笔资金约有3000元。") == []


def test_positions_and_sentences_point_into_the_original_text() -> None:
    text = "Prices in Hamhung.  Ｒｉｃｅ sold for ６，０００ won per kg on Monday. Corn: 2,800 won."
    found = figures(text)
    assert [(f.low, text[f.start : f.end]) for f in found] == [
        (6000, "６，０００ won per kg"),
        (2800, "2,800 won"),
    ]
    assert found[0].sentence == "Ｒｉｃｅ sold for ６，０００ won per kg on Monday."
    assert found[0].place_words == "Hamhung"
    assert [text[s:e] for s, e in split_sentences(text)][1] == found[0].sentence


# Report drafts


def report(text: str):  # type: ignore[no-untyped-def]
    return draft_report(text, commodities=COMMODITIES, markets=MARKETS, published=PUBLISHED)


def test_a_text_with_no_trade_conditions_gives_no_report() -> None:
    assert report("Rice sold for 6,000 won in Hyesan on Monday, traders said.") is None
    assert report("The weather was mild, and the roads to the county towns were repaired.") is None
    assert report("") is None


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("Markets in Hyesan may recover as exports grow.", "market_activity", "recovering"),
        (
            "Market activity in Musan contracted sharply as trade stopped.",
            "market_activity",
            "contracting",
        ),
        ("Sinuiju reopened the border to trucks on Monday.", "border_status", "open"),
        ("The border at Hoeryong remains closed to all trade.", "border_status", "closed"),
        (
            "Private smugglers are carrying herbs across the river near Hyesan.",
            "channel",
            "private-smuggling",
        ),
        (
            "Goods imported through official customs channels reached Sinuiju.",
            "channel",
            "official-customs",
        ),
        ("Freight trains carried flour from China to Sinuiju.", "channel", "rail"),
        ("Imports from China rose in Sinuiju as more goods arrived.", "direction", "import"),
        ("North Korea is both importing and exporting through Hyesan.", "direction", "both"),
        (
            "Police stepped up inspections and a crackdown on smuggling in Hyesan.",
            "enforcement",
            "inspections, crackdown",
        ),
    ],
)
def test_report_fields(text: str, field: str, value: str) -> None:
    draft = report(text)
    assert draft is not None
    assert getattr(draft, field) == value
    vocabulary: dict[str, tuple[str, ...]] = {"market_activity": MARKET_ACTIVITY}
    vocabulary |= {"border_status": BORDER_STATUSES}
    vocabulary |= {"channel": CHANNELS, "direction": DIRECTIONS}
    assert field not in vocabulary or value in vocabulary[field]


def test_the_past_counts_for_less_than_the_present() -> None:
    text = (
        "Before the border closure, private smugglers handled the trade in Hyesan. "
        "Now trading companies export herbs through state-sponsored smuggling. "
        "After the border closure market activity contracted, but markets are now recovering."
    )
    draft = report(text)
    assert draft is not None
    assert (draft.channel, draft.border_status, draft.market_activity) == (
        "state-sanctioned-smuggling",
        None,
        "recovering",
    )


@pytest.mark.parametrize(
    "text",
    [
        "양강도 혜산시에서 국가 주도 밀수가 활발해지면서 영지버섯과 약초 수출이 늘고 있다. 국경 봉쇄 이후 위축됐던 장마당도 점차 회복되고 있다.",
        "据惠山消息人士透露，朝鲜当局近期通过国家主导的走私向中国出口灵芝和药材。如今随着出口增加，市场开始恢复。",
    ],
)
def test_reports_in_korean_and_chinese(text: str) -> None:
    draft = report(text)
    assert draft is not None
    assert draft.place_id == PLACE["hyesan"]
    assert {"exports", "smuggling"} <= set(draft.topics)
    assert (draft.channel, draft.direction, draft.market_activity) == (
        "state-sanctioned-smuggling",
        "export",
        "recovering",
    )
    assert GOOD["lingzhi"] in draft.goods and GOOD["medicinal-herbs"] in draft.goods
    assert all(s in text for s in draft.sentences)


# The labelled passages


def test_the_labelled_passages_are_as_the_quality_figures_need() -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line]
    langs = [row["lang"] for row in rows]
    assert len(rows) >= 60 and len({row["id"] for row in rows}) == len(rows)
    assert langs.count("en") >= 25 and langs.count("ko") >= 20 and langs.count("zh") >= 12
    assert langs.count("ja") >= 3
    assert sum(not row["figures"] for row in rows) >= 10
    for row in rows:
        for figure in row["figures"]:
            assert {"commodity", "low", "high", "currency", "unit", "when"} <= set(figure)


def test_quality_on_the_labelled_passages() -> None:
    scores = {lang: Score() for lang in LANGS}
    leaks: list[str] = []
    for passage in passages():
        score, extra, _missed = score_passage(passage, COMMODITIES, MARKETS)
        scores[passage.lang].add(score)
        if not passage.figures and extra:
            leaks.append(passage.id)
    overall = Score()
    for lang, score in scores.items():
        overall.add(score)
        f = score.figures()
        print(
            f"\n{lang}: precision {f['precision']:.3f} recall {f['recall']:.3f} "
            f"({f['matched']} of {f['labelled']} labelled, {f['found']} found)",
            end="",
        )
    total = overall.figures()
    print(f"\noverall: precision {total['precision']:.3f} recall {total['recall']:.3f}")
    assert leaks == []
    assert total["precision"] >= 0.95
    assert total["recall"] >= 0.85
