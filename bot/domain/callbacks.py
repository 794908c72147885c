"""Callback data: short, typed, validated strings that always fit Telegram's 64-byte limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.errors import InvalidInput

# Telegram's limit on callback data (telegram.constants.InlineKeyboardButtonLimit); a test keeps
# them equal.
MAX_CALLBACK_BYTES = 64

KINDS = {
    "p": "price",  # p:commodity:market:start:end
    "t": "trend",  # t:commodity:market:start:end
    "cmp": "compare",  # cmp:commodity
    "q": "a question read by its intent",  # q:intent:commodity:market.market:start:end:currency
    "c": "conditions (buttons of earlier messages)",  # c:scope:id:page (a=all, m=place, g=goods)
    "k": "conditions",  # k:market:commodity:topics:start:end:partner:page:named good
    "b": "place briefing",  # b:market
    "sbm": "subscribe to a place",  # sbm:market
    "lc": "commodity list",  # lc:page
    "lm": "market list",  # lm:page
    "m": "market overview",  # m:market
    "set": "settings",  # set:key:value
    "ok": "confirm a pending entry",  # ok:token
    "no": "cancel a pending entry",  # no:token
    "pick": "choose a name for a pending entry",  # pick:token:what:id
    "new": "create a missing name for a pending entry",  # new:token:what
    "f": "answer a step of a guided form",  # f:value
    "sub": "act on a subscription",  # sub:action:id  (un, al, cn, pv; un:all)
    "sch": "change the digest schedule",  # sch:field:value  (cad, day, hour, tz, pick)
    "ci": "cite figures",  # ci:id.id.id  (figure ids in base 36)
    "ir": "act on an article under review",  # ir:token:action[:number]  (t toggle, s save, x cancel)
    "ib": "act on an inbox item",  # ib:action:id  (o open, x dismiss)
    "fd": "act on a feed",  # fd:action:id  (p pause, r resume, n run now)
}


@dataclass(frozen=True)
class Callback:
    """Decoded callback data: its kind and raw fields."""

    kind: str
    fields: tuple[str, ...]

    def int_at(self, index: int) -> int | None:
        """Return field `index` as a non-negative int, None when empty; raise when malformed."""
        value = self.fields[index] if index < len(self.fields) else ""
        if value == "":
            return None
        if not value.isdigit() or len(value) > 12:
            raise InvalidInput("This button is no longer valid.")
        return int(value)

    def date_at(self, index: int) -> date | None:
        """Return field `index` as a date written YYYYMMDD, None when empty."""
        value = self.fields[index] if index < len(self.fields) else ""
        if value == "":
            return None
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            raise InvalidInput("This button is no longer valid.") from None


def encode(kind: str, *fields: object) -> str:
    """Join a kind and its fields; raise if the result could not be sent to Telegram."""
    if kind not in KINDS:
        raise ValueError(f"unknown callback kind {kind}")
    parts = [kind]
    for value in fields:
        if value is None:
            parts.append("")
        elif isinstance(value, date):
            parts.append(value.strftime("%Y%m%d"))
        else:
            text = str(value)
            if ":" in text:
                raise ValueError("callback fields cannot contain ':'")
            parts.append(text)
    data = ":".join(parts).rstrip(":")
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    """Split callback data; anything this bot did not make is refused with a user message."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise InvalidInput("This button is no longer valid.")
    kind, *fields = data.split(":")
    if kind not in KINDS:
        raise InvalidInput("This button is no longer valid.")
    return Callback(kind, tuple(fields))


# Figure ids of a cite button: base 36, as many as fit; an id has at most 12 decimal digits (as
# in a permanent link), 8 base-36 ones.
_CITE_ID_RE = re.compile(r"[1-9a-z][0-9a-z]{0,7}")
_MAX_ID = 10**12 - 1
_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    out = ""
    while number:
        number, digit = divmod(number, 36)
        out = _DIGITS36[digit] + out
    return out


def cite_callback(ids: Sequence[int]) -> str:
    """Return the data of a cite button for figures `ids`: ci:<id>.<id> in base 36.

    When not all of them fit in Telegram's 64 bytes, the first ones that do, in order (an id
    given twice counts once).
    """
    kept: list[str] = []
    for figure_id in dict.fromkeys(ids):
        if not 0 < figure_id <= _MAX_ID:
            raise ValueError(f"no figure id {figure_id}")
        candidate = ".".join((*kept, _base36(figure_id)))
        if len(f"ci:{candidate}".encode()) > MAX_CALLBACK_BYTES:
            break
        kept.append(_base36(figure_id))
    if not kept:
        raise ValueError("a cite button needs at least one figure id")
    return encode("ci", ".".join(kept))


def cite_ids(callback: Callback | str | None) -> tuple[int, ...]:
    """Return the figure ids of cite button data, in order; refuse anything else."""
    cb = callback if isinstance(callback, Callback) else decode(callback)
    if cb.kind != "ci" or len(cb.fields) != 1:
        raise InvalidInput("This button is no longer valid.")
    parts = cb.fields[0].split(".")
    if not all(_CITE_ID_RE.fullmatch(part) for part in parts):
        raise InvalidInput("This button is no longer valid.")
    ids = tuple(dict.fromkeys(int(part, 36) for part in parts))
    if any(figure_id > _MAX_ID for figure_id in ids):
        raise InvalidInput("This button is no longer valid.")
    return ids
