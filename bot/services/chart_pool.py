"""Charts drawn off the answer path: worker processes fed by a bounded queue.

Drawing a chart costs about half a second of CPU; done in the bot's own process it holds the
GIL while every other answer waits. Here each chart goes to one of `workers` processes (forked
from a server that has matplotlib imported and warm); a question, a tap or an inline query never
waits behind one. When `queue_size` charts already wait, `render` refuses at once (`ChartBusy`)
rather than answering in two minutes. A worker that dies or takes longer than `timeout` is
killed and replaced, and that one chart fails (`ChartFailed`); the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.machinery
import logging
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any

from bot.rendering import chart_worker
from bot.rendering.chart_spec import TrendChart

__all__ = ["ChartBusy", "ChartFailed", "ChartPool", "default_workers"]

logger = logging.getLogger(__name__)
PRELOAD = "bot.rendering.chart_preload"


class ChartBusy(Exception):
    """Too many charts are waiting already."""


class ChartFailed(Exception):
    """The chart could not be drawn (its worker failed, hung or raised)."""


def default_workers() -> int:
    """The machine's cores minus one (one is left to answers), at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _context() -> ForkServerContext | SpawnContext:
    """A fork server with the drawing preloaded; spawn where there is none."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([PRELOAD])
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self, *, kill: bool = False) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill:
            with contextlib.suppress(OSError, ValueError):
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.process.kill()
            self.process.join(timeout=5)


@dataclass
class _Job:
    chart: TrendChart
    done: asyncio.Future[bytes]


@dataclass
class PoolStats:
    drawn: int = 0
    failed: int = 0
    refused: int = 0
    replaced: int = 0
    workers_started: int = 0


class ChartPool:
    """`workers` chart processes behind a queue of at most `queue_size` waiting charts."""

    def __init__(self, *, workers: int, queue_size: int, timeout: float) -> None:
        if workers < 1 or queue_size < 0 or timeout <= 0:
            raise ValueError("a chart pool needs workers >= 1, queue_size >= 0, timeout > 0")
        self.workers = workers
        self.queue_size = queue_size
        self.timeout = timeout
        self.stats = PoolStats()
        self._jobs: asyncio.Queue[_Job] | None = None
        self._slots: list[asyncio.Task[None]] = []
        self._running: list[_Worker | None] = []
        self._busy = 0
        self._context: ForkServerContext | SpawnContext | None = None

    @property
    def waiting(self) -> int:
        """Charts queued and not yet being drawn."""
        return self._jobs.qsize() if self._jobs is not None else 0

    @property
    def drawing(self) -> int:
        """Charts being drawn right now."""
        return self._busy

    def worker_pids(self) -> list[int]:
        """The process ids of the workers running now (tests kill them)."""
        return [w.process.pid for w in self._running if w is not None and w.process.pid]

    async def render(self, chart: TrendChart) -> bytes:
        """Draw `chart` in a worker; raise ChartBusy when the queue is full, ChartFailed when
        the drawing failed."""
        jobs = self._start()
        # Idle workers take a job at once; only charts beyond them count as waiting.
        if jobs.qsize() >= self.queue_size + max(0, self.workers - self._busy):
            self.stats.refused += 1
            raise ChartBusy
        job = _Job(chart, asyncio.get_running_loop().create_future())
        jobs.put_nowait(job)
        return await job.done

    async def start(self) -> None:
        """Start the workers now rather than at the first chart (the fork server warms up)."""
        self._start()
        await asyncio.gather(*(self._ensure(i) for i in range(self.workers)))

    async def close(self) -> None:
        """Stop the workers; charts still waiting fail."""
        slots, self._slots = self._slots, []
        for task in slots:
            task.cancel()
        for task in slots:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        jobs, self._jobs = self._jobs, None
        while jobs is not None and not jobs.empty():
            job = jobs.get_nowait()
            if not job.done.done():
                job.done.set_exception(ChartFailed("the bot is stopping"))
        running, self._running = self._running, []
        for worker in running:
            if worker is not None:
                await asyncio.to_thread(worker.stop)
        self._busy = 0

    # inside

    def _start(self) -> asyncio.Queue[_Job]:
        if self._jobs is None:
            # Room for the queued charts and one handed to each worker.
            self._jobs = asyncio.Queue(maxsize=self.queue_size + self.workers)
            self._running = [None] * self.workers
            self._slots = [
                asyncio.create_task(self._slot(i), name=f"chart-worker-{i}")
                for i in range(self.workers)
            ]
        return self._jobs

    async def _slot(self, index: int) -> None:
        assert self._jobs is not None
        jobs = self._jobs
        while True:
            job = await jobs.get()
            if job.done.done():
                continue  # its asker gave up (the bot is stopping)
            self._busy += 1
            try:
                png = await self._draw(index, job.chart)
            except ChartFailed as exc:
                self.stats.failed += 1
                if not job.done.done():
                    job.done.set_exception(exc)
            except asyncio.CancelledError:
                if not job.done.done():
                    job.done.set_exception(ChartFailed("the bot is stopping"))
                raise
            else:
                self.stats.drawn += 1
                if not job.done.done():
                    job.done.set_result(png)
            finally:
                self._busy -= 1

    async def _ensure(self, index: int) -> _Worker:
        worker = self._running[index]
        if worker is not None and worker.alive:
            return worker
        if worker is not None:
            await asyncio.to_thread(worker.stop, kill=True)
            self.stats.replaced += 1
        worker = await asyncio.to_thread(self._spawn)
        self._running[index] = worker
        return worker

    def _spawn(self) -> _Worker:
        if self._context is None:
            self._context = _context()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=chart_worker.serve, args=(child,), name="jangmadang-chart", daemon=True
        )
        with _main_left_alone():
            process.start()
        child.close()
        self.stats.workers_started += 1
        logger.debug("Chart worker %s started", process.pid)
        return _Worker(process, parent)

    async def _draw(self, index: int, chart: TrendChart) -> bytes:
        worker = await self._ensure(index)
        try:
            worker.conn.send(chart)
            await asyncio.wait_for(_readable(worker.conn), self.timeout)
            answer: tuple[str, Any] = worker.conn.recv()
        except TimeoutError:
            logger.error(
                "Chart worker %s took longer than %.0f s: replaced",
                worker.process.pid,
                self.timeout,
            )
            await self._replace(index)
            raise ChartFailed("the chart took too long") from None
        except (EOFError, OSError) as exc:
            logger.error("Chart worker %s died (%s): replaced", worker.process.pid, exc)
            await self._replace(index)
            raise ChartFailed("the chart worker stopped") from None
        status, value = answer
        if status != "ok":
            logger.error("Chart could not be drawn: %s", value)
            raise ChartFailed(str(value))
        png: bytes = value
        return png

    async def _replace(self, index: int) -> None:
        worker, self._running[index] = self._running[index], None
        if worker is not None:
            await asyncio.to_thread(worker.stop, kill=True)
            self.stats.replaced += 1


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_left_alone() -> Iterator[None]:
    """Start a worker without it running the parent's main script again.

    multiprocessing makes a new process import the parent's `__main__` (a console script, a
    test runner) unless its module name ends in `.__main__`; a chart worker needs none of it, and
    importing the bot's command line once more for each worker would only cost time.
    """
    main = sys.modules["__main__"]
    with _MAIN_LOCK:
        saved = getattr(main, "__spec__", None)
        main.__spec__ = importlib.machinery.ModuleSpec("bot.rendering.__main__", None)
        try:
            yield
        finally:
            main.__spec__ = saved


async def _readable(conn: Connection) -> None:
    """Wait until the worker's answer (or its end: the pipe closes when it dies) can be read."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = conn.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
