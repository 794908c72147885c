"""Every price answer to the labelled questions, on the sample data, can be cited as it stands."""

import csv
import html
import re
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.i18n import translator
from bot.rendering import answers
from bot.services import market_figures
from bot.services.seed import load_sample
from db import repo
from tests.support.clock import NOW

LABELLED = Path(__file__).parents[1] / "support" / "data" / "labelled_queries.csv"


def _asked() -> list[tuple[str, str]]:
    with LABELLED.open(newline="") as f:
        pairs = {
            (r["commodity"], r["market"])
            for r in csv.DictReader(f)
            if r["commodity"] not in ("", "-") and r["market"] != "-"
        }
    return sorted(pairs)


@pytest.fixture
def seeded(engine, catalogue):
    load_sample(engine, now=NOW)
    return engine


def test_every_labelled_price_answer_shows_its_provenance(seeded, catalogue):
    t = translator("en")
    blocks = ranges = undated_previous = via = 0
    with Session(seeded) as session:
        for commodity, market in _asked():
            market_ids = catalogue.descendants(catalogue.market_slugs[market]) if market else None
            rows = repo.recent_prices(
                session, commodity_id=catalogue.commodity_slugs[commodity], market_ids=market_ids
            )
            for item in market_figures.market_prices(session, rows, catalogue, lang="en"):
                blocks += 1
                obs, text = item.latest, answers.market_price_block(item, today=NOW.date(), t=t)
                # The original publisher, linked to its own page when that is known.
                assert re.search(rf"Source: (<a [^>]+>)?{re.escape(obs.source_name)}", text)
                if obs.via:
                    via += 1
                    assert f'via <a href="{html.escape(obs.via_url)}">' in text, text
                if obs.observed.value is None:
                    assert "Observed: date not stated in the source" in text
                else:
                    assert f"Observed: {obs.observed.label(t)}" in text
                previous = item.previous
                if previous is None:
                    assert "Previous:" not in text
                    continue
                line = next(x for x in text.split("\n") if x.startswith("Previous:"))
                if previous.observed.value is None:
                    undated_previous += 1
                    assert obs.observed.value is None and "(date not stated" in line
                else:
                    assert f"({previous.observed.label(t)})" in line
                ranged = {previous.figure.low != previous.figure.high,
                          obs.figure.low != obs.figure.high}  # fmt: skip
                if True in ranged and item.change is not None:
                    ranges += 1
                    assert "midpoints" in line
    # The set reaches every case: reprints, undated pairs of one report, ranges compared.
    assert blocks > 100 and via > 20 and undated_previous >= 2 and ranges >= 1
