"""Orders through the real bot, the emulator and the strict sandboxes.

Each test asserts on what the user sees and on what reached the sandbox (its request
log and its matching engine), never on what the bot meant to send.
"""

from __future__ import annotations

from .conftest import RunningBot


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
