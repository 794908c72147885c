"""Imported once by the chart workers' fork server: matplotlib and the fonts loaded, one small
chart drawn, so every worker forked from it starts warm."""

from __future__ import annotations

from datetime import date

from bot.rendering.chart_spec import TrendChart, TrendPoint, TrendSeries
from bot.rendering.charts import render_chart


def _warm_up() -> None:
    points = (TrendPoint(date(2024, 1, 1), 1.0, 2.0), TrendPoint(date(2024, 2, 1), 2.0, 3.0))
    render_chart(
        TrendChart(
            series=(TrendSeries("혜산 Hyesan 惠山", "Hyesan", points),),
            title="warm-up",
            fallback_title="warm-up",
            y_label="KPW/kg",
            width_px=300,
            height_px=200,
        )
    )


_warm_up()
