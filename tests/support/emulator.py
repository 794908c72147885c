"""Helpers shared by the emulator tests."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import telegram

from emulator import Emulator, EmulatorConfig

USER = 1001


def png_bytes(width: int, height: int) -> bytes:
    """Return a valid RGB PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x7f" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def unlimited(**overrides: Any) -> EmulatorConfig:
    """Return a config with flood control off, so only the tested limit applies."""
    values: dict[str, Any] = {"global_rate": None, "chat_rate": None, "group_rate_per_min": None}
    values.update(overrides)
    return EmulatorConfig(**values)


def make_bot(emu: Emulator) -> telegram.Bot:
    """Return a PTB bot pointed at the emulator."""
    return telegram.Bot(
        emu.token, base_url=f"{emu.root_url}/bot", base_file_url=f"{emu.root_url}/file/bot"
    )
