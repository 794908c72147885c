"""What a use case hands back to a handler: text, buttons, maybe a picture. No Telegram types."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.callbacks import MAX_CALLBACK_BYTES
from bot.rendering.chart_spec import TrendChart


@dataclass(frozen=True)
class Button:
    """An inline button whose data comes back in a callback."""

    text: str
    data: str

    def __post_init__(self) -> None:
        # Checked at construction so an oversized button can never reach Telegram.
        if not 1 <= len(self.data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data must be 1-{MAX_CALLBACK_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    """An answer: HTML text (split by the sender if long), rows of buttons, an optional PNG or
    a chart to draw (`chart`: the handlers draw it off the answer path, or send it again by the
    file_id it was first sent with), or a file (`document` with its `filename`)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: bytes | None = None
    chart: TrendChart | None = None
    caption: str | None = None
    document: bytes | None = None
    filename: str | None = None


@dataclass(frozen=True)
class InlineResult:
    """One result of an inline query: a title, a short description and the HTML it posts."""

    id: str
    title: str
    description: str
    text: str
