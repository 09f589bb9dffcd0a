"""Candles aggregated from trades (exchanges/candles.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.candles import candles_from_trades
from exchanges.models import Candle, Market, Side, Trade

MARKET = Market("wex", "btc_usd", "BTC", "USD", 3, 8)
T0 = datetime(2026, 9, 21, 14, 0, tzinfo=UTC)  # on the hour


def trade(seconds: int, price: str, amount: str, tid: str | None = None) -> Trade:
    return Trade(
        market=MARKET,
        price=Decimal(price),
        amount=Decimal(amount),
        side=Side.BUY,
        time=T0 + timedelta(seconds=seconds),
        trade_id=tid,
    )


def test_ohlc_in_time_order_whatever_the_input_order() -> None:
    newest_first = [
        trade(299, "103", "0.5"),
        trade(200, "99.5", "1"),
        trade(100, "104", "0.25"),
        trade(5, "100", "2"),
    ]
    (candle,) = candles_from_trades(newest_first, 300)
    assert candle == Candle(
        time=T0,
        open=Decimal("100"),
        high=Decimal("104"),
        low=Decimal("99.5"),
        close=Decimal("103"),
        volume=Decimal("3.75"),
    )


def test_buckets_are_aligned_and_empty_ones_skipped() -> None:
    trades = [trade(61, "10", "1"), trade(119, "11", "1"), trade(60 * 7 + 30, "12", "0.1")]
    candles = candles_from_trades(trades, 60)
    assert [c.time for c in candles] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=7)]
    assert [(c.open, c.close, c.volume) for c in candles] == [
        (Decimal("10"), Decimal("11"), Decimal("2")),
        (Decimal("12"), Decimal("12"), Decimal("0.1")),
    ]


def test_alignment_counts_from_the_epoch_not_from_the_first_trade() -> None:
    (candle,) = candles_from_trades([trade(3600 + 1800 + 7, "1", "1")], 3600)
    assert candle.time == T0 + timedelta(hours=1)


def test_trades_in_the_same_second_follow_their_numeric_ids() -> None:
    same_second = [trade(10, "2", "1", tid="10"), trade(10, "1", "1", tid="9")]
    (candle,) = candles_from_trades(same_second, 60)
    assert (candle.open, candle.close) == (Decimal("1"), Decimal("2"))


def test_no_trades_no_candles_and_a_bad_interval_is_refused() -> None:
    assert candles_from_trades([], 60) == []
    with pytest.raises(ValueError):
        candles_from_trades([trade(0, "1", "1")], 0)


prices = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8)
amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("5000"), places=8)
raw_trades = st.lists(
    st.tuples(st.integers(min_value=-10 * 86400, max_value=10 * 86400), prices, amounts),
    max_size=60,
)
intervals = st.sampled_from([1, 60, 300, 900, 3600, 86400]) | st.integers(1, 100_000)


@given(raw_trades, intervals)
def test_properties_of_any_aggregation(
    raw: list[tuple[int, Decimal, Decimal]], interval: int
) -> None:
    trades = [trade(s, str(p), str(a)) for s, p, a in raw]
    candles = candles_from_trades(trades, interval)

    assert sum((c.volume for c in candles), Decimal(0)) == sum(
        (t.amount for t in trades), Decimal(0)
    )
    for c in candles:
        assert c.high >= c.open >= c.low
        assert c.high >= c.close >= c.low
        assert int(c.time.timestamp()) % interval == 0
        inside = [t for t in trades if c.time <= t.time < c.time + timedelta(seconds=interval)]
        assert inside, "a candle without trades was invented"
        assert c.high == max(t.price for t in inside) and c.low == min(t.price for t in inside)
    times = [c.time for c in candles]
    assert times == sorted(set(times))
    assert len(candles) <= len(trades)
