"""A name nothing matched becomes a new catalogue entry and never touches an existing one; the
place tree cannot loop, whatever the database holds."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.services.catalogue import load_catalogue
from config.settings import Settings
from db.models import Commodity, Market
from tests.support.clock import NOW
from tests.support.factories import add_price
from tests.support.services import make_services

OWNER = 9001


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def _row(engine, model, slug):
    with Session(engine) as session:
        row = session.exec(select(model).where(model.slug == slug)).one()
        session.expunge(row)
        return row


def test_a_new_commodity_whose_slug_is_taken_gets_a_suffix_and_leaves_the_old_one(services, engine):
    rice = _row(engine, Commodity, "rice")
    new_id = services.admin.create_name(admin_id=OWNER, kind="commodity", text="ж rice")
    assert new_id != rice.id
    after = _row(engine, Commodity, "rice")
    assert (after.id, after.name_en, after.name_ko, after.category) == (
        rice.id,
        rice.name_en,
        rice.name_ko,
        rice.category,
    )
    created = _row(engine, Commodity, "rice-2")
    assert (created.id, created.name_en) == (new_id, "ж rice")
    # A second one takes the next suffix.
    third = services.admin.create_name(admin_id=OWNER, kind="commodity", text="ж  rice ж")
    assert _row(engine, Commodity, "rice-3").id == third
    catalogue = services.catalogue.current
    assert catalogue.commodities.exact("rice")[0].id == rice.id


def test_a_new_place_named_like_the_country_is_a_new_city_under_it(services, engine):
    country = _row(engine, Market, "north-korea")
    new_id = services.admin.create_name(admin_id=OWNER, kind="market", text="ß north korea")
    after = _row(engine, Market, "north-korea")
    assert (after.id, after.kind, after.parent_id, after.name_en) == (
        country.id,
        country.kind,
        country.parent_id,
        country.name_en,
    )
    created = _row(engine, Market, "north-korea-2")
    assert (created.id, created.kind, created.parent_id) == (new_id, "city", country.id)
    catalogue = services.catalogue.current
    assert new_id in catalogue.descendants(country.id)
    assert catalogue.ancestors(new_id) == [country.id]


def test_a_loop_in_the_place_tree_is_cut_and_every_walk_ends(services, engine):
    country = _row(engine, Market, "north-korea")
    hyesan = _row(engine, Market, "hyesan")
    add_price(engine, load_catalogue(engine), now=NOW)
    with Session(engine) as session:
        # A corrupt database: the country inside one of its own cities.
        row = session.get(Market, country.id)
        row.parent_id = hyesan.id
        session.add(row)
        session.commit()
    catalogue = load_catalogue(engine)
    for place in catalogue.market_labels:
        walked = catalogue.descendants(place)
        assert walked[0] == place and len(walked) == len(set(walked))
        up = catalogue.ancestors(place)
        assert place not in up and len(up) <= 8
    # One link of the loop is ignored; the country no longer lies inside its own city.
    assert not (
        country.id in catalogue.ancestors(hyesan.id)
        and hyesan.id in catalogue.ancestors(country.id)
    )
    # Questions naming the country, and the export, still answer.
    services.catalogue.reload()
    assert "North Korea" in services.questions.ask("rice north korea", lang="en").text
    assert "8,000 KPW/kg" in services.questions.ask("rice hyesan", lang="en").text
    name, data = services.files.export_csv("rice")
    assert name.endswith(".csv") and b"hyesan" in data


def test_cancel_after_creating_a_name_says_the_name_stays(services, engine):
    reply = services.entries.price_from_line(
        admin_id=OWNER, text="zzquince hyesan 5000 KPW/kg 2026-11 source:Test"
    )
    new = next(b.data for row in reply.buttons for b in row if b.data.startswith("new:"))
    token = new.split(":")[1]
    preview = services.entries.create(admin_id=OWNER, token=token, what="c")
    assert "Check and confirm" in preview.text
    cancelled = services.entries.cancel(admin_id=OWNER, token=token).text
    assert "not saved" in cancelled and "“zzquince” stays in the catalogue" in cancelled
    assert _row(engine, Commodity, "zzquince").name_en == "zzquince"
    # Without a new name the plain message stays.
    reply = services.entries.price_from_line(
        admin_id=OWNER, text="rice hyesan 5000 KPW/kg 2026-11 source:Test"
    )
    token = reply.buttons[0][0].data.split(":")[1]
    assert services.entries.cancel(admin_id=OWNER, token=token).text == (
        "Cancelled; nothing was saved."
    )
