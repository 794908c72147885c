"""What the bot reads in an article: candidate price figures and a draft trade-condition report.

Shared by the extraction (`bot.domain.extraction`, `bot.domain.report_draft`), the intake service
(`bot.services.intake`: text, file or URL in; candidates resolved, duplicates marked) and the
editors' review in chat. Nothing here is stored: an editor keeps, edits or drops each candidate,
and only "Save" writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# `FoundFigure.when`: the figure is the earlier one of a before/after pair, or the current one.
BEFORE = "before"
NOW = "now"


@dataclass(frozen=True)
class FoundFigure:
    """One price figure read in a text: a good (resolved when it is in the catalogue), maybe a
    place, a low-high range, a currency and a unit, when, and how the text qualifies it."""

    # The catalogue's commodity, or None when the good is not in it (then `commodity_words`).
    commodity_id: int | None
    # The words the text names the good with ("Lingzhi mushrooms", "쌀", "大米").
    commodity_words: str
    # The place the figure is for, when the text says (resolved through the catalogue).
    place_id: int | None
    place_words: str | None
    low: float
    high: float
    # ISO 4217: KPW, CNY, USD, ...
    currency: str
    # kg, g, litre, piece, jin (斤/근), or a currency code for an exchange rate (KPW per USD:
    # commodity "US dollar", currency KPW, unit USD).
    unit: str
    # "per 600 g" -> 600 with unit "g"; 1 otherwise.
    quantity: float
    # BEFORE, NOW, or an ISO date (YYYY-MM-DD, YYYY-MM) the text gives for this figure.
    when: str
    # "depending on quality", "wholesale", "retail", ... as the text says; None when it says none.
    qualifier: str | None = None
    # "about", "around", "정도", "左右", "約": the text gives the figure as an approximation.
    approximate: bool = False
    # The sentence it was read in, and where the figure's words are in the whole text.
    sentence: str = ""
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class ReportDraft:
    """A trade-condition report proposed from a text; the editor writes or edits the summary."""

    place_id: int | None
    place_words: str | None
    # Topic words of bot.domain.conditions.TOPICS ("exports", "smuggling", ...).
    topics: tuple[str, ...]
    # bot.domain.conditions: DIRECTIONS, CHANNELS (or a short free label), BORDER_STATUSES,
    # MARKET_ACTIVITY; None when the text does not say.
    direction: str | None = None
    channel: str | None = None
    border_status: str | None = None
    market_activity: str | None = None
    enforcement: str | None = None
    # Goods the report names: catalogue ids, and the words of goods outside the catalogue.
    goods: tuple[int, ...] = ()
    goods_words: tuple[str, ...] = ()
    # The source's sentences that carry these facts, quoted for the editor to paraphrase: they
    # are the source's words and are never stored as the summary unedited.
    sentences: tuple[str, ...] = ()
    # A date the text gives for the conditions, ISO (YYYY-MM-DD or YYYY-MM); None: the article's.
    observed: str | None = None


@dataclass(frozen=True)
class Article:
    """A text to read, and what is known of where it came from."""

    text: str
    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: date | None = None
    # The language the text is in, when known (en, ko, zh, ja); None: read every language.
    lang: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A found figure as the review shows it: numbered, and whether a stored figure (same
    series, date and value) already has it, in which case it starts unticked."""

    number: int
    figure: FoundFigure
    duplicate_of: int | None = None


@dataclass(frozen=True)
class IntakeResult:
    """What the bot read in one article."""

    article: Article
    candidates: tuple[Candidate, ...] = ()
    report: ReportDraft | None = None
    # Why nothing could be read, when nothing could ("no figures or trade conditions found").
    notes: tuple[str, ...] = field(default_factory=tuple)
