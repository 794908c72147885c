"""Settings for tests, built directly and never from the developer's environment."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings

ADMIN_ID = 9001  # the one owner in ADMIN_IDS of the test settings


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings with a SQLite file under `tmp_path`, one admin and no token; `overrides` win."""
    values: dict = {
        "database_url": f"sqlite:///{tmp_path}/settings.sqlite3",
        "admin_ids": [ADMIN_ID],
        "telegram_bot_token": None,
    }
    return Settings(_env_file=None, **{**values, **overrides})
