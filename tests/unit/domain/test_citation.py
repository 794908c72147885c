"""Citations of one figure (plain and BibTeX) and the cite button's callback data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain import callbacks
from bot.domain.callbacks import MAX_CALLBACK_BYTES, cite_callback, cite_ids
from bot.domain.citation import bibtex_citation, bibtex_text, bibtex_url, plain_citation
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.prices import Figure, Observation

BOT = "JangmadangBot"
ACCESSED = date(2026, 12, 1)
LINK = "https://t.me/JangmadangBot?start=f_123"

DATED = Observation(
    id=123,
    commodity="Rice",
    market="Hyesan",
    market_parent="Ryanggang",
    figure=Figure(5800, 5800, "KPW", "kg"),
    grade=None,
    price_type="retail",
    observed=PartialDate(date(2025, 4, 13), "day"),
    reported_on=date(2025, 4, 15),
    source_name="Daily NK",
    source_url="https://www.dailynk.com/english/rice-hyesan/",
    reliability="B2",
    note=None,
)
REPRINT = replace(DATED, source_url=None, via="inven.co.kr", via_url="https://www.inven.co.kr/b/1")


def plain(obs: Observation, **kw) -> str:
    return plain_citation(obs, accessed=ACCESSED, bot_username=BOT, **kw)


def bibtex(obs: Observation, **kw) -> str:
    return bibtex_citation(obs, accessed=ACCESSED, bot_username=BOT, **kw)


def test_a_dated_figure_with_its_original_address():
    assert plain(DATED) == (
        'Daily NK. "Rice, Hyesan (Ryanggang): 5,800 KPW/kg." Observed 13 Apr 2025; published '
        "15 Apr 2025. https://www.dailynk.com/english/rice-hyesan/. Jangmadang record f123, "
        f"{LINK}, accessed 1 Dec 2026."
    )
    assert bibtex(DATED) == (
        "@misc{jangmadang_f123,\n"
        "  author = {{Daily NK}},\n"
        "  title = {{Rice, Hyesan (Ryanggang): 5,800 KPW/kg}},\n"
        "  year = {2025},\n"
        "  month = apr,\n"
        "  howpublished = {\\url{https://www.dailynk.com/english/rice-hyesan/}},\n"
        f"  note = {{Observed 13 Apr 2025. Jangmadang record f123, \\url{{{LINK}}}}},\n"
        "  urldate = {2026-12-01}\n"
        "}"
    )


def test_a_reprint_is_credited_to_its_publisher_and_read_where_it_was_read():
    text = plain(REPRINT)
    assert text.startswith('Daily NK (via inven.co.kr). "Rice, Hyesan (Ryanggang)')
    assert "Read at https://www.inven.co.kr/b/1." in text
    entry = bibtex(REPRINT)
    assert "author = {{Daily NK}}" in entry
    assert "howpublished = {\\url{https://www.inven.co.kr/b/1}}" in entry
    assert "note = {Read via inven.co.kr. Observed 13 Apr 2025." in entry
    # With the original address too, both are given.
    both = replace(REPRINT, source_url="https://www.dailynk.com/x")
    assert "https://www.dailynk.com/x (read at https://www.inven.co.kr/b/1)." in plain(both)
    assert "Read via inven.co.kr, \\url{https://www.inven.co.kr/b/1}" in bibtex(both)


def test_an_undated_figure_says_so_and_has_no_year():
    undated = replace(DATED, observed=PartialDate.unknown(), reported_on=None)
    text = plain(undated)
    assert "Observation date not stated." in text and "published" not in text
    entry = bibtex(undated)
    assert "year =" not in entry and "month =" not in entry
    assert "note = {Observation date not stated." in entry
    # A month's figure is cited at its precision.
    monthly = replace(DATED, observed=PartialDate(date(2025, 4, 1), "month"), reported_on=None)
    assert "Observed Apr 2025." in plain(monthly) and "month = apr" in bibtex(monthly)


def test_an_inferred_year_is_marked():
    inferred = replace(DATED, observed=PartialDate(date(2025, 1, 1), "year"), date_inferred=True)
    assert "Observed 2025 (year inferred); published 15 Apr 2025." in plain(inferred)
    assert "Observed 2025 (year inferred)." in bibtex(inferred)


def test_a_withdrawn_figure_says_when():
    text = plain(DATED, withdrawn=date(2026, 5, 3))
    assert text.endswith("Withdrawn from the record on 3 May 2026.")
    assert "Withdrawn from the record on 2026-05-03" in bibtex(DATED, withdrawn=date(2026, 5, 3))


def test_bibtex_escapes_free_text_and_keeps_addresses_readable():
    odd = replace(
        DATED,
        commodity="Rice & beans_mix",
        source_name="A {B} 100% $5 #1 ~x^y\\z",
        source_url="https://example.org/a_b?q=50%25#top",
    )
    entry = bibtex(odd)
    assert "title = {{Rice \\& beans\\_mix, Hyesan" in entry
    assert (
        "author = {{A \\{B\\} 100\\% \\$5 \\#1 \\textasciitilde{}x\\textasciicircum{}y"
        "\\textbackslash{}z}}" in entry
    )
    assert "\\url{https://example.org/a_b?q=50\\%25\\#top}" in entry
    assert bibtex_text("a\nb\tc") == "a b c"
    assert bibtex_url("https://x.org/{a} b") == "https://x.org/\\%7Ba\\%7D\\%20b"


def test_cite_callback_round_trip_and_the_64_byte_limit():
    data = cite_callback([123, 36, 1, 123])
    assert data == "ci:3f.10.1" and cite_ids(data) == (123, 36, 1)
    assert cite_ids(callbacks.decode(data)) == (123, 36, 1)
    many = list(range(10**9, 10**9 + 40))
    data = cite_callback(many)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    kept = cite_ids(data)
    assert kept == tuple(many[: len(kept)]) and 4 < len(kept) < len(many)
    assert cite_ids(cite_callback([10**12 - 1])) == (10**12 - 1,)
    with pytest.raises(ValueError):
        cite_callback([])
    with pytest.raises(ValueError):
        cite_callback([0])


@pytest.mark.parametrize(
    "data",
    [
        *("ci", "ci:", "ci:1..2", "ci:01", "ci:A", "ci:1:2", "ci:-1", "ci:1 ", "ci:1\n"),
        *("ci:zzzzzzzzz", "ci:zzzzzzzz", "p:1", "ci:é", None, "ci:" + "1." * 40),
    ],
)
def test_malformed_cite_data_is_refused(data):
    with pytest.raises(InvalidInput, match="no longer valid"):
        cite_ids(data)
