"""Comparing markets and charting trends for one commodity."""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import cast

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.dates import PartialDate
from bot.domain.i18n import N_
from bot.domain.prices import (
    STALE_AFTER_DAYS,
    best_window,
    change_between,
    convert,
    format_number,
)
from bot.domain.text import shorten, utf16_len
from bot.i18n import translator
from bot.rendering import answers, browse
from bot.rendering import chart_spec as charts
from bot.rendering.html import MAX_CAPTION, esc, html_to_plain
from bot.rendering.replies import Reply
from bot.services.catalogue import Catalogue
from bot.services.market_figures import nearest_rate, per_base, to_observation
from bot.services.prices import Question
from db import repo
from db.models import PriceObservation

COMPARE_USAGE = N_(
    "Name a commodity: <code>/compare rice</code> or <code>/compare corn last month</code>."
)
TREND_USAGE = N_(
    "Name a commodity, optionally a place and a period: <code>/trend corn hyesan since 2021</code>."
)


def compare(
    engine: Engine,
    catalogue: Catalogue,
    question: Question,
    *,
    today: date,
    lang: str,
    extreme: str | None = None,
) -> Reply:
    """Put the markets' figures for one period side by side, in one currency and unit.

    The markets are those the question names (with the places inside them), or all. With
    `extreme` ("cheapest" or "dearest") the table is sorted that way and its first line names
    the market.
    """
    t = translator(lang)
    name = catalogue.commodity_labels[question.commodity_id].in_lang(lang)
    with Session(engine) as session:
        rows = repo.recent_prices(
            session,
            commodity_id=question.commodity_id,
            market_ids=question.market_ids(catalogue),
            per_market=24,
            start=question.start,
            end=question.end,
        )
        dated = [r for r in rows if r.observed_on is not None]
        if not dated:
            return Reply(
                text=esc(t.gettext("No dated figures for {name} to compare.").format(name=name))
            )
        if question.start is None and question.end is None:
            # One period for all: the staleness-sized window that the most markets report in.
            window = best_window([(r.sort_on, r.market_id) for r in dated], STALE_AFTER_DAYS)
            assert window is not None
            start, end = window
        else:
            start, end = question.start or date.min, question.end or today
        chosen: OrderedDict[int, repo.PriceRow] = OrderedDict()
        for row in dated:
            if start <= row.sort_on <= end and row.market_id not in chosen:
                chosen[row.market_id] = row
        currency = (
            question.currency or Counter(r.currency for r in chosen.values()).most_common(1)[0][0]
        )
        rates = repo.nearest_rates(
            session,
            # nearest_rates only reads `.id`, which a result row has like the model; its
            # signature names the model alone.
            observations=cast(list[PriceObservation], list(chosen.values())),
            rate_commodities={
                code: cid
                for code, cid in catalogue.currency_commodities.items()
                if cid != question.commodity_id
            },
        )
    compare_rows = []
    for picked in chosen.values():
        obs = to_observation(picked, catalogue, lang=lang)
        base = per_base(picked)
        figure, converted = base, False
        if picked.currency != currency:
            market_rates = {
                c: nearest_rate(obs, rs, catalogue, lang)
                for c, rs in rates.get(picked.id or 0, {}).items()
            }
            conversion = convert(replace(obs, figure=base), market_rates, currency)
            if conversion is None:
                continue
            figure, converted = conversion.figure, True
        compare_rows.append(
            browse.CompareRow(
                market=obs.market,
                figure=figure,
                original=obs.figure,
                converted=converted,
                observed=obs.observed,
                source_name=obs.source_name,
                price_type=obs.price_type,
            )
        )
    shown = {r.market for r in compare_rows}
    missing = sorted({catalogue.market_labels[r.market_id].in_lang(lang) for r in dated} - shown)
    missing += [
        catalogue.market_labels[m].in_lang(lang)
        for m in question.markets
        if catalogue.market_labels[m].in_lang(lang) not in shown | set(missing)
        and not set(catalogue.descendants(m)) & {r.market_id for r in chosen.values()}
    ]
    period = question.period_label or answers.date_range_label(_partial(start), _partial(end), t)
    if not compare_rows:
        return Reply(
            text=esc(
                t.gettext("No figures for {name} in one currency to compare for {period}.").format(
                    name=name, period=period
                )
            )
        )
    table = browse.compare_table(
        name,
        compare_rows,
        period=period,
        missing=missing,
        t=t,
        cheapest_first=extreme == "cheapest",
    )
    if extreme is not None:
        table = browse.extreme_line(compare_rows, extreme=extreme, t=t) + "\n\n" + table
    return Reply(text=table)


def _partial(day: date) -> PartialDate:
    return PartialDate(day, "day")


def trend(engine: Engine, catalogue: Catalogue, question: Question, *, lang: str) -> Reply:
    """Chart a commodity's history, one line per market with its low-high band; a table if too few points."""
    t = translator(lang)
    english = translator("en")
    market_ids = question.market_ids(catalogue)
    with Session(engine) as session:
        rows = repo.price_history(
            session,
            commodity_id=question.commodity_id,
            market_ids=market_ids,
            start=question.start,
            end=question.end,
        )
    name = catalogue.commodity_labels[question.commodity_id].in_lang(lang)
    if not rows:
        return Reply(text=esc(t.gettext("No dated figures for {name} to chart.").format(name=name)))
    # One chart, one currency, unit and price type (an official rate never joins market rates):
    # the most common; others are left out and said so.
    currency, base, price_type = Counter(
        (r.currency, r.unit_base, r.price_type) for r in rows
    ).most_common(1)[0][0]
    kept = [
        r for r in rows if (r.currency, r.unit_base, r.price_type) == (currency, base, price_type)
    ]
    by_market: OrderedDict[int, list[PriceObservation]] = OrderedDict()
    for row in kept:
        by_market.setdefault(row.market_id, []).append(row)
    series = [
        charts.TrendSeries(
            label=catalogue.market_labels[m].in_lang(lang),
            fallback_label=catalogue.market_labels[m].en,
            points=tuple(
                charts.TrendPoint(
                    r.sort_on, r.per_base_low or r.price_low, r.per_base_high or r.price_high
                )
                for r in points
            ),
        )
        for m, points in by_market.items()
    ]
    sources = Counter(r.source_name for r in kept)
    source_text = ", ".join(f"{s} ({n})" for s, n in sources.most_common())
    first = PartialDate(kept[0].observed_on, kept[0].observed_precision)
    last = PartialDate(kept[-1].observed_on, kept[-1].observed_precision)
    unit = f"{currency}/{base}"
    heading = t.gettext("{name}, {unit}, {start} to {end}").format(
        name=name, unit=unit, start=first.label(t), end=last.label(t)
    )
    left_out = len(rows) - len(kept)
    note = ""
    if left_out:
        note = "\n" + t.ngettext(
            "{n} figure of another currency, unit or price type is not shown.",
            "{n} figures of other currencies, units or price types are not shown.",
            left_out,
        ).format(n=left_out)
    if charts.too_few_points(series):
        lines = [f"<b>{esc(heading)}</b>"]
        for r in kept:
            obs = to_observation(r, catalogue, lang=lang)
            lines.append(
                f"{esc(obs.observed.label(t))} · {esc(obs.market)}: {answers.figure_text(obs.figure, t)} · {esc(obs.source_name)}"
            )
        lines.append(esc(t.gettext("Too few figures for a chart.")) + esc(note))
        return Reply(text="\n".join(lines))
    chart = charts.TrendChart(
        series=tuple(series),
        title=heading,
        fallback_title=english.gettext("{name}, {unit}, {start} to {end}").format(
            name=catalogue.commodity_labels[question.commodity_id].en,
            unit=unit,
            start=first.label(english),
            end=last.label(english),
        ),
        y_label=unit,
    )
    caption = (
        f"<b>{esc(heading)}</b>\n"
        + esc(t.gettext("Midpoints with the reported low-high range shaded."))
        + esc(note)
    )
    caption += "\n" + esc(t.gettext("Sources: {sources}").format(sources=source_text))
    return Reply(text="", chart=chart, caption=_fit_caption(caption))


def _fit_caption(caption: str) -> str:
    # Captions are built from escaped pieces; cutting at a line end keeps every tag whole.
    if utf16_len(caption) <= MAX_CAPTION:
        return caption
    lines = caption.split("\n")
    while lines and utf16_len("\n".join(lines)) > MAX_CAPTION - 2:
        lines.pop()
    if lines:
        return "\n".join(lines) + "\n…"
    return esc(shorten(html_to_plain(caption), MAX_CAPTION - 40))


@dataclass(frozen=True)
class _Move:
    market_id: int
    first: PriceObservation
    last: PriceObservation


def change(
    engine: Engine, catalogue: Catalogue, question: Question, *, today: date, lang: str
) -> Reply:
    """Answer "how much did X rise": the figure at the start of the period and the latest, per market.

    The start is the figure nearest in date to the period's first day (its date shown); without a
    period the past year. Both figures are of one series (currency, unit, price type).
    """
    t = translator(lang)
    name = catalogue.commodity_labels[question.commodity_id].in_lang(lang)
    if question.start is not None:
        target, label = question.start, question.period_label or question.start.isoformat()
    else:
        target = _year_before(today)
        label = t.gettext("past year")
    end = question.end or today
    with Session(engine) as session:
        rows = repo.price_history(
            session,
            commodity_id=question.commodity_id,
            market_ids=question.market_ids(catalogue),
            end=end,
        )
    by_market: OrderedDict[int, list[PriceObservation]] = OrderedDict()
    for row in rows:
        by_market.setdefault(row.market_id, []).append(row)
    moves: list[_Move] = []
    single: list[str] = []
    for market_id, market_rows in by_market.items():
        last = market_rows[-1]
        series = [r for r in market_rows if _series_key(r) == _series_key(last) and r is not last]
        earlier = [r for r in series if r.sort_on < last.sort_on]
        if last.sort_on < target or not earlier:
            # Nothing in the period, or one figure only: no change to tell.
            single.append(catalogue.market_labels[market_id].in_lang(lang))
            continue
        first = min(earlier, key=lambda r: (abs((r.sort_on - target).days), r.sort_on))
        moves.append(_Move(market_id, first, last))
    heading = (
        "<b>" + esc(name) + "</b> — " + esc(t.gettext("change, {period}").format(period=label))
    )
    if not moves:
        text = (
            heading
            + "\n"
            + esc(t.gettext("Not enough dated figures to show a change for this period."))
        )
        if rows:
            newest = max(rows, key=lambda r: r.sort_on)
            text += "\n" + esc(
                t.gettext(
                    "The latest figure is from {date}; try a longer period, e.g. “since {year}”."
                ).format(
                    date=PartialDate(newest.observed_on, newest.observed_precision).label(t),
                    year=newest.sort_on.year - 1,
                )
            )
        return Reply(text=text)
    moves.sort(key=lambda m: (m.market_id not in question.markets, _label(catalogue, m, lang)))
    blocks = [_move_block(catalogue, m, target, lang) for m in moves[:_MAX_MOVES]]
    lines = [heading, *blocks]
    if single:
        lines.append(
            esc(
                t.gettext("One figure or none in the period: {places}.").format(
                    places="; ".join(single)
                )
            )
        )
    lines.append(
        "<i>"
        + esc(
            t.gettext(
                "Compared on range midpoints within one series; WFP's classes: a change "
                "above 10%: high, above 25%: severe."
            )
        )
        + "</i>"
    )
    return Reply(text="\n\n".join(lines))


_MAX_MOVES = 12
_FAR_DAYS = 45


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + timedelta(days=1)


def _series_key(row: PriceObservation) -> tuple[str, str, str]:
    return (row.currency, row.unit_base, row.price_type)


def _label(catalogue: Catalogue, move: _Move, lang: str) -> str:
    return catalogue.market_labels[move.market_id].in_lang(lang)


def _move_block(catalogue: Catalogue, move: _Move, target: date, lang: str) -> str:
    t = translator(lang)
    first, last = (to_observation(r, catalogue, lang=lang) for r in (move.first, move.last))
    before = per_base(move.first)
    after = per_base(move.last)
    moved = change_between(before, after)
    unit = f"{after.currency}/{after.unit}" if after.unit != after.currency else after.currency
    line = (
        f"📍 <b>{esc(last.market)}</b>: {esc(before.amount())} → {esc(after.amount())} {esc(unit)}"
    )
    if moved is not None:
        difference = after.mid - before.mid
        sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
        line += f"  <b>{esc(moved.text())}</b> ({sign}{esc(format_number(abs(difference)))} {esc(unit)})"
        if moved.level in answers.CHANGE_LEVELS:
            line += " " + esc(t.gettext(answers.CHANGE_LEVELS[moved.level]))
    when = t.gettext("from {start} ({first_source}) to {end} ({last_source})").format(
        start=first.observed.label(t),
        first_source=first.source_name,
        end=last.observed.label(t),
        last_source=last.source_name,
    )
    text = line + "\n" + esc(when)
    if abs((move.first.sort_on - target).days) > _FAR_DAYS:
        text += (
            "\n<i>"
            + esc(
                t.gettext("The nearest figure to {day} is from {start}.").format(
                    day=target.isoformat(), start=first.observed.label(t)
                )
            )
            + "</i>"
        )
    return text
