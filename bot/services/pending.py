"""Entries waiting for an admin's confirmation or the next answer of a guided form."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# An unconfirmed entry or an abandoned form is forgotten after this long.
PENDING_SECONDS = 15 * 60


@dataclass
class Pending:
    """One admin's unfinished entry: its kind, what is known so far, and its expiry."""

    token: str
    admin_id: int
    kind: str  # price, report, form-price, form-report
    data: dict[str, Any] = field(default_factory=dict)
    expires: float = 0.0


class PendingStore:
    """In-process store of unfinished entries, keyed by a short token (fits callback data)."""

    def __init__(self) -> None:
        self._items: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def add(self, *, admin_id: int, kind: str, data: dict[str, Any]) -> Pending:
        """Store a new entry and return it with its token."""
        with self._lock:
            self._purge()
            token = secrets.token_urlsafe(6)
            item = Pending(token, admin_id, kind, data, time.monotonic() + PENDING_SECONDS)
            self._items[token] = item
            return item

    def get(self, token: str, *, admin_id: int) -> Pending | None:
        """Return the entry if it exists, is fresh and belongs to this admin."""
        with self._lock:
            self._purge()
            item = self._items.get(token)
            if item is None or item.admin_id != admin_id:
                return None
            item.expires = time.monotonic() + PENDING_SECONDS
            return item

    def pop(self, token: str, *, admin_id: int) -> Pending | None:
        """Remove and return the entry (so it can be confirmed only once)."""
        with self._lock:
            item = self._items.get(token)
            if item is None or item.admin_id != admin_id or item.expires < time.monotonic():
                return None
            return self._items.pop(token)

    def form_of(self, admin_id: int) -> Pending | None:
        """Return the admin's open guided form, if any."""
        with self._lock:
            self._purge()
            for item in self._items.values():
                if item.admin_id == admin_id and item.kind.startswith("form-"):
                    return item
            return None

    def drop_forms(self, admin_id: int) -> None:
        """Forget the admin's open guided forms."""
        with self._lock:
            for token in [
                t
                for t, i in self._items.items()
                if i.admin_id == admin_id and i.kind.startswith("form-")
            ]:
                del self._items[token]

    def _purge(self) -> None:
        now = time.monotonic()
        for token in [t for t, i in self._items.items() if i.expires < now]:
            del self._items[token]
