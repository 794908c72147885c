"""The emulator's control calls as plain requests, shared by the async and the blocking client:
what to send, and how to read the answer."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

T = TypeVar("T")

_SLACK = 5.0

JsonObject = dict[str, Any]


class EmulatorError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


# What a control answer holds, checked as it is read.


def _object(value: object) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"the emulator answered {type(value).__name__}, not an object")
    return value


def _objects(value: object) -> list[JsonObject]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TypeError("the emulator did not answer a list of objects")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"the emulator answered {type(value).__name__}, not a count")
    return value


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"the emulator answered {type(value).__name__}, not bytes")
    return value


def _nothing(value: object) -> None:
    return None


@dataclass
class _Req(Generic[T]):
    """One control request; `shape` checks and types what the answer (or its `pick`) holds."""

    method: str
    path: str
    shape: Callable[[object], T]
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    pick: str | None = None
    timeout: float | None = None
    raw: bool = False


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# acting as users


def _send_text(user_id: int, text: str, kw: dict[str, Any]) -> _Req[JsonObject]:
    return _Req("POST", "/message", _object, {"user_id": user_id, "text": text, **_clean(kw)})


def _tap(user_id: int, chat_id: int, message_id: int, data: str) -> _Req[JsonObject]:
    body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "data": data}
    return _Req("POST", "/callback", _object, body)


def _inline(user_id: int, query: str, offset: str) -> _Req[JsonObject]:
    body = {"user_id": user_id, "query": query, "offset": offset}
    return _Req("POST", "/inline", _object, body)


def _upload(
    user_id: int, file_name: str, content: bytes, mime_type: str, extra: dict[str, Any]
) -> _Req[JsonObject]:
    body = {
        "user_id": user_id,
        "file_name": file_name,
        "mime_type": mime_type,
        "content_base64": base64.b64encode(content).decode("ascii"),
        **_clean(extra),
    }
    return _Req("POST", "/document", _object, body)


def _photo(user_id: int, content: bytes, extra: dict[str, Any]) -> _Req[JsonObject]:
    body = {
        "user_id": user_id,
        "file_name": "photo.jpg",
        "content_base64": base64.b64encode(content).decode("ascii"),
        **_clean(extra),
    }
    return _Req("POST", "/photo", _object, body)


# what the bot did


def _messages(chat_id: int | None, after: int) -> _Req[list[JsonObject]]:
    query = _clean({"chat_id": chat_id, "after": after})
    return _Req("GET", "/messages", _objects, query=query, pick="messages")


def _wait(chat_id: int | None, after: int, timeout: float) -> _Req[list[JsonObject]]:
    query = _clean({"chat_id": chat_id, "after": after, "timeout": timeout})
    return _Req("GET", "/wait", _objects, query=query, pick="messages", timeout=timeout + _SLACK)


def _calls(after: int, method: str | None) -> _Req[list[JsonObject]]:
    query = _clean({"after": after, "method": method})
    return _Req("GET", "/calls", _objects, query=query, pick="calls")


def _callback_answer(query_id: str) -> _Req[JsonObject]:
    return _Req("GET", f"/callback_answers/{query_id}", _object)


def _inline_answer(query_id: str) -> _Req[JsonObject]:
    return _Req("GET", f"/inline_answers/{query_id}", _object)


def _commands() -> _Req[list[JsonObject]]:
    return _Req("GET", "/commands", _objects, pick="scopes")


def _file_bytes(file_id: str) -> _Req[bytes]:
    return _Req("GET", f"/files/{file_id}", _bytes, raw=True)


# shaping the world


def _block(chat_id: int, blocked: bool, notify: bool) -> _Req[JsonObject]:
    body = {"chat_id": chat_id, "blocked": blocked, "notify": notify}
    return _Req("POST", "/block", _object, body)


def _make_admin(chat_id: int, user_id: int, admin: bool) -> _Req[JsonObject]:
    body = {"chat_id": chat_id, "user_id": user_id, "admin": admin}
    return _Req("POST", "/admin", _object, body)


def _open_chats(user_ids: Iterable[int], language_code: str | None) -> _Req[int]:
    body = _clean({"user_ids": list(user_ids), "language_code": language_code})
    return _Req("POST", "/open_chats", _count, body, pick="opened")


def _open_group(
    chat_id: int, title: str, chat_type: str, admin_ids: Iterable[int], username: str | None
) -> _Req[JsonObject]:
    body = {
        "chat_id": chat_id,
        "title": title,
        "type": chat_type,
        "admin_ids": list(admin_ids),
        **_clean({"username": username}),
    }
    return _Req("POST", "/open_group", _object, body)


def _migrate(chat_id: int, new_chat_id: int) -> _Req[JsonObject]:
    body = {"chat_id": chat_id, "new_chat_id": new_chat_id}
    return _Req("POST", "/migrate", _object, body)


def _delete_chat(chat_id: int) -> _Req[JsonObject]:
    return _Req("POST", "/delete_chat", _object, {"chat_id": chat_id})


def _deactivate_user(user_id: int, deactivated: bool) -> _Req[JsonObject]:
    body = {"user_id": user_id, "deactivated": deactivated}
    return _Req("POST", "/deactivate_user", _object, body)


def _stall(count: int, seconds: float, deliver: bool) -> _Req[JsonObject]:
    body = {"count": count, "seconds": seconds, "deliver": deliver}
    return _Req("POST", "/stall", _object, body)


# statistics and settings


def _stats(by_chat: bool) -> _Req[JsonObject]:
    return _Req("GET", "/stats", _object, query={"by_chat": "1"} if by_chat else {})


def _sent(method: str | None, chat_id: int | None) -> _Req[list[JsonObject]]:
    query = _clean({"method": method, "chat_id": chat_id})
    return _Req("GET", "/sent", _objects, query=query, pick="sent")


def _webhook() -> _Req[JsonObject]:
    return _Req("GET", "/webhook", _object)


def _webhook_deliveries(update_id: int | None) -> _Req[list[JsonObject]]:
    query = _clean({"update_id": update_id})
    return _Req("GET", "/webhook/deliveries", _objects, query=query, pick="deliveries")


def _webhook_idle(timeout: float) -> _Req[JsonObject]:
    query = {"timeout": timeout}
    return _Req("GET", "/webhook/idle", _object, query=query, timeout=timeout + _SLACK)


def _reset_stats() -> _Req[None]:
    return _Req("POST", "/reset_stats", _nothing, {})


def _configure(changes: dict[str, Any]) -> _Req[JsonObject]:
    return _Req("POST", "/config", _object, changes, pick="config")


def _reset() -> _Req[None]:
    return _Req("POST", "/reset", _nothing, {})


# reading answers


def _without_ok(payload: JsonObject) -> JsonObject:
    return {k: v for k, v in payload.items() if k != "ok"}


def _handle(req: _Req[T], response: httpx.Response) -> T:
    if response.status_code >= 400:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise EmulatorError(response.status_code, message)
    if req.raw:
        return req.shape(response.content)
    payload = response.json()
    return req.shape(payload[req.pick] if req.pick else payload)


def _merge(seen: dict[tuple[int, int], JsonObject], batch: list[JsonObject]) -> int:
    """Keep the newest version of each message; return the highest seq seen."""
    top = 0
    for item in batch:
        seen[(item["chat_id"], item["message_id"])] = item
        top = max(top, item["seq"])
    return top


def _replies(seen: dict[tuple[int, int], JsonObject]) -> list[JsonObject]:
    return sorted((m for m in seen.values() if not m["deleted"]), key=lambda m: m["message_id"])
