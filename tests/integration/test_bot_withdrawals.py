"""Withdrawals, coupons, the address book and the daily cap through the real bot."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from bot.app import services_of
from bot.money import MoneyServices
from sandbox import wallex, wex
from sandbox.runner import SandboxStack

from .conftest import ChatUser, RunningBot, running_bot
from .test_bot_accounts import connect

BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def money(bot: RunningBot) -> MoneyServices:
    found = services_of(bot.app).money
    assert found is not None
    return found


async def press(bot: RunningBot, user: ChatUser, message: dict[str, Any], button: int) -> str:
    """Press button ``button`` (1-based, reading order) of ``message``; every reply, and
    the pressed message's own text if the press edited it, joined."""
    emu = bot.stack.telegram
    before = max(m["message_id"] for m in emu.transcript(user.chat_id))
    query_id = await emu.press_button(user.user_id, user.chat_id, message["message_id"], button)
    await asyncio.wait_for(bot.handled.wait(f"q:{query_id}"), 15)
    return "\n".join(
        str(m.get("text") or "")
        for m in emu.transcript(user.chat_id)
        if m.get("from_bot")
        and (
            m["message_id"] > before
            or (m["message_id"] == message["message_id"] and m.get("text") != message.get("text"))
        )
    )


def last_with_buttons(bot: RunningBot, user: ChatUser) -> dict[str, Any]:
    for m in reversed(bot.stack.telegram.transcript(user.chat_id)):
        if m.get("from_bot") and m.get("reply_markup") and not m.get("deleted"):
            return m
    raise AssertionError("no message with buttons")


async def test_address_book_add_list_and_delete(bot: RunningBot) -> None:
    user = bot.user()
    assert "Your address book is empty" in await user.ask("/addresses")
    added = await user.ask(f"/addresses add wex btc {BTC_ADDRESS} cold wallet")
    assert "Saved to your address book" in added and BTC_ADDRESS in added
    assert "“cold wallet”" in added
    assert "already" in await user.ask(f"/addresses add wex BTC {BTC_ADDRESS}")
    bad = await user.ask("/addresses add wex BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    assert "checksum does not match" in bad
    listing = await user.ask("/addresses")
    assert "WEX BTC “cold wallet”" in listing and BTC_ADDRESS in listing
    listed = last_with_buttons(bot, user)
    assert "Deleted from your address book" in await press(bot, user, listed, 1)
    assert "Your address book is empty" in await user.ask("/addresses")


async def test_withdrawcap_tightens_at_once_and_loosens_a_day_later(bot: RunningBot) -> None:
    user = bot.user()
    assert "no daily withdrawal cap" in await user.ask("/withdrawcap")
    assert "from now" in await user.ask("/withdrawcap 1 BTC")
    assert "from now" in await user.ask("/withdrawcap BTC 0.5")
    raised = await user.ask("/withdrawcap 2 btc")
    assert "Raising a cap takes 24 hours" in raised and "0.5 BTC stays in force" in raised
    removed = await user.ask("/withdrawcap BTC off")
    assert "Removing a cap takes 24 hours" in removed
    listing = await user.ask("/withdrawcap")
    assert "BTC: 0.5 BTC per 24 hours, 0 BTC used" in listing
    assert "Usage: /withdrawcap" in await user.ask("/withdrawcap lots")


async def test_a_system_without_withdrawals_says_so(bot: RunningBot) -> None:
    user = bot.user()
    await connect(user, "wallex", [wallex.DEMO_TOKEN])
    reply = await user.ask(f"/withdraw wallex BTC 0.01 {BTC_ADDRESS}")
    assert "Wallex offers no withdrawals through its API" in reply
    assert not [p for p in bot.stack.servers["wallex"].harness.paths() if "withdraw" in p]
    reply = await user.ask(f"/withdraw alp BTC 0.01 {BTC_ADDRESS}")
    assert "ALP.COM offers no withdrawals through its API" in reply


async def test_money_commands_only_in_private(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Traders", members=[3001], admins=[3001])
    for command in (
        f"/withdraw wex BTC 1 {BTC_ADDRESS}",
        "/addresses",
        "/withdrawcap 1 BTC",
        "/coupon create USD 1",
        "/convert 1 BTC USDT",
        "/invoice 10 USDT",
    ):
        sent = await emu.send_text(3001, command, chat_id=group.id)
        answer = await emu.wait_for_message(
            group.id, after_message_id=sent["message_id"], timeout=10
        )
        assert "only in a private chat" in answer["text"], command


async def test_withdraw_usage(bot: RunningBot) -> None:
    user = bot.user()
    reply = await user.ask("/withdraw wex BTC")
    assert "Usage: /withdraw EXCHANGE CURRENCY AMOUNT ADDRESS" in reply
    assert "is not an amount" in await user.ask(f"/withdraw wex BTC lots {BTC_ADDRESS}")


def _code(text: str) -> str:
    found = re.search(r"one-time code: (\d{6})", text)
    assert found, text
    return found.group(1)


# --- the two steps ------------------------------------------------------------------
def bold_parts(message: dict[str, Any]) -> list[str]:
    """The bold runs of a message as Telegram stores them (offsets in UTF-16 units)."""
    raw = str(message.get("text") or "").encode("utf-16-le")
    return [
        raw[e["offset"] * 2 : (e["offset"] + e["length"]) * 2].decode("utf-16-le")
        for e in message.get("entities") or []
        if e["type"] == "bold"
    ]


async def summary(bot: RunningBot, user: ChatUser, command: str) -> dict[str, Any]:
    said = await user.ask(command)
    message = last_with_buttons(bot, user)
    assert "Confirm" in str(message["reply_markup"]), said
    return message


async def confirm_and_get_code(bot: RunningBot, user: ChatUser, message: dict[str, Any]) -> str:
    answer = await press(bot, user, message, 1)
    return _code(answer)


def code_messages(bot: RunningBot, user: ChatUser) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.stack.telegram.transcript(user.chat_id)
        if m.get("from_bot") and "Your one-time code" in str(m.get("text"))
    ]


class Sent:
    """What reached the upstream: the withdrawals the sandbox recorded."""

    def __init__(self, bot: RunningBot, exchange: str, marker: str) -> None:
        self.harness = bot.stack.servers[exchange].harness
        self.marker = marker.encode()

    def count(self) -> int:
        return sum(1 for r in self.harness.requests if self.marker in r.body + r.path.encode())

    def last_body(self) -> bytes:
        return [r for r in self.harness.requests if self.marker in r.body + r.path.encode()][
            -1
        ].body


class WexWithdrawals:
    """The ``WithdrawCoin`` calls the strict WEX sandbox received, as parsed form bodies."""

    def __init__(self, bot: RunningBot) -> None:
        self.harness = bot.stack.servers["wex"].harness

    def __call__(self) -> list[dict[str, str]]:
        found = []
        for r in self.harness.requests:
            form = {k: v[0] for k, v in parse_qs(r.body.decode()).items()}
            if form.get("method") == "WithdrawCoin":
                found.append(form)
        return found


def recording(bot: RunningBot) -> WexWithdrawals:
    return WexWithdrawals(bot)


@pytest.fixture(name="sent")
def sent_fixture(bot: RunningBot) -> WexWithdrawals:
    return recording(bot)


async def wex_user(bot: RunningBot, user_id: int = 1001) -> ChatUser:
    user = bot.user(user_id)
    assert "connected" in await connect(user, "wex", [wex.DEMO_KEY, wex.DEMO_SECRET])
    return user


async def test_withdraw_summary_code_and_sent_once(
    bot: RunningBot, sent: WexWithdrawals, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await wex_user(bot)
    message = await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    text = str(message["text"])
    assert BTC_ADDRESS in text and "Amount: 0.5 BTC" in text and "Available: 23.998 BTC" in text
    assert "Fee: WEX does not say" in text  # WEX states no fee before WithdrawCoin
    assert any("You never saved this address" in part for part in bold_parts(message))
    code = await confirm_and_get_code(bot, user, message)
    assert sent() == []  # Confirm alone sends nothing
    [code_message] = code_messages(bot, user)
    done = await user.ask(code)
    assert re.search(r"WEX accepted the withdrawal: id \d+, status pending", done), done
    assert "Fee: 0.001 BTC" in done  # from WEX's amountSent
    [request] = sent()
    assert (request["coinName"], request["amount"], request["address"]) == (
        "BTC",
        "0.5",
        BTC_ADDRESS,
    )
    ours = ("bot", "handlers", "exchanges", "storage", "telegram")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(ours))
    assert code not in logged  # the code is never logged
    emu = bot.stack.telegram
    gone = [
        m for m in emu.transcript(user.chat_id) if m["message_id"] == code_message["message_id"]
    ]
    assert gone[0]["deleted"]
    # The same code again does nothing more.
    await user.ask(code)
    assert len(sent()) == 1
    offer = last_with_buttons(bot, user)
    assert "Save this address" in str(offer["text"])
    assert "Saved to your address book" in await press(bot, user, offer, 1)
    again = await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    assert bold_parts(again) == ["Withdraw from WEX"]
    assert "An address from your address book" in str(again["text"])


async def test_three_wrong_codes_end_it_and_nothing_is_sent(
    bot: RunningBot, sent: WexWithdrawals
) -> None:
    user = await wex_user(bot)
    code = await confirm_and_get_code(
        bot, user, await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    )
    wrong = "000000" if code != "000000" else "111111"
    assert "Tries left: 2" in await user.ask(wrong)
    assert "Tries left: 1" in await user.ask(wrong)
    assert "Three wrong codes" in await user.ask(wrong)
    assert "I answer commands" in await user.ask(code)  # the challenge is over
    assert sent() == []
    assert all(m["deleted"] for m in code_messages(bot, user))


async def test_a_code_after_two_minutes_is_refused(bot: RunningBot, sent: WexWithdrawals) -> None:
    from ..conftest import FixedClock

    clock = FixedClock()
    money(bot).codes.clock = clock
    user = await wex_user(bot)
    code = await confirm_and_get_code(
        bot, user, await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    )
    clock.advance(121)
    assert "The code expired" in await user.ask(code)
    assert sent() == []


async def test_cancel_at_the_code_step(bot: RunningBot, sent: WexWithdrawals) -> None:
    user = await wex_user(bot)
    await confirm_and_get_code(
        bot, user, await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    )
    assert "Cancelled: nothing was sent" in await user.ask("/cancel")
    assert sent() == []


async def test_cap_is_enforced_before_anything_is_sent(
    bot: RunningBot, sent: WexWithdrawals
) -> None:
    user = await wex_user(bot)
    await user.ask("/withdrawcap 0.8 BTC")
    first = await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    assert "Daily cap: 0 BTC of 0.8 BTC used" in str(first["text"])
    # A second summary passes the cap on its own, before the first went out.
    second = await summary(bot, user, f"/withdraw wex BTC 0.3 {BTC_ADDRESS}")
    await user.ask(await confirm_and_get_code(bot, user, first))
    refused = await user.ask(f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    assert "passes your daily cap of 0.8 BTC" in refused and "0.5 BTC went out" in refused
    assert len(sent()) == 1
    # At send time the cap is checked again: 0.5 + 0.3 fits exactly, 0.31 would not.
    await user.ask(await confirm_and_get_code(bot, user, second))
    assert [r["amount"] for r in sent()] == ["0.5", "0.3"]
    assert "passes your daily cap" in await user.ask(f"/withdraw wex BTC 0.01 {BTC_ADDRESS}")


async def test_bad_input_gets_a_sentence_and_sends_nothing(
    bot: RunningBot, sent: WexWithdrawals
) -> None:
    from sandbox import narkasa

    user = await wex_user(bot)
    await connect(user, "narkasa", [narkasa.DEMO_API_KEY, narkasa.DEMO_API_SECRET])
    assert "checksum does not match" in await user.ask(
        "/withdraw wex BTC 0.5 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"
    )
    assert "23.998 BTC available on WEX; 30 BTC is needed" in await user.ask(
        f"/withdraw wex BTC 30 {BTC_ADDRESS}"
    )
    # Narkasa states its places and minimum (balance/withdraw): checked before asking.
    assert "at most 8 decimal places" in await user.ask(
        f"/withdraw narkasa BTC 0.123456789 {BTC_ADDRESS}"
    )
    assert "least you can withdraw is 0.0001 BTC" in await user.ask(
        f"/withdraw narkasa BTC 0.00005 {BTC_ADDRESS}"
    )
    assert "is not an amount" in await user.ask(f"/withdraw wex BTC -1 {BTC_ADDRESS}")
    # WEX states no minimum beforehand: its refusal after the code is a sentence too.
    code = await confirm_and_get_code(
        bot, user, await summary(bot, user, f"/withdraw wex BTC 0.001 {BTC_ADDRESS}")
    )
    refused = await user.ask(code)
    assert "under its minimum" in refused
    assert "Nothing was sent" in refused
    assert [r["amount"] for r in sent()] == ["0.001"]  # asked, and refused by WEX


async def test_an_unanswered_code_is_swept_and_its_owner_told(
    bot: RunningBot, sent: WexWithdrawals
) -> None:
    from handlers.withdrawals import LATE_GRACE_SECONDS, sweep

    from ..conftest import FixedClock

    clock = FixedClock()
    money(bot).codes.clock = clock
    user = await wex_user(bot)
    await confirm_and_get_code(
        bot, user, await summary(bot, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
    )
    clock.advance(120 + LATE_GRACE_SECONDS)
    assert bot.app.job_queue is not None
    bot.app.job_queue.run_once(sweep, 0)
    told = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "The code expired" in str(m.get("text")), timeout=10
    )
    assert told["from_bot"]
    assert all(m["deleted"] for m in code_messages(bot, user))
    assert money(bot).codes.pending(user.user_id) is None and sent() == []


async def test_a_restart_at_the_code_step_sends_nothing_and_says_so(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    async with running_bot(stack, db) as first:
        user = await wex_user(first)
        code = await confirm_and_get_code(
            first, user, await summary(first, user, f"/withdraw wex BTC 0.5 {BTC_ADDRESS}")
        )
    async with running_bot(stack, db) as second:
        withdrawals = recording(second)
        told = await stack.telegram.wait_for_message(
            user.chat_id,
            predicate=lambda m: "I restarted before you typed the code back" in str(m.get("text")),
            timeout=15,
        )
        assert told["from_bot"]
        again = second.user()
        assert "I answer commands" in await again.ask(code)
        assert withdrawals() == []


# --- real systems: the strict sandboxes record what reached them ---------------------
def withdraw_requests(bot: RunningBot, exchange: str, path_part: str) -> list[str]:
    """What the sandbox received at paths containing ``path_part``: query and body."""
    found = []
    for r in bot.stack.servers[exchange].harness.requests:
        if path_part in r.path:
            query = "&".join(f"{k}={v}" for k, v in r.query.items())
            found.append(query + "&" + r.body.decode(errors="replace"))
    return found


async def test_withdraw_on_narkasa_reaches_create_withdraw_once(bot: RunningBot) -> None:
    from sandbox import narkasa

    if not services_of(bot.app).accounts.factories["narkasa"][0].trading.withdraw:
        pytest.skip("the Narkasa client offers no withdrawals yet")
    user = bot.user()
    reply = await connect(user, "narkasa", [narkasa.DEMO_API_KEY, narkasa.DEMO_API_SECRET])
    assert "connected" in reply
    message = await summary(bot, user, f"/withdraw narkasa BTC 0.002 {BTC_ADDRESS}")
    text = str(message["text"])
    assert "Fee: 0.0005 BTC" in text and "Network: BTC" in text
    assert "The address receives: 0.002 BTC" in text and "Leaves your balance: 0.0025 BTC" in text
    assert any("You never saved this address" in p for p in bold_parts(message))
    code = await confirm_and_get_code(bot, user, message)
    assert withdraw_requests(bot, "narkasa", "create-withdraw") == []
    done = await user.ask(code)
    assert "Narkasa accepted the withdrawal" in done and "status pending" in done
    [sent] = withdraw_requests(bot, "narkasa", "create-withdraw")
    assert "node=BTC" in sent and "amount=0.002" in sent and BTC_ADDRESS in sent
    assert "Saved to your address book" in await press(bot, user, last_with_buttons(bot, user), 1)
    # Saved now (on the network the withdrawal used); three wrong codes send nothing more.
    again = await summary(bot, user, f"/withdraw narkasa BTC 0.002 {BTC_ADDRESS}")
    assert not any("never saved" in p for p in bold_parts(again))
    code = await confirm_and_get_code(bot, user, again)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        await user.ask(wrong)
    assert len(withdraw_requests(bot, "narkasa", "create-withdraw")) == 1


def wex_methods(bot: RunningBot, method: str) -> list[dict[str, str]]:
    found = []
    for r in bot.stack.servers["wex"].harness.requests:
        form = {k: v[0] for k, v in parse_qs(r.body.decode()).items()}
        if form.get("method") == method:
            found.append(form)
    return found


async def test_coupon_create_and_redeem_through_both_steps(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    from .test_bot_accounts import assert_not_in_database_files

    caplog.set_level(logging.DEBUG)
    alice = await wex_user(bot)
    message = await summary(bot, alice, "/coupon create USD 10")
    assert "Create a WEX coupon" in str(message["text"]) and "Amount: 10 USD" in str(
        message["text"]
    )
    code = await confirm_and_get_code(bot, alice, message)
    assert wex_methods(bot, "CreateCoupon") == []
    made = await alice.ask(code)
    assert "Coupon created: 10 USD" in made
    found = re.search(r"\n(WEX\w+)\n", made)
    assert found, made
    coupon = found.group(1)
    [request] = wex_methods(bot, "CreateCoupon")
    assert (request["coinName"], request["amount"]) == ("USD", "10")
    # The coupon is shown once and kept nowhere: not in the logs, not in the database.
    assert coupon not in caplog.text
    assert_not_in_database_files(bot, [coupon])
    # Bob redeems it: his message with the code is deleted at once, then the same two steps.
    bob = bot.user(1002, name="Bob")
    assert "connected" in await connect(bob, "wex", [wex.DEMO_KEY, wex.DEMO_SECRET])
    asked = await bob.ask(f"/coupon redeem {coupon}")
    assert "Redeem a WEX coupon" in asked and coupon not in asked
    typed = [
        m
        for m in bot.stack.telegram.transcript(bob.chat_id)
        if not m.get("from_bot") and coupon in str(m.get("text"))
    ]
    assert typed and all(m["deleted"] for m in typed)
    redeem = last_with_buttons(bot, bob)
    assert wex_methods(bot, "RedeemCoupon") == []
    done = await bob.ask(await confirm_and_get_code(bot, bob, redeem))
    assert "Coupon redeemed: 10 USD added to your balance" in done
    [redeemed] = wex_methods(bot, "RedeemCoupon")
    assert redeemed["coupon"] == coupon
    assert coupon not in caplog.text
    assert_not_in_database_files(bot, [coupon])
