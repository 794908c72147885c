"""Records the emulator keeps: users, chats, files, messages, queries and calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GROUP_TYPES = frozenset({"group", "supergroup", "channel"})
# Telegram's stand-in sender for anonymous group admins and service messages.
GROUP_ANONYMOUS_BOT_ID = 1087968824


@dataclass
class User:
    """A Telegram user or the bot itself."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the Bot API `User` object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class Chat:
    """A private chat (id == user id) or a group/supergroup/channel (negative id)."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    owner_id: int | None = None

    @property
    def is_private(self) -> bool:
        """Tell whether this is a one-to-one chat with a user."""
        return self.type == "private"

    def to_json(self) -> dict[str, Any]:
        """Return the Bot API `Chat` object."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.is_private:
            out["first_name"] = self.first_name or str(self.id)
        else:
            out["title"] = self.title or f"Chat {self.id}"
        if self.username:
            out["username"] = self.username
        return out


@dataclass
class StoredFile:
    """File bytes with the identifiers Telegram would give them."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    source_url: str | None = None

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)

    def file_json(self) -> dict[str, Any]:
        """Return the Bot API `File` object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }

    def photo_json(self) -> list[dict[str, Any]]:
        """Return the `Array of PhotoSize` for a photo message."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width or 1,
                "height": self.height or 1,
                "file_size": self.size,
            }
        ]

    def document_json(self) -> dict[str, Any]:
        """Return the Bot API `Document` object."""
        out: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            out["file_name"] = self.file_name
        if self.mime_type:
            out["mime_type"] = self.mime_type
        return out


@dataclass
class StoredMessage:
    """One message in a chat, kept in its current (possibly edited) form."""

    chat_id: int
    message_id: int
    date: int
    sender_id: int
    from_bot: bool
    kind: str
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file_id: str | None = None
    reply_to: int | None = None
    seq: int = 0
    edit_date: int | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_caption(self) -> bool:
        """Tell whether `text` holds a media caption rather than message text."""
        return self.kind != "text"

    def inline_markup(self) -> dict[str, Any] | None:
        """Return the markup if it is a non-empty inline keyboard (Telegram echoes only those)."""
        markup = self.reply_markup
        if markup and markup.get("inline_keyboard"):
            return markup
        return None

    def callback_datas(self) -> set[str]:
        """Return every callback_data of the message's inline keyboard."""
        markup = self.inline_markup() or {}
        return {
            button["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for button in row
            if isinstance(button, dict) and "callback_data" in button
        }


@dataclass
class QueryRecord:
    """A callback or inline query issued to the bot and the bot's answer."""

    id: str
    kind: str
    user_id: int
    payload: dict[str, Any]
    answered: bool = False
    answer: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the record as the control API shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "user_id": self.user_id,
            "answered": self.answered,
            "answer": self.answer,
            "query": self.payload,
        }


@dataclass
class CallRecord:
    """One Bot API call as the bot made it and how the emulator answered."""

    seq: int
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the record as the control API shows it."""
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "ok": self.ok,
            "error_code": self.error_code,
            "description": self.description,
            "at": self.at,
        }


@dataclass
class SendStats:
    """Outcome counts of the sending calls (see limits.is_sending_method) since a reset."""

    ok: int = 0
    too_many: int = 0
    failed: int = 0
    abandoned: int = 0
    first_ok_at: float | None = None
    last_ok_at: float | None = None
    ok_per_chat_max: int = 0
    ok_by_chat: dict[int, int] = field(default_factory=dict)

    def record(self, chat_id: int | None, error_code: int | None, at: float) -> None:
        """Count one answered sending call; `error_code` is None for a success."""
        if error_code == 429:
            self.too_many += 1
        elif error_code is not None:
            self.failed += 1
        else:
            self.ok += 1
            if self.first_ok_at is None:
                self.first_ok_at = at
            self.last_ok_at = at
            if chat_id is not None:
                count = self.ok_by_chat.get(chat_id, 0) + 1
                self.ok_by_chat[chat_id] = count
                self.ok_per_chat_max = max(self.ok_per_chat_max, count)

    def to_json(self, by_chat: bool = False) -> dict[str, Any]:
        """Return the counts as the control API shows them."""
        out: dict[str, Any] = {
            "sends_ok": self.ok,
            "sends_429": self.too_many,
            "sends_failed": self.failed,
            "sends_abandoned": self.abandoned,
            "first_ok_at": self.first_ok_at,
            "last_ok_at": self.last_ok_at,
            "ok_per_chat_max": self.ok_per_chat_max,
            "chats_ok": len(self.ok_by_chat),
        }
        if by_chat:
            out["by_chat"] = {str(chat_id): n for chat_id, n in self.ok_by_chat.items()}
        return out


@dataclass
class WebhookSettings:
    """What setWebhook asked for; an empty `url` means updates wait for getUpdates."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None

    def to_json(self, pending: int, allowed_updates: list[str] | None) -> dict[str, Any]:
        """Return the Bot API `WebhookInfo` object."""
        out: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate if self.url else False,
            "pending_update_count": pending,
        }
        if not self.url:
            return out
        if self.ip_address:
            out["ip_address"] = self.ip_address
        if self.last_error_date is not None:
            out["last_error_date"] = self.last_error_date
            out["last_error_message"] = self.last_error_message or ""
        out["max_connections"] = self.max_connections
        if allowed_updates is not None:
            out["allowed_updates"] = allowed_updates
        return out


@dataclass
class DeliveryRecord:
    """One attempt to POST an update to the webhook: its HTTP status or why it failed."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the attempt as the control API lists it."""
        return {
            "update_id": self.update_id,
            "attempt": self.attempt,
            "status": self.status,
            "error": self.error,
        }
