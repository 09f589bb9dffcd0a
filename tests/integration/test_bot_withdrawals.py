"""Withdrawals, coupons, the address book and the daily cap through the real bot."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.app import services_of
from bot.money import MoneyServices
from sandbox import wallex

from .conftest import ChatUser, RunningBot
from .test_bot_accounts import connect

BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def money(bot: RunningBot) -> MoneyServices:
    found = services_of(bot.app).money
    assert found is not None
    return found


async def press(bot: RunningBot, user: ChatUser, message: dict[str, Any], button: int) -> str:
    """Press button ``button`` (1-based, reading order) of ``message``; every reply, joined."""
    emu = bot.stack.telegram
    before = max(m["message_id"] for m in emu.transcript(user.chat_id))
    query_id = await emu.press_button(user.user_id, user.chat_id, message["message_id"], button)
    await asyncio.wait_for(bot.handled.wait(f"q:{query_id}"), 15)
    return "\n".join(
        str(m.get("text") or "")
        for m in emu.transcript(user.chat_id)
        if m.get("from_bot") and m["message_id"] > before
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
