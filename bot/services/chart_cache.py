"""Charts kept once drawn: the PNG (so a restart or another process does not draw again) and the
file_id Telegram gave the photo (so an identical request sends no upload at all)."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from bot.services.clock import Clock
from db.repo import charts as repo
from db.repo.charts import StoredChart

__all__ = ["ChartCache", "StoredChart"]

logger = logging.getLogger(__name__)


class ChartCache:
    """Charts by key (`TrendChart.key`), at most `keep` of them, least recently used evicted."""

    def __init__(self, *, engine: Engine, clock: Clock, keep: int) -> None:
        self._engine = engine
        self._clock = clock
        self._keep = keep

    def find(self, key: str) -> StoredChart | None:
        """The chart drawn for `key`, if it is kept."""
        with self._engine.begin() as conn:
            return repo.find_chart(conn, key, now=self._clock())

    def store(self, key: str, *, png: bytes, file_id: str | None = None) -> None:
        """Keep a drawn chart, with Telegram's file_id once it was sent."""
        with self._engine.begin() as conn:
            evicted = repo.store_chart(
                conn, key, png=png, file_id=file_id, now=self._clock(), keep=self._keep
            )
        if evicted:
            logger.info("Chart cache full: %d least recently used charts evicted", evicted)

    def forget_file_id(self, key: str, file_id: str) -> None:
        """Telegram refused the file_id: the chart is uploaded again next time."""
        with self._engine.begin() as conn:
            repo.forget_file_id(conn, key, file_id=file_id)

    def count(self) -> int:
        """How many charts are kept."""
        with self._engine.connect() as conn:
            return repo.chart_count(conn)
