"""A small round-robin reverse proxy for tests: one address in front of several bot replicas.

Every request (method, path, query, headers, body) goes to the next upstream in turn. An upstream
that refuses the connection or drops it before answering (a replica killed with SIGKILL) is
skipped for the next one, each upstream tried at most once per request; if none answers, the
proxy answers 502. An upstream that answers too slowly gets the request a 504 (it may have acted
on it, so it is not sent elsewhere).

    async with RoundRobinProxy([replica_a.url, replica_b.url]) as proxy:
        await bot.set_webhook(f"{proxy.url}/telegram")
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

# Headers that concern one connection, not the request (RFC 9110 §7.6.1), and those the proxy
# recomputes itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
MAX_BODY = 64 * 1024 * 1024
# Failures after which the request may go to another upstream: it was not (fully) answered.
_UNANSWERED = (
    aiohttp.ClientConnectorError,
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ClientPayloadError,
    ConnectionError,
)


def _forwardable(headers: Any) -> CIMultiDict[str]:
    """Copy headers without the hop-by-hop ones (and those a Connection header names)."""
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
    }
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in HOP_BY_HOP and lowered not in named:
            out.add(name, value)
    return out


class RoundRobinProxy:
    """Forward each request to the next of `upstreams` (base URLs), failing over on errors.

    Counters: `forwarded[upstream]` counts the requests each upstream answered, `failed[upstream]`
    the attempts it did not answer (refused or dropped), `retries` the times a request went on
    to another upstream after such a failure, `unavailable` the requests answered 502 because no
    upstream answered, `timeouts` those answered 504.
    """

    def __init__(
        self,
        upstreams: Iterable[str],
        *,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._host = host
        self._port = port
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.upstreams: list[str] = []
        self.forwarded: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.retries = 0
        self.unavailable = 0
        self.timeouts = 0
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self.set_upstreams(upstreams)

    @property
    def url(self) -> str:
        """Return http://127.0.0.1:PORT of the running proxy."""
        if self._url is None:
            raise RuntimeError("the proxy is not running")
        return self._url

    def set_upstreams(self, upstreams: Iterable[str]) -> None:
        """Replace the upstream base URLs; the next request goes to the first of them."""
        self.upstreams = [u.rstrip("/") for u in upstreams]
        for upstream in self.upstreams:
            self.forwarded.setdefault(upstream, 0)
            self.failed.setdefault(upstream, 0)
        self._turn = 0

    async def start(self) -> str:
        """Listen on a free port (unless one was given) and return the proxy's URL."""
        if self._runner is not None:
            return self.url
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=self.connect_timeout),
        )
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        host, port = sock.getsockname()[:2]
        self._url = f"http://{host}:{port}"
        return self._url

    async def close(self) -> None:
        """Stop listening and close the connections to the upstreams."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._url = None

    async def __aenter__(self) -> RoundRobinProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _next_upstreams(self) -> list[str]:
        """Return the upstreams in the order this request tries them, and advance the turn."""
        count = len(self.upstreams)
        if not count:
            return []
        first = self._turn % count
        self._turn += 1
        return self.upstreams[first:] + self.upstreams[:first]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = _forwardable(request.headers)
        order = self._next_upstreams()
        for tried, upstream in enumerate(order):
            if tried:
                self.retries += 1
            try:
                async with self._session.request(
                    request.method,
                    upstream + request.raw_path,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                ) as answer:
                    content = await answer.read()
            except _UNANSWERED:
                self.failed[upstream] = self.failed.get(upstream, 0) + 1
                continue
            except TimeoutError:
                self.timeouts += 1
                return web.Response(status=504, text=f"upstream {upstream} timed out")
            self.forwarded[upstream] = self.forwarded.get(upstream, 0) + 1
            return web.Response(
                status=answer.status,
                reason=answer.reason,
                headers=_forwardable(answer.headers),
                body=content,
            )
        self.unavailable += 1
        return web.Response(status=502, text="no upstream answered")
