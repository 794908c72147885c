"""Naming this process among others on one database, and telling which named ones died."""

from __future__ import annotations

import os
import secrets
import socket

__all__ = ["dead_local_holders", "make_holder"]


def make_holder() -> str:
    """Name this process uniquely: host, pid and a random tag."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def dead_local_holders(holders: list[str]) -> list[str]:
    """Holders on this host whose process no longer exists (a kill -9 leaves its lease behind)."""
    host = socket.gethostname()[:40]
    dead = []
    for holder in holders:
        name, _, rest = holder.partition(":")
        pid_text = rest.partition(":")[0]
        if name != host or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append(holder)
        except PermissionError:
            pass
    return dead
