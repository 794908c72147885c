"""Trend charts: valid PNGs, bands, font fallback, the series cap, no leaks, thread use."""

from __future__ import annotations

import gc
import io
import struct
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.font_manager import FontEntry
from PIL import Image

from bot.rendering import charts
from bot.rendering.charts import (
    TrendPoint,
    TrendSeries,
    build_trend_figure,
    render_trend_png,
    too_few_points,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2026, 3, 1)


def make_series(
    label: str = "Pyongyang",
    fallback: str = "Pyongyang",
    count: int = 6,
    spread: float = 300.0,
    base: float = 5000.0,
) -> TrendSeries:
    points = tuple(
        TrendPoint(START + timedelta(days=7 * i), base + 50 * i - spread, base + 50 * i + spread)
        for i in range(count)
    )
    return TrendSeries(label, fallback, points)


def render(series: list[TrendSeries], **kwargs: int) -> bytes:
    return render_trend_png(
        series, title="Rice", fallback_title="Rice", y_label="KPW per kg", **kwargs
    )


def build(series: list[TrendSeries], title: str = "Rice", fallback_title: str = "Rice"):
    return build_trend_figure(
        series, title=title, fallback_title=fallback_title, y_label="KPW per kg"
    )


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


@pytest.fixture
def fonts(monkeypatch):
    """Let a test decide which fonts exist, and keep its font decisions out of other tests."""
    charts._font_plan.cache_clear()
    yield monkeypatch
    charts._font_plan.cache_clear()


def test_png_decodes_at_about_the_requested_size():
    png = render(
        [make_series(), make_series("Hyesan", "Hyesan", base=6000)], width_px=800, height_px=500
    )
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert abs(width - 800) <= 2
    assert abs(height - 500) <= 2
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (width, height)


def test_rendering_is_repeatable():
    series = [make_series(), make_series("Hyesan", "Hyesan", base=6000)]
    assert render(series) == render(series)


def test_a_price_range_is_shaded_and_a_single_price_is_not():
    fig = build([make_series("Ranged", "Ranged"), make_series("Exact", "Exact", spread=0)])
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    ranged_line = next(line for line in ax.get_lines() if line.get_label() == "Ranged")
    assert bands[0].get_facecolor()[0][:3] == pytest.approx(
        plt.matplotlib.colors.to_rgb(ranged_line.get_color())
    )
    assert bands[0].get_alpha() == pytest.approx(0.2)
    assert legend_texts(fig) == ["Ranged", "Exact", "low–high range"]


def test_lines_run_through_the_midpoints_in_date_order():
    points = (TrendPoint(START + timedelta(days=7), 90, 110), TrendPoint(START, 40, 60))
    fig = build([TrendSeries("A", "A", points)])
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [50, 100]


def test_korean_labels_fall_back_to_english_without_a_cjk_font(fonts):
    fonts.setattr(charts, "_font_faces", lambda: ())
    fig = build(
        [make_series("평양 통일시장", "Pyongyang (Tongil)"), make_series("Ryŏmyŏng", "Ryomyong")],
        title="쌀 가격",
        fallback_title="Rice price",
    )
    assert fig.axes[0].get_title(loc="left") == "Rice price"
    # Latin letters with breves are in the default font, so that label stays as written.
    assert legend_texts(fig)[:2] == ["Pyongyang (Tongil)", "Ryŏmyŏng"]


def test_korean_labels_are_kept_when_a_font_can_draw_them(fonts):
    default = charts._default_face()
    cjk = FontEntry(fname="/fonts/cjk.ttf", name="Test CJK")
    drawn = {default.name: set("Rice"), cjk.name: set("평양쌀")}
    fonts.setattr(charts, "_font_faces", lambda: (default, cjk))
    fonts.setattr(
        charts, "_missing", lambda face, chars: {c for c in chars if c not in drawn[face.name]}
    )
    assert charts._font_plan(charts._chars(["Rice 평양"])) == (
        ("DejaVu Sans", "Test CJK"),
        frozenset(),
    )
    assert charts._font_plan(charts._chars(["평양 中"])) == (
        ("DejaVu Sans", "Test CJK"),
        frozenset("中"),
    )
    fig = build([make_series("평양", "Pyongyang"), make_series("平壤", "Pyongyang")], title="쌀")
    assert fig.axes[0].get_title(loc="left") == "쌀"
    assert legend_texts(fig)[:2] == ["평양", "Pyongyang"]


def test_the_last_resort_font_never_counts_as_drawing_a_glyph():
    assert not any(face.name.startswith("Last Resort") for face in charts._font_faces())


def test_no_more_than_twelve_series_and_the_rest_are_counted():
    series = [make_series(f"M{n:02d}", f"M{n:02d}", count=n, base=1000 * n) for n in range(1, 16)]
    fig = build(series)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        f"M{n:02d}" for n in range(4, 16)
    ]
    assert fig.axes[0].get_legend().get_title().get_text() == "+3 more markets"
    assert render(series).startswith(PNG_SIGNATURE)


def test_too_few_points():
    one = make_series(count=1)
    assert too_few_points([])
    assert too_few_points([one, make_series(count=0)])
    assert not too_few_points([one, make_series(count=2)])


def test_single_points_and_empty_input_still_render():
    assert render([make_series(count=1)]).startswith(PNG_SIGNATURE)
    assert render([]).startswith(PNG_SIGNATURE)


def test_a_dollar_sign_is_not_mathtext():
    fig = build([make_series("$5 stall", "$5 stall")], title="Price in $ and $", fallback_title="x")
    assert fig.axes[0].get_title(loc="left") == "Price in $ and $"
    assert render([make_series("$5 stall $", "x")]).startswith(PNG_SIGNATURE)


def test_ticks_use_thousands_separators_and_needed_decimals():
    formatter = charts._GroupedNumberFormatter()
    assert formatter.format_ticks([0, 2500, 5000, 12500]) == ["0", "2,500", "5,000", "12,500"]
    assert formatter.format_ticks([1.2, 1.25, 1.3]) == ["1.20", "1.25", "1.30"]


def test_tiny_sizes_are_refused():
    with pytest.raises(ValueError, match="too small"):
        render([make_series()], width_px=50, height_px=50)


def test_many_renders_leave_no_figures_behind():
    before = plt.get_fignums()
    for _ in range(50):
        render([make_series()], width_px=400, height_px=240)
    assert plt.get_fignums() == before
    fig = build([make_series()])
    ref = weakref.ref(fig)
    del fig
    gc.collect()
    assert ref() is None


def test_renders_in_worker_threads():
    jobs = [[make_series(base=1000 * n), make_series("B", "B", base=1500 * n)] for n in range(1, 9)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pngs = list(pool.map(render, jobs))
    assert all(png.startswith(PNG_SIGNATURE) for png in pngs)
    assert pngs[0] == render(jobs[0])
