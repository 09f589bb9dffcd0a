"""/convert and /invoice through the real bot; an invoice's paid callback reaches its merchant."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from typing import Any

import pytest

from bot.app import services_of
from exchanges.wallexpay.account import WallexPayAccount
from sandbox import wallexpay

from ..conftest import FixedClock
from .conftest import ChatUser, RunningBot
from .test_bot_accounts import connect
from .test_bot_withdrawals import last_with_buttons, money, press
from .test_wallexpay_callbacks_bot import post, signed


class RecordingWallexPay(WallexPayAccount):
    """WallexPay's real account client with its payment calls answered as the document's
    examples answer them, and recorded: the bot's side of /convert and /invoice."""

    calls: list[tuple[str, dict[str, Any]]] = []

    async def exchange_calculate(
        self, sender: str, receiver: str, *, sender_amount: Decimal
    ) -> dict[str, Any]:
        RecordingWallexPay.calls.append(("calculate", {"sender_amount": sender_amount}))
        now = int(time.time())
        return {
            "sender_amount": sender_amount,
            "sender_currency": sender,
            "receiver_amount": sender_amount * Decimal("98000"),
            "receiver_currency": receiver,
            "fee_amount": Decimal("0.00001"),
            "fee_currency": sender,
            "price": Decimal("98000.00000000"),
            "ts_fixed": now,
            "ts_release": now + 60,
            "fix_period": 60,
        }

    async def exchange_fixed(
        self,
        sender: str,
        receiver: str,
        sender_amount: Decimal,
        *,
        price: Decimal,
        foreign_id: str,
    ) -> dict[str, Any]:
        RecordingWallexPay.calls.append(
            ("fixed", {"price": price, "foreign_id": foreign_id, "amount": sender_amount})
        )
        return {
            "id": 2687667,
            "foreign_id": foreign_id,
            "type": "exchange",
            "sender_amount": sender_amount,
            "sender_currency": sender,
            "receiver_amount": sender_amount * price,
            "receiver_currency": receiver,
            "fee_amount": Decimal("0.5"),
            "fee_currency": receiver,
            "price": price,
            "status": "processing",
        }

    async def create_invoice(
        self, amount: Decimal, currency: str, *, foreign_id: str, title: str | None
    ) -> dict[str, Any]:
        RecordingWallexPay.calls.append(("invoice", {"foreign_id": foreign_id, "title": title}))
        return {
            "id": 79,
            "url": "https://app.wllxpay.io/invoice/RB9NZv",
            "foreign_id": foreign_id,
            "status": "created",
            "currency": currency,
            "amount": amount,
            "fixed_at": int(time.time()),
            "release_at": int(time.time()) + 900,
        }


@pytest.fixture
def calls(bot: RunningBot) -> list[tuple[str, dict[str, Any]]]:
    accounts = services_of(bot.app).accounts
    accounts.factories["wallexpay"] = (RecordingWallexPay, accounts.factories["wallexpay"][1])
    RecordingWallexPay.calls = []
    return RecordingWallexPay.calls


async def merchant(bot: RunningBot) -> ChatUser:
    user = bot.user()
    reply = await connect(user, "wallexpay", [wallexpay.DEMO_KEY, wallexpay.DEMO_SECRET])
    assert "connected" in reply
    return user


async def test_convert_within_the_quote(
    bot: RunningBot, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT")
    quote = last_with_buttons(bot, user)
    text = str(quote["text"])
    assert "You give: 0.01 BTC" in text and "You get: 980 USDT" in text
    assert re.search(r"This rate holds for (59|60) more seconds", text), text
    done = await press(bot, user, quote, 1)
    assert "WallexPay accepted the exchange: id 2687667, status processing" in done
    assert "0.01 BTC → 980 USDT" in done
    fixed = [c for kind, c in calls if kind == "fixed"]
    assert len(fixed) == 1 and fixed[0]["price"] == Decimal("98000")
    reference = fixed[0]["foreign_id"]
    assert reference and len(reference) >= 16


async def test_an_expired_quote_sends_nothing_and_offers_a_fresh_one(
    bot: RunningBot, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT")
    quote = last_with_buttons(bot, user)
    clock.advance(61)
    expired = await press(bot, user, quote, 1)
    assert "This rate expired" in expired and "nothing was exchanged" in expired
    assert not [kind for kind, _ in calls if kind == "fixed"]
    fresh = last_with_buttons(bot, user)
    assert "Fresh quote" in str(fresh["reply_markup"])
    clock.now = time.time()
    again = await press(bot, user, fresh, 1)
    assert "This rate holds for" in again
    assert [kind for kind, _ in calls] == ["calculate", "calculate"]


async def test_invoice_link_and_its_paid_callback(
    bot: RunningBot, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    user = await merchant(bot)
    reply = await user.ask("/invoice 25 USDT Order 42")
    assert "Invoice 79 for 25 USDT" in reply and "Title: Order 42" in reply
    assert "https://app.wllxpay.io/invoice/RB9NZv" in reply
    url, _ = await money(bot).payments.callback_url(user.user_id)
    assert url is not None and url in reply  # told which callback URL to set
    [(_, sent)] = calls
    body = json.dumps(
        {
            "id": 79,
            "foreign_id": sent["foreign_id"],
            "type": "invoice",
            "status": "paid",
            "currency": "USDT",
            "amount": "25",
        }
    ).encode()
    assert await post(url, body, signed(body)) == 200
    assert await post(url, body, signed(body)) == 200
    emu = bot.stack.telegram
    paid = await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "💰" in str(m.get("text")), timeout=10
    )
    assert "Invoice “Order 42” is paid: 25 USDT." in str(paid["text"])
    later = await user.ask("/invoice 5 USDT")
    assert "callback URL" not in later  # WallexPay has been heard from
    assert len([m for m in emu.transcript(user.chat_id) if "💰" in str(m.get("text"))]) == 1


async def test_the_quote_counts_down_then_offers_a_fresh_one(
    bot: RunningBot, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT")
    quote = last_with_buttons(bot, user)
    assert bot.app.job_queue is not None
    [job] = [j for j in bot.app.job_queue.jobs() if str(j.name).startswith("quote:")]
    emu = bot.stack.telegram

    def now_shown() -> dict[str, Any]:
        [m] = [m for m in emu.transcript(user.chat_id) if m["message_id"] == quote["message_id"]]
        return m

    clock.advance(30)
    await job.run(bot.app)
    shown = now_shown()
    assert re.search(r"holds for (29|30) more seconds", str(shown["text"])), shown["text"]
    assert "Confirm" in str(shown["reply_markup"])
    clock.advance(31)
    await job.run(bot.app)
    shown = now_shown()
    assert "This rate expired" in str(shown["text"])
    assert "Fresh quote" in str(shown["reply_markup"]) and "Confirm" not in str(
        shown["reply_markup"]
    )
    assert not [kind for kind, _ in calls if kind == "fixed"]


# --- the strict WallexPay sandbox: what reached it, and the callbacks it sends ---------
def sandbox_requests(bot: RunningBot, method: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.body)
        for r in bot.stack.servers["wallexpay"].harness.requests
        if r.path == f"/api/v2/{method}"
    ]


@pytest.fixture
def real_wallexpay() -> None:
    if not callable(getattr(WallexPayAccount, "exchange_calculate", None)):
        pytest.skip("the WallexPay client offers no payment calls yet")


async def test_convert_on_the_wallexpay_sandbox(bot: RunningBot, real_wallexpay: None) -> None:
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT")
    quote = last_with_buttons(bot, user)
    assert "This rate holds for" in str(quote["text"])
    [calculated] = sandbox_requests(bot, "exchange/calculate")
    assert calculated["sender_amount"] == "0.01" and calculated["sender_currency"] == "BTC"
    assert sandbox_requests(bot, "exchange/fixed") == []
    done = await press(bot, user, quote, 1)
    assert "WallexPay accepted the exchange" in done, done
    [fixed] = sandbox_requests(bot, "exchange/fixed")
    assert fixed["foreign_id"] and Decimal(fixed["sender_amount"]) == Decimal("0.01")
    assert fixed["price"]


async def test_invoice_paid_by_the_sandbox_reaches_the_merchant(
    bot: RunningBot, real_wallexpay: None
) -> None:
    user = await merchant(bot)
    url, _ = await money(bot).payments.callback_url(user.user_id)
    assert url is not None
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)  # the merchant's back-office setting
    reply = await user.ask("/invoice 25 USDT Order 42")
    found = re.search(r"Invoice (\d+) for 25 USDT", reply)
    assert found, reply
    [created] = sandbox_requests(bot, "invoices/create")
    assert created["amount"] == "25" and created["currency"] == "USDT" and created["foreign_id"]
    sandbox.pay_invoice(int(found.group(1)))
    await sandbox.sweep()
    paid = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "💰" in str(m.get("text")), timeout=10
    )
    assert "Invoice “Order 42” is paid: 25 USDT." in str(paid["text"])
    assert [d.status for d in sandbox.callbacks.deliveries] == [200]


async def test_an_unpaid_invoice_expires_and_the_merchant_is_told(
    bot: RunningBot, real_wallexpay: None, market_clock: FixedClock
) -> None:
    user = await merchant(bot)
    url, _ = await money(bot).payments.callback_url(user.user_id)
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)
    assert "Invoice" in await user.ask("/invoice 5 USDT Coffee")
    market_clock.advance(15 * 60 + 1)  # the invoice's 15 minutes pass unpaid
    await sandbox.sweep()
    expired = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "⌛" in str(m.get("text")), timeout=10
    )
    assert "Invoice “Coffee” was not paid in time: expired." in str(expired["text"])


async def test_an_expired_quote_never_reaches_the_sandbox(
    bot: RunningBot, real_wallexpay: None
) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    await user.ask("/convert 0.01 BTC USDT")
    quote = last_with_buttons(bot, user)
    clock.advance(61)
    expired = await press(bot, user, quote, 1)
    assert "This rate expired" in expired and "nothing was exchanged" in expired
    assert sandbox_requests(bot, "exchange/fixed") == []
    clock.now = time.time()
    fresh = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "This rate holds for" in fresh
    assert len(sandbox_requests(bot, "exchange/calculate")) == 2
    done = await press(bot, user, last_with_buttons(bot, user), 1)
    assert "WallexPay accepted the exchange" in done
    assert len(sandbox_requests(bot, "exchange/fixed")) == 1
