"""An article in the shape of the seed report (Daily NK on Hyesan's state-sanctioned smuggling),
a stand-in reader that proposes its two Lingzhi figures and a Hyesan report, and a recorder of
what the real reader is given.

The stand-in (`FakeReader`) lets the review be tested alone, whatever the extraction reads; the
recorder (`Recording`) wraps the real reader (bot.services.intake.Intake) for tests end to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.intake import (
    BEFORE,
    NOW,
    Article,
    Candidate,
    FoundFigure,
    IntakeResult,
    ReportDraft,
)
from bot.services.catalogue import Catalogue

URL = "https://www.dailynk.com/english/state-sanction-smuggling-revives-hope/"
PASSAGE = (
    "State-sanctioned smuggling revives hope in North Korea's border economy. Trading companies "
    "in Hyesan, Ryanggang Province, are buying up medicinal herbs, Lingzhi mushrooms and dried "
    "leeches and shipping them to China on smuggling routes that the state now controls. Before "
    "the COVID-19 border closure the same goods were moved by private smugglers. As more people "
    "join the trade, prices of export goods have risen: Lingzhi mushrooms previously traded for "
    "200 to 300 Chinese yuan per kilogram, but have recently climbed to between 500 and 1,200 "
    "yuan, depending on quality, a source in Hyesan told Daily NK. " + URL
)
NO_FIGURES = (
    "Residents of Hyesan say the winter has been long and cold this year. Many families gathered "
    "firewood in the hills above the city in October and November, and schools asked pupils to "
    "bring fuel for the classroom stoves. Some told Daily NK that the electricity supply has "
    "become a little more regular since the summer, though outages remain common in the evening. "
    "Local officials held meetings in every neighbourhood unit to prepare for the new year, the "
    "source said, and the city's cultural hall staged performances for the holiday season."
)
SENTENCE = (
    "Trading companies in Hyesan are buying up medicinal herbs, Lingzhi mushrooms and dried "
    "leeches and shipping them to China on smuggling routes that the state now controls."
)


def lingzhi(
    catalogue: Catalogue, low: float, high: float, when: str, qualifier: str | None = None
) -> FoundFigure:
    """A Lingzhi figure for Hyesan, in yuan per kilogram."""
    return FoundFigure(
        commodity_id=catalogue.commodity_slugs["lingzhi"],
        commodity_words="Lingzhi mushrooms",
        place_id=catalogue.market_slugs["hyesan"],
        place_words="Hyesan",
        low=low,
        high=high,
        currency="CNY",
        unit="kg",
        quantity=1,
        when=when,
        qualifier=qualifier,
    )


def seed_result(
    catalogue: Catalogue,
    *,
    publisher: str | None = "Daily NK",
    published: date | None = date(2026, 11, 20),
    duplicate_of: int | None = None,
) -> IntakeResult:
    """What the reader finds in PASSAGE: two Lingzhi figures and a Hyesan export report."""
    report = ReportDraft(
        place_id=catalogue.market_slugs["hyesan"],
        place_words="Hyesan",
        topics=("exports", "smuggling"),
        direction="export",
        channel="state-sanctioned-smuggling",
        goods=(catalogue.commodity_slugs["lingzhi"],),
        goods_words=("medicinal herbs", "dried leeches"),
        sentences=(SENTENCE,),
    )
    return IntakeResult(
        Article(text=PASSAGE, url=URL, publisher=publisher, published=published),
        candidates=(
            Candidate(1, lingzhi(catalogue, 200, 300, BEFORE), duplicate_of=duplicate_of),
            Candidate(2, lingzhi(catalogue, 500, 1200, NOW, "depending on quality")),
        ),
        report=report,
    )


@dataclass
class FakeReader:
    """Stands in for bot.services.intake.Intake: `result` for a text that names Lingzhi,
    nothing found for any other; remembers the texts and links it was given."""

    result: IntakeResult
    texts: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def read_text(
        self, text: str, *, lang: str | None = None, url: str | None = None
    ) -> IntakeResult:
        self.texts.append(text)
        found = self.result
        article = Article(
            text=text,
            url=url,
            title=found.article.title,
            publisher=found.article.publisher,
            published=found.article.published,
        )
        if "lingzhi" not in text.casefold():
            return IntakeResult(article, notes=("No price figures or trade conditions found.",))
        return IntakeResult(article, found.candidates, found.report, found.notes)

    def read_url(self, url: str) -> IntakeResult:
        self.urls.append(url)
        return self.read_text(self.result.article.text, url=url)


@dataclass
class Recording:
    """The real reader, with the texts and links it was given."""

    inner: Any
    texts: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def read_text(
        self, text: str, *, lang: str | None = None, url: str | None = None
    ) -> IntakeResult:
        self.texts.append(text)
        result: IntakeResult = self.inner.read_text(text, lang=lang, url=url)
        return result

    def read_url(self, url: str) -> IntakeResult:
        self.urls.append(url)
        result: IntakeResult = self.inner.read_url(url)
        return result
