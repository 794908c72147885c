"""`jangmadang feeds` (add, list, run, pause, resume, remove) and `jangmadang inbox`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bot.bootstrap import Container
    from bot.services.feeds import CheckResult
    from bot.services.inbox import InboxEntry
    from db.models import Feed

feeds_app = typer.Typer(
    help="Source feeds: WFP price files on HDX, HDX HAPI, news feeds (RSS, Atom).",
    no_args_is_help=True,
)
inbox_app = typer.Typer(
    help="The editors' inbox: news articles read from the feeds, waiting for an editor.",
    invoke_without_command=True,
)


def _container() -> Container:
    from bot.bootstrap import bootstrap
    from bot.entrypoints.shell import prepare_database, settings_with, setup_logging_for

    settings = settings_with()
    setup_logging_for(settings, "WARNING")
    return bootstrap(settings, prepare_database(settings))


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"jangmadang: {message}", err=True)
    return typer.Exit(code)


def _domain(action: Callable[[], Any]) -> Any:
    from bot.domain.errors import DomainError

    try:
        return action()
    except DomainError as exc:
        from bot.domain.i18n import ENGLISH

        raise _fail(exc.to_text(ENGLISH)) from None


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The feed's link.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="wfp-hdx (a WFP country CSV, its HDX dataset page or package_show), hapi "
            "(HDX HAPI food prices, ?location_code=ISO3) or rss (RSS or Atom news).",
        ),
    ],
    every: Annotated[
        str | None,
        typer.Option("--every", help="How often: 30m, 6h, 1d, 1w (default 1d; rss 1h)."),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A name to list it by.")] = None,
) -> None:
    """Add a feed; it is due at once (`jangmadang feeds run` checks it now)."""
    from bot.domain.feeds import show_every

    services = _container()
    feed = _domain(lambda: services.feeds.add(url, kind=kind, every=every, name=name))
    typer.echo(
        f"Feed {feed.id} added: {feed.name} ({feed.kind}, every {show_every(feed.every_seconds)})."
    )


@feeds_app.command("list")
def list_feeds(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per feed.")] = False,
) -> None:
    """List the feeds: kind, schedule, last check and change, status, last error."""
    services = _container()
    feeds = services.feeds.list_feeds()
    if as_json:
        for feed in feeds:
            typer.echo(json.dumps(_feed_json(feed), ensure_ascii=False))
        return
    if not feeds:
        typer.echo("No feeds. Add one: jangmadang feeds add URL --kind wfp-hdx|hapi|rss")
        return
    now = services.clock()
    for feed in feeds:
        typer.echo(_feed_line(feed, now))


@feeds_app.command("run")
def run(
    every_feed: Annotated[
        bool, typer.Option("--all", help="Check every feed not paused, due or not.")
    ] = False,
    feed_id: Annotated[
        int | None, typer.Option("--feed", help="Check only this feed (due or not).")
    ] = None,
) -> None:
    """Check every due feed now, one after the other, with progress; exit 1 if one failed."""
    from bot.entrypoints.shell import ImportProgress

    services = _container()
    bars: list[ImportProgress] = []

    def started(feed: Feed) -> None:
        typer.echo(f"Checking feed {feed.id}: {feed.name} ({feed.kind}) ...", err=True)

    def progress(feed: Feed) -> ImportProgress:
        bar = ImportProgress()
        bars.append(bar)
        return bar

    try:
        if feed_id is not None:
            services.feeds.get(feed_id)
            one = services.feeds.check(feed_id, force=True, progress=progress, started=started)
            results = [one] if one is not None else []
            if one is None:
                typer.echo(f"Feed {feed_id} is being checked by another process.")
        else:
            results = services.feeds.run_due(every=every_feed, progress=progress, started=started)
    except Exception as exc:
        from bot.domain.errors import DomainError

        if isinstance(exc, DomainError):
            raise _fail(exc.user_message) from None
        raise
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    if not results and feed_id is None:
        typer.echo("No feed is due." if not every_feed else "No feed to check.")
    for result in results:
        typer.echo(_result_line(result))
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


@feeds_app.command("pause")
def pause(feed_id: Annotated[int, typer.Argument(help="The feed's number.")]) -> None:
    """Stop checking a feed until it is resumed."""
    services = _container()
    feed = _domain(lambda: services.feeds.pause(feed_id, paused=True))
    typer.echo(f"Feed {feed.id} paused: {feed.name}.")


@feeds_app.command("resume")
def resume(feed_id: Annotated[int, typer.Argument(help="The feed's number.")]) -> None:
    """Check a paused feed again (at once if it is due)."""
    services = _container()
    feed = _domain(lambda: services.feeds.pause(feed_id, paused=False))
    typer.echo(f"Feed {feed.id} resumed: {feed.name}.")


@feeds_app.command("remove")
def remove(feed_id: Annotated[int, typer.Argument(help="The feed's number.")]) -> None:
    """Remove a feed and its inbox items still waiting; the figures it imported stay."""
    services = _container()
    feed = _domain(lambda: services.feeds.remove(feed_id))
    typer.echo(f"Feed {feed.id} removed: {feed.name}.")


@inbox_app.callback()
def inbox(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per item.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
) -> None:
    """List the inbox items waiting for an editor, newest first, with what was found."""
    if ctx.invoked_subcommand is not None:
        return
    services = _container()
    items = services.inbox.pending(limit=limit)
    if as_json:
        for item in items:
            typer.echo(json.dumps(_item_json(item), ensure_ascii=False))
        return
    if not items:
        typer.echo("The inbox is empty.")
        return
    for item in items:
        typer.echo(_item_text(item))
        typer.echo("")


@inbox_app.command("dismiss")
def dismiss(item_id: Annotated[int, typer.Argument(help="The item's number.")]) -> None:
    """Take an item out of the inbox without saving anything from it."""
    services = _container()
    entry = _domain(lambda: services.inbox.dismiss(item_id, admin_id=0))
    typer.echo(f"Dismissed {entry.id}: {entry.title}")


# Formatting


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    from bot.domain.feeds import checked_ago

    unit, count = checked_ago(when, now)
    return "just now" if unit == "now" else f"{count} {unit[:-1] if count == 1 else unit} ago"


def _feed_line(feed: Feed, now: datetime) -> str:
    from bot.domain.feeds import show_every

    state = "paused" if feed.paused else feed.status
    line = (
        f"{feed.id:>3}  {feed.kind:<7} {feed.name}  every {show_every(feed.every_seconds)}  "
        f"[{state}]  checked {_ago(feed.last_checked_at, now)}, "
        f"changed {_ago(feed.last_changed_at, now)}"
    )
    line += f"\n     {feed.url}"
    if feed.status == "error" and feed.last_error:
        line += f"\n     error ({feed.failures} in a row): {feed.last_error}"
        line += f"\n     next try {feed.next_due_at:%Y-%m-%d %H:%M} UTC"
    elif feed.last_result:
        from bot.rendering.inbox import result_words

        line += f"\n     last check: {result_words(feed.last_result)}"
    return line


def _result_line(result: CheckResult) -> str:
    from bot.rendering.inbox import check_line

    return check_line(result.feed_id, result.name, result.status, result.result, result.error)


def _feed_json(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "kind": feed.kind,
        "name": feed.name,
        "url": feed.url,
        "every_seconds": feed.every_seconds,
        "paused": feed.paused,
        "status": feed.status,
        "last_checked_at": _iso(feed.last_checked_at),
        "last_changed_at": _iso(feed.last_changed_at),
        "next_due_at": _iso(feed.next_due_at),
        "failures": feed.failures,
        "last_error": feed.last_error,
        "last_result": feed.last_result,
    }


def _item_json(item: InboxEntry) -> dict[str, Any]:
    return {
        "id": item.id,
        "feed": item.feed,
        "title": item.title,
        "url": item.url,
        "published": _iso(item.published),
        "publisher": item.publisher,
        "figures": item.figures,
        "report": item.report,
        "error": item.error,
    }


def _item_text(item: InboxEntry) -> str:
    from bot.rendering.inbox import figure_words, report_words

    date = f"{item.published:%Y-%m-%d}" if item.published else "undated"
    lines = [f"[{item.id}] {item.title}", f"     {item.feed} · {date} · {item.url or 'no link'}"]
    if item.error:
        lines.append(f"     not read: {item.error}")
    for figure in item.figures:
        lines.append(f"     - {figure_words(figure)}")
    if item.report:
        lines.append(f"     report: {report_words(item.report)}")
    if not item.error and not item.figures and not item.report:
        lines.append("     no figures or trade conditions found")
    return "\n".join(lines)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
