"""Editors at work through the emulator: entries, confirmations, corrections, files, rights."""

from __future__ import annotations

import pytest

from tests.support.bot import buttons, press
from tests.support.settings import ADMIN_ID

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID  # in ADMIN_IDS of the test settings
USER = 4343


async def say(chat, user, text, quiet=1.2, **kw):
    return await chat.reply_to(user, text, timeout=20, quiet=quiet, **kw)


def text_of(messages):
    return "\n".join((m.get("text") or m.get("caption") or "") for m in messages)


async def tap(chat, user, message, label_part):
    """Press a button; return the bot messages its reply changed or sent."""
    return (await press(chat, user, message, label_part)).messages


async def test_non_admins_and_group_chats_are_refused(chat, caplog):
    assert "for the bot's editors" in text_of(
        await say(chat, USER, "/addprice rice hyesan 5000 KPW/kg source:x")
    )
    group = await chat.reply_to(
        OWNER, "/mine", timeout=20, quiet=1.2, chat_id=-100123, chat_type="group", chat_title="G"
    )
    assert "private chat" in text_of(group)
    assert "Refused" in caplog.text


async def test_one_line_entry_preview_confirm_then_answered_and_undone(chat):
    line = '/addprice lingzhi hyesan 600-1300 CNY/kg 2026-11 grade:"good quality" source:"Daily NK" url:https://example.org/x rel:B2'
    [preview] = await say(chat, OWNER, line)
    assert "Check and confirm" in preview["text"] and "600-1,300 CNY/kg" in preview["text"]
    saved = await tap(chat, OWNER, preview, "Confirm")
    assert "Saved as #" in text_of(saved)
    answer = text_of(await say(chat, USER, "/price lingzhi hyesan"))
    assert "600-1,300 CNY/kg" in answer and "good quality" in answer
    assert "600-1300" in text_of(await say(chat, OWNER, "/mine"))
    assert "Undone" in text_of(await say(chat, OWNER, "/undo"))
    assert "600-1,300" not in text_of(await say(chat, USER, "/price lingzhi hyesan"))
    audit = text_of(await say(chat, OWNER, "/audit"))
    assert "create" in audit and "undo" in audit


async def test_cancel_writes_nothing_and_bad_input_is_explained(chat):
    [preview] = await say(
        chat, OWNER, '/addprice rice hyesan 7000 KPW/kg 2026-10 source:"Daily NK"'
    )
    assert "Nothing" not in preview["text"]
    cancelled = await tap(chat, OWNER, preview, "Cancel")
    assert "nothing was saved" in text_of(cancelled)
    assert "7,000" not in text_of(await say(chat, USER, "rice hyesan"))
    assert "backwards" in text_of(
        await say(chat, OWNER, '/addprice rice hyesan 1200-500 KPW/kg source:"Daily NK"')
    )
    assert "future" in text_of(
        await say(chat, OWNER, '/addprice rice hyesan 7000 KPW/kg 2099-01 source:"Daily NK"')
    )
    assert (
        "currency"
        in text_of(
            await say(chat, OWNER, '/addprice rice hyesan 7000 XYZ/kg source:"Daily NK"')
        ).lower()
    )


async def test_unknown_name_can_be_created(chat):
    [question] = await say(
        chat, OWNER, '/addprice zzquince hyesan 3000 KPW/kg 2026-11 source:"RFA"'
    )
    assert "New commodity" in " ".join(b["text"] for b in buttons(question))
    [preview] = await tap(chat, OWNER, question, "New commodity")
    assert "Check and confirm" in preview["text"]
    await tap(chat, OWNER, preview, "Confirm")
    assert "3,000 KPW/kg" in text_of(await say(chat, USER, "/price zzquince"))


async def test_guided_price_form(chat):
    [first] = await say(chat, OWNER, "/addprice")
    assert "1/" in first["text"] and "/cancel" in first["text"]
    await say(chat, OWNER, "corn")
    await say(chat, OWNER, "sinuiju")
    await say(chat, OWNER, "3500")
    await say(chat, OWNER, "KPW/kg")
    await say(chat, OWNER, "2026-11-20")
    [step] = await say(chat, OWNER, "Daily NK")
    while "Check and confirm" not in step["text"]:
        [step] = await tap(chat, OWNER, step, "Skip")
    await tap(chat, OWNER, step, "Confirm")
    assert "3,500 KPW/kg" in text_of(await say(chat, USER, "corn sinuiju"))


async def test_guided_form_can_be_cancelled(chat):
    await say(chat, OWNER, "/addreport")
    assert "Cancelled" in text_of(await say(chat, OWNER, "/cancel"))
    # After cancelling, plain text is a question again.
    assert "Observed" in text_of(await say(chat, OWNER, "lingzhi"))


async def test_guided_report_form(chat):
    await say(chat, OWNER, "/addreport")
    await say(chat, OWNER, "hyesan")
    [topics] = await say(chat, OWNER, "2026-11")
    [topics] = await tap(chat, OWNER, topics, "enforcement")
    [step] = await tap(chat, OWNER, topics, "Done")
    for _ in range(4):  # direction, channel, border, market activity
        [step] = await tap(chat, OWNER, step, "Skip")
    await say(chat, OWNER, "lingzhi, dried leech")
    await say(
        chat, OWNER, "Inspections at the Hyesan crossing tightened; smugglers paused shipments."
    )
    [step] = await say(chat, OWNER, "Daily NK")
    while "Check and confirm" not in step["text"]:
        [step] = await tap(chat, OWNER, step, "Skip")
    await tap(chat, OWNER, step, "Confirm")
    assert "Inspections at the Hyesan crossing" in text_of(
        await say(chat, USER, "/conditions hyesan")
    )


async def test_grant_and_revoke(chat):
    assert "now an admin" in text_of(await say(chat, OWNER, f"/grant {USER}"))
    await say(chat, USER, "/start")  # the editor's menu is set once their chat exists
    [preview] = await say(chat, USER, '/addprice rice hyesan 7100 KPW/kg 2026-11 source:"Daily NK"')
    assert "Check and confirm" in preview["text"]
    scopes = await chat.commands()
    assert any(str(USER) in str(scope) and "addprice" in str(scope) for scope in scopes)
    assert "no longer an admin" in text_of(await say(chat, OWNER, f"/revoke {USER}"))
    assert "for the bot's editors" in text_of(await say(chat, USER, "/mine"))
    assert "Only owners" in text_of(await say(chat, USER, "/grant 1")) or "editors" in text_of(
        await say(chat, USER, "/grant 1")
    )


async def upload_result(chat, name: str, csv: str, expect: str) -> str:
    """Upload a CSV as the owner and return the replies once one contains `expect`.

    Progress edits use up the chat's pace (about one message a second), so the result can follow
    the last edit by more than a quiet spell: it is awaited by its content.
    """
    sent = await chat.upload(OWNER, name, csv.encode(), "text/csv")
    text = ""
    for _ in range(10):
        text = text_of(await chat.collect(sent["chat_id"], sent["seq"], timeout=5, quiet=1.5))
        if expect in text:
            break
    return text


async def test_csv_upload_import_and_export(chat):
    good = (
        "date,market,commodity,unit,currency,price,source\n"
        "2026-11-01,hyesan,rice,kg,KPW,9100,Daily NK\n"
        "2026-11,sinuiju,corn,kg,KPW,3000-3200,Daily NK\n"
    )
    assert "2 added" in await upload_result(chat, "prices.csv", good, "added")
    bad = "date,market,commodity,unit,currency,price,source\n2099-01-01,hyesan,rice,kg,KPW,9100,X\n2026-01,nowhere,rice,kg,KPW,-5,X\n"
    text = await upload_result(chat, "bad.csv", bad, "nothing was written")
    assert "nothing was written" in text and "line 2" in text and "line 3" in text
    export = await say(chat, OWNER, "/export rice hyesan")
    document = next(m for m in export if m["kind"] == "document")
    data = await chat.file_bytes(document["file_id"])
    assert data.startswith(b"date,") and b"9100" in data


async def test_edit_and_delete_with_audit(chat):
    [preview] = await say(
        chat, OWNER, '/addprice pork hyesan 15000 KPW/kg 2026-11 source:"Daily NK"'
    )
    saved = text_of(await tap(chat, OWNER, preview, "Confirm"))
    ident = saved.split("#")[1].split(".")[0]
    assert "Updated" in text_of(await say(chat, OWNER, f"/edit {ident} price 16000"))
    assert "16,000 KPW/kg" in text_of(await say(chat, USER, "pork hyesan"))
    assert "Deleted" in text_of(await say(chat, OWNER, f"/delete {ident}"))
    assert "16,000" not in text_of(await say(chat, USER, "pork hyesan"))
    audit = text_of(await say(chat, OWNER, "/audit"))
    assert "update" in audit and "delete" in audit
