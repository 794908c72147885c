"""Editors' feeds in chat: /feeds (list, pause, resume, run now), /inbox (the articles news
feeds brought: open one into the review, dismiss it, the daily message) and /link (entries a
feed created, linked to the catalogue's own). Their buttons are in bot.handlers.taps."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.bootstrap import Container
from bot.domain.errors import InvalidInput
from bot.handlers import articles
from bot.handlers.common import Request, container
from bot.handlers.editors import editor
from bot.rendering.inbox import (
    FeedView,
    feeds_reply,
    inbox_reply,
    links_reply,
)
from bot.rendering.replies import Reply
from bot.services.source_links import LINK_USAGE

logger = logging.getLogger(__name__)
FEEDS_USAGE = (
    "<code>/feeds</code> lists the feeds; <code>/feeds pause 3</code>, <code>/feeds resume "
    "3</code>, <code>/feeds run 3</code>. Add one in a shell: <code>jangmadang feeds add URL "
    "--kind wfp-hdx|hapi|rss</code>."
)
INBOX_USAGE = (
    "<code>/inbox</code> lists the articles waiting; <code>/inbox 12</code> opens one into the "
    "review; <code>/inbox dismiss 12</code>; <code>/inbox daily on</code> or <code>off</code>: "
    "one message a day when new ones wait."
)


def feeds_list(c: Container, *, note: str | None = None) -> Reply:
    """The feeds as /feeds shows them, with a line on top after an action."""
    views = [
        FeedView(
            id=f.id or 0,
            kind=f.kind,
            name=f.name,
            every_seconds=f.every_seconds,
            paused=f.paused,
            status=f.status,
            last_checked_at=f.last_checked_at,
            last_changed_at=f.last_changed_at,
            failures=f.failures,
            last_error=f.last_error,
        )
        for f in c.feeds.list_feeds()
    ]
    reply = feeds_reply(views, now=c.clock())
    if note:
        return Reply(text=f"{note}\n\n{reply.text}", buttons=reply.buttons)
    return reply


def feed_action(c: Container, action: str, feed_id: int, *, chat_id: int) -> Reply:
    """Pause, resume or check a feed now; the list again, with what happened. A check runs in
    the bot's feed job, and its result comes as a message of its own (a large file takes longer
    than a chat waits for an answer)."""
    from bot.rendering.html import esc

    if action in ("pause", "p"):
        feed = c.feeds.pause(feed_id, paused=True)
        return feeds_list(c, note=esc(f"Feed {feed.id} paused."))
    if action in ("resume", "r"):
        feed = c.feeds.pause(feed_id, paused=False)
        return feeds_list(c, note=esc(f"Feed {feed.id} resumed."))
    if action in ("run", "n"):
        feed = c.feeds.request(feed_id, chat_id=chat_id)
        return feeds_list(
            c, note=esc(f"Checking feed {feed.id} ({feed.name}) now; the result follows here.")
        )
    raise InvalidInput(FEEDS_USAGE, is_html=True)


def inbox_list(c: Container, *, note: str | None = None) -> Reply:
    """The inbox as /inbox shows it."""
    entries = c.inbox.pending(limit=20)
    reply = inbox_reply(entries, total=c.inbox.count_pending())
    if note:
        return Reply(text=f"{note}\n\n{reply.text}", buttons=reply.buttons)
    return reply


def _feeds(c: Container, r: Request) -> Reply:
    """/feeds, /feeds pause|resume|run N."""
    words = r.args.split()
    if not words:
        return feeds_list(c)
    if len(words) == 2 and words[1].isdigit():
        return feed_action(c, words[0].lower(), int(words[1]), chat_id=r.chat_id or r.editor_id)
    raise InvalidInput(FEEDS_USAGE, is_html=True)


def _inbox_other(c: Container, r: Request) -> Reply:
    """/inbox, /inbox dismiss N, /inbox daily on|off."""
    from bot.rendering.html import esc

    words = r.args.lower().split()
    if not words:
        return inbox_list(c)
    if words[0] == "dismiss" and len(words) == 2 and words[1].isdigit():
        entry = c.inbox.dismiss(int(words[1]), admin_id=r.editor_id)
        return inbox_list(c, note=esc(f"Dismissed {entry.id}: {entry.title}"))
    if words[0] == "daily" and len(words) == 2 and words[1] in ("on", "off"):
        c.inbox.set_daily(user_id=r.editor_id, on=words[1] == "on")
        if words[1] == "on":
            return Reply(
                text=esc(
                    "You will get one message a day when new articles wait in the inbox. "
                    "/inbox daily off stops it."
                )
            )
        return Reply(text=esc("No more daily inbox messages."))
    raise InvalidInput(INBOX_USAGE, is_html=True)


def _link(c: Container, r: Request) -> Reply:
    """/link, /link commodity|place SLUG NAME."""
    from bot.rendering.html import esc

    words = r.args.split(maxsplit=2)
    if not words:
        return links_reply([(u.kind, u.slug, u.name, u.figures) for u in c.links.unlinked()])
    if len(words) < 3:
        raise InvalidInput(LINK_USAGE, is_html=True)
    done = c.links.link(kind=words[0], slug=words[1], target=words[2], admin_id=r.editor_id)
    text = f"Linked {done.kind} {done.source} to {done.target}: {done.moved} figures moved"
    if done.dropped:
        text += f", {done.dropped} it had already dropped"
    return Reply(text=esc(text + ". WFP's codes now point there."))


feeds_command = editor(_feeds)
link_command = editor(_link)
_inbox_handler = editor(_inbox_other)


async def inbox_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/inbox N opens item N into the article review; the rest lists, dismisses, subscribes."""
    message, user = update.effective_message, update.effective_user
    args = context.args or []
    if message is None or user is None or len(args) != 1 or not args[0].isdigit():
        await _inbox_handler(update, context)
        return
    if not await articles.editor_allowed(update, context):
        return
    c = container(context)
    item_id = int(args[0])
    await articles.review(message, context, lambda: open_item(c, user.id, item_id))


def open_item(c: Container, admin_id: int, item_id: int) -> articles.Shown:
    """Open an inbox item into the article review (read as when its feed was checked)."""
    article, item = c.inbox.article(item_id)
    return c.reviews.open_article(admin_id=admin_id, article=article, inbox_item=item)
