"""A condition alert: a report that changed a place's border status or reported enforcement, as
one Telegram HTML message.

The report itself is rendered as the conditions browser shows it (`browse.report_block`); the
alert puts why it was sent on top. Nothing here reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain.i18n import ENGLISH, Translator
from bot.domain.text import shorten, utf16_len
from bot.rendering.browse import LABELS, ReportView, report_block
from bot.rendering.html import MAX_TEXT, esc

# How much of the report each attempt keeps, most first: (summary, enforcement, goods named,
# keep the source link). A summary or enforcement text full of "&" or "<" grows up to five-fold
# when escaped, so shorter attempts follow until the message fits Telegram's limit.
_ATTEMPTS = (
    (1000, 300, 12, True),
    (500, 200, 8, True),
    (240, 120, 5, False),
    (100, 60, 3, False),
)
_LABEL = 80  # longest place, good or source label kept


@dataclass(frozen=True)
class ConditionChange:
    """Why a report alerts: the border status it moved from and to, and/or enforcement."""

    border_to: str | None = None  # the report's border status, when it changed or is the first
    border_from: str | None = None  # the status before it (None: the first stated for the place)
    enforcement: bool = False

    @property
    def alerts(self) -> bool:
        return self.border_to is not None or self.enforcement


def _web(url: str | None) -> str | None:
    """A web address as given, else None: only http(s) links are made."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def _headline(change: ConditionChange, t: Translator) -> str:
    _ = t.gettext
    reasons = []
    if change.border_to is not None:
        to = _label(change.border_to, t)
        value = f"{_label(change.border_from, t)} → {to}" if change.border_from else to
        reasons.append(_("Border: {value}").format(value=value))
    if change.enforcement:
        reasons.append(_("enforcement"))
    return "🛂 <b>" + esc(_("Condition alert")) + "</b>: " + esc(" · ".join(reasons))


def _label(value: str, t: Translator) -> str:
    return t.gettext(LABELS[value]) if value in LABELS else value.replace("-", " ")


def _fitted(
    report: ReportView, summary: int, enforcement: int, goods: int, web: bool
) -> ReportView:
    return replace(
        report,
        place=shorten(" ".join(report.place.split()), _LABEL),
        enforcement=(
            shorten(" ".join(report.enforcement.split()), enforcement)
            if report.enforcement
            else None
        ),
        goods=tuple(shorten(g, _LABEL) for g in report.goods[:goods]),
        summary=shorten(" ".join(report.summary.split()), summary),
        source_name=shorten(" ".join(report.source_name.split()), _LABEL) or "?",
        source_url=_web(report.source_url) if web else None,
        reliability=shorten(report.reliability, 8) if report.reliability else None,
        # The headline states the border change; the facts line would only repeat its end.
        border_status=None,
    )


def compose_condition_alert(
    report: ReportView, change: ConditionChange, t: Translator = ENGLISH
) -> str:
    """Return one HTML message of at most MAX_TEXT characters: why, then the report (place in the
    reader's language, date at its precision, summary shortened, source with its link)."""
    if not change.alerts:
        raise ValueError("a condition alert needs a border change or enforcement")
    head = _headline(change, t)
    for summary, enforcement, goods, web in _ATTEMPTS:
        view = _fitted(report, summary, enforcement, goods, web)
        text = head + "\n" + report_block(view, t, summary_limit=summary)
        if utf16_len(text) <= MAX_TEXT:
            return text
    # Not reached: the last attempt bounds every field well under the limit, escaped or not.
    return head
