"""WEX trading, transfers and coupons: the real WexAccount against the strict WEX sandbox,
asserting what the user gets and what reached the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    NotSupported,
    OrderNotFound,
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.models import (
    Market,
    OrderRequest,
    OrderStatus,
    Side,
    TransferStatus,
    WithdrawalRequest,
)
from sandbox.market import SimulatedMarket
from sandbox.matching import FILLED, SimOrder
from sandbox.wex import DEMO_KEY
from sandbox.wex.server import WexSandbox

from ..conftest import FixedClock
from .test_wex_account import Wex, form

BTC_USD = Market("wex", "btc_usd", "BTC", "USD", price_decimals=3, amount_decimals=8)
ADDRESS = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"


def last(wex: Wex) -> Decimal:
    return wex.sandbox.engine.last("BTC", "USD")


def calls(wex: Wex) -> list[dict[str, str]]:
    return [form(r) for r in wex.tapi()]


@pytest.fixture
async def wex(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Wex]:
    sandbox = WexSandbox(sim)
    served = await serve(sandbox.app())
    env = Wex(sandbox, served.url, clock)
    yield env
    for client in env.clients:
        await client.close()


async def filled(wex: Wex, order_id: str, timeout: float = 5.0) -> None:
    """Waits until the sandbox's engine (sweeping in the background) fills the order."""
    done = asyncio.Event()

    def listen(order: SimOrder) -> None:
        if order.order_id == order_id and order.status == FILLED:
            done.set()

    wex.sandbox.engine.listeners.append(listen)
    try:
        async with asyncio.timeout(timeout):
            await done.wait()
    finally:
        wex.sandbox.engine.listeners.remove(listen)


# --- orders -----------------------------------------------------------------------------
async def test_a_limit_buy_rests_locks_its_funds_then_fills_when_the_price_falls(
    wex: Wex,
) -> None:
    key = wex.sandbox.add_account(funds={"usd": "100000"}, trade=True)
    client = wex.of(key)
    price = (last(wex) * Decimal("0.95")).quantize(Decimal("0.001"))
    order = await client.place_order(OrderRequest(BTC_USD, Side.BUY, Decimal("0.5"), price))
    assert order.status is OrderStatus.OPEN and order.side is Side.BUY
    sent = calls(wex)[-1]
    assert sent == {
        "method": "Trade",
        "nonce": "1",
        "pair": "btc_usd",
        "type": "buy",
        "rate": format(price.normalize(), "f"),  # no trailing zeros: 93000.5, not 93000.500
        "amount": "0.5",
    }
    assert key.user.held["usd"] == Decimal("0.5") * price
    (listed,) = await client.open_orders(BTC_USD)
    assert listed.order_id == order.order_id and listed.price == price
    balances = {b.currency: b for b in await client.balances()}
    assert balances["USD"].locked == Decimal("0.5") * price

    waiting = asyncio.create_task(filled(wex, order.order_id))
    await asyncio.sleep(0)
    wex.sandbox.market.shift("BTC", -10)
    await waiting
    assert not key.user.held["usd"]
    done = await client.order(order.order_id)
    assert done.status is OrderStatus.FILLED
    assert done.filled == Decimal("0.5") and done.amount == Decimal("0.5")
    assert await client.open_orders() == []
    (fill,) = await client.fills(BTC_USD)
    assert fill.order_id == order.order_id and fill.price == price
    assert fill.amount == Decimal("0.5") and fill.side is Side.BUY
    assert calls(wex)[-1]["method"] == "TradeHistory"
    assert calls(wex)[-1]["pair"] == "btc_usd"


async def test_a_sell_that_crosses_fills_at_once_with_order_id_zero(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"btc": "1"}, trade=True)
    client = wex.of(key)
    price = (last(wex) * Decimal("0.9")).quantize(Decimal("0.001"))
    order = await client.place_order(OrderRequest(BTC_USD, Side.SELL, Decimal("0.25"), price))
    assert order.order_id == "0"
    assert order.status is OrderStatus.FILLED and order.filled == Decimal("0.25")
    assert key.user.funds["btc"] == Decimal("0.75")
    # A taker trades at the book's bid, better than its limit, as on a real exchange.
    bid, _ = wex.sandbox.engine.bid_ask("BTC", "USD")
    assert bid > price
    assert key.user.funds["usd"] == Decimal("0.25") * bid * Decimal("0.998")


async def test_a_market_order_is_refused_before_anything_is_sent(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, wex.sandbox.tapi.demo.secret)
    assert client.trading.market_orders is False and client.trading.limit_orders
    with pytest.raises(NotSupported):
        await client.place_order(OrderRequest(BTC_USD, Side.BUY, Decimal("0.1")))
    assert wex.tapi() == []


@pytest.mark.parametrize(
    ("funds", "side", "amount", "price", "error", "words"),
    [
        ({"usd": "10"}, "buy", "0.5", "1000", InsufficientFunds, "not enough USD"),
        ({"btc": "0.1"}, "sell", "0.5", "1000", InsufficientFunds, "not enough BTC"),
        ({"usd": "10"}, "buy", "0.00001", "1000", BelowMinimum, "greater than 0.0001 BTC"),
        ({"usd": "10"}, "buy", "0.001", "1000.0001", BadPrecision, "3 decimal places"),
        ({"usd": "10"}, "buy", "0.000100001", "1000", BadPrecision, "8 decimal places"),
        ({"usd": "10"}, "buy", "0.001", "0.01", InvalidOrder, "greater than 0.1 USD"),
        ({"usd": "10"}, "buy", "0.001", "2000000", InvalidOrder, "lower than 1000000"),
    ],
)
async def test_each_refusal_of_trade_names_what_to_change(
    wex: Wex,
    funds: dict[str, str],
    side: str,
    amount: str,
    price: str,
    error: type[Exception],
    words: str,
) -> None:
    key = wex.sandbox.add_account(funds=funds, trade=True)
    request = OrderRequest(BTC_USD, Side(side), Decimal(amount), Decimal(price))
    with pytest.raises(error) as info:
        await wex.of(key).place_order(request)
    assert words in str(info.value)
    assert calls(wex)[-1]["method"] == "Trade"
    assert wex.sandbox.engine.orders(wex.sandbox.trading.account_of(key.user)) == []


async def test_a_suspended_pair_is_market_closed_and_a_gone_one_unknown(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "1000"}, trade=True)
    client = wex.of(key)
    wex.sandbox.halt("btc_usd")
    request = OrderRequest(BTC_USD, Side.BUY, Decimal("0.01"), Decimal("1000"))
    with pytest.raises(MarketClosed):
        await client.place_order(request)
    wex.sandbox.disable("btc_usd")
    with pytest.raises(UnknownSymbol):
        await client.place_order(request)


async def test_trading_needs_the_trade_right(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "1000"})
    with pytest.raises(AuthenticationError) as info:
        await wex.of(key).place_order(
            OrderRequest(BTC_USD, Side.BUY, Decimal("0.01"), Decimal("1000"))
        )
    assert "trade right" in info.value.message


async def test_cancel_returns_the_funds_and_a_second_cancel_is_refused(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "1000"}, trade=True)
    client = wex.of(key)
    order = await client.place_order(
        OrderRequest(BTC_USD, Side.BUY, Decimal("0.01"), Decimal("1000"))
    )
    assert key.user.funds["usd"] == Decimal("990")
    assert await client.cancel_order(order.order_id) is None
    assert calls(wex)[-1] == {"method": "CancelOrder", "nonce": "2", "order_id": order.order_id}
    assert key.user.funds["usd"] == Decimal("1000")
    assert (await client.order(order.order_id)).status is OrderStatus.CANCELLED
    with pytest.raises(InvalidOrder) as info:
        await client.cancel_order(order.order_id)
    assert "invalid status" in str(info.value)
    with pytest.raises(OrderNotFound):
        await client.cancel_order("999999999")
    with pytest.raises(OrderNotFound):
        await client.order("999999999")


async def test_cancel_orders_cancels_several_ids_in_one_call(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "1000"}, trade=True)
    client = wex.of(key)
    first, second = [
        await client.place_order(OrderRequest(BTC_USD, Side.BUY, Decimal("0.01"), Decimal(p)))
        for p in ("1000", "1001")
    ]
    results = await client.cancel_orders([first.order_id, second.order_id, "12345"])
    sent = calls(wex)[-1]
    assert sent["method"] == "CancelOrders"
    assert sent["order_id"] == f"{first.order_id},{second.order_id},12345"
    assert [(r.order_id, r.cancelled) for r in results] == [
        (first.order_id, True),
        (second.order_id, True),
        ("12345", False),
    ]
    assert results[2].error == "invalid order"
    assert await client.open_orders() == []
    assert key.user.funds["usd"] == Decimal("1000")


async def test_the_demo_accounts_resting_orders_are_listed_and_looked_up(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, wex.sandbox.tapi.demo.secret)
    orders = await client.open_orders()
    assert [(o.symbol, o.side, o.amount, o.price) for o in orders] == [
        ("ltc_btc", Side.BUY, Decimal("500"), Decimal("0.001")),
        ("eth_btc", Side.BUY, Decimal("2"), Decimal("0.03")),
    ]
    info = await client.order(orders[0].order_id)
    assert info.status is OrderStatus.OPEN and info.amount == Decimal("500")
    assert await client.cancel_order(orders[0].order_id) is None
    assert wex.sandbox.tapi.demo.user.funds["btc"] == Decimal("24.498")  # 0.5 BTC back


async def test_an_empty_trade_history_is_an_empty_list(wex: Wex) -> None:
    key = wex.sandbox.add_account()
    assert await wex.of(key).fills() == []
    assert calls(wex)[-1] == {
        "method": "TradeHistory",
        "nonce": "1",
        "count": "50",
        "order": "DESC",
    }


async def test_trading_fee_comes_from_the_public_info(wex: Wex) -> None:
    fee = await wex.of(wex.sandbox.add_account()).trading_fee(BTC_USD)
    assert fee is not None and fee.maker_pct == Decimal("0.2") == fee.taker_pct


# --- the nonce, for money-moving calls ----------------------------------------------------
async def test_a_reused_nonce_places_nothing(wex: Wex) -> None:
    demo = wex.sandbox.tapi.demo
    body = b"method=Trade&nonce=5&pair=btc_usd&type=buy&rate=1000&amount=0.01"
    assert (await wex.post(body))["success"] == 1
    again = await wex.post(body)
    assert again == {
        "success": 0,
        "error": "invalid nonce parameter; on key:5, you sent:'5', you should send:6",
    }
    lower = await wex.post(body.replace(b"nonce=5", b"nonce=4"))
    assert lower["success"] == 0 and "you should send:6" in lower["error"]
    account = wex.sandbox.trading.account_of(demo.user)
    assert len(wex.sandbox.engine.orders(account)) == 1
    assert demo.accepted == [5]


# --- transfers ----------------------------------------------------------------------------
async def test_deposits_come_from_trans_history_with_their_statuses(wex: Wex) -> None:
    key = wex.sandbox.add_account()
    client = wex.of(key)
    assert await client.deposits() == []
    done = wex.sandbox.deposit(key, "BTC", "0.5")
    waiting = wex.sandbox.deposit(key, "LTC", "3", status=1)
    deposits = await client.deposits()
    assert {(d.deposit_id, d.currency, d.amount, d.status) for d in deposits} == {
        (str(done), "BTC", Decimal("0.5"), TransferStatus.COMPLETED),
        (str(waiting), "LTC", Decimal("3"), TransferStatus.PENDING),
    }
    assert calls(wex)[-1]["method"] == "TransHistory"
    assert key.user.funds["btc"] == Decimal("0.5")


async def test_a_withdrawal_is_sent_waits_then_completes(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"btc": "1"}, withdraw=True)
    client = wex.of(key)
    sent = await client.withdraw(WithdrawalRequest("BTC", Decimal("0.1"), ADDRESS))
    assert calls(wex)[-1] == {
        "method": "WithdrawCoin",
        "nonce": "1",
        "coinName": "BTC",
        "amount": "0.1",
        "address": ADDRESS,
    }
    assert sent.status is TransferStatus.PENDING and sent.fee == Decimal("0.001")
    assert key.user.funds["btc"] == Decimal("0.9")
    (listed,) = await client.withdrawals()
    assert listed.withdrawal_id == sent.withdrawal_id
    assert listed.status is TransferStatus.PENDING
    wex.clock.advance(61)
    (listed,) = await client.withdrawals()
    assert listed.status is TransferStatus.COMPLETED


@pytest.mark.parametrize(
    ("currency", "amount", "address", "error", "words"),
    [
        ("BTC", "5", ADDRESS, InsufficientFunds, "not enough BTC"),
        ("BTC", "0.0001", ADDRESS, BelowMinimum, "0.002 BTC"),
        ("BTC", "0.1", "not an address", WithdrawalRejected, "Invalid address"),
        ("XYZ", "0.1", ADDRESS, WithdrawalRejected, "Invalid coinName"),
    ],
)
async def test_each_withdrawal_refusal_is_explained(
    wex: Wex, currency: str, amount: str, address: str, error: type[Exception], words: str
) -> None:
    key = wex.sandbox.add_account(funds={"btc": "1"}, withdraw=True)
    with pytest.raises(error) as info:
        await wex.of(key).withdraw(WithdrawalRequest(currency, Decimal(amount), address))
    assert words in str(info.value)
    assert key.user.funds["btc"] == Decimal("1")
    assert key.user.transactions == {}


async def test_withdraw_coin_enabled_by_support_needs_no_get_info_flag(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"btc": "1"}, withdraw_by_support=True)
    client = wex.of(key)
    rights = (await client.verify()).rights
    assert rights is not None and rights.withdraw is False
    sent = await client.withdraw(WithdrawalRequest("BTC", Decimal("0.01"), ADDRESS))
    assert sent.status is TransferStatus.PENDING


async def test_a_withdrawal_needs_the_withdraw_right_and_takes_no_network(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"btc": "1"})
    client = wex.of(key)
    with pytest.raises(NotSupported):
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.1"), ADDRESS, network="BTC"))
    assert wex.tapi() == []
    with pytest.raises(AuthenticationError) as info:
        await client.withdraw(WithdrawalRequest("BTC", Decimal("0.1"), ADDRESS))
    assert "withdraw right" in info.value.message


# --- coupons ------------------------------------------------------------------------------
async def test_a_coupon_is_created_then_redeemed_once_by_another_account(wex: Wex) -> None:
    maker = wex.sandbox.add_account(funds={"usd": "100"}, coupon=True, login="maker")
    taker = wex.sandbox.add_account(coupon=True, login="taker")
    made = await wex.of(maker).create_coupon("usd", Decimal("25.5"), receiver="taker")
    assert calls(wex)[-1] == {
        "method": "CreateCoupon",
        "nonce": "1",
        "coinName": "USD",
        "amount": "25.5",
        "receiver": "taker",
    }
    assert made.coupon.startswith("WEXUSD") and made.coupon not in repr(made)
    assert maker.user.funds["usd"] == Decimal("74.5")
    redeemed = await wex.of(taker).redeem_coupon(made.coupon)
    assert (redeemed.currency, redeemed.amount) == ("USD", Decimal("25.5"))
    assert calls(wex)[-1] == {"method": "RedeemCoupon", "nonce": "1", "coupon": made.coupon}
    assert taker.user.funds["usd"] == Decimal("25.5")
    with pytest.raises(RejectedRequest) as info:
        await wex.of(taker).redeem_coupon(made.coupon)
    assert "already redeemed" in str(info.value)


async def test_coupon_refusals(wex: Wex) -> None:
    maker = wex.sandbox.add_account(funds={"usd": "10"}, coupon=True)
    outsider = wex.sandbox.add_account(coupon=True)
    client = wex.of(maker)
    with pytest.raises(InsufficientFunds):
        await client.create_coupon("USD", Decimal("11"))
    with pytest.raises(RejectedRequest):
        await client.redeem_coupon("WEXUSDNOTACOUPON")
    made = await client.create_coupon("USD", Decimal("1"), receiver=maker.user.login)
    with pytest.raises(RejectedRequest) as info:
        await wex.of(outsider).redeem_coupon(made.coupon)
    assert "another user" in str(info.value)
    plain = wex.sandbox.add_account(funds={"usd": "10"})
    with pytest.raises(AuthenticationError) as denied:
        await wex.of(plain).create_coupon("USD", Decimal("1"))
    assert "coupon right" in denied.value.message
