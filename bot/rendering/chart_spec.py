"""What a chart shows, without drawing it: plain data a worker process draws and a cache keys on.

Nothing here imports matplotlib, so answering a question never pays for it; the drawing is in
`bot.rendering.charts`, run by the chart workers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# Bump when the drawing changes, so charts cached by an older version are drawn again.
RENDERER_VERSION = 1


@dataclass(frozen=True)
class TrendPoint:
    on: date
    low: float
    high: float


@dataclass(frozen=True)
class TrendSeries:
    label: str
    fallback_label: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class TrendChart:
    """A price-trend chart: its series, its title (and an English one for missing glyphs), its axis."""

    series: tuple[TrendSeries, ...]
    title: str
    fallback_title: str
    y_label: str
    width_px: int = 1000
    height_px: int = 600

    @property
    def key(self) -> str:
        """The chart's identity: a digest of everything it draws and of the drawing's version.

        Two requests that would draw the same picture share a key; a figure added, edited or
        withdrawn changes a point (or the dates, or the markets), and so the key.
        """
        shape = {
            "v": RENDERER_VERSION,
            "title": self.title,
            "fallback": self.fallback_title,
            "y": self.y_label,
            "size": [self.width_px, self.height_px],
            "series": [
                [s.label, s.fallback_label, [[p.on.isoformat(), p.low, p.high] for p in s.points]]
                for s in self.series
            ],
        }
        text = json.dumps(shape, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def too_few_points(series: Iterable[TrendSeries]) -> bool:
    """Return True when no series has the two points a line needs."""
    return not any(len(s.points) >= 2 for s in series)
