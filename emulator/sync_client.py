"""The blocking client of the emulator's control API, for terminal use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from emulator.calls import (
    _clean,
    _handle,
    _merge,
    _messages,
    _migrate,
    _open_chats,
    _open_group,
    _replies,
    _Req,
    _send_text,
    _sent,
    _stall,
    _stats,
    _tap,
    _upload,
    _wait,
    _without_ok,
)


class SyncEmulatorClient:
    """Blocking twin of EmulatorClient, for terminal use."""

    def __init__(self, root_url: str, timeout: float = 30.0):
        self.root_url = root_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.root_url}/_emulator", timeout=timeout)

    def _do(self, req: _Req) -> Any:
        response = self._http.request(
            req.method,
            req.path,
            json=req.body,
            params=req.query,
            timeout=req.timeout if req.timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        return _handle(req, response)

    def send_text(self, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
        """Send a message as a user; returns update_id, message_id, chat_id and seq."""
        return self._do(_send_text(user_id, text, kw))

    def tap(self, user_id: int, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """Press an inline button; returns update_id and callback_query_id."""
        return self._do(_tap(user_id, chat_id, message_id, data))

    def inline(self, user_id: int, query: str, offset: str = "") -> dict[str, Any]:
        """Type an inline query; returns update_id and inline_query_id."""
        body = {"user_id": user_id, "query": query, "offset": offset}
        return self._do(_Req("POST", "/inline", body))

    def upload(
        self,
        user_id: int,
        file_name: str,
        content: bytes,
        mime_type: str,
        chat_id: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a document as a user; returns update_id, message_id and file_id."""
        extra = {"chat_id": chat_id, "caption": caption}
        return self._do(_upload(user_id, file_name, content, mime_type, extra))

    def messages(self, chat_id: int | None, after: int = 0) -> list[dict[str, Any]]:
        """List bot messages (current state) changed after seq `after`."""
        return self._do(_messages(chat_id, after))

    def wait(self, chat_id: int | None, after: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait for bot messages changed after seq `after`; empty on timeout."""
        return self._do(_wait(chat_id, after, timeout))

    def calls(self, after: int = 0, method: str | None = None) -> list[dict[str, Any]]:
        """List Bot API calls the bot made after seq `after`."""
        query = _clean({"after": after, "method": method})
        return self._do(_Req("GET", "/calls", query=query, pick="calls"))

    def block(self, chat_id: int, blocked: bool = True, notify: bool = False) -> dict[str, Any]:
        """Make the chat block (or unblock) the bot; `notify` also sends Telegram's
        my_chat_member update about it."""
        body = {"chat_id": chat_id, "blocked": blocked, "notify": notify}
        return self._do(_Req("POST", "/block", body))

    def make_admin(self, chat_id: int, user_id: int, admin: bool = True) -> dict[str, Any]:
        """Make a user (or the bot) an administrator of a group."""
        return self._do(
            _Req("POST", "/admin", {"chat_id": chat_id, "user_id": user_id, "admin": admin})
        )

    def open_chats(self, user_ids: Iterable[int], language_code: str | None = None) -> int:
        """Open private chats with these users as if each sent /start, without updates.

        Returns how many chats were newly opened (already open ones are not counted).
        """
        return self._do(_open_chats(user_ids, language_code))

    def open_group(
        self,
        chat_id: int,
        title: str,
        type: str = "group",
        admin_ids: Iterable[int] = (),
        username: str | None = None,
    ) -> dict[str, Any]:
        """Create (or refresh) a group, supergroup or channel the bot is a member of."""
        return self._do(_open_group(chat_id, title, type, admin_ids, username))

    def migrate(self, chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """Upgrade a group to a supergroup; the old id then answers "upgraded" errors."""
        return self._do(_migrate(chat_id, new_chat_id))

    def delete_chat(self, chat_id: int) -> dict[str, Any]:
        """Make the bot forget a chat, so calls to it get 400 "chat not found"."""
        return self._do(_Req("POST", "/delete_chat", {"chat_id": chat_id}))

    def deactivate_user(self, user_id: int, deactivated: bool = True) -> dict[str, Any]:
        """Delete (or restore) a user's account: sends to them get 403 "user is deactivated"."""
        body = {"user_id": user_id, "deactivated": deactivated}
        return self._do(_Req("POST", "/deactivate_user", body))

    def stall(self, count: int, seconds: float, deliver: bool = False) -> dict[str, Any]:
        """Hold the next `count` sending calls for `seconds` each before processing them.

        A stalled call whose client disconnects meanwhile is dropped undelivered, unless
        `deliver` is set (Telegram sometimes delivers a message whose request timed out).
        """
        return self._do(_stall(count, seconds, deliver))

    def stats(self, by_chat: bool = False) -> dict[str, Any]:
        """Count sending calls by outcome since the last reset (per chat if `by_chat`)."""
        return _without_ok(self._do(_stats(by_chat)))

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[dict[str, Any]]:
        """List the messages the bot posted: method, chat_id, message_id, text[:200], at."""
        return self._do(_sent(method, chat_id))

    def reset_stats(self) -> None:
        """Forget the statistics and the sent log, keeping chats and messages."""
        self._do(_Req("POST", "/reset_stats", {}))

    def configure(self, **kw: Any) -> dict[str, Any]:
        """Change global_rate, chat_rate, chat_burst, group_rate_per_min or latency_ms."""
        return self._do(_Req("POST", "/config", kw, pick="config"))

    def reset(self) -> None:
        """Forget all emulator state."""
        self._do(_Req("POST", "/reset", {}))

    def callback_answer(self, query_id: str) -> dict[str, Any]:
        """Show a callback query and whether/how the bot answered it."""
        return self._do(_Req("GET", f"/callback_answers/{query_id}"))

    def inline_answer(self, query_id: str) -> dict[str, Any]:
        """Show an inline query and the bot's results."""
        return self._do(_Req("GET", f"/inline_answers/{query_id}"))

    def commands(self) -> list[dict[str, Any]]:
        """List the command lists set per scope and language."""
        return self._do(_Req("GET", "/commands", pick="scopes"))

    def file_bytes(self, file_id: str) -> bytes:
        """Download a stored file's bytes."""
        return self._do(_Req("GET", f"/files/{file_id}", raw=True))

    def reply_to(
        self, user_id: int, text: str, timeout: float = 10.0, quiet: float = 0.4, **kw: Any
    ) -> list[dict[str, Any]]:
        """Send text and collect the bot's messages until it stays quiet for `quiet` s."""
        sent = self.send_text(user_id, text, **kw)
        return self.collect(sent["chat_id"], sent["seq"], timeout, quiet)

    def collect(
        self, chat_id: int | None, after: int, timeout: float = 10.0, quiet: float = 0.4
    ) -> list[dict[str, Any]]:
        """Wait for the first bot message after `after`, then until `quiet` s pass unchanged."""
        seen: dict[tuple[int, int], dict[str, Any]] = {}
        batch = self.wait(chat_id, after, timeout)
        while batch:
            after = max(after, _merge(seen, batch))
            batch = self.wait(chat_id, after, quiet)
        return _replies(seen)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SyncEmulatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
