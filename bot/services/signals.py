"""A signal: services raise it when they queued something; whoever listens (the sender) wakes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Signal:
    """Thread-safe list of listeners called when the signal is raised; none is fine."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def connect(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` on every raise from now on; return a function that disconnects it."""
        with self._lock:
            self._listeners.append(listener)

        def disconnect() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return disconnect

    def raise_(self) -> None:
        """Call every listener; a failing listener is logged and the others still run."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                logger.exception("A listener of %s failed", self.name)
