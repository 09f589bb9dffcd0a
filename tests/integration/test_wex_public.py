"""The WEX client against the WEX sandbox: what the user gets and what the sandbox saw."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from exchanges.errors import (
    BadResponse,
    ExchangeUnavailable,
    RejectedRequest,
    RequestTimeout,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import Side
from exchanges.wex.client import WexClient
from sandbox.market import SimulatedMarket
from sandbox.wex.server import WexSandbox

from ..conftest import FixedClock


async def no_sleep(_: float) -> None:
    return None


class Wex:
    def __init__(self, sandbox: WexSandbox, client: WexClient, url: str) -> None:
        self.sandbox = sandbox
        self.client = client
        self.url = url

    async def raw(self, path: str) -> Any:
        """What the sandbox serves at ``path`` right now, read without the client and
        taken off the sandbox's record, so assertions on that record see the client only."""
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as resp:
            text = await resp.text()
        own = self.sandbox.harness.requests.pop()
        assert own.path == path.partition("?")[0]
        return json.loads(text, parse_float=Decimal)


@pytest.fixture
async def wex(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Wex]:
    sandbox = WexSandbox(sim)
    served = await serve(sandbox.app())
    http = HttpPipeline(
        "wex", served.url, timeout=2.0, retry=RetryPolicy(attempts=3), sleep=no_sleep
    )
    client = WexClient(http, clock=clock)
    yield Wex(sandbox, client, served.url)
    await client.close()


async def test_markets_resolve_every_spelling_from_one_info_call(wex: Wex) -> None:
    spellings = ("btc_usd", "BTC_USD", "BTC/USD", "btcusd")
    resolved = {await wex.client.resolve(text) for text in spellings}
    assert len(resolved) == 1
    (market,) = resolved
    assert (market.symbol, market.base, market.quote) == ("btc_usd", "BTC", "USD")
    assert (market.price_decimals, market.amount_decimals) == (3, 8)
    assert market.min_amount == Decimal("0.0001")
    hidden = await wex.client.resolve("USDT/USD")
    assert hidden.active and hidden.price_decimals == 4
    assert wex.sandbox.harness.paths() == ["/api/3/info"]


async def test_ticker_maps_buy_to_ask_and_sell_to_bid(wex: Wex, clock: FixedClock) -> None:
    market = await wex.client.resolve("btc_usd")
    ticker = await wex.client.ticker(market)
    served = (await wex.raw("/api/3/ticker/btc_usd"))["btc_usd"]
    assert ticker.last == served["last"]
    assert (ticker.bid, ticker.ask) == (served["sell"], served["buy"])
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask
    assert (ticker.volume_24h, ticker.quote_volume_24h) == (served["vol_cur"], served["vol"])
    assert (ticker.high_24h, ticker.low_24h) == (served["high"], served["low"])
    assert ticker.time == datetime.fromtimestamp(int(clock()), tz=UTC)
    request = wex.sandbox.harness.last("/api/3/ticker")
    assert (request.path, request.query) == ("/api/3/ticker/btc_usd", {})


async def test_several_tickers_in_one_call_skip_invalid_pairs(wex: Wex) -> None:
    btc = await wex.client.resolve("BTC/USD")
    eth = await wex.client.resolve("ETH/BTC")
    gone = replace(btc, symbol="nope_usd", base="NOPE")
    tickers = await wex.client.tickers([btc, eth, gone])
    request = wex.sandbox.harness.last("/api/3/ticker/")
    assert request.path == "/api/3/ticker/btc_usd-eth_btc-nope_usd"
    assert request.query == {"ignore_invalid": "1"}
    assert set(tickers) == {"btc_usd", "eth_btc"}
    served = await wex.raw("/api/3/ticker/btc_usd-eth_btc")
    assert tickers["eth_btc"].last == served["eth_btc"]["last"]
    assert tickers["btc_usd"].ask == served["btc_usd"]["buy"]
    with pytest.raises(UnknownSymbol):
        await wex.client.tickers([gone])


async def test_order_book_sends_the_limit_and_matches_the_sandbox(wex: Wex) -> None:
    market = await wex.client.resolve("ltc_btc")
    book = await wex.client.order_book(market, 5)
    served = (await wex.raw("/api/3/depth/ltc_btc?limit=5"))["ltc_btc"]
    assert [[lv.price, lv.amount] for lv in book.bids] == served["bids"]
    assert [[lv.price, lv.amount] for lv in book.asks] == served["asks"]
    assert len(book.bids) == len(book.asks) == 5
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid.price < book.best_ask.price
    request = wex.sandbox.harness.last("/api/3/depth")
    assert (request.path, request.query) == ("/api/3/depth/ltc_btc", {"limit": "5"})


async def test_trades_match_the_sandbox_and_the_limit_is_capped(wex: Wex) -> None:
    market = await wex.client.resolve("eth_usd")
    trades = await wex.client.trades(market, 7)
    served = (await wex.raw("/api/3/trades/eth_usd?limit=7"))["eth_usd"]
    assert [(t.price, t.amount, t.trade_id) for t in trades] == [
        (s["price"], s["amount"], str(s["tid"])) for s in served
    ]
    sides = {"bid": Side.BUY, "ask": Side.SELL}
    assert [t.side for t in trades] == [sides[s["type"]] for s in served]
    assert [int(t.time.timestamp()) for t in trades] == [s["timestamp"] for s in served]
    assert wex.sandbox.harness.last("/api/3/trades").query == {"limit": "7"}
    await wex.client.trades(market, 20_000)
    assert wex.sandbox.harness.last("/api/3/trades").query == {"limit": "5000"}


async def test_candles_are_built_from_the_most_trades_allowed(wex: Wex) -> None:
    market = await wex.client.resolve("BTC/USD")
    candles = await wex.client.candles(market, "15m", 10)
    request = wex.sandbox.harness.last("/api/3/trades")
    assert (request.path, request.query) == ("/api/3/trades/btc_usd", {"limit": "5000"})

    served = (await wex.raw("/api/3/trades/btc_usd?limit=5000"))["btc_usd"]
    assert len(served) == 5000
    buckets: dict[int, list[dict[str, Any]]] = {}
    for item in sorted(served, key=lambda s: (s["timestamp"], s["tid"])):
        buckets.setdefault(item["timestamp"] // 900 * 900, []).append(item)
    starts = sorted(buckets)[1:]  # the oldest bucket is cut by the 5000-trade window
    expected = [
        (
            start,
            buckets[start][0]["price"],
            max(s["price"] for s in buckets[start]),
            min(s["price"] for s in buckets[start]),
            buckets[start][-1]["price"],
            sum((s["amount"] for s in buckets[start]), Decimal(0)),
        )
        for start in starts[-10:]
    ]
    assert [
        (int(c.time.timestamp()), c.open, c.high, c.low, c.close, c.volume) for c in candles
    ] == expected
    assert len(candles) == 10

    hourly = await wex.client.candles(market, "60m", 1000)
    assert 2 <= len(hourly) <= 10  # 5000 trades, one per ~7 s, span under ten hours


async def test_an_unoffered_interval_lists_the_offered_ones(wex: Wex) -> None:
    market = await wex.client.resolve("BTC/USD")
    before = len(wex.sandbox.harness.requests)
    with pytest.raises(UnsupportedInterval) as info:
        await wex.client.candles(market, "4h")
    assert info.value.supported == ("1m", "5m", "15m", "30m", "1h")
    assert wex.client.capabilities.candles_from_trades
    assert wex.client.capabilities.candle_intervals == info.value.supported
    assert len(wex.sandbox.harness.requests) == before  # nothing was asked upstream


async def test_unknown_and_disabled_pairs_are_unknown_symbols(wex: Wex) -> None:
    with pytest.raises(UnknownSymbol):
        await wex.client.resolve("XYZ/USD")
    btc = await wex.client.resolve("BTC/USD")
    fake = replace(btc, symbol="nope_usd", base="NOPE")
    with pytest.raises(UnknownSymbol) as info:
        await wex.client.order_book(fake)
    assert info.value.symbol == "nope_usd"
    assert wex.sandbox.harness.last("/api/3/depth").path == "/api/3/depth/nope_usd"

    eth_ltc = await wex.client.resolve("ETH/LTC")
    wex.sandbox.disable("eth_ltc")
    with pytest.raises(UnknownSymbol) as info:
        await wex.client.ticker(eth_ltc)
    assert info.value.symbol == "eth_ltc"
    assert "eth_ltc" not in (await wex.raw("/api/3/info"))["pairs"]


async def test_the_sandbox_answers_the_documented_errors(wex: Wex) -> None:
    assert await wex.raw("/api/3/ticker/btc_usd-btc_btc") == {
        "success": 0,
        "error": "Invalid pair name: btc_btc",
    }
    both = await wex.raw("/api/3/ticker/btc_usd-btc_btc?ignore_invalid=1")
    assert set(both) == {"btc_usd"}
    assert (await wex.raw("/api/3/depth/btc_usd-btc_usd"))["success"] == 0
    assert (await wex.raw("/api/3/trades/btc_usd?limit=abc"))["success"] == 0
    assert (await wex.raw("/api/3/candles/btc_usd"))["error"] == "Invalid method"
    assert len((await wex.raw("/api/3/trades/btc_usd"))["btc_usd"]) == 150


async def test_an_error_envelope_becomes_a_rejected_request(serve: Any, clock: FixedClock) -> None:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"success": 0, "error": "API is disabled"})

    app = web.Application()
    app.router.add_get("/api/3/info", refuse)
    served = await serve(app)
    client = WexClient(HttpPipeline("wex", served.url, timeout=2.0), clock=clock)
    try:
        with pytest.raises(RejectedRequest) as info:
            await client.markets()
        assert info.value.message == "API is disabled"
    finally:
        await client.close()


async def test_server_errors_are_retried_then_reported(wex: Wex) -> None:
    wex.sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await wex.client.markets()
    assert wex.sandbox.harness.paths().count("/api/3/info") == 3


async def test_garbage_is_a_bad_response(wex: Wex) -> None:
    wex.sandbox.harness.faults.garbage = True
    with pytest.raises(BadResponse):
        await wex.client.markets()


async def test_a_stalled_server_times_out(
    sim: SimulatedMarket, serve: Any, clock: FixedClock
) -> None:
    sandbox = WexSandbox(sim)
    served = await serve(sandbox.app())
    sandbox.harness.faults.stall = True
    client = WexClient(
        HttpPipeline("wex", served.url, timeout=0.3, retry=RetryPolicy(attempts=1)), clock=clock
    )
    try:
        with pytest.raises(RequestTimeout):
            await client.markets()
    finally:
        sandbox.harness.faults.clear()
        await client.close()


def test_env_vars_point_both_apis_at_the_sandbox(sim: SimulatedMarket) -> None:
    assert WexSandbox(sim).env_vars("http://127.0.0.1:1") == {"WEX_API_URL": "http://127.0.0.1:1"}
