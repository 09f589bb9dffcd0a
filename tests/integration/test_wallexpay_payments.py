"""WallexPay withdrawals, exchange, futures, invoices and callbacks: the real
WallexPayAccount against the strict sandbox, and the sandbox's signed callbacks read by
``exchanges.wallexpay.callbacks`` at a local receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from exchanges.credentials import Credentials
from exchanges.errors import (
    BelowMinimum,
    InsufficientFunds,
    NotSupported,
    QuoteExpired,
    RateLimited,
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.http import HttpPipeline
from exchanges.models import TransferStatus, WithdrawalRequest
from exchanges.wallexpay import callbacks
from exchanges.wallexpay.account import WallexPayAccount
from exchanges.wallexpay.models import InvoiceStatus
from sandbox.market import SimulatedMarket
from sandbox.wallexpay import Merchant, WallexPaySandbox

from ..conftest import FixedClock

BTC_ADDRESS = "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7"


@dataclass
class Receiver:
    """The merchant's callback URL: records what arrives, answers ``status``."""

    url: str = ""
    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.status, text="ok")


@dataclass
class Env:
    sandbox: WallexPaySandbox
    url: str
    merchant: Merchant
    receiver: Receiver
    clock: FixedClock
    clients: list[WallexPayAccount] = field(default_factory=list)

    def client(self) -> WallexPayAccount:
        creds = Credentials.of(self.merchant.key, self.merchant.secret)
        assert creds is not None
        client = WallexPayAccount(
            HttpPipeline("wallexpay", self.url, timeout=5), creds, clock=self.clock
        )
        self.clients.append(client)
        return client

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.body)
            for r in self.sandbox.harness.requests
            if r.path == f"/api/v2/{method}"
        ]

    async def callback(self, **match: Any) -> callbacks.CallbackEvent:
        """The first delivered callback whose body has these fields, read and verified
        as the bot reads it."""
        body = await self.sandbox.callbacks.wait_delivered(
            lambda p: all(p.get(k) == v for k, v in match.items())
        )
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers, received = next((h, b) for h, b in self.receiver.received if b == raw)
        assert callbacks.verify(self.merchant.secret, self.merchant.key, received, headers)
        return callbacks.parse(received)


@pytest.fixture
async def env(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Env]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    receiver.url = (await serve(app)).url + "/hook"
    sandbox = WallexPaySandbox(sim)
    merchant = sandbox.add_account(balances={"BTC": "1", "USD": "10000", "USDT": "500", "ETH": "2"})
    sandbox.set_callback_url(merchant.key, receiver.url)
    served = await serve(sandbox.app())
    setup = Env(sandbox, served.url, merchant, receiver, clock)
    yield setup
    for client in setup.clients:
        await client.close()


# --- withdrawals ------------------------------------------------------------------------
async def test_a_withdrawal_is_sent_once_under_its_reference_then_confirmed_by_callbacks(
    env: Env,
) -> None:
    client = env.client()
    request = WithdrawalRequest("BTC", Decimal("0.01"), BTC_ADDRESS, reference="wd-42")
    sent = await client.withdraw(request)
    assert env.sent("withdrawal/crypto") == [
        {"foreign_id": "wd-42", "amount": "0.01", "currency": "BTC", "address": BTC_ADDRESS}
    ]
    assert sent.status is TransferStatus.PENDING and sent.amount == Decimal("0.01")
    assert env.merchant.balances["BTC"] == Decimal("0.99")

    pending = await env.callback(id=int(sent.withdrawal_id), status="not_confirmed")
    assert pending.kind == "withdrawal" and pending.foreign_id == "wd-42"
    assert pending.withdrawal is not None
    assert pending.withdrawal.status is TransferStatus.PENDING
    assert pending.withdrawal.address == BTC_ADDRESS
    env.clock.advance(31)
    done = await env.callback(id=int(sent.withdrawal_id), status="confirmed")
    assert done.withdrawal is not None and done.withdrawal.status is TransferStatus.COMPLETED
    assert done.withdrawal.txid

    with pytest.raises(RejectedRequest) as info:  # the same reference again: refused
        await client.withdraw(request)
    assert "already" in str(info.value)
    assert env.merchant.balances["BTC"] == Decimal("0.99")


async def test_a_cancelled_withdrawal_returns_the_money(env: Env) -> None:
    sent = await env.client().withdraw(
        WithdrawalRequest("BTC", Decimal("0.5"), BTC_ADDRESS, reference="wd-cancel")
    )
    env.sandbox.cancel_withdrawal(env.merchant, int(sent.withdrawal_id))
    event = await env.callback(id=int(sent.withdrawal_id), status="cancelled")
    assert event.withdrawal is not None and event.withdrawal.status is TransferStatus.CANCELLED
    assert env.merchant.balances["BTC"] == Decimal("1")


@pytest.mark.parametrize(
    ("currency", "amount", "address", "error", "words"),
    [
        ("BTC", "5", BTC_ADDRESS, InsufficientFunds, "Insufficient balance"),
        ("BTC", "0.00001", BTC_ADDRESS, BelowMinimum, "at least 0.0001"),
        ("BTC", "0.01", "not-an-address", WithdrawalRejected, "address format is invalid"),
        ("XYZ", "0.01", BTC_ADDRESS, UnknownSymbol, "XYZ"),
    ],
)
async def test_each_withdrawal_refusal_names_what_to_change(
    env: Env, currency: str, amount: str, address: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as info:
        await env.client().withdraw(
            WithdrawalRequest(currency, Decimal(amount), address, reference="wd-x")
        )
    assert words in str(info.value)
    assert env.merchant.balances["BTC"] == Decimal("1")


async def test_a_withdrawal_takes_no_memo_or_other_network(env: Env) -> None:
    client = env.client()
    for request in (
        WithdrawalRequest("BTC", Decimal("0.01"), BTC_ADDRESS, memo="123"),
        WithdrawalRequest("USDT", Decimal("10"), BTC_ADDRESS, network="TRC20"),
    ):
        with pytest.raises(NotSupported):
            await client.withdraw(request)
    assert env.sent("withdrawal/crypto") == []


async def test_withdrawal_terms_come_from_the_currency_list(env: Env) -> None:
    terms = await env.client().withdrawal_terms("btc")
    assert (terms.currency, terms.min_amount, terms.fee, terms.amount_decimals) == (
        "BTC",
        Decimal("0.0001"),
        Decimal(0),
        8,
    )


# --- exchange ---------------------------------------------------------------------------
async def test_a_quote_is_exchanged_within_its_time_and_refused_after(env: Env) -> None:
    client = env.client()
    quote = await client.exchange_calculate("BTC", "USD", sender_amount=Decimal("0.1"))
    assert env.sent("exchange/calculate") == [
        {"sender_currency": "BTC", "receiver_currency": "USD", "sender_amount": "0.1"}
    ]
    assert quote.fix_period == 60
    assert (quote.release_at - quote.fixed_at).total_seconds() == 60
    gross = (Decimal("0.1") * quote.price).quantize(Decimal("1e-8"))
    assert quote.receiver_amount + (quote.fee_amount or 0) == gross
    done = await client.exchange_quote(quote, foreign_id="ex-1")
    assert env.sent("exchange/fixed")[-1] == {
        "sender_currency": "BTC",
        "receiver_currency": "USD",
        "sender_amount": "0.10000000",  # the quoted amount, as quoted
        "foreign_id": "ex-1",
        "price": str(quote.price),
    }
    assert done.status == "processing" and done.receiver_amount == quote.receiver_amount
    assert env.merchant.balances["BTC"] == Decimal("0.9")
    settled = await env.callback(id=int(done.id), status="confirmed")
    assert settled.exchange is not None and settled.exchange.receiver_currency == "USD"
    assert env.merchant.balances["USD"] == Decimal("10000") + done.receiver_amount

    late = await client.exchange_calculate("BTC", "USD", sender_amount=Decimal("0.1"))
    env.clock.advance(61)
    with pytest.raises(QuoteExpired):  # by our clock: nothing is sent
        await client.exchange_quote(late, foreign_id="ex-2")
    assert len(env.sent("exchange/fixed")) == 1
    with pytest.raises(QuoteExpired) as info:  # and WallexPay refuses it as well
        await client.exchange_fixed(
            "BTC", "USD", late.sender_amount, price=late.price, foreign_id="ex-2"
        )
    assert "expired" in str(info.value)
    assert len(env.sent("exchange/fixed")) == 2
    with pytest.raises(RejectedRequest) as info:
        await client.exchange_fixed(
            "BTC", "USD", Decimal("0.1"), price=Decimal("1.5"), foreign_id="ex-3"
        )
    assert "price is invalid" in str(info.value)
    assert env.merchant.balances["BTC"] == Decimal("0.9")


async def test_exchange_now_and_a_quote_by_the_amount_received(env: Env) -> None:
    client = env.client()
    quote = await client.exchange_calculate("USD", "BTC", receiver_amount=Decimal("0.01"))
    assert quote.receiver_amount >= Decimal("0.01")
    done = await client.exchange_now("USDT", "USD", Decimal("100"), foreign_id="now-1")
    assert done.sender_amount == Decimal("100") and done.receiver_currency == "USD"
    with pytest.raises(BelowMinimum):
        await client.exchange_now("USDT", "USD", Decimal("1"), foreign_id="now-2")
    with pytest.raises(InsufficientFunds):
        await client.exchange_now("ETH", "USD", Decimal("20"), foreign_id="now-3")
    with pytest.raises(RejectedRequest) as info:
        await client.exchange_now("BTC", "ETH", Decimal("0.1"), foreign_id="now-4")
    assert "Exchange is unavailable" in str(info.value)


async def test_calculate_is_limited_to_thirty_a_minute(env: Env) -> None:
    client = env.client()
    for _ in range(30):
        await client.exchange_calculate("BTC", "USD", sender_amount=Decimal("0.01"))
    with pytest.raises(RateLimited):
        await client.exchange_calculate("BTC", "USD", sender_amount=Decimal("0.01"))


# --- futures and deposits -----------------------------------------------------------------
async def test_futures_fix_the_rate_of_the_next_deposit(env: Env) -> None:
    client = env.client()
    taken = await client.take_address("BTC", foreign_id="cust-1", convert_to="USD")
    rates = await client.futures_rates(taken.address)
    [(pair, tiers)] = rates.rates.items()
    assert pair == "BTCUSD" and Decimal("300") in tiers
    fixed = await client.futures_confirm(taken.address, "BTC", "USD", Decimal("30"))
    assert fixed.receiver_amount == Decimal("30") and fixed.address.id == taken.id
    env.sandbox.market.shift("BTC", 10)  # the market moves; the futures price does not
    env.sandbox.simulate_deposit(taken.address, fixed.sender_amount)
    event = await env.callback(foreign_id="cust-1", status="confirmed", type="deposit")
    assert event.deposit is not None and event.deposit.amount == fixed.sender_amount
    cent = Decimal("1e-8")
    fee = (fixed.sender_amount * Decimal("0.0099")).quantize(cent)  # the 0.99 % deposit fee
    expected = ((fixed.sender_amount - fee) * fixed.price).quantize(cent)
    assert env.merchant.balances["USD"] == Decimal("10000") + expected
    with pytest.raises(RejectedRequest) as info:
        await client.futures_rates(BTC_ADDRESS)
    assert "without exchange" in str(info.value)


async def test_futures_confirm_is_held_to_the_rates_window(env: Env) -> None:
    client = env.client()
    taken = await client.take_address("BTC", foreign_id="cust-f", convert_to="USD")
    rates = await client.futures_rates(taken.address)
    [tiers] = rates.rates.values()
    assert (rates.release_at - rates.fixed_at).total_seconds() == 6000  # the document's
    env.sandbox.market.shift("BTC", 10)  # within the window the rates' price holds
    fixed = await client.futures_confirm(taken.address, "BTC", "USD", Decimal("30"))
    assert fixed.price == tiers[Decimal("20")]
    env.clock.advance(6001)  # past ts_release of those rates
    with pytest.raises(QuoteExpired) as info:
        await client.futures_confirm(taken.address, "BTC", "USD", Decimal("30"))
    assert "expired" in str(info.value)
    assert len(env.sent("futures/confirm")) == 2  # the refusal came from the sandbox
    again = await client.futures_rates(taken.address)  # asking again opens a new window
    done = await client.futures_confirm(taken.address, "BTC", "USD", Decimal("30"))
    assert done.price == next(iter(again.rates.values()))[Decimal("20")]
    # the document lets the rates step be skipped: a confirm fixes the current price
    other = await client.take_address("BTC", foreign_id="cust-g", convert_to="USD")
    skipped = await client.futures_confirm(other.address, "BTC", "USD", Decimal("10"))
    assert skipped.price == env.sandbox.rate_to("BTC", "USD")


async def test_a_deposit_is_told_unconfirmed_then_confirmed_or_cancelled(env: Env) -> None:
    client = env.client()
    taken = await client.take_address("BTC", foreign_id="cust-2")
    env.sandbox.simulate_deposit(taken.address, "0.02")
    first = await env.callback(foreign_id="cust-2", status="not_confirmed")
    assert first.deposit is not None and first.deposit.status is TransferStatus.PENDING
    assert first.deposit.address == taken.address and first.deposit.amount == Decimal("0.02")
    done = await env.callback(foreign_id="cust-2", status="confirmed")
    assert done.deposit is not None and done.deposit.status is TransferStatus.COMPLETED
    assert env.merchant.balances["BTC"] == Decimal("1") + Decimal("0.02") * Decimal("0.9901")
    other = await client.take_address("BTC", foreign_id="cust-3")
    env.sandbox.simulate_deposit(other.address, "0.5", double_spend=True)
    spent = await env.callback(foreign_id="cust-3", status="cancelled")
    assert spent.deposit is not None and spent.deposit.status is TransferStatus.CANCELLED


# --- invoices ---------------------------------------------------------------------------
async def test_an_invoice_gives_a_link_and_its_payment_comes_back(env: Env) -> None:
    client = env.client()
    invoice = await client.create_invoice(
        Decimal("106.75"), "usd", foreign_id="inv-164", title="Order 164"
    )
    assert env.sent("invoices/create") == [
        {"amount": "106.75", "currency": "USD", "foreign_id": "inv-164", "title": "Order 164"}
    ]
    assert invoice.status == "created" and invoice.url.startswith(env.url + "/invoice/")
    assert invoice.release_at is not None and invoice.fixed_at is not None
    assert (invoice.release_at - invoice.fixed_at).total_seconds() == 900
    env.sandbox.pay_invoice(int(invoice.id))
    paid = await env.callback(type="invoice", status="paid")
    assert paid.invoice is not None and paid.invoice.status is InvoiceStatus.PAID
    assert paid.invoice.foreign_id == "inv-164" and paid.invoice.amount == Decimal("106.75")
    assert env.merchant.balances["USD"] == Decimal("10106.75")

    later = await client.create_invoice(Decimal("5"), "USD", foreign_id="inv-165")
    env.clock.advance(901)
    expired = await env.callback(type="invoice", status="expired")
    assert expired.invoice is not None and expired.invoice.invoice_id == later.id
    assert expired.invoice.status is InvoiceStatus.EXPIRED
    with pytest.raises(RejectedRequest) as info:
        await client.create_invoice(Decimal("5"), "USD", foreign_id="inv-165")
    assert "already" in str(info.value)


# --- callback delivery ---------------------------------------------------------------------
async def test_a_refused_callback_is_sent_again_until_accepted(env: Env) -> None:
    env.receiver.status = 500
    sender = env.sandbox.callbacks
    sender.now = lambda: float(len(sender.deliveries) * 10)  # every retry due at once
    taken = await env.client().take_address("ETH", foreign_id="cust-9")
    env.sandbox.simulate_deposit(taken.address, "0.1")

    def refused_twice() -> bool:
        first = [d for d in sender.deliveries if b'"not_confirmed"' in d.body]
        return len([d for d in first if d.status == 500]) >= 2

    await sender.wait_until(refused_twice)
    env.receiver.status = 200
    event = await env.callback(foreign_id="cust-9", status="not_confirmed")
    assert event.deposit is not None
    tries = [d.status for d in sender.deliveries if b'"not_confirmed"' in d.body]
    assert tries[:2] == [500, 500] and tries[-1] == 200


async def test_without_a_callback_url_nothing_is_posted(env: Env) -> None:
    env.sandbox.set_callback_url(env.merchant.key, None)
    taken = await env.client().take_address("BTC", foreign_id="cust-0")
    env.sandbox.simulate_deposit(taken.address, "0.01")
    await env.sandbox.sweep()
    assert env.receiver.received == []
    assert env.sandbox.callbacks.sent()[0]["status"] == "not_confirmed"
