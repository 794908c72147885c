"""A command's start does only the work it needs: Alembic only for a schema behind the head, the
catalogue sync only when the database differs from the catalogue files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import db.engine as db_engine
from bot.entrypoints import cli
from bot.services import catalogue as catalogue_module
from bot.services.catalogue import (
    catalogue_is_current,
    load_catalogue,
    sync_catalogue,
    sync_catalogue_if_changed,
)
from config.paths import COMMODITIES_CSV, PLACES_CSV
from db import repo
from db.engine import (
    head_revisions,
    make_engine,
    schema_is_current,
    stored_revisions,
    upgrade,
    upgrade_if_behind,
)
from db.models import CommodityAlias, Market
from tests.support.clock import NOW
from tests.support.db import sqlite_url
from tests.support.settings import make_settings

WRITES = ("insert", "update", "delete", "create", "drop", "alter")


class Statements:
    """The SQL statements and commits an engine runs while watched."""

    def __init__(self, engine: Engine) -> None:
        self.sql: list[str] = []
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        self._engine = engine

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        self.sql.append(statement.strip())

    def _commit(self, _conn) -> None:
        self.commits += 1

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sql if s.split(None, 1)[0].lower() in WRITES]

    def stop(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._statement)
        event.remove(self._engine, "commit", self._commit)


@pytest.fixture
def watch(engine) -> Iterator[Statements]:
    statements = Statements(engine)
    yield statements
    statements.stop()


@pytest.fixture
def alembic_calls(monkeypatch) -> list[str]:
    """Every Alembic upgrade `upgrade_if_behind` starts, run for real and counted."""
    calls: list[str] = []
    real = db_engine.upgrade

    def counted(engine: Engine, revision: str = "head") -> None:
        calls.append(revision)
        real(engine, revision)

    monkeypatch.setattr(db_engine, "upgrade", counted)
    return calls


@pytest.fixture
def syncs(monkeypatch) -> list[int]:
    """Every catalogue sync `sync_catalogue_if_changed` starts, run for real and counted."""
    calls: list[int] = []
    real = catalogue_module.sync_catalogue

    def counted(engine: Engine, *, now):
        calls.append(1)
        return real(engine, now=now)

    monkeypatch.setattr(catalogue_module, "sync_catalogue", counted)
    return calls


def _files(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """Copies of the catalogue files that the sync and the check read instead."""
    commodities, places = tmp_path / "commodities.csv", tmp_path / "places.csv"
    shutil.copy(COMMODITIES_CSV, commodities)
    shutil.copy(PLACES_CSV, places)
    monkeypatch.setattr(catalogue_module, "COMMODITIES_CSV", commodities)
    monkeypatch.setattr(catalogue_module, "PLACES_CSV", places)
    return commodities, places


def _replace(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, old
    path.write_text(content.replace(old, new), encoding="utf-8")


# The schema


def test_a_current_schema_is_not_upgraded(engine, alembic_calls, watch):
    assert stored_revisions(engine) == head_revisions()
    assert schema_is_current(engine)
    assert upgrade_if_behind(engine) is False
    assert alembic_calls == [] and watch.writes == [] and watch.commits == 0


def test_a_new_database_is_upgraded_then_left_alone(tmp_path, alembic_calls):
    engine = make_engine(sqlite_url(tmp_path / "new.sqlite3"))
    assert stored_revisions(engine) == frozenset() and not schema_is_current(engine)
    assert upgrade_if_behind(engine) is True
    assert stored_revisions(engine) == head_revisions()
    assert upgrade_if_behind(engine) is False
    assert alembic_calls == ["head"]
    engine.dispose()


def test_a_database_behind_the_head_is_upgraded(tmp_path, alembic_calls):
    engine = make_engine(sqlite_url(tmp_path / "old.sqlite3"))
    upgrade(engine, "0006")
    assert stored_revisions(engine) == {"0006"} and not schema_is_current(engine)
    assert upgrade_if_behind(engine) is True
    assert alembic_calls == ["head"] and schema_is_current(engine)
    engine.dispose()


def test_a_revision_this_code_does_not_know_goes_to_alembic(tmp_path, alembic_calls):
    engine = make_engine(sqlite_url(tmp_path / "ahead.sqlite3"))
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffff'"))
    # Alembic says what is wrong, as a plain upgrade would.
    with pytest.raises(Exception, match="fffffff"):
        upgrade_if_behind(engine)
    assert alembic_calls == ["head"]
    engine.dispose()


# The catalogue


def test_a_current_catalogue_is_not_synced_and_nothing_is_written(engine, syncs, watch):
    assert catalogue_is_current(engine)
    assert sync_catalogue_if_changed(engine, now=NOW) is None
    assert syncs == [] and watch.writes == [] and watch.commits == 0


def test_aliases_and_places_the_editors_added_leave_it_current(engine, syncs):
    catalogue = load_catalogue(engine)
    with Session(engine) as session:
        repo.add_alias(
            session,
            kind="commodity",
            owner_id=catalogue.commodity_slugs["rice"],
            text="ssalbap",
            lang="ko-Latn",
            normalized="ssalbap",
        )
        repo.create_market(
            session,
            values={"slug": "new-market", "kind": "city", "name_en": "New Market"},
            aliases=[],
            now=NOW,
        )
        session.commit()
    assert sync_catalogue_if_changed(engine, now=NOW) is None and syncs == []


def test_a_changed_commodity_file_is_synced(engine, tmp_path, monkeypatch, syncs):
    commodities, _ = _files(tmp_path, monkeypatch)
    assert catalogue_is_current(engine)
    _replace(commodities, ",rice,rice (white);", ",rice grain,rice (white);")
    _replace(commodities, "ssal;paekmi;", "ssal;ssalbap;paekmi;")
    assert not catalogue_is_current(engine)
    assert sync_catalogue_if_changed(engine, now=NOW) is not None and syncs == [1]
    catalogue = load_catalogue(engine)
    rice = catalogue.commodity_slugs["rice"]
    assert catalogue.commodity_labels[rice].en == "rice grain"
    assert [e.id for e in catalogue.commodities.exact("ssalbap")] == [rice]
    assert sync_catalogue_if_changed(engine, now=NOW) is None and syncs == [1]


def test_a_new_place_or_a_new_parent_is_synced(engine, tmp_path, monkeypatch, syncs):
    _, places = _files(tmp_path, monkeypatch)
    with places.open("a", encoding="utf-8") as out:
        out.write("new-town,city,ryanggang,KP,New Town,,,,,,\n")
    assert sync_catalogue_if_changed(engine, now=NOW) is not None
    catalogue = load_catalogue(engine)
    town = catalogue.market_slugs["new-town"]
    assert catalogue.market_parent[town] == catalogue.market_slugs["ryanggang"]
    _replace(places, "new-town,city,ryanggang,", "new-town,city,north-hamgyong,")
    assert not catalogue_is_current(engine)
    sync_catalogue_if_changed(engine, now=NOW)
    catalogue = load_catalogue(engine)
    assert catalogue.market_parent[town] == catalogue.market_slugs["north-hamgyong"]
    assert syncs == [1, 1] and catalogue_is_current(engine)


def test_a_parent_the_files_do_not_name_still_stops_the_sync(engine, tmp_path, monkeypatch):
    _, places = _files(tmp_path, monkeypatch)
    with places.open("a", encoding="utf-8") as out:
        out.write("lost-town,city,atlantis,KP,Lost Town,,,,,,\n")
    with pytest.raises(ValueError, match="unknown parent atlantis"):
        sync_catalogue_if_changed(engine, now=NOW)


def test_a_database_that_lost_catalogue_rows_is_synced_again(engine, syncs):
    with Session(engine) as session:
        for alias in session.exec(
            select(CommodityAlias).where(CommodityAlias.normalized == "ssal")
        ):
            session.delete(alias)
        hyesan = session.exec(select(Market).where(Market.slug == "hyesan")).one()
        hyesan.parent_id = None
        session.commit()
    assert not catalogue_is_current(engine)
    sync_catalogue_if_changed(engine, now=NOW)
    assert syncs == [1] and catalogue_is_current(engine)


# The command line's start


@pytest.fixture
def cli_settings(tmp_path):
    return make_settings(tmp_path, database_url=sqlite_url(tmp_path / "cli.sqlite3"))


def test_the_command_line_upgrades_and_syncs_only_when_needed(cli_settings, alembic_calls, syncs):
    engine = cli._prepare_database(cli_settings)  # a new database: both run
    assert alembic_calls == ["head"] and syncs == [1]
    watch = Statements(engine)
    again = cli._prepare_database(cli_settings)  # what every `ask` after that does
    watch.stop()
    assert again is engine and alembic_calls == ["head"] and syncs == [1]
    assert watch.writes == [] and watch.commits == 0
    # `db upgrade` runs both whatever the database says.
    cli._prepare_database(cli_settings, force=True)
    assert len(syncs) == 2
    engine.dispose()


def test_the_command_line_upgrades_a_database_behind_the_head(cli_settings, alembic_calls, syncs):
    engine = make_engine(cli_settings.database_url)
    upgrade(engine, "0006")
    sync_catalogue(engine, now=NOW)
    engine.dispose()
    prepared = cli._prepare_database(cli_settings)
    assert alembic_calls == ["head"] and schema_is_current(prepared)
    assert syncs == []  # the catalogue was current all along
    prepared.dispose()
