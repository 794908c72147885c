"""A local web server for the article intake tests: fixture pages and misbehaving links.

`serve_pages()` serves, on 127.0.0.1: /article (a news page with its metadata), /plain (the
text), /blank (markup with no text), /empty, /report.pdf, /big and /big-unannounced (over 20 kB,
with and without a Content-Length), /loop (a redirect loop), /hops/N (N redirects, then the
article), /to-ftp and /to-inside (redirects to another scheme and to a host the tests resolve
to an inside address), /hang (answers after 10 s) and /trickle (a few bytes every 0.1 s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from config.paths import SAMPLE_FEEDS_DIR

PAGES = Path(__file__).resolve().parent / "data" / "intake"
# The article page is the demo's sample (one copy, in the package's sample feeds).
ARTICLE_PAGE = SAMPLE_FEEDS_DIR / "articles" / "hyesan-border-trade.html"
ARTICLE = ARTICLE_PAGE.read_bytes()
BIG = b"<html><body>" + b"<p>Rice was sold in the market.</p>" * 1000 + b"</body></html>"


class _Pages(BaseHTTPRequestHandler):
    release: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/article":
            self._send(ARTICLE, "text/html; charset=utf-8")
        elif path == "/plain":
            self._send((PAGES / "article.txt").read_bytes(), "text/plain; charset=utf-8")
        elif path == "/blank":
            self._send((PAGES / "blank.html").read_bytes(), "text/html")
        elif path == "/empty":
            self._send(b"", "text/html")
        elif path == "/report.pdf":
            self._send((PAGES / "report.pdf").read_bytes(), "application/pdf")
        elif path == "/big":
            self._send(BIG, "text/html")
        elif path == "/big-unannounced":
            # No Content-Length: the body runs until the server closes the connection.
            self._send(BIG, "text/html", length=False)
        elif path == "/loop":
            self._redirect("/loop-again")
        elif path == "/loop-again":
            self._redirect("/loop")
        elif path.startswith("/hops/"):
            left = int(path.rsplit("/", 1)[1])
            self._redirect(f"/hops/{left - 1}" if left > 0 else "/article")
        elif path == "/to-ftp":
            self._redirect("ftp://127.0.0.1/article.html")
        elif path == "/to-inside":
            port = self.server.server_address[1]
            self._redirect(f"http://inside.test:{port}/article")
        elif path == "/hang":
            self.release.wait(10)
            self._send(ARTICLE, "text/html")
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(50):
                if self.release.wait(0.1):
                    break
                self.wfile.write(b"<p>word</p>")
                self.wfile.flush()
        else:
            self._send(b"<html><body><p>Not here.</p></body></html>", "text/html", status=404)

    def _send(
        self, body: bytes, content_type: str, *, status: int = 200, length: bool = True
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serve_pages() -> Iterator[str]:
    """Serve the pages on 127.0.0.1 (a free port) in a thread; yield the root URL; stop."""
    release = threading.Event()
    handler = type("Pages", (_Pages,), {"release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
