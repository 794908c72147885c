"""The offline sessions save the photos and documents the bot sends, and print where."""

from __future__ import annotations

import builtins

import pytest

from bot.offline.demo import (
    ask_once,
    media_file_name,
    render_message,
    run_demo,
    safe_file_name,
    save_media,
)
from bot.services.catalogue import sync_catalogue
from bot.services.clock import utc_now
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from tests.support.db import sqlite_url

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def sample_engine(tmp_path):
    """Seeded like `jangmadang seed`: at the real clock, which the offline sessions run on."""
    engine = make_engine(sqlite_url(tmp_path / "demo.sqlite3"))
    upgrade(engine)
    sync_catalogue(engine, now=utc_now())
    load_sample(engine, now=utc_now())
    yield engine
    engine.dispose()


class FakeClient:
    """Just the emulator client's file download, answering `data` for any file_id."""

    def __init__(self, data: bytes):
        self.data = data
        self.asked: list[str] = []

    async def file_bytes(self, file_id: str) -> bytes:
        self.asked.append(file_id)
        return self.data


def saved_pngs(folder):
    files = sorted(folder.glob("*")) if folder.exists() else []
    assert files, f"nothing saved under {folder}"
    assert all(f.suffix == ".png" and f.read_bytes().startswith(PNG) for f in files), files
    return files


@pytest.mark.e2e
def test_ask_saves_the_trend_chart_and_prints_its_path(settings, sample_engine, tmp_path):
    folder = tmp_path / "media"
    replies = ask_once(
        settings,
        sample_engine,
        "/trend rice",
        user_id=1001,
        language_code="en",
        as_html=False,
        media_dir=folder,
    )
    [chart] = saved_pngs(folder)
    assert chart.name.startswith("1001-")
    out = "\n\n".join(replies)
    assert f"[photo {chart}] " in out and "Sources:" in out


@pytest.mark.e2e
async def test_demo_saves_the_trend_chart_and_prints_its_path(
    settings, sample_engine, tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "demo-media"
    lines = ["/trend rice", ":quit"]

    def fake_input(prompt: str = "") -> str:
        if not lines:
            raise EOFError
        return lines.pop(0)

    monkeypatch.setattr(builtins, "input", fake_input)
    await run_demo(settings, sample_engine, media_dir=folder)
    [chart] = saved_pngs(folder)
    out = capsys.readouterr().out
    assert f"bot> [photo {chart}] " in out and "Bye." in out


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("prices-2026-11.csv", "prices-2026-11.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\export.csv", "export.csv"),
        (".hidden", "hidden"),
        ("...", "file"),
        ("", "file"),
        ("쌀 가격 (혜산).csv", "_" * 9 + ".csv"),
        ("a b;rm -rf $HOME.xlsx", "a_b_rm_-rf__HOME.xlsx"),
        ("x" * 300 + ".csv", "x" * 116 + ".csv"),
    ],
)
def test_document_names_are_made_safe(name, safe):
    assert safe_file_name(name) == safe


def test_saved_names_are_per_chat_and_message():
    photo = {"kind": "photo", "chat_id": 1001, "message_id": 7}
    assert media_file_name(photo, PNG + b"rest") == "1001-7.png"
    assert media_file_name(photo, b"\xff\xd8\xff\xe0") == "1001-7.jpg"
    document = {"kind": "document", "chat_id": 9001, "message_id": 3, "file_name": "../x y.csv"}
    assert media_file_name(document, b"a,b\n") == "9001-3-x_y.csv"


async def test_a_document_is_saved_under_its_own_name(tmp_path):
    folder = tmp_path / "new" / "media"
    message = {
        "kind": "document",
        "chat_id": 9001,
        "message_id": 12,
        "file_id": "BQAC1",
        "file_name": "prices export.csv",
    }
    client = FakeClient(b"commodity,price\n")
    shown = await save_media(client, message, folder)
    assert client.asked == ["BQAC1"]
    assert shown == str(folder / "9001-12-prices_export.csv")
    assert (folder / "9001-12-prices_export.csv").read_bytes() == b"commodity,price\n"
    assert render_message(message, media=shown) == f"[document {shown}]"


async def test_a_photo_without_a_listing_file_id_uses_its_largest_size(tmp_path):
    message = {
        "kind": "photo",
        "chat_id": 1001,
        "message_id": 4,
        "photo": [
            {"file_id": "small", "width": 90, "height": 60},
            {"file_id": "large", "width": 1200, "height": 800},
        ],
    }
    client = FakeClient(PNG)
    assert await save_media(client, message, tmp_path) == str(tmp_path / "1001-4.png")
    assert client.asked == ["large"]


async def test_a_failure_to_save_is_a_note_not_a_crash(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    message = {"kind": "photo", "chat_id": 1001, "message_id": 5, "file_id": "AgAC1"}
    shown = await save_media(FakeClient(PNG), message, blocker / "media")
    assert shown is not None and shown.startswith(f"(not saved to {blocker / 'media'}: ")
    assert render_message({**message, "caption": "Rice"}, media=shown).startswith(
        "[photo (not saved to "
    )


async def test_other_messages_are_not_saved(tmp_path):
    client = FakeClient(b"")
    message = {"kind": "text", "chat_id": 1001, "message_id": 1, "text": "hi"}
    assert await save_media(client, message, tmp_path) is None
    assert client.asked == [] and list(tmp_path.iterdir()) == []
    assert render_message(message) == "hi"
