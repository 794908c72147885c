"""Settings for every Jangmadang process: read from the environment and an optional .env file."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///./data/jangmadang.sqlite3"
SUPPORTED_LANGUAGES = ("en", "ko")

# Telegram tokens look like 123456789:AA...; anything else is a placeholder or a typo.
_TOKEN_RE = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")
# Words of the placeholders people leave in .env files (never a real token).
PLACEHOLDERS = ("your", "token", "changeme", "example", "xxx", "placeholder")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line meant for a human."""


class Settings(BaseSettings):
    """Typed settings; secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_timezone: str = "Asia/Seoul"
    default_language: str = "en"
    log_level: str = "INFO"
    # Seconds PTB waits on the Bot API; generous because long polling holds requests open.
    request_timeout: float = 30.0
    # Digests and alerts: the sender's pace (messages/s overall, per chat, per group per minute),
    # how many sends are in flight, and how long one send may take before it is retried.
    send_budget: float = Field(default=25.0, gt=0, le=1000)
    send_chat_interval: float = Field(default=1.0, ge=0)
    send_group_per_minute: float = Field(default=20.0, gt=0)
    send_concurrency: int = Field(default=16, ge=1, le=256)
    send_timeout: float = Field(default=15.0, gt=0)
    send_max_attempts: int = Field(default=5, ge=1)
    # False for a process that only answers questions (another one sends).
    send_digests: bool = True
    # How often due digests are queued, and the sender lease's lifetime (seconds).
    digest_tick_seconds: float = Field(default=30.0, gt=0)
    sender_lease_seconds: float = Field(default=30.0, gt=0)
    # Chart drawing: worker processes (unset: the cores minus one, at least one), how many
    # charts may wait before the bot answers "busy", how long one may take, how many are kept.
    chart_workers: int | None = Field(default=None, ge=1, le=64)
    chart_queue: int = Field(default=16, ge=0, le=1000)
    chart_timeout: float = Field(default=30.0, gt=0)
    chart_cache_size: int = Field(default=500, ge=1)
    # Article intake (`/intake URL`, `jangmadang intake URL`): whether links to loopback and
    # private addresses may be fetched (tests only), the time one fetch may take (seconds) and
    # the largest page read (bytes).
    fetch_allow_private: bool = False
    fetch_timeout: float = Field(default=15.0, gt=0, le=300)
    fetch_max_bytes: int = Field(default=2_000_000, ge=1_000, le=100_000_000)
    # Source feeds (`jangmadang feeds`): how often due feeds are looked for (seconds), the
    # largest file a feed may send (a WFP country file is tens of MB), how long it may take,
    # how many new news entries one check reads, HDX HAPI's page size and app_identifier.
    # False for a process that should not check feeds (another one does; claims keep it safe).
    check_feeds: bool = True
    feed_tick_seconds: float = Field(default=60.0, gt=0)
    feed_max_bytes: int = Field(default=300_000_000, ge=1_000, le=5_000_000_000)
    feed_timeout: float = Field(default=300.0, gt=0, le=3600)
    feed_max_entries: int = Field(default=20, ge=1, le=500)
    hapi_page_size: int = Field(default=10_000, ge=1, le=10_000)
    hapi_app_identifier: SecretStr | None = None

    # Webhook mode (`jangmadang run` with WEBHOOK_URL set): the public URL Telegram posts to,
    # where this process listens (behind the reverse proxy), the secret Telegram sends back in
    # X-Telegram-Bot-Api-Secret-Token, the path, and setWebhook's max_connections.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8080"
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram"
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # Polling mode: where /healthz, /readyz and /metrics are served (unset: nowhere).
    metrics_listen: str | None = None
    # text (human) or json (one object per line, for a log collector).
    log_format: str = "text"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: object) -> object:
        if value is None or value == "":
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        raw = raw.strip()
        lowered = raw.lower()
        if any(p in lowered for p in PLACEHOLDERS) or not _TOKEN_RE.match(raw):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError("does not look like a Telegram bot token (expected 123456789:AA...)")
        return raw

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        if value.endswith("/bot"):
            value = value[: -len("/bot")]
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if value is None or value == "":
            return []
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
            for part in parts:
                if not re.fullmatch(r"-?\d+", part):
                    raise ValueError(
                        f"must be numeric Telegram ids separated by commas, got {part!r}"
                    )
            return [int(p) for p in parts]
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)"
            ) from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        value = value.strip()
        if "://" not in value:
            raise ValueError("must be a SQLAlchemy URL such as sqlite:///./data/jangmadang.sqlite3")
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver the project installs.
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @field_validator("webhook_url", "metrics_listen", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be the public https URL Telegram posts to")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _check_secret(cls, value: object) -> object:
        if value is None or value == "":
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        # Telegram's rule for secret_token; the value itself is never echoed.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return raw

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host_port(value)
        return value.strip()

    @field_validator("webhook_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"/[A-Za-z0-9_./-]{0,200}", value):
            raise ValueError("must be a path such as /telegram")
        return value

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @property
    def webhook(self) -> bool:
        """Updates arrive by webhook (WEBHOOK_URL set) rather than by polling."""
        return self.webhook_url is not None

    def token(self) -> str:
        """Return the bot token or raise ConfigError when it is not set."""
        if self.telegram_bot_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather).")
        return self.telegram_bot_token.get_secret_value()


def host_port(value: str) -> tuple[str, int]:
    """Split "host:port" (IPv6 in brackets); raise ValueError when it is not one."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be host:port, such as 127.0.0.1:8080")
    return host, int(port)


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line naming the setting, never its value."""
    parts = []
    for err in exc.errors():
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{name} {msg}")
    return "Invalid setting: " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, raising ConfigError with one readable line."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
