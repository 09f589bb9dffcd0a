"""Narkasa trading against the strict sandbox: orders of every kind, cancel, open
orders, own trades, partial fills, the ``USER_STREAMS`` pushes, withdrawals through
their states and injected deposits — asserting what reached the sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from yarl import URL

from exchanges.credentials import Credentials, Secret
from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    WithdrawalRejected,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import (
    AccountEvent,
    ExchangeAddress,
    Market,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TransferStatus,
    WithdrawalRequest,
)
from exchanges.narkasa import auth, parse
from exchanges.narkasa.account import NarkasaAccount
from exchanges.narkasa.client import NarkasaClient
from exchanges.narkasa.stream import NarkasaUserStream
from exchanges.streams import AccountStream
from sandbox.market import SimulatedMarket
from sandbox.narkasa.accounts import Account
from sandbox.narkasa.server import NarkasaSandbox

from ..conftest import FIXED_NOW, FixedClock

PREFIX = "/v3/api"


async def no_sleep(_: float) -> None:
    return None


class Env:
    def __init__(self, sandbox: NarkasaSandbox, url: str, clock: FixedClock) -> None:
        self.sandbox = sandbox
        self.url = url
        self.clock = clock
        self.closers: list[Any] = []

    def client(self, account: Account, **kwargs: Any) -> NarkasaAccount:
        http = HttpPipeline("narkasa", self.url, timeout=3.0, retry=RetryPolicy(), sleep=no_sleep)
        client = NarkasaAccount(
            http, Credentials(account.key, Secret(account.secret)), clock=self.clock, **kwargs
        )
        self.closers.append(client)
        return client

    async def market(self, symbol: str) -> Market:
        http = HttpPipeline("narkasa", self.url, timeout=3.0, retry=RetryPolicy(), sleep=no_sleep)
        public = NarkasaClient(http, clock=self.clock)
        self.closers.append(public)
        return await public.market_info(symbol)

    def account(self, **balances: tuple[str, str]) -> Account:
        return self.sandbox.add_account(balances=balances)

    def sent(self, path: str) -> list[tuple[str, str]]:
        """The query of the last request to ``path``, as received, in order."""
        return list(self.sandbox.harness.last(PREFIX + "/" + path).query.items())


@pytest.fixture
async def env(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Env]:
    sandbox = NarkasaSandbox(sim)
    served = await serve(sandbox.app())
    e = Env(sandbox, served.url, clock)
    yield e
    for closer in e.closers:
        await closer.close()


def balance(account: Account, currency: str) -> tuple[Decimal, Decimal]:
    return account.balances.get(currency, (Decimal(0), Decimal(0)))


def signed_ok(env: Env, account: Account, path: str) -> None:
    """The last request to ``path`` carries the key and a signature the sandbox's own
    rule accepts: HMAC-SHA256 of the query before ``signature``."""
    seen = env.sandbox.harness.last(PREFIX + "/" + path)
    assert seen.headers["X-APNK-APIKEY"] == account.key
    params = list(seen.query.items())
    assert params[-1][0] == "signature"
    payload = "&".join(f"{k}={v}" for k, v in params[:-1])
    expected = hmac.new(account.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert params[-1][1] == expected


# --- placing ---------------------------------------------------------------------------


async def test_limit_buy_rests_then_fills_when_the_price_falls(
    env: Env, sim: SimulatedMarket
) -> None:
    account = env.account(TRY=("50000", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    last = env.sandbox.engine.last("BTC", "TRY")
    price = (last * Decimal("0.98")).quantize(Decimal(1))
    order = await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.002"), price))

    assert order.status is OrderStatus.OPEN and order.type is OrderType.LIMIT
    assert order.amount == Decimal("0.002") and order.filled == 0 and order.price == price
    assert len(order.order_id) == 72
    sent = env.sent("market/limit-buy")
    assert [k for k, _ in sent] == ["symbol", "price", "amount", "timestamp", "signature"]
    assert dict(sent)["price"] == str(price) and dict(sent)["amount"] == "0.002"
    assert env.sandbox.harness.last(PREFIX + "/market/limit-buy").method == "POST"
    signed_ok(env, account, "market/limit-buy")
    assert balance(account, "TRY") == (
        Decimal("50000") - price * Decimal("0.002"),
        price * Decimal("0.002"),
    )

    (listed,) = await client.open_orders(m)
    assert listed.order_id == order.order_id and listed.status is OrderStatus.OPEN
    assert await client.open_orders(await env.market("ETHTRY")) == []

    sim.shift("BTC", -5)
    env.sandbox.trading.sweep()
    assert await client.open_orders() == []
    (fill,) = await client.fills(m)
    assert fill.side is Side.BUY and fill.amount == Decimal("0.002") and fill.price == price
    assert fill.fee == Decimal("0.000004") and fill.fee_currency == "BTC"
    assert balance(account, "BTC") == (Decimal("0.001996"), Decimal(0))
    with pytest.raises(OrderNotFound):
        await client.order(order.order_id, m)


async def test_market_orders_fill_at_once(env: Env) -> None:
    account = env.account(TRY=("50000", "0"), BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    bought = await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001")))
    assert bought.status is OrderStatus.FILLED and bought.filled == Decimal("0.001")
    assert bought.type is OrderType.MARKET and bought.order_id.startswith("BTCTRY-buy-")
    assert [k for k, _ in env.sent("market/market-buy")] == [
        "symbol", "amount", "timestamp", "signature"
    ]  # fmt: skip
    sold = await client.place_order(OrderRequest(m, Side.SELL, Decimal("0.005")))
    assert sold.status is OrderStatus.FILLED and sold.side is Side.SELL
    assert balance(account, "BTC")[0] == Decimal("0.01") + Decimal("0.001") * Decimal(
        "0.998"
    ) - Decimal("0.005")
    fills = await client.fills()
    assert sorted(f.side for f in fills) == [Side.BUY, Side.SELL]
    assert all(f.order_id == "" for f in fills)  # user-trades rows carry no order id


async def test_stop_limit_sell_waits_for_its_target(env: Env, sim: SimulatedMarket) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    last = env.sandbox.engine.last("BTC", "TRY")
    target = (last * Decimal("0.97")).quantize(Decimal(1))
    price = (last * Decimal("0.96")).quantize(Decimal(1))
    order = await client.place_order(
        OrderRequest(m, Side.SELL, Decimal("0.003"), price, stop_price=target)
    )
    assert order.type is OrderType.STOP_LIMIT and order.stop_price == target
    sent = dict(env.sent("market/stop-limit-sell"))
    assert sent["target"] == str(target) and sent["price"] == str(price)
    assert balance(account, "BTC") == (Decimal("0.007"), Decimal("0.003"))
    (listed,) = await client.open_orders()
    assert listed.type is OrderType.STOP_LIMIT and listed.stop_price == target
    env.sandbox.trading.sweep()
    assert (await client.open_orders())[0].status is OrderStatus.OPEN
    sim.shift("BTC", -3.5)
    env.sandbox.trading.sweep()
    assert await client.open_orders() == []
    assert balance(account, "BTC") == (Decimal("0.007"), Decimal(0))


async def test_partial_fills_then_cancel_releases_the_rest(env: Env, sim: SimulatedMarket) -> None:
    account = env.account(TRY=("50000", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    price = (env.sandbox.engine.last("BTC", "TRY") * Decimal("0.99")).quantize(Decimal(1))
    order = await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.004"), price))
    env.sandbox.engine.max_fill = Decimal("0.001")
    sim.shift("BTC", -3)
    env.sandbox.trading.sweep()
    # Every sweep (the request's own, the background's) fills at most 0.001.
    (partial,) = await client.open_orders()
    assert partial.status is OrderStatus.PARTIALLY_FILLED
    assert Decimal("0.001") <= partial.filled < Decimal("0.004")
    assert await client.cancel_order(order.order_id, m) is None
    assert dict(env.sent("market/cancel-order"))["orderId"] == order.order_id
    assert await client.open_orders() == []
    filled = sum((f.amount for f in await client.fills(m)), Decimal(0))
    assert filled >= partial.filled and filled % Decimal("0.001") == 0
    assert balance(account, "TRY") == (Decimal("50000") - price * filled, Decimal(0))
    with pytest.raises(OrderNotFound, match="Order not found"):
        await client.cancel_order(order.order_id, m)


async def test_fast_orders(env: Env) -> None:
    account = env.account(TRY=("50000", "0"), BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    bought = await client.place_fast_order(m, Side.BUY, total=Decimal("1000"))
    # A fast buy's answer gives quote totals only: amount and filled are in TRY.
    assert bought.status is OrderStatus.FILLED and bought.type is OrderType.MARKET
    assert Decimal("990") < bought.filled <= Decimal("1000")
    assert dict(env.sent("market/fast-buy"))["total"] == "1000"
    assert Decimal("49000") <= balance(account, "TRY")[0] < Decimal("49010")
    assert balance(account, "BTC")[0] > Decimal("0.01")
    trx = await env.market("TRXTRY")  # prices with 3 places, totals with 2
    with pytest.raises(BadPrecision):
        await client.place_fast_order(trx, Side.BUY, total=Decimal("20.125"))
    sold = await client.place_fast_order(m, Side.SELL, amount=Decimal("0.002"))
    assert sold.status is OrderStatus.FILLED and sold.filled == Decimal("0.002")


# --- refusals ----------------------------------------------------------------------------


async def test_every_order_refusal_is_the_documented_error(env: Env) -> None:
    account = env.account(TRY=("100", "0"), BTC=("0.0001", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    last = env.sandbox.engine.last("BTC", "TRY")
    with pytest.raises(InsufficientFunds, match="Insufficient balance"):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001"), last))
    with pytest.raises(BelowMinimum, match="Order total is under limit"):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.000001"), last))
    with pytest.raises(InvalidOrder, match="Buy Price is not lower than %40"):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.02"), Decimal(1000)))
    with pytest.raises(InvalidOrder, match="Sell Price is not higher than %250"):
        await client.place_order(OrderRequest(m, Side.SELL, Decimal("0.00002"), last * 3))
    doge = await env.market("DOGETRY")
    doge_price = env.sandbox.engine.last("DOGE", "TRY")
    with pytest.raises(BelowMinimum, match="Order amount is under limit"):
        await client.place_order(OrderRequest(doge, Side.SELL, Decimal("5"), doge_price))
    closed = Market("narkasa", "LTCUSDT", "LTC", "USDT", 2, 3)
    with pytest.raises(MarketClosed, match="Market disabled"):
        await client.place_order(OrderRequest(closed, Side.BUY, Decimal("1"), Decimal("80")))

    before = len(env.sandbox.harness.requests)
    with pytest.raises(BadPrecision):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.0000001"), last))
    with pytest.raises(BadPrecision):
        await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.001"), last + Decimal("0.5")))
    assert len(env.sandbox.harness.requests) == before  # nothing was sent

    # A server that counts more places than the client (a stale market) answers 90001.
    loose = Market("narkasa", "BTCTRY", "BTC", "TRY", 2, 6)
    with pytest.raises(Exception, match="Invalid Request"):
        await client.place_order(
            OrderRequest(loose, Side.BUY, Decimal("0.001"), last + Decimal("0.5"))
        )


async def test_stale_clock_is_an_invalid_nonce(env: Env) -> None:
    account = env.account(TRY=("100", "0"))
    behind = FixedClock(FIXED_NOW - 60)
    http = HttpPipeline("narkasa", env.url, timeout=3.0, retry=RetryPolicy(), sleep=no_sleep)
    client = NarkasaAccount(
        http, Credentials(account.key, Secret(account.secret)), clock=behind, resync_clock=False
    )
    env.closers.append(client)
    with pytest.raises(InvalidNonce, match="Timestamp difference limit exceeded"):
        await client.open_orders()
    resynced = NarkasaAccount(
        HttpPipeline("narkasa", env.url, timeout=3.0, retry=RetryPolicy(), sleep=no_sleep),
        Credentials(account.key, Secret(account.secret)),
        clock=behind,
    )
    env.closers.append(resynced)
    assert await resynced.open_orders() == []


# --- the user stream -------------------------------------------------------------------


async def next_event(stream: AccountStream, kind: str, timeout: float = 5.0) -> AccountEvent:
    async with asyncio.timeout(timeout):
        async for event in stream.events():
            if event.kind == kind:
                return event
    raise AssertionError("the stream ended")


async def test_user_stream_pushes_fills_and_balances(env: Env, sim: SimulatedMarket) -> None:
    account = env.account(TRY=("50000", "0"))
    client = env.client(account)
    ws_url = env.sandbox.env_vars(env.url)["NARKASA_WS_URL"]
    stream = client.account_stream(ws_url)
    await stream.connect()
    try:
        sent = [r for r in env.sandbox.stream.received if "USER_STREAMS" in r]
        assert len(sent) == 1 and account.secret not in sent[0]
        m = await env.market("BTCTRY")
        price = (env.sandbox.engine.last("BTC", "TRY") * Decimal("0.99")).quantize(Decimal(1))
        order = await client.place_order(OrderRequest(m, Side.BUY, Decimal("0.002"), price))
        placed = await next_event(stream, "order")
        assert placed.order is not None and placed.order.order_id == order.order_id
        assert placed.order.status is OrderStatus.OPEN

        sim.shift("BTC", -3)  # the background sweep fills it: wait for the push
        filled = await next_event(stream, "order")
        assert filled.order is not None and filled.order.status is OrderStatus.FILLED
        assert filled.order.filled == Decimal("0.002")

        # The fill moved both currencies: their balances were pushed, each whole.
        seen: dict[str, tuple[Decimal, Decimal]] = {}
        while any(seen.get(c) != balance(account, c) for c in ("BTC", "TRY")):
            (b,) = (await next_event(stream, "balance")).balances
            seen[b.currency] = (b.available, b.locked)

        env.sandbox.credit_deposit(account, "TRY", "1000")
        expected = balance(account, "TRY")
        while seen["TRY"] != expected:
            (b,) = (await next_event(stream, "balance")).balances
            seen[b.currency] = (b.available, b.locked)
        pushed = [m["type"] for k, m in env.sandbox.stream.user_pushed if k == account.key]
        assert {"orderUpdate", "balanceUpdate", "reservedUpdate"} <= set(pushed)
    finally:
        await stream.close()


async def test_user_stream_with_a_wrong_secret_is_refused(env: Env) -> None:
    account = env.account()
    url = env.sandbox.env_vars(env.url)["NARKASA_WS_URL"]
    stream = NarkasaUserStream(url, Credentials(account.key, Secret("not-the-secret")))
    with pytest.raises(AuthenticationError, match="Unauthorized Access"):
        await stream.connect()
    await stream.close()
    assert not env.sandbox.stream.user_connections(account.key)


# --- withdrawals and deposits ----------------------------------------------------------


async def test_withdrawal_goes_pending_then_completed(env: Env, clock: FixedClock) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    terms = await client.withdrawal_terms("btc")
    assert terms.fee == Decimal("0.0005") and terms.min_amount == Decimal("0.0001")
    assert terms.amount_decimals == 8 and terms.network == "BTC"
    address = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
    w = await client.withdraw(WithdrawalRequest("BTC", Decimal("0.002"), address))
    assert w.status is TransferStatus.PENDING and w.withdrawal_id and w.network == "BTC"
    sent = env.sent("balance/create-withdraw")
    assert [k for k, _ in sent][:4] == ["symbol", "amount", "address", "node"]
    assert dict(sent)["node"] == "BTC" and dict(sent)["amount"] == "0.002"
    assert balance(account, "BTC") == (Decimal("0.0075"), Decimal("0.0025"))

    clock.advance(10)
    env.sandbox.trading.sweep()
    (done,) = await client.withdrawals()
    assert done.withdrawal_id == w.withdrawal_id and done.status is TransferStatus.COMPLETED
    assert done.txid
    assert balance(account, "BTC") == (Decimal("0.0075"), Decimal(0))


async def test_withdrawal_refusals(env: Env) -> None:
    account = env.account(BTC=("0.001", "0"))
    client = env.client(account)
    good = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
    with pytest.raises(BelowMinimum, match="lower than minimum withdraw"):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.00001"), good))
    with pytest.raises(InsufficientFunds):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.001"), good))
    with pytest.raises(WithdrawalRejected, match="Withdraw address is not valid"):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.0002"), "bad!"))
    with pytest.raises(WithdrawalRejected, match="offered: BTC"):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.0002"), good, network="TRC20"))
    assert balance(account, "BTC") == (Decimal("0.001"), Decimal(0))


async def test_injected_deposit_is_in_the_history(env: Env) -> None:
    account = env.account()
    client = env.client(account)
    assert await client.deposits() == []
    env.sandbox.credit_deposit(account, "USDT", "25.5")
    (d,) = await client.deposits()
    assert d.currency == "USDT" and d.amount == Decimal("25.5")
    assert d.status is TransferStatus.COMPLETED and d.txid
    assert balance(account, "USDT") == (Decimal("25.5"), Decimal(0))


async def test_a_limit_order_the_price_crosses_fills_on_arrival(env: Env) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    m = await env.market("BTCTRY")
    price = (env.sandbox.engine.last("BTC", "TRY") * Decimal("0.95")).quantize(Decimal(1))
    order = await client.place_order(OrderRequest(m, Side.SELL, Decimal("0.002"), price))
    assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.002")
    assert order.price == price
    # A taker trades at the book's bid, better than its limit, as on a real exchange.
    bid, _ = env.sandbox.engine.bid_ask("BTC", "TRY")
    assert bid > price
    assert balance(account, "TRY")[0] == bid * Decimal("0.002") * Decimal("0.998")


async def test_saved_addresses_and_a_rejected_withdrawal(env: Env) -> None:
    account = env.account(BTC=("0.01", "0"))
    account.withdraw_addresses["BTC"] = [("Ledger", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")]
    client = env.client(account)
    assert await client.withdrawal_addresses("btc") == [
        ExchangeAddress("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BTC", "Ledger")
    ]
    assert dict(env.sent("balance/withdraw")).get("symbol") == "BTC"
    w = await client.withdraw(
        WithdrawalRequest("BTC", Decimal("0.001"), "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    )
    env.sandbox.trading.end_withdrawal(w.withdrawal_id)
    (rejected,) = await client.withdrawals()
    assert rejected.status is TransferStatus.FAILED
    assert balance(account, "BTC") == (Decimal("0.01"), Decimal(0))


async def test_a_market_orders_push_names_it_as_its_answer(env: Env) -> None:
    account = env.account(TRY=("50000", "0"))
    client = env.client(account)
    stream = client.account_stream(env.sandbox.env_vars(env.url)["NARKASA_WS_URL"])
    await stream.connect()
    try:
        placed = await client.place_order(
            OrderRequest(await env.market("BTCTRY"), Side.BUY, Decimal("0.001"))
        )
        event = await next_event(stream, "order")
        assert event.order is not None and event.order.order_id == placed.order_id
        assert event.order.status is OrderStatus.FILLED
    finally:
        await stream.close()


# --- the sandbox's own strictness, with hand-made requests ------------------------------


async def raw_signed(
    env: Env, account: Account, method: str, path: str, params: list[tuple[str, str]]
) -> tuple[int, dict[str, Any]]:
    query = auth.signed_query(account.secret, params, timestamp=auth.timestamp_ms(env.clock()))
    headers = {auth.KEY_HEADER: account.key}
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, URL(f"{env.url}{PREFIX}/{path}?{query}", encoded=True), headers=headers
        ) as r,
    ):
        body: dict[str, Any] = json.loads(await r.text(), parse_float=Decimal)
        return r.status, body


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("market/limit-buy", [("symbol", "BTCTRY"), ("price", "100000")], 20005),
        ("market/limit-buy", [("symbol", "NOPE"), ("price", "1"), ("amount", "1")], 10037),
        ("market/limit-buy", [("symbol", "BTCTRY"), ("price", "-1"), ("amount", "1")], 20007),
        ("market/limit-buy", [("symbol", "BTCTRY"), ("price", "1"), ("amount", "x")], 20009),
        ("market/stop-limit-sell",
         [("symbol", "BTCTRY"), ("price", "1"), ("target", "0"), ("amount", "1")], 20008),
        ("market/fast-buy", [("symbol", "BTCTRY"), ("total", "0")], 20012),
        ("market/limit-buy", [("symbol", "BTCTRY"), ("price", "1.5"), ("amount", "1")], 90001),
        ("market/cancel-order", [("orderId", "ffff")], 10075),
        ("market/cancel-order", [], 20005),
        ("balance/create-withdraw",
         [("symbol", "BTC"), ("amount", "0.001"), ("address", ""), ("node", "BTC")], 20010),
        ("balance/create-withdraw",
         [("symbol", "BTC"), ("amount", "0.001"), ("address", "bc1qar0srrr7xfkvy5l6"),
          ("node", "ERC20")], 10029),
    ],
)  # fmt: skip
async def test_the_sandbox_refuses_with_the_documented_codes(
    env: Env, path: str, params: list[tuple[str, str]], code: int
) -> None:
    account = env.account(TRY=("100000", "0"), BTC=("1", "0"))
    status, body = await raw_signed(env, account, "POST", path, params)
    assert (status, body["code"]) == (400, code)
    assert body["msg"] == parse.ERRORS[f"{code:05d}"]


async def test_unsigned_and_badly_signed_orders_are_refused(env: Env) -> None:
    account = env.account(TRY=("100000", "0"))
    async with aiohttp.ClientSession() as session:
        url = f"{env.url}{PREFIX}/market/limit-buy?symbol=BTCTRY&price=1&amount=1"
        async with session.post(url) as r:
            assert (await r.json())["code"] == 20000
    impostor = Account(key=account.key, secret="wrong-secret")
    _, body = await raw_signed(
        env, impostor, "POST", "market/limit-buy", [("symbol", "BTCTRY"), ("amount", "1")]
    )
    assert body["code"] == 20001
    assert account.balances["TRY"] == (Decimal("100000"), Decimal(0))
    assert env.sandbox.engine.orders(account.key) == []


async def test_transfers_move_through_the_documented_states(env: Env, clock: FixedClock) -> None:
    account = env.account(BTC=("0.01", "0"))
    client = env.client(account)
    w = await client.withdraw(
        WithdrawalRequest("BTC", Decimal("0.001"), "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    )
    d = env.sandbox.credit_deposit(account, "ETH", "0.5", pending=True)
    assert d.state == 11 and balance(account, "ETH") == (Decimal(0), Decimal(0))
    assert [x.status for x in await client.deposits()] == [TransferStatus.PENDING]

    clock.advance(3)
    env.sandbox.trading.sweep()
    assert (w.withdrawal_id, 13) in {
        (x.id, x.state) for x in env.sandbox.trading.ledger(account.key).withdrawals
    }
    assert d.state == 12
    assert [x.status for x in await client.withdrawals()] == [TransferStatus.PENDING]

    clock.advance(3)
    env.sandbox.trading.sweep()
    assert [x.status for x in await client.withdrawals()] == [TransferStatus.COMPLETED]
    assert [x.status for x in await client.deposits()] == [TransferStatus.COMPLETED]
    assert balance(account, "ETH") == (Decimal("0.5"), Decimal(0))
