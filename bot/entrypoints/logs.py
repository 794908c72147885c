"""Logging setup: one format, quiet HTTP libraries, and the bot token never written anywhere."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# Bot API URLs carry the token: https://host/bot123:ABC.../method and /file/bot123:ABC.../path.
_TOKEN_IN_URL = re.compile(r"(/bot|/file/bot)\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN = re.compile(r"\b\d{3,15}:[A-Za-z0-9_-]{30,}\b")


class RedactTokens(logging.Filter):
    """Replace bot tokens in log records, known or merely token-shaped."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        text = _TOKEN_IN_URL.sub(r"\1[REDACTED]", text)
        return _BARE_TOKEN.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# PTB's own reports of what the bot reports in one line: an answer that is not JSON (a proxy's
# 502 page; the error raised names it too) and the polling loop ending on a refused token.
_REPEATED = (
    ("telegram.request", "Can not load invalid JSON data"),
    ("telegram.ext", "%s Invalid token. Aborting retry loop."),
)


class DemoteRepeats(logging.Filter):
    """Turn PTB's tracebacks about errors the bot logs itself into DEBUG lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG or not isinstance(record.msg, str):
            return True
        for name, start in _REPEATED:
            if record.name.startswith(name) and record.msg.startswith(start):
                record.levelno, record.levelname = logging.DEBUG, "DEBUG"
                return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json): time, level, logger, message, the exception
    if any, and an update's fields (kind, chat, handler, outcome, ms) on its line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        update = getattr(record, "update", None)
        if isinstance(update, dict):
            line.update(update)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(
    level: str = "INFO", *, secrets: tuple[str, ...] = (), json_lines: bool = False
) -> None:
    """Configure the root logger once for a process (JSON lines with `json_lines`)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(DemoteRepeats())
    handler.addFilter(RedactTokens(secrets))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and those URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # One line per plugin at every start, and before any message that matters.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
