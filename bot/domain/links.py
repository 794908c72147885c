"""Permanent links to one record: `t.me/<bot>?start=f_<id>` for a figure, `r_<id>` for a report."""

from __future__ import annotations

import re

FIGURE = "f"
REPORT = "r"
_PAYLOAD = re.compile(r"^(?P<kind>[fr])_(?P<id>[1-9][0-9]{0,11})$")


def record_payload(kind: str, record_id: int) -> str:
    """Return the /start payload of a record ("f_12"); Telegram allows 64 characters of A-Za-z0-9_-."""
    if kind not in (FIGURE, REPORT) or record_id <= 0:
        raise ValueError(f"no link for {kind}:{record_id}")
    return f"{kind}_{record_id}"


def record_link(bot_username: str, kind: str, record_id: int) -> str:
    """Return the deep link that opens a record in a private chat with the bot."""
    return f"https://t.me/{bot_username}?start={record_payload(kind, record_id)}"


def parse_record_payload(payload: str) -> tuple[str, int] | None:
    """Return (kind, id) of a record payload ("f_12" -> ("f", 12)), or None for anything else."""
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return None
    return match["kind"], int(match["id"])
