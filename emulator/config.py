"""Settings of one emulator instance."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from emulator.limits import RateSettings

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
DEFAULT_TOKEN = "7000000001:EMULATOR-token-0123456789abcdef"
# Settings that may change at runtime and must stay positive numbers (never null).
WEBHOOK_SETTINGS = ("webhook_timeout", "webhook_retry_seconds")


@dataclass
class EmulatorConfig:
    """Describe the emulated bot and how strictly the emulated server behaves."""

    # None accepts any well-formed token; a string accepts only itself.
    token: str | None = None
    bot_username: str = "jangmadang_bot"
    bot_id: int = 7000000001
    bot_first_name: str = "Jangmadang"
    # Flood control; None switches a limit off.
    global_rate: float | None = 30.0
    chat_rate: float | None = 1.0
    chat_burst: int = 3
    group_rate_per_min: float | None = 20.0
    latency_ms: tuple[int, int] = (0, 0)
    spec_path: str | Path | None = None
    # Telegram lets a stray "&" through; its docs require &amp;, which this enforces.
    strict_html_entities: bool = True
    max_poll_timeout: float = 50.0
    # Methods answered as a Bot API-compatible server that lacks them would (400).
    refuse_methods: tuple[str, ...] = ()
    # Webhook delivery: how long one POST may take, and the pause before a failed one is retried.
    webhook_timeout: float = 10.0
    webhook_retry_seconds: float = 0.2

    def rate_settings(self) -> RateSettings:
        """Return the flood-control part of the settings."""
        return RateSettings(
            global_rate=self.global_rate,
            chat_rate=self.chat_rate,
            chat_burst=self.chat_burst,
            group_rate_per_min=self.group_rate_per_min,
        )

    def accepts_token(self, token: str) -> bool | None:
        """Return True if accepted, False if well-formed but wrong, None if malformed."""
        if not TOKEN_RE.match(token):
            return None
        return self.token is None or token == self.token

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply runtime-changeable settings from a JSON object; return the names changed."""
        allowed = {
            "global_rate",
            "chat_rate",
            "chat_burst",
            "group_rate_per_min",
            "latency_ms",
            *WEBHOOK_SETTINGS,
        }
        known = {f.name for f in fields(self)}
        unknown = [key for key in changes if key not in allowed]
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} at runtime")
        for key, value in changes.items():
            if key not in known:
                continue
            if key == "latency_ms":
                value = _latency(value)
            elif key == "chat_burst":
                value = int(value)
                if value < 1:
                    raise ValueError("chat_burst must be at least 1")
            elif key in WEBHOOK_SETTINGS:
                value = float(value)
                if not value > 0:
                    raise ValueError(f"{key} must be positive")
            elif value is not None:
                value = float(value)
                if value <= 0:
                    raise ValueError(f"{key} must be positive or null")
            setattr(self, key, value)
        return sorted(changes)


def _latency(value: Any) -> tuple[int, int]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (int(value), int(value))
    low, high = (int(v) for v in value)
    if low < 0 or high < low:
        raise ValueError("latency_ms must be [min, max] with 0 <= min <= max")
    return (low, high)
