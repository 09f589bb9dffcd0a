"""The Wallex client against the Wallex sandbox: what the user gets and what the sandbox saw."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.errors import (
    BadResponse,
    ExchangeUnavailable,
    RequestTimeout,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.wallex.client import WallexClient
from sandbox.wallex.server import WallexSandbox

from ..conftest import FixedClock


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def wallex(sim, serve, clock: FixedClock):  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    served = await serve(sandbox.app())
    http = HttpPipeline(
        "wallex", served.url, timeout=2.0, retry=RetryPolicy(attempts=3), sleep=no_sleep
    )
    client = WallexClient(http, clock=clock)
    yield sandbox, client
    await client.close()


async def test_markets_and_ticker_match_what_the_sandbox_served(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    market = await client.resolve("BTC/TMN")
    assert (market.symbol, market.price_decimals, market.amount_decimals) == ("BTCTMN", 0, 6)
    ticker = await client.ticker(market)
    raw = (await sandbox.list_markets(None)).text  # the sandbox's own answer at this moment
    import json

    stats = json.loads(raw)["result"]["symbols"]["BTCTMN"]["stats"]
    assert ticker.last == Decimal(stats["lastPrice"])
    assert ticker.bid == Decimal(stats["bidPrice"]) and ticker.ask == Decimal(stats["askPrice"])
    assert ticker.change_24h_pct == Decimal(stats["24h_ch"])
    assert ticker.bid < ticker.ask
    assert sandbox.harness.paths() == ["/v1/markets", "/v1/markets"]


async def test_depth_and_trades_send_the_symbol(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    market = await client.resolve("btctmn")
    book = await client.order_book(market, 5)
    assert len(book.bids) == 5 and len(book.asks) == 5
    assert book.bids[0].price < book.asks[0].price
    assert all(lv.price == lv.price.to_integral_value() for lv in book.bids)  # TMN: integers
    assert sandbox.harness.last("/v1/depth").query == {"symbol": "BTCTMN"}
    trades = await client.trades(market, 7)
    assert len(trades) == 7
    assert trades[0].time >= trades[-1].time
    assert sandbox.harness.last("/v1/trades").query == {"symbol": "BTCTMN"}


async def test_candles_use_the_documented_resolution(wallex, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    market = await client.resolve("ETH/USDT")
    candles = await client.candles(market, "1d", 30)
    assert 29 <= len(candles) <= 31
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in candles)
    query = sandbox.harness.last("/v1/udf/history").query
    assert query["symbol"] == "ETHUSDT" and query["resolution"] == "D"
    assert int(query["to"]) - int(query["from"]) == 30 * 86400
    with pytest.raises(UnsupportedInterval) as info:
        await client.candles(market, "5m")
    assert "1h" in info.value.supported and "1d" in info.value.supported


async def test_unknown_symbol_comes_from_the_sandbox_error(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    with pytest.raises(UnknownSymbol):
        await client.resolve("XYZ/TMN")
    fake = (await client.resolve("BTC/TMN")).__class__("wallex", "NOPETMN", "NOPE", "TMN", 0, 2)
    with pytest.raises(UnknownSymbol):
        await client.order_book(fake)
    assert sandbox.harness.last("/v1/depth").query == {"symbol": "NOPETMN"}


async def test_server_errors_are_retried_then_reported(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await client.markets()
    assert sandbox.harness.paths().count("/v1/markets") == 3  # bounded retries


async def test_garbage_is_a_bad_response(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, client = wallex
    sandbox.harness.faults.garbage = True
    with pytest.raises(BadResponse):
        await client.markets()


async def test_a_stalled_server_times_out(sim, serve, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    served = await serve(sandbox.app())
    sandbox.harness.faults.stall = True
    client = WallexClient(
        HttpPipeline("wallex", served.url, timeout=0.3, retry=RetryPolicy(attempts=1)), clock=clock
    )
    try:
        with pytest.raises(RequestTimeout):
            await client.markets()
    finally:
        sandbox.harness.faults.clear()
        await client.close()
