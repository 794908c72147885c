"""Questions: /price, /compare, /trend, /conditions, /commodities, /markets, plain text, inline."""

from __future__ import annotations

import asyncio

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain.errors import DomainError
from bot.domain.text import shorten
from bot.handlers import editors
from bot.handlers.common import NO_PREVIEW, Request, container, use_case, user_language
from bot.rendering.replies import Reply


def _price(c: Container, r: Request) -> Reply:
    """Answer /price <commodity> [market] [period]."""
    return c.questions.ask(r.args, lang=r.lang)


def _text(c: Container, r: Request) -> Reply:
    """Answer a plain-text message as a question."""
    return c.questions.ask(r.text, lang=r.lang)


def _compare(c: Container, r: Request) -> Reply:
    """Answer /compare <commodity> [period]."""
    return c.questions.compare(r.args, lang=r.lang)


def _trend(c: Container, r: Request) -> Reply:
    """Answer /trend <commodity> [market] [period] with a chart or a table."""
    return c.questions.trend(r.args, lang=r.lang)


def _conditions(c: Container, r: Request) -> Reply:
    """Answer /conditions [place] [good] [topic] [period]."""
    return c.questions.conditions(r.args, lang=r.lang)


def _brief(c: Container, r: Request) -> Reply:
    """Answer /brief PLACE."""
    return c.questions.brief(r.args, lang=r.lang)


def _commodities(c: Container, r: Request) -> Reply:
    """Answer /commodities with a paged list."""
    return c.questions.commodities(lang=r.lang)


def _markets(c: Container, r: Request) -> Reply:
    """Answer /markets with a paged list."""
    return c.questions.markets(lang=r.lang)


price_command = use_case(_price)
_answer_text = use_case(_text)


async def price_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer plain text in a private chat as a question; an edited question is answered again.

    After a restart, an editor whose guided form it interrupted is told so instead: the text
    was meant as the form's answer, not as a question.
    """
    if await editors.tell_interrupted(update, context):
        return
    await _answer_text(update, context)


compare_command = use_case(_compare)
trend_command = use_case(_trend)
conditions_command = use_case(_conditions)
brief_command = use_case(_brief)
commodities_command = use_case(_commodities)
markets_command = use_case(_markets)


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer up to 50 answers, one per market, to drop into any chat."""
    query = update.inline_query
    if query is None:
        return
    lang = await user_language(update, context)
    try:
        results = await asyncio.to_thread(
            container(context).questions.inline,
            query.query,
            lang=lang,
            bot_username=context.bot.username,
        )
    except DomainError:
        results = []
    articles = [
        InlineQueryResultArticle(
            id=r.id,
            title=shorten(r.title, 120),
            description=shorten(r.description, 200),
            input_message_content=InputTextMessageContent(
                r.text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
        )
        for r in results[: InlineQueryLimit.RESULTS]
    ]
    await query.answer(articles, cache_time=60, is_personal=False)
