"""The Narkasa client against the Narkasa sandbox: what the user gets and what the
sandbox saw. Expected numbers are read from the sandbox's own answer at the same fixed
moment, so a field read from the wrong key or rounded on the way fails here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeUnavailable,
    RateLimited,
    RejectedRequest,
    RequestTimeout,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import Market, Side
from exchanges.narkasa import parse
from exchanges.narkasa.client import NarkasaClient
from sandbox.market import SimulatedMarket
from sandbox.narkasa.server import MARKETS, NarkasaSandbox, error

from ..conftest import FIXED_NOW, FixedClock

INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "1d")


async def no_sleep(_: float) -> None:
    return None


Setup = tuple[NarkasaSandbox, NarkasaClient]


@pytest.fixture
async def narkasa(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Setup]:
    sandbox = NarkasaSandbox(sim)
    served = await serve(sandbox.app())
    http = HttpPipeline("narkasa", served.url, timeout=2.0, retry=RetryPolicy(), sleep=no_sleep)
    client = NarkasaClient(http, clock=clock)
    yield sandbox, client
    await client.close()


async def served_body(sandbox: NarkasaSandbox, handler: str, query: str) -> Any:
    """What the sandbox answers at this moment, without a request reaching its harness."""
    request = make_mocked_request("GET", f"/v3/api/x?{query}")
    response: web.Response = await getattr(sandbox, handler)(request)
    assert response.text is not None
    return json.loads(response.text, parse_float=Decimal)


async def test_markets_come_from_the_list_and_each_symbols_info(narkasa: Setup) -> None:
    sandbox, client = narkasa
    markets = await client.markets()
    listed = [m.symbol for m in MARKETS]
    assert sorted(markets) == sorted(listed)
    assert sandbox.harness.requests[0].path == "/v3/api/market/markets"
    info_queries = [r.query for r in sandbox.harness.requests if r.path == "/v3/api/market/info"]
    assert sorted(q["symbol"] for q in info_queries) == sorted(listed)
    assert all(set(q) == {"symbol"} for q in info_queries)

    btc = markets["BTCTRY"]
    assert (btc.base, btc.quote, btc.price_decimals, btc.amount_decimals) == ("BTC", "TRY", 0, 6)
    assert (btc.min_amount, btc.min_notional) == (Decimal("0.000001"), Decimal("10"))
    usdt = markets["USDTTRY"]
    assert (usdt.price_decimals, usdt.amount_decimals, usdt.min_amount) == (2, 2, Decimal("1"))
    assert markets["LTCUSDT"].active is False and btc.active is True

    assert await client.resolve("BTC/TRY") is btc
    assert await client.resolve("btctry") is btc
    assert (await client.resolve("eth/usdt")).symbol == "ETHUSDT"
    assert len(sandbox.harness.requests) == 1 + len(listed)  # cached, not fetched again


async def test_a_listed_symbol_without_info_is_left_out(sim: SimulatedMarket, serve: Any) -> None:
    class HalfListed(NarkasaSandbox):
        async def info(self, request: web.Request) -> web.Response:
            if request.query.get("symbol") == "DOGETRY":
                return error(10037)
            return await super().info(request)

    sandbox = HalfListed(sim)
    served = await serve(sandbox.app())
    client = NarkasaClient(HttpPipeline("narkasa", served.url, timeout=2.0))
    try:
        markets = await client.markets()
    finally:
        await client.close()
    assert "DOGETRY" not in markets and "BTCTRY" in markets
    assert len(markets) == len(MARKETS) - 1


async def test_ticker_is_the_24h_statistics(narkasa: Setup) -> None:
    sandbox, client = narkasa
    market = await client.resolve("BTC/TRY")
    ticker = await client.ticker(market)
    assert sandbox.harness.last("/v3/api/market/24h").query == {"symbol": "BTCTRY"}
    stats = (await served_body(sandbox, "stats_24h", "symbol=BTCTRY"))["market"]
    assert ticker.last == stats["last"] and ticker.last > 0
    assert (ticker.bid, ticker.ask) == (stats["firstBid"], stats["firstAsk"])
    assert ticker.change_24h_pct == stats["changePercent"]
    assert ticker.volume_24h == stats["volumeQty"]
    assert ticker.quote_volume_24h == stats["volume"]
    assert (ticker.high_24h, ticker.low_24h) == (stats["high"], stats["low"])
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask
    assert ticker.time == datetime.fromtimestamp(FIXED_NOW, UTC)


async def test_depth_serves_deep_books_and_orderbook_the_top(narkasa: Setup) -> None:
    sandbox, client = narkasa
    market = await client.resolve("USDT/TRY")
    book = await client.order_book(market, 5)
    assert sandbox.harness.last("/v3/api/market/depth").query == {"symbol": "USDTTRY"}
    raw = (await served_body(sandbox, "depth", "symbol=USDTTRY"))["book"]
    assert [(lv.price, lv.amount) for lv in book.bids] == [
        (lv["price"], lv["amount"]) for lv in raw["bids"][:5]
    ]
    assert [(lv.price, lv.amount) for lv in book.asks] == [
        (lv["price"], lv["amount"]) for lv in raw["asks"][:5]
    ]
    assert book.bids[0].price < book.asks[0].price
    assert all(lv.price == lv.price.quantize(Decimal("0.01")) for lv in book.bids + book.asks)

    top = await client.order_book(market, 1)
    assert sandbox.harness.last().path == "/v3/api/market/orderbook"
    assert sandbox.harness.last().query == {"symbol": "USDTTRY"}
    raw_top = (await served_body(sandbox, "orderbook", "symbol=USDTTRY"))["book"]
    assert top.best_bid is not None and top.best_ask is not None
    assert (top.best_bid.price, top.best_bid.amount) == (
        raw_top["bids"][0]["price"],
        raw_top["bids"][0]["amount"],
    )
    assert top.best_ask.price == raw_top["asks"][0]["price"]


async def test_trades_are_the_latest_newest_first(narkasa: Setup) -> None:
    sandbox, client = narkasa
    market = await client.resolve("ETHUSDT")
    trades = await client.trades(market, 7)
    assert sandbox.harness.last("/v3/api/market/trades").query == {"symbol": "ETHUSDT"}
    raw = (await served_body(sandbox, "trades", "symbol=ETHUSDT"))["trades"][:7]
    assert [(t.price, t.amount) for t in trades] == [(r["price"], r["amount"]) for r in raw]
    assert [t.side for t in trades] == [Side.BUY if r["type"] == 1 else Side.SELL for r in raw]
    assert [t.time for t in trades] == [datetime.fromtimestamp(r["time"] // 1000, UTC) for r in raw]
    assert {t.side for t in trades} == {Side.BUY, Side.SELL}
    assert trades[0].time >= trades[-1].time


async def test_candles_send_the_documented_interval_and_millisecond_range(
    narkasa: Setup,
) -> None:
    sandbox, client = narkasa
    market = await client.resolve("BTC/TRY")
    candles = await client.candles(market, "60m", 24)
    end = int(FIXED_NOW * 1000)
    query = sandbox.harness.last("/v3/api/market/candles").query
    assert query == {
        "symbol": "BTCTRY",
        "interval": "h1",
        "startDate": str(end - 24 * 3600 * 1000),
        "endDate": str(end),
    }
    same_query = "&".join(f"{k}={v}" for k, v in query.items())
    raw = (await served_body(sandbox, "candles", same_query))["candles"]
    assert len(candles) == len(raw) == 24
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in candles] == [
        (r["open"], r["high"], r["low"], r["close"], r["volume"]) for r in raw
    ]
    assert [c.time for c in candles] == [
        datetime.fromtimestamp(r["openTime"] // 1000, UTC) for r in raw
    ]
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in candles)

    daily = await client.candles(market, "1d", 10)
    assert len(daily) == 10
    assert sandbox.harness.last("/v3/api/market/candles").query["interval"] == "d1"

    sent = len(sandbox.harness.requests)
    with pytest.raises(UnsupportedInterval) as info:
        await client.candles(market, "6h")
    assert info.value.supported == INTERVALS
    assert client.capabilities.candle_intervals == INTERVALS
    assert len(sandbox.harness.requests) == sent  # refused before asking upstream


async def test_ping_and_server_time(narkasa: Setup) -> None:
    sandbox, client = narkasa
    await client.ping()
    assert sandbox.harness.last().path == "/v3/api/ping"
    assert await client.server_time() == datetime.fromtimestamp(FIXED_NOW, UTC)
    assert sandbox.harness.last().path == "/v3/api/time"


async def test_unknown_symbols(narkasa: Setup) -> None:
    sandbox, client = narkasa
    with pytest.raises(UnknownSymbol) as info:
        await client.resolve("XRP/TRY")
    assert "BTC/TRY" in info.value.suggestions
    fake = Market("narkasa", "NOPETRY", "NOPE", "TRY", 2, 2)
    with pytest.raises(UnknownSymbol) as upstream:
        await client.ticker(fake)
    assert upstream.value.symbol == "NOPETRY"
    assert sandbox.harness.last("/v3/api/market/24h").query == {"symbol": "NOPETRY"}
    with pytest.raises(UnknownSymbol):
        await client.candles(fake, "1h", 5)


async def test_the_documents_error_envelopes_are_mapped(narkasa: Setup) -> None:
    sandbox, client = narkasa
    market = await client.resolve("BTC/TRY")
    missing = await client.http.request("GET", "/v3/api/market/24h")
    assert missing.status == 400
    with pytest.raises(RejectedRequest) as info:
        parse.envelope(missing)
    assert info.value.message == "Missing parameters"

    sandbox.fail_with = 20001
    with pytest.raises(AuthenticationError) as auth:
        await client.ticker(market)
    assert auth.value.message == "Invalid API key or secret"
    sandbox.fail_with = 90000
    with pytest.raises(RejectedRequest) as unexpected:
        await client.order_book(market)
    assert unexpected.value.message == "Unexpected Error"
    sandbox.fail_with = 20006
    with pytest.raises(UnknownSymbol):
        await client.trades(market)


async def test_server_errors_are_retried_then_reported(narkasa: Setup) -> None:
    sandbox, client = narkasa
    sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await client.markets()
    assert sandbox.harness.paths() == ["/v3/api/market/markets"] * 3


async def test_too_many_requests_is_rate_limited(narkasa: Setup) -> None:
    sandbox, client = narkasa
    sandbox.harness.faults.status = 429
    with pytest.raises(RateLimited):
        await client.ping()
    assert sandbox.harness.paths() == ["/v3/api/ping"]  # not retried


async def test_garbage_is_a_bad_response(narkasa: Setup) -> None:
    sandbox, client = narkasa
    sandbox.harness.faults.garbage = True
    with pytest.raises(BadResponse):
        await client.markets()


async def test_a_stalled_server_times_out(
    sim: SimulatedMarket, serve: Any, clock: FixedClock
) -> None:
    sandbox = NarkasaSandbox(sim)
    served = await serve(sandbox.app())
    sandbox.harness.faults.stall = True
    client = NarkasaClient(
        HttpPipeline("narkasa", served.url, timeout=0.3, retry=RetryPolicy(attempts=1)),
        clock=clock,
    )
    try:
        with pytest.raises(RequestTimeout):
            await client.markets()
    finally:
        sandbox.harness.faults.clear()
        await client.close()


def test_env_vars_point_the_bot_at_the_sandbox(sim: SimulatedMarket) -> None:
    assert NarkasaSandbox(sim).env_vars("http://127.0.0.1:9") == {
        "NARKASA_API_URL": "http://127.0.0.1:9",
        "NARKASA_WS_URL": "ws://127.0.0.1:9/ws",
    }
