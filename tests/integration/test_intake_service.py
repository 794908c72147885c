"""The intake service: a pasted article read into numbered candidates, duplicates marked.

Most tests give the service a fake extraction (what it found is fixed), so that they test the
service alone: numbering, which stored figure a candidate duplicates, notes, limits. The last
tests read the fixture article with the real extraction of bot.domain.extraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlmodel import Session

from bot.domain.errors import InvalidInput
from bot.domain.intake import BEFORE, NOW, Article, FoundFigure, ReportDraft
from bot.services import intake as intake_module
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.fetching import FetchLimits
from bot.services.intake import MAX_TEXT, NOTHING_FOUND, Intake
from db.models import PriceObservation
from tests.support.clock import NOW as CLOCK_NOW
from tests.support.clock import fixed_clock
from tests.support.factories import add_price, add_rate
from tests.support.pages import PAGES
from tests.support.services import make_services
from tests.support.settings import make_settings

TEXT = "Lingzhi went from 200-300 yuan per kg to 500-1,200 yuan. https://example.org/story."


@dataclass
class FakeExtraction:
    """Stands in for extract_figures and draft_report; remembers how it was called."""

    figures: list[FoundFigure] = field(default_factory=list)
    report: ReportDraft | None = None
    calls: list[dict[str, object]] = field(default_factory=list)

    def extract_figures(self, text: str, **kwargs: object) -> list[FoundFigure]:
        self.calls.append({"text": text, **kwargs})
        return list(self.figures)

    def draft_report(self, text: str, **kwargs: object) -> ReportDraft | None:
        return self.report


@pytest.fixture
def fake(monkeypatch) -> FakeExtraction:
    found = FakeExtraction()
    monkeypatch.setattr(intake_module, "extract_figures", found.extract_figures)
    monkeypatch.setattr(intake_module, "draft_report", found.draft_report)
    return found


@pytest.fixture
def service(engine) -> Intake:
    return Intake(engine=engine, catalogue=CatalogueStore(engine), clock=fixed_clock(CLOCK_NOW))


def ids(catalogue: Catalogue, commodity: str, market: str | None = "hyesan") -> tuple[int, int]:
    return catalogue.commodity_slugs[commodity], (catalogue.market_slugs[market] if market else -1)


def figure(
    catalogue: Catalogue,
    low: float,
    high: float,
    *,
    when: str = NOW,
    commodity: str | None = "lingzhi",
    market: str | None = "hyesan",
    currency: str = "CNY",
    unit: str = "kg",
    quantity: float = 1,
) -> FoundFigure:
    return FoundFigure(
        commodity_id=catalogue.commodity_slugs[commodity] if commodity else None,
        commodity_words=commodity or "mobile phones",
        place_id=catalogue.market_slugs[market] if market else None,
        place_words=market,
        low=low,
        high=high,
        currency=currency,
        unit=unit,
        quantity=quantity,
        when=when,
    )


def lingzhi(engine, catalogue, **overrides: str) -> PriceObservation:
    """Store Lingzhi in Hyesan, 500-1,200 CNY/kg, undated (as the seed article gives it)."""
    fields = {
        "commodity": "lingzhi",
        "market": "hyesan",
        "unit": "kg",
        "currency": "CNY",
        "price": "",
        "price_low": "500",
        "price_high": "1200",
        "pricetype": "middleman",
        "date": "",
    } | overrides
    return add_price(engine, catalogue, now=CLOCK_NOW, **fields)


def test_candidates_are_numbered_and_read_with_the_catalogue(service, fake, catalogue):
    fake.figures = [figure(catalogue, 200, 300, when=BEFORE), figure(catalogue, 500, 1200)]
    result = service.read_text(f"  {TEXT}\n", lang="en")
    assert [c.number for c in result.candidates] == [1, 2]
    assert [c.figure.low for c in result.candidates] == [200, 500]
    assert all(c.duplicate_of is None for c in result.candidates)
    assert result.notes == () and result.report is None
    # The text is read stripped, with the catalogue's resolvers and the language given.
    (call,) = fake.calls
    assert call["text"] == TEXT and call["lang"] == "en" and call["published"] is None
    assert call["commodities"] is service._catalogue.current.commodities
    assert call["markets"] is service._catalogue.current.markets
    # The link in the text is the article's (without the full stop after it).
    assert result.article == Article(text=TEXT, url="https://example.org/story", lang="en")


def test_a_link_given_wins_over_one_in_the_text(service, fake):
    result = service.read_text(TEXT, url="https://example.org/original")
    assert result.article.url == "https://example.org/original"
    assert service.read_text("No link here.").article.url is None


def test_a_stored_figure_marks_its_candidate_duplicate(service, fake, engine, catalogue):
    stored = lingzhi(engine, catalogue)
    fake.figures = [figure(catalogue, 200, 300, when=BEFORE), figure(catalogue, 500, 1200)]
    result = service.read_text(TEXT)
    assert [c.duplicate_of for c in result.candidates] == [None, stored.id]


def test_only_the_same_series_value_and_date_is_a_duplicate(service, fake, engine, catalogue):
    stored = lingzhi(engine, catalogue)
    lingzhi(engine, catalogue, price_low="700", price_high="900", date="2026-10-01")
    fake.figures = [
        figure(catalogue, 500, 1200, market="pyongyang"),  # another place
        figure(catalogue, 500, 1300),  # another high
        figure(catalogue, 500, 1200, currency="KPW"),
        figure(catalogue, 500, 1200, unit="g", quantity=600),
        figure(catalogue, 500, 1200, commodity="rice"),
        figure(catalogue, 500, 1200, market=None),  # no place: no series
        figure(catalogue, 500, 1200, commodity=None),  # not in the catalogue
        figure(catalogue, 500, 1200, when="2026-10-01"),  # dated: the stored one is not
        figure(catalogue, 700, 900, when="2026-10"),  # same day's figure, but a month
        figure(catalogue, 700, 900, when=NOW),  # undated; the stored one is dated
        figure(catalogue, 700, 900, when="2026-10-01"),
        figure(catalogue, 500, 1200, unit="kilogram"),  # the same unit, written out
    ]
    result = service.read_text(TEXT)
    dated = [c.duplicate_of for c in result.candidates][-2]
    assert dated is not None and dated != stored.id
    assert [c.duplicate_of for c in result.candidates] == [None] * 10 + [dated, stored.id]


def test_a_deleted_figure_is_no_duplicate(service, fake, engine, catalogue):
    stored = lingzhi(engine, catalogue)
    with Session(engine) as session:
        row = session.get(PriceObservation, stored.id)
        assert row is not None
        row.deleted_at = CLOCK_NOW
        session.commit()
    fake.figures = [figure(catalogue, 500, 1200)]
    assert service.read_text(TEXT).candidates[0].duplicate_of is None


def test_the_publication_date_dates_an_undated_figure(service, fake, engine, catalogue):
    reported = lingzhi(engine, catalogue, reported_date="2026-11-01")
    observed = lingzhi(engine, catalogue, price_low="600", price_high="600", date="2026-11-01")
    fake.figures = [figure(catalogue, 500, 1200), figure(catalogue, 600, 600)]

    def read(published: date | None) -> list[int | None]:
        article = Article(text=TEXT, published=published)
        return [c.duplicate_of for c in service.read(article).candidates]

    # Reported on the day the article was published, or observed that day ("now").
    assert read(date(2026, 11, 1)) == [reported.id, observed.id]
    # Another day's article is another report.
    assert read(date(2026, 11, 20)) == [None, None]
    # Of an article whose date is not known, only the undated figure.
    assert read(None) == [reported.id, None]
    (call,) = {c["published"] for c in fake.calls} - {None, date(2026, 11, 20)}
    assert call == date(2026, 11, 1)


def test_an_exchange_rate_is_matched_by_its_currency_unit(service, fake, engine, catalogue):
    rate = add_rate(engine, catalogue, now=CLOCK_NOW, date="2026-10-01", price="8000")
    fake.figures = [
        figure(
            catalogue,
            8000,
            8000,
            commodity="us-dollar",
            currency="KPW",
            unit="USD",
            when="2026-10-01",
        ),
        figure(
            catalogue,
            8000,
            8000,
            commodity="us-dollar",
            currency="KPW",
            unit="CNY",
            when="2026-10-01",
        ),
    ]
    assert [c.duplicate_of for c in service.read_text(TEXT).candidates] == [rate.id, None]


def test_a_text_with_nothing_found_gets_a_note_not_an_error(service, fake, catalogue):
    result = service.read_text("The weather was mild.")
    assert result.candidates == () and result.report is None
    assert result.notes == (NOTHING_FOUND,)
    assert NOTHING_FOUND == "No price figures or trade conditions found."
    # A report alone is something found.
    fake.report = ReportDraft(place_id=None, place_words=None, topics=("border",))
    assert service.read_text("The border was closed.").notes == ()


def test_a_future_publication_date_is_not_believed(service, fake):
    result = service.read(Article(text=TEXT, published=date(2030, 1, 1)))
    assert result.article.published is None and fake.calls[0]["published"] is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The text is empty: send the article's text or its link."),
        (" \n\t ", "The text is empty: send the article's text or its link."),
        (
            "x" * 1_000_000,
            "The text is 1,000,000 characters long; an article can be at most 200,000.",
        ),
        ("x" * (MAX_TEXT + 1), "The text is 200,001 characters long"),
    ],
)
def test_bad_text_is_refused_clearly(service, fake, text, message):
    with pytest.raises(InvalidInput) as caught:
        service.read_text(text)
    assert caught.value.user_message.startswith(message)
    assert fake.calls == []


def test_the_longest_text_is_read(service, fake):
    assert service.read_text("x" * MAX_TEXT).notes == (NOTHING_FOUND,)


def test_read_url_fetches_within_the_limits(engine, fake, monkeypatch):
    fetched: list[tuple[str, FetchLimits, str | None]] = []

    def fetch(url: str, *, limits: FetchLimits, lang: str | None = None) -> Article:
        fetched.append((url, limits, lang))
        return Article(text=TEXT, url=url, title="A title", publisher="Tumen Ledger")

    monkeypatch.setattr(intake_module, "fetch_article", fetch)
    limits = FetchLimits(timeout=3, max_bytes=5000, allow_private=True)
    service = Intake(
        engine=engine, catalogue=CatalogueStore(engine), clock=fixed_clock(CLOCK_NOW), limits=limits
    )
    result = service.read_url("https://example.org/a", lang="ko")
    assert fetched == [("https://example.org/a", limits, "ko")]
    assert result.article.publisher == "Tumen Ledger" and result.notes == (NOTHING_FOUND,)


def test_the_container_builds_intake_from_the_settings(tmp_path, engine, monkeypatch):
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("FETCH_TIMEOUT", "4")
    monkeypatch.setenv("FETCH_MAX_BYTES", "50000")
    services = make_services(make_settings(tmp_path), engine)
    assert services.intake._limits == FetchLimits(timeout=4, max_bytes=50_000, allow_private=True)
    for name in ("FETCH_ALLOW_PRIVATE", "FETCH_TIMEOUT", "FETCH_MAX_BYTES"):
        monkeypatch.delenv(name)
    defaults = make_settings(tmp_path)
    assert (defaults.fetch_allow_private, defaults.fetch_timeout, defaults.fetch_max_bytes) == (
        False,
        15,
        2_000_000,
    )


# The real extraction (bot.domain.extraction, bot.domain.report_draft) on the fixture article.


def test_the_fixture_article_gives_the_two_lingzhi_figures(service, engine, catalogue):
    text = (PAGES / "article.txt").read_text(encoding="utf-8")
    result = service.read_text(text, lang="en")
    assert result.article.url == "https://news.tumen-ledger.example/economy/hyesan-border-trade"
    found = [
        (c.number, c.figure.commodity_id, c.figure.place_id, c.figure.low, c.figure.high,
         c.figure.currency, c.figure.unit, c.figure.when)
        for c in result.candidates
    ]  # fmt: skip
    commodity, place = ids(catalogue, "lingzhi")
    assert found == [
        (1, commodity, place, 200, 300, "CNY", "kg", BEFORE),
        (2, commodity, place, 500, 1200, "CNY", "kg", NOW),
    ]
    assert result.candidates[1].figure.qualifier == "depending on quality"
    assert result.report is not None and result.report.place_id == place
    # Once stored, the recent figure is a duplicate.
    stored = lingzhi(engine, catalogue, grade="depending on quality")
    again = service.read_text(text, lang="en")
    assert [c.duplicate_of for c in again.candidates] == [None, stored.id]
