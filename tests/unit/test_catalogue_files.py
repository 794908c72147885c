"""Consistency checks for the catalogue and sample CSV files under config/.

Standard library only; paths are relative to the repository root, and nothing here reads
the shared/ folder that CI places beside the repository.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "config" / "catalogue"
SAMPLE = ROOT / "config" / "sample"

COMMODITIES_HEADER = [
    "slug",
    "category",
    "default_unit",
    "currency_code",
    "en",
    "en_aliases",
    "ko",
    "ko_kp",
    "ko_rom",
    "zh",
    "zh_rom",
]
PLACES_HEADER = [
    "slug",
    "kind",
    "parent",
    "country",
    "en",
    "en_aliases",
    "ko",
    "zh",
    "lat",
    "lon",
    "note",
]
PRICES_HEADER = [
    "date",
    "admin1",
    "admin2",
    "market",
    "category",
    "commodity",
    "unit",
    "priceflag",
    "pricetype",
    "currency",
    "price",
    "price_low",
    "price_high",
    "grade",
    "source",
    "source_url",
    "via",
    "via_url",
    "reliability",
    "note",
    "reported_date",
    "date_inferred",
    "report_order",
]
TRADE_HEADER = [
    "place",
    "date",
    "date_precision",
    "topics",
    "direction",
    "channel",
    "border_status",
    "market_activity",
    "enforcement",
    "commodities",
    "summary",
    "source",
    "source_url",
    "reliability",
]

CATEGORIES = {
    "cereals",
    "flour-and-noodles",
    "pulses",
    "oils",
    "vegetables",
    "meat-and-eggs",
    "condiments",
    "fuel",
    "currency",
    "medicinal-and-forest",
    "metals",
    "minerals",
    "seafood",
    "manufactured",
}
KINDS = {"country", "province", "city", "county", "aggregate"}
PRICETYPES = {
    "retail",
    "wholesale",
    "state_purchase",
    "middleman",
    "export",
    "ration",
    "market",
    "official",
}
PRICEFLAGS = {"actual", "aggregate"}
CURRENCIES = {"KPW", "CNY", "USD"}
UNITS = {
    "unspecified",
    "kg",
    "600 g",
    "100 g",
    "piece",
    "head",
    "liter",
    "USD",
    "100 USD",
    "CNY",
    "100 CNY",
}
TOPICS = {
    "border", "smuggling", "customs", "exports", "imports", "enforcement", "market-activity",
    "exchange-rate", "transport", "food-supply",
}  # fmt: skip
DIRECTIONS = {"", "export", "import", "both"}
CHANNELS = {"", "official-customs", "state-sanctioned-smuggling", "private-smuggling"}
BORDER_STATUSES = {"", "open", "restricted", "partially-open", "closed"}
MARKET_ACTIVITIES = {"", "contracting", "recovering", "stable", "booming"}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}
DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
RELIABILITY_RE = re.compile(r"^[A-F][1-6]$")

SEED_URL = (
    "https://www.dailynk.com/english/"
    "state-sanction-smuggling-revives-hope-north-korean-border-economy/"
)

# The 43 English names of the domain list (shared/domain/commodities.csv), hard-coded so
# the tests do not depend on shared/, each with the catalogue slug it must resolve to.
DOMAIN_COMMODITIES = {
    "rice (white)": "rice",
    "glutinous rice": "glutinous-rice",
    "corn": "corn",
    "corn flour": "corn-flour",
    "corn noodles": "corn-noodles",
    "wheat flour": "wheat-flour",
    "barley": "barley",
    "potato": "potato",
    "soybeans": "soybeans",
    "red beans": "red-beans",
    "soybean oil": "soybean-oil",
    "cooking oil": "cooking-oil",
    "pork": "pork",
    "chicken egg": "chicken-egg",
    "sugar": "sugar",
    "salt": "salt",
    "MSG": "msg",
    "red pepper powder": "red-pepper-powder",
    "Chinese cabbage": "chinese-cabbage",
    "gasoline": "gasoline",
    "diesel": "diesel",
    "US dollar": "us-dollar",
    "Chinese yuan": "chinese-yuan",
    "NK won": "north-korean-won",
    "Lingzhi": "lingzhi",
    "pine mushroom": "pine-mushroom",
    "dried leech": "dried-leech",
    "earthworm (medicinal)": "earthworm",
    "medicinal herbs": "medicinal-herbs",
    "Angelica dahurica": "angelica-dahurica",
    "ginseng": "ginseng",
    "wild ginseng": "wild-ginseng",
    "schisandra": "schisandra",
    "deer antler velvet": "deer-antler-velvet",
    "bracken": "bracken",
    "pine nuts": "pine-nuts",
    "gold": "gold",
    "silver": "silver",
    "copper": "copper",
    "coal": "coal",
    "squid": "squid",
    "timber": "timber",
    "cigarettes": "cigarettes",
}

# A sample of names and North Korean terms from the domain list that must resolve.
DOMAIN_ALIASES = {
    "입쌀": "rice",
    "강냉이": "corn",
    "maize": "corn",
    "닭알": "chicken-egg",
    "사탕가루": "sugar",
    "맛내기": "msg",
    "딸라": "us-dollar",
    "RMB": "chinese-yuan",
    "KPW": "north-korean-won",
    "reishi": "lingzhi",
    "靈芝": "lingzhi",
    "matsutake": "pine-mushroom",
    "水蛭": "dried-leech",
    "bai zhi": "angelica-dahurica",
    "fernbrake": "bracken",
}

# Place spellings from the domain list (shared/domain/places.csv) and the price sample.
DOMAIN_PLACES = {
    "Hyesan": "hyesan",
    "Haysan": "hyesan",
    "Ryanggang": "ryanggang",
    "Yanggang": "ryanggang",
    "Yanggang province": "ryanggang",
    "Ryanggang-do": "ryanggang",
    "양강도": "ryanggang",
    "Sinuiju": "sinuiju",
    "Shineju": "sinuiju",
    "North Pyongan": "north-pyongan",
    "Pyongyang": "pyongyang",
    "Hoeryong": "hoeryong",
    "Hoiryeong": "hoeryong",
    "Chongjin": "chongjin",
    "North Hamgyong": "north-hamgyong",
    "Rason": "rason",
    "Rasun": "rason",
    "Onsong": "onsong",
    "Hamhung": "hamhung",
    "Sunchon": "sunchon",
    "Musan": "musan",
    "Nampo": "nampo",
    "Namp'o": "nampo",
    "Sinpa": "sinpa",
    "Kim Jong Suk County": "sinpa",
    "South Hamgyong": "south-hamgyong",
    "South Pyongan": "south-pyongan",
    "Gyeongwon County": "gyeongwon",
    "Samsu": "samsu",
    "Paegam": "paegam",
    "Kangdong": "kangdong",
    "North Korea": "north-korea",
    "DPRK": "north-korea",
    "Pyongyang/Sinuiju/Hyesan average": "three-city-average",
    "northern border regions (average)": "northern-border-average",
}

COMMODITY_NAME_COLUMNS = ("en", "en_aliases", "ko", "ko_kp", "ko_rom", "zh", "zh_rom")
PLACE_NAME_COLUMNS = ("en", "en_aliases", "ko", "zh")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@cache
def load(name: str) -> tuple[list[str], list[dict[str, str]]]:
    paths = {
        "commodities": CATALOGUE / "commodities.csv",
        "places": CATALOGUE / "places.csv",
        "prices": SAMPLE / "prices.csv",
        "trade_reports": SAMPLE / "trade_reports.csv",
    }
    return read_csv(paths[name])


def rows(name: str) -> list[dict[str, str]]:
    return load(name)[1]


def by_slug(name: str) -> dict[str, dict[str, str]]:
    return {r["slug"]: r for r in rows(name)}


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PZ"
    )


def names_of(row: dict[str, str], columns: tuple[str, ...]) -> list[str]:
    found = [row["slug"]]
    for column in columns:
        found.extend(split(row[column]))
    return found


def alias_index(name: str, columns: tuple[str, ...]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for row in rows(name):
        for alias in names_of(row, columns):
            index[normalise(alias)].add(row["slug"])
    return index


def parse_date(value: str) -> datetime:
    assert DATE_RE.match(value), value
    return datetime.strptime(value, DATE_FORMATS[len(value)])


def number(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        pytest.fail(f"not a number: {value!r}")


# --- headers and slugs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("commodities", COMMODITIES_HEADER),
        ("places", PLACES_HEADER),
        ("prices", PRICES_HEADER),
        ("trade_reports", TRADE_HEADER),
    ],
)
def test_headers_are_exact(name: str, header: list[str]) -> None:
    assert load(name)[0] == header


@pytest.mark.parametrize("name", ["commodities", "places"])
def test_slugs_unique_and_well_formed(name: str) -> None:
    slugs = [r["slug"] for r in rows(name)]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert SLUG_RE.match(slug), slug


@pytest.mark.parametrize("name", ["commodities", "places", "prices", "trade_reports"])
def test_no_stray_whitespace(name: str) -> None:
    for row in rows(name):
        for key, value in row.items():
            assert value == value.strip(), (name, key, value)


# --- commodities -----------------------------------------------------------------------


def test_commodity_categories_units_and_currencies() -> None:
    for row in rows("commodities"):
        assert row["category"] in CATEGORIES, row["slug"]
        assert row["default_unit"], row["slug"]
        assert row["en"], row["slug"]
        if row["category"] == "currency":
            assert row["currency_code"] in CURRENCIES, row["slug"]
            assert row["default_unit"] == row["currency_code"], row["slug"]
        else:
            assert row["currency_code"] == "", row["slug"]
    codes = sorted(r["currency_code"] for r in rows("commodities") if r["currency_code"])
    assert codes == sorted(CURRENCIES)


def test_commodity_default_units() -> None:
    commodities = by_slug("commodities")
    assert commodities["gasoline"]["default_unit"] == "kg"
    assert commodities["diesel"]["default_unit"] == "kg"
    assert commodities["chicken-egg"]["default_unit"] == "piece"
    assert commodities["cigarettes"]["default_unit"] == "pack"
    assert commodities["gold"]["default_unit"] == "g"


def test_at_least_the_43_domain_commodities() -> None:
    assert len(DOMAIN_COMMODITIES) == 43
    assert len(rows("commodities")) >= 43
    index = alias_index("commodities", ("en", "en_aliases"))
    for name, slug in DOMAIN_COMMODITIES.items():
        assert index.get(normalise(name)) == {slug}, name


def test_domain_aliases_resolve() -> None:
    index = alias_index("commodities", COMMODITY_NAME_COLUMNS)
    for alias, slug in DOMAIN_ALIASES.items():
        assert index.get(normalise(alias)) == {slug}, alias


def test_every_commodity_has_korean_and_chinese_names() -> None:
    for row in rows("commodities"):
        for column in ("ko", "ko_rom", "zh", "zh_rom"):
            assert split(row[column]), (row["slug"], column)
        assert row["ko_rom"].isascii() and row["zh_rom"].isascii(), row["slug"]


# --- places ----------------------------------------------------------------------------


def test_place_kinds_and_parents() -> None:
    places = by_slug("places")
    countries = [s for s, r in places.items() if r["kind"] == "country"]
    assert countries == ["north-korea"]
    for slug, row in places.items():
        assert row["kind"] in KINDS, slug
        assert row["country"] == "KP", slug
        kind, parent = row["kind"], row["parent"]
        if kind == "country":
            assert parent == "", slug
        else:
            assert parent in places, (slug, parent)
        if kind == "province":
            assert parent == "north-korea", slug
        if kind in ("city", "county"):
            assert places[parent]["kind"] == "province", slug
        if kind == "aggregate":
            assert places[parent]["kind"] in ("country", "province"), slug


def test_place_coordinates() -> None:
    for row in rows("places"):
        lat, lon = row["lat"], row["lon"]
        assert (lat == "") == (lon == ""), row["slug"]
        if lat:
            assert 37.5 <= float(lat) <= 43.1, row["slug"]
            assert 124.0 <= float(lon) <= 131.0, row["slug"]
            assert re.match(r"^\d+\.\d{2}$", lat) and re.match(r"^\d+\.\d{2}$", lon)
        if row["kind"] == "aggregate":
            assert lat == "", row["slug"]


def test_domain_place_spellings_resolve() -> None:
    index = alias_index("places", PLACE_NAME_COLUMNS)
    for alias, slug in DOMAIN_PLACES.items():
        assert index.get(normalise(alias)) == {slug}, alias


# --- aliases shared between rows -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "columns"),
    [("commodities", COMMODITY_NAME_COLUMNS), ("places", PLACE_NAME_COLUMNS)],
)
def test_no_alias_shared_within_a_file(name: str, columns: tuple[str, ...]) -> None:
    for alias, owners in alias_index(name, columns).items():
        assert alias, f"{name}: an alias normalises to nothing ({owners})"
        assert len(owners) == 1, f"{name}: {alias!r} shared by {sorted(owners)}"


def test_no_alias_shared_between_commodity_and_place() -> None:
    commodity_aliases = alias_index("commodities", COMMODITY_NAME_COLUMNS)
    place_aliases = alias_index("places", PLACE_NAME_COLUMNS)
    shared = set(commodity_aliases) & set(place_aliases)
    assert not shared, {a: (commodity_aliases[a], place_aliases[a]) for a in shared}


# --- prices ----------------------------------------------------------------------------


def test_prices_row_count() -> None:
    assert len(rows("prices")) == 317


def test_prices_reference_the_catalogue() -> None:
    places = by_slug("places")
    commodities = by_slug("commodities")
    for i, row in enumerate(rows("prices"), start=2):
        market = places.get(row["market"])
        assert market is not None, (i, row["market"])
        if market["kind"] in ("city", "county"):
            expected_admin1 = market["parent"]
        elif market["kind"] == "province":
            expected_admin1 = row["market"]
        else:
            expected_admin1 = ""
        assert row["admin1"] == expected_admin1, (i, row["admin1"])
        if row["admin1"]:
            assert places[row["admin1"]]["kind"] == "province", i
        assert row["admin2"] == "", i
        commodity = commodities.get(row["commodity"])
        assert commodity is not None, (i, row["commodity"])
        assert row["category"] == commodity["category"], i
        expected_flag = "aggregate" if market["kind"] == "aggregate" else "actual"
        assert row["priceflag"] == expected_flag, i


def test_prices_enumerations() -> None:
    for i, row in enumerate(rows("prices"), start=2):
        assert row["pricetype"] in PRICETYPES, i
        assert row["priceflag"] in PRICEFLAGS, i
        assert row["currency"] in CURRENCIES, i
        assert row["unit"] in UNITS, (i, row["unit"])
        if row["unit"] == "unspecified":
            assert "unit not stated" in row["note"], i
        assert row["source"], i
        assert (row["source_url"] or row["via_url"]).startswith(("http://", "https://")), i
        assert row["reliability"] == "" or RELIABILITY_RE.match(row["reliability"]), i


def test_exchange_rates() -> None:
    for i, row in enumerate(rows("prices"), start=2):
        if row["category"] == "currency":
            code = by_slug("commodities")[row["commodity"]]["currency_code"]
            assert row["unit"] in (code, f"100 {code}"), i
            assert row["currency"] == "KPW", i
            assert row["pricetype"] in ("market", "official"), i
        else:
            assert row["pricetype"] not in ("market", "official"), i
    official = [r for r in rows("prices") if r["pricetype"] == "official"]
    assert len(official) == 1 and official[0]["commodity"] == "us-dollar"


def test_price_numbers() -> None:
    for i, row in enumerate(rows("prices"), start=2):
        low, high = number(row["price_low"]), number(row["price_high"])
        assert low > 0 and high > 0, i
        assert low <= high, i
        if row["price"]:
            assert number(row["price"]) == low == high, i
        else:
            assert low < high, f"row {i}: empty price is only for ranges"


@pytest.mark.parametrize("column", ["date", "reported_date"])
def test_dates_parse_at_their_precision(column: str) -> None:
    for i, row in enumerate(rows("prices"), start=2):
        if row[column]:
            parsed = parse_date(row[column])
            assert 2000 <= parsed.year <= 2030, (i, row[column])


def test_reported_date_not_before_observed_date() -> None:
    for i, row in enumerate(rows("prices"), start=2):
        if row["date"] and row["reported_date"]:
            observed = row["date"]
            assert row["reported_date"][: len(observed)] >= observed, i


def test_seed_lingzhi_rows() -> None:
    seed = [
        r
        for r in rows("prices")
        if r["market"] == "hyesan" and r["commodity"] == "lingzhi" and r["source_url"] == SEED_URL
    ]
    assert [(r["price_low"], r["price_high"]) for r in seed] == [("200", "300"), ("500", "1200")]
    for row in seed:
        assert row["source"] == "Daily NK"
        assert row["currency"] == "CNY"
        assert row["unit"] == "kg"
        assert row["price"] == ""
        assert row["date"] == ""
        assert row["reliability"] == "B3"
        assert row["admin1"] == "ryanggang"
    graded = [r for r in rows("prices") if r["reliability"]]
    assert graded == seed
    # The article gives its two figures in order: "before", then "recently".
    assert [r["report_order"] for r in seed] == ["1", "2"]


def test_sample_provenance_is_in_fields_not_notes() -> None:
    prices = rows("prices")
    for i, row in enumerate(prices):
        assert bool(row["via"]) == bool(row["via_url"]), i
        assert row["source_url"] or row["via_url"], i
        note = row["note"].casefold()
        for fact in ("reprint", "repost", "date not stated", "url date"):
            assert fact not in note, (i, row["note"])
        assert row["date_inferred"] in ("", "yes"), i
        if row["date_inferred"]:
            assert row["date"], i
    reprints = [r for r in prices if r["via"]]
    assert len(reprints) > len(prices) // 4
    inven = [r for r in prices if r["via"] == "inven.co.kr"]
    assert inven and all(r["source"] == "Daily NK" and not r["source_url"] for r in inven)


# --- trade reports ---------------------------------------------------------------------


def test_trade_reports() -> None:
    reports = rows("trade_reports")
    places = by_slug("places")
    # The seed article's five reports (graded), then the 60 dated facts (one is the same article).
    seed, facts = reports[:5], reports[5:]
    assert len(facts) == 60 and all(r["source_url"] == SEED_URL for r in seed)
    slug_re = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    for i, row in enumerate(reports, start=2):
        assert row["place"] in places, i
        topics = split(row["topics"])
        assert topics and set(topics) <= TOPICS, i
        assert row["direction"] in DIRECTIONS, i
        assert row["channel"] == "" or slug_re.match(row["channel"]), i
        assert row["border_status"] in BORDER_STATUSES, i
        assert row["market_activity"] in MARKET_ACTIVITIES, i
        assert row["summary"] and len(row["summary"]) <= 2000, i
        assert row["date"] == "" or parse_date(row["date"]), i
        precision = {"": "unknown", 4: "year", 7: "month", 10: "day"}
        assert row["date_precision"] == precision[len(row["date"]) or ""], i
        assert row["source"] and row["source_url"].startswith(("https://", "http://")), i
    for row in seed:
        assert row["source"] == "Daily NK"
        assert row["channel"] in CHANNELS
        assert RELIABILITY_RE.match(row["reliability"])
    # The facts name every place they concern, the two border cities added for them included.
    assert {"manpo", "pyongsong", "rason", "sinuiju"} <= {r["place"] for r in facts}
    mentioned = set()
    for row in seed:
        mentioned |= set(split(row["commodities"]))
    assert {"lingzhi", "dried leeches", "medicinal herbs", "gold"} <= mentioned
