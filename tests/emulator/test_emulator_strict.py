"""Strictness: Telegram's error codes and descriptions for invalid calls."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from emulator import Emulator, EmulatorConfig
from tests.support.emulator import USER, png_bytes

pytestmark = pytest.mark.usefixtures("user_chat")


def bad(description: str, code: int = 400) -> dict[str, Any]:
    prefix = {400: "Bad Request: ", 403: "Forbidden: "}.get(code, "")
    return {"ok": False, "error_code": code, "description": prefix + description}


async def post(api: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    """Post the way PTB does: urlencoded, non-strings JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await api.post(method, data=data)


def keyboard(*datas: str) -> dict[str, Any]:
    return {
        "inline_keyboard": [[{"text": f"b{i}", "callback_data": d} for i, d in enumerate(datas)]]
    }


async def test_unknown_method_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("sendTelepathy", data={"chat_id": USER})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(api: httpx.AsyncClient) -> None:
    response = await post(api, "SENDMESSAGE", chat_id=USER, text="hi")
    assert response.json()["ok"] is True


async def test_tokens() -> None:
    token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    async with Emulator(EmulatorConfig(token=token)) as emu, httpx.AsyncClient() as http:
        assert (await http.get(f"{emu.root_url}/bot{token}/getMe")).json()["ok"] is True
        other = await http.get(f"{emu.root_url}/bot999:ABCDEFGHIJKLMNOPQRSTUVWXYZ/getMe")
        assert other.status_code == 401
        assert other.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        malformed = await http.get(f"{emu.root_url}/botnot-a-token/getMe")
        assert malformed.status_code == 404


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": USER}, "message text is empty"),
        ({"chat_id": USER, "text": ""}, "message text is empty"),
        ({"chat_id": USER, "text": "  \n "}, "message text is empty"),
        ({"text": "hi"}, "chat_id is empty"),
        ({"chat_id": 424242, "text": "hi"}, "chat not found"),
        ({"chat_id": "@nobody", "text": "hi"}, "chat not found"),
        ({"chat_id": USER, "text": "hi", "parse_mode": "BBCode"}, "unsupported parse_mode"),
    ],
)
async def test_send_message_rejections(
    api: httpx.AsyncClient, params: dict[str, Any], description: str
) -> None:
    response = await post(api, "sendMessage", **params)
    assert response.status_code == 400
    assert response.json() == bad(description)


async def test_text_length_counted_after_entity_parsing(api: httpx.AsyncClient) -> None:
    assert (await post(api, "sendMessage", chat_id=USER, text="x" * 4096)).status_code == 200
    too_long = await post(api, "sendMessage", chat_id=USER, text="x" * 4097)
    assert too_long.status_code == 400
    assert too_long.json() == bad("message is too long")
    wrapped = await post(
        api, "sendMessage", chat_id=USER, text=f"<b>{'x' * 4096}</b>", parse_mode="HTML"
    )
    assert wrapped.status_code == 200
    assert wrapped.json()["result"]["entities"] == [{"offset": 0, "length": 4096, "type": "bold"}]
    escaped = await post(api, "sendMessage", chat_id=USER, text="&amp;" * 4097, parse_mode="HTML")
    assert escaped.json() == bad("message is too long")
    # Emoji outside the BMP count as two UTF-16 code units.
    assert (await post(api, "sendMessage", chat_id=USER, text="😀" * 2048)).status_code == 200
    emoji = await post(api, "sendMessage", chat_id=USER, text="😀" * 2049)
    assert emoji.json() == bad("message is too long")


async def test_caption_length(api: httpx.AsyncClient) -> None:
    files = {"photo": ("p.png", png_bytes(4, 4), "image/png")}
    ok = await api.post(
        "sendPhoto", data={"chat_id": str(USER), "caption": "c" * 1024}, files=files
    )
    assert ok.status_code == 200
    long = await api.post(
        "sendPhoto", data={"chat_id": str(USER), "caption": "c" * 1025}, files=files
    )
    assert long.status_code == 400
    assert long.json() == bad("message caption is too long")


@pytest.mark.parametrize(
    ("data", "accepted"),
    [("d" * 64, True), ("d" * 65, False), ("가" * 21, True), ("가" * 22, False), ("", False)],
)
async def test_callback_data_limit_in_bytes(
    api: httpx.AsyncClient, data: str, accepted: bool
) -> None:
    response = await post(api, "sendMessage", chat_id=USER, text="k", reply_markup=keyboard(data))
    if accepted:
        assert response.status_code == 200
        assert response.json()["result"]["reply_markup"] == keyboard(data)
    else:
        assert response.json() == bad("BUTTON_DATA_INVALID")


async def test_inline_button_without_action_rejected(api: httpx.AsyncClient) -> None:
    markup = {"inline_keyboard": [[{"text": "plain"}]]}
    response = await post(api, "sendMessage", chat_id=USER, text="k", reply_markup=markup)
    assert response.json() == bad(
        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("price <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", "Can't find end of the entity starting at byte offset 4"),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<i>x</b>", 'Unmatched end tag at byte offset 4, expected "</i>", found "</b>"'),
        ("x</i>", "Unexpected end tag at byte offset 1"),
    ],
)
async def test_bad_html_rejected(api: httpx.AsyncClient, text: str, detail: str) -> None:
    response = await post(api, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    assert response.status_code == 400
    assert response.json() == bad(f"can't parse entities: {detail}")


async def test_good_html_accepted(api: httpx.AsyncClient) -> None:
    text = (
        '<b>Rice</b> <i>1 kg</i> &lt;₩&gt; <a href="https://example.org/?q=1&amp;r=2">src</a> '
        "<code>x</code> <tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote>"
    )
    response = await post(api, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    result = response.json()["result"]
    assert result["text"] == "Rice 1 kg <₩> src x s q"
    assert [e["type"] for e in result["entities"]] == [
        "bold",
        "italic",
        "text_link",
        "code",
        "spoiler",
        "expandable_blockquote",
    ]


async def test_blocked_chat_is_forbidden(api: httpx.AsyncClient, client: Any) -> None:
    await client.block(USER)
    response = await post(api, "sendMessage", chat_id=USER, text="hi")
    assert response.status_code == 403
    assert response.json() == bad("bot was blocked by the user", 403)
    await client.block(USER, blocked=False)
    assert (await post(api, "sendMessage", chat_id=USER, text="hi")).status_code == 200


async def test_edit_errors(api: httpx.AsyncClient) -> None:
    markup = keyboard("a")
    sent = (await post(api, "sendMessage", chat_id=USER, text="v1", reply_markup=markup)).json()
    message_id = sent["result"]["message_id"]
    missing = await post(api, "editMessageText", chat_id=USER, message_id=999, text="x")
    assert missing.json() == bad("message to edit not found")
    same = await post(
        api, "editMessageText", chat_id=USER, message_id=message_id, text="v1", reply_markup=markup
    )
    assert same.json() == bad(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    same_markup = await post(
        api, "editMessageReplyMarkup", chat_id=USER, message_id=message_id, reply_markup=markup
    )
    assert same_markup.json()["description"].startswith("Bad Request: message is not modified")
    # Omitting reply_markup removes the keyboard, so this is a real change.
    changed = await post(api, "editMessageText", chat_id=USER, message_id=message_id, text="v1")
    assert changed.status_code == 200
    assert "reply_markup" not in changed.json()["result"]
    caption = await post(
        api, "editMessageCaption", chat_id=USER, message_id=message_id, caption="c"
    )
    assert caption.json() == bad("there is no caption in the message to edit")
    deleted = await post(api, "deleteMessage", chat_id=USER, message_id=message_id)
    assert deleted.json() == {"ok": True, "result": True}
    again = await post(api, "deleteMessage", chat_id=USER, message_id=message_id)
    assert again.json() == bad("message to delete not found")
    gone = await post(api, "editMessageText", chat_id=USER, message_id=message_id, text="v2")
    assert gone.json() == bad("message to edit not found")


async def test_query_answers(api: httpx.AsyncClient, client: Any) -> None:
    too_old = "query is too old and response timeout expired or query ID is invalid"
    unknown = await post(api, "answerCallbackQuery", callback_query_id="12345")
    assert unknown.json() == bad(too_old)
    sent = await post(api, "sendMessage", chat_id=USER, text="k", reply_markup=keyboard("a"))
    message_id = sent.json()["result"]["message_id"]
    tap = await client.tap(USER, USER, message_id, "a")
    query_id = tap["callback_query_id"]
    long = await post(api, "answerCallbackQuery", callback_query_id=query_id, text="t" * 201)
    assert long.json() == bad("MESSAGE_TOO_LONG")
    ok = await post(api, "answerCallbackQuery", callback_query_id=query_id, text="t" * 200)
    assert ok.json() == {"ok": True, "result": True}
    twice = await post(api, "answerCallbackQuery", callback_query_id=query_id)
    assert twice.json() == bad(too_old)

    inline_id = (await client.inline(USER, "rice"))["inline_query_id"]

    def article(result_id: str) -> dict[str, Any]:
        return {
            "type": "article",
            "id": result_id,
            "title": "t",
            "input_message_content": {"message_text": "m"},
        }

    many = [article(str(i)) for i in range(51)]
    assert (
        await post(api, "answerInlineQuery", inline_query_id=inline_id, results=many)
    ).json() == bad("RESULTS_TOO_MUCH")
    long_id = [article("i" * 65)]
    assert (
        await post(api, "answerInlineQuery", inline_query_id=inline_id, results=long_id)
    ).json() == bad("RESULT_ID_INVALID")
    fine = [article(str(i)) for i in range(50)]
    assert (
        await post(api, "answerInlineQuery", inline_query_id=inline_id, results=fine)
    ).json() == {"ok": True, "result": True}


@pytest.mark.parametrize(
    ("commands", "description"),
    [
        ([{"command": "Start", "description": "go"}], "BOT_COMMAND_INVALID"),
        ([{"command": "with space", "description": "go"}], "BOT_COMMAND_INVALID"),
        ([{"command": "x" * 33, "description": "go"}], "BOT_COMMAND_INVALID"),
        ([{"command": "start", "description": ""}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": "start", "description": "d" * 257}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": f"c{i}", "description": "d"} for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ],
)
async def test_set_my_commands_rejections(
    api: httpx.AsyncClient, commands: list[dict[str, str]], description: str
) -> None:
    response = await post(api, "setMyCommands", commands=commands)
    assert response.status_code == 400
    assert response.json() == bad(description)


async def test_unimplemented_methods(api: httpx.AsyncClient) -> None:
    poll = await post(api, "sendPoll", chat_id=USER, question="q", options=["a", "b"])
    assert poll.json() == bad("method not supported by the emulator")
    missing = await post(api, "sendPoll", chat_id=USER)
    assert missing.json() == bad("question is empty")
    pin = await post(api, "pinChatMessage", chat_id=USER, message_id=1)
    assert pin.json() == {"ok": True, "result": True}


async def test_json_and_query_string_bodies(api: httpx.AsyncClient) -> None:
    as_json = await api.post(
        "sendMessage", json={"chat_id": USER, "text": "j", "reply_markup": keyboard("a")}
    )
    assert as_json.json()["result"]["reply_markup"] == keyboard("a")
    as_query = await api.get("sendMessage", params={"chat_id": str(USER), "text": "q"})
    assert as_query.json()["result"]["text"] == "q"
