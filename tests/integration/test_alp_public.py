"""The ALP.COM client against its sandbox: every public endpoint, errors and faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.alp import parse
from exchanges.alp.client import AlpClient
from exchanges.errors import (
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
from sandbox.alp import AlpSandbox
from sandbox.market import SimulatedMarket, quantize

from ..conftest import FIXED_NOW, FixedClock

NOW = int(FIXED_NOW)
INTERVALS = ("5m", "15m", "30m", "1h", "4h", "1d")


async def _no_sleep(_: float) -> None:
    return None


async def get(url: str, params: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, params=params) as resp:
        return resp.status, await resp.text()


def pairs(levels: Any) -> list[tuple[Decimal, Decimal]]:
    """(price, amount) of book levels or of raw ``{"price", "amount"}`` orders."""
    return [
        (lv["price"], lv["amount"]) if isinstance(lv, dict) else (lv.price, lv.amount)
        for lv in levels
    ]


@dataclass
class Alp:
    sandbox: AlpSandbox
    url: str
    client: AlpClient

    async def raw(self, path: str, params: dict[str, str] | None = None) -> Any:
        """What the sandbox serves, read independently of the client."""
        status, text = await get(self.url + path, params)
        assert status == 200
        return json.loads(text, parse_float=Decimal)

    def client_with(self, clock: FixedClock, **pipeline: Any) -> AlpClient:
        return AlpClient(HttpPipeline("alp", self.url, sleep=_no_sleep, **pipeline), clock=clock)


async def _start(serve: Any, sandbox: AlpSandbox, clock: FixedClock) -> Alp:
    served = await serve(sandbox.app())
    client = AlpClient(HttpPipeline("alp", served.url, timeout=5, sleep=_no_sleep), clock=clock)
    return Alp(sandbox, served.url, client)


@pytest.fixture
async def alp(serve: Any, sim: SimulatedMarket, clock: FixedClock) -> AsyncIterator[Alp]:
    setup = await _start(serve, AlpSandbox(sim), clock)
    yield setup
    await setup.client.close()


def unlisted() -> Market:
    return Market("alp", "XRP_USDT", "XRP", "USDT", 5, 1)


# --- markets --------------------------------------------------------------------------
async def test_markets_carry_the_pairs_precision_and_limits(alp: Alp) -> None:
    markets = await alp.client.markets()
    assert alp.sandbox.harness.last("/api/v1/pairs/").query == {}
    raw = await alp.raw("/api/v1/pairs/")
    assert sorted(markets) == sorted(p["name"] for p in raw)
    for p in raw:
        m = markets[p["name"]]
        assert (m.base, m.quote) == (p["currency1"], p["currency2"])
        assert m.price_decimals == p["price_precision"]
        assert m.amount_decimals == p["amount_precision"]
        assert (m.min_amount, m.max_amount) == (p["minimum_order_size"], p["maximum_order_size"])
    btc_usd = markets["BTC_USD"]
    assert btc_usd.min_amount == Decimal("0.00000001")
    assert btc_usd.max_amount == Decimal("100000000")
    assert (markets["ETH_BTC"].price_decimals, markets["ETH_BTC"].amount_decimals) == (6, 4)


async def test_pairs_written_as_the_document_writes_them(alp: Alp) -> None:
    _, text = await get(alp.url + "/api/v1/pairs/", {"currency1": "BTC"})
    assert '"maximum_order_size": 100000000.00000000' in text
    assert '"minimum_order_size": 0.00000001' in text
    assert '"liquidity_type": 10' in text
    assert [p["name"] for p in json.loads(text)] == ["BTC_USD", "BTC_USDT"]


async def test_markets_are_cached(alp: Alp) -> None:
    await alp.client.markets()
    await alp.client.markets()
    assert alp.sandbox.harness.paths().count("/api/v1/pairs/") == 1


@pytest.mark.parametrize("typed", ["BTC_USDT", "btc_usdt", "BTC/USDT", "btcusdt"])
async def test_every_spelling_resolves(alp: Alp, typed: str) -> None:
    assert (await alp.client.resolve(typed)).symbol == "BTC_USDT"


async def test_unknown_symbol_suggests_markets(alp: Alp) -> None:
    with pytest.raises(UnknownSymbol) as caught:
        await alp.client.resolve("XRP/USDT")
    assert caught.value.suggestions
    assert all(s.endswith("/USDT") for s in caught.value.suggestions)


async def test_currencies(alp: Alp) -> None:
    signs = await alp.client.currencies()
    assert alp.sandbox.harness.last().path == "/api/v1/currencies/"
    raw = await alp.raw("/api/v1/currencies/")
    assert signs == {c["short_name"]: c["sign"] for c in raw}
    assert signs["BTC"] == "Ƀ" and signs["ETH"] == "Ξ"


# --- ticker ---------------------------------------------------------------------------
async def test_ticker(alp: Alp, sim: SimulatedMarket) -> None:
    market = await alp.client.resolve("btc/usdt")
    t = await alp.client.ticker(market)
    request = alp.sandbox.harness.last("/api/v1/ticker/")
    assert (request.method, request.query) == ("GET", {"pair": "BTC_USDT"})
    [raw] = await alp.raw("/api/v1/ticker/", {"pair": "BTC_USDT"})
    assert raw["pair"] == "BTC_USDT"
    assert t.last == raw["last"] == quantize(sim.ticker("BTC", "USDT", "alp").last, 2)
    assert (t.bid, t.ask) == (raw["buy"], raw["sell"])
    assert t.bid is not None and t.ask is not None and t.bid < t.last < t.ask
    assert (t.high_24h, t.low_24h, t.volume_24h) == (raw["high"], raw["low"], raw["vol"])
    assert t.change_24h_pct == raw["diff"] / (raw["last"] - raw["diff"]) * 100
    assert t.time == datetime.fromtimestamp(NOW, tz=UTC)


async def test_ticker_of_a_pair_the_upstream_does_not_list(alp: Alp) -> None:
    with pytest.raises(UnknownSymbol) as caught:
        await alp.client.ticker(unlisted())
    assert caught.value.symbol == "XRP_USDT"
    assert alp.sandbox.harness.last().query == {"pair": "XRP_USDT"}


# --- order book -----------------------------------------------------------------------
async def test_order_book(alp: Alp) -> None:
    market = await alp.client.resolve("ETH_USDT")
    book = await alp.client.order_book(market, 5)
    request = alp.sandbox.harness.last("/api/v1/orderbook/")
    assert request.path == "/api/v1/orderbook/ETH_USDT"
    assert request.query == {"limit_sell": "5", "limit_buy": "5", "group": "1"}
    raw = await alp.raw("/api/v1/orderbook/ETH_USDT", request.query)
    assert pairs(book.bids) == pairs(raw["buy"])
    assert pairs(book.asks) == pairs(raw["sell"])
    assert len(book.bids) == len(book.asks) == 5
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid.price < book.best_ask.price
    assert [lv.price for lv in book.bids] == sorted((lv.price for lv in book.bids), reverse=True)


async def test_ungrouped_book_sums_to_the_grouped_one(alp: Alp) -> None:
    grouped = await alp.raw("/api/v1/orderbook/BTC_USDT", {"group": "1"})
    single = await alp.raw("/api/v1/orderbook/BTC_USDT")
    assert len(single["buy"]) > len(grouped["buy"])
    market = (await alp.client.markets())["BTC_USDT"]
    book = parse.order_book(market, single, 100, datetime.now(tz=UTC))
    assert pairs(book.bids) == pairs(grouped["buy"])
    assert pairs(book.asks) == pairs(grouped["sell"])


async def test_order_book_of_a_pair_the_upstream_does_not_list(alp: Alp) -> None:
    with pytest.raises(UnknownSymbol):
        await alp.client.order_book(unlisted())
    assert alp.sandbox.harness.last().path == "/api/v1/orderbook/XRP_USDT"


async def test_refused_parameter_is_a_rejected_request(alp: Alp) -> None:
    market = await alp.client.resolve("BTC_USDT")
    with pytest.raises(RejectedRequest) as caught:
        await alp.client.order_book(market, 0)
    assert caught.value.message == "limit_sell: Ensure this value is greater than or equal to 1."


# --- trades ---------------------------------------------------------------------------
async def test_trades(alp: Alp) -> None:
    market = await alp.client.resolve("LTC_USDT")
    trades = await alp.client.trades(market, 7)
    request = alp.sandbox.harness.last("/api/v1/exchanges/")
    assert request.query == {"pair": "LTC_USDT", "limit": "7", "ordering": "-id"}
    raw = await alp.raw("/api/v1/exchanges/", request.query)
    assert len(trades) == len(raw) == 7
    for trade, r in zip(trades, raw, strict=True):
        assert trade.trade_id == str(r["id"])
        assert (trade.price, trade.amount) == (r["price"], r["amount"])
        assert trade.side is (Side.BUY if r["type"] == "buy" else Side.SELL)
        assert trade.time == datetime.fromtimestamp(int(r["timestamp"]), tz=UTC)
    assert [t.time for t in trades] == sorted((t.time for t in trades), reverse=True)
    assert trades[0].time.timestamp() <= NOW


async def test_trades_of_a_pair_the_upstream_does_not_list(alp: Alp) -> None:
    with pytest.raises(UnknownSymbol):
        await alp.client.trades(unlisted())


# --- candles --------------------------------------------------------------------------
async def test_candles(alp: Alp) -> None:
    assert alp.client.capabilities.candle_intervals == INTERVALS
    market = await alp.client.resolve("BTC_USDT")
    candles = await alp.client.candles(market, "1h", 24)
    request = alp.sandbox.harness.last("/api/charts/")
    assert request.path == "/api/charts/BTC_USDT/60/chart"
    first_open = (NOW // 3600 - 23) * 3600
    assert request.query == {"limit": "24", "since": str(first_open), "until": str(NOW)}
    raw = await alp.raw(request.path, request.query)
    assert len(candles) == len(raw) == 24
    for candle, r in zip(candles, reversed(raw), strict=True):
        assert candle.time == datetime.fromtimestamp(r["time"], tz=UTC)
        assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (
            r["open"],
            r["high"],
            r["low"],
            r["close"],
            r["volume"],
        )
    assert candles[0].time.timestamp() == first_open
    assert candles[-1].time.timestamp() == NOW // 3600 * 3600


@pytest.mark.parametrize(("typed", "timeframe", "seconds"), [("24h", "D", 86400), ("5m", "5", 300)])
async def test_candles_map_our_intervals(
    alp: Alp, typed: str, timeframe: str, seconds: int
) -> None:
    market = await alp.client.resolve("ETH_BTC")
    candles = await alp.client.candles(market, typed, 10)
    assert alp.sandbox.harness.last().path == f"/api/charts/ETH_BTC/{timeframe}/chart"
    assert [c.time.timestamp() for c in candles] == [
        (NOW // seconds - 9 + i) * seconds for i in range(10)
    ]


async def test_unsupported_interval_lists_the_supported_ones(alp: Alp) -> None:
    market = await alp.client.resolve("BTC_USDT")
    with pytest.raises(UnsupportedInterval) as caught:
        await alp.client.candles(market, "1m")
    assert caught.value.supported == INTERVALS
    assert not any(p.startswith("/api/charts/") for p in alp.sandbox.harness.paths())


async def test_sandbox_refuses_an_undocumented_timeframe(alp: Alp) -> None:
    status, text = await get(alp.url + "/api/charts/BTC_USDT/1/chart")
    assert status == 400
    assert json.loads(text) == {"timeframe": ['"1" is not a valid choice.']}


async def test_candles_of_a_pair_the_upstream_does_not_list(alp: Alp) -> None:
    with pytest.raises(UnknownSymbol):
        await alp.client.candles(unlisted(), "4h")
    assert alp.sandbox.harness.last().path == "/api/charts/XRP_USDT/240/chart"


# --- faults ---------------------------------------------------------------------------
async def test_rate_limit_answer_is_rate_limited(
    serve: Any, sim: SimulatedMarket, clock: FixedClock
) -> None:
    setup = await _start(serve, AlpSandbox(sim, public_rate=2, monotonic=lambda: 50.0), clock)
    market = Market("alp", "BTC_USDT", "BTC", "USDT", 2, 6)
    await setup.client.ticker(market)
    await setup.client.ticker(market)
    with pytest.raises(RateLimited) as caught:
        await setup.client.ticker(market)
    assert caught.value.retry_after == 1.0
    assert len(setup.sandbox.harness.requests) == 3
    await setup.client.close()


async def test_server_error_is_unavailable_after_retries(alp: Alp) -> None:
    market = await alp.client.resolve("BTC_USDT")
    alp.sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await alp.client.ticker(market)
    assert alp.sandbox.harness.paths().count("/api/v1/ticker/") == 3


async def test_garbage_is_bad_response(alp: Alp) -> None:
    market = await alp.client.resolve("BTC_USDT")
    alp.sandbox.harness.faults.garbage = True
    with pytest.raises(BadResponse):
        await alp.client.trades(market)


async def test_stall_is_timeout(alp: Alp, clock: FixedClock) -> None:
    market = await alp.client.resolve("BTC_USDT")
    impatient = alp.client_with(clock, timeout=0.2, retry=RetryPolicy(attempts=1))
    alp.sandbox.harness.faults.stall = True
    try:
        with pytest.raises(RequestTimeout):
            await impatient.order_book(market)
    finally:
        alp.sandbox.harness.faults.clear()
        await impatient.close()


def test_env_vars_point_the_bot_at_the_sandbox(sim: SimulatedMarket) -> None:
    assert AlpSandbox(sim).env_vars("http://127.0.0.1:9") == {"ALP_API_URL": "http://127.0.0.1:9"}
