"""Round trips through python-telegram-bot: PTB must accept every answer."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from emulator import Emulator, EmulatorClient
from emulator.spec import bundled_spec
from tests.support.emulator import USER, png_bytes, wait_for

pytestmark = pytest.mark.usefixtures("user_chat")


def buttons(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in datas]])


async def test_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "jangmadang_bot" and me.id == 7000000001


async def test_send_and_edit(bot: telegram.Bot, client: EmulatorClient) -> None:
    sent = await bot.send_message(
        USER, "<b>Rice</b> 3,000 ₩", parse_mode="HTML", reply_markup=buttons("more")
    )
    assert sent.text == "Rice 3,000 ₩"
    assert sent.entities[0].type == "bold"
    assert sent.from_user.is_bot and sent.chat.id == USER
    assert sent.reply_markup == buttons("more")
    edited = await bot.edit_message_text(
        "<i>Rice</i> 3,100 ₩", chat_id=USER, message_id=sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Rice 3,100 ₩" and edited.edit_date is not None
    assert edited.reply_markup is None
    marked = await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=buttons("x"))
    assert isinstance(marked, telegram.Message) and marked.reply_markup == buttons("x")
    [listed] = await client.messages(USER)
    assert listed["text"] == "Rice 3,100 ₩" and listed["raw"] == "<i>Rice</i> 3,100 ₩"
    assert listed["html"] == listed["raw"]
    assert listed["edited"] and listed["parse_mode"] == "HTML"
    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(telegram.error.BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("late", chat_id=USER, message_id=sent.message_id)


async def test_photo_document_and_downloads(bot: telegram.Bot, client: EmulatorClient) -> None:
    image = png_bytes(64, 48)
    photo = await bot.send_photo(USER, image, caption="<b>chart</b>", parse_mode="HTML")
    [size] = photo.photo
    assert (size.width, size.height) == (64, 48)
    assert photo.caption == "chart" and photo.caption_entities[0].type == "bold"
    file = await bot.get_file(size.file_id)
    assert file.file_path and file.file_path.endswith(".png")
    assert bytes(await file.download_as_bytearray()) == image
    assert await client.file_bytes(size.file_id) == image
    again = await bot.send_photo(USER, size.file_id)
    assert again.photo[0].file_unique_id == size.file_unique_id
    recaptioned = await bot.edit_message_caption(USER, photo.message_id, caption="new")
    assert isinstance(recaptioned, telegram.Message) and recaptioned.caption == "new"

    document = await bot.send_document(
        USER, io.BytesIO(b"a,b\n1,2\n"), filename="prices.csv", caption="csv"
    )
    assert document.document.file_name == "prices.csv"
    assert document.document.mime_type == "text/csv"
    data = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(data) == b"a,b\n1,2\n"
    with pytest.raises(
        telegram.error.BadRequest, match=r"(?i)can't use file of type document as photo"
    ):
        await bot.send_photo(USER, document.document.file_id)
    kinds = [m["kind"] for m in await client.messages(USER)]
    assert kinds == ["photo", "photo", "document"]


async def test_callback_tap_and_answer(bot: telegram.Bot, client: EmulatorClient) -> None:
    sent = await bot.send_message(USER, "pick", reply_markup=buttons("a", "b"))
    tap = await client.tap(USER, USER, sent.message_id, "b")
    [update] = await bot.get_updates(offset=-1, timeout=1)
    query = update.callback_query
    assert query is not None and query.data == "b" and query.id == tap["callback_query_id"]
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await query.answer("chosen", show_alert=True) is True
    answer = await client.callback_answer(query.id)
    assert answer["answered"] and answer["answer"]["text"] == "chosen"
    assert answer["answer"]["show_alert"] is True
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)query is too old"):
        await query.answer()


async def test_inline_query_and_answer(bot: telegram.Bot, client: EmulatorClient) -> None:
    issued = await client.inline(USER, "rice")
    [update] = await bot.get_updates(offset=-1, timeout=1)
    assert update.inline_query is not None and update.inline_query.query == "rice"
    result = InlineQueryResultArticle("r1", "Rice", InputTextMessageContent("Rice: 3,000 ₩"))
    assert await update.inline_query.answer([result], cache_time=0) is True
    answer = await client.inline_answer(issued["inline_query_id"])
    assert [r["id"] for r in answer["answer"]["results"]] == ["r1"]


async def test_commands(bot: telegram.Bot, client: EmulatorClient) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("price", "Look up a price")]
    assert await bot.set_my_commands(commands) is True
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands[:1], scope=scope, language_code="ko") is True
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(scope=scope, language_code="ko") == tuple(commands[:1])
    assert await bot.get_my_commands(scope=scope) == ()
    listed = await client.commands()
    assert {s["scope"]["type"] for s in listed} == {"default", "all_private_chats"}
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_forbidden_and_retry_errors(bot: telegram.Bot, client: EmulatorClient) -> None:
    await client.block(USER)
    with pytest.raises(telegram.error.Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await bot.send_message(5555, "nobody")


async def test_group_membership(bot: telegram.Bot, client: EmulatorClient) -> None:
    group = -100200
    await client.send_text(
        2002, "hi all", chat_id=group, chat_type="supergroup", chat_title="Market"
    )
    chat = await bot.get_chat(group)
    assert chat.type == "supergroup" and chat.title == "Market"
    member = await bot.get_chat_member(group, 2002)
    assert member.status == "creator"
    await client.send_text(2003, "me too", chat_id=group)
    assert (await bot.get_chat_member(group, 2003)).status == "member"
    await client.make_admin(group, 2003)
    assert (await bot.get_chat_member(group, 2003)).status == "administrator"
    admins = await bot.get_chat_administrators(group)
    assert [a.user.id for a in admins] == [2002, 2003]
    assert (await bot.get_chat_member(group, USER)).status == "left"


async def test_answers_conform_to_the_spec(emulator: Emulator, client: EmulatorClient) -> None:
    """Every object the emulator returns has the fields and types the spec requires."""
    spec = bundled_spec()
    await client.send_text(2002, "hi", chat_id=-5, chat_title="G")
    base = f"{emulator.root_url}/bot{emulator.token}/"
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    async with httpx.AsyncClient(base_url=base) as http:

        async def result(method: str, **params: Any) -> Any:
            body = (await http.post(method, json=params)).json()
            assert body["ok"], body
            return body["result"]

        message = await result(
            "sendMessage", chat_id=USER, text="<b>x</b>", parse_mode="HTML", reply_markup=markup
        )
        photo = await http.post(
            "sendPhoto",
            data={"chat_id": str(USER)},
            files={"photo": ("p.png", png_bytes(2, 2), "image/png")},
        )
        await client.tap(USER, USER, message["message_id"], "a")
        await client.inline(USER, "q")
        checks: list[tuple[str, Any]] = [
            ("User", await result("getMe")),
            ("Message", message),
            ("Message", photo.json()["result"]),
            (
                "File",
                await result("getFile", file_id=photo.json()["result"]["photo"][0]["file_id"]),
            ),
            ("ChatFullInfo", await result("getChat", chat_id=USER)),
            ("ChatMember", await result("getChatMember", chat_id=-5, user_id=2002)),
            ("WebhookInfo", await result("getWebhookInfo")),
            ("Array of Update", await result("getUpdates")),
        ]
    for type_name, value in checks:
        assert spec.check_object(type_name, value) == [], type_name


async def test_application_polling_end_to_end(emulator: Emulator, client: EmulatorClient) -> None:
    """A real PTB Application polls the emulator, replies, and edits on a button tap."""

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome", reply_markup=buttons("go"))
        await update.effective_message.reply_text("Second line")

    async def tapped(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("Gone")

    app = (
        Application.builder()
        .token(emulator.token)
        .base_url(f"{emulator.root_url}/bot")
        .base_file_url(f"{emulator.root_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(tapped))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            replies = await client.reply_to(USER, "/start", timeout=5, quiet=0.3)
            assert [m["text"] for m in replies] == ["Welcome", "Second line"]
            tap = await client.tap(USER, USER, replies[0]["message_id"], "go")
            edited = await client.collect(USER, tap["seq"], timeout=5, quiet=0.2)
            assert [(m["text"], m["edited"]) for m in edited] == [("Gone", True)]

            async def answered() -> bool:
                return bool((await client.callback_answer(tap["callback_query_id"]))["answered"])

            await wait_for(answered, what="the callback query to be answered")
        finally:
            await app.updater.stop()
            await app.stop()


async def test_replies_and_usernames(bot: telegram.Bot, client: EmulatorClient) -> None:
    reply = await bot.send_message(USER, "re", reply_to_message_id=1)
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "hello"
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "re", reply_to_message_id=404)
    loose = await bot.send_message(
        USER, "re", reply_to_message_id=404, allow_sending_without_reply=True
    )
    assert loose.reply_to_message is None
    await client.send_text(
        2002, "hi", chat_id=-1009, chat_type="channel", chat_title="News", chat_username="news"
    )
    post = await bot.send_message("@news", "headline")
    assert post.chat.id == -1009 and post.sender_chat is not None
    with pytest.raises(telegram.error.BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@nobody", "x")
