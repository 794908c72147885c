"""Control endpoints that shape the emulated world: chats opened in bulk, groups and channels,
migrations, deleted chats, blocks and deactivated users, admins, stalled sends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.controlkit import ControlError, _body, _ids, _int, ok
from emulator.models import GROUP_TYPES, Chat

if TYPE_CHECKING:
    from emulator.core import Core
    from emulator.state import State


class WorldControl:
    """Mixed into ControlApi, which provides `core` and `state`."""

    core: Core

    @property
    def state(self) -> State:
        return self.core.state

    async def open_chats(self, request: web.Request) -> web.Response:
        """Open private chats with many users at once, as if each had sent /start (no updates)."""
        body = await _body(request)
        user_ids = _ids(body, "user_ids")
        language = body.get("language_code")
        if language is not None and not isinstance(language, str):
            raise ControlError("language_code must be a string")
        opened = self.state.open_private_chats(user_ids, language or None)
        return ok(opened=opened, chats=len(user_ids))

    async def open_group(self, request: web.Request) -> web.Response:
        """Create (or refresh) a group, supergroup or channel the bot is a member of."""
        body = await _body(request)
        chat_id = _int(body, "chat_id")
        chat_type = body.get("type") or "group"
        title = body.get("title")
        username = body.get("username")
        admin_ids = _ids(body, "admin_ids")
        if chat_id >= 0:
            raise ControlError("group, supergroup and channel ids must be negative")
        if chat_type not in GROUP_TYPES:
            raise ControlError(f"type must be one of {sorted(GROUP_TYPES)}")
        if not isinstance(title, str) or not title.strip():
            raise ControlError("title must be a non-empty string")
        if username is not None and not isinstance(username, str):
            raise ControlError("username must be a string")
        if chat_id in self.state.migrated:
            new_id = self.state.migrated[chat_id]
            raise ControlError(f"chat {chat_id} was upgraded to supergroup {new_id}")
        chat = self.state.chats.get(chat_id)
        created = chat is None
        if chat is None:
            owner = next((uid for uid in admin_ids if uid != self.core.bot_user.id), None)
            chat = self.state.add_chat(Chat(chat_id, chat_type, owner_id=owner))
        elif chat.type != chat_type:
            raise ControlError(f"chat {chat_id} is a {chat.type} chat", 409)
        chat.title = title
        chat.username = username.removeprefix("@") if username else chat.username
        for user_id in admin_ids:
            if user_id != self.core.bot_user.id:
                self.state.ensure_user(user_id)
                chat.members.add(user_id)
            chat.admins.add(user_id)
        if chat_type == "channel":
            # Bots can post in a channel only as its administrators.
            chat.admins.add(self.core.bot_user.id)
        self.state.blocked.discard(chat_id)
        return ok(chat=chat.to_json(), admins=sorted(chat.admins), created=created)

    async def migrate(self, request: web.Request) -> web.Response:
        """Upgrade a group to a supergroup with a new id, as Telegram does."""
        body = await _body(request)
        old_id = _int(body, "chat_id")
        new_id = _int(body, "new_chat_id")
        if old_id in self.state.migrated:
            new = self.state.migrated[old_id]
            raise ControlError(f"chat {old_id} was already upgraded to supergroup {new}", 409)
        chat = self.state.chats.get(old_id)
        if chat is None:
            raise ControlError(f"chat {old_id} not found", 404)
        if chat.type != "group":
            raise ControlError(f"chat {old_id} is a {chat.type} chat, not a group")
        if new_id >= 0 or new_id == old_id:
            raise ControlError("new_chat_id must be a new negative id")
        if new_id in self.state.chats or new_id in self.state.migrated:
            raise ControlError(f"chat {new_id} already exists", 409)
        new_chat = self.state.migrate_chat(old_id, new_id)
        return ok(chat_id=old_id, new_chat_id=new_id, chat=new_chat.to_json())

    async def delete_chat(self, request: web.Request) -> web.Response:
        """Make the bot forget a chat: later calls to it get 400 "chat not found"."""
        body = await _body(request)
        chat_id = _int(body, "chat_id")
        if not self.state.drop_chat(chat_id):
            raise ControlError(f"chat {chat_id} not found", 404)
        return ok(chat_id=chat_id)

    async def deactivate_user(self, request: web.Request) -> web.Response:
        """Delete (or restore) a user's account: sends to them get 403 "user is deactivated"."""
        body = await _body(request)
        user_id = _int(body, "user_id")
        if user_id <= 0:
            raise ControlError("user_id must be positive")
        if body.get("deactivated", True):
            self.state.deactivated.add(user_id)
        else:
            self.state.deactivated.discard(user_id)
        return ok(user_id=user_id, deactivated=user_id in self.state.deactivated)

    async def stall(self, request: web.Request) -> web.Response:
        """Hold the next `count` sending calls for `seconds`; count 0 ends stalling."""
        body = await _body(request)
        count = _int(body, "count")
        try:
            seconds = float(body.get("seconds", 0.0))
            self.core.set_stall(count, seconds, bool(body.get("deliver", False)))
        except (TypeError, ValueError) as err:
            raise ControlError(f"invalid stall: {err}") from err
        core = self.core
        return ok(count=core.stall_count, seconds=core.stall_seconds, deliver=core.stall_deliver)

    async def block(self, request: web.Request) -> web.Response:
        """Make a chat block (or unblock) the bot."""
        body = await _body(request)
        chat_id = _int(body, "chat_id")
        blocked = bool(body.get("blocked", True))
        was_blocked = chat_id in self.state.blocked
        if blocked:
            self.state.blocked.add(chat_id)
        else:
            self.state.blocked.discard(chat_id)
        update_id = None
        chat = self.state.chats.get(chat_id)
        if body.get("notify") and chat is not None and blocked != was_blocked:
            update_id = self._member_update(chat, blocked)
        return ok(chat_id=chat_id, blocked=chat_id in self.state.blocked, update_id=update_id)

    def _member_update(self, chat: Any, blocked: bool) -> int:
        """Queue the my_chat_member update Telegram sends when the bot is blocked or unblocked
        (kicked or re-added in a group)."""
        bot = self.state.bot.to_json()
        actor = self.state.users.get(chat.id) if chat.is_private else None
        gone = "kicked" if chat.is_private or chat.type != "channel" else "left"
        old, new = ("member", gone) if blocked else (gone, "member")
        payload: dict[str, Any] = {
            "chat": chat.to_json(),
            "from": actor.to_json() if actor is not None else bot,
            "date": int(self.state.clock.wall()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot},
        }
        for member in (payload["old_chat_member"], payload["new_chat_member"]):
            if member["status"] == "kicked":
                member["until_date"] = 0
        return self.state.enqueue_update("my_chat_member", payload)

    async def admin(self, request: web.Request) -> web.Response:
        """Make a user (or the bot) an administrator of a group, or not."""
        body = await _body(request)
        chat = self.state.chats.get(_int(body, "chat_id"))
        if chat is None or chat.is_private:
            raise ControlError("group chat not found", 404)
        user_id = _int(body, "user_id")
        if body.get("admin", True):
            chat.admins.add(user_id)
        else:
            chat.admins.discard(user_id)
        return ok(chat_id=chat.id, admins=sorted(chat.admins))
