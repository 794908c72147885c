"""Checks Telegram applies to message text, captions and keyboards."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.html import EntityParseError, ParsedText, parse_html, utf16_length

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def formatted(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool, strict_entities: bool = True
) -> ParsedText:
    """Parse text or a caption and enforce its length after entity parsing."""
    raw = "" if text is None else text if isinstance(text, str) else str(text)
    mode = parse_mode.lower() if isinstance(parse_mode, str) else ""
    if isinstance(entities, list) and entities:
        if not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        parsed = ParsedText(raw, entities, utf16_length(raw))
    elif mode == "html":
        try:
            parsed = parse_html(raw, strict_entities=strict_entities)
        except EntityParseError as err:
            raise bad_request(f"can't parse entities: {err.detail}") from err
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is passed through unchecked; the bot formats with HTML.
        parsed = ParsedText(raw, [], utf16_length(raw))
    else:
        raise bad_request("unsupported parse_mode")
    if caption:
        if parsed.utf16_length > MAX_CAPTION:
            raise bad_request("message caption is too long")
    else:
        if not parsed.text.strip():
            raise bad_request("message text is empty")
        if parsed.utf16_length > MAX_TEXT:
            raise bad_request("message is too long")
    return parsed


def reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a reply_markup parameter and return it as a dict (None when absent)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not _is_rows(rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, str | dict) or (
                    isinstance(button, dict) and not isinstance(button.get("text"), str)
                ):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _is_rows(rows: Any) -> bool:
    return isinstance(rows, list) and all(isinstance(row, list) for row in rows)


def _inline_keyboard(rows: Any) -> None:
    if not _is_rows(rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            _inline_button(button)


def _inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton should be an Object")
    if not isinstance(button.get("text"), str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not _url_ok(button["url"]):
        raise bad_request(
            f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
        )


def _url_ok(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(ch.isspace() for ch in url):
        return False
    if "://" in url:
        return url.split("://", 1)[0].lower() in ("http", "https", "tg", "ton")
    # Telegram adds http:// to scheme-less links such as "t.me/x".
    return "." in url.split("/", 1)[0]
