"""Source feeds against a local server (tests/support/feeds.py): WFP country files (the CSV, its
dataset page, package_show; current and HXL formats), HDX HAPI pages, RSS and Atom into the
editors' inbox; conditional requests, faults and backoff, claims, links to existing entries, and
what answers say about the feed.

Most tests run on SQLite; the import, the claims and the inbox run on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.errors import InvalidInput
from bot.services.catalogue import sync_catalogue
from bot.services.feeds import Feeds
from bot.services.fetching import FetchLimits
from db.engine import make_engine, upgrade
from db.models import (
    Commodity,
    Feed,
    Market,
    PriceObservation,
    SourceCode,
)
from db.repo import feeds as feed_repo
from tests.support.clock import NOW
from tests.support.db import sqlite_url
from tests.support.feeds import HAPI_PATH, FeedServer, serve_feeds
from tests.support.services import make_services
from tests.support.settings import ADMIN_ID, make_settings

MMR = "wfp_food_prices_mmr.csv"


class Clock:
    """A clock the test moves."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with serve_feeds() as running:
        yield running


@pytest.fixture
def lite(tmp_path):
    """A migrated SQLite database with the catalogue (no figures)."""
    engine = make_engine(sqlite_url(tmp_path / "feeds.sqlite3"))
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    yield engine
    engine.dispose()


def services_on(engine, tmp_path, clock: Clock, **settings):
    values = {
        "fetch_allow_private": True,
        "fetch_timeout": 3,
        "feed_timeout": 3,
        "hapi_app_identifier": "dGVzdDp0ZXN0QGV4YW1wbGUub3Jn",
        "hapi_page_size": 10,
        **settings,
    }
    return make_services(make_settings(tmp_path, **values), engine, now=clock)


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def feed_row(engine, feed_id: int) -> Feed:
    with Session(engine) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        return feed


# WFP files


def test_a_wfp_file_is_imported_with_its_markets_and_a_second_check_is_one_304(
    engine, server, tmp_path
):
    clock = Clock()
    c = services_on(engine, tmp_path, clock)
    places_before = count(engine, Market)
    feed = c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    assert feed.name == "WFP MMR" and feed.every_seconds == 86_400

    result = c.feeds.check(feed.id, force=True)
    assert result is not None and result.status == "changed", result
    assert result.result["rows"] == 60 and result.result["added"] == 60
    assert result.result["new_markets"] == 4 and result.result["new_commodities"] == 5
    # Myanmar, and the four regions (admin1) the markets lie in.
    assert count(engine, Market) == places_before + 9
    with Session(engine) as session:
        yangon = session.exec(
            select(Market).where(Market.name_en == "Yangon", Market.kind == "city")
        ).one()
        region = session.get(Market, yangon.parent_id)
        country = session.get(Market, region.parent_id)
        assert (region.name_en, region.kind) == ("Yangon", "province")
        assert (country.name_en, country.name_ko, country.country) == ("Myanmar", "미얀마", "MM")
        assert yangon.latitude is not None and "WFP market 1180" in (yangon.note or "")
        codes = {(s.kind, s.code) for s in session.exec(select(SourceCode))}
        assert ("market", "1180") in codes and ("commodity", "52") in codes
        rows = list(session.exec(select(PriceObservation)))
    assert {(r.source_name, r.source_url) for r in rows} == {("WFP", feed.url)}
    assert all(r.usd_price is not None and r.usd_price > 0 for r in rows)
    assert {r.currency for r in rows} == {"MMK"}

    # Unchanged: one conditional request, answered 304, nothing parsed or added.
    server.clear()
    clock.advance(days=1)
    again = c.feeds.check(feed.id)
    assert again is not None and again.status == "unchanged"
    assert again.result["answer"] == "304"
    assert server.count("/") == 1 and server.requests[0].header("If-None-Match")
    assert count(engine, PriceObservation) == 60
    stored = feed_row(engine, feed.id)
    assert stored.status == "ok" and stored.etag and stored.last_checked_at == clock.at
    assert stored.next_due_at == clock.at + timedelta(days=1)
    assert stored.last_changed_at == NOW  # the first check's


def test_an_updated_file_adds_only_its_new_rows_and_the_same_bytes_parse_nothing(
    lite, server, tmp_path
):
    c = services_on(lite, tmp_path, Clock())
    feed = c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    c.feeds.check(feed.id, force=True)
    markets = count(lite, Market)
    server.replace(MMR, "wfp_food_prices_mmr_v2.csv")
    updated = c.feeds.check(feed.id, force=True)
    assert updated.status == "changed" and updated.result["added"] == 8
    assert updated.result["duplicates"] == 60 and count(lite, Market) == markets
    # A server that ignores the validators: the file's hash shows it is the same file.
    with Session(lite) as session:
        session.get(Feed, feed.id).etag = None
        session.get(Feed, feed.id).last_modified = None
        session.commit()
    same = c.feeds.check(feed.id, force=True)
    assert same.status == "unchanged" and same.result["answer"] == "same file"


def test_an_older_file_with_the_hxl_row_and_no_ids_finds_the_same_markets(lite, server, tmp_path):
    c = services_on(lite, tmp_path, Clock())
    c.feeds.check(c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx").id, force=True)
    markets, goods = count(lite, Market), count(lite, Commodity)
    older = c.feeds.add(server.url("/files/wfp_food_prices_mmr_hxl.csv"), kind="wfp-hdx")
    result = c.feeds.check(older.id, force=True)
    assert result.status == "changed" and result.result["added"] == 20
    assert (count(lite, Market), count(lite, Commodity)) == (markets, goods)


@pytest.mark.parametrize(
    "path", ["/api/3/action/package_show?id=wfp-food-prices-for-myanmar",
             "/dataset/wfp-food-prices-for-myanmar"],
)  # fmt: skip
def test_a_dataset_page_or_package_show_leads_to_the_file_credited_to_the_dataset(
    lite, server, tmp_path, path
):
    c = services_on(lite, tmp_path, Clock())
    feed = c.feeds.add(server.url(path), kind="wfp-hdx")
    result = c.feeds.check(feed.id, force=True)
    assert result.status == "changed" and result.result["added"] == 60
    dataset = server.url("/dataset/wfp-food-prices-for-myanmar")
    with Session(lite) as session:
        links = set(session.exec(select(PriceObservation.source_url).distinct()))
    assert links == {dataset}
    assert feed_row(lite, feed.id).resource_url == server.url(f"/files/{MMR}")
    assert dataset in c.feeds.checked()
    assert not any("QuickCharts" in r.path for r in server.requests)


def test_a_changed_format_or_a_bad_row_imports_nothing_and_backs_off(lite, server, tmp_path):
    clock = Clock()
    c = services_on(lite, tmp_path, clock)
    markets = count(lite, Market)
    bad = c.feeds.add(server.url("/files/wfp_food_prices_mmr_bad.csv"), kind="wfp-hdx")
    first = c.feeds.check(bad.id)
    assert first.status == "error" and "no price" in first.error
    stored = feed_row(lite, bad.id)
    assert (stored.status, stored.failures) == ("error", 1)
    assert stored.next_due_at == clock.at + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert c.feeds.check(bad.id).status == "error"
    assert feed_row(lite, bad.id).next_due_at == clock.at + timedelta(minutes=10)
    assert c.feeds.check(bad.id) is None  # not due yet

    row = c.feeds.add(server.url("/files/wfp_food_prices_mmr_badrow.csv"), kind="wfp-hdx")
    refused = c.feeds.check(row.id)
    assert refused.status == "error" and "Line 8" in refused.error and "abc" in refused.error
    # All or nothing: no figure, and no market or region made for the refused file.
    assert count(lite, PriceObservation) == 0 and count(lite, Market) == markets
    assert count(lite, SourceCode) == 0


def test_faults_mark_the_feed_and_the_other_feeds_go_on(lite, server, tmp_path):
    clock = Clock()
    c = services_on(lite, tmp_path, clock, feed_timeout=0.5, feed_max_bytes=20_000)
    broken = c.feeds.add(server.url("/fail/500"), kind="wfp-hdx", name="broken")
    hanging = c.feeds.add(server.url("/fail/hang"), kind="wfp-hdx", name="hanging")
    big = c.feeds.add(server.url("/files/big.csv?bytes=60000"), kind="wfp-hdx", name="big")
    page = c.feeds.add(server.url("/fail/notcsv"), kind="wfp-hdx", name="maintenance")
    good = c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx", name="good")
    results = {r.name: r for r in c.feeds.run_due()}
    assert "answered 500" in results["broken"].error
    assert "did not send" in results["hanging"].error
    assert "larger than 20 kB" in results["big"].error
    assert "links to no WFP price file" in results["maintenance"].error
    assert results["good"].status == "changed"
    assert {feed_row(lite, f.id).status for f in (broken, hanging, big, page)} == {"error"}

    # A feed that fails once and then answers again is back to normal.
    server.fail_next(f"/files/{MMR}", 503)
    clock.advance(days=1)
    assert c.feeds.check(good.id).status == "error"
    clock.advance(minutes=5)
    recovered = c.feeds.check(good.id)
    assert recovered.status == "unchanged" and feed_row(lite, good.id).failures == 0


def test_private_addresses_are_refused_unless_allowed(lite, server, tmp_path):
    c = services_on(lite, tmp_path, Clock(), fetch_allow_private=False)
    feed = c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    result = c.feeds.check(feed.id)
    assert result.status == "error" and "private or local address" in result.error
    assert server.count("/") == 0


def test_bad_feeds_are_refused_when_added(lite, tmp_path):
    c = services_on(lite, tmp_path, Clock())
    for url, kind, every in (
        ("ftp://example.org/x.csv", "wfp-hdx", None),
        ("https://example.org/x.csv", "csv", None),
        ("https://example.org/x.csv", "wfp-hdx", "2s"),
    ):
        with pytest.raises(InvalidInput):
            c.feeds.add(url, kind=kind, every=every)
    c.feeds.add("https://example.org/wfp_food_prices_yem.csv", kind="wfp-hdx", every="12h")
    with pytest.raises(InvalidInput, match="there already"):
        c.feeds.add("https://example.org/wfp_food_prices_yem.csv", kind="wfp-hdx")
    assert count(lite, Feed) == 1


# HAPI


def test_hapi_is_read_page_by_page_and_from_the_last_period_on(lite, server, tmp_path):
    c = services_on(lite, tmp_path, Clock())
    feed = c.feeds.add(server.url(f"{HAPI_PATH}?location_code=mmr"), kind="hapi")
    first = c.feeds.check(feed.id, force=True)
    assert first.status == "changed" and first.result["added"] == 25
    pages = [r for r in server.requests if r.path.startswith(HAPI_PATH)]
    assert len(pages) == 3  # 10, 10, 5
    assert all("app_identifier=" in r.path and "output_format=json" in r.path for r in pages)
    assert ["offset=0" in pages[0].path, "offset=20" in pages[2].path] == [True, True]
    stored = feed_row(lite, feed.id)
    assert stored.cursor == "2025-06-01"
    with Session(lite) as session:
        links = set(session.exec(select(PriceObservation.source_url).distinct()))
    assert links == {server.url(f"{HAPI_PATH}?location_code=MMR")}  # no app identifier

    server.clear()
    again = c.feeds.check(feed.id, force=True)
    assert again.result["added"] == 0 and "start_date=2025-06-01" in server.requests[0].path


def test_hapi_needs_an_app_identifier_and_a_location(lite, server, tmp_path):
    c = services_on(lite, tmp_path, Clock(), hapi_app_identifier=None)
    feed = c.feeds.add(server.url(f"{HAPI_PATH}?location_code=MMR"), kind="hapi")
    assert "HAPI_APP_IDENTIFIER" in c.feeds.check(feed.id).error
    c = services_on(lite, tmp_path, Clock())
    nowhere = c.feeds.add(server.url(HAPI_PATH), kind="hapi")
    assert "location_code" in c.feeds.check(nowhere.id).error


# News feeds and the inbox


def test_news_entries_wait_in_the_inbox_with_what_the_intake_found(engine, server, tmp_path):
    c = services_on(engine, tmp_path, Clock())
    rss = c.feeds.add(server.url("/feeds/news.rss"), kind="rss", name="Tumen Ledger")
    first = c.feeds.check(rss.id, force=True)
    assert first.status == "changed" and first.result["new"] == 2
    items = {i.url.rsplit("/", 1)[-1]: i for i in c.inbox.pending()}
    hyesan = items["hyesan-border-trade"]
    assert [
        (f["commodity"], f["place"], f["low"], f["high"], f["currency"]) for f in hyesan.figures
    ] == [
        ("Lingzhi", "Hyesan", 200.0, 300.0, "CNY"),
        ("Lingzhi", "Hyesan", 500.0, 1200.0, "CNY"),
    ]
    assert hyesan.report is not None and hyesan.report["place"] == "Hyesan"
    assert items["no-prices"].figures == [] and hyesan.feed == "Tumen Ledger"
    # Nothing is published without an editor.
    assert count(engine, PriceObservation) == 0

    assert c.feeds.check(rss.id, force=True).result["answer"] == "304"
    server.add_rss_item("Fuel prices climb in Sinuiju", "sinuiju-fuel-2", article="sinuiju-fuel")
    newer = c.feeds.check(rss.id, force=True)
    assert newer.result["new"] == 1 and len(c.inbox.pending()) == 3

    # Opened into the review and saved: the figures are stored and the item leaves the inbox.
    shown = c.reviews.open_article(
        admin_id=ADMIN_ID, article=c.inbox.article(hyesan.id)[0], inbox_item=hyesan.id
    )
    assert "Lingzhi" in shown.reply.text and shown.token
    saved = c.reviews.save(admin_id=ADMIN_ID, token=shown.token)
    assert "Saved 2 figures" in saved.text
    assert count(engine, PriceObservation) == 2
    assert hyesan.id not in {i.id for i in c.inbox.pending()}
    with pytest.raises(InvalidInput, match="saved already"):
        c.inbox.article(hyesan.id)
    dismissed = c.inbox.dismiss(items["no-prices"].id, admin_id=ADMIN_ID)
    assert dismissed.id == items["no-prices"].id and len(c.inbox.pending()) == 1
    with pytest.raises(InvalidInput, match="dismissed already"):
        c.inbox.dismiss(items["no-prices"].id, admin_id=ADMIN_ID)


def test_an_atom_feed_and_an_unreadable_article(lite, server, tmp_path):
    c = services_on(lite, tmp_path, Clock())
    atom = c.feeds.add(server.url("/feeds/news.atom"), kind="rss")
    assert c.feeds.check(atom.id, force=True).result["new"] == 2
    fuel = next(i for i in c.inbox.pending() if i.url.endswith("sinuiju-fuel"))
    assert {(f["commodity"], f["currency"]) for f in fuel.figures} >= {("diesel", "KPW")}
    assert fuel.published is not None and fuel.published.year == 2026
    # A feed whose entry links to a missing page: the item waits, saying why it was not read.
    server.add_rss_item("Gone", "missing-page")
    rss = c.feeds.add(server.url("/feeds/news.rss"), kind="rss")
    # Its no-prices entry is the Atom feed's article again: queued once.
    assert c.feeds.check(rss.id, force=True).result["new"] == 2
    assert sum(i.url.endswith("/no-prices") for i in c.inbox.pending()) == 1
    gone = next(i for i in c.inbox.pending() if i.url.endswith("missing-page"))
    assert gone.error and "404" in gone.error and gone.figures == []


def test_the_daily_message_is_claimed_once_per_day(lite, tmp_path):
    clock = Clock()
    c = services_on(lite, tmp_path, clock)
    c.users.touch(telegram_id=ADMIN_ID, username=None, language_code="en")
    c.inbox.set_daily(user_id=ADMIN_ID, on=True)
    assert [u for u, _ in c.inbox.daily_due(editors=frozenset({ADMIN_ID}))] == [ADMIN_ID]
    other = services_on(lite, tmp_path, clock)
    assert c.inbox.claim_daily(ADMIN_ID, today=clock.at.date()) is not None
    assert other.inbox.claim_daily(ADMIN_ID, today=clock.at.date()) is None
    assert c.inbox.daily_due(editors=frozenset({ADMIN_ID})) == []
    clock.advance(days=1)
    assert other.inbox.claim_daily(ADMIN_ID, today=clock.at.date()) == NOW.date()


# Claims


def test_one_process_checks_a_feed_at_a_time(engine, server, tmp_path):
    clock = Clock()
    a = services_on(engine, tmp_path, clock)
    b = replace(a, feeds=Feeds(
        engine=engine, catalogue=a.catalogue, clock=clock, intake=a.intake,
        limits=FetchLimits(allow_private=True), article_limits=FetchLimits(allow_private=True),
        holder="other-host:1:ab",
    ))  # fmt: skip
    feed = a.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    with Session(engine) as session:
        assert feed_repo.claim_feed(
            session, feed_id=feed.id, holder="other-host:1:ab", now=clock.at,
            stale_before=clock.at - timedelta(hours=2),
        )  # fmt: skip
        session.commit()
    assert a.feeds.check(feed.id) is None and a.feeds.run_due() == []
    assert server.count("/") == 0
    # A claim older than two hours (its process gone) is taken over.
    clock.advance(hours=3)
    assert a.feeds.check(feed.id).status == "changed"
    assert feed_row(engine, feed.id).claimed_by is None
    assert b.feeds.check(feed.id) is None  # checked: not due again for a day


# Links and answers


def test_a_created_commodity_linked_to_the_catalogues_keeps_its_figures_once(
    lite, server, tmp_path
):
    c = services_on(lite, tmp_path, Clock())
    feed = c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    c.feeds.check(feed.id, force=True)
    waiting = {u.slug: u for u in c.links.unlinked()}
    assert waiting["rice-low-quality"].figures == 31 and "yangon" in waiting
    linked = c.links.link(
        kind="commodity", slug="rice-low-quality", target="rice (white)", admin_id=ADMIN_ID
    )
    assert (linked.moved, linked.dropped, linked.target) == (31, 0, "rice")
    rice = c.catalogue.current.commodity_slugs["rice"]
    assert count(lite, PriceObservation, col(PriceObservation.commodity_id) == rice) == 31
    assert "rice-low-quality" not in c.catalogue.current.commodity_slugs
    assert c.catalogue.current.commodities.exact("Rice (low quality)")[0].id == rice
    # The next file's rows land on rice, and the ones already there are not doubled.
    server.replace(MMR, "wfp_food_prices_mmr_v2.csv")
    again = c.feeds.check(feed.id, force=True)
    assert again.result["added"] == 8 and again.result.get("new_commodities") is None
    with pytest.raises(InvalidInput, match="not created by a feed"):
        c.links.link(kind="commodity", slug="rice", target="lingzhi", admin_id=ADMIN_ID)


def test_answers_from_a_feed_say_when_it_was_checked_and_label_wfps_conversion(
    lite, server, tmp_path
):
    clock = Clock()
    c = services_on(lite, tmp_path, clock)
    c.feeds.check(c.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx").id, force=True)
    clock.advance(days=2)
    text = c.questions.ask("rice yangon", lang="en").text
    assert "Rice (low quality)" in text and "3,250 MMK/kg" in text
    assert "checked 2 days ago" in text
    assert "WFP's own conversion" in text and "not a market rate" in text


def test_farm_gate_prices_in_any_currency_are_imported(lite):
    from io import BytesIO

    from bot.services.catalogue import load_catalogue
    from bot.services.countries import country_of
    from bot.services.importer import import_prices
    from bot.services.wfp import WfpNames

    data = (
        b"date,admin1,admin2,market,market_id,latitude,longitude,category,commodity,"
        b"commodity_id,unit,priceflag,pricetype,currency,price,usdprice\n"
        b"2025-06-15,Sana'a,,Sana'a,4001,15.35,44.2,cereals and tubers,Wheat,84,KG,actual,"
        b"Farm Gate,YER,410,0.77\n"
        b"2025-06-15,Sana'a,,Sana'a,4001,15.35,44.2,cereals and tubers,Wheat,84,KG,actual,"
        b"Retail,YER,530,1.0\n"
    )
    catalogue = load_catalogue(lite)
    country = country_of("YEM")
    names = WfpNames(lite, catalogue, country=country, dataset_url="https://x.test/d", now=NOW)
    result = import_prices(
        lite, catalogue, BytesIO(data), name="yem", entered_by=None, now=NOW, names=names
    )
    assert not result.errors and result.added == 2
    with Session(lite) as session:
        rows = list(session.exec(select(PriceObservation)))
    assert {(r.price_type, r.currency) for r in rows} == {("farm_gate", "YER"), ("retail", "YER")}
    assert {r.usd_price for r in rows} == {0.77, 1.0}


def test_another_process_sees_the_entries_a_feed_created(lite, server, tmp_path):
    shell, bot = (services_on(lite, tmp_path, Clock()) for _ in range(2))
    assert bot.catalogue.reload_if_changed() is False
    feed = shell.feeds.add(server.url(f"/files/{MMR}"), kind="wfp-hdx")
    shell.feeds.check(feed.id, force=True)
    assert not bot.catalogue.current.markets.exact("Sittwe")
    assert bot.catalogue.reload_if_changed() is True
    assert bot.catalogue.current.markets.exact("Sittwe")
    assert bot.catalogue.reload_if_changed() is False


def test_run_now_makes_a_feed_due_wakes_the_job_and_remembers_who_asked(lite, tmp_path):
    clock = Clock()
    c = services_on(lite, tmp_path, clock)
    woken: list[bool] = []
    c.feeds.wanted.connect(lambda: woken.append(True))
    feed = c.feeds.add("https://example.org/wfp_food_prices_yem.csv", kind="wfp-hdx")
    with Session(lite) as session:
        session.get(Feed, feed.id).next_due_at = clock.at + timedelta(days=1)
        session.commit()
    assert c.feeds.due() == []
    c.feeds.request(feed.id, chat_id=ADMIN_ID)
    assert c.feeds.due() == [feed.id] and woken == [True]
    assert c.feeds.asked() == [feed.id]
    assert c.feeds.asked_by(feed.id) == ADMIN_ID and c.feeds.asked_by(feed.id) is None
    c.feeds.pause(feed.id, paused=True)
    with pytest.raises(InvalidInput, match="paused"):
        c.feeds.request(feed.id, chat_id=ADMIN_ID)


def test_the_demos_sample_feeds_are_served_registered_once_and_readable(lite, tmp_path):
    from bot.offline.sample_feeds import SAMPLES, register_sample_feeds, serve_sample_feeds

    c = services_on(lite, tmp_path, Clock())
    with serve_sample_feeds() as base:
        register_sample_feeds(lite, base, now=NOW)
        register_sample_feeds(lite, base, now=NOW)
        feeds = {f.name: f for f in c.feeds.list_feeds()}
        assert set(feeds) == {name for name, _, _ in SAMPLES}
        assert c.feeds.due() == []  # the editor runs them
        wfp, news = (feeds[name] for name, _, _ in SAMPLES)
        assert c.feeds.check(wfp.id, force=True).result["added"] == 60
        assert c.feeds.check(news.id, force=True).result["new"] == 2
    with serve_sample_feeds() as other:
        register_sample_feeds(lite, other, now=NOW)
        assert {f.url.rsplit("/", 1)[0] for f in c.feeds.list_feeds()} == {other}


def test_hapis_app_identifier_never_shows_in_a_link_or_an_error(lite, server, tmp_path):
    secret = "dGVzdDp0ZXN0QGV4YW1wbGUub3Jn"
    c = services_on(lite, tmp_path, Clock(), hapi_app_identifier=secret)
    feed = c.feeds.add(
        server.url(f"{HAPI_PATH}?location_code=MMR&app_identifier={secret}"), kind="hapi"
    )
    assert secret not in feed.url and "location_code=MMR" in feed.url
    server.fail_next(HAPI_PATH, 500)
    failed = c.feeds.check(feed.id, force=True)
    assert failed.status == "error" and "answered 500" in failed.error
    assert secret not in failed.error and secret not in (feed_row(lite, feed.id).last_error or "")
    assert server.requests[-1].path.count(secret) == 1  # it was sent, to HAPI only
