"""Callback data: short, typed, validated strings that always fit Telegram's 64-byte limit."""

from __future__ import annotations

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
