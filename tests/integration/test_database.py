"""Schema, catalogue, sample data and the price queries on a real database (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, func, select

from bot.domain.errors import NotFound
from bot.services.asking import ask
from bot.services.catalogue import load_catalogue, sync_catalogue
from bot.services.seed import load_sample
from db import repo
from db.engine import current_revision, upgrade
from db.models import Commodity, CommodityAlias, Market, PriceObservation, TradeReport
from tests.support.clock import NOW
from tests.support.factories import add_price


def test_migrations_create_every_table_and_are_idempotent(engine):
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "commodity",
        "commodityalias",
        "market",
        "marketalias",
        "priceobservation",
        "tradereport",
        "tradereportcommodity",
        "chatuser",
        "subscription",
        "digestdelivery",
        "auditlog",
        "lease",
        "alertstate",
    } <= tables
    assert current_revision(engine) is not None


def test_catalogue_is_complete_and_sync_is_idempotent(engine):
    sync_catalogue(engine, now=NOW)
    with Session(engine) as session:
        commodities = session.exec(select(func.count()).select_from(Commodity)).one()
        aliases = session.exec(select(func.count()).select_from(CommodityAlias)).one()
        places = session.exec(select(Market.slug)).all()
    assert commodities >= 43 and aliases > 150
    assert {"hyesan", "sinuiju", "pyongyang", "ryanggang", "north-korea"} <= set(places)
    catalogue = load_catalogue(engine)
    hyesan = catalogue.market_slugs["hyesan"]
    assert catalogue.market_labels[catalogue.market_parent[hyesan]].en == "Ryanggang"


def test_sample_data_loads_once(engine):
    first = load_sample(engine, now=NOW)
    second = load_sample(engine, now=NOW)
    assert first.prices_added == 317 and first.reports_added >= 4
    assert second.prices_added == 0 and second.prices_skipped == 317 and second.reports_added == 0
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(PriceObservation)).one() == 317
        assert (
            session.exec(select(func.count()).select_from(TradeReport)).one() == first.reports_added
        )


def test_lingzhi_answer_from_the_seed(engine):
    load_sample(engine, now=NOW)
    answer = ask(engine, load_catalogue(engine), "lingzhi", today=NOW.date(), lang="en").text
    assert "500-1,200 CNY/kg" in answer and "Daily NK" in answer and "Hyesan" in answer
    assert "date not stated" in answer and "200-300 CNY/kg" in answer


def test_latest_price_prefers_dates_then_insertion_order_and_skips_deleted(engine, catalogue):
    old = add_price(engine, catalogue, now=NOW, date="2026-09-01", price="7000")
    newest = add_price(engine, catalogue, now=NOW, date="2026-11-01", price="9000")
    add_price(
        engine, catalogue, now=NOW, date="", price="100"
    )  # undated: never "latest" over dated figures
    ids = (catalogue.commodity_slugs["rice"], catalogue.market_slugs["hyesan"])
    with Session(engine) as session:
        latest = repo.latest_price(session, commodity_id=ids[0], market_id=ids[1])
        assert latest.id == newest.id
        row = session.get(PriceObservation, newest.id)
        row.deleted_at = NOW + timedelta(minutes=1)
        session.commit()
        assert repo.latest_price(session, commodity_id=ids[0], market_id=ids[1]).id == old.id


def test_province_question_answers_for_its_markets(engine, catalogue):
    add_price(engine, catalogue, now=NOW, market="hyesan", price="8000")
    add_price(engine, catalogue, now=NOW, market="sinuiju", price="7500")
    answer = ask(engine, catalogue, "rice ryanggang", today=NOW.date(), lang="en").text
    assert "Hyesan" in answer and "Sinuiju" not in answer


def test_unknown_commodity_suggests_close_names(engine, catalogue):
    with pytest.raises(NotFound) as info:
        ask(engine, catalogue, "xylophone", today=NOW.date(), lang="en")
    assert "xylophone" in info.value.user_message
    assert "No figures for gold" in ask(engine, catalogue, "gold", today=NOW.date(), lang="en").text


def test_latest_price_is_one_indexed_lookup(engine, catalogue):
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite")
    with engine.connect() as conn:
        plan = conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT * FROM priceobservation WHERE commodity_id=1 AND market_id=2 "
                "AND deleted_at IS NULL ORDER BY sort_on DESC, id DESC LIMIT 1"
            )
        ).fetchall()
    detail = " ".join(str(row[-1]) for row in plan)
    assert "ix_price_series_latest" in detail and "TEMP B-TREE" not in detail


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_every_default_unit_of_the_catalogue_parses(engine):
    from bot.domain.units import parse_unit

    with Session(engine) as session:
        units = set(session.exec(select(Commodity.default_unit)))
    # parse_unit raises InvalidInput on a unit it does not know; the bases are the ones answers use.
    bases = {parse_unit(u).base for u in units}
    assert bases and bases <= {"kg", "l", "piece", "head", "pack", "m3", "USD", "CNY", "KPW"}
