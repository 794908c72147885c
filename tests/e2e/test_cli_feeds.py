"""`jangmadang feeds` and `jangmadang inbox` run as a user would, in subprocesses, against the
local feed server (tests/support/feeds.py): a WFP file imported and answered from, a news feed's
article waiting in the inbox with its two Lingzhi figures, bad input refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.feeds import FeedServer, serve_feeds

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{home / 'feeds.sqlite3'}",
        "FETCH_ALLOW_PRIVATE": "true",
        "FETCH_TIMEOUT": "3",
        "FEED_TIMEOUT": "5",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=home,
        timeout=120,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with serve_feeds() as running:
        yield running


def test_a_wfp_feed_is_imported_and_answered_and_a_news_feed_fills_the_inbox(server, tmp_path):
    added = run(
        ["feeds", "add", server.url("/files/wfp_food_prices_mmr.csv"), "--kind", "wfp-hdx"],
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "Feed 1 added: WFP MMR (wfp-hdx, every 1d)." in added.stdout
    news = run(
        ["feeds", "add", server.url("/feeds/news.rss"), "--kind", "rss", "--name", "Ledger"],
        tmp_path,
    )
    assert "Feed 2 added: Ledger (rss, every 1h)." in news.stdout

    checked = run(["feeds", "run"], tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "Feed 1 (WFP MMR): 60 rows, 60 added" in checked.stdout
    assert "Feed 2 (Ledger): 2 new entries" in checked.stdout
    assert "Checking feed 1: WFP MMR" in checked.stderr
    assert run(["feeds", "run"], tmp_path).stdout.strip() == "No feed is due."

    answer = run(["ask", "rice yangon"], tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert "Rice (low quality)" in answer.stdout and "Source: WFP" in answer.stdout
    assert "checked today" in answer.stdout

    inbox = run(["inbox", "--json"], tmp_path)
    items = [json.loads(line) for line in inbox.stdout.splitlines()]
    hyesan = next(i for i in items if i["url"].endswith("/articles/hyesan-border-trade"))
    assert [(f["commodity"], f["low"], f["high"]) for f in hyesan["figures"]] == [
        ("Lingzhi", 200, 300),
        ("Lingzhi", 500, 1200),
    ]
    listed = run(["inbox"], tmp_path).stdout
    assert "Lingzhi, Hyesan: 500-1,200 CNY/kg (now, depending on quality)" in listed

    listing = run(["feeds", "list"], tmp_path).stdout
    assert "[ok]  checked just now" in listing and "60 added" in listing
    dismissed = run(["inbox", "dismiss", str(hyesan["id"])], tmp_path)
    assert dismissed.returncode == 0 and "Dismissed" in dismissed.stdout
    assert run(["feeds", "remove", "2"], tmp_path).stdout.startswith("Feed 2 removed")


def test_bad_input_is_refused_and_changes_nothing(tmp_path):
    refused = run(["feeds", "add", "https://example.org/x.csv", "--kind", "csv"], tmp_path)
    assert refused.returncode == 1 and "not a kind of feed" in refused.stderr
    missing = run(["feeds", "remove", "7"], tmp_path)
    assert missing.returncode == 1 and "There is no feed 7" in missing.stderr
