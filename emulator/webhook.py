"""Webhook delivery: POST pending updates to the URL setWebhook set, the way Telegram does.

An update leaves the queue (`State.updates`, the one getUpdates reads) only once the webhook
answered it with a 2xx status; any other answer, a connection error or a timeout leaves it queued
and it is POSTed again `webhook_retry_seconds` later. Up to `max_connections` requests are in
flight at once, but the updates of one chat go out one at a time and in order: the next is not
POSTed before the previous one was answered with a 2xx. Updates that belong to no chat (inline
queries, say) are not ordered. Otherwise updates go out in update_id order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import heapq
import json
import logging
from collections import deque
from typing import Any

import aiohttp
from yarl import URL

from emulator.clock import Clock
from emulator.config import EmulatorConfig
from emulator.models import DeliveryRecord, WebhookSettings
from emulator.state import State

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Longest the dispatcher sleeps when nothing wakes it; a notify() always cuts it short.
_IDLE_WAIT = 3600.0

Update = dict[str, Any]
# The order an update belongs to: ("chat", chat_id), or ("update", update_id) for a chatless one.
OrderKey = tuple[str, int]


def update_chat_id(update: Update) -> int | None:
    """Return the id of the chat an update belongs to, or None (inline queries and the like)."""
    for key, payload in update.items():
        if key == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat")
        if not isinstance(chat, dict):
            message = payload.get("message")
            chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict):
            chat_id = chat.get("id")
            if isinstance(chat_id, int) and not isinstance(chat_id, bool):
                return chat_id
    return None


def _order_key(update: Update) -> OrderKey:
    chat_id = update_chat_id(update)
    return ("chat", chat_id) if chat_id is not None else ("update", update["update_id"])


def _connect_error(err: aiohttp.ClientConnectorError) -> str:
    """Describe a failed connection the way getWebhookInfo's last_error_message does."""
    cause = err.os_error
    if isinstance(cause, ConnectionRefusedError) or cause.errno == errno.ECONNREFUSED:
        return "Connection refused"
    if isinstance(cause, TimeoutError) or cause.errno == errno.ETIMEDOUT:
        return "Connection timed out"
    return f"Failed to connect: {cause.strerror or cause}"


def _host_header(url: URL) -> str:
    host = url.raw_host or ""
    host = f"[{host}]" if ":" in host else host
    return host if url.is_default_port() else f"{host}:{url.port}"


class WebhookDelivery:
    """Deliver `state.updates` to the webhook while one is set; owned by the emulator core.

    `ensure_running()` (from setWebhook) starts the dispatcher task if it is not running; it
    ends by itself once the webhook is deleted and the requests in flight are done. `stop()`
    cancels everything and closes the HTTP session (emulator shutdown and reset).
    """

    def __init__(self, config: EmulatorConfig, state: State, clock: Clock):
        self.config = config
        self.state = state
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        # Dispatchers that were cancelled or are closing their session, for stop() to await.
        self._ending: set[asyncio.Task[None]] = set()
        self._forget_queue()

    def _forget_queue(self) -> None:
        """Drop the dispatcher's index of the queue and every delivery's progress."""
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._busy: set[OrderKey] = set()
        self._attempts: dict[int, int] = {}
        # update_id -> loop time before which a failed update is not POSTed again.
        self._not_before: dict[int, float] = {}
        self._forget_index()

    def _forget_index(self) -> None:
        # What the dispatcher knows of state.updates: the list, how many of its entries it
        # indexed and the newest update_id among them, so appends are told from other changes.
        self._indexed: list[Update] | None = None
        self._count = 0
        self._top = 0
        self._queues: dict[OrderKey, deque[Update]] = {}
        # Heads of queues that may be POSTed now, by update_id; and heads waiting for a retry.
        self._ready: list[tuple[int, OrderKey]] = []
        self._retry: list[tuple[float, int, OrderKey]] = []

    @property
    def in_flight(self) -> int:
        """Count the webhook requests waiting for an answer right now."""
        return len(self._in_flight)

    @property
    def running(self) -> bool:
        """Tell whether a dispatcher is delivering (or finishing its requests in flight)."""
        return self._task is not None and not self._task.done()

    def ensure_running(self) -> None:
        """Start delivering if a webhook is set and no dispatcher runs; wake the one that does."""
        if not self.state.webhook.url:
            return
        if not self.running:
            self._task = asyncio.create_task(self._dispatch(), name="emulator-webhook")
        self.state.updates_changed.notify()

    def cancel(self) -> None:
        """Abandon all delivery at once (the requests in flight too), without waiting.

        The cancelled dispatcher still closes its requests and HTTP session as the event loop
        runs on; stop() waits for that.
        """
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            self._track_ending(task)
        self._forget_queue()

    def _track_ending(self, task: asyncio.Task[None]) -> None:
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    async def stop(self) -> None:
        """Cancel all delivery and wait until the requests and the HTTP session are closed."""
        self.cancel()
        ending = list(self._ending)
        if ending:
            await asyncio.gather(*ending, return_exceptions=True)

    # the dispatcher

    async def _dispatch(self) -> None:
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        # The requests this dispatcher started; the session must outlive them.
        posts: set[asyncio.Task[None]] = set()
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), trust_env=False)
        try:
            while True:
                if not self.state.webhook.url:
                    if not self._in_flight:
                        break
                    # deleteWebhook: post nothing new, let the requests in flight finish.
                    await self.state.updates_changed.wait(_IDLE_WAIT, counted=False)
                    continue
                self._sync()
                now = loop.time()
                self._start_ready(session, posts, now)
                timeout = self._retry[0][0] - now if self._retry else _IDLE_WAIT
                await self.state.updates_changed.wait(timeout, counted=False)
        finally:
            if self._task is me and me is not None:
                # Ending by itself: from now on ensure_running() starts a new dispatcher, and
                # stop() waits for this one to close its session rather than cancelling it.
                self._task = None
                self._forget_index()
                self._track_ending(me)
            for post in posts:
                post.cancel()
            if posts:
                await asyncio.gather(*posts, return_exceptions=True)
            await session.close()

    def _start_ready(
        self, session: aiohttp.ClientSession, posts: set[asyncio.Task[None]], now: float
    ) -> None:
        """POST the ready queue heads, oldest first, while connections are free."""
        while self._retry and self._retry[0][0] <= now:
            _, update_id, key = heapq.heappop(self._retry)
            heapq.heappush(self._ready, (update_id, key))
        limit = self.state.webhook.max_connections
        while self._ready and len(self._in_flight) < limit:
            update_id, key = heapq.heappop(self._ready)
            queue = self._queues.get(key)
            if not queue or queue[0]["update_id"] != update_id or key in self._busy:
                continue  # a stale entry: delivered, dropped or already on its way
            not_before = self._not_before.get(update_id, 0.0)
            if not_before > now:
                heapq.heappush(self._retry, (not_before, update_id, key))
                continue
            self._busy.add(key)
            # The request goes where the webhook pointed when it was started.
            target = dataclasses.replace(self.state.webhook)
            post = asyncio.create_task(self._deliver(session, queue[0], key, target))
            self._in_flight[update_id] = post
            posts.add(post)
            post.add_done_callback(posts.discard)

    # the index of the queue

    def _sync(self) -> None:
        """Index updates appended since the last look; re-index if the queue changed otherwise."""
        updates = self.state.updates
        fresh = 0
        if updates is self._indexed:
            while fresh < len(updates) and updates[-1 - fresh]["update_id"] > self._top:
                fresh += 1
        if updates is not self._indexed or len(updates) != self._count + fresh:
            self._rebuild()
            return
        added = updates[len(updates) - fresh :]
        if self._unwanted(added):
            self._rebuild()
            return
        for update in added:
            self._index(update)

    def _unwanted(self, updates: list[Update]) -> bool:
        """Tell whether some of these updates are of a type the bot did not subscribe to."""
        return any(
            not self.state.wants(next(k for k in update if k != "update_id")) for update in updates
        )

    def _rebuild(self) -> None:
        """Index the whole queue afresh (after a drop, a reset or new allowed_updates)."""
        self.state.drop_unwanted()
        self._forget_index()
        for update in self.state.updates:
            self._index(update)
        self._indexed = self.state.updates
        live = {u["update_id"] for u in self.state.updates}
        self._not_before = {k: v for k, v in self._not_before.items() if k in live}
        self._attempts = {
            k: v for k, v in self._attempts.items() if k in live or k in self._in_flight
        }

    def _index(self, update: Update) -> None:
        key = _order_key(update)
        queue = self._queues.setdefault(key, deque())
        queue.append(update)
        self._count += 1
        self._top = max(self._top, update["update_id"])
        if len(queue) == 1:
            self._schedule(key)

    def _schedule(self, key: OrderKey) -> None:
        """Make the head of this queue eligible, now or once its retry pause is over."""
        queue = self._queues.get(key)
        if not queue or key in self._busy:
            return
        update_id = queue[0]["update_id"]
        not_before = self._not_before.get(update_id)
        if not_before is not None:
            heapq.heappush(self._retry, (not_before, update_id, key))
        else:
            heapq.heappush(self._ready, (update_id, key))

    # one delivery

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        update: Update,
        key: OrderKey,
        target: WebhookSettings,
    ) -> None:
        update_id = update["update_id"]
        attempt = self._attempts.get(update_id, 0) + 1
        self._attempts[update_id] = attempt
        try:
            status, error = await self._post(session, update, target)
        except asyncio.CancelledError:
            if self._in_flight.get(update_id) is asyncio.current_task():
                del self._in_flight[update_id]
            raise
        if self._in_flight.get(update_id) is not asyncio.current_task():
            return  # the emulator was reset meanwhile: this update is gone
        del self._in_flight[update_id]
        self._busy.discard(key)
        self.state.deliveries.append(DeliveryRecord(update_id, attempt, status, error))
        if error is None:
            self._delivered(update_id, key)
        else:
            self._failed(update_id, error)
        self._schedule(key)
        self.state.updates_changed.notify()

    def _delivered(self, update_id: int, key: OrderKey) -> None:
        updates = self.state.updates
        if self.state.remove_update(update_id) and updates is self._indexed:
            self._count -= 1
        queue = self._queues.get(key)
        if queue and queue[0]["update_id"] == update_id:
            queue.popleft()
            if not queue:
                del self._queues[key]
        self._attempts.pop(update_id, None)
        self._not_before.pop(update_id, None)

    def _failed(self, update_id: int, error: str) -> None:
        webhook = self.state.webhook
        webhook.last_error_date = int(self.clock.wall())
        webhook.last_error_message = error
        retry_at = asyncio.get_running_loop().time() + self.config.webhook_retry_seconds
        self._not_before[update_id] = retry_at
        logger.debug("webhook delivery of update %d failed: %s", update_id, error)

    async def _post(
        self, session: aiohttp.ClientSession, update: Update, webhook: WebhookSettings
    ) -> tuple[int | None, str | None]:
        """POST one update to `webhook`; return the status and, unless 2xx, what went wrong."""
        url = URL(webhook.url)
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        extra: dict[str, Any] = {}
        if webhook.ip_address and url.host:
            # Connect to the fixed address, still naming the host the URL names.
            headers["Host"] = _host_header(url)
            if url.scheme == "https":
                extra["server_hostname"] = url.host
            url = url.with_host(webhook.ip_address)
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        timeout = aiohttp.ClientTimeout(total=self.config.webhook_timeout)
        try:
            async with session.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False, **extra
            ) as response:
                await response.read()
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientConnectorError as err:
            return None, _connect_error(err)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, ConnectionError):
            return None, "Connection reset by peer"
        except aiohttp.ClientError as err:
            return None, str(err) or type(err).__name__
        status = response.status
        if 200 <= status < 300:
            return status, None
        return status, f"Wrong response from the webhook: {status} {response.reason or ''}".strip()
