"""The digest sender: drains the delivery ledger at a paced budget, crash-safe.

The database is the source of truth. A scheduler tick puts due digests into the ledger; the
sender claims rows, sends them and records each outcome. Every row ends as sent, blocked or
failed with a reason. A row's parts are recorded one by one, so after a crash the sender resumes
after the last part known to have gone out: only a message in flight at the instant of the crash
can reach a chat twice.

One process sends on SQLite (a lease in the database, renewed while it lives); on PostgreSQL
every worker sends, claiming disjoint rows with FOR UPDATE SKIP LOCKED and announcing itself with
a lease of its own, so rows claimed by a worker that died go back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.delivery.pacing import Pacer
from bot.delivery.ratelimit import BROADCAST, retry_seconds
from bot.services.catalogue import Catalogue
from bot.services.digests import EnqueueResult, enqueue_due
from bot.services.processes import dead_local_holders, make_holder
from config.settings import Settings
from db import repo

logger = logging.getLogger(__name__)

SENDER_LEASE = "sender"
WORKER_PREFIX = "worker:"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Waits between attempts after a timeout or network error (then the row fails).
BACKOFF = (5.0, 30.0, 120.0, 600.0, 1800.0)


@dataclass
class SenderStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    flood_waits: int = 0
    started: float = field(default_factory=time.monotonic)


class Sender:
    """Claims ledger rows and sends them; one instance per bot process."""

    def __init__(
        self,
        bot: ExtBot[Any],
        engine: Engine,
        settings: Settings,
        *,
        catalogue: Callable[[], Catalogue],
        now: Callable[[], datetime],
        holder: str | None = None,
    ) -> None:
        self.bot = bot
        self.engine = engine
        self.settings = settings
        self.catalogue = catalogue
        self.now = now
        self.holder = holder or make_holder()
        self.postgres = engine.dialect.name == "postgresql"
        self.pacer = Pacer(
            budget=settings.send_budget,
            chat_interval=settings.send_chat_interval,
            group_per_minute=settings.send_group_per_minute,
        )
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._stop = False
        # Enough sends in flight to keep the budget at Telegram's usual latency (up to ~0.5 s).
        self.concurrency = max(settings.send_concurrency, int(settings.send_budget * 0.5) + 1)
        self._slots = asyncio.Semaphore(self.concurrency)
        # The sender's database writes get threads of their own: answers to users never queue
        # behind a broadcast's bookkeeping in the shared default pool.
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sender-db")
        self._tasks: set[asyncio.Task[None]] = set()
        self._leader = False
        self._lease_checked = 0.0
        self._workers = 1
        # Set when the Bot API refuses the token: sending stops, the rows stay queued.
        self.token_refused = False
        self.on_token_refused: Callable[[], object] | None = None

    async def _db(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args, **kwargs))

    # leases

    def _renew_lease(self) -> bool:
        """Take or renew this process's right to send; release rows a dead sender left claimed."""
        now = self.now()
        ttl = self.settings.sender_lease_seconds
        with Session(self.engine) as session:
            if self.postgres:
                repo.acquire_lease(
                    session,
                    name=f"{WORKER_PREFIX}{self.holder}"[:40],
                    holder=self.holder,
                    now=now,
                    ttl=ttl,
                )
                live = repo.live_holders(session, prefix=WORKER_PREFIX, now=now)
                self._workers = max(1, len(live))
                released = repo.release_orphans(session, live=live, now=now)
                session.commit()
                leader = True
            else:
                current = repo.lease_holder(session, name=SENDER_LEASE)
                takeover = dead_local_holders([current.holder]) if current is not None else []
                leader = repo.acquire_lease(
                    session,
                    name=SENDER_LEASE,
                    holder=self.holder,
                    now=now,
                    ttl=ttl,
                    takeover=takeover,
                )
                released = 0
                if leader and not self._leader:
                    # This process just became the sender: whatever another left claimed is
                    # orphaned (it may have been in flight, which is the one allowed repeat).
                    released = repo.release_orphans(session, live=[self.holder], now=now)
                session.commit()
        if released:
            logger.info("Returned %d unfinished deliveries to the queue", released)
        if leader != self._leader:
            logger.info("Digest sender %s: %s", "active" if leader else "standing by", self.holder)
        self._leader = leader
        self.pacer.budget = self.settings.send_budget / self._workers
        return leader

    def release(self) -> None:
        with Session(self.engine) as session:
            name = f"{WORKER_PREFIX}{self.holder}"[:40] if self.postgres else SENDER_LEASE
            repo.release_lease(session, name=name, holder=self.holder)
            session.commit()
        self._executor.shutdown(wait=False)

    async def ensure_lease(self) -> bool:
        clock = time.monotonic()
        if (
            clock - self._lease_checked >= self.settings.sender_lease_seconds / 3
            or not self._leader
        ):
            self._lease_checked = clock
            try:
                return bool(await self._db(self._renew_lease))
            except Exception:
                logger.exception("Could not renew the sender lease")
                self._leader = False
                return False
        return self._leader

    # scheduling

    async def tick(self) -> int:
        """Queue the digests that are due (only the sending process does it on SQLite)."""
        if not await self.ensure_lease():
            return 0
        result: EnqueueResult = await self._db(
            enqueue_due, self.engine, self.catalogue(), now=self.now()
        )
        if result.deliveries:
            logger.info(
                "Queued %d digests for %d subscriptions (%d composed)",
                result.deliveries,
                result.subscriptions,
                result.composed,
            )
            self.wake()
        return result.deliveries

    def wake(self) -> None:
        self._wake.set()

    # sending

    async def run(self, *, idle_poll: float = 2.0) -> None:
        """Send until stopped: claim rows as slots free up, several sends in flight."""
        while not self._stop:
            if not await self.ensure_lease():
                await self._sleep(min(5.0, self.settings.sender_lease_seconds / 3))
                continue
            free = self._slots._value
            if free <= 0:
                await self._sleep(0.05)
                continue
            try:
                claimed = await self._db(self._claim, free * 2)
            except Exception:
                logger.exception("Could not claim deliveries")
                await self._sleep(idle_poll)
                continue
            if not claimed:
                await self._sleep(idle_poll)
                continue
            for row in claimed:
                await self._slots.acquire()
                task = asyncio.create_task(self._deliver(row))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def stop(self) -> None:
        """Stop claiming; let sends in flight finish (their outcome gets recorded)."""
        self._stop = True
        self.wake()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.send_timeout + 5)

    def _claim(self, limit: int) -> list[repo.Claimed]:
        with Session(self.engine) as session:
            rows = repo.claim_deliveries(session, holder=self.holder, now=self.now(), limit=limit)
            session.commit()
        return rows

    async def _deliver(self, row: repo.Claimed) -> None:
        try:
            await self._send_row(row)
        except Exception as exc:  # a bug must not stop the sender or leave the row claimed
            logger.exception("Delivery %d failed unexpectedly", row.id)
            await self._db(self._finish, row.id, "failed", f"internal error: {type(exc).__name__}")
        finally:
            self._slots.release()

    async def _send_row(self, row: repo.Claimed) -> None:
        chat_id, chat_type = row.chat_id, row.chat_type
        index = row.sent_parts
        while index < len(row.parts):
            await self.pacer.slot(chat_id, chat_type)
            try:
                message = await self.bot.send_message(
                    chat_id,
                    row.parts[index],
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    read_timeout=self.settings.send_timeout,
                    write_timeout=self.settings.send_timeout,
                    rate_limit_args=BROADCAST,
                )
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                self.pacer.pause(seconds)
                self.stats.flood_waits += 1
                continue  # the same part again once the pause is over
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await self._db(self._migrate, chat_id, new_id)
                chat_id, chat_type = new_id, "supergroup"
                continue
            except Forbidden as exc:
                await self._db(self._unreachable, row, _forbidden_reason(str(exc)), str(exc))
                return
            except BadRequest as exc:
                text = str(exc)
                if "chat not found" in text.lower():
                    await self._db(self._unreachable, row, "chat not found", text)
                else:
                    await self._db(self._finish, row.id, "failed", text)
                return
            except (TimedOut, NetworkError) as exc:
                await self._db(self._retry_later, row, f"{type(exc).__name__}: {exc}")
                return
            except InvalidToken:
                # Nothing can be sent with this token: the row goes back to the queue, not failed.
                await self._db(self._put_back, row, "the Bot API refused the token")
                self._refused()
                return
            except TelegramError as exc:
                await self._db(self._finish, row.id, "failed", str(exc))
                return
            last = index == len(row.parts) - 1
            await self._db(self._record, row.id, message.message_id, last)
            index += 1
        if not row.parts:
            await self._db(self._finish, row.id, "failed", "empty digest")

    def _refused(self) -> None:
        if self.token_refused:
            return
        self.token_refused = True
        self._stop = True
        self.wake()
        logger.error("The Bot API refused the token: sending stops, deliveries stay queued")
        if self.on_token_refused is not None:
            self.on_token_refused()

    # outcomes (worker threads)

    def _put_back(self, row: repo.Claimed, error: str) -> None:
        now = self.now()
        with Session(self.engine) as session:
            repo.requeue_delivery(session, delivery_id=row.id, due_at=now, error=error, now=now)
            session.commit()

    def _record(self, delivery_id: int, message_id: int, last: bool) -> None:
        now = self.now()
        with Session(self.engine) as session:
            repo.record_part(session, delivery_id=delivery_id, message_id=message_id, now=now)
            if last:
                repo.finish_delivery(session, delivery_id=delivery_id, status="sent", now=now)
            session.commit()
        if last:
            self.stats.sent += 1

    def _finish(self, delivery_id: int, status: str, error: str) -> None:
        with Session(self.engine) as session:
            repo.finish_delivery(
                session, delivery_id=delivery_id, status=status, now=self.now(), error=error
            )
            session.commit()
        if status == "failed":
            self.stats.failed += 1
            logger.warning("Delivery %d failed: %s", delivery_id, error)

    def _unreachable(self, row: repo.Claimed, reason: str, error: str) -> None:
        now = self.now()
        with Session(self.engine) as session:
            repo.finish_delivery(
                session, delivery_id=row.id, status="blocked", now=now, error=error
            )
            repo.deactivate_chat(session, chat_id=row.chat_id, reason=reason, now=now)
            session.commit()
        self.stats.blocked += 1
        logger.info("Chat %d unreachable (%s): its subscriptions are paused", row.chat_id, reason)

    def _migrate(self, old: int, new: int) -> None:
        with Session(self.engine) as session:
            repo.migrate_chat(session, old_chat_id=old, new_chat_id=new, now=self.now())
            session.commit()
        logger.info("Chat %d moved to %d; subscriptions follow it", old, new)

    def _retry_later(self, row: repo.Claimed, error: str) -> None:
        attempts = row.attempts + 1
        now = self.now()
        if attempts >= self.settings.send_max_attempts:
            self._finish(row.id, "failed", f"gave up after {attempts} attempts: {error}")
            return
        wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
        with Session(self.engine) as session:
            repo.requeue_delivery(
                session,
                delivery_id=row.id,
                due_at=now + timedelta(seconds=wait),
                error=error,
                now=now,
            )
            session.commit()
        self.stats.retried += 1


def _forbidden_reason(text: str) -> str:
    lowered = text.lower()
    if "blocked" in lowered:
        return "blocked"
    if "deactivated" in lowered:
        return "deactivated"
    return "kicked"
