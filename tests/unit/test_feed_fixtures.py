"""The source-feed test server (tests/support/feeds.py), its fixture files and the WFP file
generator of the benchmarks (bench/wfp_files.py) do what the feed tests rely on."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.wfp_files import COUNTRIES, HXL_TAGS, write_wfp_file
from tests.support.feeds import FEEDS, HAPI_PATH, FeedServer, serve_feeds

KEY = ("date", "market", "commodity", "pricetype", "unit")


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with serve_feeds() as feeds:
        yield feeds


@pytest.fixture
def client(server: FeedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=5) as http:
        yield http


def _rows(path: Path, *, skip_tags: bool = False) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[1:] if skip_tags else rows


def test_a_file_answers_304_to_its_own_validators_and_changes_when_replaced() -> None:
    with serve_feeds() as server, httpx.Client(base_url=server.base, timeout=5) as http:
        first = http.get("/files/wfp_food_prices_mmr.csv")
        assert first.status_code == 200
        assert first.headers["content-type"] == "text/csv; charset=utf-8"
        tag, stamp = first.headers["etag"], first.headers["last-modified"]
        assert tag.startswith('"') and tag.endswith('"')
        same = http.get("/files/wfp_food_prices_mmr.csv", headers={"If-None-Match": tag})
        assert (same.status_code, same.content) == (304, b"")
        dated = http.get("/files/wfp_food_prices_mmr.csv", headers={"If-Modified-Since": stamp})
        assert dated.status_code == 304

        server.replace("wfp_food_prices_mmr.csv", "wfp_food_prices_mmr_v2.csv")
        updated = http.get("/files/wfp_food_prices_mmr.csv", headers={"If-None-Match": tag})
        assert updated.status_code == 200
        assert updated.headers["etag"] != tag
        assert "2025-11-15" in updated.text
        assert server.count("/files/wfp_food_prices_mmr.csv") == 4
        assert server.requests[1].header("If-None-Match") == tag


def test_package_show_and_the_dataset_page_point_at_this_server(
    server: FeedServer, client: httpx.Client
) -> None:
    answer = client.get("/api/3/action/package_show", params={"id": "wfp-food-prices-for-myanmar"})
    assert answer.headers["content-type"] == "application/json"
    resources = answer.json()["result"]["resources"]
    assert resources[0]["name"].startswith("QuickCharts")
    assert resources[1]["url"] == f"{server.base}/files/wfp_food_prices_mmr.csv"
    assert "{base}" not in answer.text
    missing = client.get("/api/3/action/package_show", params={"id": "nowhere"})
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error"
    page = client.get("/dataset/wfp-food-prices-for-myanmar").text
    assert f'href="{server.base}/files/wfp_food_prices_mmr.csv"' in page
    assert "{base}" not in page


def test_hapi_pages_filter_and_need_an_app_identifier(client: httpx.Client) -> None:
    query = {"location_code": "MMR", "app_identifier": "dGVzdDp0ZXN0", "output_format": "json"}
    sizes = [
        len(client.get(HAPI_PATH, params={**query, "limit": 10, "offset": at}).json()["data"])
        for at in (0, 10, 20, 30)
    ]
    assert sizes == [10, 10, 5, 0]
    later = client.get(HAPI_PATH, params={**query, "start_date": "2025-04-01"}).json()["data"]
    assert later and all(r["reference_period_start"] >= "2025-04-01" for r in later)
    assert all(r["location_code"] == "MMR" for r in later)
    refused = client.get(HAPI_PATH, params={"location_code": "MMR", "output_format": "json"})
    assert refused.status_code == 400
    assert "app_identifier" in refused.json()["detail"]


def test_feeds_articles_and_faults(server: FeedServer, client: httpx.Client) -> None:
    rss = client.get("/feeds/news.rss")
    assert rss.headers["content-type"] == "application/rss+xml"
    assert f"{server.base}/articles/hyesan-border-trade" in rss.text
    again = client.get("/feeds/news.rss", headers={"If-None-Match": rss.headers["etag"]})
    assert again.status_code == 304
    article = client.get("/articles/hyesan-border-trade")
    assert "Hyesan" in article.text
    assert "19,000 won" in client.get("/articles/sinuiju-fuel").text

    server.fail_next("/feeds/news.atom", 503)
    assert client.get("/feeds/news.atom").status_code == 503
    atom = client.get("/feeds/news.atom")
    assert atom.status_code == 200
    assert f"{server.base}/articles/no-prices" in atom.text
    with client.stream("GET", "/files/big.csv", params={"bytes": 100_000}) as big:
        assert "content-length" not in big.headers
        assert sum(len(chunk) for chunk in big.iter_bytes()) > 100_000


def test_the_myanmar_fixtures_have_unique_rows_and_a_full_yangon_rice_series() -> None:
    rows = _rows(FEEDS / "wfp_food_prices_mmr.csv")
    assert len({tuple(r[k] for k in KEY) for r in rows}) == len(rows) == 60
    yangon_rice = {
        r["date"]
        for r in rows
        if (r["market"], r["commodity"], r["pricetype"])
        == ("Yangon", "Rice (low quality)", "Retail")
    }
    assert yangon_rice == {f"2025-{m:02d}-15" for m in range(1, 11)}
    old = _rows(FEEDS / "wfp_food_prices_mmr_hxl.csv", skip_tags=True)
    assert {r["date"][:4] for r in old} == {"2024"}


@pytest.mark.parametrize("hxl", [False, True])
def test_write_wfp_file_writes_exactly_the_rows_asked_with_unique_keys(
    tmp_path: Path, hxl: bool
) -> None:
    path = tmp_path / "wfp_food_prices_yem.csv"
    info = write_wfp_file(path, iso3="YEM", rows=3_001, seed=7, hxl=hxl)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert (lines[1] == HXL_TAGS) is hxl
    rows = _rows(path, skip_tags=hxl)
    assert len(rows) == info.rows == 3_001
    assert len({tuple(r[k] for k in KEY) for r in rows}) == 3_001
    assert all(float(r["price"]) > 0 and r["currency"] == "YER" for r in rows)
    assert ("market_id" in rows[0]) is not hxl
    assert info.bytes == path.stat().st_size
    assert rows[0]["date"] == "2010-01-15"
    again = tmp_path / "again.csv"
    write_wfp_file(again, iso3="YEM", rows=3_001, seed=7, hxl=hxl)
    assert again.read_bytes() == path.read_bytes()


def test_the_country_tables_are_complete() -> None:
    assert len(COUNTRIES) == 10
    ids = [m.market_id for c in COUNTRIES.values() for m in c.markets]
    assert len(ids) == len(set(ids))
    for country in COUNTRIES.values():
        assert 60 <= len(country.markets) <= 150
        assert {m.admin1 for m in country.markets} == set(country.admin1)
