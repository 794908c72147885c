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
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from telegram import Update

from bot.delivery.metrics import METRICS
from bot.delivery.observe import observed, update_kind
from bot.delivery.updates import KeyedLocks, chat_key
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
# Updates kept decoded for the process that stored them.
ARRIVED_KEPT = 10_000


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
        # This process's lock of each chat in hand.
        self._local = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._arrived: OrderedDict[int, tuple[float, Update]] = OrderedDict()
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
        stored = await asyncio.to_thread(
            self._store, update_id, key, update_kind(update), json.dumps(payload)
        )
        if stored is False:
            METRICS.redelivered.inc()
            return False
        if stored is None:
            METRICS.redelivered.inc()
        else:
            # Most updates are processed by the process that stored them: kept decoded, with
            # when they came (bounded: those another process took are forgotten in turn).
            self._arrived[update_id] = (time.monotonic(), update)
            while len(self._arrived) > ARRIVED_KEPT:
                self._arrived.popitem(last=False)
        self._start(key, update_id)
        return bool(stored)

    def _store(self, update_id: int, key: int | None, kind: str, payload: str) -> bool | None:
        with self._engine.begin() as connection:
            return repo.store_update(
                connection,
                update_id=update_id,
                chat_key=key,
                kind=kind,
                payload=payload,
                now=_now(),
            )

    def _start(self, key: int | None, update_id: int) -> None:
        if self._closing:
            return
        task = asyncio.create_task(self._drain(key, update_id), name=f"inbox-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Processing

    async def _drain(self, key: int | None, update_id: int, *, wait: bool = True) -> None:
        """Process the stored updates of chat `key` (or the one chat-less update): take the
        chat (and its first updates, in the same round trip), process them one by one, each
        marked done together with reading what came meanwhile, then let the chat go."""
        name: int | str = key if key is not None else f"u{update_id}"
        try:
            async with self._local.hold(name), self._slots:
                chat = _Chat(self, key, update_id, f"jangmadang:chat:{name}")
                try:
                    rows = await asyncio.to_thread(chat.take)
                    while rows is None:  # another process holds the chat
                        if not wait or self._closing:
                            return
                        await asyncio.sleep(RETRY_LOCK_SECONDS)
                        rows = await asyncio.to_thread(chat.take)
                    while rows:
                        ident, payload = rows.pop(0)
                        await self._handle(ident, payload)
                        following = await asyncio.to_thread(
                            chat.done, ident, not rows and key is not None
                        )
                        if following is not None:
                            rows = following
                finally:
                    await asyncio.to_thread(chat.release)
        except Exception:
            logger.exception("Processing the updates of chat %s failed; the sweeper retries", key)

    async def _handle(self, ident: int, payload: str) -> None:
        arrived = self._arrived.pop(ident, None)
        if arrived is not None:
            received, update = arrived
        else:
            received, update = None, self._decode(json.loads(payload))
        try:
            await observed(update, self._process(update), via="webhook", received=received)
        except Exception:  # the error handlers saw it; the update counts as handled
            logger.exception("Update %s failed outside its handlers", ident)

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
        with self._engine.connect() as connection:
            return repo.open_chats(connection, before=before)

    def forget_old(self) -> int:
        """Forget updates processed more than a day ago."""
        with self._engine.begin() as connection:
            return repo.done_updates_before(connection, before=_now() - KEEP)

    def backlog(self) -> int:
        """Stored updates not yet processed (for /metrics)."""
        with self._engine.connect() as connection:
            return repo.inbox_backlog(connection)

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


class _Chat:
    """One chat taken by this process: its lock (PostgreSQL: a session advisory lock on a
    connection of its own, in autocommit) and its stored updates, read and marked on that
    same connection, a round trip each. On SQLite, which serves one process, no lock."""

    def __init__(self, inbox: Inbox, key: int | None, update_id: int, lock_name: str) -> None:
        self._inbox = inbox
        self._key = key
        self._update_id = update_id
        self._lock_name = lock_name
        self._connection: Connection | None = None
        self._locked = False

    def _conn(self) -> Connection:
        if self._connection is None:
            inbox = self._inbox
            engine = inbox._locks_engine if inbox._postgres else inbox._engine
            self._connection = engine.connect()
        return self._connection

    def take(self) -> list[tuple[int, str]] | None:
        """Lock the chat and read its first stored updates; None when another holds it."""
        connection = self._conn()
        if self._inbox._postgres:
            if not _try_lock(connection, self._lock_name):
                return None
            self._locked = True
        rows = self._open(connection)
        if not self._inbox._postgres:
            connection.commit()
        return rows

    def done(self, update_id: int, then_read: bool) -> list[tuple[int, str]] | None:
        """Mark an update done; with `then_read`, read what is stored after it."""
        connection = self._conn()
        repo.mark_update_done(connection, update_id=update_id, by=self._inbox.name, now=_now())
        rows = self._open(connection) if then_read else None
        if not self._inbox._postgres:
            connection.commit()
        return rows

    def _open(self, connection: Connection) -> list[tuple[int, str]]:
        return repo.open_updates(
            connection, chat_key=self._key, update_id=self._update_id, limit=BATCH
        )

    def release(self) -> None:
        """Let the chat go (and the connection back to its pool)."""
        if self._connection is None:
            return
        try:
            if self._locked:
                _unlock(self._connection, self._lock_name)
        finally:
            self._connection.close()
            self._connection = None


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
