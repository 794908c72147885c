"""Bot replicas in webhook mode, as child processes, behind the round-robin test proxy.

Used by the end-to-end test of several replicas and by `python -m bench webhook`: the offline
emulator posts its updates to the proxy, the proxy hands each POST to the next replica, and
every replica shares one PostgreSQL schema.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.services.catalogue import sync_catalogue
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SECRET = "replica-test-secret_0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str) -> None:
    """Migrate the database at `url` and load the catalogue and the sample figures."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        now = datetime.now(UTC)
        sync_catalogue(engine, now=now)
        load_sample(engine, now=now)
    finally:
        engine.dispose()


@dataclass
class Replica:
    """One `jangmadang run` in webhook mode."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from bot.entrypoints.cli import main; main()", "run"],
                env=self.env,
                stdout=out,
                stderr=out,
                cwd=ROOT,
            )

    def alive(self) -> None:
        """Raise if the process ended (what a test waits for will not come then)."""
        if self.process is not None and self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"replica {self.name} exited with {self.process.returncode}: {tail}")

    def kill(self) -> None:
        """kill -9."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def lines(self) -> list[dict[str, Any]]:
        """Its log, one JSON object per line (LOG_FORMAT=json)."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def handled(self) -> list[dict[str, Any]]:
        """Its lines of handled updates."""
        return [line for line in self.lines() if line.get("logger") == "bot.updates"]

    async def ready(self) -> bool:
        self.alive()
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                answer = await client.get(f"{self.url}/readyz")
        except httpx.HTTPError:
            return False
        return answer.status_code == 200


def replicas(
    count: int,
    *,
    root: str,
    token: str,
    database_url: str,
    webhook_url: str,
    logs: Path,
    admin_ids: str = "",
    **extra: str,
) -> list[Replica]:
    """`count` replicas (not started) of one bot on one database."""
    out = []
    for index in range(count):
        replica = Replica(name=f"r{index + 1}", port=free_port(), log=logs / f"r{index + 1}.log")
        replica.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_URL": root,
            "DATABASE_URL": database_url,
            "WEBHOOK_URL": webhook_url,
            "WEBHOOK_LISTEN": f"127.0.0.1:{replica.port}",
            "WEBHOOK_SECRET": SECRET,
            "ADMIN_IDS": admin_ids,
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "SEND_DIGESTS": "false",
            "CHECK_FEEDS": "false",
            **extra,
        }
        out.append(replica)
    return out


async def start_all(group: list[Replica], timeout: float = 90) -> None:
    """Start the replicas and wait until each answers /readyz with 200."""
    for replica in group:
        replica.start()

    async def all_ready() -> bool:
        return all(await asyncio.gather(*(r.ready() for r in group)))

    await wait_until(all_ready, "every replica ready", timeout=timeout, interval=0.1)
