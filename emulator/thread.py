"""Run an emulator on its own event loop in a background thread, for sync callers."""

from __future__ import annotations

import asyncio
import threading

from emulator.config import EmulatorConfig
from emulator.server import Emulator


class EmulatorThread:
    """Serve an Emulator from a daemon thread; `root_url` is set once entered."""

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ):
        self.emulator = Emulator(config)
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def root_url(self) -> str:
        """Return http://HOST:PORT of the running emulator."""
        return self.emulator.root_url

    @property
    def token(self) -> str:
        """Return a token the emulator accepts."""
        return self.emulator.token

    def start(self, timeout: float = 10.0) -> str:
        """Start the thread and block until the server listens; return the root URL."""
        if self._thread is not None:
            return self.root_url
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the emulator did not start in time")
        if self._error is not None:
            raise RuntimeError("the emulator failed to start") from self._error
        return self.root_url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.emulator.start(self._host, self._port))
        except BaseException as err:  # reported to the starting thread
            self._error = err
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.emulator.stop())
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and wait for the thread to end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
        self._loop = None
        self._ready.clear()

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
