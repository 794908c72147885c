"""The emulator's HTTP server: Bot API routes, file downloads and the control API."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from typing import Any

from aiohttp import web

from emulator.clock import Clock
from emulator.config import DEFAULT_TOKEN, EmulatorConfig
from emulator.control import ControlApi
from emulator.core import Core, Handler
from emulator.decode import check_required, coerce_params, loggable, read_params
from emulator.errors import NOT_SUPPORTED, ApiError, bad_request, not_found, unauthorized
from emulator.limits import is_sending_method
from emulator.methods_bot import HANDLERS as BOT_HANDLERS
from emulator.methods_messages import HANDLERS as MESSAGE_HANDLERS
from emulator.spec import MethodSpec
from emulator.state import State

logger = logging.getLogger(__name__)

__all__ = ["Emulator", "EmulatorConfig"]

MAX_BODY = 60 * 1024 * 1024
# Not a Telegram answer: what the call log shows for a call whose client left mid-stall.
ABANDONED = (499, "Client Closed Request: the client disconnected during a stall")


class ClientGone(Exception):
    """The client hung up while its call was stalled; nothing was processed."""


class Emulator:
    """An offline Telegram Bot API server for one bot, with a control API for tests."""

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None):
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.core = Core(self.config, self.clock)
        self.control = ControlApi(self.core)
        handlers: dict[str, Handler] = {**MESSAGE_HANDLERS, **BOT_HANDLERS}
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}
        self._runner: web.AppRunner | None = None
        self._root_url: str | None = None

    @property
    def root_url(self) -> str:
        """Return http://HOST:PORT of the running server."""
        if self._root_url is None:
            raise RuntimeError("the emulator is not running")
        return self._root_url

    @property
    def token(self) -> str:
        """Return a token this emulator accepts."""
        return self.config.token or DEFAULT_TOKEN

    @property
    def state(self) -> State:
        """Return the in-memory state, for in-process inspection."""
        return self.core.state

    def build_app(self) -> web.Application:
        """Create the aiohttp application with every route mounted."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self.control.middleware])
        app.router.add_route("GET", "/bot{token}/{method:[^/]*}", self._bot_api)
        app.router.add_route("POST", "/bot{token}/{method:[^/]*}", self._bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        app.add_routes(self.control.routes())
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) and return the root URL."""
        if self._runner is not None:
            return self.root_url
        self.core.closing = False
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        bound_host, bound_port = sock.getsockname()[:2]
        self._root_url = f"http://{bound_host}:{bound_port}"
        logger.info("Bot API emulator listening on %s", self._root_url)
        # A webhook set before a stop() is delivered to again.
        self.core.webhook.ensure_running()
        return self._root_url

    async def stop(self) -> None:
        """Release long polls and shut the server down."""
        if self._runner is None:
            return
        self.core.closing = True
        await self.core.webhook.stop()
        self.state.updates_changed.notify()
        self.state.messages_changed.notify()
        await asyncio.sleep(0)
        await self._runner.cleanup()
        self._runner = None
        self._root_url = None
        logger.info("Bot API emulator stopped")

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _check_token(self, token: str) -> None:
        accepted = self.config.accepts_token(token)
        if accepted is None:
            raise not_found()
        if not accepted:
            raise unauthorized()

    async def _latency(self) -> None:
        low, high = self.config.latency_ms
        if high > 0:
            await self.clock.sleep(random.uniform(low, high) / 1000.0)

    async def _stall(self, method: MethodSpec, request: web.Request) -> None:
        """Hold a sending call if a stall is pending; raise ClientGone if the client left."""
        stall = self.core.take_stall(method.name)
        if stall is None:
            return
        seconds, deliver = stall
        try:
            await self.clock.sleep(seconds)
        except asyncio.CancelledError:
            # aiohttp cancels handlers of lost connections when handler_cancellation is on.
            self.state.stats.abandoned += 1
            raise
        transport = request.transport
        gone = transport is None or transport.is_closing()
        if gone and not deliver:
            raise ClientGone()

    async def _run(self, method: MethodSpec, params: dict[str, Any], request: web.Request) -> Any:
        await self._stall(method, request)
        if method.name != "getUpdates":
            await self._latency()
        check_required(method, params)
        handler = self._handlers.get(method.name.lower())
        refused = {name.lower() for name in self.config.refuse_methods}
        if handler is None or method.name.lower() in refused:
            raise bad_request(NOT_SUPPORTED)
        return await handler(self.core, params)

    async def _bot_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            self._check_token(request.match_info["token"])
            method = self.core.spec.method(name)
            if method is None:
                raise not_found()
            params = coerce_params(method, await read_params(request))
            result = await self._run(method, params, request)
        except ApiError as err:
            self._log(name, params, (err.code, err.description))
            return web.json_response(err.to_json(), status=err.code)
        except (ClientGone, ConnectionResetError):
            # The client hung up (or was killed) mid-request: record it, answer no one.
            self._log(name, params, ABANDONED, abandoned=True)
            return web.Response(status=ABANDONED[0])
        self._log(name, params, None, result)
        return web.json_response({"ok": True, "result": result})

    def _log(
        self,
        name: str,
        params: dict[str, Any],
        error: tuple[int, str] | None,
        result: Any = None,
        *,
        abandoned: bool = False,
    ) -> None:
        """Record the call in the call log (the latest MAX_CALL_LOG) and the send statistics."""
        method = self.core.spec.method(name)
        record = self.state.log_call(method.name if method else name, loggable(params), error)
        if abandoned:
            self.state.stats.abandoned += 1
        elif method is not None and is_sending_method(method.name):
            self.state.record_send(record, result)
        if error is not None:
            logger.debug("%s failed: %s", name, error[1])

    async def _download(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as err:
            return web.json_response(err.to_json(), status=err.code)
        stored = self.state.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(not_found().to_json(), status=404)
        return web.Response(
            body=stored.data,
            headers={"Content-Type": stored.mime_type or "application/octet-stream"},
        )
