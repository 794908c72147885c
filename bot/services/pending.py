"""Entries waiting for an admin's confirmation or the next answer of a guided form, and the
markers that make work a restart interrupted visible.

Pending entries live in this process only. So that their loss is not silent, each one (and each
chat import) also leaves a small row in the database while it is open (`WorkMarkers`); a row
another process left behind is work a restart interrupted, and its owner is told once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.services.clock import Clock
from db import repo

logger = logging.getLogger(__name__)

# An unconfirmed entry or an abandoned form is forgotten after this long.
PENDING_SECONDS = 15 * 60

IMPORT = "import"
# An article under review (bot.services.intake_review): its figures, read but not yet saved.
INTAKE = "intake"
INTERRUPTED_PROGRESS = "Interrupted by a restart; nothing was written."
_COMMANDS = {"form-price": "addprice", "price": "addprice", "form-report": "addreport"}


@dataclass
class Pending:
    """One admin's unfinished entry: its kind, what is known so far, and its expiry."""

    token: str
    admin_id: int
    kind: str  # price, report, form-price, form-report
    data: dict[str, Any] = field(default_factory=dict)
    expires: float = 0.0


@dataclass(frozen=True)
class Interrupted:
    """Work a previous process left unfinished: whom to tell, where, and what."""

    token: str
    owner_id: int
    chat_id: int
    kind: str
    message_id: int | None = None
    label: str | None = None

    @property
    def form(self) -> bool:
        """A guided form: the owner's next text was meant as its answer."""
        return self.kind.startswith("form-")

    @property
    def notice(self) -> str:
        """What the owner is told (once)."""
        if self.kind == IMPORT:
            name = f" of {self.label}" if self.label else ""
            return (
                f"Your import{name} was interrupted by a restart; nothing was written. "
                "Send the file again."
            )
        if self.kind == INTAKE:
            return (
                "Your article review was interrupted by a restart; nothing was saved. "
                "Forward or paste the article again, or send /intake URL."
            )
        command = _COMMANDS.get(self.kind, "addreport")
        what = "form" if self.form else "entry"
        return (
            f"Your /{command} {what} was interrupted by a restart; nothing was saved. "
            f"Send /{command} to start again."
        )

    @property
    def progress(self) -> str | None:
        """The new text of an import's progress message, if it had one."""
        return INTERRUPTED_PROGRESS if self.kind == IMPORT and self.message_id else None


def process_name() -> str:
    """This process among others on the same database: host, pid and a nonce (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


class WorkMarkers:
    """Rows in the database for work in progress, and the owners' news of interrupted work.

    One process polls for updates, so the rows another process left were all written before
    this one started: they are read once, on first use, and only shrink afterwards. Asking
    about an owner with none costs no query.
    """

    def __init__(self, *, engine: Engine, clock: Clock, process: str | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self.process = process or process_name()
        self._left: dict[int, list[Interrupted]] | None = None
        self._lock = threading.Lock()

    def started(
        self,
        *,
        owner_id: int,
        kind: str,
        chat_id: int,
        token: str | None = None,
        message_id: int | None = None,
        label: str | None = None,
    ) -> str:
        """Record that work started; return its token (a marker that fails is only logged)."""
        token = token or secrets.token_urlsafe(12)
        try:
            with Session(self._engine) as session:
                repo.add_work(
                    session,
                    token=token,
                    owner_id=owner_id,
                    kind=kind,
                    chat_id=chat_id,
                    message_id=message_id,
                    label=label,
                    process=self.process,
                    now=self._clock(),
                )
                session.commit()
        except SQLAlchemyError:
            logger.warning("Could not record %s work of %d", kind, owner_id, exc_info=True)
        return token

    def finished(self, tokens: Iterable[str]) -> None:
        """Forget work that ended: confirmed, cancelled, expired or imported."""
        tokens = list(tokens)
        if not tokens:
            return
        try:
            with Session(self._engine) as session:
                repo.finish_work(session, tokens=tokens)
                session.commit()
        except SQLAlchemyError:
            logger.warning("Could not clear %d work markers", len(tokens), exc_info=True)

    def maybe_left(self, owner_id: int) -> bool:
        """Tell, without a query, whether `owner_id` may have interrupted work to hear about."""
        with self._lock:
            return self._left is None or owner_id in self._left

    def interrupted(self, *, owner_id: int) -> list[Interrupted]:
        """The owner's work a restart interrupted, each given once (the marker is deleted)."""
        self._load()
        with self._lock:
            assert self._left is not None
            mine = self._left.pop(owner_id, [])
        return self._claim(mine)

    def left_over(self) -> list[Interrupted]:
        """Everyone's work a restart interrupted (at start-up), each given once."""
        self._load()
        with self._lock:
            assert self._left is not None
            every = [item for items in self._left.values() for item in items]
            self._left.clear()
        return self._claim(every)

    def _load(self) -> None:
        with self._lock:
            if self._left is not None:
                return
        try:
            with Session(self._engine) as session:
                rows = repo.left_work(session, process=self.process)
        except SQLAlchemyError:
            logger.warning("Could not read the work other processes left", exc_info=True)
            rows = []
        left: dict[int, list[Interrupted]] = {}
        for row in rows:
            item = Interrupted(
                row.token, row.owner_id, row.chat_id, row.kind, row.message_id, row.label
            )
            left.setdefault(row.owner_id, []).append(item)
        with self._lock:
            if self._left is None:
                self._left = left

    def _claim(self, items: list[Interrupted]) -> list[Interrupted]:
        if not items:
            return []
        try:
            with Session(self._engine) as session:
                # Only the caller that deletes a marker tells its owner: each is told once.
                out = [item for item in items if repo.claim_work(session, token=item.token)]
                session.commit()
        except SQLAlchemyError:
            logger.warning("Could not clear %d interrupted work markers", len(items), exc_info=True)
            return []
        return out


class PendingStore:
    """In-process store of unfinished entries, keyed by a short token (fits callback data).

    With `markers`, every entry also has a marker row while it is held: written when it is
    added, deleted when it leaves (popped, dropped or expired).
    """

    def __init__(self, markers: WorkMarkers | None = None) -> None:
        self._items: dict[str, Pending] = {}
        self._lock = threading.Lock()
        self._markers = markers
        # Expired while a caller that must not wait for the database looked (the form filter):
        # their markers are deleted by the next call that may.
        self._expired: list[str] = []

    def add(self, *, admin_id: int, kind: str, data: dict[str, Any]) -> Pending:
        """Store a new entry and return it with its token."""
        with self._lock:
            self._purge()
            token = secrets.token_urlsafe(6)
            item = Pending(token, admin_id, kind, data, time.monotonic() + PENDING_SECONDS)
            self._items[token] = item
        self._forget_expired()
        if self._markers is not None:
            self._markers.started(owner_id=admin_id, kind=kind, chat_id=admin_id, token=token)
        return item

    def get(self, token: str, *, admin_id: int) -> Pending | None:
        """Return the entry if it exists, is fresh and belongs to this admin."""
        with self._lock:
            self._purge()
            item = self._items.get(token)
            if item is not None and item.admin_id == admin_id:
                item.expires = time.monotonic() + PENDING_SECONDS
            else:
                item = None
        self._forget_expired()
        return item

    def pop(self, token: str, *, admin_id: int, keep_marker: bool = False) -> Pending | None:
        """Remove and return the entry (so it can be confirmed only once).

        `keep_marker` leaves its marker to the caller, who deletes it in the transaction that
        writes the entry (`repo.finish_work`) or with `forget_marker`.
        """
        with self._lock:
            item = self._items.get(token)
            if item is None or item.admin_id != admin_id or item.expires < time.monotonic():
                return None
            item = self._items.pop(token)
        if not keep_marker:
            self.forget_marker(token)
        return item

    def forget_marker(self, token: str) -> None:
        """Delete the marker of an entry that left the store."""
        if self._markers is not None:
            self._markers.finished([token])

    def form_of(self, admin_id: int) -> Pending | None:
        """Return the admin's open guided form, if any (never waits for the database)."""
        with self._lock:
            self._purge()
            for item in self._items.values():
                if item.admin_id == admin_id and item.kind.startswith("form-"):
                    return item
            return None

    def drop_forms(self, admin_id: int) -> None:
        """Forget the admin's open guided forms."""
        with self._lock:
            tokens = [
                t
                for t, i in self._items.items()
                if i.admin_id == admin_id and i.kind.startswith("form-")
            ]
            for token in tokens:
                del self._items[token]
            self._expired.extend(tokens)
        self._forget_expired()

    def _purge(self) -> None:
        now = time.monotonic()
        for token in [t for t, i in self._items.items() if i.expires < now]:
            del self._items[token]
            self._expired.append(token)

    def _forget_expired(self) -> None:
        with self._lock:
            tokens, self._expired = self._expired, []
        if tokens and self._markers is not None:
            self._markers.finished(tokens)
