"""One log line and the metrics of every update: its kind, chat, handler, outcome and duration.

Whoever hands an update to the application (the polling processor, the webhook inbox) wraps
the handling in `observed`; the handler that takes it names itself through `traced` (every
callback is wrapped once, by the application factory), and an error handler marks the outcome
(`count_error`). The record travels in a context variable: the handlers run in the same task.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from bot.delivery.metrics import METRICS

__all__ = ["UpdateRecord", "count_error", "observed", "traced", "update_kind"]

logger = logging.getLogger("bot.updates")
T = TypeVar("T")
_KINDS = tuple(Update.ALL_TYPES)


def update_kind(update: object) -> str:
    """message, edited_message, callback_query, inline_query, my_chat_member, ..."""
    if not isinstance(update, Update):
        return "other"
    for kind in _KINDS:
        if getattr(update, kind, None) is not None:
            return str(kind)
    return "other"


@dataclass
class UpdateRecord:
    """What is logged of one update."""

    update_id: int | None
    kind: str
    chat_id: int | None
    via: str
    started: float = field(default_factory=time.monotonic)
    handler: str | None = None
    outcome: str = "ok"
    error: str | None = None

    def fields(self, seconds: float) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "kind": self.kind,
            "chat": self.chat_id,
            "handler": self.handler or "none",
            "outcome": self.outcome,
            "error": self.error,
            "ms": round(seconds * 1000, 1),
            "via": self.via,
        }


_CURRENT: contextvars.ContextVar[UpdateRecord | None] = contextvars.ContextVar(
    "jangmadang_update", default=None
)


async def observed(
    update: object, handling: Awaitable[T], *, via: str, received: float | None = None
) -> T:
    """Await `handling` (the application processing `update`), then count and log it.

    `received` is when the update arrived (monotonic), if earlier than now: the latency
    measured is from there, waiting included."""
    chat = update.effective_chat if isinstance(update, Update) else None
    record = UpdateRecord(
        update_id=update.update_id if isinstance(update, Update) else None,
        kind=update_kind(update),
        chat_id=chat.id if chat is not None else None,
        via=via,
    )
    if received is not None:
        record.started = received
    token = _CURRENT.set(record)
    try:
        return await handling
    except BaseException as exc:
        record.outcome, record.error = "error", type(exc).__name__
        raise
    finally:
        _CURRENT.reset(token)
        seconds = time.monotonic() - record.started
        METRICS.updates.labels(record.kind, record.outcome).inc()
        METRICS.reply_seconds.observe(seconds)
        values = record.fields(seconds)
        logger.info(
            "update %(update_id)s %(kind)s chat %(chat)s %(handler)s %(outcome)s %(ms)s ms",
            values,
            extra={"update": values},
        )


Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]


def traced(callback: Callback, name: str | None = None) -> Callback:
    """`callback`, naming itself as the update's handler when it runs."""
    label = name or getattr(callback, "__qualname__", None) or repr(callback)
    module = getattr(callback, "__module__", "") or ""
    if module.startswith("bot.handlers."):
        label = f"{module.removeprefix('bot.handlers.')}.{label}"

    @functools.wraps(callback)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        record = _CURRENT.get()
        if record is not None and record.handler is None:
            record.handler = label
        return await callback(update, context)

    run.__dict__["traced"] = True
    return run


async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An error handler: mark the update's outcome and count the error by its class."""
    error = context.error
    kind = type(error).__name__ if error is not None else "unknown"
    METRICS.errors.labels(kind).inc()
    record = _CURRENT.get()
    if record is not None:
        record.outcome, record.error = "error", kind
