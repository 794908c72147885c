"""A WFP country file imported through its feed against the plain import of the same file, the
checks that follow it, and the resolver on a catalogue grown by ten countries' WFP names.

`run_import` serves a generated WFP file (bench.wfp_files) from a local server of its own
(strong ETag, Last-Modified, 304s; every request counted) and, each round, times:

- the feed: `Feeds.check(feed_id, force=True)` on a fresh database holding the catalogue
  files only: the conditional GET over loopback into a temporary file with its SHA-256, the
  import with WfpNames creating the country's markets, regions and commodities, the catalogue
  reloaded, the check recorded;
- the plain import (`jangmadang import FILE`): `import_prices(engine, load_catalogue(engine),
  file)` from disk, on a fresh copy of a database whose catalogue already holds those entries
  (the feed ran on it once, then its figures and audit rows were deleted and it was vacuumed);
- a second check of the unchanged file: one conditional request answered 304, nothing parsed;
- a third with the server ignoring validators (200, the same bytes): the SHA-256 matches,
  nothing parsed.

Rounds alternate which import goes first; figures are medians over the rounds.

`run_catalogue` measures the labelled questions (tests/support/data/labelled_queries.csv)
against the catalogue files alone and against them with every WFP market, region and commodity
of the ten countries of bench.wfp_files added (imported through WfpNames): p95 per question,
cold (nothing remembered), each question on both catalogues back to back (which first
alternating), median over passes; and whether every question is answered exactly as before.
"""

from __future__ import annotations

import csv
import email.utils
import gc
import hashlib
import logging
import re
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock, patch

from sqlalchemy.engine import Engine

import bot.services.price_feeds as price_feeds
from bench.wfp_files import COMMODITIES, COUNTRIES, write_wfp_file
from bot.bootstrap import bootstrap
from bot.domain.matching import Resolution
from bot.domain.query import ParsedQuery, parse_query
from bot.domain.text import forget_normalized
from bot.services.catalogue import Catalogue, load_catalogue, sync_catalogue
from bot.services.countries import country_of
from bot.services.feeds import CheckResult
from bot.services.importer import ImportResult, import_prices
from bot.services.wfp import WfpNames
from config.settings import Settings
from db.engine import make_engine, upgrade

__all__ = ["FileServer", "main", "run_catalogue", "run_import"]

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
ISO3 = "YEM"
TARGET_IMPORT = 0.9
TARGET_RESOLVER = 1.3
LABELLED = (
    Path(__file__).resolve().parents[1] / "tests" / "support" / "data" / "labelled_queries.csv"
)
NOT_IN_CATALOGUE = "-"
# Rows per country for the catalogue figure: every market of every country appears (checked).
CATALOGUE_ROWS = 2_000
RESOLVER_PASSES = 9


# The file server


@dataclass(frozen=True)
class Served:
    """One request the server answered: its path, the status, and the validators it was sent."""

    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


@dataclass
class FileServer:
    """Serves the files of `directory` at /files/<name> on 127.0.0.1 with a strong ETag (the
    file's SHA-256) and its Last-Modified; 304 to a matching If-None-Match, or (without one)
    to an If-Modified-Since not before it, unless `validators` is False (then always 200)."""

    directory: Path
    base: str = ""
    validators: bool = True
    served: list[Served] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _etags: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False)

    def count(self, prefix: str = "/") -> int:
        with self._lock:
            return sum(1 for s in self.served if s.path.startswith(prefix))

    def since(self, start: int) -> list[Served]:
        with self._lock:
            return self.served[start:]

    def record(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)

    def etag(self, path: Path) -> str:
        stat = path.stat()
        key = (path.name, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            found = self._etags.get(key)
        if found is None:
            with path.open("rb") as handle:
                found = '"' + hashlib.file_digest(handle, "sha256").hexdigest()[:32] + '"'
            with self._lock:
                self._etags[key] = found
        return found


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            name = path.removeprefix("/files/")
            target = server.directory / name
            if not path.startswith("/files/") or "/" in name or not target.is_file():
                server.record(Served(self.path, 404, inm, ims))
                self._empty(404)
                return
            etag = server.etag(target)
            modified = int(target.stat().st_mtime)
            last_modified = email.utils.formatdate(modified, usegmt=True)
            if server.validators and _not_modified(etag, modified, inm, ims):
                server.record(Served(self.path, 304, inm, ims))
                self._empty(304, {"ETag": etag, "Last-Modified": last_modified})
                return
            server.record(Served(self.path, 200, inm, ims))
            size = target.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Length", str(size))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            with target.open("rb") as handle:
                self.wfile.flush()
                self.connection.sendfile(handle)

        def _empty(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _not_modified(etag: str, modified: int, inm: str | None, ims: str | None) -> bool:
    if inm is not None:
        return etag in {t.strip() for t in inm.split(",")} or inm.strip() == "*"
    if ims is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since.timestamp() >= modified
    return False


@contextmanager
def serve(directory: Path) -> Iterator[FileServer]:
    """Serve `directory` on a free port of 127.0.0.1 from a thread; stop at the end."""
    state = FileServer(directory)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="bench-feeds-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# Databases


def fresh_database(path: Path) -> None:
    """A migrated SQLite database holding the catalogue files and no figures."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    engine.dispose()


def copy_database(template: Path, path: Path) -> Path:
    """A fresh copy of a closed database file (its WAL checkpointed when it was closed)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, path)
    return path


def clear_figures(path: Path) -> None:
    """Delete every figure and audit row (the catalogue and WFP codes stay); vacuum."""
    con = sqlite3.connect(path)
    con.execute("DELETE FROM priceobservation")
    con.execute("DELETE FROM auditlog")
    con.execute("DELETE FROM feed")
    con.commit()
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def count(path: Path, table: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def settle() -> None:
    """Collect garbage before a timed step, so neither side pays for the other's."""
    gc.collect()


@contextmanager
def quiet(name: str) -> Iterator[None]:
    """Keep a logger's warnings (a check that failed) off the report while inside."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def counting_imports() -> Iterator[MagicMock]:
    """Count the calls the feed makes to import_prices (the parse) while inside."""
    with patch.object(price_feeds, "import_prices", wraps=import_prices) as spy:
        yield spy


# The import through the feed


@dataclass(frozen=True)
class FeedRun:
    """One check through the feed: seconds, its result, and the requests it made."""

    seconds: float
    result: CheckResult
    served: list[Served]
    imports: int


@dataclass(frozen=True)
class FileInfo:
    """The file the feed serves: its path, rows, size, markets and commodities, and the price
    type whose rows were left out (None: none were)."""

    path: Path
    rows: int
    size: int
    markets: int
    commodities: int
    left_out: str | None = None
    left_out_rows: int = 0


_REFUSED = re.compile(r"“([^”]+)” is not a price type")
PRICETYPE_COLUMN = 12


def wfp_file(path: Path, *, iso3: str, rows: int, leave_out: str | None = None) -> FileInfo:
    """A WFP file of exactly `rows` data rows (bench.wfp_files); with `leave_out`, a longer one
    whose rows of that price type are dropped, cut to `rows` (the last month may be partial, as
    in any file of bench.wfp_files)."""
    if leave_out is None:
        info = write_wfp_file(path, iso3=iso3, rows=rows)
        return FileInfo(path, info.rows, info.bytes, info.markets, info.commodities)
    full = path.with_suffix(".full")
    write_wfp_file(full, iso3=iso3, rows=rows + rows // 4 + 1_000)
    kept = dropped = 0
    markets: set[str] = set()
    commodities: set[str] = set()
    with (
        full.open(encoding="utf-8", newline="") as source,
        path.open("w", encoding="utf-8", newline="") as out,
    ):
        out.write(source.readline())
        for line in source:
            cells = next(csv.reader([line]))
            if cells[PRICETYPE_COLUMN] == leave_out:
                dropped += 1
                continue
            out.write(line)
            markets.add(cells[4])
            commodities.add(cells[9])
            kept += 1
            if kept == rows:
                break
    full.unlink()
    assert kept == rows, f"{kept:,} rows kept of {rows:,}"
    return FileInfo(
        path, rows, path.stat().st_size, len(markets), len(commodities), leave_out, dropped
    )


def _refused_price_type(result: CheckResult) -> str | None:
    if result.status != "error" or result.error is None:
        return None
    found = _REFUSED.search(result.error)
    return found.group(1) if found else None


def _feed_check(server: FileServer, database: Path, url: str, checks: int = 1) -> list[FeedRun]:
    """Add the feed on `database` and check it `checks` times; the third with validators off."""
    settings = Settings(fetch_allow_private=True, database_url=f"sqlite:///{database}")
    engine = make_engine(settings.database_url)
    try:
        container = bootstrap(settings, engine, clock=lambda: NOW)
        feeds = container.feeds
        feed = feeds.add(url, kind="wfp-hdx")
        assert feed.id is not None
        runs: list[FeedRun] = []
        for number in range(checks):
            server.validators = number < 2
            start = server.count()
            settle()
            with counting_imports() as calls:
                t0 = time.perf_counter()
                result = feeds.check(feed.id, force=True)
                seconds = time.perf_counter() - t0
            assert result is not None, "the feed could not be claimed"
            runs.append(FeedRun(seconds, result, server.since(start), calls.call_count))
        server.validators = True
        return runs
    finally:
        engine.dispose()


def _plain_import(database: Path, data: Path) -> tuple[float, ImportResult]:
    """`jangmadang import FILE`: the catalogue loaded, then the file imported from disk."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        settle()
        t0 = time.perf_counter()
        with data.open("rb") as source:
            result = import_prices(
                engine, load_catalogue(engine), source, name=data.name, entered_by=None, now=NOW
            )
        seconds = time.perf_counter() - t0
        assert not result.errors, result.errors[:3]
        return seconds, result
    finally:
        engine.dispose()


def run_import(
    rows: int = 200_000, rounds: int = 3, iso3: str = ISO3, *, profile: bool = False
) -> dict[str, Any]:
    """Time the feed's first check against the plain import of the same file, and the checks
    after it; see the module's docstring."""
    folder = Path(tempfile.mkdtemp(prefix="jm-feeds-bench-"))
    try:
        name = f"wfp_food_prices_{iso3.lower()}.csv"
        files = folder / "files"
        info = wfp_file(files / name, iso3=iso3, rows=rows)
        base, known = folder / "base.sqlite3", folder / "known.sqlite3"
        fresh_database(base)
        with serve(files) as server:
            url = f"{server.base}/files/{name}"
            # The database the plain import runs on: the feed's catalogue entries, no figures.
            # (This first run also warms up both paths.)
            copy_database(base, known)
            with quiet("bot.services.feeds"):  # the refusal is reported below
                warm = _feed_check(server, known, url)[0]
            refused = _refused_price_type(warm.result)
            if refused is not None:
                # The importer refuses one of WFP's price types: leave its rows out, say so.
                info = wfp_file(files / name, iso3=iso3, rows=rows, leave_out=refused)
                copy_database(base, known)
                warm = _feed_check(server, known, url)[0]
            assert warm.result.status == "changed", warm.result
            clear_figures(known)
            entries = _catalogue_counts(base), _catalogue_counts(known)
            feed_s: list[float] = []
            plain_s: list[float] = []
            second: list[FeedRun] = []
            third: list[FeedRun] = []
            added: set[int] = set()
            for number in range(rounds):
                a = copy_database(base, folder / f"a{number}.sqlite3")
                b = copy_database(known, folder / f"b{number}.sqlite3")

                def feed_side(a: Path = a) -> None:
                    runs = _feed_check(server, a, url, checks=3)
                    first = runs[0]
                    assert first.result.status == "changed" and first.imports == 1
                    assert [s.status for s in first.served] == [200], first.served
                    feed_s.append(first.seconds)
                    added.add(int(first.result.result["added"]))
                    second.append(runs[1])
                    third.append(runs[2])

                def plain_side(b: Path = b) -> None:
                    seconds, result = _plain_import(b, info.path)
                    plain_s.append(seconds)
                    added.add(result.added)

                order: list[Callable[[], None]] = [feed_side, plain_side]
                for side in order if number % 2 == 0 else order[::-1]:
                    side()
                for path in (a, b):
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
            profiled = _profile(server, base, known, folder, url, info.path) if profile else None
        assert added == {rows}, f"rows added differ: {sorted(added)} for {rows:,} rows"
        for run in second:
            assert run.imports == 0 and run.result.result.get("answer") == "304", run
            assert [s.status for s in run.served] == [304], run.served
            assert run.served[0].if_none_match, run.served
        for run in third:
            assert run.imports == 0 and run.result.result.get("answer") == "same file", run
            assert [s.status for s in run.served] == [200], run.served
        feed = statistics.median(feed_s)
        plain = statistics.median(plain_s)
        return {
            "rows": rows,
            "iso3": iso3,
            "rounds": rounds,
            "file_mb": info.size / 2**20,
            "markets": info.markets,
            "commodities": info.commodities,
            "left_out": info.left_out,
            "left_out_rows": info.left_out_rows,
            "created": {
                k: warm.result.result.get(f"new_{k}", 0)
                for k in ("markets", "commodities", "places")
            },
            "entries_before": entries[0],
            "entries_after": entries[1],
            "feed_seconds": feed,
            "plain_seconds": plain,
            "feed_all": feed_s,
            "plain_all": plain_s,
            "feed_rows_per_s": rows / feed,
            "plain_rows_per_s": rows / plain,
            "ratio": plain / feed,
            "second_seconds": statistics.median(r.seconds for r in second),
            "second_requests": sorted({len(r.served) for r in second}),
            "second_statuses": sorted({s.status for r in second for s in r.served}),
            "second_validators": second[0].served[0],
            "third_seconds": statistics.median(r.seconds for r in third),
            "third_requests": sorted({len(r.served) for r in third}),
            "third_statuses": sorted({s.status for r in third for s in r.served}),
            "profile": profiled,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _profile(
    server: FileServer, base: Path, known: Path, folder: Path, url: str, data: Path
) -> str:
    """cProfile one feed check and one plain import; return the top of each by cumulative time."""
    import cProfile
    import io
    import pstats

    out: list[str] = []
    for label, call in (
        ("feed check", lambda: _feed_check(server, copy_database(base, folder / "pa"), url)),
        ("plain import", lambda: _plain_import(copy_database(known, folder / "pb"), data)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        call()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        out.append(f"--- {label} ---\n{text.getvalue()}")
    return "\n".join(out)


def _catalogue_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        markets = dict(con.execute("SELECT kind, count(*) FROM market GROUP BY kind").fetchall())
        commodities = int(con.execute("SELECT count(*) FROM commodity").fetchone()[0])
    finally:
        con.close()
    return {"commodities": commodities, **{str(k): int(v) for k, v in markets.items()}}


# The resolver on the grown catalogue


@dataclass(frozen=True)
class Labelled:
    query: str
    commodity: str
    market: str
    kind: str


def labelled() -> list[Labelled]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return [Labelled(**row) for row in csv.DictReader(handle)]


def _slug(resolution: Resolution | None) -> str | None:
    if resolution is None or resolution.match is None:
        return None
    return resolution.match.entry.slug


def _correct(row: Labelled, parsed: ParsedQuery) -> bool:
    """As tests/unit/domain/test_labelled_queries.py: only a confident match counts."""
    if row.commodity == NOT_IN_CATALOGUE:
        return parsed.commodity.match is None
    if _slug(parsed.commodity) != row.commodity:
        return False
    if row.market:
        if parsed.market is None or _slug(parsed.market) != row.market:
            return False
    elif parsed.market is not None:
        return False
    return row.kind != "mixed-time" or parsed.period is not None


def _answer(parsed: ParsedQuery) -> tuple[Any, ...]:
    """What a question was read as: its matches, or the candidates it asks about."""

    def side(r: Resolution | None) -> tuple[Any, ...]:
        if r is None:
            return ("none",)
        if r.match is not None:
            return ("match", r.match.entry.slug)
        return ("ask", tuple(c.entry.slug for c in r.candidates))

    period = parsed.period.label if parsed.period else parsed.period_problem
    return side(parsed.commodity), side(parsed.market), str(period)


def _forget(catalogue: Catalogue) -> None:
    catalogue.commodities.forget()
    catalogue.markets.forget()
    forget_normalized()


def _parse(catalogue: Catalogue, text: str) -> ParsedQuery:
    return parse_query(
        text, commodities=catalogue.commodities, markets=catalogue.markets, today=TODAY
    )


Timings = dict[str, list[float]]


def _time_one(catalogue: Catalogue, query: str, times: Timings) -> None:
    """Time one question read the first time: the whole question (parse_query), and its text
    resolved once by each resolver."""
    _forget(catalogue)
    t0 = time.perf_counter()
    _parse(catalogue, query)
    t1 = time.perf_counter()
    _forget(catalogue)
    t2 = time.perf_counter()
    catalogue.commodities.resolve(query)
    t3 = time.perf_counter()
    catalogue.markets.resolve(query)
    t4 = time.perf_counter()
    times["parse"].append(t1 - t0)
    times["commodities"].append(t3 - t2)
    times["markets"].append(t4 - t3)


def _timings(
    before: Catalogue, after: Catalogue, rows: list[Labelled], flip: bool
) -> tuple[Timings, Timings]:
    """One pass: each question on both catalogues back to back, which first alternating (so a
    machine slowing down or speeding up weighs on both alike)."""
    times: tuple[Timings, Timings] = (
        {"parse": [], "commodities": [], "markets": []},
        {"parse": [], "commodities": [], "markets": []},
    )
    for number, row in enumerate(rows):
        if (number % 2 == 0) != flip:
            _time_one(before, row.query, times[0])
            _time_one(after, row.query, times[1])
        else:
            _time_one(after, row.query, times[1])
            _time_one(before, row.query, times[0])
    return times


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def _quality(catalogue: Catalogue, rows: list[Labelled]) -> dict[str, Any]:
    right = [_correct(row, _parse(catalogue, row.query)) for row in rows]
    inside = [r for r, row in zip(right, rows, strict=True) if row.kind != "out-of-catalogue"]
    outside = [r for r, row in zip(right, rows, strict=True) if row.kind == "out-of-catalogue"]
    return {
        "right": right,
        "answers": [_answer(_parse(catalogue, row.query)) for row in rows],
        "top1": sum(inside) / len(inside),
        "outside": sum(outside) / len(outside),
        "inside_n": len(inside),
        "outside_n": len(outside),
    }


def grow_catalogue(engine: Engine, folder: Path, rows_per_country: int) -> dict[str, Any]:
    """Import the ten countries' files through WfpNames; return what was created."""
    made = {"markets": 0, "commodities": 0, "places": 0}
    missing: list[str] = []
    commodities: set[int] = set()
    for iso3, spec in COUNTRIES.items():
        path = folder / f"wfp_food_prices_{iso3.lower()}.csv"
        info = write_wfp_file(path, iso3=iso3, rows=rows_per_country)
        if info.markets != len(spec.markets):
            missing.append(f"{iso3}: {info.markets} of {len(spec.markets)} markets")
        country = country_of(iso3)
        assert country is not None, iso3
        catalogue = load_catalogue(engine)
        names = WfpNames(
            engine, catalogue, country=country,
            dataset_url=f"https://data.humdata.org/dataset/wfp-food-prices-for-{iso3.lower()}",
            now=NOW,
        )  # fmt: skip
        with path.open("rb") as source:
            result = import_prices(
                engine, catalogue, source, name=path.name, entered_by=None, now=NOW, names=names
            )
        assert not result.errors, (iso3, result.errors[:3])
        made["markets"] += len(names.created.markets)
        made["commodities"] += len(names.created.commodities)
        made["places"] += len(names.created.places)
        with path.open(encoding="utf-8") as handle:
            commodities |= {int(r["commodity_id"]) for r in csv.DictReader(handle)}
    assert not missing, missing
    assert commodities == {c.commodity_id for c in COMMODITIES}, "a WFP commodity is missing"
    return made


@dataclass(frozen=True)
class Change:
    """A labelled question read otherwise on the grown catalogue."""

    row: Labelled
    was: tuple[Any, ...]
    now: tuple[Any, ...]
    right_before: bool
    right_after: bool
    new_slugs: set[str] = field(repr=False, compare=False)

    def _side(self, side: tuple[Any, ...]) -> str:
        if side[0] == "none":
            return "-"
        if side[0] == "match":
            return self._mark(side[1])
        return "ask [" + ", ".join(self._mark(slug) for slug in side[1]) + "]"

    def _mark(self, slug: str) -> str:
        return f"{slug}*" if slug in self.new_slugs else slug

    def _reading(self, answer: tuple[Any, ...]) -> str:
        commodity, market, _period = answer
        text = self._side(commodity)
        return text if market[0] == "none" else f"{text} @ {self._side(market)}"

    @property
    def now_named(self) -> bool:
        """An out-of-catalogue question now matched, alone, to an entry WFP's names created:
        the catalogue holds it now (the label predates the entry)."""
        commodity, market, _period = self.now
        return (
            self.row.commodity == NOT_IN_CATALOGUE
            and commodity[0] == "match"
            and commodity[1] in self.new_slugs
            and market[0] == "none"
        )

    def describe(self, *, short: bool = False) -> str:
        change = f"{self._reading(self.was)} -> {self._reading(self.now)}"
        if short:
            return f"{self.row.query!r} {change}"
        verdict = (
            "right"
            if self.right_after
            else "wrong by the label, which predates the entry"
            if self.now_named
            else "wrong"
        )
        label = self.row.commodity + (f" @ {self.row.market}" if self.row.market else "")
        return f"{self.row.query!r} [{self.row.kind}, labelled {label}]: {change} (now {verdict})"


def run_catalogue(
    rows_per_country: int = CATALOGUE_ROWS, passes: int = RESOLVER_PASSES
) -> dict[str, Any]:
    """The labelled questions on the catalogue files, then with the ten countries added."""
    folder = Path(tempfile.mkdtemp(prefix="jm-feeds-catalogue-"))
    try:
        database = folder / "catalogue.sqlite3"
        fresh_database(database)
        engine = make_engine(f"sqlite:///{database}")
        try:
            before = load_catalogue(engine)
            made = grow_catalogue(engine, folder, rows_per_country)
            after = load_catalogue(engine)
        finally:
            engine.dispose()
        sizes = {
            "before": (len(before.commodities.entries), len(before.markets.entries)),
            "after": (len(after.commodities.entries), len(after.markets.entries)),
        }
        rows = labelled()
        quality = {"before": _quality(before, rows), "after": _quality(after, rows)}
        # Each figure is the median of the passes' p95s.
        samples: dict[str, dict[str, list[float]]] = {
            side: {"parse": [], "commodities": [], "markets": []} for side in ("before", "after")
        }
        _timings(before, after, rows, flip=False)  # warm-up
        for number in range(passes):
            for side, times in zip(
                ("before", "after"),
                _timings(before, after, rows, flip=number % 2 == 1),
                strict=True,
            ):
                for key, values in times.items():
                    samples[side][key].append(p95(values))
        figures = {
            side: {key: statistics.median(v) for key, v in per.items()}
            for side, per in samples.items()
        }
        new_slugs = (set(after.commodity_slugs) - set(before.commodity_slugs)) | (
            set(after.market_slugs) - set(before.market_slugs)
        )
        changes = [
            Change(row, was, now, right_before, right_after, new_slugs)
            for row, was, now, right_before, right_after in zip(
                rows,
                quality["before"]["answers"],
                quality["after"]["answers"],
                quality["before"]["right"],
                quality["after"]["right"],
                strict=True,
            )
            if was != now or right_before != right_after
        ]
        return {
            "questions": len(rows),
            "passes": passes,
            "rows_per_country": rows_per_country,
            "made": made,
            "sizes": sizes,
            "p95": figures,
            "ratio": figures["after"]["parse"] / figures["before"]["parse"],
            "ratio_commodities": figures["after"]["commodities"] / figures["before"]["commodities"],
            "ratio_markets": figures["after"]["markets"] / figures["before"]["markets"],
            "quality": {
                side: {k: v for k, v in q.items() if k not in ("right", "answers")}
                for side, q in quality.items()
            },
            "changes": changes,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# The report


def main(
    rows: int = 200_000,
    rounds: int = 3,
    *,
    catalogue_rows: int = CATALOGUE_ROWS,
    profile: bool = False,
) -> dict[str, Any]:
    print(
        f"A {rows:,}-row WFP country file ({ISO3}) imported through its feed (wfp-hdx, served "
        "over loopback) against the plain import of the same file from disk (SQLite), "
        f"median of {rounds} rounds:"
    )
    started = time.perf_counter()
    r = run_import(rows, rounds, profile=profile)
    print(
        f"  file {r['file_mb']:.1f} MB, {r['markets']} markets, {r['commodities']} commodities; "
        f"the feed creates {r['created']['markets']} markets, {r['created']['places']} "
        f"regions and countries, {r['created']['commodities']} commodities"
    )
    if r["left_out"]:
        print(
            f"  NOTE: the importer refuses WFP's price type “{r['left_out']}”, so the file leaves "
            f"out its rows ({r['left_out_rows']:,} of the first {rows + r['left_out_rows']:,} "
            "bench.wfp_files writes); with them the feed's check fails and imports nothing"
        )
    print(
        f"  feed check {r['feed_rows_per_s']:,.0f} rows/s ({r['feed_seconds']:.2f} s: download, "
        f"names created, import, catalogue reloaded), plain import {r['plain_rows_per_s']:,.0f} "
        f"rows/s ({r['plain_seconds']:.2f} s)"
    )
    print(
        "  rounds (s): feed "
        + ", ".join(f"{s:.2f}" for s in r["feed_all"])
        + "; plain "
        + ", ".join(f"{s:.2f}" for s in r["plain_all"])
    )
    met = "met" if r["ratio"] >= TARGET_IMPORT else "missed"
    print(f"  feed / plain = {r['ratio']:.2f} (target >= {TARGET_IMPORT:g}): {met}")
    v = r["second_validators"]
    print(
        f"  second check, file unchanged: {r['second_seconds'] * 1e3:.1f} ms, "
        f"{'/'.join(map(str, r['second_requests']))} request(s) answered "
        f"{'/'.join(map(str, r['second_statuses']))} (If-None-Match {v.if_none_match}, "
        f"If-Modified-Since {v.if_modified_since}), nothing parsed "
        f"= {r['second_seconds'] / r['feed_seconds']:.4f}x the import"
    )
    print(
        f"  third check, server ignoring validators (200, same bytes): "
        f"{r['third_seconds'] * 1e3:.1f} ms, {'/'.join(map(str, r['third_requests']))} "
        f"request(s) answered {'/'.join(map(str, r['third_statuses']))}, SHA-256 unchanged, "
        f"nothing parsed = {r['third_seconds'] / r['feed_seconds']:.3f}x the import"
    )
    if r["profile"]:
        print(r["profile"])
    c = run_catalogue(catalogue_rows)
    print(
        f"The labelled questions ({c['questions']}) on the catalogue files, then with every WFP "
        f"market and commodity of ten countries added ({c['rows_per_country']:,} rows each "
        "through WfpNames); p95 per question read the first time (each question on both "
        f"catalogues back to back), median of {c['passes']} passes:"
    )
    (cb, mb), (ca, ma) = c["sizes"]["before"], c["sizes"]["after"]
    made = c["made"]
    print(
        f"  catalogue: {cb} -> {ca} commodities, {mb} -> {ma} places "
        f"({made['markets']} markets, {made['places']} regions and countries created)"
    )
    b, a = c["p95"]["before"], c["p95"]["after"]
    print(
        f"  whole question (parse_query): {b['parse'] * 1e3:.3f} -> {a['parse'] * 1e3:.3f} ms "
        f"= {c['ratio']:.2f}x (target <= {TARGET_RESOLVER:g}): "
        f"{'met' if c['ratio'] <= TARGET_RESOLVER else 'missed'}"
    )
    print(
        f"  the text by each resolver: commodities {b['commodities'] * 1e3:.3f} -> "
        f"{a['commodities'] * 1e3:.3f} ms = {c['ratio_commodities']:.2f}x, markets "
        f"{b['markets'] * 1e3:.3f} -> {a['markets'] * 1e3:.3f} ms = {c['ratio_markets']:.2f}x"
    )
    qb, qa = c["quality"]["before"], c["quality"]["after"]
    print(
        f"  quality: in-catalogue top-1 {qb['top1']:.1%} -> {qa['top1']:.1%} "
        f"(of {qb['inside_n']}), not guessed outside {qb['outside']:.1%} -> {qa['outside']:.1%} "
        f"(of {qb['outside_n']})"
    )
    changes: list[Change] = c["changes"]
    verdicts = [x for x in changes if x.right_before != x.right_after]
    inside = [x for x in verdicts if x.row.kind != "out-of-catalogue"]
    named = [x for x in verdicts if x.now_named]
    if not changes:
        print("  identical: every question is right or wrong as before, and read the same way")
    else:
        print(
            f"  NOT identical: {len(verdicts)} verdicts changed ({len(inside)} of questions "
            f"in the catalogue; {len(named)} now name a good WFP added, "
            f"{len(verdicts) - len(named) - len(inside)} misread), "
            f"{len(changes) - len(verdicts)} more questions read otherwise with the same verdict "
            "(* = an entry WFP's names created):"
        )
        for x in verdicts:
            print(f"    {x.describe()}")
        print(
            "    read otherwise, same verdict: "
            + "; ".join(x.describe(short=True) for x in changes if x not in verdicts)
        )
    print(f"  ({time.perf_counter() - started:.0f} s in all)")
    return {"import": r, "catalogue": c}


if __name__ == "__main__":
    main()
