"""The Telegram Bot API emulator, checked on the wire and with python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox.telegram import (
    EmulatorTimeout,
    FloodLimits,
    ManualClock,
    TelegramEmulator,
)

Reply = tuple[int, dict[str, Any]]


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(flood=FloodLimits(enabled=False))
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def api(
    http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any
) -> Reply:
    """One Bot API call as a JSON POST; the HTTP status and the decoded body."""
    url = f"{emu.api_root}/bot{emu.token}/{method}"
    async with http.post(url, json=params) as response:
        return response.status, await response.json()


async def ok(http: aiohttp.ClientSession, emu: TelegramEmulator, method: str, **params: Any) -> Any:
    status, body = await api(http, emu, method, **params)
    assert status == 200 and body["ok"] is True, body
    return body["result"]


def keyboard(*data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d.upper(), "callback_data": d} for d in data]]}


# -- envelope, routing, authentication -------------------------------------------------------


async def test_get_me_over_get_and_case_insensitive_names(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.api_root}/bot{emu.token}/GETME") as response:
        body = await response.json()
    assert response.status == 200
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "sarraf_bot"
    assert body["result"]["can_read_all_group_messages"] is False
    assert emu.requests[-1].method == "getMe"


async def test_bad_token_is_401_and_unknown_method_is_404(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{emu.api_root}/bot999:WRONG/getMe", json={}) as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    status, body = await api(http, emu, "sendTelepathy", chat_id=1)
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with http.get(f"{emu.api_root}/file/bot999:WRONG/photos/x.jpg") as response:
        assert response.status == 401


async def test_form_encoded_values_with_json_nested_fields(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    form = {
        "chat_id": str(user.id),
        "text": "pick",
        "disable_notification": "true",
        "reply_markup": json.dumps(keyboard("a", "b")),
    }
    url = f"{emu.api_root}/bot{emu.token}/sendMessage"
    async with http.post(url, data=form) as response:
        body = await response.json()
    assert body["ok"], body
    assert body["result"]["reply_markup"] == keyboard("a", "b")
    seen = emu.last_bot_message(user.id)
    assert seen is not None
    assert seen["disable_notification"] is True
    assert emu.requests[-1].params["chat_id"] == user.id
    assert emu.requests[-1].params["reply_markup"] == keyboard("a", "b")


# -- getUpdates ------------------------------------------------------------------------------


async def test_offset_confirms_and_negative_offset_keeps_the_tail(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali")
    for text in ("one", "two", "three", "four"):
        await emu.send_text(user.id, text)

    updates = await ok(http, emu, "getUpdates")
    assert [u["message"]["text"] for u in updates] == ["one", "two", "three", "four"]
    assert await ok(http, emu, "getUpdates") == updates, "returning does not consume"

    second = updates[1]["update_id"]
    remaining = await ok(http, emu, "getUpdates", offset=second + 1)
    assert [u["message"]["text"] for u in remaining] == ["three", "four"]

    tail = await ok(http, emu, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in tail] == ["four"]
    assert [u["message"]["text"] for u in await ok(http, emu, "getUpdates")] == ["four"]

    limited = await ok(http, emu, "getUpdates", limit=1)
    assert len(limited) == 1


async def test_long_poll_returns_as_soon_as_a_message_arrives(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali")
    poll = asyncio.create_task(api(http, emu, "getUpdates", timeout=10))
    await emu.wait_for_request("getUpdates")
    started = time.monotonic()
    await emu.send_text(user.id, "wake up")
    status, body = await asyncio.wait_for(poll, timeout=3)
    assert time.monotonic() - started < 3
    assert status == 200
    assert [u["message"]["text"] for u in body["result"]] == ["wake up"]


async def test_a_second_poller_ends_the_first_with_409(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(api(http, emu, "getUpdates", timeout=10))
    await emu.wait_for_request("getUpdates")
    second = asyncio.create_task(api(http, emu, "getUpdates", timeout=0))
    status, body = await asyncio.wait_for(first, timeout=3)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await asyncio.wait_for(second, timeout=3))[0] == 200


async def test_allowed_updates_filter_new_updates_and_are_remembered(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    sent = await ok(
        http, emu, "sendMessage", chat_id=user.id, text="hi", reply_markup=keyboard("x")
    )
    await ok(http, emu, "getUpdates", allowed_updates=["callback_query"])

    await emu.send_text(user.id, "ignored by the filter")
    query_id = await emu.press_button(user.id, user.id, sent["message_id"], "x")
    updates = await ok(http, emu, "getUpdates")
    assert [list(u) for u in updates] == [["update_id", "callback_query"]]
    assert updates[0]["callback_query"]["id"] == query_id
    assert updates[0]["callback_query"]["data"] == "x"

    await ok(http, emu, "getUpdates", allowed_updates=[], offset=updates[-1]["update_id"] + 1)
    await emu.send_text(user.id, "visible again")
    texts = [u["message"]["text"] for u in await ok(http, emu, "getUpdates") if "message" in u]
    assert texts == ["visible again"]


async def test_commands_carry_bot_command_entities_in_utf16(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali")
    await emu.send_text(user.id, "😀 /price@sarraf_bot BTC")
    await emu.send_text(user.id, "/start")
    first, second = [u["message"] for u in await ok(http, emu, "getUpdates")]
    assert first["entities"] == [{"offset": 3, "length": 17, "type": "bot_command"}]
    assert second["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]
    assert first["from"]["language_code"] == "en"


# -- flood control ---------------------------------------------------------------------------


async def flooded_emulator(clock: ManualClock) -> TelegramEmulator:
    emulator = TelegramEmulator(flood=FloodLimits(), clock=clock)
    await emulator.start()
    return emulator


async def test_private_chat_burst_then_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    emu = await flooded_emulator(clock)
    try:
        user = emu.add_user(1001, "Ali", started=True)
        for part in range(3):
            await ok(http, emu, "sendMessage", chat_id=user.id, text=f"part {part}")
        status, body = await api(http, emu, "sendMessage", chat_id=user.id, text="too fast")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        clock.advance(1)
        await ok(http, emu, "sendMessage", chat_id=user.id, text="after waiting")
        assert [m["text"] for m in emu.transcript(user.id)][-1] == "after waiting"
        assert len(emu.transcript(user.id)) == 4, "the refused message was not delivered"
    finally:
        await emu.stop()


async def test_group_allows_20_messages_a_minute(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    emu = await flooded_emulator(clock)
    try:
        emu.add_user(1001, "Ali")
        group = emu.add_group("Traders", members=[1001])
        for index in range(20):
            await ok(http, emu, "sendMessage", chat_id=group.id, text=f"tick {index}")
            clock.advance(1)
        status, body = await api(http, emu, "sendMessage", chat_id=group.id, text="one more")
        assert status == 429
        assert body["parameters"]["retry_after"] == 40
        clock.advance(40)
        await ok(http, emu, "sendMessage", chat_id=group.id, text="one more")
    finally:
        await emu.stop()


async def test_bot_wide_limit_of_30_messages_a_second(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    emu = await flooded_emulator(clock)
    try:
        users = [emu.add_user(2000 + n, f"U{n}", started=True) for n in range(31)]
        for user in users[:30]:
            await ok(http, emu, "sendMessage", chat_id=user.id, text="broadcast")
        status, body = await api(http, emu, "sendMessage", chat_id=users[30].id, text="broadcast")
        assert status == 429
        assert body["parameters"]["retry_after"] == 1
        clock.advance(1)
        await ok(http, emu, "sendMessage", chat_id=users[30].id, text="broadcast")
    finally:
        await emu.stop()


async def test_edits_use_the_chat_bucket_and_flood_can_be_switched_off(
    http: aiohttp.ClientSession,
) -> None:
    clock = ManualClock()
    emu = await flooded_emulator(clock)
    try:
        user = emu.add_user(1001, "Ali", started=True)
        sent = await ok(http, emu, "sendMessage", chat_id=user.id, text="v0")
        for version in (1, 2):
            await ok(
                http,
                emu,
                "editMessageText",
                chat_id=user.id,
                message_id=sent["message_id"],
                text=f"v{version}",
            )
        status, _ = await api(
            http, emu, "editMessageText", chat_id=user.id, message_id=sent["message_id"], text="v3"
        )
        assert status == 429
        emu.flood.enabled = False
        for index in range(10):
            await ok(http, emu, "sendMessage", chat_id=user.id, text=f"burst {index}")
    finally:
        await emu.stop()


# -- files -----------------------------------------------------------------------------------


async def test_multipart_photo_then_get_file_then_identical_download(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    image = png(400, 300)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("caption", "<b>chart</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("photo", image, filename="chart.png", content_type="image/png")
    async with http.post(f"{emu.api_root}/bot{emu.token}/sendPhoto", data=form) as response:
        body = await response.json()
    assert body["ok"], body
    sizes = body["result"]["photo"]
    assert (sizes[-1]["width"], sizes[-1]["height"]) == (400, 300)
    assert sizes[0]["width"] == 90, "the smallest thumbnail comes first"
    assert body["result"]["caption"] == "chart"
    assert body["result"]["caption_entities"] == [{"offset": 0, "length": 5, "type": "bold"}]
    assert emu.requests[-1].params["photo"] == {
        "upload": "chart.png",
        "size": len(image),
        "content_type": "image/png",
    }

    file = await ok(http, emu, "getFile", file_id=sizes[-1]["file_id"])
    async with http.get(f"{emu.api_root}/file/bot{emu.token}/{file['file_path']}") as response:
        assert response.status == 200
        assert await response.read() == image

    again = await ok(http, emu, "sendPhoto", chat_id=user.id, photo=sizes[-1]["file_id"])
    assert again["photo"][-1]["file_unique_id"] == sizes[-1]["file_unique_id"]


async def test_media_errors(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("photo", b"not an image", filename="x.png")
    async with http.post(f"{emu.api_root}/bot{emu.token}/sendPhoto", data=form) as response:
        assert (await response.json())["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    status, body = await api(http, emu, "sendPhoto", chat_id=user.id, photo="nonsense")
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )
    status, body = await api(http, emu, "sendDocument", chat_id=user.id)
    assert body["description"] == "Bad Request: there is no document in the request"
    status, body = await api(http, emu, "getFile", file_id="nonsense")
    assert body["description"] == "Bad Request: invalid file_id"


# -- sendMessage errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": 424242, "text": "hi"}, "Bad Request: chat not found"),
        ({"chat_id": "@nobody_here", "text": "hi"}, "Bad Request: chat not found"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"text": "<b>price", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b",
        ),
        (
            {"text": "a<br>b", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1',
        ),
        (
            {"text": "BTC < 100", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 4',
        ),
        (
            {"text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
            'expected "</b>", found "</i>"',
        ),
        (
            {"text": "BTC 1.5", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
        ),
        (
            {"text": "hi", "reply_markup": keyboard("x" * 65)},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ({"text": "hi", "parse_mode": "BBCode"}, "Bad Request: unsupported parse_mode"),
        (
            {"text": "hi", "reply_to_message_id": 999},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_send_message_errors(
    emu: TelegramEmulator, http: aiohttp.ClientSession, params: dict[str, Any], description: str
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    params.setdefault("chat_id", user.id)
    status, body = await api(http, emu, "sendMessage", **params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert emu.transcript(user.id) == []


async def test_formatting_that_telegram_accepts(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    html = await ok(
        http,
        emu,
        "sendMessage",
        chat_id=user.id,
        text='<b>BTC</b> &lt;up&gt; <a href="https://example.com">chart</a>',
        parse_mode="HTML",
    )
    assert html["text"] == "BTC <up> chart"
    assert html["entities"] == [
        {"offset": 0, "length": 3, "type": "bold"},
        {"offset": 9, "length": 5, "type": "text_link", "url": "https://example.com"},
    ]
    md = await ok(
        http, emu, "sendMessage", chat_id=user.id, text="*BTC* 1\\.5 ||x||", parse_mode="MarkdownV2"
    )
    assert md["text"] == "BTC 1.5 x"
    assert [e["type"] for e in md["entities"]] == ["bold", "spoiler"]


async def test_bot_cannot_start_a_conversation(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali")
    status, body = await api(http, emu, "sendMessage", chat_id=user.id, text="hello?")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await emu.send_text(user.id, "/start")
    await ok(http, emu, "sendMessage", chat_id=user.id, text="hello!")


# -- edits, deletions and the transcript -----------------------------------------------------


async def test_edit_and_delete_are_reflected_in_the_transcript(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    await emu.send_text(user.id, "/price")
    sent = await ok(
        http, emu, "sendMessage", chat_id=user.id, text="BTC: …", reply_markup=keyboard("r")
    )
    message_id = sent["message_id"]

    edited = await ok(
        http, emu, "editMessageText", chat_id=user.id, message_id=message_id, text="BTC: 1"
    )
    assert "edit_date" in edited
    assert "reply_markup" not in edited, "editMessageText without markup drops the keyboard"
    status, body = await api(
        http, emu, "editMessageText", chat_id=user.id, message_id=message_id, text="BTC: 1"
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified:")

    await ok(
        http,
        emu,
        "editMessageReplyMarkup",
        chat_id=user.id,
        message_id=message_id,
        reply_markup=keyboard("r"),
    )
    status, body = await api(
        http, emu, "editMessageCaption", chat_id=user.id, message_id=message_id, caption="c"
    )
    assert body["description"] == "Bad Request: there is no caption in the message to edit"

    await ok(http, emu, "deleteMessage", chat_id=user.id, message_id=message_id)
    status, body = await api(http, emu, "deleteMessage", chat_id=user.id, message_id=message_id)
    assert body["description"] == "Bad Request: message to delete not found"
    status, body = await api(
        http, emu, "editMessageText", chat_id=user.id, message_id=message_id, text="late"
    )
    assert body["description"] == "Bad Request: message to edit not found"

    user_line, bot_line = emu.transcript(user.id)
    assert (user_line["text"], user_line["from_bot"]) == ("/price", False)
    assert bot_line["text"] == "BTC: 1"
    assert bot_line["from_bot"] is True
    assert bot_line["deleted"] is True
    assert [v["text"] for v in bot_line["edit_history"]] == ["BTC: …", "BTC: 1"]
    assert emu.last_bot_message(user.id) is None


async def test_group_deletion_needs_rights(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user(1001, "Ali")
    group = emu.add_group("Traders", admins=[1001])
    said = await emu.send_text(1001, "/help", chat_id=group.id)
    status, body = await api(
        http, emu, "deleteMessage", chat_id=group.id, message_id=said["message_id"]
    )
    assert (status, body["description"]) == (400, "Bad Request: message can't be deleted")
    emu.set_bot_rights(group.id, can_delete_messages=True)
    await ok(http, emu, "deleteMessage", chat_id=group.id, message_id=said["message_id"])
    assert emu.transcript(group.id)[-1]["deleted"] is True


async def test_copy_forward_and_pin(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    group = emu.add_group("Traders", admins=[1001])
    note = await ok(
        http, emu, "sendMessage", chat_id=user.id, text="<i>note</i>", parse_mode="HTML"
    )
    forwarded = await ok(
        http,
        emu,
        "forwardMessage",
        chat_id=group.id,
        from_chat_id=user.id,
        message_id=note["message_id"],
    )
    assert forwarded["forward_origin"]["type"] == "user"
    assert forwarded["forward_origin"]["sender_user"]["id"] == emu.bot_user.id
    assert forwarded["entities"] == note["entities"]
    copied = await ok(
        http,
        emu,
        "copyMessage",
        chat_id=group.id,
        from_chat_id=user.id,
        message_id=note["message_id"],
    )
    assert list(copied) == ["message_id"]
    copy_line = emu.transcript(group.id)[-1]
    assert copy_line["text"] == "note"
    assert "forward_origin" not in copy_line

    status, body = await api(
        http, emu, "pinChatMessage", chat_id=group.id, message_id=copied["message_id"]
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: not enough rights to manage pinned messages in the chat",
    )
    await ok(http, emu, "pinChatMessage", chat_id=user.id, message_id=note["message_id"])
    chat = await ok(http, emu, "getChat", chat_id=user.id)
    assert chat["pinned_message"]["message_id"] == note["message_id"]
    assert emu.transcript(user.id)[-1]["pinned"] is True
    await ok(http, emu, "unpinChatMessage", chat_id=user.id)
    assert "pinned_message" not in await ok(http, emu, "getChat", chat_id=user.id)


async def test_user_edits_and_membership_updates(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user(1001, "Ali")
    emu.add_user(1002, "Sara")
    group = emu.add_group("Traders", admins=[1001], bot_rights={"can_delete_messages": True})
    allowed = ["message", "edited_message", "chat_member"]
    (joined,) = await ok(http, emu, "getUpdates", allowed_updates=allowed)
    assert "my_chat_member" in joined, "queued before the filter changed, so still delivered"
    said = await emu.send_text(1001, "buy 1 BTC", chat_id=group.id)
    await emu.edit_text(1001, group.id, said["message_id"], "buy 2 BTC")
    emu.join_chat(1002, group.id)
    updates = await ok(http, emu, "getUpdates", offset=joined["update_id"] + 1)
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert kinds == ["message", "edited_message", "chat_member", "message"]
    assert updates[1]["edited_message"]["text"] == "buy 2 BTC"
    assert "edit_date" in updates[1]["edited_message"]
    assert updates[2]["chat_member"]["new_chat_member"]["status"] == "member"
    assert updates[3]["message"]["new_chat_members"][0]["id"] == 1002


# -- callback queries ------------------------------------------------------------------------


async def test_button_press_update_and_answer(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    markup = {
        "inline_keyboard": [
            [{"text": "Buy", "callback_data": "buy"}, {"text": "Sell", "callback_data": "sell"}],
            [{"text": "Site", "url": "https://example.com"}],
        ]
    }
    sent = await ok(http, emu, "sendMessage", chat_id=user.id, text="Order?", reply_markup=markup)

    with pytest.raises(ValueError, match="not a callback button"):
        await emu.press_button(user.id, user.id, sent["message_id"], 3)
    with pytest.raises(ValueError, match="no button with callback_data"):
        await emu.press_button(user.id, user.id, sent["message_id"], "hold")

    query_id = await emu.press_button(user.id, user.id, sent["message_id"], 2)
    (update,) = await ok(http, emu, "getUpdates")
    query = update["callback_query"]
    assert query["id"] == query_id
    assert query["data"] == "sell"
    assert query["from"]["id"] == user.id
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["chat_instance"]

    await ok(
        http, emu, "answerCallbackQuery", callback_query_id=query_id, text="Sold", show_alert=True
    )
    assert emu.callback_answers == [
        {
            "callback_query_id": query_id,
            "user_id": user.id,
            "chat_id": user.id,
            "message_id": sent["message_id"],
            "data": "sell",
            "text": "Sold",
            "show_alert": True,
            "url": None,
            "cache_time": 0,
        }
    ]
    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for query_ref in (query_id, "123"):
        status, body = await api(http, emu, "answerCallbackQuery", callback_query_id=query_ref)
        assert (status, body["description"]) == (400, expected)


async def test_unanswered_query_expires(http: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    emu = TelegramEmulator(flood=FloodLimits(enabled=False), clock=clock)
    await emu.start()
    try:
        user = emu.add_user(1001, "Ali", started=True)
        sent = await ok(
            http, emu, "sendMessage", chat_id=user.id, text="?", reply_markup=keyboard("a")
        )
        query_id = await emu.press_button(user.id, user.id, sent["message_id"], 1)
        clock.advance(60)
        status, _ = await api(http, emu, "answerCallbackQuery", callback_query_id=query_id)
        assert status == 400
    finally:
        await emu.stop()


# -- membership: blocking, removal, rights ---------------------------------------------------


async def test_blocked_user_gives_403_and_my_chat_member(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", started=True)
    emu.block_bot(user.id)
    status, body = await api(http, emu, "sendMessage", chat_id=user.id, text="alert")
    assert (status, body) == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    (update,) = await ok(http, emu, "getUpdates")
    change = update["my_chat_member"]
    assert change["chat"]["id"] == user.id
    assert change["from"]["id"] == user.id
    assert change["old_chat_member"]["status"] == "member"
    assert change["new_chat_member"]["status"] == "kicked"
    assert change["new_chat_member"]["user"]["id"] == emu.bot_user.id


async def test_removing_the_bot_from_a_group(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user(1001, "Ali")
    emu.add_user(1002, "Sara")
    group = emu.add_group("Traders", members=[1002], admins=[1001], supergroup=True)
    (added,) = await ok(http, emu, "getUpdates")
    assert added["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert added["my_chat_member"]["from"]["id"] == 1001

    emu.remove_bot(group.id)
    (removed,) = await ok(http, emu, "getUpdates", offset=added["update_id"] + 1)
    change = removed["my_chat_member"]
    assert change["chat"] == {"id": group.id, "type": "supergroup", "title": "Traders"}
    assert change["old_chat_member"]["status"] == "member"
    assert change["new_chat_member"]["status"] == "left"
    status, body = await api(http, emu, "sendMessage", chat_id=group.id, text="still here?")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )

    emu.add_bot_to(group.id, rights={"can_delete_messages": True, "can_pin_messages": True})
    updates = await ok(http, emu, "getUpdates", offset=removed["update_id"] + 1)
    assert updates[0]["my_chat_member"]["new_chat_member"]["status"] == "administrator"
    assert updates[0]["my_chat_member"]["new_chat_member"]["can_delete_messages"] is True
    assert updates[1]["message"]["new_chat_members"][0]["id"] == emu.bot_user.id
    admins = await ok(http, emu, "getChatAdministrators", chat_id=group.id)
    assert [a["status"] for a in admins] == ["creator", "administrator"]
    assert await ok(http, emu, "getChatMemberCount", chat_id=group.id) == 3


async def test_privacy_mode_in_groups(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    emu.add_user(1001, "Ali")
    group = emu.add_group("Traders", members=[1001])
    await emu.send_text(1001, "just chatting", chat_id=group.id)
    await emu.send_text(1001, "/price@other_bot", chat_id=group.id)
    await emu.send_text(1001, "/price@sarraf_bot", chat_id=group.id)
    await emu.send_text(1001, "hey @sarraf_bot", chat_id=group.id)
    texts = [u["message"]["text"] for u in await ok(http, emu, "getUpdates") if "message" in u]
    assert texts == ["/price@sarraf_bot", "hey @sarraf_bot"]


async def test_channel_posting_needs_admin_rights(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user(1001, "Ali")
    channel = emu.add_channel("Prices", username="prices", admins=[1001])
    post = await ok(http, emu, "sendMessage", chat_id="@prices", text="BTC 1")
    assert post["chat"]["id"] == channel.id
    assert post["sender_chat"]["id"] == channel.id
    assert "from" not in post
    emu.set_bot_rights(channel.id, can_edit_messages=True)
    status, body = await api(http, emu, "sendMessage", chat_id=channel.id, text="BTC 2")
    assert (status, body["description"]) == (
        400,
        "Bad Request: need administrator rights in the channel chat",
    )


# -- webhooks --------------------------------------------------------------------------------


async def test_webhook_delivery_with_secret_and_retry(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()
    answers = iter([500, 200])

    async def hook(request: web.Request) -> web.Response:
        await received.put(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        result = await api(http, emu, "setWebhook", url=url, secret_token="s3cret_TOKEN")
        assert result[1] == {"ok": True, "result": True, "description": "Webhook was set"}
        status, body = await api(http, emu, "getUpdates")
        assert status == 409
        assert body["description"].startswith("Conflict: can't use getUpdates method while")

        user = emu.add_user(1001, "Ali")
        await emu.send_text(user.id, "hello hook")
        first, secret = await asyncio.wait_for(received.get(), timeout=5)
        assert secret == "s3cret_TOKEN"
        assert first["message"]["text"] == "hello hook"
        retried, _ = await asyncio.wait_for(received.get(), timeout=5)
        assert retried == first

        info = await ok(http, emu, "getWebhookInfo")
        assert info["url"] == url
        assert (
            info["last_error_message"]
            == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert await ok(http, emu, "deleteWebhook", drop_pending_updates=True) is True
        assert await ok(http, emu, "getUpdates") == []
    finally:
        await runner.cleanup()


# -- commands --------------------------------------------------------------------------------


async def test_command_menus_by_scope_and_language(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    user = emu.add_user(1001, "Ali", language_code="fa")
    default = [{"command": "start", "description": "Start"}]
    persian = [{"command": "start", "description": "شروع"}]
    await ok(http, emu, "setMyCommands", commands=default)
    await ok(
        http,
        emu,
        "setMyCommands",
        commands=persian,
        scope={"type": "all_private_chats"},
        language_code="fa",
    )
    assert await ok(http, emu, "getMyCommands") == default
    assert await ok(http, emu, "getMyCommands", scope={"type": "all_private_chats"}) == []
    assert emu.visible_commands(user.id) == persian
    await ok(http, emu, "deleteMyCommands", scope={"type": "all_private_chats"}, language_code="fa")
    assert emu.visible_commands(user.id) == default
    status, body = await api(
        http, emu, "setMyCommands", commands=[{"command": "Bad-Name", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


# -- the user side over HTTP -----------------------------------------------------------------


async def test_user_http_api(emu: TelegramEmulator, http: aiohttp.ClientSession) -> None:
    root = f"{emu.api_root}/_emulator"
    async with http.post(f"{root}/users", json={"user_id": 7, "first_name": "Reza"}) as response:
        assert (await response.json())["result"]["id"] == 7
    async with http.post(f"{root}/messages", json={"user_id": 7, "text": "/start"}) as response:
        sent = (await response.json())["result"]
    assert sent["entities"][0]["type"] == "bot_command"

    async def bot_replies() -> None:
        (update,) = await ok(http, emu, "getUpdates")
        chat_id = update["message"]["chat"]["id"]
        await ok(http, emu, "sendMessage", chat_id=chat_id, text="welcome")

    replying = asyncio.create_task(bot_replies())
    async with http.get(f"{root}/wait", params={"chat_id": "7", "timeout": "5"}) as response:
        assert (await response.json())["result"]["text"] == "welcome"
    await replying
    async with http.get(f"{root}/transcript", params={"chat_id": "7"}) as response:
        lines = (await response.json())["result"]
    assert [(m["text"], m["from_bot"]) for m in lines] == [("/start", False), ("welcome", True)]
    quiet = {"chat_id": "7", "after_message_id": str(lines[-1]["message_id"]), "timeout": "0.05"}
    async with http.get(f"{root}/wait", params=quiet) as response:
        assert response.status == 408
    async with http.post(f"{root}/messages", json={"user_id": 404, "text": "x"}) as response:
        assert response.status == 400


async def test_wait_for_message_times_out_with_the_transcript_tail(
    emu: TelegramEmulator,
) -> None:
    user = emu.add_user(1001, "Ali")
    await emu.send_text(user.id, "anyone there?")
    with pytest.raises(EmulatorTimeout, match="anyone there"):
        await emu.wait_for_message(user.id, timeout=0.05)


# -- python-telegram-bot, unchanged ----------------------------------------------------------


def build_application(emu: TelegramEmulator) -> Application:  # type: ignore[type-arg]
    return (
        Application.builder()
        .token(emu.token)
        .base_url(f"{emu.api_root}/bot")
        .base_file_url(f"{emu.api_root}/file/bot")
        .build()
    )


async def test_python_telegram_bot_application_end_to_end(emu: TelegramEmulator) -> None:
    app = build_application(emu)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])
        await update.message.reply_text(
            f"<b>{' '.join(context.args or [])}</b>", parse_mode="HTML", reply_markup=markup
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("done")
        await query.edit_message_text(f"pressed {query.data}")

    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(pressed))
    user = emu.add_user(1001, "Ali", username="ali", language_code="fa")
    group = emu.add_group("Traders", admins=[1001])

    async with app:
        await app.updater.start_polling()  # type: ignore[union-attr]
        await app.start()
        try:
            asked = await emu.send_text(user.id, "/echo سلام 😀")
            reply = await emu.wait_for_message(user.id)
            assert reply["text"] == "سلام 😀"
            assert reply["entities"] == [{"offset": 0, "length": 7, "type": "bold"}]
            assert reply["message_id"] > asked["message_id"]

            await emu.press_button(user.id, user.id, reply["message_id"], "again")
            edited = await emu.wait_for_message(user.id)
            assert edited["message_id"] == reply["message_id"]
            assert edited["text"] == "pressed again"
            assert emu.callback_answers[-1]["text"] == "done"

            await emu.send_text(1001, "/echo@sarraf_bot group", chat_id=group.id)
            in_group = await emu.wait_for_message(group.id)
            assert in_group["text"] == "group"

            assert [m["text"] for m in emu.transcript(user.id)] == [
                "/echo سلام 😀",
                "pressed again",
            ]
            member = await app.bot.get_chat_member(group.id, 1001)
            assert member.status == ChatMemberStatus.OWNER
            chat = await app.bot.get_chat(group.id)
            assert chat.title == "Traders"
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()


async def test_python_telegram_bot_uploads_and_downloads(emu: TelegramEmulator) -> None:
    app = build_application(emu)
    user = emu.add_user(1001, "Ali", started=True)
    image = png(1000, 500)
    async with app:
        message = await app.bot.send_photo(user.id, image, caption="chart")
        assert message.photo[-1].width == 1000
        file = await message.photo[-1].get_file()
        assert bytes(await file.download_as_bytearray()) == image
        document = await app.bot.send_document(user.id, b"a,b\n1,2\n", filename="prices.csv")
        assert document.document is not None
        assert document.document.file_name == "prices.csv"
        assert document.document.mime_type == "text/csv"
    assert [bool(m.get("photo")) for m in emu.transcript(user.id)] == [True, False]
