"""The emulator's control calls as plain requests, shared by the async and the blocking client:
what to send, and how to read the answer."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

_SLACK = 5.0


class EmulatorError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass
class _Req:
    method: str
    path: str
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    pick: str | None = None
    timeout: float | None = None
    raw: bool = False


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _send_text(user_id: int, text: str, kw: dict[str, Any]) -> _Req:
    return _Req("POST", "/message", {"user_id": user_id, "text": text, **_clean(kw)})


def _tap(user_id: int, chat_id: int, message_id: int, data: str) -> _Req:
    body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "data": data}
    return _Req("POST", "/callback", body)


def _upload(
    user_id: int, file_name: str, content: bytes, mime_type: str, extra: dict[str, Any]
) -> _Req:
    body = {
        "user_id": user_id,
        "file_name": file_name,
        "mime_type": mime_type,
        "content_base64": base64.b64encode(content).decode("ascii"),
        **_clean(extra),
    }
    return _Req("POST", "/document", body)


def _messages(chat_id: int | None, after: int) -> _Req:
    return _Req(
        "GET", "/messages", query=_clean({"chat_id": chat_id, "after": after}), pick="messages"
    )


def _wait(chat_id: int | None, after: int, timeout: float) -> _Req:
    query = _clean({"chat_id": chat_id, "after": after, "timeout": timeout})
    return _Req("GET", "/wait", query=query, pick="messages", timeout=timeout + _SLACK)


def _open_chats(user_ids: Iterable[int], language_code: str | None) -> _Req:
    body = _clean({"user_ids": list(user_ids), "language_code": language_code})
    return _Req("POST", "/open_chats", body, pick="opened")


def _open_group(
    chat_id: int, title: str, chat_type: str, admin_ids: Iterable[int], username: str | None
) -> _Req:
    body = {
        "chat_id": chat_id,
        "title": title,
        "type": chat_type,
        "admin_ids": list(admin_ids),
        **_clean({"username": username}),
    }
    return _Req("POST", "/open_group", body)


def _migrate(chat_id: int, new_chat_id: int) -> _Req:
    return _Req("POST", "/migrate", {"chat_id": chat_id, "new_chat_id": new_chat_id})


def _stall(count: int, seconds: float, deliver: bool) -> _Req:
    return _Req("POST", "/stall", {"count": count, "seconds": seconds, "deliver": deliver})


def _stats(by_chat: bool) -> _Req:
    return _Req("GET", "/stats", query={"by_chat": "1"} if by_chat else {})


def _sent(method: str | None, chat_id: int | None) -> _Req:
    return _Req("GET", "/sent", query=_clean({"method": method, "chat_id": chat_id}), pick="sent")


def _without_ok(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "ok"}


def _handle(req: _Req, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise EmulatorError(response.status_code, message)
    if req.raw:
        return response.content
    payload = response.json()
    return payload[req.pick] if req.pick else payload


def _merge(seen: dict[tuple[int, int], dict[str, Any]], batch: list[dict[str, Any]]) -> int:
    """Keep the newest version of each message; return the highest seq seen."""
    top = 0
    for item in batch:
        seen[(item["chat_id"], item["message_id"])] = item
        top = max(top, item["seq"])
    return top


def _replies(seen: dict[tuple[int, int], dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((m for m in seen.values() if not m["deleted"]), key=lambda m: m["message_id"])
