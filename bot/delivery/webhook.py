"""The HTTP listener: Telegram's webhook, and /healthz, /readyz and /metrics for monitoring.

`jangmadang run` with WEBHOOK_URL set serves all four on WEBHOOK_LISTEN; in polling mode
METRICS_LISTEN serves the last three. A webhook request must carry the secret given to
setWebhook in X-Telegram-Bot-Api-Secret-Token (compared in constant time); one without it gets
403, is not stored and is logged without what it carried. A good one is answered 200 only once
its update is stored in the database (`Inbox.receive`): a process that dies after that loses
nothing, and Telegram posts again whatever did not get its 200.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.delivery.inbox import BadUpdate, Inbox
from bot.delivery.metrics import CONTENT_TYPE, METRICS
from config.settings import host_port
from db.engine import schema_is_current

__all__ = ["SECRET_HEADER", "Health", "Listener"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A Bot API that answered within this long counts as reachable for this long.
BOT_API_FRESH_SECONDS = 10.0
BOT_API_TIMEOUT = 5.0
# Updates are small; a bigger body is no update.
MAX_BODY = 1 << 20


@dataclass
class Check:
    ok: bool
    detail: str = "ok"


class Health:
    """What /readyz checks: the database answers and its schema is current, the Bot API
    answers (getMe; a recent success counts)."""

    def __init__(self, *, engine: Engine, ping_bot_api: Callable[[], Awaitable[object]]) -> None:
        self._engine = engine
        self._ping = ping_bot_api
        self._bot_api_ok_at = 0.0
        self._schema_ok = False

    def bot_api_answered(self) -> None:
        """Record that a Bot API call just worked (no need to ask getMe for a while)."""
        self._bot_api_ok_at = time.monotonic()

    async def checks(self) -> dict[str, Check]:
        database, schema = await asyncio.to_thread(self._database)
        return {"database": database, "schema": schema, "bot_api": await self._bot_api()}

    def _database(self) -> tuple[Check, Check]:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            if not self._schema_ok:
                # Once current, a running process's schema stays so (upgrades come with it).
                self._schema_ok = schema_is_current(self._engine)
        except Exception as exc:
            return Check(False, f"unreachable ({type(exc).__name__})"), Check(False, "unknown")
        if not self._schema_ok:
            return Check(True), Check(False, "behind: run `jangmadang db upgrade`")
        return Check(True), Check(True)

    async def _bot_api(self) -> Check:
        if time.monotonic() - self._bot_api_ok_at < BOT_API_FRESH_SECONDS:
            return Check(True)
        try:
            await asyncio.wait_for(self._ping(), BOT_API_TIMEOUT)
        except Exception as exc:
            return Check(False, f"unreachable ({type(exc).__name__})")
        self.bot_api_answered()
        return Check(True)


class Listener:
    """The aiohttp site: the webhook (when `inbox` and `secret` are given) and the monitoring
    endpoints."""

    def __init__(
        self,
        *,
        listen: str,
        health: Health,
        inbox: Inbox | None = None,
        path: str = "/telegram",
        secret: str | None = None,
    ) -> None:
        if inbox is not None and not secret:
            raise ValueError("a webhook needs its secret")
        self._host, self._port = host_port(listen)
        self._health = health
        self._inbox = inbox
        self._path = path
        self._secret = secret.encode() if secret else b""
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.ready_gate: Callable[[], bool] = lambda: True

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        if self._inbox is not None:
            app.router.add_post(self._path, self._webhook)
        return app

    async def start(self) -> None:
        """Listen (port 0 picks a free one: see `port`)."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self._port
        logger.info("Listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening (requests in progress finish)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        checks = await self._health.checks()
        ready = all(c.ok for c in checks.values()) and self.ready_gate()
        body = {name: check.detail for name, check in checks.items()}
        if not self.ready_gate():
            body["process"] = "stopping"
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(METRICS.text)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def _webhook(self, request: web.Request) -> web.Response:
        assert self._inbox is not None
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            METRICS.webhook_refused.labels("secret").inc()
            # What the request carried is never logged: it may be a guess at the secret.
            logger.warning(
                "Refused a webhook request from %s: %s",
                request.remote,
                "wrong secret" if given else "no secret",
            )
            return web.Response(status=403, text="Forbidden\n")
        try:
            payload = json.loads(await request.read())
            await self._inbox.receive(payload)
        except (BadUpdate, ValueError, UnicodeDecodeError):
            METRICS.webhook_refused.labels("body").inc()
            logger.warning("Refused a webhook request from %s: not an update", request.remote)
            return web.Response(status=400, text="Not an update\n")
        except Exception:
            # Not stored: Telegram posts it again.
            METRICS.errors.labels("webhook").inc()
            logger.exception("Could not store a posted update; Telegram will post it again")
            return web.Response(status=500, text="Try again\n")
        return web.Response(text="ok\n")
