"""The `/_emulator/` control API: act as users and inspect what the bot did."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from emulator.controlkit import ControlError, _body, _flag, _float, _int, ok
from emulator.core import Core
from emulator.decode import Upload
from emulator.errors import ApiError
from emulator.html import utf16_length
from emulator.models import GROUP_TYPES, Chat, User
from emulator.world import WorldControl

PREFIX = "/_emulator"
MAX_WAIT = 120.0
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_CHAT_TYPES = frozenset({"private", *GROUP_TYPES})


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity Telegram attaches to a message starting with a command."""
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(match.group(0))}]


class ControlApi(WorldControl):
    """Handlers for the control routes, bound to one emulator core."""

    def __init__(self, core: Core):
        self.core = core

    def routes(self) -> list[web.RouteDef]:
        """Return the control routes to mount on the application."""
        return [
            web.post(f"{PREFIX}/message", self.message),
            web.post(f"{PREFIX}/callback", self.callback),
            web.post(f"{PREFIX}/inline", self.inline),
            web.post(f"{PREFIX}/document", self.document),
            web.post(f"{PREFIX}/photo", self.photo),
            web.get(f"{PREFIX}/messages", self.messages),
            web.get(f"{PREFIX}/wait", self.wait),
            web.get(f"{PREFIX}/calls", self.calls),
            web.get(f"{PREFIX}/updates", self.updates),
            web.get(f"{PREFIX}/callback_answers/{{query_id}}", self.callback_answer),
            web.get(f"{PREFIX}/inline_answers/{{query_id}}", self.inline_answer),
            web.get(f"{PREFIX}/commands", self.commands),
            web.get(f"{PREFIX}/files/{{file_id}}", self.file),
            web.get(f"{PREFIX}/stats", self.stats),
            web.get(f"{PREFIX}/sent", self.sent),
            web.get(f"{PREFIX}/webhook", self.webhook),
            web.get(f"{PREFIX}/webhook/deliveries", self.webhook_deliveries),
            web.get(f"{PREFIX}/webhook/idle", self.webhook_idle),
            web.post(f"{PREFIX}/open_chats", self.open_chats),
            web.post(f"{PREFIX}/open_group", self.open_group),
            web.post(f"{PREFIX}/migrate", self.migrate),
            web.post(f"{PREFIX}/delete_chat", self.delete_chat),
            web.post(f"{PREFIX}/block", self.block),
            web.post(f"{PREFIX}/deactivate_user", self.deactivate_user),
            web.post(f"{PREFIX}/admin", self.admin),
            web.post(f"{PREFIX}/stall", self.stall),
            web.get(f"{PREFIX}/config", self.get_config),
            web.post(f"{PREFIX}/config", self.set_config),
            web.post(f"{PREFIX}/reset_stats", self.reset_stats),
            web.post(f"{PREFIX}/reset", self.reset),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn ControlError into a JSON error response."""
        try:
            return await handler(request)
        except ControlError as err:
            return web.json_response({"ok": False, "error": str(err)}, status=err.status)

    # acting as users

    def _sender(self, body: dict[str, Any]) -> tuple[User, Chat]:
        user_id = _int(body, "user_id")
        if user_id <= 0:
            raise ControlError("user_id must be positive")
        chat_type = body.get("chat_type")
        if chat_type is None and body.get("chat_id") is not None:
            known = self.state.chats.get(_int(body, "chat_id"))
            chat_type = known.type if known is not None else None
        if chat_type is not None and chat_type not in _CHAT_TYPES:
            raise ControlError(f"chat_type must be one of {sorted(_CHAT_TYPES)}")
        chat_id = _int(body, "chat_id", user_id if chat_type in (None, "private") else None)
        if chat_id in self.state.migrated:
            new_id = self.state.migrated[chat_id]
            raise ControlError(f"chat {chat_id} was upgraded to supergroup {new_id}")
        if user_id in self.state.deactivated:
            raise ControlError(f"user {user_id} is deactivated")
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        if chat_type == "private" and chat_id != user_id:
            raise ControlError("a private chat's id must equal the user's id")
        if chat_type != "private" and chat_id >= 0:
            raise ControlError("group, supergroup and channel ids must be negative")
        existing = self.state.chats.get(chat_id)
        if existing is not None and existing.type != chat_type:
            raise ControlError(f"chat {chat_id} is a {existing.type} chat")
        user = self.state.ensure_user(
            user_id, body.get("first_name"), body.get("username"), body.get("language_code")
        )
        chat = self.state.ensure_chat(
            chat_id, chat_type, user, body.get("chat_title"), body.get("chat_username")
        )
        return user, chat

    def _queue_message(self, chat: Chat, user: User, kind: str, **fields: Any) -> dict[str, Any]:
        reply_to = fields.pop("reply_to", None)
        if reply_to is not None and self.state.get_message(chat.id, reply_to) is None:
            raise ControlError(f"message {reply_to} not found in chat {chat.id}")
        message = self.state.add_message(chat, user.id, kind, reply_to=reply_to, **fields)
        update_kind = "channel_post" if chat.type == "channel" else "message"
        update_id = self.state.enqueue_update(update_kind, self.state.message_json(message))
        return {
            "update_id": update_id,
            "message_id": message.message_id,
            "chat_id": chat.id,
            "seq": self.state.seq,
        }

    async def message(self, request: web.Request) -> web.Response:
        """Queue a text message from a user (a forwarded one with `forward_origin`)."""
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise ControlError("text must be a non-empty string")
        user, chat = self._sender(body)
        reply_to = body.get("reply_to_message_id")
        # A forwarded message: its MessageOrigin as the Bot API gives it (type, date, ...).
        origin = body.get("forward_origin")
        if origin is not None and not (
            isinstance(origin, dict) and isinstance(origin.get("type"), str)
        ):
            raise ControlError("forward_origin must be a MessageOrigin object with a type")
        return ok(
            **self._queue_message(
                chat,
                user,
                "text",
                text=text,
                entities=command_entities(text),
                reply_to=None if reply_to is None else _int(body, "reply_to_message_id"),
                extra={"forward_origin": origin} if origin is not None else {},
            )
        )

    async def _upload(self, request: web.Request, kind: str) -> web.Response:
        body = await _body(request)
        try:
            data = base64.b64decode(body.get("content_base64") or "", validate=True)
        except (binascii.Error, ValueError) as err:
            raise ControlError("content_base64 is not valid base64") from err
        if not data:
            raise ControlError("content_base64 must not be empty")
        user, chat = self._sender(body)
        name = body.get("file_name") or ("photo.jpg" if kind == "photo" else "file.bin")
        try:
            stored = self.core.store_upload(Upload(name, body.get("mime_type"), data), kind)
        except ApiError as err:
            raise ControlError(err.description) from err
        caption = body.get("caption")
        result = self._queue_message(chat, user, kind, text=caption or None, file_id=stored.file_id)
        return ok(**result, file_id=stored.file_id)

    async def document(self, request: web.Request) -> web.Response:
        """Queue a document message from a user."""
        return await self._upload(request, "document")

    async def photo(self, request: web.Request) -> web.Response:
        """Queue a photo message from a user."""
        return await self._upload(request, "photo")

    async def callback(self, request: web.Request) -> web.Response:
        """Queue a tap on an inline button of a bot message."""
        body = await _body(request)
        user_id = _int(body, "user_id")
        chat_id = _int(body, "chat_id", user_id)
        message_id = _int(body, "message_id")
        data = body.get("data")
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ControlError(f"chat {chat_id} not found", 404)
        message = self.state.get_message(chat_id, message_id)
        if message is None or not message.from_bot:
            raise ControlError(f"bot message {message_id} not found in chat {chat_id}", 404)
        if data not in message.callback_datas():
            raise ControlError(
                f"message {message_id} has no inline button with callback_data {data!r}"
            )
        user = self.state.ensure_user(user_id, body.get("first_name"), body.get("username"))
        chat.members.add(user.id)
        record = self.state.new_query("callback", user.id, {})
        record.payload = {
            "id": record.id,
            "from": user.to_json(),
            "message": self.state.message_json(message),
            "chat_instance": self.state.chat_instance(chat.id),
            "data": data,
        }
        update_id = self.state.enqueue_update("callback_query", record.payload)
        return ok(update_id=update_id, callback_query_id=record.id, seq=self.state.seq)

    async def inline(self, request: web.Request) -> web.Response:
        """Queue an inline query typed by a user."""
        body = await _body(request)
        query = body.get("query", "")
        if not isinstance(query, str) or len(query) > 256:
            raise ControlError("query must be a string of at most 256 characters")
        user = self.state.ensure_user(
            _int(body, "user_id"), body.get("first_name"), body.get("username")
        )
        record = self.state.new_query("inline", user.id, {})
        record.payload = {
            "id": record.id,
            "from": user.to_json(),
            "query": query,
            "offset": str(body.get("offset") or ""),
        }
        if body.get("chat_type"):
            record.payload["chat_type"] = body["chat_type"]
        update_id = self.state.enqueue_update("inline_query", record.payload)
        return ok(update_id=update_id, inline_query_id=record.id)

    # inspecting the bot

    def _chat_filter(self, request: web.Request) -> int | None:
        raw = request.query.get("chat_id")
        return None if raw in (None, "") else _int({"chat_id": raw}, "chat_id")

    def _listing(self, chat_id: int | None, after: int) -> list[dict[str, Any]]:
        return [self.state.listing_json(m) for m in self.state.bot_messages(chat_id, after)]

    async def messages(self, request: web.Request) -> web.Response:
        """List bot messages changed after seq `after`."""
        after = _int(dict(request.query), "after", 0)
        chat_id = self._chat_filter(request)
        return ok(messages=self._listing(chat_id, after), last_seq=self.state.seq)

    async def wait(self, request: web.Request) -> web.Response:
        """Long-poll until a bot message in the chat changes after seq `after`."""
        after = _int(dict(request.query), "after", 0)
        chat_id = self._chat_filter(request)
        timeout = min(_float(request.query, "timeout", 10.0), MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self._listing(chat_id, after)
            remaining = deadline - loop.time()
            if found or remaining <= 0 or self.core.closing:
                return ok(messages=found, last_seq=self.state.seq)
            await self.state.messages_changed.wait(remaining)

    async def calls(self, request: web.Request) -> web.Response:
        """List Bot API calls after seq `after`, optionally only one method."""
        after = _int(dict(request.query), "after", 0)
        method = (request.query.get("method") or "").lower()
        calls = [
            c.to_json()
            for c in self.state.calls
            if c.seq > after and (not method or c.method.lower() == method)
        ]
        return ok(calls=calls, last_seq=self.state.call_seq)

    async def stats(self, request: web.Request) -> web.Response:
        """Count sending calls by outcome since the last reset; `by_chat=1` adds per-chat counts."""
        return ok(**self.state.stats.to_json(by_chat=_flag(request.query, "by_chat")))

    async def sent(self, request: web.Request) -> web.Response:
        """List the messages the bot posted since the last reset, compactly, oldest first."""
        method = (request.query.get("method") or "").lower()
        chat_id = self._chat_filter(request)
        sent = self.state.sent
        if method or chat_id is not None:
            sent = [
                s
                for s in sent
                if (not method or s["method"].lower() == method)
                and (chat_id is None or s["chat_id"] == chat_id)
            ]
        return ok(sent=sent, total=len(sent))

    def _webhook_json(self) -> dict[str, Any]:
        state = self.state
        return {
            **state.webhook.to_json(len(state.updates), state.allowed_updates_json()),
            "secret_token": state.webhook.secret_token,
            "in_flight": self.core.webhook.in_flight,
        }

    async def webhook(self, request: web.Request) -> web.Response:
        """Show getWebhookInfo's answer plus the secret token and the requests in flight."""
        return ok(**self._webhook_json())

    async def webhook_deliveries(self, request: web.Request) -> web.Response:
        """List webhook delivery attempts in the order they ended, optionally of one update."""
        raw = request.query.get("update_id")
        update_id = None if raw in (None, "") else _int({"update_id": raw}, "update_id")
        deliveries = [
            d.to_json()
            for d in self.state.deliveries
            if update_id is None or d.update_id == update_id
        ]
        return ok(deliveries=deliveries)

    async def webhook_idle(self, request: web.Request) -> web.Response:
        """Long-poll until no update is pending and no webhook request is in flight."""
        timeout = min(_float(request.query, "timeout", 10.0), MAX_WAIT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            idle = not self.state.updates and not self.core.webhook.in_flight
            remaining = deadline - loop.time()
            if idle or remaining <= 0 or self.core.closing:
                return ok(idle=idle, **self._webhook_json())
            await self.state.updates_changed.wait(remaining, counted=False)

    async def updates(self, request: web.Request) -> web.Response:
        """List updates queued and not yet confirmed by the bot."""
        return ok(updates=self.state.updates)

    def _query(self, request: web.Request, kind: str) -> web.Response:
        record = self.state.queries.get(request.match_info["query_id"])
        if record is None or record.kind != kind:
            raise ControlError(f"no {kind} query with this id", 404)
        return ok(**record.to_json())

    async def callback_answer(self, request: web.Request) -> web.Response:
        """Show a callback query and the bot's answer to it."""
        return self._query(request, "callback")

    async def inline_answer(self, request: web.Request) -> web.Response:
        """Show an inline query and the bot's answer to it."""
        return self._query(request, "inline")

    async def commands(self, request: web.Request) -> web.Response:
        """List every command list set with setMyCommands."""
        scopes = [
            {"scope": json.loads(scope), "language_code": language, "commands": commands}
            for (scope, language), commands in self.state.commands.items()
        ]
        return ok(scopes=scopes)

    async def file(self, request: web.Request) -> web.StreamResponse:
        """Return the raw bytes of a stored file."""
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError("file not found", 404)
        return web.Response(
            body=stored.data,
            headers={"Content-Type": stored.mime_type or "application/octet-stream"},
        )

    def _config_json(self) -> dict[str, Any]:
        config = self.core.config
        return {
            "global_rate": config.global_rate,
            "chat_rate": config.chat_rate,
            "chat_burst": config.chat_burst,
            "group_rate_per_min": config.group_rate_per_min,
            "latency_ms": list(config.latency_ms),
            "webhook_timeout": config.webhook_timeout,
            "webhook_retry_seconds": config.webhook_retry_seconds,
        }

    async def get_config(self, request: web.Request) -> web.Response:
        """Show the runtime-changeable settings."""
        return ok(config=self._config_json())

    async def set_config(self, request: web.Request) -> web.Response:
        """Change rates or latency; flood buckets start full again."""
        body = await _body(request)
        try:
            self.core.reconfigure(body)
        except (TypeError, ValueError) as err:
            raise ControlError(str(err)) from err
        return ok(config=self._config_json())

    async def reset_stats(self, request: web.Request) -> web.Response:
        """Forget the sending statistics and the sent log, keeping chats and messages."""
        self.state.reset_stats()
        return ok()

    async def reset(self, request: web.Request) -> web.Response:
        """Forget all users, chats, messages, updates, files, queries, calls and the webhook."""
        await self.core.webhook.stop()
        self.core.reset()
        return ok()
