"""Orders through the real bot, the emulator and the strict sandboxes.

Each test asserts on what the user sees and on what reached the sandbox (its request
log and its matching engine), never on what the bot meant to send.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.runner import SandboxStack, demo_credentials

from .conftest import ChatUser, RunningBot, running_bot
from .test_bot_accounts import connect
from .trading_double import Venue, install


async def test_trading_commands_only_in_private_chats(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Traders", members=[3001], admins=[3001])
    before = {name: len(s.harness.requests) for name, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    for command in (
        "/buy wallex BTCTMN 0.001 1000000000",
        "/sell alp BTC_USDT 0.001",
        "/orders wallex",
        "/cancel wallex 123",
    ):
        sent = await emu.send_text(3001, command, chat_id=group.id)
        answer = await emu.wait_for_message(
            group.id, after_message_id=sent["message_id"], timeout=10
        )
        assert "only in a private chat" in answer["text"], command
    after = {name: len(s.harness.requests) for name, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    assert after == before  # nothing reached any exchange


async def test_usage_and_bad_numbers_get_a_sentence(bot: RunningBot) -> None:
    user = bot.user()
    reply = await user.ask("/buy wallex BTCTMN")
    assert "I need an exchange, a symbol, an amount and optionally a limit price." in reply
    assert "Usage: /buy EXCHANGE SYMBOL AMOUNT [PRICE]" in reply
    assert "The amount “lots” is not a positive number." in await user.ask(
        "/sell wallex BTCTMN lots"
    )
    assert "The price “-5” is not a positive number." in await user.ask("/buy wallex BTCTMN 1 -5")
    assert "I can't trade on “binance”" in await user.ask("/buy binance BTCUSDT 1")
    assert "Nothing to stop right now" in await user.ask("/cancel")
    assert "no Wallex account connected" in await user.ask("/orders wallex")


# --- the confirmation rules, on a venue served by the sandbox's matching engine ---------
FUNDS = {"USD": (Decimal("10000"), Decimal(0)), "BTC": (Decimal("1"), Decimal(0))}


def services(bot: RunningBot) -> Any:
    from bot.app import services_of

    return services_of(bot.app)


async def trader(bot: RunningBot, user_id: int = 1001, **caps: Any) -> tuple[ChatUser, Venue]:
    venue = install(services(bot), bot.stack.market, "wex", FUNDS, **caps)
    user = bot.user(user_id)
    key, secret = demo_credentials()["wex"]
    assert "connected" in await connect(user, "wex", [key, secret])
    return user, venue


def below(venue: Venue, pct: str = "0.95") -> Decimal:
    """A buy price under the market, so the order rests."""
    return (venue.engine.last("BTC", "USD") * Decimal(pct)).quantize(Decimal("0.001"))


async def summary(user: ChatUser, command: str) -> dict[str, Any]:
    """Send an order command; the summary message that carries Confirm / Cancel."""
    sent = await user.emu.send_text(user.user_id, command)
    return await user.emu.wait_for_message(
        user.chat_id,
        after_message_id=sent["message_id"],
        predicate=lambda m: bool(m.get("reply_markup")),
        timeout=15,
    )


async def press(user: ChatUser, message: dict[str, Any], button: int, by: int | None = None) -> str:
    """Press a button; the bot's answer to the press (its callback answer or next message)."""
    emu = user.emu
    assert user.handled is not None
    query = await emu.press_button(by or user.user_id, user.chat_id, message["message_id"], button)
    await asyncio.wait_for(user.handled.wait(f"q:{query}"), 20)
    answers = [a for a in emu.callback_answers if a.get("callback_query_id") == query]
    texts = [str(a.get("text") or "") for a in answers]
    later = [
        str(m.get("text") or "")
        for m in emu.transcript(user.chat_id)
        if m.get("from_bot") and m["message_id"] > message["message_id"]
    ]
    return "\n".join(texts + later)


async def test_a_limit_buy_is_checked_summarised_and_sent_once_on_confirm(
    bot: RunningBot,
) -> None:
    user, venue = await trader(bot)
    price = below(venue)
    shown = await summary(user, f"/buy wex BTC/USD 0.0012345678 {price}9")
    text = shown["text"]
    assert "Buy BTC/USD on WEX — limit order" in text
    assert "Amount: 0.00123456 BTC" in text  # WEX takes 8 places: rounded down, and said
    assert "Amount rounded down from 0.0012345678 to 0.00123456" in text
    assert f"Price rounded from {price:,}9 to {price:,}" in text  # a buy rounds down
    assert "Estimated fee:" in text and "Available: 10,000 USD" in text
    assert "Confirm within 60 seconds" in text
    assert venue.placed() == []  # nothing reaches the exchange before Confirm
    answer = await press(user, shown, 1)
    assert "Order placed on WEX. Order id:" in answer
    [placed] = venue.placed()
    assert placed["amount"] == Decimal("0.00123456") and placed["price"] == price
    [order] = venue.orders()
    assert order.status == "open" and order.amount == Decimal("0.00123456")
    assert order.order_id in answer
    assert user.emu.last_bot_message(user.chat_id) is not None
    spent = [m for m in user.emu.transcript(user.chat_id) if m["message_id"] == shown["message_id"]]
    assert not spent[0].get("reply_markup")  # the answered summary keeps no buttons
    listed = await user.ask("/orders wex")
    assert order.order_id in listed and "Open orders on WEX" in listed


async def test_confirm_pressed_fifty_times_at_once_sends_one_order(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    emu = user.emu
    assert user.handled is not None
    queries = await asyncio.gather(*(_press_raw(user, shown) for _ in range(50)))
    await asyncio.gather(*(asyncio.wait_for(user.handled.wait(f"q:{q}"), 30) for q in queries))
    assert len(venue.placed()) == 1
    assert len(venue.orders()) == 1
    answers = [a for a in emu.callback_answers if a.get("callback_query_id") in set(queries)]
    assert len(answers) == 50  # every press answered
    assert sum("already answered" in str(a.get("text")) for a in answers) == 49


async def _press_raw(user: ChatUser, message: dict[str, Any]) -> str:
    return await user.emu.press_button(user.user_id, user.chat_id, message["message_id"], 1)


async def test_a_button_works_only_for_its_user(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    bot.user(2002, name="Mallory")
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    answer = await press(user, shown, 1, by=2002)
    assert "belongs to someone else" in answer
    assert venue.placed() == []
    assert "Order placed" in await press(user, shown, 1)
    assert len(venue.placed()) == 1


async def test_cancel_button_sends_nothing(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/sell wex btc_usd 0.01 {below(venue, '1.05')}")
    assert "Cancelled: nothing was sent." in await press(user, shown, 2)
    assert venue.placed() == []


async def test_a_button_works_only_until_it_expires(stack: SandboxStack, tmp_path: Path) -> None:
    async with running_bot(stack, tmp_path / "bot.db", confirm_ttl=1.0) as bot:
        user, venue = await trader(bot)
        shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
        assert "Confirm within 1 seconds" in shown["text"]
        await asyncio.sleep(1.2)  # the passage of time is what is tested here
        assert "expired" in await press(user, shown, 1)
        assert venue.placed() == []
