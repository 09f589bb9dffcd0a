"""Median render time of a 120-candle chart, cold (rendered) and cached.

Run: ``python bench/charts.py`` (prints the figures; the README keeps the latest).
Cold renders use a fresh cache each time (new candles); cached ones ask again for
the same chart. Everything is local: the Wallex sandbox serves the candles.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.charts import ChartService, render_png
from bot.health import Health
from bot.market import MarketService
from exchanges.http import HttpPipeline
from exchanges.wallex.client import WallexClient
from sandbox.market import SimulatedMarket
from sandbox.serving import serve_app
from sandbox.wallex.server import WallexSandbox

ROUNDS = 15


async def main() -> None:
    now = float(int(time.time()))
    market = SimulatedMarket(clock=lambda: now)
    served = await serve_app(WallexSandbox(market).app())
    client = WallexClient(HttpPipeline("wallex", served.url), clock=lambda: now)
    service = MarketService({"wallex": client}, Health())
    charts = ChartService(service)
    m = await client.resolve("BTC/TMN")
    candles = list(await client.candles(m, "1h", 120))
    render_png(candles, "warm-up", "TMN", 0)  # imports matplotlib once, outside the timing

    title = "BTC/TMN · Wallex · 1h"
    cold = []
    for i in range(ROUNDS):
        # A different last candle each round: a cache miss, so a real render.
        variant = [*candles[:-1], replace(candles[-1], volume=candles[-1].volume + i + 1)]
        start = time.perf_counter()
        await charts.render("wallex", m, "1h", variant, title)
        cold.append(time.perf_counter() - start)
    cached = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await charts.render("wallex", m, "1h", candles, title)
        cached.append(time.perf_counter() - start)
    print(f"candles per chart: {len(candles)}")
    print(f"cold render (median of {ROUNDS}): {statistics.median(cold) * 1000:.1f} ms")
    print(f"cached (median of {ROUNDS}): {statistics.median(cached) * 1000:.3f} ms")
    print(f"speed-up of the cache: {statistics.median(cold) / statistics.median(cached):.1f}x")
    charts.close()
    await service.close()
    await served.stop()


if __name__ == "__main__":
    asyncio.run(main())
