"""Article intake: read an article (pasted, from a file or by its link) and propose what it says.

The figures and the draft report come from the domain's extraction, with the catalogue's names;
this service numbers the figures and marks those a stored figure already has. It writes nothing:
an editor reviews the candidates and only their "Save" stores anything.

A candidate duplicates a stored, live figure of the same commodity and place with the same value
(low, high, currency, unit) and the same date. The date compared is the figure's own when the
text gives one (same day, month or year, at the same precision); a figure the text gives as
"before" or "now" is undated, and matches an undated stored figure reported on the article's
publication date (or with no reported date). A "now" figure also matches one observed on the
publication date itself. A candidate without a place, or for a good outside the catalogue, has
no series and is never a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.extraction import extract_figures
from bot.domain.i18n import N_
from bot.domain.intake import BEFORE, NOW, Article, Candidate, FoundFigure, IntakeResult
from bot.domain.report_draft import draft_report
from bot.domain.units import Unit, parse_unit
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.fetching import FetchLimits, fetch_article
from db.models import PriceObservation

__all__ = ["MAX_TEXT", "NOTHING_FOUND", "Intake"]

# The longest article read (characters): a long report is ~20,000; a paste beyond this is not
# one article.
MAX_TEXT = 200_000
NOTHING_FOUND = N_("No price figures or trade conditions found.")
# A link in a pasted text: the article's own, when it was pasted with it.
_LINK = re.compile(r"https?://[^\s<>\"'“”‘’()\[\]]+", re.IGNORECASE)
_LINK_TAIL = ".,;:!?…»」』"


class Intake:
    """Reads articles and proposes their figures and trade conditions; stores nothing."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        limits: FetchLimits = FetchLimits(),
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._limits = limits

    def read_text(
        self, text: str, *, lang: str | None = None, url: str | None = None
    ) -> IntakeResult:
        """Read a pasted or forwarded article; a link in the text is kept as its URL."""
        if len(text) > MAX_TEXT:
            raise InvalidInput(
                "The text is {length:,} characters long; an article can be at most {limit:,}. "
                "Send the part with the prices, or the article's link.",
                length=len(text),
                limit=MAX_TEXT,
            )
        body = text.strip()
        if not body:
            raise InvalidInput("The text is empty: send the article's text or its link.")
        return self.read(Article(text=body, url=url or _first_link(body), lang=lang))

    def read_url(self, url: str, *, lang: str | None = None) -> IntakeResult:
        """Fetch the article at `url` (within the fetch limits) and read it."""
        return self.read(fetch_article(url, limits=self._limits, lang=lang))

    def read(self, article: Article) -> IntakeResult:
        """Return the article's numbered candidate figures, duplicates marked, and its report."""
        if len(article.text) > MAX_TEXT:
            raise InvalidInput(
                "The article is {length:,} characters long; the most read is {limit:,}.",
                length=len(article.text),
                limit=MAX_TEXT,
            )
        today = self._clock().date()
        if article.published is not None and article.published > today:
            article = replace(article, published=None)  # a page's metadata, wrong
        catalogue = self._catalogue.current
        figures = extract_figures(
            article.text,
            commodities=catalogue.commodities,
            markets=catalogue.markets,
            published=article.published,
            lang=article.lang,
        )
        report = draft_report(
            article.text,
            commodities=catalogue.commodities,
            markets=catalogue.markets,
            published=article.published,
        )
        duplicates = self._duplicates(figures, article.published)
        candidates = tuple(
            Candidate(number=n, figure=figure, duplicate_of=duplicates.get(n - 1))
            for n, figure in enumerate(figures, 1)
        )
        notes = () if candidates or report is not None else (NOTHING_FOUND,)
        return IntakeResult(article=article, candidates=candidates, report=report, notes=notes)

    def _duplicates(self, figures: Sequence[FoundFigure], published: date | None) -> dict[int, int]:
        """Return {index of a figure: id of the stored figure it duplicates}."""
        series = [
            (i, f)
            for i, f in enumerate(figures)
            if f.commodity_id is not None and f.place_id is not None
        ]
        if not series:
            return {}
        query = (
            select(PriceObservation)
            .where(
                col(PriceObservation.commodity_id).in_({f.commodity_id for _, f in series}),
                col(PriceObservation.market_id).in_({f.place_id for _, f in series}),
                col(PriceObservation.price_low).in_({f.low for _, f in series}),
                col(PriceObservation.deleted_at).is_(None),
            )
            .order_by(col(PriceObservation.id))
        )
        with Session(self._engine) as session:
            stored = list(session.exec(query))
        found: dict[int, int] = {}
        for index, figure in series:
            unit = _unit(figure)
            for row in stored:
                if _same_figure(row, figure, unit) and _same_date(row, figure.when, published):
                    assert row.id is not None
                    found[index] = row.id
                    break
        return found


def _first_link(text: str) -> str | None:
    match = _LINK.search(text)
    if match is None:
        return None
    return match.group(0).rstrip(_LINK_TAIL) or None


def _unit(figure: FoundFigure) -> Unit | None:
    text = figure.unit if figure.quantity == 1 else f"{figure.quantity:g} {figure.unit}"
    try:
        return parse_unit(text)
    except InvalidInput:
        return None


def _same_figure(row: PriceObservation, figure: FoundFigure, unit: Unit | None) -> bool:
    if (row.commodity_id, row.market_id) != (figure.commodity_id, figure.place_id):
        return False
    if (row.price_low, row.price_high, row.currency) != (figure.low, figure.high, figure.currency):
        return False
    if unit is None:  # a unit the catalogue does not know: only its very text matches
        return row.unit == figure.unit and row.unit_quantity == figure.quantity
    # "kg" and "kilogram", "1000 g" and "kg", "jin" and "500 g" are one unit.
    return row.unit_base == unit.base and abs(row.unit_quantity - unit.quantity) <= 1e-9 * max(
        1.0, unit.quantity
    )


def _same_date(row: PriceObservation, when: str, published: date | None) -> bool:
    if when not in (BEFORE, NOW):
        try:
            stated = PartialDate.parse(when)
        except InvalidInput:
            return False
        return row.observed_on == stated.value and row.observed_precision == stated.precision
    if row.observed_on is None:
        return published is None or row.reported_on in (None, published)
    return when == NOW and published is not None and row.observed_on == published
