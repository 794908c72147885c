"""Questions anyone may ask: prices, comparisons, trends, trade conditions, lists, inline mode."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot.domain import callbacks
from bot.domain.errors import InvalidInput
from bot.domain.intent import Ask
from bot.rendering.replies import InlineResult, Reply
from bot.services import analysis, asking, browse, conditions, prices
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock

INVALID_BUTTON = "This button is no longer valid."


class Questions:
    """Answers read from the figures and reports; nothing here writes."""

    def __init__(self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock

    def _today(self) -> date:
        return self._clock().date()

    # typed questions and commands

    def ask(self, text: str, *, lang: str, force: Ask | None = None) -> Reply:
        """Answer a question as people ask it (raises DomainError with a user message)."""
        return asking.ask(
            self._engine,
            self._catalogue.current,
            text,
            today=self._today(),
            lang=lang,
            force=force,
        )

    def compare(self, text: str, *, lang: str) -> Reply:
        """Answer /compare <commodity> [markets] [period]."""
        if not text.strip():
            raise InvalidInput(analysis.COMPARE_USAGE, is_html=True)
        return self.ask(text, lang=lang, force=Ask.COMPARE)

    def trend(self, text: str, *, lang: str) -> Reply:
        """Answer /trend <commodity> [markets] [period] with a chart or a table."""
        if not text.strip():
            raise InvalidInput(analysis.TREND_USAGE, is_html=True)
        return self.ask(text, lang=lang, force=Ask.TREND)

    def conditions(self, text: str, *, lang: str) -> Reply:
        """Answer /conditions [place] [good] [topic] [period]."""
        return asking.conditions_command(
            self._engine, self._catalogue.current, text, today=self._today(), lang=lang
        )

    def brief(self, text: str, *, lang: str) -> Reply:
        """Answer /brief PLACE."""
        return asking.brief_command(
            self._engine, self._catalogue.current, text, today=self._today(), lang=lang
        )

    def commodities(self, *, lang: str, page: int = 1) -> Reply:
        """Answer /commodities with a paged list."""
        return browse.commodity_list(self._engine, self._catalogue.current, page=page, lang=lang)

    def markets(self, *, lang: str, page: int = 1) -> Reply:
        """Answer /markets with a paged list."""
        return browse.market_list(self._engine, self._catalogue.current, page=page, lang=lang)

    def inline(
        self, text: str, *, lang: str, bot_username: str | None = None
    ) -> list[InlineResult]:
        """Answer an inline query with up to 50 results (each figure then its citation)."""
        return asking.inline(
            self._engine,
            self._catalogue.current,
            text,
            today=self._today(),
            lang=lang,
            bot_username=bot_username,
        )

    # buttons

    def tapped_price(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A did-you-mean or market button: the price it names."""
        question = self._question(cb)
        return prices.price_reply(
            self._engine, self._catalogue.current, question, today=self._today(), lang=lang
        )

    def tapped_trend(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A trend button: the chart it names."""
        return analysis.trend(self._engine, self._catalogue.current, self._question(cb), lang=lang)

    def tapped_question(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A did-you-mean button of a question read by its intent."""
        catalogue = self._catalogue.current
        asked = asking.decode(catalogue, cb)
        return asking.answer(self._engine, catalogue, asked, today=self._today(), lang=lang)

    def tapped_compare(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A compare button: the markets side by side."""
        return analysis.compare(
            self._engine,
            self._catalogue.current,
            self._question(cb),
            today=self._today(),
            lang=lang,
        )

    def conditions_page(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A page of trade-condition reports."""
        catalogue = self._catalogue.current
        query, page = conditions.decode(catalogue, cb)
        return conditions.answer(
            self._engine, catalogue, query, page=page, today=self._today(), lang=lang
        )

    def tapped_brief(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A place's briefing."""
        market_id = cb.int_at(0)
        if market_id is None:
            raise InvalidInput(INVALID_BUTTON)
        return conditions.brief(
            self._engine, self._catalogue.current, market_id, today=self._today(), lang=lang
        )

    def commodities_page(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A page of the commodity list."""
        return self.commodities(lang=lang, page=cb.int_at(0) or 1)

    def markets_page(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """A page of the market list."""
        return self.markets(lang=lang, page=cb.int_at(0) or 1)

    def market_overview(self, cb: callbacks.Callback, *, lang: str) -> Reply:
        """Everything known about one market."""
        market_id = cb.int_at(0)
        if market_id is None:
            raise InvalidInput(INVALID_BUTTON)
        return browse.market_overview(
            self._engine, self._catalogue.current, market_id, today=self._today(), lang=lang
        )

    def _question(self, cb: callbacks.Callback) -> prices.Question:
        catalogue = self._catalogue.current
        commodity_id, market_id = cb.int_at(0), cb.int_at(1)
        if commodity_id is None or commodity_id not in catalogue.commodity_labels:
            raise InvalidInput(INVALID_BUTTON)
        if market_id is not None and market_id not in catalogue.market_labels:
            raise InvalidInput(INVALID_BUTTON)
        start, end = cb.date_at(2), cb.date_at(3)
        label = None
        if start is not None or end is not None:
            label = f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"
        return prices.Question(commodity_id, market_id, start, end, label)
