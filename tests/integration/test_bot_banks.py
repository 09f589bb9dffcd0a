"""/banks through the real bot, the Telegram emulator and the strict Wallex sandbox: what
the user sees, what reached Wallex, and that a full number is neither left in the chat
nor stored in clear."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import services_of
from bot.confirmations import Confirmed, State
from sandbox import wallex
from sandbox.wallex import WallexSandbox

from .conftest import ChatUser, RunningBot
from .test_bot_accounts import assert_not_in_database_files, connect
from .test_bot_withdrawals import last_with_buttons, press

CARD = "6037991234567893"
IBAN = "IR820540102680020817909002"


def wallex_sandbox(bot: RunningBot) -> WallexSandbox:
    found = bot.stack.servers["wallex"]
    assert isinstance(found, WallexSandbox)
    return found


def bank_requests(bot: RunningBot, method: str | None = None) -> list[Any]:
    return [
        r
        for r in wallex_sandbox(bot).harness.requests
        if ("card-numbers" in r.path or "ibans" in r.path)
        and (method is None or r.method == method)
    ]


def demo(bot: RunningBot) -> Any:
    return wallex_sandbox(bot).accounts[wallex.DEMO_TOKEN]


async def connected(bot: RunningBot) -> ChatUser:
    user = bot.user()
    await connect(user, "wallex", [wallex.DEMO_TOKEN])
    return user


async def test_add_a_card_confirm_list_and_delete(bot: RunningBot) -> None:
    user = await connected(bot)
    assert "no bank card or IBAN yet" in await user.ask("/banks")
    preview = await user.ask("/banks add 6037 9912 3456 7893")
    assert "Add this card to your Wallex account?" in preview
    assert "6037 99** **** 7893" in preview and "Bank Melli" in preview
    assert "I deleted your message with the full number" in preview
    assert CARD not in preview
    typed = [
        m
        for m in bot.stack.telegram.transcript(user.chat_id)
        if "6037 9912" in str(m.get("text") or "")
    ]
    assert typed and all(m.get("deleted") for m in typed)
    assert not bank_requests(bot, "POST")  # nothing before Confirm
    assert_not_in_database_files(bot, [CARD])

    done = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "Added <code>6037 99** **** 7893</code>" in done or "Added 6037 99** **** 7893" in done
    [sent] = bank_requests(bot, "POST")
    assert json.loads(sent.body) == {"card_number": CARD}
    assert sent.headers["Authorization"] == f"Bearer {wallex.DEMO_TOKEN}"
    [entry] = demo(bot).banks
    assert entry.number == CARD
    assert_not_in_database_files(bot, [CARD])

    listing = await user.ask("/banks")
    assert f"Card #{entry.id}: 6037 99** **** 7893" in listing and "pending" in listing
    assert CARD not in listing
    asked = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "Delete card 6037 99** **** 7893 from your Wallex account?" in asked
    assert demo(bot).banks  # not before Confirm
    gone = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "Deleted 6037 99** **** 7893" in gone
    assert demo(bot).banks == []
    [deleted] = bank_requests(bot, "DELETE")
    assert deleted.path == f"/v1/account/card-numbers/{entry.id}"


async def test_an_iban_is_sent_without_ir_and_cancel_sends_nothing(bot: RunningBot) -> None:
    user = await connected(bot)
    preview = await user.ask(f"/banks add {IBAN.lower()}")
    assert "Add this IBAN" in preview and "IR82 054* **** **** **** **90 02" in preview
    assert "Parsian Bank" in preview
    assert "Cancelled: nothing was sent." in await press(bot, user, last_with_buttons(bot, user), 2)
    assert not bank_requests(bot, "POST")

    await user.ask(f"/banks add {IBAN}")
    done = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "Added" in done and "accepted" in done
    [sent] = bank_requests(bot, "POST")
    assert json.loads(sent.body) == {"iban": IBAN[2:]}
    [entry] = demo(bot).banks
    listing = await user.ask("/banks")
    assert f"IBAN #{entry.id}" in listing and "Parsian Bank" in listing
    asked = await user.ask(f"/banks delete iban {entry.id}")
    assert "Delete IBAN IR82 054*" in asked
    await press(bot, user, last_with_buttons(bot, user), 1)
    assert demo(bot).banks == []


async def test_bad_numbers_get_a_sentence_and_nothing_is_sent(bot: RunningBot) -> None:
    user = await connected(bot)
    bad_card = await user.ask("/banks add 6037991234567894")
    assert "That is not a valid card number: its check digit is wrong" in bad_card
    assert "I deleted your message" in bad_card and "6037991234567894" not in bad_card
    bad_iban = await user.ask("/banks add IR820540102680020817909003")
    assert "That is not a valid IBAN: its check digits are wrong" in bad_iban
    short = await user.ask("/banks add ۶۰۳۷۹۹۱۲۳۴۵۶۷۸۹")
    assert "a card number has 16 digits" in short
    assert "Usage: /banks" in await user.ask("/banks add")
    assert "Usage: /banks" in await user.ask("/banks delete lots")
    assert "/banks add before the number" in await user.ask(f"/banks {CARD}")
    assert "no card or IBAN #999" in await user.ask("/banks delete 999")
    assert not bank_requests(bot, "POST") and not bank_requests(bot, "DELETE")


async def test_a_number_already_there_is_refused_before_confirm(bot: RunningBot) -> None:
    user = await connected(bot)
    demo(bot).add_bank("card", CARD, "ACCEPTED")
    assert "already has" in await user.ask(f"/banks add {CARD}")
    assert not bank_requests(bot, "POST")


async def test_wallex_refusing_the_confirmed_card_is_a_sentence(bot: RunningBot) -> None:
    user = await connected(bot)
    await user.ask(f"/banks add {CARD}")
    demo(bot).add_bank("card", CARD, "ACCEPTED")  # added meanwhile on the website
    answer = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "Wallex refused the request" in answer and "already been taken" in answer


async def test_banks_is_private_and_needs_a_connected_account(bot: RunningBot) -> None:
    user = bot.user()
    assert "/connect wallex" in await user.ask("/banks")
    unconnected = await user.ask(f"/banks add {CARD}")
    assert "/connect wallex" in unconnected and "I deleted your message" in unconnected
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Family", members=[3001], admins=[3001])
    sent = await emu.send_text(3001, "/banks", chat_id=group.id)
    answer = await emu.wait_for_message(group.id, after_message_id=sent["message_id"], timeout=10)
    assert "only in a private chat" in answer["text"]
    assert not bank_requests(bot)


async def test_a_button_is_the_owners_only(bot: RunningBot) -> None:
    user = await connected(bot)
    await user.ask(f"/banks add {CARD}")
    message = last_with_buttons(bot, user)
    other = bot.user(1002, name="Mallory")
    query = await bot.stack.telegram.press_button(
        other.user_id, user.chat_id, message["message_id"], 1
    )
    await asyncio.wait_for(bot.handled.wait(f"q:{query}"), 15)
    assert not bank_requests(bot, "POST")
    assert "Added" in await press(bot, user, message, 1)  # the owner's press still works
    assert len(bank_requests(bot, "POST")) == 1


async def test_in_persian_the_list_has_persian_digits_and_wallexs_bank_name(
    bot: RunningBot,
) -> None:
    user = await connected(bot)
    await user.ask("/lang fa")
    demo(bot).add_bank("iban", IBAN, "ACCEPTED")
    demo(bot).add_bank("card", CARD, "UNACCEPTED")
    listing = await user.ask("/banks")
    assert "بانک پارسیان" in listing and "شبا" in listing and "کارت" in listing
    assert "IR۸۲ ۰۵۴* **** **** **** **۹۰ ۰۲" in listing
    assert "۶۰۳۷ ۹۹** **** ۷۸۹۳" in listing and "پذیرفته‌نشده" in listing
    bad = await user.ask("/banks add ۶۰۳۷-۹۹۱۲-۳۴۵۶-۷۸۹۴")
    assert "رقم کنترلی" in bad
    typed = [
        m
        for m in bot.stack.telegram.transcript(user.chat_id)
        if "۶۰۳۷-۹۹۱۲" in str(m.get("text") or "")
    ]
    assert typed and all(m.get("deleted") for m in typed)


async def test_an_id_both_kinds_have_asks_which_one(bot: RunningBot) -> None:
    from sandbox.wallex.private import BankEntry

    user = await connected(bot)
    demo(bot).banks += [
        BankEntry("card", 50, CARD, "ACCEPTED"),
        BankEntry("iban", 50, IBAN, "ACCEPTED"),
    ]
    assert "/banks delete card 50" in await user.ask("/banks delete 50")
    asked = await user.ask("/banks delete card #50")
    assert "Delete card 6037 99** **** 7893" in asked
    await press(bot, user, last_with_buttons(bot, user), 1)
    assert [(e.kind, e.id) for e in demo(bot).banks] == [("iban", 50)]
    [deleted] = bank_requests(bot, "DELETE")
    assert deleted.path == "/v1/account/card-numbers/50"


async def test_a_change_a_crash_cut_off_is_settled_and_told_never_resent(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await connected(bot)
    store = services_of(bot.app).confirmations
    pending = await store.create(
        user_id=user.user_id,
        chat_id=user.chat_id,
        kind="bank_add",
        payload={"kind": "card", "masked": "6037 99** **** 7893", "sealed": {}},
    )
    assert isinstance(await store.confirm(pending.id, user.user_id), Confirmed)
    assert await store.mark_sent(pending.id)  # then the process died
    assert "cut off" not in await user.ask("/banks")  # too recent: perhaps still on its way
    later = datetime.now(UTC) + timedelta(minutes=10)
    monkeypatch.setattr(store, "clock", lambda: later)
    listing = await user.ask("/banks")
    assert "was cut off by a restart and was not sent again" in listing
    assert "no bank card or IBAN yet" in listing
    settled = await store.get(pending.id)
    assert settled is not None and settled.state is State.FAILED
    assert "cut off" not in await user.ask("/banks")
    assert not bank_requests(bot, "POST")
