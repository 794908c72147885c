"""Bot API methods about the bot itself, polling, queries, commands and chats."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from typing import Any

from yarl import URL

from emulator.core import Core, Handler, Params
from emulator.decode import Upload
from emulator.errors import bad_request, conflict
from emulator.models import Chat, QueryRecord, WebhookSettings
from emulator.validate import reply_markup

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
WEBHOOK_SET = "terminated by setWebhook request"
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_SECRET = 256
MAX_CONNECTIONS = 100
DEFAULT_CONNECTIONS = 40
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
}


async def get_me(core: Core, params: Params) -> dict[str, Any]:
    """Describe the bot user."""
    return {
        **core.bot_user.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(core: Core, params: Params) -> list[dict[str, Any]]:
    """Confirm, then return pending updates, long-polling up to `timeout` seconds."""
    state = core.state
    if state.webhook_url:
        raise conflict(WEBHOOK_ACTIVE)
    limit = params.get("limit")
    limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
    timeout = params.get("timeout")
    timeout = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else 0.0
    timeout = min(timeout, core.config.max_poll_timeout)
    _set_allowed_updates(core, params)
    offset = params.get("offset")
    state.confirm(offset if isinstance(offset, int) else None)
    # A newer poll supersedes this one, as on Telegram; wake the older one to say so.
    core.poll_generation += 1
    generation = core.poll_generation
    state.updates_changed.notify()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if core.poll_generation != generation:
            raise conflict(TERMINATED)
        if state.webhook_url:
            raise conflict(WEBHOOK_SET)
        batch = state.take_updates(limit)
        remaining = deadline - loop.time()
        if batch or remaining <= 0 or core.closing:
            return batch
        await state.updates_changed.wait(remaining)


def _set_allowed_updates(core: Core, params: Params) -> None:
    """Apply `allowed_updates` if the call gave a list (an empty one restores the default)."""
    allowed = params.get("allowed_updates")
    if isinstance(allowed, list):
        core.state.allowed_updates = frozenset(map(str, allowed)) or None


def _webhook_url(value: Any) -> str:
    """Check a webhook URL: http or https (the emulator delivers on loopback) with a host."""
    if not isinstance(value, str):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        url = URL(value.strip())
        port = url.port
    except ValueError as err:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known") from err
    if url.scheme not in ("http", "https"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if not url.host:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if port is not None and not 0 < port < 65536:
        raise bad_request("bad webhook: Wrong port number specified in the URL")
    return value.strip()


def _secret_token(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _SECRET_RE.match(value):
        raise bad_request("secret token contains unallowed characters")
    if len(value) > MAX_SECRET:
        raise bad_request("secret token is too long")
    return value


def _max_connections(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_CONNECTIONS
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("max_connections must be an integer")
    if not 1 <= value <= MAX_CONNECTIONS:
        raise bad_request(f"max_connections must be between 1 and {MAX_CONNECTIONS}")
    return value


def _ip_address(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError as err:
        raise bad_request("invalid IP address specified") from err


async def set_webhook(core: Core, params: Params) -> bool:
    """Start delivering updates by POSTing them to `url` (an empty url removes the webhook).

    Calling it again with the same URL (every replica of a bot does at start) only replaces the
    settings; its last error is kept. A new URL starts with no error reported.
    """
    raw_url = params.get("url")
    if raw_url in (None, "") or (isinstance(raw_url, str) and not raw_url.strip()):
        return await delete_webhook(core, params)
    url = _webhook_url(raw_url)
    secret = _secret_token(params.get("secret_token"))
    connections = _max_connections(params.get("max_connections"))
    ip_address = _ip_address(params.get("ip_address"))
    webhook = core.state.webhook
    if webhook.url != url:
        webhook.last_error_date = webhook.last_error_message = None
    webhook.url = url
    webhook.secret_token = secret
    webhook.max_connections = connections
    webhook.ip_address = ip_address
    webhook.has_custom_certificate = isinstance(params.get("certificate"), Upload)
    _set_allowed_updates(core, params)
    if params.get("drop_pending_updates") is True:
        core.state.updates.clear()
    # Wakes a parked getUpdates long poll too, to answer it 409 as Telegram does.
    core.webhook.ensure_running()
    return True


async def delete_webhook(core: Core, params: Params) -> bool:
    """Stop webhook delivery (requests in flight may finish) and optionally drop the updates."""
    state = core.state
    state.webhook = WebhookSettings()
    if params.get("drop_pending_updates") is True:
        state.updates.clear()
    state.updates_changed.notify()
    return True


async def get_webhook_info(core: Core, params: Params) -> dict[str, Any]:
    """Report the webhook (url, errors, limits) and how many updates are pending."""
    state = core.state
    return state.webhook.to_json(len(state.updates), state.allowed_updates_json())


async def always_true(core: Core, params: Params) -> bool:
    """Accept a call that changes nothing observable (and check its chat, if any)."""
    if params.get("chat_id") not in (None, ""):
        core.chat(params)
    return True


def _open_query(core: Core, params: Params, key: str, kind: str) -> QueryRecord:
    record = core.state.queries.get(str(params.get(key)))
    if record is None or record.kind != kind or record.answered:
        raise bad_request(QUERY_TOO_OLD)
    return record


async def answer_callback_query(core: Core, params: Params) -> bool:
    """Record the bot's answer to a callback query."""
    record = _open_query(core, params, "callback_query_id", "callback")
    text = params.get("text")
    if isinstance(text, str) and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = {
        "text": text,
        "show_alert": bool(params.get("show_alert")),
        "url": params.get("url"),
        "cache_time": params.get("cache_time", 0),
    }
    return True


def _check_inline_result(core: Core, result: Any, seen: set[str]) -> None:
    if not isinstance(result, dict):
        raise bad_request("can't parse InlineQueryResult: object expected")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= 64:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    problems = core.spec.check_object("InlineQueryResult", result, "result")
    if problems:
        raise bad_request(f"can't parse InlineQueryResult: {problems[0]}")
    content = result.get("input_message_content") or {}
    if "message_text" in content:
        core.formatted(
            content["message_text"],
            content.get("parse_mode"),
            content.get("entities"),
            caption=False,
        )
    reply_markup(result.get("reply_markup"), inline_only=True)


async def answer_inline_query(core: Core, params: Params) -> bool:
    """Validate and record the bot's results for an inline query."""
    record = _open_query(core, params, "inline_query_id", "inline")
    results = params.get("results")
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        _check_inline_result(core, result, seen)
    next_offset = params.get("next_offset")
    if isinstance(next_offset, str) and len(next_offset.encode("utf-8")) > 64:
        raise bad_request("NEXT_OFFSET_INVALID")
    record.answered = True
    record.answer = {
        "results": results,
        "cache_time": params.get("cache_time", 300),
        "is_personal": bool(params.get("is_personal")),
        "next_offset": next_offset or "",
        "button": params.get("button"),
    }
    return True


def _command_key(core: Core, params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if "chat_id" in scope:
        core.chat({"chat_id": scope["chat_id"]})
    language = params.get("language_code") or ""
    if not isinstance(language, str) or (language and not re.fullmatch(r"[a-z]{2}", language)):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


async def set_my_commands(core: Core, params: Params) -> bool:
    """Store the command list for a scope and language after Telegram's checks."""
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    clean: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = item.get("command"), item.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    key = _command_key(core, params)
    if clean:
        core.state.commands[key] = clean
    else:
        core.state.commands.pop(key, None)
    return True


async def get_my_commands(core: Core, params: Params) -> list[dict[str, str]]:
    """Return the commands stored for exactly this scope and language."""
    return core.state.commands.get(_command_key(core, params), [])


async def delete_my_commands(core: Core, params: Params) -> bool:
    """Forget the commands of a scope and language."""
    core.state.commands.pop(_command_key(core, params), None)
    return True


def _bot_text(field: str, limit: int) -> tuple[Handler, Handler]:
    async def setter(core: Core, params: Params) -> bool:
        value = params.get(field) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        core.state.bot_texts[(field, params.get("language_code") or "")] = value
        return True

    async def getter(core: Core, params: Params) -> dict[str, str]:
        key = (field, params.get("language_code") or "")
        fallback = core.bot_user.first_name if field == "name" else ""
        return {field: core.state.bot_texts.get(key, fallback)}

    return setter, getter


def _member_json(core: Core, chat: Chat, user_id: int) -> dict[str, Any]:
    user = core.bot_user if user_id == core.bot_user.id else core.state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    body: dict[str, Any] = {"user": user.to_json()}
    if chat.owner_id == user_id:
        return {"status": "creator", **body, "is_anonymous": False}
    if user_id in chat.admins:
        return {"status": "administrator", **body, **_ADMIN_RIGHTS}
    if user_id in chat.members or user is core.bot_user:
        return {"status": "member", **body}
    return {"status": "left", **body}


async def get_chat(core: Core, params: Params) -> dict[str, Any]:
    """Return the ChatFullInfo of a known chat."""
    chat = core.chat(params)
    return {
        **chat.to_json(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


async def get_chat_member(core: Core, params: Params) -> dict[str, Any]:
    """Return a user's membership in a chat."""
    chat = core.chat(params)
    user_id = params.get("user_id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise bad_request("user not found")
    return _member_json(core, chat, user_id)


async def get_chat_administrators(core: Core, params: Params) -> list[dict[str, Any]]:
    """List the owner and administrators of a group."""
    chat = core.chat(params)
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    ids = ([chat.owner_id] if chat.owner_id is not None else []) + sorted(chat.admins)
    return [_member_json(core, chat, uid) for uid in dict.fromkeys(ids)]


async def get_chat_member_count(core: Core, params: Params) -> int:
    """Count the chat's known members plus the bot."""
    chat = core.chat(params)
    return len(chat.members | {core.bot_user.id})


_set_description, _get_description = _bot_text("description", 512)
_set_short, _get_short = _bot_text("short_description", 120)
_set_name, _get_name = _bot_text("name", 64)

# Methods that change nothing a test could observe, answered with True.
HARMLESS = (
    "logOut",
    "close",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "setMessageReaction",
)

HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "answerCallbackQuery": answer_callback_query,
    "answerInlineQuery": answer_inline_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": _set_description,
    "getMyDescription": _get_description,
    "setMyShortDescription": _set_short,
    "getMyShortDescription": _get_short,
    "setMyName": _set_name,
    "getMyName": _get_name,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "getChatMemberCount": get_chat_member_count,
    **dict.fromkeys(HARMLESS, always_true),
}
