"""The demo's source feeds: a WFP country file and a news feed, served on 127.0.0.1 from the
packaged samples (config/sample/feeds), and registered so an editor can try /feeds, Run now and
/inbox offline. Nothing here runs outside the demo."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.paths import SAMPLE_FEEDS_DIR
from db.models import Feed

__all__ = ["SAMPLES", "register_sample_feeds", "serve_sample_feeds"]

# (name, kind, path): what the demo registers.
SAMPLES = (
    ("WFP Myanmar (sample)", "wfp-hdx", "/wfp_food_prices_mmr.csv"),
    ("Tumen Ledger (sample)", "rss", "/news.rss"),
)
_TYPES = {".csv": "text/csv; charset=utf-8", ".rss": "application/rss+xml",
          ".html": "text/html; charset=utf-8"}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    base = ""

    def log_message(self, format: str, *args: object) -> None:  # the demo's terminal stays clean
        pass

    def do_GET(self) -> None:
        name = self.path.split("?", 1)[0].strip("/")
        if name.startswith("articles/") and "." not in name:
            name += ".html"
        path = (SAMPLE_FEEDS_DIR / name).resolve()
        if SAMPLE_FEEDS_DIR.resolve() not in path.parents or not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        if path.suffix in (".rss", ".html"):
            body = body.replace(b"{base}", self.base.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", _TYPES.get(path.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_sample_feeds() -> Iterator[str]:
    """Serve the samples on a free port of 127.0.0.1; yield the base URL."""

    class Handler(_Handler):
        pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Handler.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="sample-feeds", daemon=True)
    thread.start()
    try:
        yield Handler.base
    finally:
        server.shutdown()
        server.server_close()


def register_sample_feeds(engine: Engine, base: str, *, now: datetime) -> None:
    """Add the sample feeds, or point them at this run's server; due tomorrow, so that the
    editor runs them (/feeds, Run now)."""
    with Session(engine) as session:
        for name, kind, path in SAMPLES:
            url = base + path
            feed = session.exec(select(Feed).where(col(Feed.name) == name)).first()
            if feed is None:
                session.add(
                    Feed(
                        kind=kind, url=url, name=name, every_seconds=86_400,
                        next_due_at=now + timedelta(days=1), created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            elif feed.url != url:
                feed.url, feed.updated_at = url, now
                feed.etag = feed.last_modified = feed.resource_url = None
        session.commit()
