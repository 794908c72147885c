"""Browsing: trade-condition reports, the commodity and market lists, a market's overview."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.dates import PartialDate
from bot.domain.errors import NotFound
from bot.i18n import translator
from bot.rendering import browse
from bot.rendering.replies import Button, Reply
from bot.services.catalogue import Catalogue
from bot.services.market_figures import to_observation
from bot.services.records import link_goods
from db import repo
from db.models import TradeReport

ENTRIES_PER_PAGE = 10


def report_view(
    report: TradeReport | Row[Any], goods: list[int], catalogue: Catalogue, lang: str
) -> browse.ReportView:
    """Return a stored report ready to show: names in the reader's language."""
    return browse.ReportView(
        place=catalogue.market_labels[report.market_id].in_lang(lang),
        observed=PartialDate(report.observed_on, report.observed_precision),
        topics=tuple(report.topics or ()),
        direction=report.direction,
        channel=report.channel,
        border_status=report.border_status,
        market_activity=report.market_activity,
        enforcement=report.enforcement,
        goods=goods_labels(report, goods, catalogue, lang),
        summary=report.summary,
        source_name=report.source_name,
        source_url=report.source_url,
        reliability=report.reliability,
    )


def goods_labels(
    report: TradeReport | Row[Any], linked: list[int], catalogue: Catalogue, lang: str
) -> tuple[str, ...]:
    """Return the goods a report names: catalogue names in the reader's language, others as named."""
    labels: list[str] = []
    seen: set[int] = set()
    for name in report.goods or ():
        ids = link_goods(catalogue, [name])
        if ids and ids[0] in catalogue.commodity_labels:
            seen.add(ids[0])
            labels.append(catalogue.commodity_labels[ids[0]].in_lang(lang))
        else:
            labels.append(name)
    # Reports stored before goods were kept as named have links only.
    labels += [
        catalogue.commodity_labels[g].in_lang(lang)
        for g in linked
        if g not in seen and g in catalogue.commodity_labels
    ]
    return tuple(dict.fromkeys(labels))


def _pager(kind: str, page: int, pages: int, *fields: object) -> tuple[tuple[Button, ...], ...]:
    if pages <= 1:
        return ()
    row = []
    if page > 1:
        row.append(Button("◀️", callbacks.encode(kind, *fields, page - 1)))
    row.append(Button(f"{page}/{pages}", callbacks.encode(kind, *fields, page)))
    if page < pages:
        row.append(Button("▶️", callbacks.encode(kind, *fields, page + 1)))
    return (tuple(row),)


def commodity_list(engine: Engine, catalogue: Catalogue, *, page: int, lang: str) -> Reply:
    """Render a page of commodities, each a button that answers its price."""
    t = translator(lang)
    with Session(engine) as session:
        counts = repo.figure_counts(session, by="commodity")
    ids = sorted(
        catalogue.commodity_labels,
        key=lambda i: (-counts.get(i, 0), catalogue.commodity_labels[i].en.lower()),
    )
    return _list(
        ids,
        page,
        lang,
        t.gettext("Commodities"),
        "lc",
        label=lambda i: catalogue.commodity_labels[i].in_lang(lang),
        count=lambda i: counts.get(i, 0),
        data=lambda i: callbacks.encode("p", i),
    )


def market_list(engine: Engine, catalogue: Catalogue, *, page: int, lang: str) -> Reply:
    """Render a page of places, each a button that shows its latest figures."""
    t = translator(lang)
    with Session(engine) as session:
        counts = repo.figure_counts(session, by="market")

    def total(i: int) -> int:
        return sum(counts.get(m, 0) for m in catalogue.descendants(i))

    ids = sorted(
        catalogue.market_labels, key=lambda i: (-total(i), catalogue.market_labels[i].en.lower())
    )
    return _list(
        ids,
        page,
        lang,
        t.gettext("Markets and places"),
        "lm",
        label=lambda i: catalogue.market_labels[i].in_lang(lang),
        count=total,
        data=lambda i: callbacks.encode("m", i),
    )


def _list(ids, page, lang, title, kind, *, label, count, data) -> Reply:  # type: ignore[no-untyped-def]
    t = translator(lang)
    pages = max(1, math.ceil(len(ids) / ENTRIES_PER_PAGE))
    page = min(max(1, page), pages)
    chunk = ids[(page - 1) * ENTRIES_PER_PAGE : page * ENTRIES_PER_PAGE]
    entries = [
        t.ngettext("{name}: {n} figure", "{name}: {n} figures", count(i)).format(
            name=label(i), n=count(i)
        )
        for i in chunk
    ]
    text = browse.list_page(title, entries, page=page, pages=pages, t=t)
    rows = [
        tuple(Button(label(i), data(i)) for i in chunk[k : k + 2]) for k in range(0, len(chunk), 2)
    ]
    return Reply(text=text, buttons=(*rows, *_pager(kind, page, pages)))


def market_overview(
    engine: Engine, catalogue: Catalogue, market_id: int, *, today: date, lang: str
) -> Reply:
    """Render the latest figure of every commodity in a place (and the places inside it)."""
    if market_id not in catalogue.market_labels:
        raise NotFound("This button is no longer valid.")
    t = translator(lang)
    with Session(engine) as session:
        rows = repo.latest_in_markets(
            session, market_ids=catalogue.descendants(market_id), limit=60
        )
    items = [to_observation(r, catalogue, lang=lang) for r in rows]
    text = browse.overview(
        catalogue.market_labels[market_id].in_lang(lang), items, today=today, t=t
    )
    buttons = ((Button("📰 " + t.gettext("Trade conditions"), callbacks.encode("k", market_id)),),)
    return Reply(text=text, buttons=buttons)
