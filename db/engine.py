"""Database engine creation and schema upgrades."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import create_engine

if TYPE_CHECKING:
    # Alembic's machinery (about 0.1 s to import) loads only when a schema is upgraded.
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
# Alembic's defaults (env.py names no other table); `upgrade_if_behind` reads it directly.
VERSION_TABLE = "alembic_version"


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (bot answers) proceed while a writer (import, sender) works.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for a SQLAlchemy URL, preparing SQLite files and pragmas."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Handlers run in worker threads via asyncio.to_thread.
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def read_engine(engine: Engine) -> Engine:
    """The engine for answers, which only read: on PostgreSQL in autocommit, so an answer sends
    its queries alone (no BEGIN, no ROLLBACK) and psycopg keeps them prepared between answers
    (it drops its prepared statements at every rollback). Each statement still reads one
    consistent snapshot. SQLite gains nothing from it and keeps the engine as it is."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@cache
def engine_for(url: str) -> Engine:
    """Return one shared engine per URL for the life of the process."""
    return make_engine(url)


def alembic_config(engine: Engine) -> Config:
    """Build an Alembic config that runs the packaged migrations on this engine."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_REVISION = re.compile(r"""^revision\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def head_revisions(versions_dir: Path = VERSIONS_DIR) -> frozenset[str] | None:
    """The head revisions of the packaged migrations, read from the files without Alembic.

    Each migration names its `revision` and its `down_revision` (one, none, or a tuple at a
    merge); the heads are the revisions no other names as its parent. None when a file cannot
    be read this way: the caller then asks Alembic itself.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        files = sorted(versions_dir.glob("*.py"))
        for path in files:
            source = path.read_text(encoding="utf-8")
            revision = _REVISION.search(source)
            down = _DOWN_REVISION.search(source)
            if revision is None or down is None:
                return None
            revisions.add(revision.group(1))
            parents.update(_QUOTED.findall(down.group(1).split("#")[0]))
    except (OSError, UnicodeDecodeError):
        return None
    heads = frozenset(revisions - parents)
    return heads or None


def stored_revisions(engine: Engine) -> frozenset[str]:
    """The revisions the database's version table holds (none for a new database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return frozenset()
        rows = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")
        return frozenset(str(row[0]) for row in rows)


def schema_is_current(engine: Engine) -> bool:
    """True when the database stands at the head of the packaged migrations (one query)."""
    heads = head_revisions()
    return heads is not None and stored_revisions(engine) == heads


def upgrade_if_behind(engine: Engine) -> bool:
    """Upgrade the schema only when it is not at the head; return whether Alembic ran.

    A database at another revision (older, or unknown to this code) goes to Alembic, which
    upgrades it or says what is wrong, exactly as `upgrade` does.
    """
    if schema_is_current(engine):
        return False
    upgrade(engine)
    return True


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_database(engine: Engine, *, new_ok: bool = False) -> str | None:
    """Return None when the database is usable, else the reason in one line.

    A SQLite file must be a database that passes `PRAGMA quick_check` (which reads every page:
    about a second per few hundred megabytes). A file that exists but is empty is refused,
    never silently made into a new database; with `new_ok` (at start-up) a path that does not
    exist yet is a new database, otherwise (a readiness check) its absence is a failure.
    PostgreSQL must answer a query. The reason names the database (never a password).
    """
    url = engine.url
    where = _describe(url)
    sqlite = url.get_backend_name() == "sqlite"
    path = _sqlite_file(url) if sqlite else None
    if path is not None:
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None if new_ok else f"the database file {path} does not exist"
        except OSError as exc:
            return f"cannot read the database file {path}: {exc.strerror or exc}"
        if not path.is_file():
            return f"the database path {path} is not a file"
        if size == 0:
            return (
                f"the database file {path} is empty (0 bytes): restore it from a backup, "
                "or delete it to start a new database"
            )
    try:
        with engine.connect() as conn:
            if sqlite:
                problems = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check")]
            else:
                conn.exec_driver_sql("SELECT 1")
                problems = ["ok"]
    except SQLAlchemyError as exc:
        reason = _one_line(exc)
        if sqlite and "not a database" in reason:
            return f"{where} is not a SQLite database ({reason}): restore it from a backup"
        if sqlite and "malformed" in reason:
            return f"{where} is damaged ({reason}): restore it from a backup"
        return f"cannot use {where}: {reason}"
    if problems != ["ok"]:
        more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
        return (
            f"{where} is damaged (PRAGMA quick_check: {_squash(problems[0])}{more}): "
            "restore it from a backup"
        )
    return None


def _sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for memory and URI-style databases."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if str(url.query.get("uri", "")).lower() in ("true", "1"):
        return None
    return Path(database)


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        return f"the database file {path}" if path is not None else "the SQLite database"
    return f"the database {url.render_as_string(hide_password=True)}"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _one_line(exc: SQLAlchemyError) -> str:
    """The driver's message without SQLAlchemy's background link, on one line."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return _squash(str(cause))[:300] or type(cause).__name__
