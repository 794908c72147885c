"""Shared fixtures: settings, a real temporary database per backend, a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.services.catalogue import Catalogue, load_catalogue, sync_catalogue
from config.settings import Settings
from db.engine import make_engine, upgrade

# The clock every test runs at unless it says otherwise.
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def make_settings(tmp_path, **overrides: object) -> Settings:
    """Settings built directly, never from the developer's environment."""
    values: dict = {
        "database_url": f"sqlite:///{tmp_path}/settings.sqlite3",
        "admin_ids": [9001],
        "telegram_bot_token": None,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings built directly, never from the developer's environment."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine | None]:
    if not PG_URL:
        yield None
        return
    schema = f"jm_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    engine = make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, _pg_engine) -> Iterator[Engine]:
    """A migrated database with the catalogue loaded: a new SQLite file, or a clean PostgreSQL schema."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/test.sqlite3")
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
