"""Fetching articles by their link: a local HTTP server serves the pages, the limits hold.

The server (tests/support/pages.py) serves the fixture pages of tests/support/data/intake/ and
the misbehaving endpoints: a PDF, an empty page, pages over the size limit, redirect loops, a
link that hangs and one that trickles.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import date

import pytest

from bot.domain.errors import InvalidInput
from bot.services import fetching
from bot.services.fetching import MAX_REDIRECTS, FetchLimits, fetch_article
from tests.support.pages import PAGES, serve_pages

# Tests allow loopback (the server is on 127.0.0.1) and keep the limits short.
OPEN = FetchLimits(timeout=0.6, max_bytes=20_000, allow_private=True)


@pytest.fixture
def site() -> Iterator[str]:
    """The root URL of the page server on 127.0.0.1, stopped after the test."""
    with serve_pages() as root:
        yield root


def refused(url: str, limits: FetchLimits = OPEN) -> str:
    with pytest.raises(InvalidInput) as caught:
        fetch_article(url, limits=limits)
    return caught.value.user_message


def test_an_article_page_gives_its_text_title_publisher_and_date(site):
    article = fetch_article(f"{site}/article", limits=OPEN, lang="en")
    assert article.title == "Border trade picks up in Hyesan as state-run smuggling grows"
    assert article.publisher == "Tumen Ledger"
    assert article.published == date(2025, 3, 14)
    assert article.url == f"{site}/article"
    assert article.lang == "en"
    assert (
        "Lingzhi mushrooms previously traded for 200 to 300 Chinese yuan per kilogram, but the "
        "price has recently climbed to between 500 and 1,200 yuan, depending on quality."
    ) in article.text
    # The main text only: not the menu, the related stories or the footer.
    for chrome in ("Privacy", "Related stories", "Rice prices steady", "All rights reserved"):
        assert chrome not in article.text


def test_a_plain_text_page_is_read_as_it_is(site):
    article = fetch_article(f"{site}/plain", limits=OPEN)
    assert article.text == (PAGES / "article.txt").read_text(encoding="utf-8").strip()
    assert article.title is None and article.published is None


def test_redirects_are_followed_up_to_the_limit(site):
    article = fetch_article(f"{site}/hops/{MAX_REDIRECTS - 1}", limits=OPEN)
    assert article.url == f"{site}/article" and article.publisher == "Tumen Ledger"
    message = refused(f"{site}/hops/{MAX_REDIRECTS}")
    assert f"redirects more than {MAX_REDIRECTS} times" in message


def test_a_redirect_loop_is_refused_clearly(site):
    message = refused(f"{site}/loop")
    assert message == (
        f"The link redirects more than {MAX_REDIRECTS} times (it may redirect forever): "
        f"{site}/loop."
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/report.pdf", "The page is not HTML: application/pdf."),
        ("/empty", "The page at {site}/empty is empty."),
        ("/blank", "No article text found on {site}/blank."),
        ("/big", "The page is larger than 20 kB"),
        ("/big-unannounced", "The page is larger than 20 kB"),
        ("/missing", "The site answered 404 Not Found for {site}/missing."),
        ("/to-ftp", "Only http and https links can be read, not ftp"),
    ],
)
def test_bad_pages_get_a_clear_message(site, path, expected):
    assert expected.format(site=site) in refused(f"{site}{path}")


def test_the_default_size_limit_is_two_megabytes():
    assert "The page is larger than 2 MB" in fetching._too_big(FetchLimits()).user_message


@pytest.mark.parametrize("path", ["/hang", "/trickle"])
def test_a_page_that_takes_too_long_is_given_up(site, path):
    started = time.monotonic()
    message = refused(f"{site}{path}")
    assert message == "127.0.0.1 did not send the page within 0.6 s."
    assert time.monotonic() - started < 3


def test_only_http_links_are_fetched():
    assert "not file" in refused("file:///etc/passwd")
    assert "is not a link I can read" in refused("http://")


def test_loopback_is_refused_unless_allowed(site):
    closed = FetchLimits(timeout=2, max_bytes=20_000, allow_private=False)
    message = refused(f"{site}/article", closed)
    assert message == (
        "The link points to a private or local address (127.0.0.1): only public sites can be read."
    )
    port = site.rsplit(":", 1)[1]
    assert "private or local address" in refused(f"http://localhost:{port}/article", closed)
    # Allowed, as the tests allow it, the same link is read.
    assert fetch_article(f"{site}/article", limits=OPEN).publisher == "Tumen Ledger"


def test_every_redirect_hop_is_checked(site, monkeypatch):
    """A public site that redirects to an inside address is refused at the hop."""
    real = socket.getaddrinfo
    names = {"public.test": "127.0.0.1", "inside.test": "10.1.2.3"}

    def resolve(host, port, *args, **kwargs):
        return real(names.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(fetching.socket, "getaddrinfo", resolve)
    # The test server stands in for a public site: its own address counts as public here.
    monkeypatch.setattr(fetching, "_is_public", lambda address: address == "127.0.0.1")
    closed = FetchLimits(timeout=2, max_bytes=20_000, allow_private=False)
    port = site.rsplit(":", 1)[1]
    assert fetch_article(f"http://public.test:{port}/article", limits=closed).title
    message = refused(f"http://public.test:{port}/to-inside", closed)
    assert "private or local address (10.1.2.3)" in message


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.4.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # link-local: cloud metadata
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("0.0.0.0", False),
        ("100.64.0.1", False),  # shared address space
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_which_addresses_are_public(address, public):
    assert fetching._is_public(address) is public


def test_an_unknown_host_is_a_clear_message(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetching.socket, "getaddrinfo", fail)
    closed = FetchLimits(timeout=2, allow_private=False)
    assert refused("https://no-such-site.test/a", closed) == (
        "The site no-such-site.test could not be found."
    )


def test_a_name_that_does_not_resolve_in_time_is_given_up_on(monkeypatch):
    import socket
    import threading

    from bot.services import fetching

    release = threading.Event()

    def stuck(*args, **kwargs):
        release.wait(10)
        raise socket.gaierror("no answer")

    monkeypatch.setattr(fetching.socket, "getaddrinfo", stuck)
    try:
        with pytest.raises(InvalidInput, match="could not be found in time"):
            fetching.check_host("slow.example", 443, timeout=0.2)
    finally:
        release.set()
