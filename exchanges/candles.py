"""Candles built from trades, for systems that publish trades but no candle endpoint.

A pure function so the aggregation is tested without a network and shared by any
client that needs it (WEX today). Buckets are aligned to the interval counted from the
Unix epoch in UTC, the way exchanges align their own candles, so a 1h candle built
here starts on the hour and lines up with other venues' candles on one chart. Buckets
without a trade are skipped rather than filled with the previous close: an invented
flat candle would claim a price nobody traded at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from exchanges.models import Candle, Trade

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _id_order(trade_id: str | None) -> tuple[int, int, str]:
    """Trades in the same second keep their exchange order: numeric ids compare as
    numbers (``"9" < "10"``), other ids as text; trades without an id compare equal
    and so keep their input order (the sort is stable)."""
    if trade_id is None:
        return (2, 0, "")
    if trade_id.isdigit():
        return (0, int(trade_id), "")
    return (1, 0, trade_id)


def _bucket_start(moment: datetime, interval: timedelta) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    elapsed = aware - _EPOCH
    return _EPOCH + (elapsed // interval) * interval


def candles_from_trades(trades: Sequence[Trade], interval_seconds: int) -> list[Candle]:
    """OHLCV candles, oldest first, from trades given in any order.

    Open and close are the first and last trade of the bucket in time order; volume is
    the sum of the traded (base) amounts.
    """
    if interval_seconds <= 0:
        raise ValueError(f"interval must be positive, got {interval_seconds}")
    interval = timedelta(seconds=interval_seconds)
    ordered = sorted(trades, key=lambda t: (t.time, _id_order(t.trade_id)))
    candles: list[Candle] = []
    current: Candle | None = None
    for trade in ordered:
        start = _bucket_start(trade.time, interval)
        if current is not None and current.time == start:
            current = Candle(
                time=start,
                open=current.open,
                high=max(current.high, trade.price),
                low=min(current.low, trade.price),
                close=trade.price,
                volume=current.volume + trade.amount,
            )
            continue
        if current is not None:
            candles.append(current)
        current = Candle(
            time=start,
            open=trade.price,
            high=trade.price,
            low=trade.price,
            close=trade.price,
            volume=trade.amount,
        )
    if current is not None:
        candles.append(current)
    return candles
