"""/margin, /activity and ALP.COM's margin wallets in /balance, through the real bot,
the emulator and the strict ALP.COM sandbox.

Each test asserts on what the user sees and on what reached the sandbox (its request
log, its margin wallets and debts), never on what the bot meant to send.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.app import services_of
from bot.confirmations import ConfirmationStore, Refusal, State
from sandbox.alp import AlpSandbox
from sandbox.runner import SandboxStack, demo_credentials

from .conftest import ChatUser, RunningBot, running_bot
from .test_bot_accounts import connect
from .test_bot_trading import press, summary

CROSS = ("CROSS_MARGIN", "")


def alp(bot: RunningBot) -> AlpSandbox:
    server = bot.stack.servers["alp"]
    assert isinstance(server, AlpSandbox)
    return server


def calls(bot: RunningBot, method: str, path: str) -> list[Any]:
    return [r for r in alp(bot).harness.requests if r.method == method and r.path == path]


def cross(bot: RunningBot, currency: str) -> Decimal:
    wallet = alp(bot).demo.margin.get(CROSS, {}).get(currency)
    return Decimal(0) if wallet is None else wallet.balance


def shown(user: ChatUser, message: dict[str, Any]) -> str:
    """The message's text now (after the bot's edits)."""
    found = [
        m for m in user.emu.transcript(user.chat_id) if m["message_id"] == message["message_id"]
    ]
    return str(found[0]["text"])


async def margin_user(bot: RunningBot, user_id: int = 1001) -> ChatUser:
    user = bot.user(user_id)
    assert "connected" in await connect(user, "alp", list(demo_credentials()["alp"]))
    return user


async def confirmed(user: ChatUser, command: str) -> tuple[str, str]:
    """Send a state-changing /margin command and press Confirm: (summary, outcome)."""
    message = await summary(user, command)
    return str(message["text"]), await press(user, message, 1)


async def test_margin_commands_only_in_private_chats(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Traders", members=[3001], admins=[3001])
    before = len(alp(bot).harness.requests)
    for command in ("/margin", "/margin borrow USDT 10", "/activity alp"):
        sent = await emu.send_text(3001, command, chat_id=group.id)
        answer = await emu.wait_for_message(group.id, after_message_id=sent["message_id"])
        assert "only in a private chat" in answer["text"], command
    assert len(alp(bot).harness.requests) == before


async def test_transfer_borrow_repay_end_to_end(bot: RunningBot) -> None:
    user = await margin_user(bot)
    demo = alp(bot).demo
    spot_before = demo.wallets["USDT"].balance
    overview = await user.ask("/margin")
    assert "Nothing borrowed." in overview
    assert "No funds in a margin wallet" in overview

    text, outcome = await confirmed(user, "/margin transfer USDT 100 to margin")
    assert "Move 100 USDT from spot to cross margin" in text
    assert "Available in spot: 1,520.75 USDT → 1,420.75 after" in text
    assert "Done: Move 100 USDT from spot to cross margin" in outcome
    (sent,) = calls(bot, "POST", "/api/v3/margin/transfer")
    assert b'"direction":"ADD"' in sent.body and b'"amount":100' in sent.body
    assert cross(bot, "USDT") == Decimal(100)
    assert demo.wallets["USDT"].balance == spot_before - 100

    text, outcome = await confirmed(user, "/margin borrow USDT 50")
    assert "Borrow 50 USDT into cross margin" in text
    assert "USDT: 100" in text  # the collateral it is borrowed against
    assert "Done: Borrow 50 USDT into cross margin" in outcome
    assert cross(bot, "USDT") == Decimal(150)
    overview = await user.ask("/margin")
    assert "USDT in cross margin: 50 borrowed + 0 interest" in overview
    assert "USDT: 150 available · 0 locked" in overview

    balance = await user.ask("/balance alp")
    assert "ALP.COM margin wallets (API v3):" in balance
    assert "cross margin" in balance
    assert "USDT: 150 available · 0 locked" in balance
    assert calls(bot, "GET", "/api/v3/accounts/balances")

    refused = await user.ask("/margin repay USDT 60")
    assert "You owe 50 USDT there" in refused
    assert calls(bot, "POST", "/api/v3/margin/repay") == []

    alp(bot).charge_interest(demo)  # 50 × 0.0001
    text, outcome = await confirmed(user, "/margin repay USDT 50.005")
    assert "Owed: 50.005 USDT (principal and interest) → 0 after" in text
    assert "Done: Repay 50.005 USDT from cross margin" in outcome
    assert len(calls(bot, "POST", "/api/v3/margin/repay")) == 1
    assert "Nothing borrowed." in await user.ask("/margin")

    history = await user.ask("/margin history")
    assert "Repaid 50 USDT · cross margin (+0.005 interest)" in history
    assert "Interest charged 0.005 USDT" in history
    assert "Borrowed 50 USDT · cross margin" in history
    assert "Moved to margin 100 USDT · cross margin" in history

    text, outcome = await confirmed(user, "/margin transfer USDT 99.995 to spot")
    assert "Move 99.995 USDT from cross margin to spot" in text
    assert "Done" in outcome
    assert cross(bot, "USDT") == Decimal(0)
    assert demo.wallets["USDT"].balance == spot_before - Decimal("0.005")


async def test_confirm_twice_sends_once_and_cancel_sends_nothing(bot: RunningBot) -> None:
    user = await margin_user(bot)
    message = await summary(user, "/margin transfer USDT 10 to margin")
    presses = await asyncio.gather(*(press(user, message, 1) for _ in range(5)))
    assert sum("Done:" in p for p in presses) >= 1
    assert len(calls(bot, "POST", "/api/v3/margin/transfer")) == 1
    assert cross(bot, "USDT") == Decimal(10)

    message = await summary(user, "/margin transfer USDT 5 to margin")
    assert "Cancelled: nothing was sent." in await press(user, message, 2)
    assert len(calls(bot, "POST", "/api/v3/margin/transfer")) == 1

    bot.user(1002, name="Mallory")
    message = await summary(user, "/margin transfer USDT 5 to margin")
    answer = await press(user, message, 1, by=1002)
    assert "expired or is not yours" in answer
    assert len(calls(bot, "POST", "/api/v3/margin/transfer")) == 1


async def test_bad_requests_are_refused_in_words_before_anything_is_sent(
    bot: RunningBot,
) -> None:
    user = await margin_user(bot)
    cases = {
        "/margin transfer USDT 99999 to margin": "Not enough USDT in your spot wallet",
        "/margin transfer USDT 1 to spot": "Not enough USDT in the margin wallet",
        "/margin borrow XYZ 1": "ALP.COM lists no currency “XYZ”",
        "/margin borrow USDT 0.000000001": "at most 8 decimal places",
        "/margin borrow USDT 10": "holds nothing to borrow against",
        "/margin borrow ETH 1 BTC_USDT": "holds only its two currencies, not ETH",
        "/margin repay USDT 1": "You owe no USDT",
        "/margin close": "nothing to close",
        "/margin borrow USDT -1": "is not a positive number",
        "/margin transfer USDT 1 sideways": "/margin transfer CURRENCY AMOUNT to margin|spot",
        "/margin lend USDT 1": "I don't know “lend”",
        "/margin wallex": "Margin is offered only on ALP.COM",
        "/margin borrow USDT 1 NOPE_X": "ALP.COM has no market",
    }
    for command, expected in cases.items():
        assert expected in await user.ask(command), command
    posted = [r for r in alp(bot).harness.requests if r.method in ("POST", "DELETE")]
    assert posted == []


async def test_an_exchange_refusal_after_confirm_is_a_sentence(bot: RunningBot) -> None:
    user = await margin_user(bot)
    await confirmed(user, "/margin transfer USDT 100 to margin")
    text, outcome = await confirmed(user, "/margin borrow USDT 100000")
    assert "ALP.COM sets how much you may borrow" in text
    assert "Borrow exceeds the limit: at most 400 USDT can be borrowed." in outcome
    assert len(calls(bot, "POST", "/api/v3/margin/borrow")) == 1
    assert alp(bot).margin.of(alp(bot).demo).loans == []


async def test_close_repays_and_moves_everything_back(bot: RunningBot) -> None:
    user = await margin_user(bot)
    await confirmed(user, "/margin transfer USDT 100 to margin")
    await confirmed(user, "/margin borrow USDT 20")
    text, outcome = await confirmed(user, "/margin close")
    assert "Repays 20 USDT" in text
    assert "Done: Close cross margin" in outcome
    (sent,) = calls(bot, "DELETE", "/api/v3/margin")
    assert b'"wallet_type":"CROSS_MARGIN"' in sent.body
    assert cross(bot, "USDT") == Decimal(0)
    assert "Nothing borrowed." in await user.ask("/margin")


async def test_activity_pages_with_one_time_buttons(bot: RunningBot) -> None:
    user = await margin_user(bot)
    server = alp(bot)
    for n in range(12):
        server.deposit(server.demo, "USDT", str(n + 1))
    await confirmed(user, "/margin transfer USDT 7 to margin")
    sent = await user.emu.send_text(user.user_id, "/activity alp")
    first = await user.emu.wait_for_message(
        user.chat_id, after_message_id=sent["message_id"], timeout=15
    )
    text = str(first["text"])
    assert "ALP.COM wallet activity · page 1 of 2" in text
    assert "Transfer · +7 USDT · cross margin" in text
    assert "Transfer · -7 USDT · spot" in text
    assert text.count("Deposit · +") == 8
    assert len(calls(bot, "GET", "/api/v3/wallets/activity")) == 1

    await press(user, first, 1)  # Older ▶
    assert "page 2 of 2" in shown(user, first)
    assert "Deposit · +1 USDT · spot" in shown(user, first)  # the oldest
    assert len(calls(bot, "GET", "/api/v3/wallets/activity")) == 2

    # ◀ Newer pressed twice at once: one press shows page 1, the other is refused.
    answers = await asyncio.gather(press(user, first, 1), press(user, first, 1))
    assert sum("expired or is not yours" in a for a in answers) == 1
    assert "page 1 of 2" in shown(user, first)
    assert len(calls(bot, "GET", "/api/v3/wallets/activity")) == 3
    bot.user(1003, name="Mallory")
    answer = await press(user, first, 1, by=1003)
    assert "expired or is not yours" in answer

    elsewhere = await user.ask("/activity wex")
    assert "WEX's API offers no wallet activity" in elsewhere
    assert "/deposits wex" in elsewhere


async def test_a_request_cut_off_after_confirm_is_told_once_and_never_resent(
    bot: RunningBot,
) -> None:
    user = await margin_user(bot)
    services = services_of(bot.app)
    past = datetime.now(UTC) - timedelta(minutes=5)  # as a process that died then left it
    store = ConfirmationStore(services.db, services.buttons, clock=lambda: past)
    payload = {"exchange": "alp", "currency": "USDT", "amount": "10", "to_margin": True}
    maybe = await store.create(user_id=1001, chat_id=1001, kind="margin_transfer", payload=payload)
    assert not isinstance(await store.confirm(maybe.id, 1001), Refusal)
    assert await store.mark_sent(maybe.id)
    never = await store.create(user_id=1001, chat_id=1001, kind="margin_borrow", payload=payload)
    assert not isinstance(await store.confirm(never.id, 1001), Refusal)

    text = await user.ask("/margin")
    assert "got no answer: it may have been carried out" in text
    assert "interrupted before it was sent: nothing went out" in text
    assert "Nothing borrowed." in text
    for pending in (maybe, never):
        row = await services.confirmations.get(pending.id)
        assert row is not None and row.state is State.FAILED
    assert [r for r in alp(bot).harness.requests if r.method == "POST"] == []
    again = await user.ask("/margin")
    assert "may have been carried out" not in again and "nothing went out" not in again


HOSTILE = [
    "",
    "borrow USDT 1e309",
    "borrow USDT NaN",
    "repay <b>x</b> 1",
    "transfer USDT ۱۲۳٫۴ to moon",
    "transfer USDT 1 to margin " + "A" * 300,
    "close '; DROP TABLE confirmations; --",
    "borrow " + "9" * 400 + " 1",
    "history please",
    "\u200f\u202e ۱۲۳ %(x)s {price}",
]


async def test_hostile_input_gets_a_sentence_and_sends_nothing(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "hostile.db", user_rate=100_000) as bot:
        user = await margin_user(bot)
        for args in HOSTILE:
            for command in ("/margin", "/activity alp", "/activity"):
                typed = f"{command} {args}".strip()
                text = await user.ask(typed, timeout=30)
                assert text.strip(), typed
                assert "Traceback" not in text and "incident" not in text, (typed, text[:300])
        assert [r for r in alp(bot).harness.requests if r.method in ("POST", "DELETE")] == []


async def test_activity_of_one_currency(bot: RunningBot) -> None:
    user = await margin_user(bot)
    server = alp(bot)
    server.deposit(server.demo, "BTC", "0.25")
    server.deposit(server.demo, "USDT", "3")
    text = await user.ask("/activity alp btc")
    assert "Deposit · +0.25 BTC · spot" in text
    assert "USDT" not in text
    assert calls(bot, "GET", "/api/v3/wallets/activity")[-1].query == {"currency": "BTC"}
    assert "is not a currency code" in await user.ask("/activity alp <b>")
    assert len(calls(bot, "GET", "/api/v3/wallets/activity")) == 1


async def test_several_alp_orders_cancelled_with_one_v3_delete(bot: RunningBot) -> None:
    user = await margin_user(bot)
    ids = []
    for price in ("60000", "60001"):
        _, placed = await confirmed(user, f"/buy alp BTC/USDT 0.001 {price}")
        match = re.search(r"Order id: (\d+)", placed)
        assert match is not None, placed
        ids.append(match.group(1))
    text, outcome = await confirmed(user, f"/cancel alp {ids[0]} {ids[1]}")
    assert "Cancelled 2 of 2 orders on ALP.COM" in outcome, (text, outcome)
    (sent,) = calls(bot, "DELETE", "/api/v3/orders")
    assert json.loads(sent.body)["order_ids"] == [int(i) for i in ids]
    assert calls(bot, "POST", "/api/v1/order-cancel/") == []
    engine = alp(bot).engine
    assert [o.status for o in engine.orders(alp(bot).demo.key)] == ["cancelled", "cancelled"]


async def test_margin_speaks_the_users_language(bot: RunningBot) -> None:
    user = await margin_user(bot, 1004)
    await user.ask("/lang fa")
    text = str((await summary(user, "/margin transfer USDT 100 to margin"))["text"])
    assert "انتقال ۱۰۰ USDT از اسپات به مارجین متقاطع" in text
    assert "۱٬۴۲۰٫۷۵" in text  # Persian digits and separators
    refused = await user.ask("/margin repay USDT 1")
    assert "بدهی USDT ندارید" in refused
