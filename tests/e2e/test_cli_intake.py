"""`jangmadang intake FILE|URL` run as a user would, in a subprocess: what it prints, exit codes.

The links are served by the test's own page server on 127.0.0.1 (tests/support/pages.py), which
the command may fetch only because these runs set FETCH_ALLOW_PRIVATE=true (one test leaves it
unset and is refused).

The tests marked REAL EXTRACTION check what bot.domain.extraction and bot.domain.report_draft
find in the fixture article; the others hold whatever the extraction finds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pages import ARTICLE_PAGE, PAGES, serve_pages

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ARTICLE = PAGES / "article.txt"
KEYS = ["commodity", "place", "low", "high", "currency", "unit", "quantity", "when", "qualifier"]
FIGURES = [
    {
        "commodity": "Lingzhi",
        "place": "Hyesan",
        "low": 200,
        "high": 300,
        "currency": "CNY",
        "unit": "kg",
        "quantity": 1,
        "when": "before",
        "qualifier": None,
    },
    {
        "commodity": "Lingzhi",
        "place": "Hyesan",
        "low": 500,
        "high": 1200,
        "currency": "CNY",
        "unit": "kg",
        "quantity": 1,
        "when": "now",
        "qualifier": "depending on quality",
    },
]


def run(
    args: list[str],
    home: Path,
    *,
    database: Path | None = None,
    stdin: str | None = None,
    allow_private: bool = True,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    values = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{database or home / 'cli.sqlite3'}",
        "FETCH_TIMEOUT": "2",
        "FETCH_MAX_BYTES": "20000",
        **({"FETCH_ALLOW_PRIVATE": "true"} if allow_private else {}),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=values,
        cwd=home,
        input=stdin,
        timeout=120,
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A home with a database the module's runs share (intake writes no figure)."""
    return tmp_path_factory.mktemp("intake-cli")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_pages() as root:
        yield root


def json_lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


# REAL EXTRACTION: the two Lingzhi figures of the fixture article.


def test_json_prints_one_object_per_figure_with_the_issue_s_keys(shared):
    result = run(["intake", str(ARTICLE), "--json", "--lang", "en"], shared)
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [list(row) for row in rows] == [KEYS, KEYS]
    assert rows == FIGURES


def test_the_human_output_lists_figures_and_the_draft_report(shared):
    result = run(["intake", str(ARTICLE)], shared)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Link: https://news.tumen-ledger.example/economy/hyesan-border-trade" in out
    assert "1. Lingzhi, Hyesan: 200-300 CNY/kg, before\n" in out
    assert "2. Lingzhi, Hyesan: 500-1,200 CNY/kg, now, depending on quality\n" in out
    assert "Trade conditions (draft report):" in out and "  Place: Hyesan" in out
    # The source's sentences are shown as its words, quoted.
    assert "The source's words" in out and "    “" in out


def test_a_stored_figure_is_shown_as_a_duplicate(tmp_path):
    stored = tmp_path / "stored.csv"
    stored.write_text(
        "date,market,commodity,unit,pricetype,currency,price_low,price_high,grade,source\n"
        ",hyesan,lingzhi,kg,middleman,CNY,500,1200,depending on quality,Tumen Ledger\n",
        encoding="utf-8",
    )
    imported = run(["import", str(stored)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    result = run(["intake", str(ARTICLE)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1. Lingzhi, Hyesan: 200-300 CNY/kg, before\n" in result.stdout
    assert "depending on quality [duplicate of #1]\n" in result.stdout


def test_an_article_fetched_by_its_link(shared, site):
    result = run(["intake", f"{site}/article"], shared)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        "Title: Border trade picks up in Hyesan as state-run smuggling grows\n"
        "Publisher: Tumen Ledger\n"
        "Published: 2025-03-14\n"
        f"Link: {site}/article\n"
    )
    assert "2. Lingzhi, Hyesan: 500-1,200 CNY/kg, now, depending on quality" in out
    as_json = run(["intake", f"{site}/article", "--json"], shared)
    assert json_lines(as_json.stdout) == FIGURES


def test_a_saved_html_page_is_read_like_a_fetched_one(shared):
    result = run(["intake", str(ARTICLE_PAGE)], shared)
    assert result.returncode == 0, result.stderr
    assert "Publisher: Tumen Ledger\nPublished: 2025-03-14\n" in result.stdout
    assert "1. Lingzhi, Hyesan: 200-300 CNY/kg, before" in result.stdout


def test_stdin_with_nothing_found_exits_0_saying_so(shared):
    text = (PAGES / "no_figures.txt").read_text(encoding="utf-8")
    result = run(["intake", "-"], shared, stdin=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No price figures or trade conditions found.\n"
    as_json = run(["intake", "-", "--json"], shared, stdin=text)
    assert as_json.returncode == 0 and as_json.stdout == ""
    assert "No price figures or trade conditions found." in as_json.stderr


# Bad input: one line on stderr and exit 1, whatever the extraction.


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/report.pdf", "The page is not HTML: application/pdf."),
        ("/big", "The page is larger than 20 kB"),
        ("/loop", "The link redirects more than 5 times (it may redirect forever)"),
        ("/empty", "The page at {site}/empty is empty."),
        ("/hang", "127.0.0.1 did not send the page within 0.5 s."),
    ],
)
def test_a_bad_link_exits_1_with_a_clear_message(shared, site, path, message):
    result = run(["intake", f"{site}{path}"], shared, FETCH_TIMEOUT="0.5")
    assert result.returncode == 1
    assert result.stderr.startswith(f"jangmadang: {message.format(site=site)}")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_private_address_is_refused_in_production(shared, site):
    result = run(["intake", f"{site}/article"], shared, allow_private=False)
    assert result.returncode == 1
    assert result.stderr == (
        "jangmadang: The link points to a private or local address (127.0.0.1): only public "
        "sites can be read.\n"
    )


def test_bad_files_exit_1(tmp_path, shared):
    missing = run(["intake", str(tmp_path / "nope.txt")], shared)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    result = run(["intake", str(empty)], shared)
    assert result.returncode == 1
    assert result.stderr == "jangmadang: The text is empty: send the article's text or its link.\n"
    blank = run(["intake", str(PAGES / "blank.html")], shared)
    assert blank.returncode == 1
    assert blank.stderr == "jangmadang: No article text found on the page.\n"
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("혜산 쌀값 8000원".encode("cp949"))
    assert run(["intake", str(legacy)], shared).returncode == 1
    huge = run(["intake", "-"], shared, stdin="가" * 1_000_000)
    assert huge.returncode == 1
    assert "The text is 1,000,000 characters long; an article can be at most 200,000." in (
        huge.stderr
    )
