"""check_database: what start-up refuses and what a readiness check would report."""

from __future__ import annotations

import os

from db.engine import check_database, make_engine, upgrade
from tests.support.db import sqlite_url


def test_a_healthy_database_passes(engine):
    # The `engine` fixture: a migrated SQLite file, or a PostgreSQL schema when configured.
    assert check_database(engine) is None
    assert check_database(engine, new_ok=True) is None


def test_a_missing_file_is_new_at_start_and_a_failure_later(tmp_path):
    path = tmp_path / "nested" / "new.sqlite3"
    engine = make_engine(sqlite_url(path))
    try:
        assert check_database(engine, new_ok=True) is None
        assert check_database(engine) == f"the database file {path} does not exist"
        assert not path.exists()  # checking never creates it
        upgrade(engine)
        assert check_database(engine) is None
    finally:
        engine.dispose()


def test_damage_is_named_in_one_line(tmp_path):
    empty, noise = tmp_path / "empty.sqlite3", tmp_path / "noise.sqlite3"
    empty.write_bytes(b"")
    noise.write_bytes(os.urandom(50_000))
    for path, what in ((empty, "is empty (0 bytes)"), (noise, "is not a SQLite database")):
        engine = make_engine(sqlite_url(path))
        try:
            reason = check_database(engine, new_ok=True)
        finally:
            engine.dispose()
        assert reason is not None and reason.startswith(f"the database file {path} {what}")
        assert "\n" not in reason
    assert empty.stat().st_size == 0


def test_an_unreachable_server_is_named_without_its_password():
    engine = make_engine("postgresql+psycopg://jm:s3cret-pw@127.0.0.1:9/jm?connect_timeout=2")
    try:
        reason = check_database(engine)
    finally:
        engine.dispose()
    assert reason is not None and reason.startswith("cannot use the database postgresql")
    assert "s3cret-pw" not in reason and "\n" not in reason
