"""Price-trend charts drawn to PNG without pyplot (in the chart worker processes, or in a thread)."""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Iterable, Sequence

from matplotlib import dates as mdates
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter

from bot.rendering.chart_spec import TrendChart, TrendPoint, TrendSeries, too_few_points

__all__ = [
    "TrendChart",
    "TrendPoint",
    "TrendSeries",
    "build_trend_figure",
    "render_chart",
    "render_trend_png",
    "too_few_points",
]

MAX_SERIES = 12

# Tableau 10 plus two darker tones, so twelve markets stay distinguishable.
_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#8c6d31",
)
# Shapes as well as colours, for readers who cannot tell some of the colours apart.
_MARKERS = ("o", "s", "^", "D", "v", "P")
# This font draws a placeholder box for every code point: exactly the tofu to avoid.
_EXCLUDED_FONTS = ("Last Resort",)
# Keeps text size in proportion to the image whatever pixel size is asked for.
_FIGURE_WIDTH_IN = 9.0
_INK = "#222222"
_MUTED = "#666666"


@functools.cache
def _font_faces() -> tuple[font_manager.FontEntry, ...]:
    """List the installed font faces that may draw text, regular upright faces first."""
    faces = [f for f in font_manager.fontManager.ttflist if not f.name.startswith(_EXCLUDED_FONTS)]
    return tuple(sorted(faces, key=lambda f: (f.style != "normal", abs(int(f.weight) - 400))))


@functools.cache
def _default_face() -> font_manager.FontEntry:
    """Return the face matplotlib draws plain text with."""
    path = font_manager.findfont(font_manager.FontProperties())
    for face in font_manager.fontManager.ttflist:
        if face.fname == path:
            return face
    return font_manager.FontEntry(fname=path, name=ft2font.FT2Font(path).family_name)


def _missing(face: font_manager.FontEntry, chars: Iterable[str]) -> set[str]:
    try:
        font = ft2font.FT2Font(face.fname, face_index=face.index)
    except (OSError, RuntimeError):
        # A broken or vanished font file draws nothing; it must not break every chart.
        return set(chars)
    return {c for c in chars if font.get_char_index(ord(c)) == 0}


@functools.lru_cache(maxsize=512)
def _font_plan(chars: frozenset[str]) -> tuple[tuple[str, ...], frozenset[str]]:
    """Pick font families that together draw chars; return them and the characters none draws."""
    default = _default_face()
    families = [default.name]
    missing = _missing(default, chars)
    if not missing:
        return tuple(families), frozenset()
    coverage = []
    for face in _font_faces():
        if face.name not in families:
            drawn = missing - _missing(face, missing)
            if drawn:
                coverage.append((face.name, drawn))
    while missing and coverage:
        name, drawn = max(coverage, key=lambda item: len(item[1] & missing))
        if not drawn & missing:
            break
        families.append(name)
        missing -= drawn
        coverage = [item for item in coverage if item[0] != name]
    return tuple(families), frozenset(missing)


def _chars(texts: Iterable[str]) -> frozenset[str]:
    # Fonts may lack a glyph for a space or line break, but those never draw as a box.
    return frozenset(c for text in texts for c in text if not c.isspace())


class _GroupedNumberFormatter(Formatter):
    """Format ticks with thousands separators and only the decimals the tick step needs."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:,.{self._decimals(self.locs)}f}"

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        self.set_locs(list(values))
        decimals = self._decimals(values)
        return [f"{v:,.{decimals}f}" for v in values]

    @staticmethod
    def _decimals(values: Sequence[float]) -> int:
        steps = [abs(b - a) for a, b in itertools.pairwise(values) if b != a]
        if not steps:
            return 0
        return min(6, max(0, -math.floor(math.log10(min(steps)) + 1e-9)))


def _shown_series(series: Sequence[TrendSeries]) -> tuple[list[TrendSeries], int]:
    """Keep the MAX_SERIES series with most points, in their given order."""
    drawable = [s for s in series if s.points]
    if len(drawable) <= MAX_SERIES:
        return drawable, 0
    ranked = sorted(range(len(drawable)), key=lambda i: (-len(drawable[i].points), i))
    kept = sorted(ranked[:MAX_SERIES])
    return [drawable[i] for i in kept], len(drawable) - MAX_SERIES


def _marker_size(count: int) -> float:
    # Dense daily series turn into a smear of markers at full size.
    if count <= 30:
        return 5.5
    return 3.5 if count <= 120 else 2.0


def build_trend_figure(
    series: Sequence[TrendSeries],
    *,
    title: str,
    fallback_title: str,
    y_label: str,
    width_px: int = 1000,
    height_px: int = 600,
) -> Figure:
    """Build the trend chart as a Figure that belongs to no pyplot state."""
    if width_px < 200 or height_px < 150:
        raise ValueError(f"chart size {width_px}x{height_px} is too small")
    shown, hidden = _shown_series(series)
    families, undrawable = _font_plan(_chars([title, y_label, *(s.label for s in shown)]))

    def pick(text: str, fallback: str) -> str:
        return fallback if undrawable & set(text) else text

    dpi = width_px / _FIGURE_WIDTH_IN
    fig = Figure(
        figsize=(_FIGURE_WIDTH_IN, height_px / dpi),
        dpi=dpi,
        facecolor="white",
        layout=ConstrainedLayoutEngine(w_pad=0.15, h_pad=0.12),
    )
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    family = list(families)

    banded = False
    for index, item in enumerate(shown):
        points = sorted(item.points, key=lambda p: p.on)
        # matplotlib's stubs leave date2num unannotated.
        xs = mdates.date2num([p.on for p in points])  # type: ignore[no-untyped-call]
        lows = [min(p.low, p.high) for p in points]
        highs = [max(p.low, p.high) for p in points]
        mids = [(lo + hi) / 2 for lo, hi in zip(lows, highs, strict=True)]
        colour = _COLOURS[index % len(_COLOURS)]
        if any(hi > lo for lo, hi in zip(lows, highs, strict=True)):
            banded = True
            if len(points) > 1:
                ax.fill_between(xs, lows, highs, color=colour, alpha=0.2, linewidth=0)
            else:
                # A band needs two dates; one sighting gets a bar over its range instead.
                ax.vlines(xs, lows, highs, color=colour, alpha=0.35, linewidth=6)
        ax.plot(
            xs,
            mids,
            color=colour,
            linewidth=2,
            marker=_MARKERS[index % len(_MARKERS)],
            markersize=_marker_size(len(points)),
            markeredgecolor="white",
            markeredgewidth=0.8,
            label=pick(item.label, item.fallback_label),
            zorder=3,
        )

    # matplotlib's stubs leave AutoDateLocator and ConciseDateFormatter unannotated.
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_formatter(_GroupedNumberFormatter())
    ax.margins(x=0.02, y=0.08)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#bbbbbb")
    ax.tick_params(colors=_MUTED, labelsize=9, length=3)
    # Market names are plain text; a "$" in one must not switch on mathtext.
    ax.set_title(
        pick(title, fallback_title),
        loc="left",
        fontsize=14,
        fontweight="bold",
        color=_INK,
        pad=12,
        parse_math=False,
        fontfamily=family,
    )
    ax.set_ylabel(y_label, color=_MUTED, fontsize=10, parse_math=False, fontfamily=family)

    if not shown:
        ax.text(0.5, 0.5, "No prices", transform=ax.transAxes, ha="center", color=_MUTED)
        return fig
    handles, labels = ax.get_legend_handles_labels()
    if banded:
        handles.append(Patch(facecolor="#888888", alpha=0.25, linewidth=0))
        labels.append("low–high range")
    outside = len(shown) > 4
    legend = ax.legend(
        handles,
        labels,
        title=f"+{hidden} more markets" if hidden else None,
        prop={"family": family, "size": 9},
        title_fontproperties={"family": family, "size": 9, "style": "italic"},
        frameon=not outside,
        framealpha=0.9,
        edgecolor="#dddddd",
        loc="upper left" if outside else "best",
        bbox_to_anchor=(1.01, 1.0) if outside else None,
        borderaxespad=0.0 if outside else 0.6,
        alignment="left",
    )
    for text in [*legend.get_texts(), legend.get_title()]:
        text.set_parse_math(False)
        text.set_color(_INK)
    return fig


def render_trend_png(
    series: Sequence[TrendSeries],
    *,
    title: str,
    fallback_title: str,
    y_label: str,
    width_px: int = 1000,
    height_px: int = 600,
) -> bytes:
    """Render the trend chart to PNG bytes of about width_px by height_px."""
    fig = build_trend_figure(
        series,
        title=title,
        fallback_title=fallback_title,
        y_label=y_label,
        width_px=width_px,
        height_px=height_px,
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buffer.getvalue()


def render_chart(chart: TrendChart) -> bytes:
    """Render a chart as described to PNG bytes."""
    return render_trend_png(
        chart.series,
        title=chart.title,
        fallback_title=chart.fallback_title,
        y_label=chart.y_label,
        width_px=chart.width_px,
        height_px=chart.height_px,
    )
