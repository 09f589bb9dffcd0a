"""ALP.COM trading and transfers: the real AlpAccount against the strict ALP sandbox.

Signatures are recomputed here from the document's recipe (HMAC-SHA256 of key + the
sorted, url-encoded POST data), not with the client's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from exchanges.accounts import MemoryNonces
from exchanges.alp.account import AlpAccount
from exchanges.credentials import Credentials
from exchanges.errors import (
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    NotSupported,
    OrderNotFound,
    RequestTimeout,
    UnknownSymbol,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import (
    Market,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TransferStatus,
    WithdrawalRequest,
)
from sandbox.alp import AlpSandbox, FeeRule, SandboxAccount
from sandbox.harness import RecordedRequest
from sandbox.market import SimulatedMarket
from sandbox.matching import FILLED, SimOrder

from ..conftest import FixedClock

KEY = "5e1b-alp-trading-key"
SECRET = "Z%2Ftrading-secret"
BTC_USDT = Market("alp", "BTC_USDT", "BTC", "USDT", price_decimals=2, amount_decimals=6)
FEES = (
    FeeRule(Decimal("0.002"), Decimal("0.001"), priority=2),
    FeeRule(Decimal("0.0012"), Decimal("0.0006"), pair="BTC_USDT", priority=1),
)


async def _no_sleep(_: float) -> None:
    return None


def document_sign(payload: dict[str, str]) -> str:
    msg = KEY + urlencode(sorted(payload.items()))
    return hmac.new(SECRET.encode(), msg.encode(), hashlib.sha256).hexdigest()


class Alp:
    def __init__(self, sandbox: AlpSandbox, url: str, account: SandboxAccount) -> None:
        self.sandbox = sandbox
        self.url = url
        self.account = account
        self.opened: list[AlpAccount] = []

    def client(self, *, timeout: float = 5.0) -> AlpAccount:
        creds = Credentials.of(KEY, SECRET)
        assert creds is not None
        client = AlpAccount(
            HttpPipeline("alp", self.url, timeout=timeout, retry=RetryPolicy(), sleep=_no_sleep),
            creds,
            nonces=MemoryNonces(),
        )
        self.opened.append(client)
        return client

    def sent(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.sandbox.harness.requests if r.method == method and r.path == path]

    def last_price(self) -> Decimal:
        return self.sandbox.engine.last("BTC", "USDT")


@pytest.fixture
async def alp(serve: Any, sim: SimulatedMarket, clock: FixedClock) -> AsyncIterator[Alp]:
    sandbox = AlpSandbox(sim, private_rate=1000)
    account = sandbox.add_account(
        {"BTC": ("1", "0"), "USDT": ("50000", "0")}, key=KEY, secret=SECRET, fees=FEES
    )
    served = await serve(sandbox.app())
    env = Alp(sandbox, served.url, account)
    yield env
    for client in env.opened:
        await client.close()


async def filled(alp: Alp, order_id: str, timeout: float = 5.0) -> None:
    done = asyncio.Event()

    def listen(order: SimOrder) -> None:
        if order.order_id == order_id and order.status == FILLED:
            done.set()

    alp.sandbox.engine.listeners.append(listen)
    try:
        async with asyncio.timeout(timeout):
            await done.wait()
    finally:
        alp.sandbox.engine.listeners.remove(listen)


# --- placing -------------------------------------------------------------------------
async def test_a_limit_order_goes_to_v3_with_its_client_id_signed_over_the_json(
    alp: Alp,
) -> None:
    client = alp.client()
    price = (alp.last_price() * Decimal("0.9")).quantize(Decimal("0.01"))
    order = await client.place_order(
        OrderRequest(BTC_USDT, Side.BUY, Decimal("0.25"), price, client_order_id="sarraf-1")
    )
    (sent,) = alp.sent("POST", "/api/v3/orders")
    assert sent.headers["Content-Type"] == "application/json"
    body = json.loads(sent.body, parse_float=Decimal)
    assert body == {
        "account_id": alp.account.id,
        "wallet_type": "SPOT",
        "pair": "BTC_USDT",
        "order_side": "BUY",
        "order_type": "LIMIT",
        "tif": "GTC",
        "base_amount": Decimal("0.25"),
        "limit_price": price,
        "client_order_id": "sarraf-1",
    }
    texts = json.loads(sent.body, parse_float=str, parse_int=str)
    assert sent.headers["X-SIGN"] == document_sign({k: str(v) for k, v in texts.items()})
    assert order.status is OrderStatus.OPEN and order.client_order_id == "sarraf-1"
    assert order.amount == Decimal("0.25") and order.price == price
    assert alp.account.wallets["USDT"].reserve == Decimal("0.25") * price
    (listed,) = await client.open_orders(BTC_USDT)
    assert listed.order_id == order.order_id
    assert alp.sent("GET", "/api/v3/orders")[-1].query == {
        "pair": "BTC_USDT",
        "open_only": "true",
    }


async def test_a_resting_order_fills_when_the_price_crosses(alp: Alp) -> None:
    client = alp.client()
    price = (alp.last_price() * Decimal("0.95")).quantize(Decimal("0.01"))
    order = await client.place_order(OrderRequest(BTC_USDT, Side.BUY, Decimal("0.1"), price))
    waiting = asyncio.create_task(filled(alp, order.order_id))
    await asyncio.sleep(0)
    alp.sandbox.market.shift("BTC", -10)
    await waiting
    done = await client.order(order.order_id)
    assert alp.sent("GET", f"/api/v1/order/{order.order_id}/")
    assert done.status is OrderStatus.FILLED and done.filled == Decimal("0.1")
    assert await client.open_orders() == []
    (fill,) = await client.fills(BTC_USDT)
    assert (fill.price, fill.amount, fill.side) == (price, Decimal("0.1"), Side.BUY)
    assert alp.sent("GET", "/api/v1/exchanges/own/")[-1].query == {
        "limit": "50",
        "ordering": "-id",
        "pair": "BTC_USDT",
    }
    (trade,) = await client.account_trades(BTC_USDT)
    assert trade.fee == Decimal("0.1") * Decimal("0.0012") and trade.fee_currency == "BTC"
    # 0.1 BTC less the pair's taker fee (0.12 %)
    assert alp.account.wallets["BTC"].balance == Decimal("1") + Decimal("0.1") - trade.fee
    (history,) = await client.own_orders(BTC_USDT, status=3)
    assert history.order_id == order.order_id and history.status is OrderStatus.FILLED


async def test_a_market_order_fills_at_once(alp: Alp) -> None:
    client = alp.client()
    order = await client.place_order(OrderRequest(BTC_USDT, Side.SELL, Decimal("0.2")))
    body = json.loads(alp.sent("POST", "/api/v3/orders")[-1].body, parse_float=Decimal)
    assert body["order_type"] == "MARKET" and "limit_price" not in body
    assert order.type is OrderType.MARKET
    assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.2")
    assert alp.account.wallets["BTC"].balance == Decimal("0.8")


@pytest.mark.parametrize(
    ("amount", "price", "error", "words"),
    [
        ("2", "1000", InsufficientFunds, "Insufficient funds"),
        ("0.000001", "1000", BelowMinimum, "minimum order size 0.00001"),
        ("0.1234567", "1000", BadPrecision, "6 decimal places"),
        ("0.1", "1000.001", BadPrecision, "2 decimal places"),
        ("1000", "1", InvalidOrder, "maximum order size 100"),
    ],
)
async def test_each_refusal_of_an_order_names_what_to_change(
    alp: Alp, amount: str, price: str, error: type[Exception], words: str
) -> None:
    side = Side.SELL if amount == "2" else Side.BUY
    with pytest.raises(error) as info:
        await alp.client().place_order(
            OrderRequest(BTC_USDT, side, Decimal(amount), Decimal(price))
        )
    assert words in str(info.value)
    assert len(alp.sent("POST", "/api/v3/orders")) == 1
    assert alp.sandbox.engine.orders(KEY) == []


async def test_a_halted_pair_is_market_closed_and_an_unknown_one_unknown(alp: Alp) -> None:
    client = alp.client()
    alp.sandbox.halt("BTC_USDT")
    with pytest.raises(MarketClosed):
        await client.place_order(OrderRequest(BTC_USDT, Side.BUY, Decimal("0.1"), Decimal("1000")))
    nowhere = Market("alp", "ABC_USDT", "ABC", "USDT", 2, 2)
    with pytest.raises(UnknownSymbol):
        await client.place_order(OrderRequest(nowhere, Side.BUY, Decimal("1"), Decimal("1")))


# --- crash recovery by client order id -------------------------------------------------
async def test_an_order_whose_answer_is_lost_is_found_by_its_client_id_and_not_sent_twice(
    alp: Alp,
) -> None:
    client = alp.client(timeout=0.5)
    await client.account_id()  # the account id is read once, before the order
    request = OrderRequest(
        BTC_USDT, Side.BUY, Decimal("0.05"), Decimal("1000"), client_order_id="crash-7"
    )
    alp.sandbox.harness.faults.stall_reply = True
    alp.sandbox.harness.faults.only_paths = ("/api/v3/orders",)
    with pytest.raises(RequestTimeout):
        await client.place_order(request)
    alp.sandbox.harness.faults.clear()
    assert len(alp.sent("POST", "/api/v3/orders")) == 1  # sent once, never resent

    restarted = alp.client()
    found = await restarted.order_by_client_id("crash-7")
    assert found is not None and found.client_order_id == "crash-7"
    assert found.status is OrderStatus.OPEN and found.amount == Decimal("0.05")
    assert await restarted.order_by_client_id("never-sent") is None
    # A resend under the same client id is refused by ALP, so nothing is doubled.
    with pytest.raises(InvalidOrder) as info:
        await restarted.place_order(request)
    assert "already exists" in str(info.value)
    assert len(alp.sandbox.engine.orders(KEY)) == 1


# --- cancelling -------------------------------------------------------------------------
async def test_cancel_goes_to_v1_as_a_signed_form_and_frees_the_funds(alp: Alp) -> None:
    client = alp.client()
    order = await client.place_order(
        OrderRequest(BTC_USDT, Side.BUY, Decimal("0.1"), Decimal("1000"))
    )
    assert await client.cancel_order(order.order_id) is None
    (sent,) = alp.sent("POST", "/api/v1/order-cancel/")
    assert dict(parse_qsl(sent.body.decode())) == {"order": order.order_id}
    assert sent.headers["X-SIGN"] == document_sign({"order": order.order_id})
    assert alp.account.wallets["USDT"].balance == Decimal("50000")
    assert alp.account.wallets["USDT"].reserve == Decimal("0")
    assert (await client.order(order.order_id)).status is OrderStatus.CANCELLED
    with pytest.raises(InvalidOrder) as info:
        await client.cancel_order(order.order_id)
    assert "done or cancelled" in str(info.value)
    with pytest.raises(OrderNotFound):
        await client.cancel_order("99999999")
    with pytest.raises(OrderNotFound):
        await client.order("99999999")


async def test_a_signature_over_other_post_data_is_refused(alp: Alp) -> None:
    """The sandbox checks a POST's signature against its own form data."""
    headers = {
        "X-KEY": KEY,
        "X-SIGN": document_sign({"order": "1"}),
        "X-NONCE": "99999999999999",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(alp.url + "/api/v1/order-cancel/", data="order=2", headers=headers) as r,
    ):
        assert r.status == 401
        assert await r.json() == {"detail": "Invalid signature."}


# --- fees and transfers -------------------------------------------------------------------
async def test_trading_fee_is_the_pairs_rule(alp: Alp) -> None:
    fee = await alp.client().trading_fee(BTC_USDT)
    assert fee is not None
    assert (fee.maker_pct, fee.taker_pct) == (Decimal("0.06"), Decimal("0.12"))


async def test_deposits_and_withdraws_with_their_documented_statuses(
    alp: Alp, clock: FixedClock
) -> None:
    client = alp.client()
    assert client.trading.withdraw is False
    with pytest.raises(NotSupported):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.1"), "1BoatSLRHtKNngkdXEeobR"))
    deposit_id = alp.sandbox.deposit(alp.account, "BTC", "0.5")
    (deposit,) = await client.deposits()
    assert (deposit.deposit_id, deposit.amount, deposit.status) == (
        str(deposit_id),
        Decimal("0.5"),
        TransferStatus.COMPLETED,
    )
    made = alp.sandbox.withdrawal(alp.account, "BTC", "0.2")
    refused = alp.sandbox.withdrawal(alp.account, "USDT", "100")
    alp.sandbox.trading.settle_withdrawal(alp.account, refused.id, 40)
    states = {w.withdrawal_id: w.status for w in await client.withdrawals()}
    assert states == {str(made.id): TransferStatus.PENDING, str(refused.id): TransferStatus.FAILED}
    assert alp.account.wallets["USDT"].balance == Decimal("50000")
    clock.advance(61)
    states = {w.withdrawal_id: w.status for w in await client.withdrawals()}
    assert states[str(made.id)] is TransferStatus.COMPLETED
    assert made.status == 30


async def test_v1_create_order_as_the_documents_example_sends_it(alp: Alp) -> None:
    """The v1 ``order/`` call, signed over its form as the document's examples do: the
    sandbox places it and answers in the example's shape; a missing field is DRF's 400."""
    price = (alp.last_price() * Decimal("1.1")).quantize(Decimal("0.01"))
    order = {"type": "sell", "pair": "BTC_USDT", "amount": "0.0001", "price": str(price)}
    async with aiohttp.ClientSession() as session:
        headers = {
            "X-KEY": KEY,
            "X-SIGN": document_sign(order),
            "X-NONCE": "1",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with session.post(
            alp.url + "/api/v1/order/", data=urlencode(order), headers=headers
        ) as r:
            assert r.status == 200
            answer = json.loads(await r.text(), parse_float=Decimal)
        missing = {"type": "sell", "pair": "BTC_USDT"}
        headers.update({"X-SIGN": document_sign(missing), "X-NONCE": "2"})
        async with session.post(
            alp.url + "/api/v1/order/", data=urlencode(missing), headers=headers
        ) as r:
            assert r.status == 400
            assert await r.json() == {
                "amount": ["This field is required."],
                "price": ["This field is required."],
            }
    assert answer["success"] is True and answer["type"] == "sell"
    assert answer["price"] == price and answer["amount"] == Decimal("0.0001")
    assert answer["trades"] == []
    (placed,) = await alp.client().own_orders(BTC_USDT, status=1)
    assert placed.order_id == str(answer["oid"]) and placed.status is OrderStatus.OPEN
