"""In-memory world of the emulator: chats, messages, updates, files, queries, calls."""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import re
import secrets
from collections import deque
from collections.abc import Iterable
from typing import Any

from emulator.clock import Clock
from emulator.images import image_suffix
from emulator.models import (
    GROUP_ANONYMOUS_BOT_ID,
    GROUP_TYPES,
    CallRecord,
    Chat,
    DeliveryRecord,
    QueryRecord,
    SendStats,
    StoredFile,
    StoredMessage,
    User,
    WebhookSettings,
)

# Telegram holds these back unless allowed_updates asks for them explicitly.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,8}$")
_FILE_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI"}
# The call log keeps this many of the latest calls, the delivery log as many webhook attempts.
MAX_CALL_LOG = 20_000
# The sent log keeps this much of each message's text or caption.
SENT_TEXT_CHARS = 200


class Notifier:
    """Wake every waiter whenever something changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        # How many wait() calls are parked right now (tests watch it to know a poll waits).
        self.waiting = 0

    def notify(self) -> None:
        """Release the current waiters and start a new round."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float, *, counted: bool = True) -> bool:
        """Wait for the next notify(); return False on timeout.

        `counted=False` keeps the wait out of `waiting`, for the emulator's own background
        waiters (webhook delivery), so that `waiting` still counts only the clients' calls.
        """
        event = self._event
        step = 1 if counted else 0
        self.waiting += step
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        finally:
            self.waiting -= step
        return True


class State:
    """Everything the emulated Telegram knows; reset() forgets it all."""

    def __init__(self, bot: User, clock: Clock | None = None):
        self.bot = bot
        self.clock = clock or Clock()
        self.updates_changed = Notifier()
        self.messages_changed = Notifier()
        self.reset()

    def reset(self) -> None:
        """Forget every user, chat, message, update, file, query and call."""
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        # The non-private subset of `chats`, so @username lookups skip private chats.
        self.group_chats: dict[int, Chat] = {}
        # Old group id -> supergroup id, for groups upgraded to supergroups.
        self.migrated: dict[int, int] = {}
        # Ids of chats the control API deleted: the bot no longer knows them.
        self.forgotten: set[int] = set()
        self.deactivated: set[int] = set()
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        # Bot messages in order of their latest change (seq), oldest first.
        self._bot_changes: dict[tuple[int, int], StoredMessage] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(10_000_001)
        self.allowed_updates: frozenset[str] | None = None
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self.queries: dict[str, QueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.blocked: set[int] = set()
        self.calls: deque[CallRecord] = deque(maxlen=MAX_CALL_LOG)
        self.call_seq = 0
        self.reset_stats()
        self.seq = 0
        self.webhook = WebhookSettings()
        self.deliveries: deque[DeliveryRecord] = deque(maxlen=MAX_CALL_LOG)
        self.updates_changed.notify()
        self.messages_changed.notify()

    @property
    def webhook_url(self) -> str:
        """Return the webhook URL, empty unless setWebhook set one."""
        return self.webhook.url

    def reset_stats(self) -> None:
        """Forget the sending statistics and the sent log, keeping everything else."""
        self.stats = SendStats()
        self.sent: list[dict[str, Any]] = []

    # users and chats

    def ensure_user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> User:
        """Return the user, creating or refreshing it from the given profile fields."""
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name or f"User{user_id}")
            self.users[user_id] = user
        if first_name:
            user.first_name = first_name
        if username:
            user.username = username
        if language_code:
            user.language_code = language_code
        return user

    def ensure_chat(
        self,
        chat_id: int,
        chat_type: str,
        user: User,
        title: str | None = None,
        username: str | None = None,
    ) -> Chat:
        """Return the chat, creating it and enrolling `user` as a member."""
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                chat = Chat(chat_id, "private", first_name=user.first_name, username=user.username)
            else:
                chat = Chat(chat_id, chat_type, title=title, owner_id=user.id)
            self.add_chat(chat)
        if chat.type in GROUP_TYPES:
            chat.title = title or chat.title
            chat.username = username or chat.username
        chat.members.add(user.id)
        return chat

    def add_chat(self, chat: Chat) -> Chat:
        """Register a new chat the bot knows from now on."""
        self.chats[chat.id] = chat
        if not chat.is_private:
            self.group_chats[chat.id] = chat
        self.forgotten.discard(chat.id)
        return chat

    def drop_chat(self, chat_id: int) -> bool:
        """Make the bot forget a chat (its messages stay listed); tell whether it knew it."""
        known = self.chats.pop(chat_id, None) is not None
        known = self.migrated.pop(chat_id, None) is not None or known
        self.group_chats.pop(chat_id, None)
        self.blocked.discard(chat_id)
        if known:
            self.forgotten.add(chat_id)
        return known

    def open_private_chats(self, user_ids: Iterable[int], language_code: str | None) -> int:
        """Create users and their private chats without queueing updates; count new chats."""
        opened = 0
        for user_id in user_ids:
            user = self.ensure_user(user_id, language_code=language_code)
            if user_id not in self.chats:
                opened += 1
            self.ensure_chat(user_id, "private", user)
        return opened

    def migrate_chat(self, old_id: int, new_id: int) -> Chat:
        """Upgrade group `old_id` to supergroup `new_id`, queueing both service messages."""
        old = self.chats[old_id]
        new = self.add_chat(
            Chat(
                new_id,
                "supergroup",
                title=old.title,
                username=old.username,
                members=set(old.members),
                admins=set(old.admins),
                owner_id=old.owner_id,
            )
        )
        if old_id in self.blocked:
            self.blocked.add(new_id)
        if old.owner_id is not None and old.owner_id in self.users:
            sender = old.owner_id
        else:
            sender = self.ensure_user(GROUP_ANONYMOUS_BOT_ID, "Group", "GroupAnonymousBot").id
            self.users[sender].is_bot = True
        notice = self.add_message(old, sender, "service", extra={"migrate_to_chat_id": new_id})
        self.enqueue_update("message", self.message_json(notice))
        self.drop_chat(old_id)
        self.forgotten.discard(old_id)
        self.migrated[old_id] = new_id
        notice = self.add_message(new, sender, "service", extra={"migrate_from_chat_id": old_id})
        self.enqueue_update("message", self.message_json(notice))
        return new

    def find_chat(self, chat_id: int | str) -> Chat | None:
        """Return the chat with this id or @username."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            if chat_id.startswith("@"):
                # Like Telegram, @username reaches groups and channels, never users.
                return next(
                    (c for c in self.group_chats.values() if (c.username or "").lower() == name),
                    None,
                )
            try:
                chat_id = int(chat_id)
            except ValueError:
                return None
        return self.chats.get(chat_id)

    def chat_instance(self, chat_id: int) -> str:
        """Return the stable chat_instance string callback queries carry."""
        digest = hashlib.sha256(f"{self.bot.id}:{chat_id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    # messages

    def add_message(self, chat: Chat, sender_id: int, kind: str, **fields: Any) -> StoredMessage:
        """Store a new message with the chat's next message_id."""
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = StoredMessage(
            chat_id=chat.id,
            message_id=next(counter),
            date=int(self.clock.wall()),
            sender_id=sender_id,
            from_bot=sender_id == self.bot.id,
            kind=kind,
            **fields,
        )
        self.messages.setdefault(chat.id, {})[message.message_id] = message
        if message.from_bot:
            self.touch(message)
        return message

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Return a live (not deleted) message."""
        message = self.messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def touch(self, message: StoredMessage) -> None:
        """Give a bot message a new seq so waiters see its latest state."""
        self.seq += 1
        message.seq = self.seq
        key = (message.chat_id, message.message_id)
        # Re-inserting moves the message to the end: the index stays ordered by seq.
        self._bot_changes.pop(key, None)
        self._bot_changes[key] = message
        self.messages_changed.notify()

    def bot_messages(self, chat_id: int | None, after: int) -> list[StoredMessage]:
        """Return bot messages changed after `after`, oldest change first."""
        if chat_id is not None:
            found = [
                m for m in self.messages.get(chat_id, {}).values() if m.from_bot and m.seq > after
            ]
            return sorted(found, key=lambda m: m.seq)
        # Walk back from the newest change only as far as `after`: no scan of all messages.
        newest_first: list[StoredMessage] = []
        for message in reversed(self._bot_changes.values()):
            if message.seq <= after:
                break
            newest_first.append(message)
        return newest_first[::-1]

    def message_json(self, message: StoredMessage, nested: bool = False) -> dict[str, Any]:
        """Return the Bot API `Message` object for a stored message."""
        chat = self.chats[message.chat_id]
        out: dict[str, Any] = {"message_id": message.message_id}
        if chat.type == "channel":
            out["sender_chat"] = chat.to_json()
        else:
            sender = self.bot if message.from_bot else self.users[message.sender_id]
            out["from"] = sender.to_json()
        out["chat"] = chat.to_json()
        out["date"] = message.date
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if message.reply_to is not None and not nested:
            replied = self.messages.get(chat.id, {}).get(message.reply_to)
            if replied is not None:
                out["reply_to_message"] = self.message_json(replied, nested=True)
        stored = self.files.get(message.file_id or "")
        if message.kind == "photo" and stored:
            out["photo"] = stored.photo_json()
        elif message.kind == "document" and stored:
            out["document"] = stored.document_json()
        text_key, entity_key = (
            ("caption", "caption_entities") if message.has_caption else ("text", "entities")
        )
        if message.text:
            out[text_key] = message.text
            if message.entities:
                out[entity_key] = message.entities
        if markup := message.inline_markup():
            out["reply_markup"] = markup
        out.update(message.extra)
        return out

    def listing_json(self, message: StoredMessage) -> dict[str, Any]:
        """Return a bot message the way the control API lists it."""
        stored = self.files.get(message.file_id or "")
        caption = message.has_caption
        return {
            "seq": message.seq,
            "chat_id": message.chat_id,
            "message_id": message.message_id,
            "kind": message.kind,
            "date": message.date,
            "text": None if caption else message.text,
            "caption": message.text if caption else None,
            "raw": message.raw_text,
            "html": _as_html(message),
            "parse_mode": message.parse_mode,
            "entities": message.entities,
            "reply_markup": message.reply_markup,
            "reply_to_message_id": message.reply_to,
            "file_id": message.file_id,
            "file_name": stored.file_name if stored else None,
            "mime_type": stored.mime_type if stored else None,
            "edited": message.edit_date is not None,
            "deleted": message.deleted,
        }

    # updates

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update for getUpdates and wake the poller."""
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, kind: payload})
        self.updates_changed.notify()
        return update_id

    def confirm(self, offset: int | None) -> None:
        """Forget updates the bot confirmed with `offset` (negative keeps the last -offset)."""
        if not offset:
            return
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        """Return up to `limit` pending updates, dropping types the bot did not ask for."""
        self.drop_unwanted()
        return self.updates[:limit]

    def drop_unwanted(self) -> bool:
        """Forget pending updates of types the bot did not ask for; tell whether any went."""
        wanted = [u for u in self.updates if self.wants(_kind(u))]
        if len(wanted) == len(self.updates):
            return False
        self.updates = wanted
        return True

    def remove_update(self, update_id: int) -> bool:
        """Forget one delivered update; tell whether it was still pending."""
        # A delivered update is nearly always among the first: look from the front.
        for index, update in enumerate(self.updates):
            if update["update_id"] == update_id:
                del self.updates[index]
                return True
        return False

    def allowed_updates_json(self) -> list[str] | None:
        """Return the update types the bot subscribed to, or None for Telegram's default."""
        return None if self.allowed_updates is None else sorted(self.allowed_updates)

    def wants(self, kind: str) -> bool:
        """Tell whether the bot's allowed_updates setting lets this update type through."""
        if self.allowed_updates is None:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in self.allowed_updates

    # files

    def add_file(self, kind: str, data: bytes, **fields: Any) -> StoredFile:
        """Store bytes under fresh file_id, file_unique_id and file_path."""
        number = next(self._file_numbers)
        name = fields.get("file_name") or ""
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        if kind == "photo":
            folder, suffix = "photos", image_suffix(data)
        else:
            folder, suffix = "documents", suffix if _SUFFIX_RE.match(suffix) else ""
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'CAAC')}{number:05d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"AQAD{number:05d}{secrets.token_hex(3)}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            kind=kind,
            **fields,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # queries and calls

    def new_query(self, kind: str, user_id: int, payload: dict[str, Any]) -> QueryRecord:
        """Register a callback or inline query under a fresh Telegram-style id."""
        query_id = str(secrets.randbits(60))
        record = QueryRecord(query_id, kind, user_id, payload)
        self.queries[query_id] = record
        return record

    def log_call(
        self, method: str, params: dict[str, Any], error: tuple[int, str] | None
    ) -> CallRecord:
        """Append a Bot API call to the call log."""
        self.call_seq += 1
        record = CallRecord(self.call_seq, method, params, error is None, at=self.clock.wall())
        if error is not None:
            record.error_code, record.description = error
        self.calls.append(record)
        return record

    def record_send(self, record: CallRecord, result: Any) -> None:
        """Count a sending call's outcome; list the message if it posted a new one."""
        message = result if isinstance(result, dict) else {}
        chat = message.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        self.stats.record(chat_id, record.error_code, record.at)
        if not record.ok or chat_id is None or record.method.lower().startswith("edit"):
            return
        text = message.get("text", message.get("caption"))
        self.sent.append(
            {
                "method": record.method,
                "chat_id": chat_id,
                "message_id": message.get("message_id"),
                "text": text[:SENT_TEXT_CHARS] if isinstance(text, str) else None,
                "at": record.at,
            }
        )


def _as_html(message: StoredMessage) -> str | None:
    """Return the text or caption as Telegram HTML, whatever parse mode it was sent with."""
    if message.text is None:
        return None
    if (message.parse_mode or "").lower() == "html" and message.raw_text is not None:
        return message.raw_text
    return html.escape(message.text, quote=False)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
