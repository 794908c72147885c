"""The use case behind every new figure entered from chat: queue its alerts, wake the sender."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from bot.services import alerts
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.signals import Signal


class PriceAlerts:
    """Queues price alerts for new figures and raises `queued` when any went into the ledger."""

    def __init__(
        self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock, queued: Signal
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._queued = queued

    def prices_added(self, observation_ids: Sequence[int]) -> int:
        """Queue alerts for figures that escalate their series; return how many were queued."""
        count = alerts.check_alerts(
            self._engine, self._catalogue.current, list(observation_ids), now=self._clock()
        )
        if count:
            self._queued.raise_()
        return count
