"""Charts kept by what they show: PNG and file_id, least recently used evicted, a refused
file_id dropped; and a chart's identity follows its figures."""

from __future__ import annotations

from datetime import date, timedelta

from bot.rendering.chart_spec import TrendChart, TrendPoint, TrendSeries
from bot.services.chart_cache import ChartCache
from tests.support.clock import NOW

PNG = b"\x89PNG\r\n\x1a\n"


class Ticking:
    """A clock that moves an hour on every read."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        self.now += timedelta(hours=1)
        return self.now


def chart(*prices: float, title: str = "Rice, KPW/kg") -> TrendChart:
    points = tuple(
        TrendPoint(date(2026, 1, 1) + timedelta(days=30 * i), p, p) for i, p in enumerate(prices)
    )
    return TrendChart(
        series=(TrendSeries("Hyesan", "Hyesan", points),),
        title=title,
        fallback_title=title,
        y_label="KPW/kg",
    )


def test_a_chart_is_known_by_what_it_draws():
    assert chart(8000, 8500).key == chart(8000, 8500).key
    # A figure added, edited or withdrawn, or another title (another language): another chart.
    keys = {
        chart(8000, 8500).key,
        chart(8000, 8500, 9000).key,
        chart(8000, 8600).key,
        chart(8000).key,
        chart(8000, 8500, title="쌀, KPW/kg").key,
    }
    assert len(keys) == 5 and all(len(k) == 64 for k in keys)


def test_png_and_file_id_kept_and_the_least_recently_used_evicted(engine):
    cache = ChartCache(engine=engine, clock=Ticking(), keep=2)
    a, b, c = (chart(1, p).key for p in (2, 3, 4))
    assert cache.find(a) is None
    cache.store(a, png=PNG + b"a")
    cache.store(b, png=PNG + b"b", file_id="AgAC-b")
    stored = cache.find(a)  # used again: b is now the oldest
    assert stored is not None and stored.png == PNG + b"a" and stored.file_id is None
    cache.store(a, png=PNG + b"a", file_id="AgAC-a")
    cache.store(c, png=PNG + b"c")
    assert cache.count() == 2
    assert cache.find(b) is None
    kept = cache.find(a)
    assert kept is not None and kept.file_id == "AgAC-a"
    # Telegram refused the file_id: the PNG stays, to be uploaded again.
    cache.forget_file_id(a, "AgAC-a")
    kept = cache.find(a)
    assert kept is not None and kept.file_id is None and kept.png == PNG + b"a"


def test_storing_a_chart_twice_keeps_one_row(engine):
    cache = ChartCache(engine=engine, clock=Ticking(), keep=10)
    key = chart(5, 6).key
    cache.store(key, png=PNG)
    cache.store(key, png=PNG, file_id="AgAC-1")
    assert cache.count() == 1 and cache.find(key).file_id == "AgAC-1"
