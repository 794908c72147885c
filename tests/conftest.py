"""Shared fixtures: settings, a real temporary database per backend, the catalogue.

The helpers and constants behind them (NOW, make_settings, PG_URL, BACKENDS) live in
tests/support/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.services.catalogue import Catalogue, load_catalogue, sync_catalogue
from config.settings import Settings
from db.engine import make_engine, upgrade
from tests.support.clock import NOW
from tests.support.db import BACKENDS, PG_URL, pg_schema, sqlite_url
from tests.support.settings import make_settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings built directly, never from the developer's environment."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine | None]:
    if not PG_URL:
        yield None
        return
    with pg_schema("jm_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, _pg_engine) -> Iterator[Engine]:
    """A migrated database with the catalogue loaded: a new SQLite file, or a clean PostgreSQL schema."""
    if request.param == "sqlite":
        eng = make_engine(sqlite_url(tmp_path / "test.sqlite3"))
        upgrade(eng)
    else:
        eng = _pg_engine
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    sync_catalogue(eng, now=NOW)
    yield eng
    if request.param == "sqlite":
        eng.dispose()


@pytest.fixture
def catalogue(engine) -> Catalogue:
    """The name index built from the test database."""
    return load_catalogue(engine)
