"""An invoice's life as its merchant hears it: created by /invoice, then paid or expired —
each once, whether WallexPay calls back or (for an expiry) stays silent; and /invoice
without arguments lists them."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from bot.app import services_of
from sandbox import wallexpay
from storage.repos import wallexpay_ledger

from ..conftest import FixedClock
from .conftest import ChatUser, RunningBot
from .test_bot_payments import merchant
from .test_bot_withdrawals import money
from .test_wallexpay_callbacks_bot import post, signed


def told(bot: RunningBot, user: ChatUser, mark: str) -> list[str]:
    return [
        str(m.get("text"))
        for m in bot.stack.telegram.transcript(user.chat_id)
        if m.get("from_bot") and mark in str(m.get("text"))
    ]


def expiry_job(bot: RunningBot) -> Any:
    assert bot.app.job_queue is not None
    [job] = [j for j in bot.app.job_queue.jobs() if j.name == "invoice-expiry"]
    return job


async def ledger_status(bot: RunningBot, user: ChatUser, invoice_id: str) -> str | None:
    async with services_of(bot.app).db.session() as session:
        rows = await wallexpay_ledger.transactions(session, user.user_id, kind="invoice")
    return next((r.status for r in rows if r.transaction_id == invoice_id), None)


async def make_invoice(user: ChatUser, text: str) -> str:
    reply = await user.ask(text)
    found = re.search(r"Invoice (\d+) for", reply)
    assert found, reply
    return found.group(1)


async def test_an_invoice_wallexpay_never_calls_back_about_is_told_expired_once(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    clock = FixedClock(time.time())
    money(bot).payments.clock = clock
    user = await merchant(bot)
    invoice_id = await make_invoice(user, "/invoice 5 USDT Coffee")
    assert await ledger_status(bot, user, invoice_id) == "created"
    await expiry_job(bot).run(bot.app)
    assert told(bot, user, "⌛") == []  # not yet due
    clock.advance(15 * 60 + 60)  # past its pay-by time, within the grace
    await expiry_job(bot).run(bot.app)
    assert told(bot, user, "⌛") == []
    clock.advance(61)  # the grace is over and WallexPay said nothing
    await expiry_job(bot).run(bot.app)
    emu = bot.stack.telegram
    expired = await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "⌛" in str(m.get("text")), timeout=10
    )
    assert "Invoice “Coffee” was not paid in time: expired." in str(expired["text"])
    assert await ledger_status(bot, user, invoice_id) == "expired"
    # WallexPay's own expired callback arrives late: the merchant is not told twice
    url, _ = await money(bot).payments.callback_url(user.user_id)
    assert url is not None
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)
    market_clock.advance(15 * 60 + 1)
    await sandbox.sweep()
    await sandbox.callbacks.wait_delivered(
        lambda body: body.get("type") == "invoice" and body.get("status") == "expired"
    )
    await expiry_job(bot).run(bot.app)
    listing = await user.ask("/invoice")
    assert len(told(bot, user, "⌛")) == 1
    assert f"{invoice_id}" in listing and "Coffee" in listing and "expired" in listing


async def test_created_is_told_by_the_reply_and_paid_by_the_callback_once(
    bot: RunningBot,
) -> None:
    user = await merchant(bot)
    url, _ = await money(bot).payments.callback_url(user.user_id)
    assert url is not None
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)
    invoice_id = await make_invoice(user, "/invoice 25 USDT Order 42")
    [created] = [
        json.loads(r.body) for r in sandbox.harness.requests if r.path == "/api/v2/invoices/create"
    ]
    body = json.dumps(
        {
            "id": int(invoice_id),
            "foreign_id": created["foreign_id"],
            "type": "invoice",
            "status": "created",
            "currency": "USDT",
            "amount": "25",
        }
    ).encode()
    assert await post(url, body, signed(body)) == 200  # already told by the reply
    sandbox.pay_invoice(int(invoice_id))
    await sandbox.sweep()
    paid = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "💰" in str(m.get("text")), timeout=10
    )
    assert "Invoice “Order 42” is paid: 25 USDT." in str(paid["text"])
    assert told(bot, user, "🧾 Invoice “Order 42”: created") == []
    assert await ledger_status(bot, user, invoice_id) == "paid"
    # paid before its time: the expiry job never says otherwise
    money(bot).payments.clock = FixedClock(time.time() + 3600)
    await expiry_job(bot).run(bot.app)
    assert told(bot, user, "⌛") == []
    listing = await user.ask("/invoice")
    assert "Your WallexPay invoices" in listing and "“Order 42”: paid" in listing


async def test_invoice_list_is_empty_at_first_and_per_merchant(bot: RunningBot) -> None:
    user = await merchant(bot)
    assert "You have no WallexPay invoices made here yet" in await user.ask("/invoice")
    await make_invoice(user, "/invoice 7 USDT Tea")
    other = bot.user(2002, name="Sara")
    from .test_bot_accounts import connect

    assert "connected" in await connect(
        other, "wallexpay", [wallexpay.DEMO_KEY, wallexpay.DEMO_SECRET]
    )
    assert "You have no WallexPay invoices made here yet" in await other.ask("/invoice")
    listing = await user.ask("/invoice")
    assert "7 USDT “Tea”: created (pay by" in listing
