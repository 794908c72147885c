"""The use case behind every new trade-condition report: queue its condition alerts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.signals import Signal


class ConditionAlerts:
    """Queues condition alerts for new reports and raises `queued` when any were queued."""

    def __init__(
        self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock, queued: Signal
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._queued = queued

    def reports_added(self, report_ids: Sequence[int]) -> int:
        """Queue alerts for reports that change a border status or report enforcement."""
        return 0
