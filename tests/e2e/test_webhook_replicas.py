"""Two webhook replicas on PostgreSQL behind a round-robin proxy, end to end.

The emulator posts each update to the proxy, which hands the POSTs to the replicas in turn (and
to the other one when a replica does not answer): an editor's preview confirmed through the
other replica writes once; a guided form whose answers alternate replicas completes; one
replica killed -9 midway loses nothing, answers nothing twice and keeps each chat's order. A
request without the right secret is refused with 403 and processes nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bot.offline.runtime import demo_token
from db.engine import make_engine
from db.models import PriceObservation, UpdateInbox
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.bot import buttons
from tests.support.db import PG_URL, pg_schema
from tests.support.proxy import RoundRobinProxy
from tests.support.replicas import SECRET, Replica, replicas, seed, start_all
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)"),
]
EDITOR = 9101
READERS = (9201, 9202, 9203)
# Questions answered in one message whose first line names what was asked: the order of the
# answers is checkable.
QUESTIONS = (
    ("rice hyesan", "rice"),
    ("corn hyesan", "corn"),
    ("lingzhi hyesan", "lingzhi"),
    ("pork hyesan", "pork"),
    ("diesel", "diesel"),
    ("soybean", "soybeans"),
    ("flour", "wheat flour"),
    ("sugar", "sugar"),
)


def count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()


def open_updates(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = (
                select(func.count())
                .select_from(UpdateInbox)
                .where(
                    UpdateInbox.done_at.is_(None)  # type: ignore[union-attr]
                )
            )
            return int(session.execute(query).scalar_one())
    finally:
        engine.dispose()


def stored_payload(url: str, update_id: int) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            row = session.get(UpdateInbox, update_id)
            assert row is not None
            return row.payload
    finally:
        engine.dispose()


def who_handled(group: list[Replica], update_id: int) -> list[str]:
    """The replicas whose log has `update_id` handled (each once, if all went well)."""
    return [
        replica.name
        for replica in group
        for line in replica.handled()
        if line.get("update_id") == update_id
    ]


async def handled(group: list[Replica], update_id: int) -> list[str]:
    """Wait for the log line of `update_id` (written once its handler returned)."""
    return await wait_until(lambda: who_handled(group, update_id), f"update {update_id} handled")


@pytest.fixture
async def setup(tmp_path):
    with pg_schema("jm_hook") as url:
        await asyncio.to_thread(seed, url)
        token = demo_token()
        emulator = Emulator(EmulatorConfig(token=token))
        root = await emulator.start()
        chat = EmulatorClient(root)
        proxy = RoundRobinProxy([], timeout=60)
        await proxy.start()
        group = replicas(
            2,
            root=root,
            token=token,
            database_url=url,
            webhook_url=f"{proxy.url}/telegram",
            logs=tmp_path,
            admin_ids=str(EDITOR),
        )
        proxy.set_upstreams([r.url for r in group])
        try:
            await chat.open_chats([EDITOR, *READERS])
            await start_all(group)
            await wait_until(
                chat.webhook_info,
                "the webhook set",
                until=lambda info: info.get("url") == f"{proxy.url}/telegram",
            )
            yield url, chat, proxy, group
        finally:
            for replica in group:
                replica.stop()
            await proxy.close()
            await chat.aclose()
            await emulator.stop()


async def replies(chat, chat_id, after, group, until, what):
    async def probe():
        for replica in group:
            if replica.process is not None and replica.process.returncode is None:
                replica.alive()
        return await chat.messages(chat_id, after=after)

    return await wait_until(probe, what, until=until, timeout=60)


def has(part):
    return lambda messages: any(part in (m.get("text") or "") for m in messages)


async def test_a_preview_confirmed_through_the_other_replica_writes_once(setup):
    url, chat, _proxy, group = setup
    before = count(url, PriceObservation)
    sent = await chat.send_text(
        EDITOR, '/addprice rice hyesan 9100 KPW/kg 2026-11-28 source:"Daily NK" rel:B2'
    )
    [preview] = await replies(chat, EDITOR, sent["seq"], group, has("Check and confirm"), "preview")
    confirm = next(b for b in buttons(preview) if "Confirm" in b["text"])
    tapped = await chat.tap(EDITOR, EDITOR, preview["message_id"], confirm["callback_data"])
    await replies(chat, EDITOR, sent["seq"], group, has("Saved as"), "saved")
    # The message and the tap went to different replicas, one each.
    [entered] = await handled(group, sent["update_id"])
    [confirmed] = await handled(group, tapped["update_id"])
    assert entered != confirmed
    assert count(url, PriceObservation) == before + 1
    # Telegram posting the tap again (to both replicas): 200, and nothing is processed twice.
    payload = stored_payload(url, tapped["update_id"])
    async with httpx.AsyncClient(timeout=10) as client:
        for replica in group:
            again = await client.post(
                f"{replica.url}/telegram",
                content=payload,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert again.status_code == 200
    assert await chat.wait_webhook_idle(timeout=30) and open_updates(url) == 0
    assert who_handled(group, tapped["update_id"]) == [confirmed]
    assert count(url, PriceObservation) == before + 1


async def test_a_guided_form_alternating_replicas_completes(setup):
    url, chat, _proxy, group = setup
    before = count(url, PriceObservation)
    answers = ["/addprice", "corn", "sinuiju", "3600", "KPW/kg", "2026-11-27", "Daily NK"]
    handled_by = []
    step = None
    for number, text in enumerate(answers, start=1):
        sent = await chat.send_text(EDITOR, text)
        expect = f"{number}/"  # the form asks question n after its (n-1)th answer
        found = await replies(chat, EDITOR, sent["seq"], group, bool, f"the answer to {text!r}")
        step = found[-1]
        assert step["text"].startswith(expect), (text, step["text"][:200])
        [name] = await handled(group, sent["update_id"])
        handled_by.append(name)
    assert set(handled_by) == {"r1", "r2"}, handled_by  # the steps went to both replicas
    assert step is not None
    while "Check and confirm" not in step["text"]:
        skip = next(b for b in buttons(step) if "Skip" in b["text"])
        tapped = await chat.tap(EDITOR, EDITOR, step["message_id"], skip["callback_data"])
        [step] = await replies(
            chat, EDITOR, tapped["seq"], group, bool, "the next step after Skip"
        ) or [step]
    confirm = next(b for b in buttons(step) if "Confirm" in b["text"])
    tapped = await chat.tap(EDITOR, EDITOR, step["message_id"], confirm["callback_data"])
    await replies(chat, EDITOR, tapped["seq"], group, has("Saved as"), "saved")
    assert count(url, PriceObservation) == before + 1


async def test_a_replica_killed_midway_loses_nothing_and_doubles_nothing(setup):
    url, chat, proxy, group = setup
    first = {}
    # Every reader asks the first half of the questions; the answers come from both replicas.
    for reader in READERS:
        first[reader] = (await chat.send_text(reader, QUESTIONS[0][0]))["seq"]
        for question, _ in QUESTIONS[1:4]:
            await chat.send_text(reader, question)
    for reader in READERS:
        await replies(chat, reader, first[reader], group, lambda ms: len(ms) >= 4, "4 answers")
    await wait_until(lambda: open_updates(url) == 0, "every stored update processed")
    victim, survivor = group
    victim.kill()
    # The rest: the proxy finds the killed replica gone and hands each POST to the other.
    for reader in READERS:
        for question, _ in QUESTIONS[4:]:
            await chat.send_text(reader, question)
    for reader in READERS:
        answers = await replies(
            chat, reader, first[reader], [survivor], lambda ms: len(ms) >= 8, "8 answers"
        )
        # One answer per question, in the order asked.
        heads = [m["text"].split("\n")[0].split(" — ")[0].lower() for m in answers]
        assert heads == [head for _, head in QUESTIONS], heads
    assert await chat.wait_webhook_idle(timeout=30)
    assert open_updates(url) == 0
    handled = Counter(line["update_id"] for replica in group for line in replica.handled())
    assert handled and max(handled.values()) == 1  # no update handled twice
    assert proxy.retries > 0 and survivor.handled()


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_processed(setup):
    url, _chat, _proxy, group = setup
    stored = count(url, UpdateInbox)
    body = {
        "update_id": 987654321,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": READERS[0], "type": "private"},
            "from": {"id": READERS[0], "is_bot": False, "first_name": "X"},
            "text": "rice",
        },
    }
    replica = group[0]
    async with httpx.AsyncClient(timeout=10) as client:
        wrong = await client.post(
            f"{replica.url}/telegram",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess-" + SECRET[:8]},
        )
        missing = await client.post(f"{replica.url}/telegram", json=body)
        metrics = (await client.get(f"{replica.url}/metrics")).text
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert count(url, UpdateInbox) == stored
    assert who_handled(group, 987654321) == []
    log = replica.log.read_text()
    assert "Refused a webhook request" in log and "guess-" not in log and SECRET not in log
    assert 'jangmadang_webhook_refused_total{reason="secret"} 2.0' in metrics
