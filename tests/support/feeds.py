"""A local web server for the source-feed tests: WFP files, HDX's CKAN API and dataset page, the
HDX HAPI food-price endpoint, RSS and Atom news feeds, the articles they link to, and faults.

`serve_feeds()` serves, on 127.0.0.1 (a free port), the fixtures in tests/support/data/feeds and
yields a `FeedServer`: its `base` URL, the `requests` it received (recorded before answering) and
knobs that change what it answers next (`replace`, `add_rss_item`, `fail_next`, `hang_next`).

Routes (a literal `{base}` in a JSON, HTML or XML fixture is replaced by the server's base URL):

- /files/<name>: the fixture file <name> (CSV as text/csv; charset=utf-8) with a strong ETag and
  a fixed Last-Modified; 304 to a matching If-None-Match or an If-Modified-Since not before it.
  /files/big.csv?bytes=N: a WFP header and padding rows past N bytes (default 2,000,000),
  streamed without a Content-Length (the connection closes at the end); `&announce=1` sends one.
- /api/3/action/package_show?id=wfp-food-prices-for-myanmar: CKAN's answer (application/json);
  another id is a 404, no id a 409, both in CKAN's error shape.
- /dataset/wfp-food-prices-for-myanmar: the HDX-like dataset page.
- /api/v2/food-security-nutrition-poverty/food-prices-market-monitor: HAPI rows filtered by
  location_code, start_date and end_date, paged by limit (default 1000) and offset; needs
  app_identifier and output_format=json (400 otherwise).
- /feeds/news.rss and /feeds/news.atom: the news feeds, with ETag, Last-Modified and 304s.
- /articles/<slug>: no-prices (tests/support/data/feeds/articles), hyesan-border-trade and
  sinuiju-fuel (the demo's samples, config/sample/feeds/articles), and any added with
  `add_rss_item`.
- /fail/500, /fail/404, /fail/hang (answers when the server stops, or after 30 s) and
  /fail/notcsv (a 200 HTML maintenance page).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from config.paths import SAMPLE_FEEDS_DIR

__all__ = ["FEEDS", "HAPI_PATH", "FeedServer", "Request", "serve_feeds"]

DATA = Path(__file__).resolve().parent / "data"
FEEDS = DATA / "feeds"
# Article pages: the tests' own, then the demo's samples (shared, one copy).
ARTICLE_DIRS = (FEEDS / "articles", SAMPLE_FEEDS_DIR / "articles")
HAPI_PATH = "/api/v2/food-security-nutrition-poverty/food-prices-market-monitor"
PACKAGE_SHOW = "/api/3/action/package_show"
DATASET = "wfp-food-prices-for-myanmar"
DATA_FILE = "wfp_food_prices_mmr.csv"
HANG_SECONDS = 30.0
BIG_DEFAULT = 2_000_000

CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
_TYPES = {".csv": CSV, ".json": JSON, ".html": HTML, ".xml": "application/xml"}
_TEMPLATED = (".json", ".html", ".xml")  # fixtures whose {base} is replaced

# Last-Modified of each fixture as first served (others: _DEFAULT_MODIFIED).
_MODIFIED = {
    "wfp_food_prices_mmr.csv": datetime(2025, 11, 20, 8, 12, 40, tzinfo=UTC),
    "wfp_food_prices_mmr_v2.csv": datetime(2025, 11, 27, 8, 5, 12, tzinfo=UTC),
    "wfp_food_prices_mmr_hxl.csv": datetime(2024, 12, 19, 7, 41, 3, tzinfo=UTC),
    "wfp_food_prices_mmr_bad.csv": datetime(2025, 11, 21, 6, 0, 0, tzinfo=UTC),
    "wfp_food_prices_mmr_badrow.csv": datetime(2025, 11, 21, 6, 30, 0, tzinfo=UTC),
    "news.rss": datetime(2026, 11, 24, 0, 35, 0, tzinfo=UTC),
    "news.atom": datetime(2026, 11, 20, 1, 20, 0, tzinfo=UTC),
}
_DEFAULT_MODIFIED = datetime(2025, 11, 1, 0, 0, 0, tzinfo=UTC)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_BIG_HEADER = (
    b"date,admin1,admin2,market,market_id,latitude,longitude,category,commodity,commodity_id,"
    b"unit,priceflag,pricetype,currency,price,usdprice\n"
)
_BIG_ROW = (
    "2025-{m:02d}-15,Yangon,Yangon (North),Yangon,1180,16.8409,96.1735,cereals and tubers,"
    "Rice (low quality),52,KG,actual,Retail,MMK,{p},{u:.4f}\n"
)


@dataclass(frozen=True)
class Request:
    """One request as the server received it: method, path with its query, headers (names in
    lower case)."""

    method: str
    path: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        """A header's value, by its name in any case."""
        return self.headers.get(name.lower())


@dataclass
class _Fault:
    prefix: str
    status: int  # 0: hang until the server stops
    times: int
    retry_after: int | None


@dataclass
class _Version:
    """What one name serves now: the bytes (before {base} is replaced) and their date."""

    body: bytes
    modified: datetime


@dataclass
class FeedServer:
    """The running server: where it is, what it was asked, and knobs for what it answers next."""

    base: str
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _files: dict[str, _Version] = field(default_factory=dict, repr=False)
    _replaced: set[str] = field(default_factory=set, repr=False)
    _faults: list[_Fault] = field(default_factory=list, repr=False)
    _articles: dict[str, Path] = field(default_factory=dict, repr=False)
    _added: int = field(default=0, repr=False)

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base + path

    def count(self, path_prefix: str = "/") -> int:
        """How many requests had a path (with query) starting with `path_prefix`."""
        with self._lock:
            return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    def paths(self, path_prefix: str = "/") -> list[str]:
        """The paths (with query) of the requests so far that start with `path_prefix`."""
        with self._lock:
            return [r.path for r in self.requests if r.path.startswith(path_prefix)]

    def last(self, path_prefix: str = "/") -> Request | None:
        """The latest request whose path starts with `path_prefix`, if any."""
        with self._lock:
            found = [r for r in self.requests if r.path.startswith(path_prefix)]
        return found[-1] if found else None

    def clear(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self.requests.clear()

    def replace(self, name: str, other_name: str) -> None:
        """Serve fixture `other_name`'s content at /files/<name> from now on (a new ETag, and a
        Last-Modified later than before): WFP updating its file. package_show then reports the
        new date (and size) for the data file."""
        body = _fixture(other_name).read_bytes()
        with self._lock:
            current = self._version(name)
            modified = max(_modified_of(other_name), current.modified + timedelta(days=1))
            self._files[name] = _Version(body, modified)
            self._replaced.add(name)

    def add_rss_item(
        self, title: str, slug: str, *, description: str | None = None, article: str | None = None
    ) -> str:
        """Put a new item first in the RSS feed, linking to /articles/<slug>; the feed's ETag and
        Last-Modified change. `article` names an article fixture ("sinuiju-fuel") to serve at that
        slug. Returns the item's link."""
        if not _SLUG.match(slug):
            raise ValueError(f"not a slug: {slug!r}")
        with self._lock:
            self._added += 1
            number = self._added
            current = self._version("news.rss")
            when = datetime(2026, 11, 25, 9, 0, tzinfo=UTC) + timedelta(hours=number)
            text = description or "A new report from the border markets."
            item = (
                f"<item>\n<title>{escape(title)}</title>\n"
                f"<link>{{base}}/articles/{slug}</link>\n"
                f'<guid isPermaLink="false">tumen-ledger-economy-added-{number:04d}</guid>\n'
                f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>\n"
                f"<description>{escape(text)}</description>\n</item>\n"
            ).encode()
            body = current.body.replace(b"<item>", item + b"<item>", 1)
            self._files["news.rss"] = _Version(body, current.modified + timedelta(hours=number))
            if article is not None:
                self._articles[slug] = _article_file(article)
        return f"{self.base}/articles/{slug}"

    def fail_next(
        self, path_prefix: str, status: int, *, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer `status` (with a short HTML body) to the next `times` requests whose path starts
        with `path_prefix`, then as usual again."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times, retry_after))

    def hang_next(self, path_prefix: str, *, times: int = 1) -> None:
        """Leave the next `times` requests whose path starts with `path_prefix` hanging until the
        server stops (at most 30 s), then answer 503."""
        self.fail_next(path_prefix, 0, times=times)

    # Used by the handler.

    def _record(self, request: Request) -> _Fault | None:
        with self._lock:
            self.requests.append(request)
            for fault in self._faults:
                if request.path.startswith(fault.prefix):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _version(self, name: str) -> _Version:
        # Call with the lock held.
        found = self._files.get(name)
        if found is None:
            source = {"news.rss": "news_rss.xml", "news.atom": "news_atom.xml"}.get(name, name)
            found = _Version(_fixture(source).read_bytes(), _modified_of(name))
            self._files[name] = found
        return found

    def _current(self, name: str) -> tuple[_Version, bool]:
        with self._lock:
            return self._version(name), name in self._replaced

    def _article(self, slug: str) -> Path | None:
        with self._lock:
            added = self._articles.get(slug)
        if added is not None:
            return added
        try:
            return _article_file(slug)
        except FileNotFoundError:
            return None


def _fixture(name: str) -> Path:
    path = FEEDS / name
    if not _NAME.match(name) or not path.is_file():
        raise FileNotFoundError(f"no feed fixture {name!r}")
    return path


def _article_file(name: str) -> Path:
    if _SLUG.match(name):
        for folder in ARTICLE_DIRS:
            path = folder / f"{name}.html"
            if path.is_file():
                return path
    raise FileNotFoundError(f"no article fixture {name!r}")


def _modified_of(name: str) -> datetime:
    return _MODIFIED.get(name, _DEFAULT_MODIFIED)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000")


def _hapi_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in ("hapi_mmr.json", "hapi_other.json"):
        rows.extend(json.loads((FEEDS / name).read_text(encoding="utf-8"))["data"])
    return rows


_HAPI_ROWS = _hapi_rows()
_STATUS_TEXT = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _BadQuery(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    feeds: FeedServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        fault = self.feeds._record(Request(self.command, self.path, headers))
        try:
            if fault is not None:
                self._fault(fault)
            elif self.command == "POST":
                self._error(405)
            else:
                parts = urlsplit(self.path)
                self._route(parts.path, parse_qs(parts.query))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a size limit, a timeout)

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if path == "/files/big.csv":
            self._big(query)
        elif path.startswith("/files/"):
            name = path.removeprefix("/files/")
            try:
                version, _ = self.feeds._current(name)
            except FileNotFoundError:
                self._error(404)
                return
            kind = _TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
            body = version.body
            if name.endswith(_TEMPLATED):
                body = self._fill(body)
            self._cached(body, kind, version.modified)
        elif path == PACKAGE_SHOW:
            self._package_show(query)
        elif path == f"/dataset/{DATASET}":
            self._send(self._fill((FEEDS / "dataset_mmr.html").read_bytes()), HTML)
        elif path == HAPI_PATH:
            self._hapi(query)
        elif path in ("/feeds/news.rss", "/feeds/news.atom"):
            name = path.removeprefix("/feeds/")
            version, _ = self.feeds._current(name)
            kind = RSS if name.endswith(".rss") else ATOM
            self._cached(self._fill(version.body), kind, version.modified)
        elif path.startswith("/articles/"):
            page = self.feeds._article(path.removeprefix("/articles/"))
            if page is None:
                self._error(404)
            else:
                self._send(page.read_bytes(), HTML)
        elif path == "/fail/500":
            self._error(500)
        elif path == "/fail/404":
            self._error(404)
        elif path == "/fail/hang":
            self.feeds.release.wait(HANG_SECONDS)
            self._send(b"<html><body><p>Late, but here.</p></body></html>", HTML)
        elif path == "/fail/notcsv":
            body = (
                b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body>"
                b"<h1>Down for maintenance</h1><p>The data portal is under maintenance. Please "
                b"come back in a few hours.</p></body></html>"
            )
            self._send(body, HTML)
        else:
            self._error(404)

    # Routes

    def _package_show(self, query: dict[str, list[str]]) -> None:
        wanted = (query.get("id") or query.get("name_or_id") or [""])[0]
        if not wanted:
            self._json(
                {
                    "help": f"{self.feeds.base}/api/3/action/help_show?name=package_show",
                    "success": False,
                    "error": {"__type": "Validation Error", "id": ["Missing value"]},
                },
                status=409,
            )
            return
        if wanted != DATASET:
            self._json(
                {
                    "help": f"{self.feeds.base}/api/3/action/help_show?name=package_show",
                    "success": False,
                    "error": {"message": "Not found", "__type": "Not Found Error"},
                },
                status=404,
            )
            return
        body = self._fill((FEEDS / "package_show_mmr.json").read_bytes())
        version, replaced = self.feeds._current(DATA_FILE)
        if replaced:
            answer = json.loads(body)
            answer["result"]["metadata_modified"] = _iso(version.modified)
            for resource in answer["result"]["resources"]:
                if str(resource.get("url", "")).endswith(f"/files/{DATA_FILE}"):
                    resource["last_modified"] = _iso(version.modified)
                    resource["size"] = len(version.body)
            body = json.dumps(answer, indent=2).encode()
        self._send(body, JSON)

    def _hapi(self, query: dict[str, list[str]]) -> None:
        def one(name: str, default: str = "") -> str:
            return (query.get(name) or [default])[0].strip()

        if not one("app_identifier"):
            problem = "Missing app_identifier: make one at /api/v2/encode_app_identifier."
            self._json({"detail": problem}, status=400)
            return
        if one("output_format", "json") != "json" or "output_format" not in query:
            self._json({"detail": "This server answers output_format=json only."}, status=400)
            return
        try:
            limit = _whole(one("limit", "1000"), "limit", 1, 10_000)
            offset = _whole(one("offset", "0"), "offset", 0, 1_000_000)
            start = _day(one("start_date"), "start_date")
            end = _day(one("end_date"), "end_date")
        except _BadQuery as problem:
            self._json({"detail": str(problem)}, status=400)
            return
        location = one("location_code").upper()
        rows = [
            row
            for row in _HAPI_ROWS
            if (not location or row["location_code"] == location)
            and (start is None or date.fromisoformat(row["reference_period_start"][:10]) >= start)
            and (end is None or date.fromisoformat(row["reference_period_end"][:10]) <= end)
        ]
        self._json({"data": rows[offset : offset + limit]})

    def _big(self, query: dict[str, list[str]]) -> None:
        try:
            wanted = int((query.get("bytes") or [str(BIG_DEFAULT)])[0])
        except ValueError:
            self._error(400)
            return
        announce = (query.get("announce") or ["0"])[0] == "1"
        chunks = list(_big_chunks(wanted)) if announce else None
        self.send_response(200)
        self.send_header("Content-Type", CSV)
        if chunks is not None:
            self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        for chunk in chunks if chunks is not None else _big_chunks(wanted):
            if self.feeds.release.is_set():
                break
            self.wfile.write(chunk)
            self.wfile.flush()

    def _fault(self, fault: _Fault) -> None:
        if fault.status == 0:
            self.feeds.release.wait(HANG_SECONDS)
            self._error(503)
            return
        extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        self._error(fault.status, extra)

    # Answers

    def _fill(self, body: bytes) -> bytes:
        return body.replace(b"{base}", self.feeds.base.encode())

    def _cached(self, body: bytes, kind: str, modified: datetime) -> None:
        """Answer with an ETag and Last-Modified, or 304 when the request's validators match."""
        tag = _etag(body)
        stamp = {"ETag": tag, "Last-Modified": _http_date(modified)}
        if self._not_modified(tag, modified):
            self.send_response(304)
            for name, value in stamp.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(body, kind, extra=stamp)

    def _not_modified(self, tag: str, modified: datetime) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = [t.strip() for t in match.split(",")]
            return "*" in tags or any(t.removeprefix("W/") == tag for t in tags)
        since_text = self.headers.get("If-Modified-Since")
        if not since_text:
            return False
        try:
            since = parsedate_to_datetime(since_text)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since

    def _json(self, answer: object, *, status: int = 200) -> None:
        self._send(json.dumps(answer, ensure_ascii=False).encode(), JSON, status=status)

    def _error(self, status: int, extra: dict[str, str] | None = None) -> None:
        text = _STATUS_TEXT.get(status, "Error")
        body = f"<html><body><h1>{status} {text}</h1></body></html>".encode()
        self._send(body, HTML, status=status, extra=extra)

    def _send(
        self,
        body: bytes,
        kind: str,
        *,
        status: int = 200,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _whole(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _BadQuery(f"{name} must be a whole number, not {text!r}.") from None
    if not low <= value <= high:
        raise _BadQuery(f"{name} must be between {low} and {high}.")
    return value


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _BadQuery(f"{name} must be an ISO date (2025-03-01), not {text!r}.") from None


def _big_chunks(wanted: int) -> Iterator[bytes]:
    """A WFP header, then rows of about 64 kB at a time, until more than `wanted` bytes."""
    sent = len(_BIG_HEADER)
    yield _BIG_HEADER
    rows = [
        _BIG_ROW.format(m=m, p=2400 + 50 * m, u=(2400 + 50 * m) / 2100).encode()
        for m in range(1, 13)
    ]
    block = b"".join(rows) * max(1, 65_536 // sum(len(r) for r in rows))
    while sent <= wanted:
        yield block
        sent += len(block)


@contextmanager
def serve_feeds() -> Iterator[FeedServer]:
    """Serve the feed fixtures on 127.0.0.1 (a free port) in a thread; yield the FeedServer;
    stop (releasing any hanging request first, so stopping never waits on one)."""
    release = threading.Event()
    feeds = FeedServer(base="", release=release)
    handler = type("Feeds", (_Handler,), {"feeds": feeds})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    feeds.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
