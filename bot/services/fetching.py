"""Fetching an article by its link (a bounded HTTP GET, then its main text and metadata) and a
feed's files (`fetch_resource`: conditional requests, the body streamed to a temporary file).

One fetch takes at most `FetchLimits.timeout` seconds, reads at most `max_bytes` (the body is
streamed and dropped past the limit, whatever the server announces), follows at most
`MAX_REDIRECTS` redirects, and only over http or https. Unless `allow_private` is set (tests),
every address a host resolves to must be public: loopback, private, link-local, multicast and
reserved addresses are refused, for the link and for every redirect. The check runs where the
connection is made, on the addresses actually connected to, so a name that resolves to a public
address when checked and a private one when connecting (DNS rebinding) gets nowhere.

The page's main text, title, site name and publication date are read with trafilatura. Every
failure is an InvalidInput whose message says what was wrong with the link, never a traceback.

Runs in a worker thread (the sync client blocks).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import date
from typing import IO, TypeVar

import httpcore
import httpx

from bot.domain.errors import InvalidInput
from bot.domain.intake import Article

__all__ = [
    "MAX_REDIRECTS",
    "FetchLimits",
    "Fetched",
    "article_from_html",
    "check_host",
    "fetch_article",
    "fetch_resource",
]

MAX_REDIRECTS = 5
_TEXT_TYPES = ("text/html", "text/plain")
_USER_AGENT = "Mozilla/5.0 (compatible; Jangmadang/0.1; article intake for editors)"
_FEED_AGENT = "Mozilla/5.0 (compatible; Jangmadang/0.1; source feeds)"
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8"


@dataclass(frozen=True)
class FetchLimits:
    """How long one fetch may take (seconds, in all), the largest page read (bytes), and
    whether loopback and private addresses may be fetched (never in production)."""

    timeout: float = 15.0
    max_bytes: int = 2_000_000
    allow_private: bool = False


def fetch_article(
    url: str, *, limits: FetchLimits = FetchLimits(), lang: str | None = None
) -> Article:
    """Fetch `url` and return its main text with the page's title, publisher and date."""
    target = _parse_link(url)
    deadline = time.monotonic() + limits.timeout
    transport = _transport(limits.allow_private)
    with httpx.Client(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": _USER_AGENT, "Accept": _ACCEPT},
    ) as client:
        body, content_type, charset, final = _get(
            client, target, limits, deadline, lambda r, u: _page(r, u, limits, deadline)
        )
    if not body.strip():
        raise InvalidInput("The page at {url} is empty.", url=str(final))
    if content_type == "text/plain":
        text = _decode(body, charset)
        if not text.strip():
            raise InvalidInput("The page at {url} is empty.", url=str(final))
        return Article(text=text.strip(), url=str(final), lang=lang)
    html: str | bytes = _decode(body, charset) if charset else body
    return article_from_html(html, url=str(final), lang=lang)


def article_from_html(html: str | bytes, *, url: str | None, lang: str | None = None) -> Article:
    """Return the main text of an HTML page with its title, site name and publication date."""
    import trafilatura  # a second's import: only when a page is read
    from trafilatura.settings import Document

    # It logs a warning for every page without text; the message here says so once.
    if logging.getLogger("trafilatura").level == logging.NOTSET:
        logging.getLogger("trafilatura").setLevel(logging.ERROR)

    try:
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except (ValueError, TypeError):  # markup lxml cannot parse at all
        found = None
    text = (found.text or "").strip() if isinstance(found, Document) else ""
    if not isinstance(found, Document) or not text:
        if url is None:
            raise InvalidInput("No article text found on the page.")
        raise InvalidInput("No article text found on {url}.", url=url)
    return Article(
        text=text,
        url=url,
        title=_clean(found.title),
        publisher=_clean(found.sitename),
        published=_iso_date(found.date),
        lang=lang,
    )


# Name lookups run here so that one can be given up on: getaddrinfo itself takes no timeout. A
# lookup given up on finishes in its thread; at most this many hang at once.
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dns")


def check_host(host: str, port: int, timeout: float | None = None) -> list[str]:
    """Resolve `host` (within `timeout` seconds) and return its addresses; refuse it unless
    every one is public."""
    lookup = _LOOKUPS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=timeout)
    except FutureTimeout:
        raise InvalidInput(
            "The site {host} could not be found in time (its name did not resolve).", host=host
        ) from None
    except (socket.gaierror, UnicodeError):
        raise InvalidInput("The site {host} could not be found.", host=host) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise InvalidInput("The site {host} could not be found.", host=host)
    for address in addresses:
        if not _is_public(address):
            raise InvalidInput(
                "The link points to a private or local address ({address}): only public "
                "sites can be read.",
                address=address,
            )
    return addresses


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class _PublicOnly(httpcore.SyncBackend):
    """Connects only to public addresses, checked when connecting (so on every redirect)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in check_host(host, port, timeout):
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One context for every fetch: building it loads the CA bundle (25 ms a time)."""
    return httpx.create_ssl_context(trust_env=False)


def _transport(allow_private: bool) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=_ssl_context(), trust_env=False)
    if not allow_private:
        # httpx takes no network backend: give its pool one that checks every address.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=_PublicOnly()
        )
    return transport


def _parse_link(url: str) -> httpx.URL:
    raw = url.strip()
    if raw and "://" not in raw:
        raw = "https://" + raw
    try:
        target = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError):
        raise InvalidInput("“{url}” is not a link I can read.", url=url.strip()) from None
    _check_scheme(target, url.strip())
    if not target.host:
        raise InvalidInput("“{url}” is not a link I can read.", url=url.strip())
    return target


def _check_scheme(target: httpx.URL, shown: str) -> None:
    if target.scheme not in ("http", "https"):
        raise InvalidInput(
            "Only http and https links can be read, not {scheme}: “{url}”.",
            scheme=target.scheme or "none",
            url=shown,
        )


def _page(
    response: httpx.Response, url: httpx.URL, limits: FetchLimits, deadline: float
) -> tuple[bytes, str, str | None, httpx.URL]:
    media, charset = _content_type(response)
    return _read_body(response, limits, deadline, url), media, charset, url


_Got = TypeVar("_Got")


def _get(
    client: httpx.Client,
    target: httpx.URL,
    limits: FetchLimits,
    deadline: float,
    read: Callable[[httpx.Response, httpx.URL], _Got],
    *,
    headers: Mapping[str, str] | None = None,
    keep: Callable[[httpx.Response], bool] | None = None,
) -> _Got:
    """GET `target`, following redirects by hand; return what `read` makes of the answer.

    An answer of 400 or more is an InvalidInput, unless `keep` says it is wanted (a 304).
    """
    url = target
    for _hop in range(MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise _too_slow(url, limits)
        try:
            with client.stream(
                "GET", url, timeout=httpx.Timeout(left), headers=headers
            ) as response:
                if keep is not None and keep(response):
                    return read(response, url)
                if response.is_redirect:
                    url = _next_hop(response)
                    continue
                if response.status_code >= 400:
                    raise InvalidInput(
                        "The site answered {status} {reason} for {url}.",
                        status=response.status_code,
                        reason=response.reason_phrase,
                        url=str(url),
                    )
                return read(response, url)
        except httpx.TimeoutException:
            raise _too_slow(url, limits) from None
        except httpx.TooManyRedirects:  # pragma: no cover - redirects are followed by hand
            break
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise InvalidInput(
                "Could not read {url}: {reason}.", url=str(url), reason=_reason(exc)
            ) from None
    raise InvalidInput(
        "The link redirects more than {count} times (it may redirect forever): {url}.",
        count=MAX_REDIRECTS,
        url=str(target),
    )


@dataclass(frozen=True)
class Fetched:
    """A file fetched for a feed: 304 (unchanged, no body) or 200 with the body in `file`
    (a temporary file at its start, closed by the caller) and its SHA-256."""

    status: int
    url: str
    media: str
    etag: str | None
    last_modified: str | None
    file: IO[bytes] | None = None
    size: int = 0
    sha256: str | None = None

    def read(self) -> bytes:
        """The whole body (for the small answers: pages, package_show, feeds, API pages)."""
        if self.file is None:
            return b""
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        return data


def fetch_resource(
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
    params: Mapping[str, str | int] | None = None,
    accept: str = "*/*",
) -> Fetched:
    """GET `url` as a conditional request (If-None-Match, If-Modified-Since) within `limits`:
    304 comes back as it is, any other answer of 400 or more is an InvalidInput saying so, and
    a body larger than `limits.max_bytes` is refused while it streams (to a temporary file)."""
    target = _parse_link(url)
    if params:
        target = target.copy_merge_params(dict(params))
    headers = {"User-Agent": _FEED_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + limits.timeout

    def read(response: httpx.Response, at: httpx.URL) -> Fetched:
        media = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        validators = (response.headers.get("ETag"), response.headers.get("Last-Modified"))
        if response.status_code == 304:
            return Fetched(304, str(at), media, *validators)
        return _to_file(response, at, media, validators, limits, deadline)

    with httpx.Client(
        transport=_transport(limits.allow_private),
        follow_redirects=False,
        trust_env=False,
    ) as client:
        return _get(
            client, target, limits, deadline, read, headers=headers,
            keep=lambda r: r.status_code == 304,
        )  # fmt: skip


def _to_file(
    response: httpx.Response,
    url: httpx.URL,
    media: str,
    validators: tuple[str | None, str | None],
    limits: FetchLimits,
    deadline: float,
) -> Fetched:
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limits.max_bytes:
        raise _too_big(limits, what="file")
    sink = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise _too_big(limits, what="file")
            if time.monotonic() > deadline:
                raise _too_slow(url, limits)
            digest.update(chunk)
            sink.write(chunk)
    except BaseException:
        sink.close()
        raise
    sink.seek(0)
    return Fetched(200, str(url), media, *validators, sink, size, digest.hexdigest())


def _next_hop(response: httpx.Response) -> httpx.URL:
    location = response.headers.get("Location", "")
    try:
        url = response.url.join(location)
    except (httpx.InvalidURL, ValueError):
        raise InvalidInput(
            "The site redirected to a link I cannot read: “{url}”.", url=location
        ) from None
    _check_scheme(url, str(url))
    return url


def _content_type(response: httpx.Response) -> tuple[str, str | None]:
    header = response.headers.get("Content-Type", "")
    media = header.split(";", 1)[0].strip().lower()
    if media not in _TEXT_TYPES:
        raise InvalidInput(
            "The page is not HTML: {type}. Send a link to a web page, or paste the text.",
            type=media or "no content type",
        )
    return media, response.charset_encoding


def _read_body(
    response: httpx.Response, limits: FetchLimits, deadline: float, url: httpx.URL
) -> bytes:
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limits.max_bytes:
        raise _too_big(limits)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_big(limits)
        if time.monotonic() > deadline:
            raise _too_slow(url, limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_big(limits: FetchLimits, *, what: str = "page") -> InvalidInput:
    if what == "file":
        return InvalidInput("The file is larger than {size}.", size=_size(limits.max_bytes))
    return InvalidInput(
        "The page is larger than {size}: paste the article's text instead.",
        size=_size(limits.max_bytes),
    )


def _too_slow(url: httpx.URL, limits: FetchLimits) -> InvalidInput:
    return InvalidInput(
        "{host} did not send the page within {seconds} s.",
        host=url.host,
        seconds=f"{limits.timeout:g}",
    )


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:g} MB"
    return f"{count / 1000:g} kB"


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:120] or type(exc).__name__


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
