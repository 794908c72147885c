"""Figures, changes and the HTML answers built from them."""

from datetime import date

from telegram.constants import MessageLimit

from bot.domain.dates import PartialDate
from bot.domain.prices import Figure, MarketPrice, Observation, change_between, format_number
from bot.rendering import answers
from bot.rendering import html as render

TODAY = date(2026, 11, 28)


def obs(
    low,
    high,
    *,
    observed="",
    note=None,
    market="Hyesan",
    source_url="https://example.org/?a=1&b=2",
    **kw,
):
    return Observation(
        id=1,
        commodity="Lingzhi",
        market=market,
        market_parent="Ryanggang",
        figure=Figure(low, high, kw.pop("currency", "CNY"), kw.pop("unit", "kg")),
        grade=kw.pop("grade", None),
        price_type=kw.pop("price_type", "retail"),
        observed=PartialDate.parse(observed),
        reported_on=None,
        source_name=kw.pop("source", "Daily NK"),
        source_url=source_url,
        reliability="B3",
        note=note,
    )


def test_numbers_and_figures_read_naturally():
    assert (
        format_number(1200) == "1,200"
        and format_number(0.5) == "0.5"
        and format_number(8130.5) == "8,130.5"
    )
    assert Figure(500, 1200, "CNY", "kg").text() == "500-1,200 CNY/kg"
    assert Figure(50, 50, "CNY", "600 g").text() == "50 CNY per 600 g"
    assert Figure(8130, 8130, "KPW", "USD").text() == "8,130 KPW per USD"


def test_change_classes_follow_the_wfp_thresholds():
    base = Figure(100, 100, "KPW", "kg")
    assert change_between(base, Figure(105, 105, "KPW", "kg")).level == "normal"
    assert change_between(base, Figure(110, 110, "KPW", "kg")).level == "high"
    assert change_between(base, Figure(125, 125, "KPW", "kg")).level == "high"
    assert change_between(base, Figure(126, 126, "KPW", "kg")).level == "severe"
    assert change_between(base, Figure(70, 70, "KPW", "kg")).level == "severe"
    # Different units or currencies are different series: no change is claimed.
    assert change_between(base, Figure(100, 100, "CNY", "kg")) is None
    assert change_between(base, Figure(100, 100, "KPW", "600 g")) is None


def test_range_change_uses_midpoints():
    change = change_between(Figure(200, 300, "CNY", "kg"), Figure(500, 1200, "CNY", "kg"))
    assert round(change.percent) == 240 and change.level == "severe"


def test_answer_keeps_range_source_grade_and_escapes_everything():
    item = MarketPrice(latest=obs(500, 1200, note="<script>&"), previous=obs(200, 300))
    text = answers.price_answer("Lingzhi <b>", [item], today=TODAY)
    assert "500-1,200 CNY/kg" in text and "range as reported" in text
    assert "&lt;script&gt;&amp;" in text and "Lingzhi &lt;b&gt;" in text
    assert '<a href="https://example.org/?a=1&amp;b=2">Daily NK</a>' in text
    assert "reliability B3" in text and "date not stated" in text
    assert "+240%" in text and "severe" in text


def test_old_figures_are_marked_stale_and_fresh_ones_are_not():
    stale = answers.market_price_block(
        MarketPrice(obs(1, 1, observed="2026-08-01"), None), today=TODAY
    )
    fresh = answers.market_price_block(
        MarketPrice(obs(1, 1, observed="2026-11-20"), None), today=TODAY
    )
    assert "stale" in stale and "stale" not in fresh and "8 days old" in fresh


def test_split_message_respects_the_limit_and_line_boundaries():
    blocks = [f"<b>Market {i}</b>\n" + "\n".join(["line"] * 30) for i in range(200)]
    text = "\n\n".join(blocks)
    chunks = render.split_message(text)
    assert len(chunks) > 1
    assert all(len(c) <= MessageLimit.MAX_TEXT_LENGTH for c in chunks)
    assert "".join(c.replace("\n", "") for c in chunks) == text.replace("\n", "")
    # Every chunk starts at a block boundary, so no tag is cut in half.
    assert all(c.startswith("<b>Market") for c in chunks)


def test_limits_match_telegram_constants():
    assert render.MAX_TEXT == MessageLimit.MAX_TEXT_LENGTH
    assert render.MAX_CAPTION == MessageLimit.CAPTION_LENGTH


def test_html_to_plain_keeps_link_targets():
    assert (
        render.html_to_plain('<b>5 &amp; 6</b> <a href="https://x.org">src</a>')
        == "5 & 6 src <https://x.org>"
    )
