"""Updates that came by webhook: stored, then processed once, in order within each chat.

Telegram redelivers an update until its POST gets a 2xx, and with several replicas behind one
URL it may post a chat's next update to another replica while the first is still being handled.
So the webhook stores each update (its update_id is the key: a redelivery is recognised) and
only then answers; processing happens after, from the store:

- one chat at a time across processes: on PostgreSQL a session advisory lock per chat, taken
  without blocking (a busy chat is retried every few ms, holding no thread); on SQLite, which
  serves one process, the in-process lock alone;
- in update_id order: whoever holds a chat processes all of its stored updates, oldest first,
  and marks each done (the update's own handlers ran before the mark);
- nothing left behind: updates a dead process stored but never processed are taken by the
  sweeper of any live one after ORPHAN_SECONDS; processed ones are forgotten after a day.
  (Expired conversation steps are swept by a job of every process: bot.delivery.jobs.)

An update a process was handling when it died (after its replies, before its mark) is
processed again by the next: at least once, by construction, and twice only in that window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session
from telegram import Update

from bot.delivery.metrics import METRICS
from bot.delivery.observe import observed, update_kind
from bot.delivery.updates import chat_key
from db import repo

__all__ = ["BadUpdate", "Inbox"]

logger = logging.getLogger(__name__)

# Chats processed at once by one process (each holds a database connection for its lock).
CONCURRENCY = 32
# A stored update nobody took after this long: its process died; any process takes it.
ORPHAN_SECONDS = 3.0
SWEEP_SECONDS = 1.0
# Processed updates are remembered this long, against redeliveries.
KEEP = timedelta(days=1)
FORGET_EVERY_SECONDS = 600.0
# How often a chat another process holds is tried again.
RETRY_LOCK_SECONDS = 0.01
BATCH = 20


class BadUpdate(ValueError):
    """The posted body is not an update (no integer update_id)."""


def _now() -> datetime:
    return datetime.now(UTC)


class Inbox:
    """Store posted updates and process them, once and in order, through `process`."""

    def __init__(
        self,
        *,
        engine: Engine,
        process: Callable[[Update], Any],
        decode: Callable[[dict[str, Any]], Update],
        name: str,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._engine = engine
        self._process = process
        self._decode = decode
        self.name = name
        self._postgres = engine.dialect.name == "postgresql"
        # The chat locks' connections: their own pool, one per chat in flight at most.
        self._locks_engine = _lock_engine(engine, concurrency) if self._postgres else engine
        self._slots = asyncio.Semaphore(concurrency)
        self._local: dict[int | str, asyncio.Lock] = {}
        self._users: dict[int | str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._received: dict[int, float] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    # Receiving

    async def receive(self, payload: Any) -> bool:
        """Store a posted update and start its processing; True when it was new.

        Returns once the update is in the database (the webhook answers 200 then). Raises
        BadUpdate for a body that is no update; database errors propagate (answered 500, so
        that Telegram posts it again)."""
        if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
            raise BadUpdate("not an update")
        update = self._decode(payload)
        key = chat_key(update)
        update_id = update.update_id
        self._received.setdefault(update_id, time.monotonic())
        stored = await asyncio.to_thread(
            self._store, update_id, key, update_kind(update), json.dumps(payload)
        )
        if stored is False:
            METRICS.redelivered.inc()
            self._received.pop(update_id, None)
            return False
        if stored is None:
            METRICS.redelivered.inc()
        self._start(key, update_id)
        return bool(stored)

    def _store(self, update_id: int, key: int | None, kind: str, payload: str) -> bool | None:
        with Session(self._engine) as session:
            stored = repo.store_update(
                session, update_id=update_id, chat_key=key, kind=kind, payload=payload, now=_now()
            )
            session.commit()
        return stored

    def _start(self, key: int | None, update_id: int) -> None:
        if self._closing:
            return
        task = asyncio.create_task(self._drain(key, update_id), name=f"inbox-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Processing

    async def _drain(self, key: int | None, update_id: int, *, wait: bool = True) -> None:
        """Process the stored updates of chat `key` (or the one chat-less update)."""
        name: int | str = key if key is not None else f"u{update_id}"
        try:
            async with self._chat(name), self._slots, self._held(name, wait=wait) as held:
                if held:
                    await self._process_open(key, update_id)
        except Exception:
            logger.exception("Processing the updates of chat %s failed; the sweeper retries", key)

    async def _process_open(self, key: int | None, update_id: int) -> None:
        while True:
            rows = await asyncio.to_thread(self._open, key, update_id)
            if not rows:
                return
            for ident, payload in rows:
                update = self._decode(json.loads(payload))
                received = self._received.pop(ident, None)
                try:
                    await observed(update, self._process(update), via="webhook", received=received)
                except Exception:  # the error handlers saw it; the update counts as handled
                    logger.exception("Update %s failed outside its handlers", ident)
                await asyncio.to_thread(self._done, ident)
            if key is None:
                return

    def _open(self, key: int | None, update_id: int) -> list[tuple[int, str]]:
        with Session(self._engine) as session:
            return repo.open_updates(session, chat_key=key, update_id=update_id, limit=BATCH)

    def _done(self, update_id: int) -> None:
        with Session(self._engine) as session:
            repo.mark_update_done(session, update_id=update_id, by=self.name, now=_now())
            session.commit()

    @contextlib.asynccontextmanager
    async def _chat(self, name: int | str) -> AsyncIterator[None]:
        """This process's lock of one chat (refcounted, dropped when nobody waits)."""
        lock = self._local.setdefault(name, asyncio.Lock())
        self._users[name] = self._users.get(name, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[name] -= 1
            if not self._users[name]:
                del self._users[name]
                del self._local[name]

    @contextlib.asynccontextmanager
    async def _held(self, name: int | str, *, wait: bool) -> AsyncIterator[bool]:
        """The chat's lock across processes (PostgreSQL); SQLite serves one process."""
        if not self._postgres:
            yield True
            return
        connection = await asyncio.to_thread(self._locks_engine.connect)
        try:
            lock_name = f"jangmadang:chat:{name}"
            while not await asyncio.to_thread(_try_lock, connection, lock_name):
                if not wait or self._closing:
                    yield False
                    return
                await asyncio.sleep(RETRY_LOCK_SECONDS)
            try:
                yield True
            finally:
                await asyncio.to_thread(_unlock, connection, lock_name)
        finally:
            await asyncio.to_thread(connection.close)

    # Sweeping

    def start(self) -> None:
        """Start the sweeper: orphaned updates taken, old ones forgotten, old steps deleted."""
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_loop(), name="inbox-sweeper")

    async def _sweep_loop(self) -> None:
        forgot = 0.0
        while not self._closing:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep_orphans()
                if time.monotonic() - forgot > FORGET_EVERY_SECONDS:
                    forgot = time.monotonic()
                    await asyncio.to_thread(self.forget_old)
            except Exception:
                logger.warning("The inbox sweep failed; the next one retries", exc_info=True)

    async def sweep_orphans(self) -> int:
        """Take stored updates nobody processed for ORPHAN_SECONDS; return how many chats."""
        chats = await asyncio.to_thread(self._orphans)
        started = 0
        for key, update_id in chats:
            name: int | str = key if key is not None else f"u{update_id}"
            if name in self._local:  # this process is on it
                continue
            task = asyncio.create_task(self._drain(key, update_id, wait=False))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    def _orphans(self) -> list[tuple[int | None, int]]:
        before = _now() - timedelta(seconds=ORPHAN_SECONDS)
        with Session(self._engine) as session:
            return repo.open_chats(session, before=before)

    def forget_old(self) -> int:
        """Forget updates processed more than a day ago."""
        with Session(self._engine) as session:
            forgotten = repo.done_updates_before(session, before=_now() - KEEP)
            session.commit()
        return forgotten

    def backlog(self) -> int:
        """Stored updates not yet processed (for /metrics)."""
        with Session(self._engine) as session:
            return repo.inbox_backlog(session)

    @property
    def in_flight(self) -> int:
        """Chats being processed or waiting in this process."""
        return len(self._local)

    async def close(self, timeout: float = 30.0) -> None:
        """Stop the sweeper and let the updates in hand finish (up to `timeout` seconds)."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
        if self._locks_engine is not self._engine and self._postgres:
            self._locks_engine.dispose()


def _lock_engine(engine: Engine, size: int) -> Engine:
    """An engine on the same database whose connections only hold chat locks."""
    return create_engine(
        engine.url,
        pool_size=size,
        max_overflow=size,
        pool_pre_ping=True,
        isolation_level="AUTOCOMMIT",
    )


def _try_lock(connection: Connection, name: str) -> bool:
    row = connection.execute(
        text("SELECT pg_try_advisory_lock(hashtextextended(current_schema() || :name, 0))"),
        {"name": name},
    ).first()
    return bool(row and row[0])


def _unlock(connection: Connection, name: str) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(hashtextextended(current_schema() || :name, 0))"),
        {"name": name},
    )
