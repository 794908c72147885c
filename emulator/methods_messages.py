"""Bot API methods that send, edit and delete messages and serve files."""

from __future__ import annotations

from typing import Any

from emulator.core import MAX_DOWNLOAD, Core, Handler, Params
from emulator.errors import bad_request
from emulator.models import StoredMessage
from emulator.validate import reply_markup

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and markup.get("inline_keyboard") else None


def _mode(params: Params) -> str | None:
    mode = params.get("parse_mode")
    return mode if isinstance(mode, str) and mode else None


async def send_message(core: Core, params: Params) -> dict[str, Any]:
    """Post a text message."""
    chat = core.chat(params, sending=True)
    parsed = core.formatted(
        params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
    )
    markup = reply_markup(params.get("reply_markup"))
    reply_to = core.reply_target(chat, params)
    core.acquire("sendMessage", chat)
    message = core.state.add_message(
        chat,
        core.bot_user.id,
        "text",
        text=parsed.text,
        entities=parsed.entities,
        raw_text=params.get("text"),
        parse_mode=_mode(params),
        reply_markup=markup,
        reply_to=reply_to,
    )
    return core.state.message_json(message)


async def _send_file(core: Core, params: Params, kind: str, method: str) -> dict[str, Any]:
    chat = core.chat(params, sending=True)
    caption = params.get("caption")
    parsed = core.formatted(
        caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    markup = reply_markup(params.get("reply_markup"))
    reply_to = core.reply_target(chat, params)
    stored = core.input_file(params.get(kind), kind, params)
    core.acquire(method, chat)
    message = core.state.add_message(
        chat,
        core.bot_user.id,
        kind,
        text=parsed.text or None,
        entities=parsed.entities,
        raw_text=caption if isinstance(caption, str) and caption else None,
        parse_mode=_mode(params),
        reply_markup=markup,
        reply_to=reply_to,
        file_id=stored.file_id,
    )
    return core.state.message_json(message)


async def send_photo(core: Core, params: Params) -> dict[str, Any]:
    """Post a photo from an upload, file_id or URL."""
    return await _send_file(core, params, "photo", "sendPhoto")


async def send_document(core: Core, params: Params) -> dict[str, Any]:
    """Post a document from an upload, file_id or URL."""
    return await _send_file(core, params, "document", "sendDocument")


def _commit_edit(core: Core, message: StoredMessage) -> dict[str, Any]:
    message.edit_date = max(int(core.state.clock.wall()), message.date)
    core.state.touch(message)
    return core.state.message_json(message)


async def edit_message_text(core: Core, params: Params) -> dict[str, Any]:
    """Replace the text (and keyboard) of a bot text message."""
    chat, message = core.bot_message(params, action="edit")
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    parsed = core.formatted(
        params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
    )
    markup = reply_markup(params.get("reply_markup"), inline_only=True)
    if (
        parsed.text == message.text
        and parsed.entities == message.entities
        and _inline(markup) == message.inline_markup()
    ):
        raise bad_request(NOT_MODIFIED)
    core.acquire("editMessageText", chat)
    message.text, message.entities = parsed.text, parsed.entities
    message.raw_text, message.parse_mode = params.get("text"), _mode(params)
    message.reply_markup = _inline(markup)
    return _commit_edit(core, message)


async def edit_message_caption(core: Core, params: Params) -> dict[str, Any]:
    """Replace the caption (and keyboard) of a bot media message."""
    chat, message = core.bot_message(params, action="edit")
    if message.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    caption = params.get("caption")
    parsed = core.formatted(
        caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    markup = reply_markup(params.get("reply_markup"), inline_only=True)
    if (
        (parsed.text or None) == message.text
        and parsed.entities == message.entities
        and _inline(markup) == message.inline_markup()
    ):
        raise bad_request(NOT_MODIFIED)
    core.acquire("editMessageCaption", chat)
    message.text, message.entities = parsed.text or None, parsed.entities
    message.raw_text = caption if isinstance(caption, str) and caption else None
    message.parse_mode = _mode(params)
    message.reply_markup = _inline(markup)
    return _commit_edit(core, message)


async def edit_message_reply_markup(core: Core, params: Params) -> dict[str, Any]:
    """Replace or remove the inline keyboard of a bot message."""
    chat, message = core.bot_message(params, action="edit")
    markup = reply_markup(params.get("reply_markup"), inline_only=True)
    if _inline(markup) == message.inline_markup():
        raise bad_request(NOT_MODIFIED)
    core.acquire("editMessageReplyMarkup", chat)
    message.reply_markup = _inline(markup)
    return _commit_edit(core, message)


async def delete_message(core: Core, params: Params) -> bool:
    """Delete a message; in groups only the bot's own unless the bot is an admin."""
    chat = core.chat(params)
    message_id = params.get("message_id")
    message = None
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message = core.state.get_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    if not (message.from_bot or chat.is_private or core.bot_user.id in chat.admins):
        raise bad_request("message can't be deleted")
    message.deleted = True
    if message.from_bot:
        core.state.touch(message)
    return True


async def send_chat_action(core: Core, params: Params) -> bool:
    """Accept a typing/uploading indicator for a chat."""
    core.chat(params, sending=True)
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


async def get_file(core: Core, params: Params) -> dict[str, Any]:
    """Return the File object with the download path of a stored file."""
    stored = core.state.files.get(str(params.get("file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return stored.file_json()


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "getFile": get_file,
}
