"""Price answers rendered as Telegram HTML in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.dates import PartialDate, age_label
from bot.domain.i18n import ENGLISH, N_, Translator
from bot.domain.prices import (
    SOURCES_DISAGREE,
    STALE_AFTER_DAYS,
    Conversion,
    Figure,
    MarketPrice,
    Observation,
    format_number,
)
from bot.domain.text import shorten
from bot.rendering.html import esc, link

__all__ = ["esc"]

PRICE_TYPE_LABELS = {
    "retail": N_("retail"),
    "wholesale": N_("wholesale"),
    "state_purchase": N_("state purchase price"),
    "farm_gate": N_("farm-gate price"),
    "middleman": N_("paid by traders/smugglers"),
    "export": N_("export price"),
    "ration": N_("ration (PDS) price"),
    "market": N_("market rate"),
    "official": N_("official rate"),
}
CHANGE_LEVELS = {"high": N_("high"), "severe": N_("severe")}


def figure_text(figure: Figure, t: Translator) -> str:
    """Return a figure with its unit and currency, escaped."""
    return esc(figure.text(t))


def conversion_text(conversion: Conversion, t: Translator) -> str:
    """Return "≈ 0.98-2.35 USD/kg (converted at market rates: ...)"."""
    _ = t.gettext
    rates = "; ".join(
        _("{rate} KPW per {currency}, {market}, {when}").format(
            rate=f"{rate.kpw_per_unit:,.0f}",
            currency=rate.currency,
            market=rate.market,
            when=rate.observed.label(t),
        )
        for rate in conversion.rates
    )
    if conversion.at_latest_rates:
        text = _("≈ {figure} at the latest market rates ({rates}), not rates of the figure's date")
    else:
        text = _("≈ {figure} (converted at market rates: {rates})")
    return text.format(figure=figure_text(conversion.figure, t), rates=esc(rates))


def observation_lines(obs: Observation, *, today: date, t: Translator = ENGLISH) -> list[str]:
    """Render the facts of one figure: level, date and age, source and grade."""
    _ = t.gettext
    qualifiers = []
    if obs.grade:
        qualifiers.append(esc(obs.grade))
    elif obs.figure.low != obs.figure.high:
        qualifiers.append(_("range as reported"))
    if obs.price_type != "retail":
        qualifiers.append(_(PRICE_TYPE_LABELS.get(obs.price_type, obs.price_type)))
    level = f"<b>{figure_text(obs.figure, t)}</b>"
    if qualifiers:
        level += f" ({', '.join(qualifiers)})"
    lines = [level]
    if obs.observed.value is None:
        when = _("Observed: date not stated in the source")
    else:
        when = _("Observed: {date} ({age})").format(
            date=obs.observed.label(t), age=age_label(obs.age_days(today), t)
        )
        if obs.date_inferred:
            when += "; " + _("year worked out, not stated by the source")
    if obs.reported_on and obs.reported_on != obs.observed.value:
        when += "; " + _("published {date}").format(date=obs.reported_on.isoformat())
    if obs.observed.value is not None and obs.is_stale(today):
        when += " ⚠️ " + _("stale (over {days} days)").format(days=STALE_AFTER_DAYS)
    lines.append(when)
    grade = (
        _("reliability {grade}").format(grade=esc(obs.reliability))
        if obs.reliability
        else _("not graded")
    )
    source = source_text(obs, t)
    if obs.checked_at is not None:
        source += " · " + esc(checked_text(obs.checked_at.date(), today, t))
    lines.append(_("Source: {source}").format(source=source) + f" · {grade}")
    if obs.usd_price is not None:
        lines.append(
            "<i>"
            + esc(
                _(
                    "{source}'s own conversion: {usd} USD, at official or IMF rates (not a "
                    "market rate)"
                ).format(source=obs.source_name, usd=f"{obs.usd_price:,.2f}")
            )
            + "</i>"
        )
    if obs.note:
        lines.append(f"<i>{esc(shorten(obs.note, 300))}</i>")
    return lines


def checked_text(checked: date, today: date, t: Translator = ENGLISH) -> str:
    """When the feed a figure came from was last checked: "checked today", "checked 2 days ago"."""
    days = max((today - checked).days, 0)
    if days == 0:
        return t.gettext("checked today")
    if days == 1:
        return t.gettext("checked yesterday")
    return t.ngettext("checked {n} day ago", "checked {n} days ago", days).format(n=days)


def source_text(obs: Observation, t: Translator = ENGLISH) -> str:
    """Return "Daily NK, via inven.co.kr" with both linked: the publisher, then where it was read."""
    text = link(obs.source_name, obs.source_url)
    if obs.via:
        text += ", " + esc(t.gettext("via {site}")).format(site=link(obs.via, obs.via_url))
    return text


def cadence_label(days: int, t: Translator = ENGLISH) -> str:
    """Return how often a source reports, in words: "about every two weeks"."""
    _ = t.gettext
    if days <= 4:
        return _("every few days")
    if days <= 10:
        return _("about every week")
    if days <= 20:
        return _("about every two weeks")
    if days <= 45:
        return _("about every month")
    # Past 45 days: two months or more.
    return _("about every {n} months").format(n=max(2, round(days / 30.4)))


def previous_text(item: MarketPrice, t: Translator = ENGLISH) -> str:
    """Render "Previous: figure (date or "date not stated") → change (midpoints a → b)"."""
    _ = t.gettext
    prev = item.previous
    assert prev is not None
    text = _("Previous: {figure}").format(figure=figure_text(prev.figure, t))
    if prev.observed.value is not None:
        text += f" ({esc(prev.observed.label(t))})"
    else:
        text += " (" + esc(_("date not stated; earlier in the same report")) + ")"
    change = item.change
    if change is not None:
        text += f" → {change.text()}"
        if change.level in CHANGE_LEVELS:
            text += f" <b>{_(CHANGE_LEVELS[change.level])}</b>"
        latest = item.latest.figure
        if prev.figure.low != prev.figure.high or latest.low != latest.high:
            text += " · " + esc(
                _("midpoints {before} → {after}").format(
                    before=format_number(prev.figure.mid), after=format_number(latest.mid)
                )
            )
    return text


def other_sources_lines(item: MarketPrice, t: Translator = ENGLISH) -> list[str]:
    """Render the other sources' figures for the same period, one line each, and the spread."""
    if not item.others:
        return []
    _ = t.gettext
    lines = ["🗂 " + esc(_("Other sources for the same period:"))]
    for other in item.others:
        lines.append(
            f"• {source_text(other, t)}: {figure_text(other.figure, t)}"
            f" ({esc(other.observed.label(t))})"
        )
    if item.spread_percent is not None:
        percent = f"{item.spread_percent:.0f}"
        if item.sources_disagree:
            lines.append(
                "⚠️ "
                + esc(_("Sources disagree: midpoints differ by {percent} per cent.")).format(
                    percent=percent
                )
            )
        else:
            lines.append(
                esc(_("Sources agree within {percent} per cent.")).format(
                    percent=format_number(SOURCES_DISAGREE)
                )
            )
    return lines


def market_price_block(item: MarketPrice, *, today: date, t: Translator = ENGLISH) -> str:
    """Render one market's latest price with its conversion, previous figure and the move."""
    _ = t.gettext
    obs = item.latest
    place = f"📍 <b>{esc(obs.market)}</b>"
    if obs.market_parent:
        place += f" ({esc(obs.market_parent)})"
    lines = [place, *observation_lines(obs, today=today, t=t)]
    if item.converted is not None:
        lines.insert(2, conversion_text(item.converted, t))
    if item.cadence_days is not None and obs.observed.value is not None:
        lines.append(
            "⏱ "
            + esc(
                _("{source} reports this series {cadence}; the latest figure is {age}.").format(
                    source=obs.source_name,
                    cadence=cadence_label(item.cadence_days, t),
                    age=age_label(obs.age_days(today), t),
                )
            )
        )
    if item.previous is not None:
        lines.append(previous_text(item, t))
    lines.extend(other_sources_lines(item, t))
    if item.is_record_high:
        lines.append("🔺 " + _("Highest figure on record for this series"))
    return "\n".join(lines)


def price_answer(
    commodity: str,
    items: Sequence[MarketPrice],
    *,
    today: date,
    t: Translator = ENGLISH,
    place: str | None = None,
    period: str | None = None,
) -> str:
    """Render the answer to "what does X cost", one block per market, newest first."""
    head = f"<b>{esc(commodity)}</b>"
    if place:
        head += f" — {esc(place)}"
    if period:
        head += f" · {esc(period)}"
    blocks = [market_price_block(item, today=today, t=t) for item in items]
    return "\n\n".join([head, *blocks])


def date_range_label(start: PartialDate, end: PartialDate, t: Translator) -> str:
    """Return "Mar 2024 – Nov 2026" or a single label when both ends are the same."""
    if start == end:
        return start.label(t)
    return f"{start.label(t)} – {end.label(t)}"
