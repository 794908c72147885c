"""Test databases: which backends run, and PostgreSQL schemas made for one test run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from db.engine import make_engine

# Set TEST_DATABASE_URL to a PostgreSQL database to run the database tests on it too.
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def sqlite_url(path: object) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


@contextmanager
def pg_schema(prefix: str = "jm_test") -> Iterator[str]:
    """Create a fresh schema in the PostgreSQL test database; yield a URL that uses it; drop it."""
    if not PG_URL:
        raise RuntimeError("TEST_DATABASE_URL is not set")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in PG_URL else "?"
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
