"""Candlestick charts as PNG pictures, from the exchange's own candles.

Rendering (mplfinance over matplotlib) is CPU work of a few hundred milliseconds,
so it runs on one worker thread — never on the event loop, and one at a time because
matplotlib's state is not thread-safe. Pictures are cached by what they show
(exchange, market, interval and the last candle), so a chart asked twice within a
candle is rendered once.
"""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.market import MarketService
from exchanges.intervals import normalise_interval
from exchanges.models import Candle, Market

DEFAULT_INTERVALS = ("1h", "15m", "1d")
CANDLES = 120

CacheKey = tuple[str, str, str, int, object, object, int]


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    market: Market
    interval: str
    candles: int
    from_trades: bool


def render_png(candles: Sequence[Candle], title: str, quote: str, decimals: int = 2) -> bytes:
    """Blocking: draw candles with a volume panel and return PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import mplfinance as mpf
    import pandas as pd
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    frame = pd.DataFrame(
        {
            # A picture, not a money path: plotting needs floats.
            "Open": [float(c.open) for c in candles],
            "High": [float(c.high) for c in candles],
            "Low": [float(c.low) for c in candles],
            "Close": [float(c.close) for c in candles],
            "Volume": [float(c.volume) for c in candles],
        },
        index=pd.DatetimeIndex([c.time for c in candles]).tz_convert(None),
    )
    buffer = io.BytesIO()
    style = mpf.make_mpf_style(base_mpf_style="yahoo", gridstyle=":", y_on_right=False)
    fig, axes = mpf.plot(
        frame,
        type="candle",
        volume=True,
        style=style,
        title=title,
        ylabel=quote,
        ylabel_lower="Volume",
        figsize=(10, 6),
        scale_padding={"left": 1.1, "right": 0.25, "top": 0.6, "bottom": 0.6},
        datetime_format="%m-%d %H:%M",
        xrotation=0,
        returnfig=True,
        warn_too_much_data=10_000,
    )
    places = max(0, min(decimals, 8))
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{places}f}"))
    axes[2].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


class ChartService:
    def __init__(self, market: MarketService, *, cache_size: int = 64) -> None:
        self.market = market
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
        self._cache: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._cache_size = cache_size

    def default_interval(self, exchange: str) -> str:
        offered = self.market.client(exchange).capabilities.candle_intervals
        for interval in DEFAULT_INTERVALS:
            if interval in offered:
                return interval
        return offered[0] if offered else "1h"

    async def chart(self, exchange: str, symbol: str, interval: str | None = None) -> Chart:
        client, market = await self.market.market(exchange, symbol)
        chosen = normalise_interval(interval) or interval if interval else None
        chosen = chosen or self.default_interval(exchange)
        candles = await self.market.candles(exchange, market, chosen, CANDLES)
        from_trades = client.capabilities.candles_from_trades
        if not candles:
            return Chart(b"", market, chosen, 0, from_trades)
        png = await self.render(
            exchange, market, chosen, candles, f"{market.pair} · {client.title} · {chosen}"
        )
        return Chart(png, market, chosen, len(candles), from_trades)

    async def render(
        self, exchange: str, market: Market, interval: str, candles: Sequence[Candle], title: str
    ) -> bytes:
        """The picture of these candles, from the cache when the same chart was drawn."""
        last = candles[-1]
        key: CacheKey = (
            exchange,
            market.symbol,
            interval,
            int(last.time.timestamp()),
            last.close,
            last.volume,
            len(candles),
        )
        png = self._cache.get(key)
        if png is not None:
            self._cache.move_to_end(key)
            return png
        loop = asyncio.get_running_loop()
        png = await loop.run_in_executor(
            self._executor, render_png, candles, title, market.quote, market.price_decimals
        )
        self._cache[key] = png
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return png

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
