"""The `jangmadang` command line: run, demo, ask, emulator, seed, db upgrade."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from config.settings import ConfigError, Settings, get_settings

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Jangmadang: prices and trade conditions in hard-to-reach markets, on Telegram.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DEMO_DATABASE = "sqlite:///./data/demo.sqlite3"


def _settings(**overrides: object) -> Settings:
    settings = get_settings()
    if not overrides:
        return settings
    # Re-validate so overrides get the same checks as the environment.
    return Settings.model_validate({**settings.model_dump(), **overrides})


def _prepare_database(settings: Settings):  # type: ignore[no-untyped-def]
    """Upgrade the schema and load the catalogue; return the engine."""
    from bot.services.catalogue import sync_catalogue
    from bot.services.core import utc_now
    from db.engine import engine_for, upgrade

    engine = engine_for(settings.database_url)
    upgrade(engine)
    sync_catalogue(engine, now=utc_now())
    return engine


def _setup_logging(settings: Settings, level: str | None = None) -> None:
    from bot.logs import setup_logging

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    setup_logging(level or settings.log_level, secrets=(token,))


@app.command()
def run() -> None:
    """Run the bot against the Telegram Bot API (TELEGRAM_API_URL), long polling."""
    from bot.app import ALLOWED_UPDATES, build_application

    settings = _settings()
    token = settings.token()
    _setup_logging(settings)
    engine = _prepare_database(settings)
    application = build_application(settings, engine=engine, token=token)
    logger.info("Starting; Bot API at %s", settings.telegram_api_url)
    application.run_polling(allowed_updates=ALLOWED_UPDATES)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest version and load the catalogue."""
    from db.engine import current_revision

    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    typer.echo(f"Database at revision {current_revision(engine)}; catalogue loaded.")


@app.command()
def seed() -> None:
    """Load the sample prices and trade reports (safe to run again: duplicates are skipped)."""
    from bot.services.core import utc_now
    from bot.services.seed import load_sample

    settings = _settings()
    _setup_logging(settings, "WARNING")
    engine = _prepare_database(settings)
    result = load_sample(engine, now=utc_now())
    typer.echo(
        f"Sample data: {result.prices_added} prices added, {result.prices_skipped} already present; "
        f"{result.reports_added} trade reports added, {result.reports_skipped} already present."
    )


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
    from bot.demo import ask_once

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
    from bot.demo import run_demo
    from bot.services.core import utc_now
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
    from bot.emulator import Emulator, EmulatorConfig

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


def main() -> None:
    """Entry point: settings problems end the program with one line and exit code 2."""
    try:
        app()
    except ConfigError as exc:
        print(f"jangmadang: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
