"""Trade-condition answers: reports by place, good, topic, period and partner; place briefings.

A place's reports come with those filed for the province it lies in ("Hyesan" shows Ryanggang's
too), newest first. A question that finds nothing is told what is known instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.conditions import mask_topics, topics_mask
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_
from bot.i18n import translator
from bot.rendering import conditions as render
from bot.rendering.replies import Button, Reply
from bot.services import market_figures
from bot.services.browse import report_view
from bot.services.catalogue import Catalogue
from db import repo

REPORTS_PER_PAGE = 3
BRIEF_REPORTS = 3
# What a briefing always shows, then what the place has most figures of.
STAPLES = ("rice", "corn", "us-dollar", "chinese-yuan")
BRIEF_EXTRA = 2
PARTNER_WORDS = {"cn": ("China",), "ru": ("Russia",)}
PARTNER_LABELS = {"cn": N_("China"), "ru": N_("Russia")}
INVALID_BUTTON = "This button is no longer valid."
_MAX_GOOD_IN_BUTTON = 20


@dataclass(frozen=True)
class ConditionsQuery:
    """A trade-condition question: every part is optional; set parts must all match."""

    market_id: int | None = None
    commodity_id: int | None = None
    topics: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    partner: str | None = None  # "cn" or "ru": the summary names that country
    good: str | None = None  # a good as reports name it, when it is not in the catalogue
    period_label: str | None = None

    @property
    def is_place_only(self) -> bool:
        """Tell whether the question names a place and nothing else (a briefing)."""
        return self.market_id is not None and self == ConditionsQuery(market_id=self.market_id)

    def callback(self, page: int) -> str | None:
        """Return "k" button data for a page of this question, or None when it cannot fit."""
        good = self.good if self.good and _fits(self.good) else None
        if self.good and good is None:
            return None
        try:
            return callbacks.encode(
                "k",
                self.market_id,
                self.commodity_id,
                topics_mask(self.topics) or None,
                self.start,
                self.end,
                self.partner,
                page,
                good,
            )
        except ValueError:
            return None


def _fits(text: str) -> bool:
    return len(text) <= _MAX_GOOD_IN_BUTTON and text.isascii() and ":" not in text


def decode(catalogue: Catalogue, cb: callbacks.Callback) -> tuple[ConditionsQuery, int]:
    """Read "k" button data back (k:market:good:topics:start:end:partner:page:named good)."""
    if cb.kind == "c":  # buttons sent before filters existed: c:scope:id:page
        scope = cb.fields[0] if cb.fields else ""
        target = cb.int_at(1)
        if scope not in ("a", "m", "g") or (scope != "a" and target is None):
            raise InvalidInput(INVALID_BUTTON)
        query = ConditionsQuery(
            market_id=target if scope == "m" else None,
            commodity_id=target if scope == "g" else None,
        )
        return _checked(catalogue, query), cb.int_at(2) or 1
    market_id, commodity_id, mask = cb.int_at(0), cb.int_at(1), cb.int_at(2) or 0
    partner = cb.fields[5] if len(cb.fields) > 5 and cb.fields[5] else None
    if partner is not None and partner not in PARTNER_WORDS:
        raise InvalidInput(INVALID_BUTTON)
    good = cb.fields[7] if len(cb.fields) > 7 and cb.fields[7] else None
    start, end = cb.date_at(3), cb.date_at(4)
    label = None
    if start is not None or end is not None:
        label = f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"
    query = ConditionsQuery(
        market_id=market_id,
        commodity_id=commodity_id,
        topics=mask_topics(mask),
        start=start,
        end=end,
        partner=partner,
        good=good,
        period_label=label,
    )
    return _checked(catalogue, query), cb.int_at(6) or 1


def _checked(catalogue: Catalogue, query: ConditionsQuery) -> ConditionsQuery:
    if query.market_id is not None and query.market_id not in catalogue.market_labels:
        raise InvalidInput(INVALID_BUTTON)
    if query.commodity_id is not None and query.commodity_id not in catalogue.commodity_labels:
        raise InvalidInput(INVALID_BUTTON)
    return query


def scope(catalogue: Catalogue, market_id: int | None) -> list[int] | None:
    """Return the places whose reports answer for a place: itself, the places inside it and the
    province it lies in; None for the whole country or no place."""
    if market_id is None:
        return None
    inside = catalogue.descendants(market_id)
    if len(inside) >= len(catalogue.market_labels):
        return None
    above = [m for m in catalogue.ancestors(market_id) if catalogue.market_kind.get(m) != "country"]
    return list(dict.fromkeys([*inside, *above]))


def names_good(engine: Engine, text: str) -> bool:
    """Tell whether any live report names a good written so ("mobile phones")."""
    with engine.connect() as conn:
        return bool(repo.find_reports(conn, repo.ReportFilter(good=text), limit=1))


def _filter(catalogue: Catalogue, query: ConditionsQuery) -> repo.ReportFilter:
    return repo.ReportFilter(
        market_ids=scope(catalogue, query.market_id),
        commodity_id=query.commodity_id,
        topics=query.topics,
        start=query.start,
        end=query.end,
        words=PARTNER_WORDS.get(query.partner or "", ()),
        good=query.good,
    )


def answer(
    engine: Engine,
    catalogue: Catalogue,
    query: ConditionsQuery,
    *,
    page: int = 1,
    today: date,
    lang: str,
) -> Reply:
    """Render one page of the reports a question asks for, or what is known when none match."""
    t = translator(lang)
    page = max(1, min(page, 10_000))
    asked = query
    note = None
    with engine.connect() as conn:
        reports = _page(conn, catalogue, query, page)
        if not reports and page == 1:
            # Say what was left out rather than nothing: the partner, then the good.
            for relaxed, why in _relaxations(catalogue, query, lang):
                reports = _page(conn, catalogue, relaxed, 1)
                if reports:
                    query, note = relaxed, why
                    break
        if not reports:
            return _nothing(conn, catalogue, asked, lang)
        more = len(reports) > REPORTS_PER_PAGE
        reports = reports[:REPORTS_PER_PAGE]
    # Goods are shown as the reports name them (catalogue goods in the reader's language).
    views = [report_view(r, [], catalogue, lang) for r in reports]
    text = render.conditions_page(
        title(catalogue, query, lang),
        _scope_label(catalogue, query.market_id, lang),
        views,
        page=page,
        note=note,
        t=t,
    )
    return Reply(text=text, buttons=_pager(query, page, more))


def _page(
    conn: Connection, catalogue: Catalogue, query: ConditionsQuery, page: int
) -> list[Row[Any]]:
    return repo.find_reports(
        conn,
        _filter(catalogue, query),
        offset=(page - 1) * REPORTS_PER_PAGE,
        limit=REPORTS_PER_PAGE + 1,
    )


def _relaxations(
    catalogue: Catalogue, query: ConditionsQuery, lang: str
) -> list[tuple[ConditionsQuery, str]]:
    t = translator(lang)
    out = []
    if query.partner is not None:
        relaxed = replace(query, partner=None)
        out.append(
            (
                relaxed,
                t.gettext("No report here names {partner}; the others:").format(
                    partner=t.gettext(PARTNER_LABELS[query.partner])
                ),
            )
        )
        query = relaxed
    if query.commodity_id is not None and (query.topics or query.market_id is not None):
        name = catalogue.commodity_labels[query.commodity_id].in_lang(lang)
        out.append(
            (
                replace(query, commodity_id=None),
                t.gettext("No report here names {name}; the others:").format(name=name),
            )
        )
    return out


def title(catalogue: Catalogue, query: ConditionsQuery, lang: str) -> str:
    """Return the heading of an answer: what was asked, in the reader's language."""
    t = translator(lang)
    parts = []
    if query.market_id is not None:
        parts.append(catalogue.market_labels[query.market_id].in_lang(lang))
    if query.commodity_id is not None:
        parts.append(catalogue.commodity_labels[query.commodity_id].in_lang(lang))
    if query.good:
        parts.append(query.good)
    if query.topics:
        parts.append(render.topic_names(query.topics, t))
    if query.partner:
        parts.append(
            t.gettext("with {partner}").format(partner=t.gettext(PARTNER_LABELS[query.partner]))
        )
    if query.period_label:
        parts.append(query.period_label)
    head = t.gettext("Trade conditions")
    return f"{head}: {' · '.join(parts)}" if parts else head


def _asked(catalogue: Catalogue, query: ConditionsQuery, lang: str) -> str:
    t = translator(lang)
    what = render.topic_names(query.topics, t) if query.topics else t.gettext("trade conditions")
    if query.commodity_id is not None:
        what += " · " + catalogue.commodity_labels[query.commodity_id].in_lang(lang)
    if query.good:
        what += " · " + query.good
    if query.partner:
        what += " · " + t.gettext(PARTNER_LABELS[query.partner])
    if query.market_id is not None:
        what = t.gettext("{what} in {place}").format(
            what=what, place=catalogue.market_labels[query.market_id].in_lang(lang)
        )
    if query.period_label:
        what += f" ({query.period_label})"
    return what


def _scope_label(catalogue: Catalogue, market_id: int | None, lang: str) -> str | None:
    t = translator(lang)
    if market_id is None:
        return t.gettext("All places, newest first")
    places = scope(catalogue, market_id)
    name = catalogue.market_labels[market_id].in_lang(lang)
    # "Rason (special city)" adds nothing after "Rason".
    above = [
        catalogue.market_labels[m].in_lang(lang)
        for m in catalogue.ancestors(market_id)
        if places is not None
        and m in places
        and not catalogue.market_labels[m].in_lang(lang).startswith(name)
    ]
    if above:
        return t.gettext("{place} with {province}, newest first").format(
            place=name, province=", ".join(above)
        )
    return t.gettext("Newest first")


def _nothing(conn: Connection, catalogue: Catalogue, query: ConditionsQuery, lang: str) -> Reply:
    t = translator(lang)
    places = scope(catalogue, query.market_id)
    stored = repo.reports_known(conn, market_ids=places)
    where: tuple[tuple[str, int], ...] = ()
    if stored.count == 0:
        counts = repo.report_counts(conn)
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
        where = tuple(
            (catalogue.market_labels[m].in_lang(lang), n)
            for m, n in ranked
            if m in catalogue.market_labels
        )
    known = render.Known(
        place=catalogue.market_labels[query.market_id].in_lang(lang)
        if query.market_id is not None
        else None,
        count=stored.count,
        topics=tuple(sorted(stored.topics.items(), key=lambda kv: (-kv[1], kv[0]))),
        first=_month(stored.first),
        last=_month(stored.last),
        places=where,
    )
    text = render.nothing_found(_asked(catalogue, query, lang), known, t)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if stored.count and query != ConditionsQuery(market_id=query.market_id):
        every = ConditionsQuery(market_id=query.market_id).callback(1)
        if every is not None:
            label = (
                t.gettext("All reports for {place}").format(place=known.place)
                if known.place
                else t.gettext("All reports")
            )
            buttons = ((Button("📰 " + label, every),),)
    return Reply(text=text, buttons=buttons)


def _month(day: date | None) -> PartialDate | None:
    return PartialDate(day.replace(day=1), "month") if day is not None else None


def _pager(query: ConditionsQuery, page: int, more: bool) -> tuple[tuple[Button, ...], ...]:
    row = []
    if page > 1:
        data = query.callback(page - 1)
        if data is not None:
            row.append(Button("◀️", data))
    if page > 1 or more:
        data = query.callback(page)
        if data is not None:
            row.append(Button(str(page), data))
    if more:
        data = query.callback(page + 1)
        if data is not None:
            row.append(Button("▶️", data))
    return (tuple(row),) if len(row) > 1 else ()


# Briefings


def brief(engine: Engine, catalogue: Catalogue, market_id: int, *, today: date, lang: str) -> Reply:
    """A place in one message: the latest trade conditions, the staples and the rates."""
    if market_id not in catalogue.market_labels:
        raise InvalidInput(INVALID_BUTTON)
    t = translator(lang)
    inside = catalogue.descendants(market_id)
    with Session(engine) as session:
        reports = repo.find_reports(
            session.connection(),
            repo.ReportFilter(market_ids=scope(catalogue, market_id)),
            limit=BRIEF_REPORTS,
        )
        ids = [catalogue.commodity_slugs[s] for s in STAPLES if s in catalogue.commodity_slugs]
        counts = repo.figure_counts(session, by="commodity", market_ids=inside)
        extra = [
            c
            for c, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if c not in ids and c in catalogue.commodity_labels
        ][:BRIEF_EXTRA]
        staples = []
        for commodity_id in [*ids, *extra]:
            rows = repo.recent_prices(
                session, commodity_id=commodity_id, market_ids=inside, per_market=12
            )
            items = market_figures.market_prices(session, rows, catalogue, lang=lang)
            place = catalogue.market_labels[market_id].in_lang(lang)
            own = [i for i in items if i.latest.market == place]
            chosen = own or items
            staples.append(
                render.StapleView(
                    catalogue.commodity_labels[commodity_id].in_lang(lang),
                    chosen[0] if chosen else None,
                )
            )
    views = [report_view(r, [], catalogue, lang) for r in reports]
    text = render.briefing(
        catalogue.market_labels[market_id].in_lang(lang),
        catalogue.market_parent_label(market_id, lang),
        views,
        staples,
        today=today,
        t=t,
    )
    return Reply(text=text, buttons=_brief_buttons(catalogue, market_id, bool(reports), lang))


def _brief_buttons(
    catalogue: Catalogue, market_id: int, has_reports: bool, lang: str
) -> tuple[tuple[Button, ...], ...]:
    t = translator(lang)
    rows: list[tuple[Button, ...]] = []
    first = []
    more = ConditionsQuery(market_id=market_id).callback(1)
    if has_reports and more is not None:
        first.append(Button("📰 " + t.gettext("More reports"), more))
    rice = catalogue.commodity_slugs.get("rice")
    if rice is not None:
        first.append(
            Button("📈 " + t.gettext("Rice trend"), callbacks.encode("t", rice, market_id))
        )
    if first:
        rows.append(tuple(first))
    second = []
    if rice is not None:
        second.append(
            Button(
                "⚖️ " + t.gettext("Compare rice"),
                callbacks.encode("cmp", rice),
            )
        )
    second.append(Button("🔔 " + t.gettext("Subscribe"), callbacks.encode("sbm", market_id)))
    rows.append(tuple(second))
    return tuple(rows)
