"""The order checks and preview, without a network: rounding, minimums, balance, book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from bot.trading import (
    AmountAboveMaximum,
    AmountBelowMinimum,
    BadOrderNumber,
    MarketNotTrading,
    NoLiquidity,
    NotEnoughBalance,
    TotalBelowMinimum,
    check_fast_buy,
    check_order,
    check_stop_order,
    matches,
    safe_price,
    walk_book,
    walk_book_total,
)
from exchanges.models import (
    BookLevel,
    Fee,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
)

BTC = Market(
    exchange="wallex",
    symbol="BTCUSDT",
    base="BTC",
    quote="USDT",
    price_decimals=2,
    amount_decimals=6,
    tick_size=D("0.01"),
    step_size=D("0.000001"),
    min_amount=D("0.0001"),
    max_amount=D("10"),
    min_notional=D("5"),
)
TICKED = Market(
    exchange="alp",
    symbol="ETH_USDT",
    base="ETH",
    quote="USDT",
    price_decimals=1,
    amount_decimals=3,
    tick_size=D("0.5"),
    step_size=D("0.005"),
)
BOOK = OrderBook(
    BTC,
    bids=(BookLevel(D("69990"), D("0.01")), BookLevel(D("69980"), D("1"))),
    asks=(BookLevel(D("70010"), D("0.01")), BookLevel(D("70020"), D("1"))),
)
FEE = Fee(maker_pct=D("0.1"), taker_pct=D("0.2"))


def test_a_limit_buy_within_every_rule_is_previewed_exactly() -> None:
    p = check_order(BTC, Side.BUY, D("0.001"), D("70000"), book=None, fee=FEE, available=D("100"))
    assert (p.amount, p.price, p.total) == (D("0.001"), D("70000"), D("70.000"))
    assert p.fee == D("0.070000") and p.fee_pct == D("0.1")  # maker for a limit order
    assert p.spend_currency == "USDT" and p.order_type is OrderType.LIMIT
    assert p.amount_given is None and p.price_given is None


def test_amount_rounds_down_to_the_step_and_says_so() -> None:
    p = check_order(
        BTC, Side.SELL, D("0.0012349"), D("70000"), book=None, fee=None, available=D("1")
    )
    assert p.amount == D("0.001234") and p.amount_given == D("0.0012349")
    assert p.spend_currency == "BTC" and p.fee is None


def test_prices_round_in_the_safe_direction_for_each_side() -> None:
    assert safe_price(TICKED, Side.BUY, D("2000.7")) == D("2000.5")
    assert safe_price(TICKED, Side.SELL, D("2000.2")) == D("2000.5")
    assert safe_price(TICKED, Side.SELL, D("2000.5")) == D("2000.5")
    p = check_order(
        TICKED, Side.BUY, D("0.013"), D("2000.7"), book=None, fee=None, available=D("1e6")
    )
    assert p.amount == D("0.010") and p.price == D("2000.5") and p.price_given == D("2000.7")


def test_below_the_minimum_amount_names_the_minimum() -> None:
    with pytest.raises(AmountBelowMinimum) as caught:
        check_order(
            BTC, Side.BUY, D("0.00005"), D("70000"), book=None, fee=None, available=D("1e9")
        )
    assert caught.value.minimum == D("0.0001")
    with pytest.raises(AmountBelowMinimum):  # rounds to zero on a market without a minimum
        check_order(
            TICKED, Side.BUY, D("0.001"), D("2000"), book=None, fee=None, available=D("1e9")
        )


def test_above_the_maximum_amount() -> None:
    with pytest.raises(AmountAboveMaximum):
        check_order(BTC, Side.SELL, D("11"), D("70000"), book=None, fee=None, available=D("1e9"))


def test_below_the_minimum_total() -> None:
    with pytest.raises(TotalBelowMinimum) as caught:
        check_order(BTC, Side.BUY, D("0.0001"), D("40000"), book=None, fee=None, available=D("1e9"))
    assert caught.value.total == D("4.0000") and caught.value.minimum == D("5")


def test_not_enough_balance_names_needed_and_available() -> None:
    with pytest.raises(NotEnoughBalance) as caught:
        check_order(
            BTC, Side.BUY, D("0.001"), D("70000"), book=None, fee=None, available=D("69.99")
        )
    assert (caught.value.currency, caught.value.needed, caught.value.available) == (
        "USDT",
        D("70.000"),
        D("69.99"),
    )
    with pytest.raises(NotEnoughBalance) as caught:
        check_order(BTC, Side.SELL, D("0.5"), D("70000"), book=None, fee=None, available=D("0.4"))
    assert caught.value.currency == "BTC"


def test_a_market_order_is_priced_by_walking_the_book() -> None:
    p = check_order(BTC, Side.BUY, D("0.02"), None, book=BOOK, fee=FEE, available=D("1e6"))
    assert p.price is None and p.order_type is OrderType.MARKET
    assert p.estimated_price == D("70015") and p.total == D("1400.30")
    assert p.fee_pct == D("0.2")  # taker for a market order
    sell = check_order(BTC, Side.SELL, D("0.01"), None, book=BOOK, fee=FEE, available=D("1"))
    assert sell.estimated_price == D("69990")
    assert walk_book(BOOK, Side.BUY, D("5")) == (
        (D("70010") * D("0.01") + D("70020") * D("4.99")) / 5,
        False,
    )


def test_a_market_order_on_an_empty_book_is_refused() -> None:
    empty = OrderBook(BTC, bids=(), asks=())
    with pytest.raises(NoLiquidity):
        check_order(BTC, Side.BUY, D("0.01"), None, book=empty, fee=None, available=D("1e6"))


def test_a_closed_market_and_non_positive_numbers_are_refused() -> None:
    closed = Market(**{**{f: getattr(BTC, f) for f in BTC.__slots__}, "active": False})
    with pytest.raises(MarketNotTrading):
        check_order(closed, Side.BUY, D("1"), D("1"), book=None, fee=None, available=D("1e9"))
    with pytest.raises(BadOrderNumber):
        check_order(BTC, Side.BUY, D("0"), D("1"), book=None, fee=None, available=D("1e9"))
    with pytest.raises(BadOrderNumber):
        check_order(BTC, Side.BUY, D("1"), D("-1"), book=None, fee=None, available=D("1e9"))


def test_reconciliation_matches_symbol_side_amount_price_and_time() -> None:
    confirmed = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    payload = {"symbol": "BTCUSDT", "side": "buy", "amount": "0.001", "price": "70000"}
    order = Order(
        exchange="wallex",
        order_id="1",
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.LIMIT,
        amount=D("0.00100"),
        filled=D(0),
        status=OrderStatus.OPEN,
        price=D("70000.00"),
        created_at=confirmed + timedelta(seconds=1),
    )
    assert matches(order, payload, confirmed)
    assert not matches(order, {**payload, "side": "sell"}, confirmed)
    assert not matches(order, {**payload, "amount": "0.002"}, confirmed)
    assert not matches(order, {**payload, "price": "70001"}, confirmed)
    assert not matches(order, payload, confirmed + timedelta(minutes=5))


# --- stop-limit and fast orders ---------------------------------------------------------
def test_a_stop_rounds_like_the_price_so_it_never_triggers_later() -> None:
    buy = check_stop_order(
        TICKED,
        Side.BUY,
        D("0.01"),
        D("2000.7"),
        D("2100.9"),
        fee=None,
        available=D("1e6"),
        last=D("2000"),
    )
    assert buy.stop_price == D("2100.5") and buy.stop_given == D("2100.9")  # a buy: down
    assert buy.price == D("2000.5") and buy.order_type is OrderType.STOP_LIMIT
    assert not buy.stop_reached  # fires when the price rises to 2100.5
    sell = check_stop_order(
        TICKED,
        Side.SELL,
        D("0.01"),
        D("1900.2"),
        D("1950.2"),
        fee=None,
        available=D("1"),
        last=D("2000"),
    )
    assert sell.stop_price == D("1950.5") and sell.stop_given == D("1950.2")  # a sell: up
    assert not sell.stop_reached
    reached = check_stop_order(
        TICKED,
        Side.SELL,
        D("0.01"),
        D("2000"),
        D("2100"),
        fee=None,
        available=D("1"),
        last=D("2000"),
    )
    assert reached.stop_reached and reached.stop_given is None


def test_a_stop_order_keeps_the_limit_orders_checks() -> None:
    with pytest.raises(BadOrderNumber) as caught:
        check_stop_order(
            BTC, Side.BUY, D("0.001"), D("70000"), D("0"), fee=None, available=D("1e6"), last=None
        )
    assert caught.value.what == "stop"
    with pytest.raises(NotEnoughBalance):  # the limit price is what the exchange locks
        check_stop_order(
            BTC,
            Side.BUY,
            D("0.001"),
            D("70000"),
            D("71000"),
            fee=None,
            available=D("69"),
            last=None,
        )
    with pytest.raises(TotalBelowMinimum):
        check_stop_order(
            BTC,
            Side.SELL,
            D("0.0001"),
            D("40000"),
            D("41000"),
            fee=None,
            available=D("1"),
            last=None,
        )


def test_a_fast_buy_spends_its_total_rounded_down_and_estimates_what_it_buys() -> None:
    p = check_fast_buy(
        BTC, D("1050.129"), total_decimals=2, book=BOOK, fee=FEE, available=D("2000")
    )
    assert p.fast and p.side is Side.BUY and p.price is None
    assert p.total == D("1050.12") and p.total_given == D("1050.129")
    bought = D("0.01") + (D("1050.12") - D("700.10")) / D("70020")
    assert p.amount == bought.quantize(D("0.000001"), rounding="ROUND_DOWN")
    assert p.estimated_price == D("1050.12") / bought
    assert p.fee == D("1050.12") * D("0.2") / 100  # taker
    assert walk_book_total(BOOK, D("700.10")) == (D("0.01"), D("70010"), True)
    assert walk_book_total(OrderBook(BTC, bids=(), asks=()), D("1")) is None


def test_a_fast_buy_is_refused_under_the_minimum_total_the_balance_or_on_an_empty_book() -> None:
    with pytest.raises(TotalBelowMinimum) as caught:
        check_fast_buy(BTC, D("4.999"), total_decimals=2, book=BOOK, fee=None, available=D("1e6"))
    assert caught.value.total == D("4.99") and caught.value.minimum == D("5")
    with pytest.raises(NotEnoughBalance) as short:
        check_fast_buy(BTC, D("100"), total_decimals=2, book=BOOK, fee=None, available=D("99"))
    assert short.value.currency == "USDT" and short.value.needed == D("100")
    with pytest.raises(NoLiquidity):
        check_fast_buy(
            BTC,
            D("100"),
            total_decimals=2,
            book=OrderBook(BTC, bids=BOOK.bids, asks=()),
            fee=None,
            available=D("1e6"),
        )
    with pytest.raises(BadOrderNumber):
        check_fast_buy(BTC, D("0"), total_decimals=2, book=BOOK, fee=None, available=D("1e6"))


def test_reconciliation_knows_a_fast_buy_by_its_total_and_a_stop_by_its_stop() -> None:
    since = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    fast = Order(
        exchange="narkasa",
        order_id="BTCUSDT-buy-1",
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        amount=D("150"),  # a fast buy's answer: quote total
        filled=D("150"),
        status=OrderStatus.FILLED,
    )
    payload = {"symbol": "BTCUSDT", "side": "buy", "amount": "0.0015", "price": None}
    assert matches(fast, {**payload, "fast": True, "total": "150"}, since)
    assert not matches(fast, payload, since)
    stop = Order(
        exchange="narkasa",
        order_id="x",
        symbol="BTCUSDT",
        side=Side.SELL,
        type=OrderType.STOP_LIMIT,
        amount=D("0.001"),
        filled=D(0),
        status=OrderStatus.OPEN,
        price=D("60000"),
        stop_price=D("61000"),
    )
    sell = {"symbol": "BTCUSDT", "side": "sell", "amount": "0.001", "price": "60000"}
    assert matches(stop, {**sell, "stop": "61000"}, since)
    assert not matches(stop, {**sell, "stop": "61500"}, since)
