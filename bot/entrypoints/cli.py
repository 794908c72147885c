"""The `jangmadang` command line: run, demo, ask, emulator, seed, import, export, intake, db upgrade."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TextIO

import typer

from bot.entrypoints.feeds_cli import feeds_app, inbox_app
from bot.entrypoints.shell import ImportProgress
from bot.entrypoints.shell import prepare_database as _prepare_database
from bot.entrypoints.shell import settings_with as _settings
from bot.entrypoints.shell import setup_logging_for as _setup_logging
from config.settings import ConfigError

if TYPE_CHECKING:
    from bot.domain.intake import FoundFigure, IntakeResult
    from bot.services.catalogue import Catalogue
    from bot.services.importer import ImportResult
    from bot.services.report_import import ReportImportResult

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Jangmadang: prices and trade conditions in hard-to-reach markets, on Telegram.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(feeds_app, name="feeds")
app.add_typer(inbox_app, name="inbox")

DEMO_DATABASE = "sqlite:///./data/demo.sqlite3"


def _token_refused(exc: BaseException | None, token: str) -> NoReturn:
    """One line and exit code 2, never the token (PTB's own message quotes it)."""
    from bot.entrypoints.logs import RedactTokens

    # What the server said (Unauthorized, Not Found), not PTB's message around it.
    cause = exc.__cause__ if exc is not None else None
    said = RedactTokens((token,)).redact(" ".join(str(cause).split())[:100]) if cause else ""
    typer.echo(
        f"jangmadang: the Bot API refused the token{f' ({said})' if said else ''}: "
        "check TELEGRAM_BOT_TOKEN (and TELEGRAM_API_URL, if set).",
        err=True,
    )
    raise typer.Exit(2)


@app.command()
def run() -> None:
    """Run the bot against the Telegram Bot API (TELEGRAM_API_URL): long polling, or a webhook
    when WEBHOOK_URL is set (several replicas on PostgreSQL)."""
    from telegram.error import InvalidToken

    from bot.app import ALLOWED_UPDATES, build_application, polling_watch
    from bot.delivery.botapi import connect
    from bot.entrypoints.serve import serve_webhook, sqlite_single_process

    settings = _settings()
    token = settings.token()
    if settings.webhook and settings.webhook_secret is None:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: a webhook without it would take updates from anyone "
            "(generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    _setup_logging(settings)
    with sqlite_single_process(settings):
        engine = _prepare_database(settings)
        application = build_application(settings, engine=engine, token=token, warm_charts=True)
        if settings.webhook:
            logger.info("Starting (webhook); Bot API at %s", settings.telegram_api_url)
            try:
                asyncio.run(serve_webhook(application, settings, engine))
            except InvalidToken as exc:
                engine.dispose()
                _token_refused(exc, token)
            return
        logger.info("Starting; Bot API at %s", settings.telegram_api_url)
        # Reach the Bot API first (retrying while it is unreachable), so that a refused token
        # is one line here and not a traceback from inside run_polling; run_polling then
        # reuses it.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(connect(application.initialize, settings.telegram_api_url))
        except InvalidToken as exc:
            loop.close()
            engine.dispose()
            _token_refused(exc, token)
        except KeyboardInterrupt:
            loop.close()
            engine.dispose()
            return
        polling = polling_watch(application)
        polling.on_token_refused = application.stop_running
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        if polling.token_refused:
            _token_refused(None, token)


@app.command()
def send() -> None:
    """Only queue and send digests and alerts (a worker beside `run`; several on PostgreSQL)."""
    from telegram.error import InvalidToken

    from bot.entrypoints.worker import run_worker

    settings = _settings()
    token = settings.token()
    _setup_logging(settings)
    engine = _prepare_database(settings)
    logger.info("Digest worker; Bot API at %s", settings.telegram_api_url)
    try:
        asyncio.run(run_worker(settings, engine, token=token))
    except InvalidToken as exc:
        engine.dispose()
        _token_refused(exc, token)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest version and load the catalogue."""
    from db.engine import current_revision

    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings, force=True)
    typer.echo(f"Database at revision {current_revision(engine)}; catalogue loaded.")


@app.command()
def seed() -> None:
    """Load the sample prices and trade reports (safe to run again: duplicates are skipped)."""
    from bot.services.clock import utc_now
    from bot.services.seed import load_sample

    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    result = load_sample(engine, now=utc_now())
    typer.echo(
        f"Sample data: {result.prices_added} prices added, {result.prices_skipped} already present; "
        f"{result.reports_added} trade reports added, {result.reports_skipped} already present."
    )


def _need_emulator() -> None:
    """Stop with one line when the emulator's web server is not installed."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        typer.echo(
            "The offline emulator needs aiohttp: pip install 'jangmadang[emulator]'.", err=True
        )
        raise typer.Exit(2) from None


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The message to send, e.g. '/price lingzhi'.")],
    user: Annotated[int, typer.Option("--user", help="Telegram user id to send as.")] = 1001,
    lang: Annotated[
        str, typer.Option("--lang", help="Telegram language_code of the sender.")
    ] = "en",
    html: Annotated[bool, typer.Option("--html", help="Print the reply as Telegram HTML.")] = False,
) -> None:
    """Send one message to the bot (offline, through the emulator) and print its reply."""
    _need_emulator()
    from bot.offline.demo import ask_once

    settings = _settings()
    _setup_logging(settings, "ERROR")
    engine = _prepare_database(settings)
    replies = ask_once(settings, engine, text, user_id=user, language_code=lang, as_html=html)
    if not replies:
        typer.echo("(no reply)", err=True)
        raise typer.Exit(1)
    typer.echo("\n\n".join(replies))


@app.command()
def demo(
    database: Annotated[
        str, typer.Option(help="Database for the demo (seeded with sample data).")
    ] = DEMO_DATABASE,
    latency_ms: Annotated[int, typer.Option(help="Simulated Bot API latency in milliseconds.")] = 0,
) -> None:
    """Chat with the bot in this terminal, offline: emulator + bot + seeded sample data."""
    _need_emulator()
    from bot.offline.demo import run_demo
    from bot.services.clock import utc_now
    from bot.services.seed import load_sample

    settings = _settings(database_url=database)
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    load_sample(engine, now=utc_now())
    asyncio.run(run_demo(settings, engine, latency_ms=latency_ms))


@app.command()
def emulator(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8081,
    latency_ms: Annotated[int, typer.Option(help="Added latency per Bot API call.")] = 0,
) -> None:
    """Run the offline Bot API emulator alone (point TELEGRAM_API_URL at it)."""
    _need_emulator()
    from emulator import Emulator, EmulatorConfig

    logging.basicConfig(level=logging.INFO)

    async def serve() -> None:
        emu = Emulator(EmulatorConfig(latency_ms=(latency_ms, latency_ms)))
        root = await emu.start(port=port)
        typer.echo(
            f"Bot API emulator at {root} (control API under {root}/_emulator/). Ctrl+C stops it."
        )
        try:
            await asyncio.Event().wait()
        finally:
            await emu.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        typer.echo("Stopped.")


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV file: project columns, WFP/HDX food prices, or trade-condition reports."
        ),
    ],
    user: Annotated[
        int | None, typer.Option("--user", help="Telegram user id recorded as the importer.")
    ] = None,
) -> None:
    """Import a price or trade-report CSV all or nothing: every row is checked before any is stored.

    A file whose header names place and summary (and no commodity or price) holds reports.
    """
    from bot.services.catalogue import load_catalogue
    from bot.services.clock import utc_now
    from bot.services.importer import import_prices
    from bot.services.report_import import import_reports, is_report_file

    if not file.is_file():
        typer.echo(f"jangmadang: no such file: {file}", err=True)
        raise typer.Exit(2)
    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    reports: ReportImportResult | None = None
    result: ImportResult | None = None
    with file.open("rb") as source, ImportProgress() as progress:
        if is_report_file(source):
            reports = import_reports(
                engine,
                load_catalogue(engine),
                source,
                name=file.name,
                entered_by=user,
                now=utc_now(),
                progress=progress,
            )
        else:
            result = import_prices(
                engine,
                load_catalogue(engine),
                source,
                name=file.name,
                entered_by=user,
                now=utc_now(),
                progress=progress,
            )
    if reports is not None:
        if reports.errors:
            _print_rejection(reports)
            raise typer.Exit(1)
        from bot.services.condition_alerts import check_condition_alerts

        # Recent reports that change a border status or report enforcement alert their
        # subscribers, as in chat; a running bot sends what is queued on its next round.
        alerts = check_condition_alerts(
            engine, load_catalogue(engine), list(reports.added_ids), now=utc_now()
        )
        typer.echo(
            f"{reports.rows:,} report rows: {reports.added:,} added, "
            f"{reports.duplicates:,} duplicates skipped"
            + (f"; {alerts:,} condition alerts queued." if alerts else ".")
        )
        return
    assert result is not None
    if result.errors:
        _print_rejection(result)
        raise typer.Exit(1)
    typer.echo(
        f"{result.rows:,} rows: {result.added:,} added, {result.duplicates:,} duplicates skipped, "
        f"{result.new_series:,} new series."
    )


def _print_rejection(result: ImportResult | ReportImportResult) -> None:
    typer.echo(f"Nothing imported: {result.error_count:,} bad rows.", err=True)
    for error in result.errors:
        typer.echo(f"line {error.line}: {error.message}", err=True)
    if result.error_count > len(result.errors):
        typer.echo(f"... and {result.error_count - len(result.errors):,} more", err=True)


@app.command()
def export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "--out", "-o", help="File to write (default: stdout)."),
    ] = None,
    reports: Annotated[
        bool,
        typer.Option(
            "--reports", help="Export the trade-condition reports (by place and date), not prices."
        ),
    ] = False,
    commodity: Annotated[
        str | None, typer.Option("--commodity", help="Only this commodity (exact name).")
    ] = None,
    market: Annotated[
        str | None, typer.Option("--market", help="Only this place and the places inside it.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
) -> None:
    """Export the live price figures (or, with --reports, the trade reports) as CSV, in the format `import` reads."""
    import io
    import os
    import tempfile

    from bot.domain.dates import PartialDate
    from bot.domain.errors import DomainError
    from bot.services.catalogue import load_catalogue
    from bot.services.exporter import export_prices, export_reports
    from bot.services.records import resolve_exactly

    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    catalogue = load_catalogue(engine)
    if reports and commodity:
        typer.echo(
            "jangmadang: --commodity does not apply to --reports: reports are exported by "
            "--market and date.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        commodity_id = (
            resolve_exactly(
                catalogue.commodities, catalogue.commodity_slugs, commodity, "commodity"
            )[0]
            if commodity
            else None
        )
        market_ids = (
            catalogue.descendants(
                resolve_exactly(catalogue.markets, catalogue.market_slugs, market, "market")[0]
            )
            if market
            else None
        )
        start = PartialDate.parse(since).value if since else None
        end = PartialDate.parse(until).end if until else None
    except DomainError as exc:
        typer.echo(f"jangmadang: {exc.user_message}", err=True)
        raise typer.Exit(2) from None

    def write(out: TextIO) -> int:
        if reports:
            return export_reports(
                engine, catalogue, out, market_ids=market_ids, start=start, end=end
            )
        return export_prices(
            engine,
            catalogue,
            out,
            commodity_id=commodity_id,
            market_ids=market_ids,
            start=start,
            end=end,
        )

    what = "reports" if reports else "rows"
    if output is None:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            count = write(out)
        finally:
            out.flush()
            out.detach()
        typer.echo(f"Exported {count:,} {what}.", err=True)
        return
    # Write beside the target, then rename: a failed export never leaves half a file.
    folder = output.resolve().parent
    if not folder.is_dir():
        typer.echo(f"jangmadang: no such folder: {folder}", err=True)
        raise typer.Exit(2)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".part")
    umask = os.umask(0)
    os.umask(umask)
    try:
        # mkstemp makes the file private; the export gets the permissions of any new file.
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = write(out)
        os.replace(temp, output)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    typer.echo(f"Exported {count:,} {what} to {output}.")


@app.command()
def intake(
    source: Annotated[
        str,
        typer.Argument(
            help="The article: a text or HTML file, an http(s) link, or - to read stdin.",
            metavar="FILE|URL",
        ),
    ],
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="The article's language (en, ko, zh, ja); default: any."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per line per price figure.")
    ] = False,
) -> None:
    """Read an article and print the price figures and trade conditions found; writes nothing."""
    from bot.domain.errors import DomainError
    from bot.services.catalogue import CatalogueStore
    from bot.services.clock import utc_now
    from bot.services.fetching import FetchLimits, article_from_html
    from bot.services.intake import Intake

    settings = _settings()
    _setup_logging(settings, "WARNING")
    text: str | None = None
    html: bytes | None = None
    is_link = source.lower().startswith(("http://", "https://"))
    if source == "-":
        text = sys.stdin.read()
    elif not is_link:
        path = Path(source)
        if not path.is_file():
            typer.echo(f"jangmadang: no such file: {path}", err=True)
            raise typer.Exit(1)
        data = path.read_bytes()
        if path.suffix.lower() in (".html", ".htm", ".xhtml"):
            html = data
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                typer.echo(f"jangmadang: {path} is not UTF-8 text.", err=True)
                raise typer.Exit(1) from None
    engine = _prepare_database(settings)
    store = CatalogueStore(engine)
    service = Intake(
        engine=engine,
        catalogue=store,
        clock=utc_now,
        limits=FetchLimits(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            allow_private=settings.fetch_allow_private,
        ),
    )
    try:
        if is_link:
            result = service.read_url(source, lang=lang)
        elif html is not None:
            result = service.read(article_from_html(html, url=None, lang=lang))
        else:
            assert text is not None
            result = service.read_text(text, lang=lang)
    except DomainError as exc:
        typer.echo(f"jangmadang: {exc.user_message}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    catalogue = store.current
    if as_json:
        import json

        for candidate in result.candidates:
            row = _figure_json(candidate.figure, catalogue)
            typer.echo(json.dumps(row, ensure_ascii=False))
        if not result.candidates:
            typer.echo("\n".join(result.notes) or "No price figures found.", err=True)
        return
    typer.echo(_intake_text(result, catalogue))


def _figure_json(figure: FoundFigure, catalogue: Catalogue) -> dict[str, object]:
    """A found figure as `intake --json` prints it: names in English, numbers plain."""
    return {
        "commodity": _commodity_name(figure, catalogue),
        "place": catalogue.market_labels[figure.place_id].en
        if figure.place_id is not None and figure.place_id in catalogue.market_labels
        else None,
        "low": _plain_number(figure.low),
        "high": _plain_number(figure.high),
        "currency": figure.currency,
        "unit": figure.unit,
        "quantity": _plain_number(figure.quantity),
        "when": figure.when,
        "qualifier": figure.qualifier,
    }


def _commodity_name(figure: FoundFigure, catalogue: Catalogue) -> str:
    label = catalogue.commodity_labels.get(figure.commodity_id or -1)
    return label.en if label is not None else figure.commodity_words


def _plain_number(value: float) -> int | float:
    # 200, not 200.0 (the extraction may give an int: no is_integer before Python 3.12).
    return int(value) if float(value).is_integer() else float(value)


def _amount(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"


def _intake_text(result: IntakeResult, catalogue: Catalogue) -> str:
    """What `intake` prints: the article's metadata, the figures, the draft report."""
    from bot.domain import conditions

    article = result.article
    lines = [
        f"{label}: {value}"
        for label, value in (
            ("Title", article.title),
            ("Publisher", article.publisher),
            ("Published", article.published.isoformat() if article.published else None),
            ("Link", article.url),
        )
        if value
    ]
    if not result.candidates and result.report is None:
        lines.append("\n".join(result.notes) or "No price figures or trade conditions found.")
        return "\n".join(lines)
    if result.candidates:
        lines += ["", "Price figures:"]
    for candidate in result.candidates:
        figure = candidate.figure
        name = _commodity_name(figure, catalogue)
        if figure.commodity_id is None:
            name += " (not in the catalogue)"
        if figure.place_id is not None and figure.place_id in catalogue.market_labels:
            name += f", {catalogue.market_labels[figure.place_id].en}"
        elif figure.place_words:
            name += f", {figure.place_words} (not in the catalogue)"
        value = _amount(figure.low)
        if figure.high != figure.low:
            value += f"-{_amount(figure.high)}"
        unit = figure.unit if figure.quantity == 1 else f"{_amount(figure.quantity)} {figure.unit}"
        parts = [f"{'about ' if figure.approximate else ''}{value} {figure.currency}/{unit}"]
        parts.append(figure.when)
        if figure.qualifier:
            parts.append(figure.qualifier)
        line = f"{candidate.number}. {name}: {', '.join(parts)}"
        if candidate.duplicate_of is not None:
            line += f" [duplicate of #{candidate.duplicate_of}]"
        lines.append(line)
    report = result.report
    if report is not None:
        place = (
            catalogue.market_labels[report.place_id].en
            if report.place_id is not None and report.place_id in catalogue.market_labels
            else report.place_words
        )
        goods = [
            catalogue.commodity_labels[i].en
            for i in report.goods
            if i in catalogue.commodity_labels
        ] + list(report.goods_words)
        fields = (
            ("Place", place or "not stated"),
            ("Topics", ", ".join(conditions.TOPIC_LABELS.get(t, t) for t in report.topics)),
            ("Direction", report.direction and conditions.DIRECTION_LABELS.get(report.direction)),
            ("Channel", report.channel and conditions.channel_label(report.channel)),
            ("Goods", ", ".join(goods)),
            ("Border", report.border_status and conditions.BORDER_LABELS.get(report.border_status)),
            (
                "Market",
                report.market_activity and conditions.MARKET_LABELS.get(report.market_activity),
            ),
            ("Enforcement", report.enforcement),
            ("Observed", report.observed),
        )
        lines += ["", "Trade conditions (draft report):"]
        lines += [f"  {label}: {value}" for label, value in fields if value]
        if report.sentences:
            lines.append("  The source's words (quoted; write the summary in your own words):")
            lines += [f"    “{sentence}”" for sentence in report.sentences]
    return "\n".join(lines)


def main() -> None:
    """Entry point: settings problems end the program with one line and exit code 2."""
    try:
        app()
    except ConfigError as exc:
        print(f"jangmadang: {exc}", file=sys.stderr)
        sys.exit(2)
    finally:
        # The work is done (files closed, transactions committed, output flushed at exit):
        # spare the interpreter's final collection a walk over the ~200,000 objects the
        # imports made, a few tenths of a second of every command's wall time.
        gc.freeze()


if __name__ == "__main__":
    main()
