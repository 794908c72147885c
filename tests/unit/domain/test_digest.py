"""The digest composer and the alert rules, on fixed data."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from babel.messages.extract import extract_from_file

from bot.domain.dates import PartialDate
from bot.domain.prices import Change, Figure
from bot.rendering.digest import (
    ALERT_LEVELS,
    DigestInput,
    ReportDigest,
    SeriesDigest,
    alert_level,
    compose_alert,
    compose_digest,
    escalates,
)
from bot.rendering.html import MAX_CAPTION, MAX_TEXT

TODAY = date(2026, 11, 28)
URL = "https://www.dailynk.com/x?a=1&b=2"
HREF = "https://www.dailynk.com/x?a=1&amp;b=2"
HOSTILE = "<script>alert(1)</script>"
BOT = Path(__file__).resolve().parents[3] / "bot"


def series(
    commodity: str = "Rice",
    market: str = "Hyesan",
    *,
    since: float | None = None,
    four: float | None = None,
    record: bool = False,
    stale: bool = False,
    new: bool = True,
    price: float = 5000,
    observed: str = "2026-11-12",
    source: str = "Daily NK",
    url: str | None = URL,
    reliability: str | None = "B2",
) -> SeriesDigest:
    return SeriesDigest(
        commodity=commodity,
        market=market,
        latest=Figure(price, price, "KPW", "kg"),
        observed=PartialDate.parse(observed),
        source_name=source,
        source_url=url,
        reliability=reliability,
        since_last=None if since is None else Change(since),
        four_weeks=None if four is None else Change(four),
        record_high=record,
        stale=stale,
        is_new=new,
    )


def report(
    place: str = "Hyesan",
    observed: str = "2026-11-20",
    summary: str = "Border trade resumed after the quarantine.",
    source: str = "Rimjin-gang",
    url: str | None = "https://example.org/r/1",
) -> ReportDigest:
    return ReportDigest(place, PartialDate.parse(observed), summary, source, url)


def digest(series_=(), reports=(), scope="Rice, Corn · Hyesan") -> DigestInput:
    return DigestInput(
        scope=scope,
        period_label="week to 28 Nov 2026",
        series=tuple(series_),
        reports=tuple(reports),
        today=TODAY,
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.used: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.used.add(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def assert_valid(message: str, limit: int = MAX_TEXT) -> None:
    """One message: within Telegram's limit, only Telegram tags, each closed inside it."""
    assert 0 < len(message) <= limit
    parser = _Tags()
    parser.feed(message)
    parser.close()
    assert parser.errors == [] and parser.stack == [], message
    assert parser.used <= {"b", "a"}
    # No raw "<" that is not one of our tags, no stray "&" that is not an entity.
    assert re.findall(r"<(?!/?(?:b|a)[ >])", message) == []
    assert re.findall(r"&(?!(?:amp|lt|gt|quot|#x27);)", message) == []


def lines_of(messages: list[str]) -> list[str]:
    return [line for message in messages for line in message.split("\n")]


# Quiet periods


def test_a_quiet_period_is_one_line():
    data = digest([series(new=False), series("Salt", "Sinuiju", new=False, stale=True)])
    messages = compose_digest(data)
    assert messages == [
        "<b>Jangmadang digest</b> · Rice, Corn · Hyesan: nothing new in the week to 28 Nov 2026."
    ]
    assert "\n" not in messages[0]
    assert compose_digest(digest(scope="all commodities · all markets")) == [
        "<b>Jangmadang digest</b> · all commodities · all markets: nothing new in the week to 28 Nov 2026."
    ]


def test_a_report_alone_makes_the_period_not_quiet():
    messages = compose_digest(digest([series(new=False)], [report()]))
    assert len(messages) == 1 and "\n" in messages[0]
    assert "nothing new" not in messages[0]


# The full digest


def test_moves_line_has_every_part_in_order():
    data = digest([series(since=12, four=30, record=True)])
    (message,) = compose_digest(data)
    assert message.split("\n") == [
        "<b>Jangmadang digest</b> · Rice, Corn · Hyesan · week to 28 Nov 2026",
        "",
        "<b>Moves</b>",
        "• <b>Rice</b> · Hyesan: 5,000 KPW/kg · ▲ +12% since last digest (high)"
        " · 4 wk ▲ +30% (severe) · 🔺 record high · 12 Nov 2026"
        f' · <a href="{HREF}">Daily NK</a> B2',
    ]
    assert_valid(message)


def test_classes_are_shown_only_for_high_and_severe_and_missing_changes_are_omitted():
    (message,) = compose_digest(
        digest(
            [
                series("Rice", since=12),
                series("Corn", since=30),
                series("Pork", since=5),
                series("Salt", since=-12.5, four=-5),
                series("Soap"),
            ]
        )
    )
    line = {re.search(r"<b>(\w+)</b>", ln)[1]: ln for ln in message.split("\n") if "•" in ln}
    assert "▲ +12% since last digest (high) ·" in line["Rice"]
    assert "▲ +30% since last digest (severe) ·" in line["Corn"]
    assert "▲ +5% since last digest · 12 Nov 2026" in line["Pork"]
    assert "(" not in line["Pork"].split("·")[2]
    assert "▼ -12% since last digest (high) · 4 wk ▼ -5% · 12 Nov" in line["Salt"]
    assert line["Soap"] == (
        f'• <b>Soap</b> · Hyesan: 5,000 KPW/kg · 12 Nov 2026 · <a href="{HREF}">Daily NK</a> B2'
    )
    assert "record" not in message and "4 wk" not in line["Rice"]


def test_moves_are_ordered_record_and_severe_then_high_then_others_by_size():
    items = [
        series("Apple", since=5),
        series("Bean", since=12),
        series("Corn", since=-40),
        series("Duck", since=2, record=True),
        series("Egg", four=30),
        series("Fish"),
        series("Garlic", since=-15),
        series("Honey", since=3, four=-11),
    ]
    random.Random(7).shuffle(items)
    (message,) = compose_digest(digest(items))
    order = re.findall(r"• <b>(\w+)</b>", message)
    assert order == ["Corn", "Egg", "Duck", "Garlic", "Bean", "Honey", "Apple", "Fish"]


def test_output_is_deterministic_whatever_the_input_order():
    items = [series(f"C{i}", f"M{i % 3}", since=i % 17, new=i % 4 != 0) for i in range(40)]
    items += [series(f"S{i}", stale=True, new=False, observed="2026-03-01") for i in range(5)]
    reports = [report(f"P{i}", f"2026-11-{10 + i}") for i in range(6)]
    expected = compose_digest(digest(items, reports))
    for seed in range(5):
        random.Random(seed).shuffle(items)
        random.Random(seed).shuffle(reports)
        assert compose_digest(digest(items, reports)) == expected


def test_unchanged_series_are_compacted_and_capped():
    unchanged = [series(f"Item{i:02d}", "Sinuiju", new=False, price=100 + i) for i in range(25)]
    (message,) = compose_digest(digest([series(since=12), *unchanged]))
    sections = message.split("\n\n")
    assert sections[2].startswith("<b>Unchanged since last digest</b>\n")
    body = sections[2].split("\n")[1:]
    assert len(body) < 10  # several per line, not one line each
    named = re.findall(r"Item(\d\d) · Sinuiju: (\d+) KPW/kg", sections[2])
    assert named == [(f"{i:02d}", str(100 + i)) for i in range(20)]  # sorted, first 20
    assert body[-1].endswith("; and 5 more")
    assert all(len(line) <= 330 for line in body)


def test_stale_series_are_one_line_with_their_age_and_flagged_when_new():
    data = digest(
        [
            series(since=3),
            series("Salt", "Sinuiju", new=False, stale=True, observed="2026-06-01"),
            series("Coal", "Hyesan", new=False, stale=True, observed="2025-11"),
            series("Soap", "Hyesan", new=True, stale=True, observed="2026-07-01", since=1),
            series("Corn", "Hyesan", new=False),
        ]
    )
    (message,) = compose_digest(data)
    stale = [line for line in message.split("\n") if line.startswith("No new figures")]
    assert stale == [
        "No new figures for over 60 days: Coal · Hyesan (12 months old), Salt · Sinuiju (6 months old)"
    ]
    # A late figure that is itself old is a move, marked stale as in answers.
    soap = next(line for line in message.split("\n") if "<b>Soap</b>" in line)
    assert "1 Jul 2026 ⚠️ stale (over 60 days) ·" in soap
    # Stale series are not listed as unchanged.
    unchanged = message.split("<b>Unchanged since last digest</b>\n")[1].split("\n")[0]
    assert unchanged == "Corn · Hyesan: 5,000 KPW/kg"


def test_many_stale_series_are_capped():
    stale = [series(f"S{i:02d}", new=False, stale=True, observed="2026-01") for i in range(30)]
    (message,) = compose_digest(digest([series(since=1), *stale]))
    line = message.split("\n")[-1]
    assert line.count("Hyesan") == 10 and line.endswith(", and 20 more")


def test_trade_condition_reports_with_and_without_links():
    reports = [
        report("Hyesan", "2026-11-20", "Border trade resumed.", "Rimjin-gang", "https://ex.org/1"),
        report("Sinuiju", "2026-11-25", "Fuel short.", "RFA", None),
        report("Rason", "2026-11", "Quiet month.", "Asia Press", "javascript:alert(1)"),
        report("Hoeryong", "", "Rumours of a crackdown.", "NK News", "ftp://ex.org/f"),
    ]
    (message,) = compose_digest(digest([], reports))
    section = message.split("\n\n")[1].split("\n")
    assert section == [
        "<b>Trade conditions</b>",
        "• 25 Nov 2026 · Sinuiju: Fuel short. — RFA",
        '• 20 Nov 2026 · Hyesan: Border trade resumed. — <a href="https://ex.org/1">Rimjin-gang</a>',
        "• Nov 2026 · Rason: Quiet month. — Asia Press",
        "• date not stated · Hoeryong: Rumours of a crackdown. — NK News",
    ]
    assert "javascript" not in message and "ftp:" not in message


def test_long_summaries_are_cut_on_a_word_boundary_on_one_line():
    words = "The border\nguards at Hyesan were replaced and smuggling slowed " * 10
    (message,) = compose_digest(digest([], [report(summary=words)]))
    line = next(line for line in message.split("\n") if line.startswith("• "))
    summary = line.split(": ", 1)[1].rsplit(" — ", 1)[0]
    assert summary.endswith("…") and len(summary) <= 200
    kept = summary[:-1]
    flat = " ".join(words.split())
    assert flat.startswith(kept) and flat[len(kept)] == " "  # whole words only


def test_hostile_names_are_escaped():
    data = digest(
        [
            series(
                HOSTILE, "<i>Hyesan</i>", since=30, source="<b>evil</b> & co", reliability="<A1>"
            ),
            series(HOSTILE, "Hyesan", new=False),
            series("Salt", HOSTILE, new=False, stale=True, observed="2026-01-01"),
        ],
        [report(HOSTILE, summary=HOSTILE, source=HOSTILE, url='https://x.org/"><script>')],
        scope=HOSTILE,
    )
    for t_messages in (compose_digest(data), compose_digest(replace(data, reports=()))):
        for message in t_messages:
            assert_valid(message)
            assert "<script>" not in message and "<i>" not in message
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message
    message = compose_digest(data)[0]
    assert "&lt;b&gt;evil&lt;/b&gt; &amp; co" in message and "&lt;A1&gt;" in message
    assert 'href="https://x.org/&quot;&gt;&lt;script&gt;"' in message
    alert = compose_alert(data.series[0], "severe", Change(30))
    assert_valid(alert, MAX_CAPTION)
    assert "<script>" not in alert


# Splitting into messages


def many_series(n: int) -> list[SeriesDigest]:
    return [
        series(f"Commodity {i:03d}", f"Market {i % 7}", since=(i % 40) - 20, four=i % 33)
        for i in range(n)
    ]


@pytest.mark.parametrize("max_messages", [1, 2, 3, 5])
def test_500_series_fit_the_allowed_messages_with_a_more_line(max_messages):
    data = digest(
        many_series(500), [report(f"P{i}", f"2026-11-{1 + i % 28:02d}") for i in range(40)]
    )
    messages = compose_digest(data, max_messages=max_messages)
    assert len(messages) == max_messages
    for message in messages:
        assert_valid(message)
    last = messages[-1].split("\n")[-1]
    match = re.fullmatch(
        r"…and (\d+) more series and 40 more reports: ask /price &lt;name&gt; for one", last
    )
    assert match, last
    shown = [line for line in lines_of(messages) if line.startswith("• ")]
    assert len(shown) + int(match[1]) == 500
    # Nothing is cut mid-line: every line shown is a line of the complete digest.
    complete = set(lines_of(compose_digest(data, max_messages=1000)))
    assert set(lines_of(messages)) - {last} <= complete
    # The messages are used, not left half empty.
    assert all(len(message) > MAX_TEXT - 400 for message in messages[:-1])


def test_only_reports_left_over_are_counted_as_reports():
    reports = [report(f"Place {i:03d}", summary="word " * 60) for i in range(80)]
    messages = compose_digest(digest([series(since=1)], reports), max_messages=2)
    assert len(messages) == 2
    last = messages[-1].split("\n")[-1]
    assert re.fullmatch(r"…and \d+ more reports\.", last), last
    shown = sum(line.startswith("• ") for line in lines_of(messages)) - 1
    assert shown + int(re.search(r"\d+", last)[0]) == 80


def test_a_digest_that_fits_has_no_more_line_and_sections_keep_their_heading():
    data = digest(many_series(35))
    messages = compose_digest(data, max_messages=3)
    assert len(messages) == 2 and "more series" not in messages[-1]
    assert sum(line.startswith("• ") for line in lines_of(messages)) == 35
    for message in messages:
        assert_valid(message)
        assert not message.endswith("</b>")  # no heading left alone at the end
        assert not message.startswith("\n") and not message.endswith("\n")


def test_max_messages_must_be_positive():
    with pytest.raises(ValueError):
        compose_digest(digest([series()]), max_messages=0)


def test_huge_labels_and_urls_still_fit():
    big = "&<" * 3000
    data = digest(
        [series(big, big, since=40, source=big, url="https://x.org/" + "&" * 5000, reliability=big)]
        * 3,
        [report(big, summary=big, source=big, url="https://x.org/" + "a" * 9000)],
        scope=big,
    )
    messages = compose_digest(data)
    for message in messages:
        assert_valid(message)
    assert sum(line.startswith("• ") for line in lines_of(messages)) == 4
    alert = compose_alert(data.series[0], "record", Change(40))
    assert_valid(alert, MAX_CAPTION)


# Translation


class Hangul:
    """A Korean-ish translator: known strings in Korean, the rest marked, every request recorded."""

    KOREAN: ClassVar[dict[str, str]] = {
        "Jangmadang digest": "장마당 소식",
        "Moves": "변동",
        "Trade conditions": "거래 상황",
        "record high": "최고가",
        "high": "높음",
        "severe": "심각",
        "{change} since last digest": "지난 소식 이후 {change}",
    }

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def gettext(self, message: str, /) -> str:
        self.asked.add(message)
        return self.KOREAN.get(message, f"⟦{message}⟧")

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        self.asked.update((singular, plural))
        return f"⟦{singular if n == 1 else plural}⟧"


def untranslated(text: str) -> str:
    """Remove every marked (translated) piece, innermost first."""
    while True:
        shorter = re.sub(r"⟦[^⟦⟧]*⟧", "", text)
        if shorter == text:
            return text
        text = shorter


ENGLISH_WORDS = re.compile(
    r"(?i)\b(digest|since|wk|record|moves|unchanged|stale|figures|trade|more|ask|price alert|"
    r"nothing|new|nov|jul|date|previous|and|source)\b"
)


def test_every_user_visible_string_goes_through_the_translator():
    t = Hangul()
    items = [
        series(since=12, four=300, record=True),  # the largest move: shown first
        series("Corn", since=-2, stale=True, observed="2026-05-02", url=None, source=""),
        *[series(f"U{i}", new=False) for i in range(22)],
        *[series(f"S{i}", new=False, stale=True, observed="2026-07") for i in range(12)],
    ]
    reports = [report(summary="국경 무역 재개"), report("Rason", "", summary="조용함")]
    data = replace(digest(items, reports), period_label="11월 28일까지 한 주")  # data: not checked
    (text,) = compose_digest(data, t)
    assert "장마당 소식" in text and "<b>변동</b>" in text and "<b>거래 상황</b>" in text
    assert "지난 소식 이후 ▲ +12% (높음) · ⟦4 wk ▲ +300%⟧ (심각) · 🔺 최고가" in text
    assert "⟦Unchanged since last digest⟧" in text and "⟦No new figures for over 60 days: " in text
    assert "⟦⟦12 ⟦Nov⟧ 2026⟧" not in text and "⟦{day} {month} {year}⟧" not in text
    assert "⟦12 ⟦Nov⟧ 2026⟧" in text  # dates too
    # Past the allowed messages, the "more" line is translated, with its plurals.
    big = compose_digest(replace(data, series=(*items, *many_series(300))), t, max_messages=1)
    assert big[-1].split("\n")[-1] == (
        "⟦…and ⟦⟦314 more series⟧ and ⟦2 more reports⟧⟧: ask ⟦/price &lt;name&gt;⟧ for one⟧"
    )
    quiet = compose_digest(replace(digest(), period_label="11월 28일까지 한 주"), t)
    for message in (text, *big, *quiet):
        assert ENGLISH_WORDS.findall(untranslated(message)) == [], untranslated(message)
    for level, change, record in (("severe", Change(30), False), ("record", None, True)):
        alert = compose_alert(replace(data.series[1], record_high=record), level, change, t)
        assert ENGLISH_WORDS.findall(untranslated(alert)) == [], alert
    assert {"Price alert", "new record high", "source", "stale (over {days} days)"} <= t.asked


def test_every_string_asked_for_is_extracted_by_pybabel():
    extracted: set[str] = set()
    for path in [*BOT.glob("domain/*.py"), *BOT.glob("rendering/*.py")]:
        # The keywords `make i18n` passes (N_ besides the defaults).
        for _, message, _, _ in extract_from_file(
            "python",
            str(path),
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
        ):
            extracted.update([message] if isinstance(message, str) else message)
    t = Hangul()
    data = digest(
        [series(since=12, four=30, record=True, stale=True), *many_series(400)],
        [report()] * 30,
    )
    compose_digest(data, t)
    compose_digest(digest(), t)
    compose_digest(digest([series(new=False, stale=True, observed="2026-01")] * 30, [report()]), t)
    compose_alert(data.series[0], "record", Change(30), t)
    assert t.asked and t.asked <= extracted, t.asked - extracted


# Alerts


def test_alert_level():
    assert alert_level(None, False) == "normal"
    assert alert_level(Change(5), False) == "normal"
    assert alert_level(Change(12), False) == "high"
    assert alert_level(Change(-30), False) == "severe"
    assert alert_level(Change(1), True) == "record"
    assert alert_level(None, True) == "record"
    assert ALERT_LEVELS == ("normal", "high", "severe", "record")


@pytest.mark.parametrize(
    "previous,new,expected",
    [
        ("normal", "severe", True),
        ("severe", "severe", False),
        ("severe", "record", True),
        ("record", "severe", False),
        ("high", "high", False),
        (None, "record", True),
        ("severe", "normal", False),
        (None, "severe", True),
        (None, "high", False),
        (None, "normal", False),
        ("normal", "high", False),
        ("high", "severe", True),
        ("record", "record", False),
    ],
)
def test_escalates(previous, new, expected):
    assert escalates(previous, new) is expected


def test_unknown_alert_levels_are_refused():
    with pytest.raises(ValueError):
        escalates("loud", "severe")
    with pytest.raises(ValueError):
        compose_alert(series(), "loud", None)


def test_compose_alert():
    rice = series(since=30)
    assert compose_alert(rice, "severe", Change(30)) == (
        "⚠️ <b>Price alert</b>: Rice · Hyesan 5,000 KPW/kg, ▲ +30% since the previous figure"
        f' (severe)\n12 Nov 2026 · <a href="{HREF}">Daily NK</a> B2'
    )
    record = compose_alert(series(record=True, url=None, reliability=None), "record", None)
    assert record == (
        "⚠️ <b>Price alert</b>: Rice · Hyesan 5,000 KPW/kg, new record high\n12 Nov 2026 · Daily NK"
    )
    both = compose_alert(series(), "record", Change(-26))
    assert "▼ -26% since the previous figure (severe), new record high" in both
    stale = compose_alert(series(stale=True, observed="2026-01"), "severe", Change(40))
    assert "Jan 2026 ⚠️ stale (over 60 days) · " in stale
    for alert in (record, both, stale):
        assert_valid(alert, MAX_CAPTION)
