"""Importing a 1,000,000-row CSV file against a raw insert of the same rows.

`run` measures SQLite, the reference raw sqlite3 executemany. `run_postgres` measures PostgreSQL
(in schemas of its own, dropped at the end), the reference one raw psycopg COPY of the same rows
into the same table.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import gc
import os
import random
import resource
import shutil
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.services.catalogue import load_catalogue, sync_catalogue
from bot.services.importer import import_prices
from db.engine import make_engine, upgrade

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
HEADER = (
    "date", "market", "commodity", "unit", "pricetype", "currency", "price", "price_low",
    "price_high", "grade", "source", "source_url", "reliability", "note", "reported_date",
)  # fmt: skip
SOURCES = ("Daily NK", "ASIAPRESS", "RFA", "Good Friends", "NK Times")
COLUMNS = (
    "commodity_id, market_id, observed_on, observed_precision, reported_on, sort_on, price_low, "
    "price_high, grade, price_type, currency, unit, unit_quantity, unit_base, per_base_low, "
    "per_base_high, source_name, source_url, reliability, note, entered_by, created_at, "
    "deleted_at, natural_key"
)
# Where `run_postgres` makes its schemas; BENCH_DATABASE_URL (else TEST_DATABASE_URL) overrides.
PG_URL = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The pragmas every connection of the application gets (db.engine), so both sides pay the same.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


def fresh_database(path: Path) -> None:
    """Create a migrated database holding the catalogue and no figures."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    engine.dispose()


def write_csv(path: Path, rows: int, database: Path, seed: int = 3) -> None:
    """Write `rows` valid figures with real catalogue names, as survey files look."""
    con = sqlite3.connect(database)
    goods = [
        r for r in con.execute("SELECT slug, name_en, name_ko FROM commodity")
        if r[0] not in ("us-dollar", "chinese-yuan", "nk-won")
    ]  # fmt: skip
    places = [r for r in con.execute("SELECT slug, name_en FROM market WHERE kind IN ('city')")]
    con.close()
    rng = random.Random(seed)
    start = date(2009, 1, 1)
    urls = [f"https://example.org/report/{i}" for i in range(20_000)]
    notes = ["", "", "", "", "", "", "", "", "quoted", "reprint; date from the article"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            day = start + timedelta(days=rng.randrange(6500))
            place = rng.choice(places)[rng.randrange(2)]
            low = rng.randrange(100, 20_000)
            high = low if rng.random() < 0.8 else low + rng.randrange(1, 5000)
            if rng.random() < 0.05:
                # Market exchange rates: KPW per US dollar, price type left to the importer.
                name, unit, price_type = rng.choice(("US dollar", "USD", "달러")), "USD", ""
            else:
                good = rng.choice(goods)
                name = good[rng.choice((0, 1, 1, 2))] or good[1]
                unit, price_type = rng.choice(("kg", "kg", "kg", "600 g", "jin")), "retail"
            monthly = rng.random() < 0.1
            writer.writerow(
                (
                    day.strftime("%Y-%m") if monthly else day.isoformat(),
                    place,
                    name,
                    unit,
                    price_type,
                    "KPW",
                    f"{low:,}" if low == high else f"{low}-{high}",
                    "",
                    "",
                    "",
                    rng.choice(SOURCES),
                    rng.choice(urls),
                    rng.choice(("", "B2", "C3")),
                    notes[i % len(notes)] if rng.random() < 0.5 else f"survey {i}",
                    "",
                )
            )


def release_memory() -> None:
    """Hand what this process freed back to the system (glibc), so a later growth is the import's.

    Without it, a run after another (PostgreSQL after SQLite) reuses the heap the first one left
    and shows no growth at all.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def peak_rss_reset() -> None:
    """Reset the kernel's peak-RSS mark for this process (Linux), so a later peak is ours."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process, in MB."""
    return _status_mb("VmHWM")


def current_rss_mb() -> float:
    """Return the resident memory of this process now, in MB."""
    return _status_mb("VmRSS")


def _status_mb(field: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int = 1_000_000) -> dict[str, float]:
    """Time the import and the raw insert of the same rows, each into a fresh database."""
    folder = Path(tempfile.mkdtemp(prefix="jm-import-bench-"))
    try:
        imported, raw, data = folder / "import.sqlite3", folder / "raw.sqlite3", folder / "p.csv"
        fresh_database(imported)
        fresh_database(raw)
        write_csv(data, rows, imported)
        engine = make_engine(f"sqlite:///{imported}")
        catalogue = load_catalogue(engine)
        release_memory()
        before = current_rss_mb()
        peak_rss_reset()
        t0 = time.perf_counter()
        with data.open("rb") as source:
            result = import_prices(
                engine, catalogue, source, name=data.name, entered_by=None, now=NOW
            )
        import_seconds = time.perf_counter() - t0
        growth = peak_rss_mb() - before
        engine.dispose()
        assert not result.errors, result.errors[:3]
        # The same rows, already parsed: exactly what the import stored, in the same order.
        con = sqlite3.connect(imported)
        parsed = con.execute(f"SELECT {COLUMNS} FROM priceobservation ORDER BY id").fetchall()
        con.close()
        con = sqlite3.connect(raw)
        for pragma in PRAGMAS:
            con.execute(pragma)
        t0 = time.perf_counter()
        con.executemany(
            f"INSERT INTO priceobservation ({COLUMNS}) VALUES ({', '.join('?' * 24)})", parsed
        )
        con.commit()
        raw_seconds = time.perf_counter() - t0
        con.close()
        stored = len(parsed)
        return {
            "rows": rows,
            "added": result.added,
            "file_mb": data.stat().st_size / 2**20,
            "import_rows_per_s": rows / import_seconds,
            "raw_rows_per_s": stored / raw_seconds,
            "import_seconds": import_seconds,
            "raw_seconds": raw_seconds,
            "ratio": (rows / import_seconds) / (stored / raw_seconds),
            "rss_growth_mb": growth,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# PostgreSQL


def _conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (psycopg takes it as it is)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _in_schema(url: str, schema: str) -> str:
    """The URL of `url` with every connection's search_path set to `schema`."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _checkpoint(url: str) -> None:
    """Write out what the server holds dirty, so neither timed side pays for the other's writes
    (CHECKPOINT needs a superuser or pg_checkpoint; without either, nothing is done)."""
    import psycopg

    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(_conninfo(url), autocommit=True) as admin,
    ):
        admin.execute("CHECKPOINT")


def run_postgres(rows: int = 1_000_000, url: str = PG_URL) -> dict[str, Any]:
    """Time the import and one raw COPY of the same rows, each into a fresh schema.

    Returns {"skipped": reason} when the server cannot be reached.
    """
    try:
        import psycopg
    except ImportError:
        return {"skipped": "psycopg is not installed"}
    tag = uuid.uuid4().hex[:10]
    imported, raw = f"jm_bench_import_{tag}", f"jm_bench_raw_{tag}"
    where = make_url(url).render_as_string(hide_password=True)
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=5, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{imported}"')
            admin.execute(f'CREATE SCHEMA "{raw}"')
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())[:200]
        return {"skipped": f"cannot reach {where}: {reason}"}
    folder = Path(tempfile.mkdtemp(prefix="jm-import-bench-pg-"))
    try:
        names, data = folder / "names.sqlite3", folder / "p.csv"
        fresh_database(names)
        write_csv(data, rows, names)
        for schema in (imported, raw):
            engine = make_engine(_in_schema(url, schema))
            upgrade(engine)
            sync_catalogue(engine, now=NOW)
            engine.dispose()
        engine = make_engine(_in_schema(url, imported))
        catalogue = load_catalogue(engine)
        release_memory()
        _checkpoint(url)
        before = current_rss_mb()
        peak_rss_reset()
        t0 = time.perf_counter()
        with data.open("rb") as source:
            result = import_prices(
                engine, catalogue, source, name=data.name, entered_by=None, now=NOW
            )
        import_seconds = time.perf_counter() - t0
        growth = peak_rss_mb() - before
        engine.dispose()
        assert not result.errors, result.errors[:3]
        # The same rows, already parsed: exactly what the import stored, in the same order.
        with psycopg.connect(_conninfo(url), options=f"-csearch_path={imported}") as con:
            parsed = con.execute(f"SELECT {COLUMNS} FROM priceobservation ORDER BY id").fetchall()
        _checkpoint(url)
        with psycopg.connect(_conninfo(url), options=f"-csearch_path={raw}") as con:
            t0 = time.perf_counter()
            with (
                con.cursor() as cursor,
                cursor.copy(f"COPY priceobservation ({COLUMNS}) FROM STDIN") as copy,
            ):
                for row in parsed:
                    copy.write_row(row)
            con.commit()
            raw_seconds = time.perf_counter() - t0
        stored = len(parsed)
        del parsed
        return {
            "rows": rows,
            "added": result.added,
            "file_mb": data.stat().st_size / 2**20,
            "import_rows_per_s": rows / import_seconds,
            "raw_rows_per_s": stored / raw_seconds,
            "import_seconds": import_seconds,
            "raw_seconds": raw_seconds,
            "ratio": (rows / import_seconds) / (stored / raw_seconds),
            "rss_growth_mb": growth,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        with psycopg.connect(_conninfo(url), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{imported}" CASCADE')
            admin.execute(f'DROP SCHEMA IF EXISTS "{raw}" CASCADE')
