"""Shared machinery the Bot API method handlers build on."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from emulator.clock import Clock
from emulator.config import EmulatorConfig
from emulator.decode import Upload
from emulator.errors import (
    ApiError,
    bad_request,
    chat_migrated,
    forbidden,
    too_many_requests,
)
from emulator.html import ParsedText
from emulator.images import FALLBACK_SIZE, image_size, image_suffix, photo_dimensions_ok
from emulator.limits import RateLimiter, is_sending_method
from emulator.models import Chat, StoredFile, StoredMessage, User
from emulator.spec import BotApiSpec, bundled_spec
from emulator.state import State
from emulator.validate import formatted
from emulator.webhook import WebhookDelivery

MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
_BLOCKED = {
    "private": "bot was blocked by the user",
    "group": "bot was kicked from the group chat",
    "supergroup": "bot was kicked from the supergroup chat",
    "channel": "bot is not a member of the channel chat",
}
DEACTIVATED = "user is deactivated"

Params = dict[str, Any]
Handler = Callable[["Core", Params], Awaitable[Any]]


class Core:
    """Configuration, state and flood control shared by every handler."""

    def __init__(self, config: EmulatorConfig, clock: Clock | None = None):
        self.config = config
        self.clock = clock or Clock()
        self.spec: BotApiSpec = (
            BotApiSpec.load(config.spec_path) if config.spec_path else bundled_spec()
        )
        self.bot_user = User(
            config.bot_id, config.bot_first_name, username=config.bot_username, is_bot=True
        )
        self.state = State(self.bot_user, self.clock)
        self.webhook = WebhookDelivery(config, self.state, self.clock)
        self.limiter = self._new_limiter()
        self.poll_generation = 0
        self.closing = False
        self.clear_stall()

    def clear_stall(self) -> None:
        """Let sending calls through without an artificial stall."""
        self.stall_count = 0
        self.stall_seconds = 0.0
        self.stall_deliver = False

    def set_stall(self, count: int, seconds: float, deliver: bool = False) -> None:
        """Make the next `count` sending calls wait `seconds` before they are processed."""
        if count < 0 or not seconds >= 0:
            raise ValueError("count and seconds must not be negative")
        self.stall_count, self.stall_seconds, self.stall_deliver = count, seconds, deliver

    def take_stall(self, method: str) -> tuple[float, bool] | None:
        """Consume one pending stall if `method` sends; return (seconds, deliver) or None."""
        if self.stall_count <= 0 or not is_sending_method(method):
            return None
        self.stall_count -= 1
        return self.stall_seconds, self.stall_deliver

    def reconfigure(self, changes: dict[str, Any]) -> None:
        """Change rates or latency at runtime; flood buckets restart full."""
        self.config.update(changes)
        self.limiter = self._new_limiter()

    def reset(self) -> None:
        """Forget all state (the webhook too, abandoning its deliveries) and refill the buckets."""
        self.webhook.cancel()
        self.state.reset()
        self.limiter = self._new_limiter()
        self.clear_stall()

    def _new_limiter(self) -> RateLimiter:
        """Return flood control with full buckets for the current settings."""
        return RateLimiter(self.config.rate_settings(), self.clock.monotonic)

    # chats and messages

    def chat(self, params: Params, *, sending: bool = False) -> Chat:
        """Resolve `chat_id`; refuse blocked chats when the call would post to them."""
        chat_id = params.get("chat_id")
        chat = None
        if isinstance(chat_id, int | str) and not isinstance(chat_id, bool):
            chat = self.state.find_chat(chat_id)
        if chat is None:
            if isinstance(chat_id, int) and not isinstance(chat_id, bool):
                self._missing_chat(chat_id, sending=sending)
            raise bad_request("chat not found")
        if sending and chat.is_private and chat.id in self.state.deactivated:
            raise forbidden(DEACTIVATED)
        if sending and chat.id in self.state.blocked:
            raise forbidden(_BLOCKED[chat.type])
        return chat

    def _missing_chat(self, chat_id: int, *, sending: bool) -> None:
        """Raise Telegram's error for a numeric chat_id that names no current chat, if any."""
        state = self.state
        new_id = state.migrated.get(chat_id)
        if new_id is not None:
            raise chat_migrated(new_id)
        if sending and chat_id in state.users and chat_id not in state.forgotten:
            if chat_id in state.deactivated:
                raise forbidden(DEACTIVATED)
            # The user exists but never opened a private chat with the bot.
            raise forbidden("bot can't initiate conversation with a user")

    def bot_message(self, params: Params, *, action: str) -> tuple[Chat, StoredMessage]:
        """Find the bot message an edit call targets."""
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        if params.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        chat = self.chat(params, sending=True)
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise bad_request("message identifier is not specified")
        message = self.state.get_message(chat.id, message_id)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if not message.from_bot:
            raise bad_request(f"message can't be {action}ed")
        return chat, message

    def reply_target(self, chat: Chat, params: Params) -> int | None:
        """Return the message_id being replied to, enforcing that it exists."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        if message_id in (None, "", 0):
            return None
        if isinstance(message_id, int) and self.state.get_message(chat.id, message_id):
            return message_id
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def formatted(self, text: Any, parse_mode: Any, entities: Any, *, caption: bool) -> ParsedText:
        """Parse text or a caption with this emulator's strictness settings."""
        return formatted(
            text,
            parse_mode,
            entities,
            caption=caption,
            strict_entities=self.config.strict_html_entities,
        )

    def acquire(self, method: str, chat: Chat | None) -> None:
        """Apply flood control to a call that is about to post or change a message."""
        if not is_sending_method(method):
            return
        retry_after = self.limiter.acquire(chat.id if chat else None)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    # files

    def input_file(self, value: Any, kind: str, params: Params) -> StoredFile:
        """Resolve an uploaded file, an attach:// reference, a file_id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
            if not isinstance(value, Upload):
                raise bad_request("wrong file identifier/HTTP URL specified")
        if isinstance(value, Upload):
            return self.store_upload(value, kind)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        stored = self.state.files.get(value)
        if stored is not None:
            if stored.kind != kind:
                raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
            return stored
        if value.startswith(("http://", "https://")):
            # No network here: a URL becomes an empty placeholder file.
            width, height = FALLBACK_SIZE
            name = value.rsplit("/", 1)[-1] or None
            return self.state.add_file(
                kind, b"", file_name=name, source_url=value, width=width, height=height
            )
        raise bad_request("wrong file identifier/HTTP URL specified")

    def store_upload(self, upload: Upload, kind: str) -> StoredFile:
        """Store uploaded bytes as a photo or document, applying Telegram's checks."""
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        if kind != "photo":
            return self.state.add_file(kind, upload.data, file_name=upload.filename, mime_type=mime)
        width, height = image_size(upload.data) or FALLBACK_SIZE
        if not photo_dimensions_ok(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        mime = mimetypes.guess_type(f"x{image_suffix(upload.data)}")[0]
        return self.state.add_file(
            kind, upload.data, file_name=upload.filename, mime_type=mime, width=width, height=height
        )
