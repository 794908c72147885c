"""What the shell commands share: settings with overrides, the database made ready, logging
that never prints a secret, and the progress of a long import."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError

from config.settings import ConfigError, Settings, describe_validation_error, get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["ImportProgress", "prepare_database", "settings_with", "setup_logging_for"]


def settings_with(**overrides: object) -> Settings:
    settings = get_settings()
    if not overrides:
        return settings
    # Re-validate so overrides get the same checks as the environment.
    try:
        return Settings.model_validate({**settings.model_dump(), **overrides})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def prepare_database(settings: Settings, *, force: bool = False) -> Engine:
    """Check the database, upgrade the schema and load the catalogue; return the engine.

    Only what is needed runs: Alembic only when the schema is not at the head of the packaged
    migrations, the catalogue sync only when the database differs from the catalogue files
    (`force`, for `db upgrade`, runs both anyway). A database that is damaged, not a database,
    an empty file or out of reach ends the program with one line and exit code 2 (a new
    SQLite path is created).
    """
    from bot.services.catalogue import sync_catalogue, sync_catalogue_if_changed
    from bot.services.clock import utc_now
    from db.engine import check_database, engine_for, upgrade, upgrade_if_behind

    engine = engine_for(settings.database_url)
    problem = check_database(engine, new_ok=True)
    if problem is not None:
        engine.dispose()
        typer.echo(f"jangmadang: {problem}", err=True)
        raise typer.Exit(2)
    if force:
        upgrade(engine)
        sync_catalogue(engine, now=utc_now())
    else:
        upgrade_if_behind(engine)
        sync_catalogue_if_changed(engine, now=utc_now())
    return engine


def setup_logging_for(settings: Settings, level: str | None = None) -> None:
    from bot.entrypoints.logs import setup_logging

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    setup_logging(
        level or settings.log_level,
        secrets=(token, secret),
        json_lines=settings.log_format == "json",
    )


class ImportProgress:
    """Counts checked rows, then draws a bar while rows are stored (on stderr)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.shown = 0
        self.tty = sys.stderr.isatty()
        self.counting = False

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end_count()
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __call__(self, done: int, total: int | None) -> None:
        if total is None:
            if self.tty:
                sys.stderr.write(f"\rChecking rows: {done:,}")
                sys.stderr.flush()
                self.counting = True
            return
        if self.bar is None:
            self._end_count()
            self.bar = typer.progressbar(length=total, label="Storing", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def _end_count(self) -> None:
        if self.counting:
            sys.stderr.write("\n")
            self.counting = False
