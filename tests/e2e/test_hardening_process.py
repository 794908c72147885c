"""`jangmadang run` and `send` as processes when things go wrong: a token the Bot API refuses, a
damaged database, the Bot API down for a while. One clear line, the right exit code, no token and
no traceback anywhere, and a bot that carries on once the Bot API is back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from bot.offline.runtime import demo_token
from db.engine import make_engine, upgrade
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.bot import seeded_engine
from tests.support.crashrun import HEADER, _ledger, _prepare
from tests.support.db import sqlite_url
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ROOT = Path(__file__).resolve().parents[2]
USER = 5151
REFUSED = "the Bot API refused the token"


def cli_env(tmp_path: Path, *, token: str, api_url: str, level: str = "INFO", **extra: str):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_", "LOG_", "SEND_", "DIGEST_"))
    }
    env.update(
        {
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_URL": api_url,
            "DATABASE_URL": sqlite_url(tmp_path / "bot.sqlite3"),
            "LOG_LEVEL": level,
            "ADMIN_IDS": "",
            **extra,
        }
    )
    return env


async def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run `jangmadang ARGS` to its end (in a thread: the emulator serves on this loop)."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def spawn(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """Start `jangmadang ARGS` with its stderr (the log) going to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.entrypoints.cli", *args],
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
            cwd=cwd,
        )


def nowhere(secret: str, *texts: str, folder: Path) -> None:
    """`secret` is in none of the texts nor in any file under `folder`."""
    for text in texts:
        assert secret not in text
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"{secret!r} found in {path}"


def log_lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8", errors="replace").splitlines()


def alive(child: subprocess.Popen) -> None:
    if child.poll() is not None:
        raise RuntimeError(f"the bot process exited with {child.returncode}")


async def started(child: subprocess.Popen, log: Path) -> None:
    """Wait until the bot polls (PTB starts polling, then logs that the application started)."""

    def lines() -> bool:
        alive(child)
        return any("Application started" in line for line in log_lines(log))

    await wait_until(lines, "the bot to start polling", timeout=90)


async def answer(client: EmulatorClient, child: subprocess.Popen) -> list:
    """Send /help once and return the bot's reply."""
    alive(child)
    return await client.reply_to(USER, "/help", timeout=30, quiet=0.3)


async def stop(child: subprocess.Popen) -> int:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(child.wait, 30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise


async def unauthorized_server() -> tuple[web.AppRunner, str]:
    """A server that answers every Bot API call the way Telegram answers a revoked token."""

    async def answer(_request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def bad_gateway(port: int) -> web.AppRunner:
    """What a proxy in front of a Bot API that is down answers: 502 and an HTML page."""

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html><h1>502 Bad Gateway</h1></html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_address=True).start()
    return runner


# A token the Bot API refuses


@pytest.mark.parametrize("command", ["run", "send"])
@pytest.mark.parametrize("server", ["emulator", "plain 401"])
async def test_a_refused_token_is_one_line_and_exit_code_2(tmp_path, command, server):
    refused = demo_token()
    if server == "emulator":
        emulator = Emulator(EmulatorConfig(token=demo_token()))  # accepts another token only
        root, stopper = await emulator.start(), emulator.stop
    else:
        runner, root = await unauthorized_server()
        stopper = runner.cleanup
    try:
        quiet = await cli(
            [command], cli_env(tmp_path, token=refused, api_url=root, level="WARNING"), tmp_path
        )
        chatty = await cli(
            [command], cli_env(tmp_path, token=refused, api_url=root, level="DEBUG"), tmp_path
        )
    finally:
        await stopper()
    assert quiet.returncode == 2, quiet.stderr
    assert quiet.stderr.splitlines() == [
        f"jangmadang: {REFUSED} (Unauthorized): check TELEGRAM_BOT_TOKEN (and TELEGRAM_API_URL, if set)."
    ]
    assert chatty.returncode == 2, chatty.stderr
    assert chatty.stderr.splitlines()[-1].startswith(f"jangmadang: {REFUSED}")
    assert "Traceback" not in chatty.stderr and " ERROR " not in chatty.stderr
    nowhere(refused, quiet.stdout, quiet.stderr, chatty.stdout, chatty.stderr, folder=tmp_path)
    nowhere(refused.partition(":")[2], chatty.stderr, folder=tmp_path)


async def test_a_token_revoked_while_polling_stops_the_bot_with_one_line(tmp_path):
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token))
    root = await emulator.start()
    client = EmulatorClient(root)
    log = tmp_path / "bot.log"
    child = spawn(["run"], cli_env(tmp_path, token=token, api_url=root), tmp_path, log)
    try:
        await started(child, log)
        assert await answer(client, child)
        emulator.config.token = demo_token()  # BotFather revoked it
        code = await wait_until(child.poll, "the bot to stop", until=lambda c: c is not None)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        await client.aclose()
        await emulator.stop()
    lines = log_lines(log)
    assert code == 2, lines[-20:]
    assert lines[-1].startswith(f"jangmadang: {REFUSED}")
    assert any("The Bot API refused the token while polling" in line for line in lines)
    assert not [line for line in lines if line.startswith(("Traceback", "  File ", "Exception"))]
    nowhere(token, *lines, folder=tmp_path)


async def test_a_token_revoked_while_sending_keeps_the_deliveries_queued(tmp_path):
    subscribers = 60
    db = tmp_path / "bot.sqlite3"
    _prepare(db, subscribers)
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token, global_rate=None))
    root = await emulator.start()
    client = EmulatorClient(root)
    log = tmp_path / "send.log"
    env = cli_env(tmp_path, token=token, api_url=root, SEND_BUDGET="10", DIGEST_TICK_SECONDS="0.5")
    await client.open_chats(range(10_000, 10_000 + subscribers))
    child = spawn(["send"], env, tmp_path, log)
    try:

        async def sends() -> int:
            alive(child)
            return (await client.stats())["sends_ok"]

        await wait_until(sends, "a few digests sent", until=lambda n: n >= 5)
        new_token = emulator.config.token = demo_token()
        code = await wait_until(child.poll, "the worker to stop", until=lambda c: c is not None)
        lines = log_lines(log)
        assert code == 2, lines[-20:]
        assert lines[-1].startswith(f"jangmadang: {REFUSED}")
        assert not [line for line in lines if line.startswith(("Traceback", "  File "))]
        nowhere(token, *lines, folder=tmp_path)
        statuses = Counter(row.status for row in _ledger(db))
        # Nothing was given up on for the refused token: what was not sent waits for a valid one
        # (rows claimed but not tried yet go back to the queue when the next sender starts).
        assert statuses["failed"] == 0 and statuses["sent"] < subscribers, statuses
        # With the new token, everything goes out, once.
        env["TELEGRAM_BOT_TOKEN"] = new_token
        child = spawn(["send"], env, tmp_path, tmp_path / "send-again.log")

        def ledger() -> list:
            alive(child)
            return _ledger(db)

        await wait_until(
            ledger,
            "every digest sent after the restart",
            until=lambda rows: all(row.status == "sent" for row in rows),
        )
        per_chat = Counter(
            m["chat_id"] for m in await client.sent() if HEADER in (m["text"] or "").lower()
        )
        assert len(per_chat) == subscribers and set(per_chat.values()) == {1}
        assert await stop(child) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        await client.aclose()
        await emulator.stop()


# A damaged database


def _zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(300_000))


def _damaged_mid_file(path: Path) -> None:
    seeded_engine(path).dispose()  # a real database, its WAL checkpointed on close
    size = path.stat().st_size
    pages = size // 4096
    assert pages > 20, size
    with path.open("r+b") as file:
        file.seek(pages // 2 * 4096)
        file.write(os.urandom(4 * 4096))


@pytest.mark.parametrize(
    ("damage", "what"),
    [
        (_zero_bytes, "is empty (0 bytes)"),
        (_random_bytes, "is not a SQLite database"),
        (_damaged_mid_file, "is damaged"),
    ],
    ids=["zero bytes", "random bytes", "damaged mid-file"],
)
@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["send"]])
async def test_a_damaged_database_is_one_line_and_exit_code_2(tmp_path, damage, what, command):
    db = tmp_path / "bot.sqlite3"
    damage(db)
    before = db.read_bytes()
    # Nothing answers at this address: the database is checked before the Bot API is called.
    env = cli_env(tmp_path, token=demo_token(), api_url="http://127.0.0.1:9")
    result = await cli(command, env, tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"jangmadang: the database file {db} {what}")
    assert "restore it from a backup" in line
    assert db.read_bytes() == before  # never recreated nor touched


async def test_a_new_database_path_is_created(tmp_path):
    env = cli_env(tmp_path, token=demo_token(), api_url="http://127.0.0.1:9")
    result = await cli(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 0 and "revision" in result.stdout, result.stderr
    engine = make_engine(sqlite_url(tmp_path / "bot.sqlite3"))
    upgrade(engine)  # a real, migrated database
    engine.dispose()


# The Bot API down for a while


async def test_an_outage_of_the_bot_api_is_one_warning_per_failed_poll(tmp_path):
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token))
    root = await emulator.start()
    port = int(root.rsplit(":", 1)[1])
    client = EmulatorClient(root)
    log = tmp_path / "bot.log"
    child = spawn(["run"], cli_env(tmp_path, token=token, api_url=root), tmp_path, log)
    proxy = None

    def polls_failed() -> list[str]:
        alive(child)
        return [line for line in log_lines(log) if "Polling the Bot API failed" in line]

    try:
        await started(child, log)
        assert await answer(client, child)
        # Down: nothing listens.
        await emulator.stop()
        await wait_until(polls_failed, "two failed polls logged", until=lambda f: len(f) >= 2)
        # A proxy in front of it answers 502.
        proxy = await bad_gateway(port)
        await wait_until(
            polls_failed, "a 502 logged", until=lambda f: any("Bad Gateway" in x for x in f)
        )
        await proxy.cleanup()
        proxy = None
        # Back.
        await emulator.start(port=port)
        replies = await answer(client, child)
        assert replies and "/price" in replies[0]["text"]
        await wait_until(
            lambda: any("Polling the Bot API again" in line for line in log_lines(log)),
            "the return of the Bot API logged",
        )
        assert await stop(child) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if proxy is not None:
            await proxy.cleanup()
        await client.aclose()
        await emulator.stop()
    lines = log_lines(log)
    failed = [line for line in lines if "Polling the Bot API failed" in line]
    assert all(" WARNING bot.delivery.botapi: " in line for line in failed)
    # One line per failed poll, each naming the retry, counted without a gap.
    for number, line in enumerate(failed, start=1):
        assert "); retrying in " in line or "retrying now" in line
        assert line.endswith(f"(failure {number} in a row)"), line
    assert any("httpx.ConnectError" in line for line in failed)
    assert not [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    assert not [line for line in lines if line.startswith(("Traceback", "  File "))]
    nowhere(token, *lines, folder=tmp_path)


# A handler that raises


async def test_an_error_in_an_answer_is_logged_without_the_users_text(
    chat, bot_services, monkeypatch, caplog
):
    secret = "my cousin in Hyesan pays 6500 for rice"

    def explode(*_a, **_k):
        raise RuntimeError(f"no answer for {secret!r}: database on fire")

    monkeypatch.setattr(bot_services.questions, "ask", explode)
    caplog.set_level("DEBUG")
    replies = await chat.reply_to(USER, secret, timeout=15, quiet=0.5)
    assert replies and "Sorry" in replies[-1]["text"]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors and all("Hyesan" not in e for e in errors)
    assert any("database on fire" in e and "update_id=" in e for e in errors)
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > 10]
    assert not [m for m in above_debug if "Hyesan" in m]
    # DEBUG may carry it.
    assert any(secret in r.getMessage() for r in caplog.records if r.levelname == "DEBUG")
