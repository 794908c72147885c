"""Conversation state: entries waiting for an editor's confirmation or choice, guided forms
and articles under review, one database row each (`PendingStore`); and the markers that make
work a restart interrupted visible (`WorkMarkers`: chat imports, which run in one process).

A step is a row with its owner, its expiry and a version: a tap or an answer reaches it from any
process and after any restart, and a change written over a newer one is refused. Its data is
serialised by the process that wrote it and signed with a key derived from the bot's token; a
row that fails the signature, or that an older or newer release wrote in a shape this one
cannot read, is treated as expired (its owner is told so and starts again).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import pickle
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_
from bot.services.clock import Clock
from db import repo

logger = logging.getLogger(__name__)

# An unconfirmed entry or an abandoned form is forgotten after this long.
PENDING_SECONDS = 15 * 60

IMPORT = "import"
# An article under review (bot.services.intake_review): its figures, read but not yet saved.
INTAKE = "intake"
# Kinds of guided forms: an editor has at most one open, and their next text answers it.
FORMS = ("form-price", "form-report")
INTERRUPTED_PROGRESS = "Interrupted by a restart; nothing was written."
_COMMANDS = {"form-price": "addprice", "price": "addprice", "form-report": "addreport"}


@dataclass
class Pending:
    """One admin's unfinished entry: its kind, what is known so far, and its expiry."""

    token: str
    admin_id: int
    kind: str  # price, report, form-price, form-report
    data: dict[str, Any] = field(default_factory=dict)
    expires: float = 0.0  # unix time
    # The row's version when read; a write over a newer one is refused.
    version: int = 1


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


class StaleEntry(InvalidInput):
    """The step changed elsewhere since it was read (another tap of the same buttons)."""

    def __init__(self) -> None:
        super().__init__(N_("This entry changed meanwhile; use its latest message."))


# Modules whose classes a step's data may hold: the project's own values and a few of the
# standard library's. Anything else in a row is refused, signature or not.
_SAFE_MODULES = ("bot.domain.", "bot.services.", "bot.rendering.")
_SAFE_NAMES = {
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "range"),
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("zoneinfo", "ZoneInfo"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_NAMES or module.startswith(_SAFE_MODULES):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in conversation state")


class StateCodec:
    """Serialise and sign a step's data; refuse what another key signed or a stranger wrote."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        self._key = hashlib.sha256(b"jangmadang conversation state\0" + raw).digest()

    def dump(self, data: dict[str, Any]) -> bytes:
        body = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, body, hashlib.sha256).digest() + body

    def load(self, blob: bytes) -> dict[str, Any] | None:
        """The data, or None when the signature or the shape is wrong."""
        signature, body = bytes(blob[:32]), bytes(blob[32:])
        if not hmac.compare_digest(signature, hmac.new(self._key, body, hashlib.sha256).digest()):
            logger.warning("A conversation step failed its signature; treated as expired")
            return None
        try:
            data = _Unpickler(io.BytesIO(body)).load()
        except Exception:  # a release that changed a class's shape: the step is unreadable
            logger.warning(
                "A conversation step could not be read; treated as expired", exc_info=True
            )
            return None
        return data if isinstance(data, dict) else None


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class PendingStore:
    """Conversation steps in the database, keyed by a short token (fits callback data).

    A caller that read a step (`get`) and changed its data writes it back with `save`, which
    keeps it alive for PENDING_SECONDS more (refused with StaleEntry when another process
    changed it first); `pop` removes it for exactly one caller. Expired steps are never returned and are
    deleted by `sweep` (and by every `add`).
    """

    def __init__(self, *, engine: Engine, secret: str | bytes) -> None:
        self._engine = engine
        self._codec = StateCodec(secret)

    def add(
        self,
        *,
        admin_id: int,
        kind: str,
        data: dict[str, Any],
        seconds: float = PENDING_SECONDS,
    ) -> Pending:
        """Store a new step and return it with its token."""
        now = time.time()
        item = Pending(secrets.token_urlsafe(6), admin_id, kind, data, now + seconds)
        with Session(self._engine) as session:
            repo.sweep_states(session, now=_at(now))
            repo.add_state(
                session,
                token=item.token,
                owner_id=admin_id,
                kind=kind,
                data=self._codec.dump(data),
                expires_at=_at(item.expires),
                now=_at(now),
            )
            session.commit()
        return item

    def get(self, token: str, *, admin_id: int) -> Pending | None:
        """Return the step if it exists, is fresh and belongs to this admin (one read: every
        caller that goes on writes it back with `save`, which moves its expiry, or removes it)."""
        with Session(self._engine) as session:
            return self._own(session, token, admin_id)

    def save(self, item: Pending, *, seconds: float = PENDING_SECONDS) -> None:
        """Write a changed step back; raise StaleEntry when it changed since it was read."""
        now = time.time()
        with Session(self._engine) as session:
            written = repo.write_state(
                session,
                token=item.token,
                version=item.version,
                kind=item.kind,
                data=self._codec.dump(item.data),
                expires_at=_at(now + seconds),
                now=_at(now),
            )
            session.commit()
        if not written:
            raise StaleEntry()
        item.version += 1
        item.expires = now + seconds

    def pop(self, token: str, *, admin_id: int) -> Pending | None:
        """Remove and return the step (so it can be confirmed only once, by one process)."""
        with Session(self._engine) as session:
            item = self._own(session, token, admin_id)
            if item is None:
                return None
            taken = repo.delete_state(session, token=token, owner_id=admin_id)
            session.commit()
        return item if taken else None

    def discard(self, token: str, *, admin_id: int) -> None:
        """Remove a step whatever its state (an entry that failed its checks)."""
        with Session(self._engine) as session:
            repo.delete_state(session, token=token, owner_id=admin_id)
            session.commit()

    def take(self, session: Session, item: Pending) -> bool:
        """Delete the step inside the caller's transaction (the one that writes what it held);
        False when another process took it first."""
        return repo.delete_state(session, token=item.token, owner_id=item.admin_id)

    def latest(self, admin_id: int, kinds: Sequence[str]) -> Pending | None:
        """The admin's newest fresh step of these kinds."""
        now = time.time()
        with Session(self._engine) as session:
            rows = repo.owner_states(session, owner_id=admin_id, kinds=kinds, now=_at(now))
            for row in rows:
                item = self._item(row, now)
                if item is not None:
                    return item
        return None

    def kinds_of(self, admin_id: int) -> frozenset[str]:
        """The kinds of the admin's fresh steps (one query; nothing is read or refreshed)."""
        with Session(self._engine) as session:
            return repo.open_kinds(session, owner_id=admin_id, now=_at(time.time()))

    def form_of(self, admin_id: int) -> Pending | None:
        """Return the admin's open guided form, if any."""
        return self.latest(admin_id, FORMS)

    def drop(self, admin_id: int, kinds: Sequence[str]) -> None:
        """Forget the admin's steps of these kinds."""
        with Session(self._engine) as session:
            repo.drop_states(session, owner_id=admin_id, kinds=kinds)
            session.commit()

    def drop_forms(self, admin_id: int) -> None:
        """Forget the admin's open guided forms."""
        self.drop(admin_id, FORMS)

    def sweep(self) -> int:
        """Delete expired steps; return how many."""
        with Session(self._engine) as session:
            count = repo.sweep_states(session, now=_at(time.time()))
            session.commit()
        return count

    def _own(self, session: Session, token: str, admin_id: int) -> Pending | None:
        item = self._item(repo.read_state(session, token=token), time.time())
        return item if item is not None and item.admin_id == admin_id else None

    def _item(self, row: Any, now: float) -> Pending | None:
        if row is None:
            return None
        expires = (
            row.expires_at.replace(tzinfo=UTC) if row.expires_at.tzinfo is None else row.expires_at
        )
        if expires.timestamp() <= now:
            return None
        data = self._codec.load(row.data)
        if data is None:
            return None
        return Pending(row.token, row.owner_id, row.kind, data, expires.timestamp(), row.version)
