"""Read image dimensions from file headers without decoding pixels."""

from __future__ import annotations

import struct

# Used when the bytes are not an image format we can read.
FALLBACK_SIZE = (320, 240)
_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def image_suffix(data: bytes) -> str:
    """Return the file suffix matching the image format (".jpg" when unknown)."""
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data[:4] == b"GIF8":
        return ".gif"
    return ".jpg"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG, GIF or JPEG, or None for other data."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def photo_dimensions_ok(width: int, height: int) -> bool:
    """Apply Telegram's photo rules: width + height <= 10000 and aspect ratio <= 20."""
    if width <= 0 or height <= 0:
        return False
    return width + height <= 10_000 and max(width, height) / min(width, height) <= 20
