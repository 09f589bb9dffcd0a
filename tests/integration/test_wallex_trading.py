"""Wallex trading against the strict sandbox: limit and market orders, cancel, open
orders, own trades, the fee, partial fills and the private ``stream_key`` channel —
asserting what reached the sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.credentials import Credentials, Secret
from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    NotSupported,
    OrderNotFound,
    UnknownSymbol,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import (
    AccountEvent,
    Market,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    WithdrawalRequest,
)
from exchanges.streams import AccountStream
from exchanges.wallex.account import WallexAccount
from exchanges.wallex.client import WallexClient
from sandbox.market import SimulatedMarket
from sandbox.wallex import WallexSandbox
from sandbox.wallex.private import WallexAccountState

from ..conftest import FixedClock

ORDERS = "/v1/account/orders"


async def no_sleep(_: float) -> None:
    return None


class Env:
    def __init__(self, sandbox: WallexSandbox, url: str, clock: FixedClock) -> None:
        self.sandbox = sandbox
        self.url = url
        self.clock = clock
        self.closers: list[Any] = []

    def http(self) -> HttpPipeline:
        return HttpPipeline("wallex", self.url, timeout=3.0, retry=RetryPolicy(), sleep=no_sleep)

    def client(self, account: WallexAccountState) -> WallexAccount:
        client = WallexAccount(
            self.http(), Credentials(key=None, secret=Secret(account.token)), clock=self.clock
        )
        self.closers.append(client)
        return client

    async def market(self, symbol: str) -> Market:
        public = WallexClient(self.http(), clock=self.clock)
        self.closers.append(public)
        return (await public.markets())[symbol]

    def account(self, **balances: tuple[str, str]) -> WallexAccountState:
        return self.sandbox.add_account(balances=balances)

    def body(self, method: str = "POST") -> dict[str, Any]:
        seen = next(
            r
            for r in reversed(self.sandbox.harness.requests)
            if r.path == ORDERS and r.method == method
        )
        loaded: dict[str, Any] = json.loads(seen.body)
        return loaded


@pytest.fixture
async def env(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Env]:
    sandbox = WallexSandbox(sim)
    served = await serve(sandbox.app())
    e = Env(sandbox, served.url, clock)
    yield e
    for closer in e.closers:
        await closer.close()


def held(account: WallexAccountState, asset: str) -> tuple[Decimal, Decimal]:
    return account.balances.get(asset, (Decimal(0), Decimal(0)))


async def test_limit_buy_rests_then_fills_when_the_price_falls(
    env: Env, sim: SimulatedMarket
) -> None:
    account = env.account(TMN=("50000000", "0"))
    client = env.client(account)
    m = await env.market("BTCTMN")
    price = (env.sandbox.engine.last("BTC", "TMN") * Decimal("0.98")).quantize(Decimal(1))
    order = await client.place_order(
        OrderRequest(m, Side.BUY, Decimal("0.0012"), price, client_order_id="sarraf-7")
    )
    assert order.order_id == "sarraf-7" == order.client_order_id
    assert order.status is OrderStatus.OPEN and order.type is OrderType.LIMIT
    assert order.amount == Decimal("0.0012") and order.price == price and order.filled == 0

    seen = env.sandbox.harness.last(ORDERS)
    assert seen.method == "POST" and seen.headers["Authorization"] == f"Bearer {account.token}"
    assert seen.headers["Content-Type"].startswith("application/json")
    assert env.body() == {
        "price": str(price),
        "quantity": "0.0012",
        "side": "buy",
        "symbol": "BTCTMN",
        "type": "limit",
        "client_id": "sarraf-7",
    }
    assert held(account, "TMN")[1] == price * Decimal("0.0012")

    (listed,) = await client.open_orders(m)
    assert listed.order_id == "sarraf-7"
    assert env.sandbox.harness.last("/v1/account/openOrders").query == {"symbol": "BTCTMN"}
    assert (await client.order_by_client_id("sarraf-7")) == listed  # found by locked TMN

    sim.shift("BTC", -5)
    env.sandbox.engine.sweep()
    assert await client.open_orders(m) == []
    assert await client.order_by_client_id("sarraf-7") is None
    (fill,) = await client.fills(m)
    assert fill.side is Side.BUY and fill.amount == Decimal("0.0012") and fill.price == price
    assert fill.fee_currency == "BTC" and fill.fee == Decimal("0.0012") * Decimal("0.003")
    assert env.sandbox.harness.last("/v1/account/trades").query == {"symbol": "BTCTMN"}
    assert held(account, "BTC")[0] == Decimal("0.0012") * Decimal("0.997")


async def test_market_order_fills_at_once_with_a_made_up_client_id(env: Env) -> None:
    account = env.account(USDT=("500", "0"))
    client = env.client(account)
    m = await env.market("BTCUSDT")
    order = await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001")))
    assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.001")
    assert order.type is OrderType.MARKET and order.order_id.startswith("MARKET-")
    assert order.average_price is not None and order.fee is not None
    assert env.body() == {"quantity": "0.001", "side": "buy", "symbol": "BTCUSDT", "type": "market"}
    # Cancelling a filled order answers it as it is (the document's example).
    again = await client.cancel_order(order.order_id)
    assert again is not None and again.status is OrderStatus.FILLED
    assert env.body("DELETE") == {"clientOrderId": order.order_id}


async def test_partial_fill_then_cancel(env: Env, sim: SimulatedMarket) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCUSDT")
    price = (env.sandbox.engine.last("BTC", "USDT") * Decimal("1.01")).quantize(Decimal("0.01"))
    order = await client.place_order(OrderRequest(m, Side.SELL, Decimal("0.005"), price))
    env.sandbox.engine.max_fill = Decimal("0.001")
    sim.shift("BTC", 3)
    env.sandbox.engine.sweep()
    (partial,) = await client.open_orders(m)
    assert partial.status is OrderStatus.PARTIALLY_FILLED and partial.filled >= Decimal("0.001")
    cancelled = await client.cancel_order(order.order_id, m)
    assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
    assert cancelled.filled >= partial.filled and cancelled.filled < Decimal("0.005")
    assert held(account, "BTC") == (Decimal("0.01") - cancelled.filled, Decimal(0))
    with pytest.raises(OrderNotFound):
        await client.cancel_order("LIMIT-no-such-order")


async def test_order_refusals(env: Env) -> None:
    account = env.account(TMN=("200000", "0"))
    client = env.client(account)
    m = await env.market("BTCTMN")
    last = env.sandbox.engine.last("BTC", "TMN")
    with pytest.raises(InsufficientFunds, match="Insufficient balance"):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001"), last))
    with pytest.raises(BelowMinimum, match="at least 100000"):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.000001"), last))
    looser = Market("wallex", "BTCTMN", "BTC", "TMN", 0, 8)
    with pytest.raises(BadPrecision, match="0-6 decimal places"):
        await client.place_order(OrderRequest(looser, Side.BUY, Decimal("0.0000012"), last))
    before = len(env.sandbox.harness.requests)
    with pytest.raises(BadPrecision):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.0000012"), last))
    with pytest.raises(BadPrecision):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001"), last + Decimal("0.5")))
    assert len(env.sandbox.harness.requests) == before
    with pytest.raises(UnknownSymbol):
        await client.place_order(
            OrderRequest(
                Market("wallex", "XYZTMN", "XYZ", "TMN", 0, 2), Side.BUY, Decimal(1), Decimal(10)
            )
        )
    env.sandbox.trading.inactive.add("BTCTMN")
    with pytest.raises(MarketClosed):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.00001"), last))
    env.sandbox.trading.inactive.clear()
    await client.place_order(
        OrderRequest(
            m,
            Side.BUY,
            Decimal("0.00002"),
            (last * Decimal("0.9")).quantize(Decimal(1)),
            client_order_id="dup",
        )
    )
    with pytest.raises(InvalidOrder, match="already been taken"):
        await client.place_order(
            OrderRequest(
                m,
                Side.BUY,
                Decimal("0.00002"),
                (last * Decimal("0.9")).quantize(Decimal(1)),
                client_order_id="dup",
            )
        )


async def test_fee_and_no_withdrawals(env: Env) -> None:
    account = env.account()
    client = env.client(account)
    fee = await client.trading_fee(await env.market("BTCTMN"))
    assert fee is not None and fee.maker_pct == Decimal("0.3") and fee.taker_pct == Decimal("0.4")
    assert not WallexAccount.trading.withdraw
    assert any("withdrawal" in note for note in WallexAccount.trading.notes)
    with pytest.raises(NotSupported):
        await client.withdraw(WithdrawalRequest("USDT", Decimal(10), "T" + "1" * 33))


async def test_a_bad_token_is_refused_on_orders(env: Env) -> None:
    impostor = WallexAccountState(
        token="nope", client_id=1, first_name="", last_name="", email="", mobile_number=""
    )
    client = env.client(impostor)
    with pytest.raises(AuthenticationError):
        await client.place_order(
            OrderRequest(await env.market("BTCTMN"), Side.BUY, Decimal(1), Decimal(1))
        )


# --- the private channel ----------------------------------------------------------------


async def next_event(stream: AccountStream, kind: str, timeout: float = 5.0) -> AccountEvent:
    async with asyncio.timeout(timeout):
        async for event in stream.events():
            if event.kind == kind:
                return event
    raise AssertionError("the stream ended")


async def test_private_channel_pushes_orders_and_balances(env: Env, sim: SimulatedMarket) -> None:
    account = env.account(TMN=("50000000", "0"))
    client = env.client(account)
    stream = client.account_stream(env.url)
    await stream.connect()
    try:
        await env.sandbox.socket.wait_subscribed(account.stream_key)
        m = await env.market("BTCTMN")
        price = (env.sandbox.engine.last("BTC", "TMN") * Decimal("0.99")).quantize(Decimal(1))
        await client.place_order(
            OrderRequest(m, Side.BUY, Decimal("0.001"), price, client_order_id="c-1")
        )
        placed = await next_event(stream, "order")
        assert placed.order is not None and placed.order.order_id == "c-1"
        assert placed.order.status is OrderStatus.OPEN
        sim.shift("BTC", -3)  # the background sweep fills it
        filled = await next_event(stream, "order")
        assert filled.order is not None and filled.order.status is OrderStatus.FILLED
        balance = await next_event(stream, "balance")
        assert balance.balances[0].currency in ("BTC", "TMN")
    finally:
        await stream.close()


async def test_private_channel_of_another_key_gets_nothing(env: Env) -> None:
    account = env.account(TMN=("50000000", "0"))

    async def wrong_key() -> str | None:
        return "not-a-stream-key"

    from exchanges.wallex.stream import WallexAccountStream

    stream = WallexAccountStream(env.url, wrong_key)
    await stream.connect()
    try:
        await env.sandbox.socket.wait_clients(1)
        await env.sandbox.socket.wait_for(
            lambda: {"channel": "not-a-stream-key"} in env.sandbox.socket.rejected
        )
        assert not env.sandbox.socket.subscribers(account.stream_key)
    finally:
        await stream.close()


async def test_a_limit_order_the_price_crosses_fills_on_arrival(env: Env) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCTMN")
    price = (env.sandbox.engine.last("BTC", "TMN") * Decimal("0.95")).quantize(Decimal(1))
    order = await client.place_order(OrderRequest(m, Side.SELL, Decimal("0.002"), price))
    assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.002")
    # It trades at the book's bid, better than its limit, as a taker on a real book.
    bid, _ = env.sandbox.engine.bid_ask("BTC", "TMN")
    assert bid > price
    assert order.fee == bid * Decimal("0.002") * Decimal("0.003")
    assert order.fee_currency == "TMN"


async def test_a_deposit_is_pushed_as_a_balance(env: Env) -> None:
    account = env.account(TMN=("1000", "0"))
    stream = env.client(account).account_stream(env.url)
    await stream.connect()
    try:
        await env.sandbox.socket.wait_subscribed(account.stream_key)
        env.sandbox.credit_deposit(account, "usdt", "12.5")
        event = await next_event(stream, "balance")
        (b,) = event.balances
        assert (b.currency, b.available, b.locked) == ("USDT", Decimal("12.5"), Decimal(0))
    finally:
        await stream.close()


async def test_a_json_body_without_its_content_type_is_not_read(env: Env) -> None:
    account = env.account(TMN=("50000000", "0"))
    body = json.dumps({"price": "1", "quantity": "1", "side": "buy", "symbol": "BTCTMN"})
    headers = {"Authorization": f"Bearer {account.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(env.url + ORDERS, data=body, headers=headers) as r,
    ):
        answer = await r.json()
    assert r.status == 422
    assert answer["result"] == {"symbol": ["The symbol field is required."]}


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "reason"),
    [
        ("GET", "/v1/account/openOrders", None, "symbol", "The symbol field is required."),
        ("GET", "/v1/account/trades?side=up", None, "side", "The selected side is invalid."),
        ("DELETE", ORDERS, {}, "clientOrderId", "The client order id field is required."),
        ("POST", ORDERS, {"symbol": "BTCTMN", "side": "buy", "type": "limit",
                          "quantity": "0.001"}, "price", "The price field is required."),
        ("POST", ORDERS, {"symbol": "BTCTMN", "side": "buy", "type": "stop",
                          "quantity": "0.001"}, "type", "The selected type is invalid."),
        ("POST", ORDERS, {"symbol": "BTCTMN", "side": "buy", "type": "market",
                          "quantity": "-1"}, "quantity", "The quantity must be greater than 0."),
    ],
)  # fmt: skip
async def test_the_sandbox_validates_as_laravel_does(
    env: Env, method: str, path: str, body: dict[str, str] | None, field: str, reason: str
) -> None:
    account = env.account(TMN=("50000000", "0"))
    headers = {"Authorization": f"Bearer {account.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, env.url + path, json=body, headers=headers) as r,
    ):
        answer = await r.json()
    assert r.status == 422 and answer["success"] is False
    assert answer["result"] == {field: [reason]}
