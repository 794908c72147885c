"""The process's figures for a monitoring system, in the Prometheus text format (`/metrics`).

One registry per process (`METRICS`), not prometheus-client's global one: the process, platform
and garbage-collector collectors are added to it, and nothing a library registers by import
leaks into it. Counters move where things happen (an update handled, a Bot API call answered, a
feed checked); the backlogs are read when scraped, from the sources the running application
names (`Metrics.watch`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import (
    gc_collector as _gc,
)
from prometheus_client import (
    platform_collector as _platform,
)
from prometheus_client import (
    process_collector as _process,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "METRICS", "Metrics", "send_status"]

logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds from an update's arrival to the end of its handling: answers take tens of ms, charts
# and imports seconds.
REPLY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Bot API methods that put a message in a chat (what "messages sent" counts).
_SENDING = ("send", "edit", "copy", "forward")


def send_status(error: BaseException | None) -> str:
    """The status label of a Bot API call: ok, flood, blocked, bad_request, network, error."""
    if error is None:
        return "ok"
    # Named by class, so that this module needs nothing of the Bot API library.
    names = {cls.__name__ for cls in type(error).__mro__}
    if "RetryAfter" in names:
        return "flood"
    if "Forbidden" in names:
        return "blocked"
    if "BadRequest" in names:
        return "bad_request"
    if "NetworkError" in names or "TimedOut" in names:
        return "network"
    return "error"


class _Backlogs(Collector):
    """Gauges read when scraped: each source is a callable returning a number (or None)."""

    def __init__(self) -> None:
        self.sources: dict[str, tuple[str, Callable[[], float | None]]] = {}
        self._lock = threading.Lock()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with self._lock:
            sources = dict(self.sources)
        for name, (help_text, read) in sorted(sources.items()):
            try:
                value = read()
            except Exception:  # a database that is down must not break the whole scrape
                logger.warning("Could not read %s for /metrics", name, exc_info=True)
                continue
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=float(value))

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []


class Metrics:
    """Every figure the bot exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        _process.ProcessCollector(registry=registry)
        _platform.PlatformCollector(registry=registry)
        _gc.GCCollector(registry=registry)
        self.updates = Counter(
            "jangmadang_updates",
            "Updates handled, by kind (message, callback_query, ...) and outcome.",
            ["kind", "outcome"],
            registry=registry,
        )
        self.reply_seconds = Histogram(
            "jangmadang_reply_seconds",
            "Seconds from an update's arrival to the end of its handling.",
            buckets=REPLY_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "jangmadang_errors",
            "Errors, by kind (the exception's class, or where it happened).",
            ["kind"],
            registry=registry,
        )
        self.messages_sent = Counter(
            "jangmadang_messages_sent",
            "Bot API calls that put a message in a chat (answers, digests, alerts), by status.",
            ["status"],
            registry=registry,
        )
        self.flood_waits = Counter(
            "jangmadang_flood_waits",
            "Flood-control answers (429 Too Many Requests) from the Bot API.",
            registry=registry,
        )
        self.feed_checks = Counter(
            "jangmadang_feed_checks",
            "Source feed checks, by status (changed, unchanged, failed, ...).",
            ["status"],
            registry=registry,
        )
        self.webhook_refused = Counter(
            "jangmadang_webhook_refused",
            "Webhook requests refused, by reason (secret, body).",
            ["reason"],
            registry=registry,
        )
        self.redelivered = Counter(
            "jangmadang_updates_redelivered",
            "Updates posted again that were already stored (processed once).",
            registry=registry,
        )
        self._backlogs = _Backlogs()
        registry.register(self._backlogs)

    def watch(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """Expose `read()` as the gauge `name`, read at each scrape (replaces an earlier one)."""
        with self._backlogs._lock:
            self._backlogs.sources[name] = (help_text, read)

    def unwatch(self, *names: str) -> None:
        """Stop exposing these gauges (the application that named them stopped)."""
        with self._backlogs._lock:
            for name in names:
                self._backlogs.sources.pop(name, None)

    def called(self, endpoint: str, error: BaseException | None) -> None:
        """Count a Bot API call's outcome: a message sent (by status), a flood wait."""
        status = send_status(error)
        if status == "flood":
            self.flood_waits.inc()
        if endpoint.lower().startswith(_SENDING):
            self.messages_sent.labels(status).inc()

    def text(self) -> bytes:
        """The exposition, in the Prometheus text format."""
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's value (0 when absent), for tests and /stats."""
        found = self.registry.get_sample_value(name, labels or {})
        return found or 0.0


METRICS = Metrics()
