"""An editor's review of an article in chat: what the bot read, ticked and fixed, then saved.

An editor forwards or pastes an article (several parts in a row are one article) or sends
`/intake URL`; the reader (`bot.services.intake.Intake`) proposes candidate figures and a draft
report. The review is a conversation step like a pending entry (`PendingStore`: one per editor,
forgotten after PENDING_SECONDS untouched, read by any process and after a restart), and so is
the short window in which the editor's next text joins the article; nothing is written until
Save. Save writes every kept figure and the report (when the editor
wrote its summary) in one transaction, through the validators and row builders every other entry
uses, with an audit row each and one more that makes them a batch for /undo.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.domain.dates import PartialDate
from bot.domain.entry import read_date, read_topics, resolve_goods, split_goods
from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.intake import BEFORE, NOW, Article, IntakeResult, ReportDraft
from bot.domain.provenance import site_name
from bot.domain.records import (
    MAX_SUMMARY,
    PRICE_TYPES,
    parse_currency,
    parse_goods,
    parse_number,
    parse_price_range,
    parse_url,
    price_record_from_row,
    trade_report_from_row,
)
from bot.domain.text import normalize
from bot.domain.units import valid_unit
from bot.rendering.html import esc, esc_short
from bot.rendering.intake_review import FigureLine, ReportLines, ReviewView, render_review
from bot.rendering.replies import Reply
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.condition_alerts import ConditionAlerts
from bot.services.pending import INTAKE, Pending, PendingStore
from bot.services.price_alerts import PriceAlerts
from bot.services.prices import MAX_QUESTION_CHARS, MAX_QUESTION_WORDS
from bot.services.records import price_row, trade_report_row
from db import repo
from db.repo import feeds as feed_repo

logger = logging.getLogger(__name__)

# The window after an article's part in which the editor's next text joins it.
PART = "intake-part"

# Parts of one article: a part that comes less than this after the last one joins it.
JOIN_SECONDS = 5.0
# A pasted text this long is an article, not a question.


def may_be_article(text: str) -> bool:
    """Whether an editor's text is too long to be a question (the limits questions are read
    under), and so is read as an article."""
    return len(text) > MAX_QUESTION_CHARS or len(text.split()) > MAX_QUESTION_WORDS


# The most figures one review proposes.
MAX_CANDIDATES = 30
UNKNOWN_SOURCE = "unknown"
EXPIRED = (
    "This review has expired or was already saved or cancelled; nothing more was saved. "
    "Forward or paste the article again to review it anew."
)
NO_REVIEW = (
    "You have no article under review. Forward or paste one, or send /intake URL; then "
    "/fix and /summary change it."
)
NOTHING_FOUND = "I found no price figures or trade conditions in this text; nothing was saved."
INTAKE_USAGE = (
    "Send <code>/intake URL</code> with the article's link, e.g. "
    "<code>/intake https://www.dailynk.com/english/...</code>, or forward or paste the article's "
    "text to me (several messages in a row are read as one article)."
)
FIX_USAGE = (
    "Use /fix N FIELD VALUE for figure N (commodity, place, low, high, price, currency, unit, "
    "when, qualifier), /fix report FIELD VALUE (place, date, topics, direction, channel, border, "
    "market, goods, enforcement), or /fix source NAME, /fix url URL, /fix date YYYY-MM-DD. "
    "A dash clears an optional field: /fix 2 qualifier -"
)
# Refusals: editors' tools answer in English (not yet in the Korean catalogue, bot/i18n).
NO_TEXT = "The message has no text to read."
NO_SUCH_FIGURE = "There is no figure {number} in the review; the numbers are in its list."
NO_REPORT = "The bot found no trade conditions in this article: no report."
SUMMARY_USAGE = "Write the summary after the command, in your own words: /summary TEXT."
SUMMARY_TOO_LONG = "The summary is {length} characters; the limit is {limit}."
SUMMARY_COPIED = "The summary repeats the source's sentence “{sentence}” word for word; write it in your own words."
SOURCE_TOO_LONG = "A source name is at most 120 characters."
DATE_USAGE = "Give the publication date as YYYY-MM-DD."
REPORT_FIELDS_HELP = "You can fix in the report: {fields}."
NOT_A_TOPIC = "“{word}” is not a topic."
FIGURE_FIELDS_HELP = "You can fix in a figure: {fields}."
WHEN_USAGE = "Say when: before, now or a date (2026-11 or 2026-11-20)."
BACKWARDS = "The range {low}-{high} runs backwards: low must not exceed high."
ALL_STORED = "Every kept figure is already stored; nothing was saved. Tick others, or write the report's summary with /summary TEXT."
NOTHING_KEPT = "Nothing is kept: tick a figure, or write the report's summary with /summary TEXT."
STORED_MEANWHILE = "Another entry stored some of these figures just now; nothing was saved. Forward the article again to review what is left."
REPORT_PLACE_UNKNOWN = "The report's place is not in the catalogue: /fix report place NAME."
NOT_SAVED = "Nothing was saved."
_FIGURE_FIELDS = {
    "commodity": "commodity",
    "good": "commodity",
    "place": "place",
    "market": "place",
    "low": "low",
    "high": "high",
    "price": "price",
    "currency": "currency",
    "unit": "unit",
    "when": "when",
    "date": "when",
    "qualifier": "qualifier",
    "grade": "qualifier",
}
_REPORT_FIELDS = {
    "place": "place",
    "date": "observed",
    "topics": "topics",
    "topic": "topics",
    "direction": "direction",
    "channel": "channel",
    "border": "border_status",
    "market": "market_activity",
    "goods": "goods",
    "enforcement": "enforcement",
}
_CLEAR = "-"
_URL_RE = re.compile(r"https?://[^\s<>\"'“”]+")
_WHEN_WORDS = {"before": BEFORE, "earlier": BEFORE, "now": NOW, "recently": NOW, "recent": NOW}
# A summary that holds one of the source's sentences word for word is the source's, not the
# editor's: sentences shorter than this are too short to tell.
_COPIED_SENTENCE = 40


class ArticleReader(Protocol):
    """What reads an article (bot.services.intake.Intake)."""

    def read_text(
        self, text: str, *, lang: str | None = None, url: str | None = None
    ) -> IntakeResult: ...

    def read_url(self, url: str) -> IntakeResult: ...

    def read(self, article: Article) -> IntakeResult: ...


@dataclass(frozen=True)
class Forwarded:
    """What a forwarded message tells of its origin: a channel's or group's name, its date."""

    name: str | None = None
    posted: date | None = None


@dataclass
class FigureDraft:
    """One candidate figure as the editor keeps, drops and fixes it."""

    number: int
    commodity_id: int | None
    commodity_words: str
    place_id: int | None
    place_words: str | None
    low: float
    high: float
    currency: str
    unit: str  # as stored: kg, 600 g, USD
    when: str
    qualifier: str | None
    approximate: bool
    duplicate_of: int | None
    kept: bool


@dataclass
class Review:
    """One editor's article under review."""

    parts: list[str]
    url: str | None
    forwarded: Forwarded
    title: str | None = None
    publisher: str | None = None
    figures: list[FigureDraft] = field(default_factory=list)
    hidden: int = 0
    report: ReportDraft | None = None
    published_found: date | None = None
    # The editor's: the report's summary, and any source, link or date they set with /fix.
    summary: str | None = None
    source: str | None = None
    source_url: str | None = None
    published: str | None = None
    message_id: int | None = None
    # The inbox item it was opened from (a news feed's article): marked saved with it.
    inbox_item: int | None = None

    @property
    def credited(self) -> tuple[str | None, str | None]:
        """The publisher figures are credited to, and where it came from."""
        if self.source:
            return self.source, "yours"
        if self.publisher:
            return self.publisher, "the page"
        if self.forwarded.name:
            return self.forwarded.name, "the forwarded post"
        named = site_name(self.link)
        return (named, "the link") if named else (None, None)

    @property
    def link(self) -> str | None:
        return self.source_url or self.url

    @property
    def dated(self) -> tuple[str | None, str | None]:
        """The publication date (ISO), and where it came from."""
        if self.published:
            return self.published, "yours"
        if self.published_found:
            return self.published_found.isoformat(), "the page"
        if self.forwarded.posted:
            return self.forwarded.posted.isoformat(), "the forwarded post"
        return None, None


@dataclass(frozen=True)
class Shown:
    """A review to show: the reply, the review's token (None: no review), the message to edit
    in place (None: send it as a new message) and a short note to send after it."""

    reply: Reply
    token: str | None = None
    edit_message_id: int | None = None
    note: str | None = None


class IntakeReviews:
    """Articles under review, one per editor, and the one transaction that saves each."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        pending: PendingStore,
        reader: ArticleReader,
        alerts: PriceAlerts,
        condition_alerts: ConditionAlerts,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._store = pending
        self._reader = reader
        self._alerts = alerts
        self._condition_alerts = condition_alerts

    # Reading

    def is_joining(self, admin_id: int) -> bool:
        """Tell whether text from this editor now would be the next part of the article they
        are sending (a step of kind PART, alive JOIN_SECONDS after each part)."""
        return self._store.latest(admin_id, (PART,)) is not None

    def _mark_part(
        self, admin_id: int, *, token: str | None = None, loose: Review | None = None
    ) -> None:
        """Open (or renew) the window in which the next part joins: to the held review
        `token`, or to `loose`, a part in which nothing was found yet."""
        self._store.drop(admin_id, (PART,))
        self._store.add(
            admin_id=admin_id,
            kind=PART,
            data={"token": token, "loose": loose},
            seconds=JOIN_SECONDS,
        )

    def read_text(self, *, admin_id: int, text: str, forwarded: Forwarded | None = None) -> Shown:
        """Read a forwarded or pasted text; a part that follows the last within JOIN_SECONDS is
        joined to it and the whole read again (the review message is then edited in place)."""
        if not text.strip():
            raise InvalidInput(NO_TEXT)
        joined, review = self._joining(admin_id)
        if review is not None:
            review.parts.append(text)
            try:
                result = self._reader.read_text("\n\n".join(review.parts), url=review.url)
            except DomainError:
                review.parts.pop()
                raise
            if joined is not None:
                shown = self._show(joined, review, result, edit=review.message_id)
                self._store.save(joined)
                return shown
            return self._open_review(admin_id, review, result)
        review = Review(parts=[text], url=_first_link(text), forwarded=forwarded or Forwarded())
        result = self._reader.read_text(text, url=review.url)
        return self._open_review(admin_id, review, result)

    def read_url(self, *, admin_id: int, url: str) -> Shown:
        """Fetch and read the article at `url` (/intake URL)."""
        link = url.strip()
        if not link:
            raise InvalidInput(INTAKE_USAGE, is_html=True)
        result = self._reader.read_url(link)
        review = Review(
            parts=[result.article.text], url=result.article.url or link, forwarded=Forwarded()
        )
        return self._open_review(admin_id, review, result, joinable=False)

    def open_article(self, *, admin_id: int, article: Article, inbox_item: int) -> Shown:
        """Open an inbox item's article (read when its feed was checked) into the review."""
        result = self._reader.read(article)
        review = Review(
            parts=[article.text], url=article.url, forwarded=Forwarded(), inbox_item=inbox_item
        )
        return self._open_review(admin_id, review, result, joinable=False)

    def _joining(self, admin_id: int) -> tuple[Pending | None, Review | None]:
        """The review (held, or read with nothing found yet) the editor's next part joins."""
        part = self._store.latest(admin_id, (PART,))
        if part is None:
            return None, None
        token, loose = part.data.get("token"), part.data.get("loose")
        pending = self._store.get(token, admin_id=admin_id) if token else None
        self._mark_part(admin_id, token=token, loose=loose)
        if pending is not None:
            return pending, pending.data["review"]
        return None, loose

    def _open_review(
        self, admin_id: int, review: Review, result: IntakeResult, *, joinable: bool = True
    ) -> Shown:
        """Hold a new review (it replaces the editor's open one) and show it."""
        self._store.drop(admin_id, (INTAKE, PART))
        if not result.candidates and result.report is None:
            if joinable:
                # Its next part may hold the figures: for a few seconds it joins this text.
                self._mark_part(admin_id, loose=review)
            raise InvalidInput(_nothing_found(result))
        pending = self._store.add(admin_id=admin_id, kind=INTAKE, data={"review": review})
        shown = self._show(pending, review, result, edit=None)
        self._store.save(pending)
        if joinable:
            self._mark_part(admin_id, token=pending.token)
        return shown

    def _show(
        self, pending: Pending, review: Review, result: IntakeResult, *, edit: int | None
    ) -> Shown:
        """Take what was read into the review (figures and report read anew) and render it."""
        article = result.article
        review.title = article.title
        review.publisher = article.publisher
        review.published_found = article.published
        review.url = review.url or article.url
        candidates = result.candidates[:MAX_CANDIDATES]
        review.hidden = len(result.candidates) - len(candidates)
        review.figures = [_draft(c.number, c) for c in candidates]
        review.report = result.report
        if not review.figures and review.report is None:
            self._store.pop(pending.token, admin_id=pending.admin_id)
            self._store.drop(pending.admin_id, (PART,))
            raise InvalidInput(_nothing_found(result))
        return Shown(self._render(pending.token, review), pending.token, edit)

    def shown(self, *, admin_id: int, token: str, message_id: int) -> None:
        """Record the message that shows a review, so later parts and fixes edit it."""
        pending = self._store.get(token, admin_id=admin_id)
        if pending is not None:
            pending.data["review"].message_id = message_id
            self._store.save(pending)

    # Ticking, fixing, the summary

    def toggle(self, *, admin_id: int, token: str, number: int | None) -> Reply:
        """Keep or drop figure `number`."""
        pending = self._pending(token, admin_id)
        review: Review = pending.data["review"]
        figure = next((f for f in review.figures if f.number == number), None)
        if figure is None:
            raise InvalidInput("This button is no longer valid.")
        figure.kept = not figure.kept
        self._store.save(pending)
        return self._render(token, review)

    def fix(self, *, admin_id: int, args: str) -> Shown:
        """Change one field of a figure, of the report, or the source, link or date: /fix."""
        words = args.split(maxsplit=2)
        pending = self._open_of(admin_id)
        review: Review = pending.data["review"]
        if len(words) == 2 and words[0].lower() in ("source", "url", "date"):
            what, value = words[0].lower(), words[1]
        elif len(words) == 3 and words[0].lower() in ("source", "url", "date"):
            what, value = words[0].lower(), f"{words[1]} {words[2]}"
        elif len(words) == 3:
            what, value = "", ""
        else:
            raise InvalidInput(FIX_USAGE)
        if what:
            note = self._fix_article(review, what, value.strip())
        elif words[0].lower() == "report":
            note = self._fix_report(review, words[1].lower(), words[2].strip())
        else:
            number = words[0].lstrip("#")
            figure = next((f for f in review.figures if str(f.number) == number), None)
            if figure is None:
                raise InvalidInput(NO_SUCH_FIGURE, number=number[:12])
            note = self._fix_figure(figure, words[1].lower(), words[2].strip(), review)
        self._store.save(pending)
        return Shown(self._render(pending.token, review), pending.token, review.message_id, note)

    def summary(self, *, admin_id: int, text: str) -> Shown:
        """Set the report's summary, in the editor's own words: /summary TEXT."""
        pending = self._open_of(admin_id)
        review: Review = pending.data["review"]
        if review.report is None:
            raise InvalidInput(NO_REPORT)
        summary = " ".join(text.split())
        if not summary:
            raise InvalidInput(SUMMARY_USAGE)
        if summary == _CLEAR:
            review.summary = None
            self._store.save(pending)
            return Shown(
                self._render(pending.token, review),
                pending.token,
                review.message_id,
                "Summary cleared; Save leaves the report out.",
            )
        if len(summary) > MAX_SUMMARY:
            raise InvalidInput(
                SUMMARY_TOO_LONG,
                length=f"{len(summary):,}",
                limit=f"{MAX_SUMMARY:,}",
            )
        copied = _copied(summary, review.report.sentences)
        if copied is not None:
            raise InvalidInput(
                SUMMARY_COPIED,
                sentence=copied,
            )
        review.summary = summary
        self._store.save(pending)
        return Shown(
            self._render(pending.token, review),
            pending.token,
            review.message_id,
            "Summary set; Save now saves the report too.",
        )

    def _fix_article(self, review: Review, what: str, value: str) -> str:
        today = self._clock().date()
        if what == "source":
            if value == _CLEAR:
                review.source = None
                return "Source cleared."
            if len(value) > 120:
                raise InvalidInput(SOURCE_TOO_LONG)
            review.source = value
            return f"Source: {value}."
        if what == "url":
            if value == _CLEAR:
                review.source_url = review.url = None
                return "Link cleared."
            review.source_url = parse_url(value)
            return f"Link: {review.source_url}."
        iso = read_date(value, today=today) or value
        dated = PartialDate.parse(iso, today=today)
        if dated.value is None:
            raise InvalidInput(DATE_USAGE)
        review.published = dated.iso()
        return f"Publication date: {review.published}."

    def _fix_report(self, review: Review, name: str, value: str) -> str:
        if review.report is None:
            raise InvalidInput(NO_REPORT)
        field_name = _REPORT_FIELDS.get(name)
        if field_name is None:
            raise InvalidInput(REPORT_FIELDS_HELP, fields=", ".join(sorted(_REPORT_FIELDS)))
        catalogue = self._catalogue.current
        report = review.report
        clear = value == _CLEAR
        changes: dict[str, Any]
        if field_name == "place":
            place_id = None if clear else _resolve(catalogue, "place", value)
            changes = {"place_id": place_id, "place_words": None if clear else value}
        elif field_name == "topics":
            found, unknown = read_topics(value) if not clear else ([], [])
            if unknown:
                raise InvalidInput(NOT_A_TOPIC, word=unknown[0])
            changes = {"topics": tuple(dict.fromkeys(found))}
        elif field_name == "goods":
            goods = () if clear else parse_goods(split_goods(value))
            resolved = resolve_goods(goods, catalogue.commodities)
            ids = tuple(
                catalogue.commodity_slugs[g] for g in resolved if g in catalogue.commodity_slugs
            )
            words = tuple(g for g in resolved if g not in catalogue.commodity_slugs)
            changes = {"goods": ids, "goods_words": words}
        elif field_name == "observed":
            today = self._clock().date()
            changes = {"observed": None if clear else (read_date(value, today=today) or value)}
        else:
            changes = {field_name: None if clear else value}
        fixed = replace(report, **changes)
        # The whole report is checked as it will be saved (with a stand-in summary).
        self._report_row(review, fixed, summary=review.summary or "…")
        review.report = fixed
        return f"Report {name}: {value}."

    def _fix_figure(self, figure: FigureDraft, name: str, value: str, review: Review) -> str:
        field_name = _FIGURE_FIELDS.get(name)
        if field_name is None:
            raise InvalidInput(
                FIGURE_FIELDS_HELP,
                fields=", ".join(sorted(set(_FIGURE_FIELDS.values()))),
            )
        catalogue = self._catalogue.current
        fixed = replace(figure)
        if field_name == "commodity":
            fixed.commodity_id = _resolve(catalogue, "commodity", value)
            fixed.commodity_words = value
        elif field_name == "place":
            fixed.place_id = None if value == _CLEAR else _resolve(catalogue, "place", value)
            fixed.place_words = None if value == _CLEAR else value
        elif field_name == "low":
            fixed.low = parse_number(value, what="low price")
        elif field_name == "high":
            fixed.high = parse_number(value, what="high price")
        elif field_name == "price":
            fixed.low, fixed.high = parse_price_range(value)
        elif field_name == "currency":
            fixed.currency = parse_currency(value)
        elif field_name == "unit":
            fixed.unit = valid_unit(value).text
        elif field_name == "when":
            word = _WHEN_WORDS.get(value.lower())
            if word is None:
                today = self._clock().date()
                iso = read_date(value, today=today) or value
                parsed = PartialDate.parse(iso, today=today)
                if parsed.value is None:
                    raise InvalidInput(WHEN_USAGE)
                word = parsed.iso()
            fixed.when = word
        else:
            fixed.qualifier = None if value == _CLEAR else value[:120]
        if fixed.low > fixed.high:
            raise InvalidInput(
                BACKWARDS,
                low=f"{fixed.low:g}",
                high=f"{fixed.high:g}",
            )
        # The whole figure is checked as it will be saved, when its names are settled.
        if None not in self._names_of(fixed, review):
            price_record_from_row(self._figure_row(review, fixed, []), today=self._clock().date())
        figure.__dict__.update(fixed.__dict__)
        return f"Figure {figure.number} {name}: {value}."

    # Save and cancel

    def cancel(self, *, admin_id: int, token: str) -> Reply:
        """Drop the review; nothing is saved."""
        pending = self._store.pop(token, admin_id=admin_id)
        if pending is None:
            raise NotFound(EXPIRED)
        self._store.drop(admin_id, (PART,))
        return Reply(text="Cancelled; nothing from this article was saved.")

    def save(self, *, admin_id: int, token: str) -> Reply:
        """Write the kept figures and the report (if it has its summary) in one transaction.

        Nothing is written twice: the review leaves the store in the transaction that saves it,
        so a second tap (or a second process) finds nothing. Figures already stored are
        skipped, and said so.
        """
        pending = self._pending(token, admin_id)
        review: Review = pending.data["review"]
        figures, skipped = self._plan(review)
        report_row = None
        if review.report is not None and review.summary:
            report_row = self._report_row(review, review.report, summary=review.summary)
        if not figures and report_row is None:
            if skipped:
                raise InvalidInput(ALL_STORED)
            raise InvalidInput(NOTHING_KEPT)
        saved, stored, report_id = self._write(
            pending, review, figures, report_row, admin_id=admin_id
        )
        self._store.drop(admin_id, (PART,))
        if saved:
            self._alerts.prices_added([ident for _, ident in saved])
        if report_id is not None:
            self._condition_alerts.reports_added([report_id])
        logger.info(
            "Admin %s saved an article: %d figures, report %s", admin_id, len(saved), report_id
        )
        return Reply(text=_saved_text(review, saved, [*skipped, *stored], report_id))

    def _plan(self, review: Review) -> tuple[list[tuple[int, dict[str, str]]], list[int]]:
        """Return the rows of the kept figures (validated) and the numbers of duplicates."""
        today = self._clock().date()
        rows: list[tuple[int, dict[str, str]]] = []
        skipped: list[int] = []
        problems: list[str] = []
        kept = [f for f in review.figures if f.kept]
        for figure in kept:
            if figure.duplicate_of is not None:
                skipped.append(figure.number)
                continue
            commodity, place = self._names_of(figure, review)
            if commodity is None or place is None:
                what = "commodity" if commodity is None else "place"
                problems.append(
                    f"Figure {figure.number}: its {what} is not in the catalogue; "
                    f"/fix {figure.number} {what} NAME, or untick it."
                )
                continue
            row = self._figure_row(review, figure, kept)
            try:
                price_record_from_row(row, today=today)
            except DomainError as exc:
                problems.append(f"Figure {figure.number}: {exc.user_message}")
                continue
            rows.append((figure.number, row))
        if problems:
            refusal = "\n".join([NOT_SAVED, *problems])
            raise InvalidInput(refusal)
        return rows, skipped

    def _write(
        self,
        pending: Pending,
        review: Review,
        figures: list[tuple[int, dict[str, str]]],
        report_row: dict[str, str] | None,
        *,
        admin_id: int,
    ) -> tuple[list[tuple[int, int]], list[int], int | None]:
        """Store the rows, an audit row each, the batch's audit row and the end of the review's
        marker in one transaction; return (number, id) saved, numbers found stored, report id."""
        now = self._clock()
        catalogue = self._catalogue.current
        saved: list[tuple[int, int]] = []
        stored: list[int] = []
        report_id: int | None = None
        with Session(self._engine) as session:
            try:
                for number, row in figures:
                    record = price_record_from_row(row, today=now.date())
                    observation = price_row(record, catalogue, entered_by=admin_id, now=now)
                    if repo.price_exists(session, natural_key=observation.natural_key):
                        stored.append(number)
                        continue
                    repo.add_price(session, observation=observation)
                    # Flushed one by one: the same figure twice in one article is stored once.
                    session.flush()
                    assert observation.id is not None
                    saved.append((number, observation.id))
                    self._audit(session, "priceobservation", observation.id, row, admin_id, now)
                if report_row is not None:
                    report_record = trade_report_from_row(report_row, today=now.date())
                    report, goods = trade_report_row(
                        report_record, catalogue, entered_by=admin_id, now=now
                    )
                    if not repo.trade_report_exists(session, natural_key=report.natural_key):
                        repo.add_trade_report(session, report=report, commodity_ids=goods)
                        report_id = report.id
                        assert report_id is not None
                        after = {k: v[:200] for k, v in report_row.items() if v}
                        self._audit(session, "tradereport", report_id, after, admin_id, now)
                if not saved and report_id is None:
                    session.rollback()
                    raise InvalidInput(STORED_MEANWHILE)
                repo.add_audit(
                    session,
                    actor_id=admin_id,
                    action=repo.INTAKE_ACTION,
                    entity="intake",
                    entity_id=pending.token,
                    before=None,
                    after={
                        "prices": [ident for _, ident in saved],
                        "reports": [report_id] if report_id is not None else [],
                        "url": (review.link or "")[:500],
                        "source": self._source(review),
                    },
                    now=now,
                )
                if not self._store.take(session, pending):
                    # Saved meanwhile by another tap (or another process): nothing twice.
                    session.rollback()
                    raise NotFound(EXPIRED)
                if review.inbox_item is not None:
                    # Opened from the inbox: saved with it, so it leaves the inbox.
                    feed_repo.set_item_status(
                        session, item_id=review.inbox_item, status="saved", actor_id=admin_id,
                        now=now, only_pending=False,
                    )  # fmt: skip
                session.commit()
            except IntegrityError:
                # Another editor stored one of these between our check and our insert.
                session.rollback()
                logger.info("Admin %s saved an article stored meanwhile", admin_id)
                raise InvalidInput(STORED_MEANWHILE) from None
        return saved, stored, report_id

    @staticmethod
    def _audit(
        session: Session,
        entity: str,
        ident: int,
        after: dict[str, str],
        admin_id: int,
        now: Any,
    ) -> None:
        repo.add_audit(
            session,
            actor_id=admin_id,
            action="create",
            entity=entity,
            entity_id=str(ident),
            before=None,
            after={k: v for k, v in after.items() if v},
            now=now,
        )

    # Rows as every entry's validators take them

    def _source(self, review: Review) -> str:
        return (review.credited[0] or UNKNOWN_SOURCE)[:120]

    def _names_of(self, figure: FigureDraft, review: Review) -> tuple[str | None, str | None]:
        """The slugs of a figure's commodity and place (its own, else the report's place)."""
        catalogue = self._catalogue.current
        commodity = _slug_of(catalogue.commodity_slugs, figure.commodity_id)
        place_id = figure.place_id
        if place_id is None and review.report is not None:
            place_id = review.report.place_id
        return commodity, _slug_of(catalogue.market_slugs, place_id)

    def _figure_row(
        self, review: Review, figure: FigureDraft, kept: list[FigureDraft]
    ) -> dict[str, str]:
        """The import row of a figure: the article's link, publisher and publication date.

        A figure "now" is dated on the publication date; one "before" too, flagged as inferred
        and noted "before <date>". Without a publication date both are undated, ordered only
        by the report ("before" 1, "now" 2), as the sample data stores such figures.
        """
        commodity, place = self._names_of(figure, review)
        published, _ = review.dated
        grade, price_type = figure.qualifier, "retail"
        as_type = (grade or "").strip().lower().replace(" ", "_")
        if as_type in PRICE_TYPES:
            grade, price_type = None, as_type
        notes = []
        when, inferred = "", ""
        if figure.when == BEFORE:
            when = published or ""
            inferred = "yes" if published else ""
            notes.append(f"before {published}" if published else "before")
        elif figure.when == NOW:
            when = published or ""
        else:
            when = figure.when
        if figure.approximate:
            notes.append("approximate")
        series = [
            f
            for f in kept
            if f.commodity_id == figure.commodity_id
            and f.place_id == figure.place_id
            and f.when in (BEFORE, NOW)
        ]
        ordered = figure.when in (BEFORE, NOW) and any(f.when == BEFORE for f in series)
        order = ("1" if figure.when == BEFORE else "2") if ordered else ""
        price = (
            f"{figure.low:g}" if figure.low == figure.high else f"{figure.low:g}-{figure.high:g}"
        )
        return {
            "commodity": commodity or "",
            "market": place or "",
            "price": price,
            "currency": figure.currency,
            "unit": figure.unit,
            "date": when,
            "pricetype": price_type,
            "grade": grade or "",
            "source": self._source(review),
            "source_url": review.link or "",
            "note": "; ".join(notes),
            "reported_date": published or "",
            "date_inferred": inferred,
            "report_order": order,
        }

    def _report_row(self, review: Review, report: ReportDraft, *, summary: str) -> dict[str, str]:
        """The import row of the report, validated as a report file's row is."""
        catalogue = self._catalogue.current
        place = _slug_of(catalogue.market_slugs, report.place_id)
        if place is None:
            raise InvalidInput(REPORT_PLACE_UNKNOWN)
        goods = [slug for slug, ident in catalogue.commodity_slugs.items() if ident in report.goods]
        published, _ = review.dated
        row = {
            "place": place,
            "date": report.observed or published or "",
            "topics": ";".join(report.topics),
            "direction": report.direction or "",
            "channel": report.channel or "",
            "border_status": report.border_status or "",
            "market_activity": report.market_activity or "",
            "enforcement": report.enforcement or "",
            "commodities": ";".join([*goods, *report.goods_words]),
            "summary": summary,
            "source": self._source(review),
            "source_url": review.link or "",
            "reliability": "",
        }
        trade_report_from_row(row, today=self._clock().date())
        return row

    # Showing

    def _render(self, token: str, review: Review) -> Reply:
        catalogue = self._catalogue.current
        source, source_from = review.credited
        published, published_from = review.dated
        return render_review(
            ReviewView(
                token=token,
                title=review.title,
                source=source,
                source_from=source_from,
                url=review.link,
                published=published,
                published_from=published_from,
                figures=tuple(self._line(f, review, catalogue) for f in review.figures),
                report=self._report_lines(review, catalogue),
                hidden=review.hidden,
                parts=len(review.parts),
            )
        )

    def _line(self, figure: FigureDraft, review: Review, catalogue: Catalogue) -> FigureLine:
        commodity = (
            catalogue.commodity_labels[figure.commodity_id].en
            if figure.commodity_id in catalogue.commodity_labels
            else figure.commodity_words
        )
        place_id = figure.place_id
        if place_id is None and review.report is not None:
            place_id = review.report.place_id
        place = (
            catalogue.market_labels[place_id].en
            if place_id is not None and place_id in catalogue.market_labels
            else figure.place_words
        )
        missing = [
            *(["commodity"] if figure.commodity_id not in catalogue.commodity_labels else []),
            *(["place"] if place_id not in catalogue.market_labels else []),
        ]
        return FigureLine(
            number=figure.number,
            commodity=commodity,
            place=place,
            low=figure.low,
            high=figure.high,
            currency=figure.currency,
            unit=figure.unit,
            when=figure.when,
            qualifier=figure.qualifier,
            approximate=figure.approximate,
            duplicate_of=figure.duplicate_of,
            kept=figure.kept,
            missing=tuple(missing),
        )

    def _report_lines(self, review: Review, catalogue: Catalogue) -> ReportLines | None:
        report = review.report
        if report is None:
            return None
        place = (
            catalogue.market_labels[report.place_id].en
            if report.place_id in catalogue.market_labels
            else report.place_words
        )
        goods = [
            catalogue.commodity_labels[g].en
            for g in report.goods
            if g in catalogue.commodity_labels
        ]
        return ReportLines(
            place=place if report.place_id is not None else None,
            observed=report.observed or review.dated[0],
            topics=report.topics,
            direction=report.direction,
            channel=report.channel,
            goods=(*goods, *report.goods_words),
            border_status=report.border_status,
            market_activity=report.market_activity,
            enforcement=report.enforcement,
            sentences=report.sentences,
            summary=review.summary,
        )

    # The store

    def _pending(self, token: str, admin_id: int) -> Pending:
        pending = self._store.get(token, admin_id=admin_id)
        if pending is None or pending.kind != INTAKE:
            raise NotFound(EXPIRED)
        return pending

    def _open_of(self, admin_id: int) -> Pending:
        pending = self._store.latest(admin_id, (INTAKE,))
        if pending is None:
            raise NotFound(NO_REVIEW)
        return pending


def _draft(number: int, candidate: Any) -> FigureDraft:
    figure = candidate.figure
    unit = figure.unit if figure.quantity == 1 else f"{figure.quantity:g} {figure.unit}"
    return FigureDraft(
        number=number,
        commodity_id=figure.commodity_id,
        commodity_words=figure.commodity_words,
        place_id=figure.place_id,
        place_words=figure.place_words,
        low=figure.low,
        high=figure.high,
        currency=figure.currency,
        unit=unit,
        when=figure.when,
        qualifier=figure.qualifier,
        approximate=figure.approximate,
        duplicate_of=candidate.duplicate_of,
        kept=candidate.duplicate_of is None,
    )


def _slug_of(slugs: dict[str, int], ident: int | None) -> str | None:
    if ident is None:
        return None
    return next((slug for slug, i in slugs.items() if i == ident), None)


def _resolve(catalogue: Catalogue, what: str, text: str) -> int:
    resolver = catalogue.commodities if what == "commodity" else catalogue.markets
    slugs = catalogue.commodity_slugs if what == "commodity" else catalogue.market_slugs
    if text in slugs:
        return slugs[text]
    match = resolver.resolve(text).match
    if match is not None:
        return match.entry.id
    close = tuple(c.entry.display for c in resolver.rank(text, limit=3))
    hint = f" Closest: {', '.join(close)}." if close else ""
    raise NotFound(f"I know no {what} called “{text[:80]}”.{hint}", suggestions=close)


def _first_link(text: str) -> str | None:
    match = _URL_RE.search(text)
    if match is None:
        return None
    link = match.group(0).rstrip(".,;:)]")
    return link if len(link) <= 500 else None


def _copied(summary: str, sentences: tuple[str, ...]) -> str | None:
    flat = normalize(summary)
    for sentence in sentences:
        words = normalize(sentence)
        if len(words) >= _COPIED_SENTENCE and words in flat:
            return sentence
    return None


def _nothing_found(result: IntakeResult) -> str:
    if not result.notes:
        return NOTHING_FOUND
    return f"{result.notes[0].rstrip('.')}; nothing was saved."


def _saved_text(
    review: Review, saved: list[tuple[int, int]], skipped: list[int], report_id: int | None
) -> str:
    source = esc_short(review.credited[0] or UNKNOWN_SOURCE, 120)
    lines = []
    if saved:
        ids = ", ".join(f"#{ident}" for _, ident in saved)
        count = f"{len(saved)} figure{'s' if len(saved) != 1 else ''}"
        lines.append(f"✅ Saved {count} ({ids}) from {source}.")
    if report_id is not None:
        lines.append(f"✅ Saved the report as r{report_id}.")
    elif review.report is not None:
        lines.append(
            "The report was left out: it had no summary (send /summary TEXT before Save)."
            if not review.summary
            else "The report is already stored; it was not added again."
        )
    if skipped:
        numbers = ", ".join(str(n) for n in sorted(skipped))
        lines.append(f"Skipped, already stored: {esc(numbers)}.")
    lines.append("/undo removes everything saved from this article at once (within 24 hours).")
    return "\n".join(lines)
