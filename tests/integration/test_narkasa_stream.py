"""The Narkasa websocket client against the sandbox's websocket: the messages that
reached the sandbox, ticks with the exact Decimals it sent, unsubscribing, drops,
reconnecting, silence, malformed frames and the protocol's refusals."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.errors import ExchangeUnavailable, UnknownSymbol
from exchanges.models import Tick
from exchanges.narkasa import parse
from exchanges.narkasa.stream import NarkasaStream
from exchanges.streams import StreamClosed
from sandbox.market import SimulatedMarket
from sandbox.narkasa.server import NarkasaSandbox

from ..conftest import FIXED_NOW, FixedClock

WAIT = 5.0


class Env:
    def __init__(self, sandbox: NarkasaSandbox, ws_url: str, clock: FixedClock) -> None:
        self.sandbox = sandbox
        self.ws_url = ws_url
        self.clock = clock
        self.streams: list[NarkasaStream] = []

    async def stream(self, *symbols: str, **kwargs: Any) -> NarkasaStream:
        stream = NarkasaStream(self.ws_url, clock=self.clock, **kwargs)
        self.streams.append(stream)
        await stream.connect()
        if symbols:
            await stream.subscribe(symbols)
        return stream


@pytest.fixture
async def env(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Env]:
    sandbox = NarkasaSandbox(sim)
    served = await serve(sandbox.app())
    e = Env(sandbox, sandbox.env_vars(served.url)["NARKASA_WS_URL"], clock)
    yield e
    for stream in e.streams:
        await stream.close()


async def next_tick(events: AsyncIterator[Tick]) -> Tick:
    return await asyncio.wait_for(anext(events), WAIT)


def sent_messages(sandbox: NarkasaSandbox) -> list[Any]:
    return [json.loads(text) for text in sandbox.stream.received]


def test_env_vars_give_the_websocket_url(sim: SimulatedMarket) -> None:
    env = NarkasaSandbox(sim).env_vars("http://127.0.0.1:8123")
    assert env["NARKASA_WS_URL"] == "ws://127.0.0.1:8123/ws"


async def test_subscribe_sends_the_documents_message(env: Env) -> None:
    stream = await env.stream("TRXTRY")
    assert sent_messages(env.sandbox) == [
        {
            "method": "SUBSCRIBE",
            "params": [
                {"type": "ticker", "symbol": "TRXTRY"},
                {"type": "trade", "symbol": "TRXTRY"},
            ],
        }
    ]
    assert env.sandbox.stream_subscriptions() == [{("ticker", "TRXTRY"), ("trade", "TRXTRY")}]
    assert stream.symbols == {"TRXTRY"}
    await stream.subscribe(["TRXTRY"])  # idempotent: nothing more is sent
    assert len(env.sandbox.stream.received) == 1


async def test_pushed_ticker_and_trade_become_exact_ticks(env: Env) -> None:
    stream = await env.stream("TRXTRY")
    events = stream.events()
    sent = await env.sandbox.push("TRXTRY")
    assert [p["type"] for p in sent] == ["ticker", "trade"]
    ticker, trade = sent

    first = await next_tick(events)
    assert first == Tick(
        exchange="narkasa",
        symbol="TRXTRY",
        price=ticker["last"],
        time=datetime.fromtimestamp(FIXED_NOW, tz=UTC),
        bid=ticker["firstBid"],
        ask=ticker["firstAsk"],
    )
    assert str(first.price) == str(ticker["last"])  # the same digits, not just equal
    assert ticker["last"].as_tuple().exponent == -3  # TRXTRY prices have 3 places

    second = await next_tick(events)
    assert second.symbol == "TRXTRY" and second.source == "stream"
    assert str(second.price) == str(trade["price"])
    assert second.time == datetime.fromtimestamp(trade["time"] // 1000, tz=UTC)
    assert (second.bid, second.ask) == (None, None)


async def test_prices_that_change_are_pushed_without_help(env: Env) -> None:
    stream = await env.stream("BTCTRY")
    events = stream.events()
    env.clock.advance(60)  # the simulated price moves; the sandbox's check notices
    tick = await next_tick(events)
    assert tick.symbol == "BTCTRY"
    body = json.loads(env.sandbox.stream.received[0])
    assert body["method"] == "SUBSCRIBE"


async def test_unsubscribe_stops_the_ticks(env: Env) -> None:
    stream = await env.stream("BTCTRY", "ETHTRY")
    events = stream.events()
    await env.sandbox.push("BTCTRY")  # queued before unsubscribing: dropped too
    await stream.unsubscribe(["BTCTRY"])
    assert sent_messages(env.sandbox)[-1] == {
        "method": "UNSUBSCRIBE",
        "params": [
            {"type": "ticker", "symbol": "BTCTRY"},
            {"type": "trade", "symbol": "BTCTRY"},
        ],
    }
    assert env.sandbox.stream_subscriptions() == [{("ticker", "ETHTRY"), ("trade", "ETHTRY")}]
    assert await env.sandbox.push("BTCTRY") == []
    await env.sandbox.push("ETHTRY")
    tick = await next_tick(events)
    assert tick.symbol == "ETHTRY"
    assert stream.symbols == {"ETHTRY"}


async def test_dropped_connection_raises_stream_closed(env: Env) -> None:
    stream = await env.stream("BTCTRY")
    events = stream.events()
    await env.sandbox.drop_connections()
    with pytest.raises(StreamClosed):
        await next_tick(events)
    with pytest.raises(StreamClosed):
        await next_tick(stream.events())  # every later reader ends too
    with pytest.raises(StreamClosed):
        await stream.subscribe(["ETHTRY"])


async def test_reconnect_and_resubscribe_with_a_new_stream(env: Env) -> None:
    first = await env.stream("BTCTRY", "TRXTRY")
    events = first.events()
    await env.sandbox.drop_connections()
    with pytest.raises(StreamClosed):
        await next_tick(events)
    assert env.sandbox.stream_subscriptions() == []

    second = await env.stream(*sorted(first.symbols))
    assert env.sandbox.stream_subscriptions() == [
        {("ticker", "BTCTRY"), ("trade", "BTCTRY"), ("ticker", "TRXTRY"), ("trade", "TRXTRY")}
    ]
    sent = await env.sandbox.push("TRXTRY")
    tick = await next_tick(second.events())
    assert tick.symbol == "TRXTRY" and tick.price == sent[0]["last"]


async def test_malformed_messages_are_skipped(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    stream = await env.stream("ETHTRY")
    events = stream.events()
    with caplog.at_level(logging.DEBUG, logger="exchanges.narkasa.stream"):
        for junk in (
            "not json at all",
            "[1, 2, 3]",
            '{"type": "ticker", "symbol": "ETHTRY"}',
            '{"type": "ticker", "symbol": "ETHTRY", "last": "a lot"}',
            '{"type": "trade", "symbol": "ETHTRY", "price": 1.5}',
            '{"type": "trade", "symbol": 7, "price": 1, "time": 1}',
            '{"type": "orderBook", "symbol": "ETHTRY", "bidPrice": 1}',
            '{"method": "SUBSCRIBE", "status": "success", "type": "ticker", "symbol": "X"}',
        ):
            await env.sandbox.stream.send_raw(junk)
        sent = await env.sandbox.push("ETHTRY")
        tick = await next_tick(events)
    assert tick.price == sent[0]["last"] and tick.bid == sent[0]["firstBid"]
    skipped = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(skipped) == 6


async def test_a_silent_server_ends_the_stream_after_idle_timeout(env: Env) -> None:
    stream = await env.stream("BTCTRY", idle_timeout=0.3)
    events = stream.events()
    env.sandbox.silent = True
    assert await env.sandbox.push("BTCTRY") == []
    assert env.sandbox.stream_subscriptions() == [{("ticker", "BTCTRY"), ("trade", "BTCTRY")}]
    with pytest.raises(StreamClosed):
        await next_tick(events)


async def test_unknown_symbol_is_refused_and_the_rest_kept(env: Env) -> None:
    stream = await env.stream()
    with pytest.raises(UnknownSymbol) as info:
        await stream.subscribe(["BTCTRY", "NOPETRY"])
    assert info.value.symbol == "NOPETRY"
    assert stream.symbols == {"BTCTRY"}
    assert sorted(await stream.list_subscriptions()) == [("ticker", "BTCTRY"), ("trade", "BTCTRY")]
    assert sent_messages(env.sandbox)[-1] == {"method": "LIST_SUBSCRIPTIONS"}


async def test_connect_failure_is_a_network_error() -> None:
    stream = NarkasaStream("ws://127.0.0.1:1/ws", connect_timeout=2.0)
    with pytest.raises(ExchangeUnavailable):
        await stream.connect()
    await stream.close()


async def test_events_before_connect_end_at_once() -> None:
    stream = NarkasaStream("ws://127.0.0.1:1/ws")
    with pytest.raises(StreamClosed):
        await anext(stream.events())


# --- the sandbox's protocol, spoken by hand --------------------------------------------


class Raw:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def ask(self, message: Any, answers: int = 1) -> list[Any]:
        await self.ws.send_str(message if isinstance(message, str) else json.dumps(message))
        return [await self.read() for _ in range(answers)]

    async def read(self) -> Any:
        msg = await self.ws.receive(timeout=WAIT)
        return json.loads(msg.data, parse_float=Decimal)


@pytest.fixture
async def raw(env: Env) -> AsyncIterator[Raw]:
    async with aiohttp.ClientSession() as session, session.ws_connect(env.ws_url) as ws:
        yield Raw(ws)


async def test_sandbox_answers_protocol_errors_as_documented(raw: Raw) -> None:
    failed = "failed"
    assert await raw.ask({"method": "PING"}) == [
        {"method": "PING", "status": failed, "message": "Invalid Request"}
    ]
    assert await raw.ask("{not json") == [{"status": failed, "message": "Invalid Request"}]
    assert await raw.ask({"method": "SUBSCRIBE"}) == [
        {"method": "SUBSCRIBE", "status": failed, "message": "Invalid Request"}
    ]
    answers = await raw.ask(
        {
            "method": "SUBSCRIBE",
            "params": [
                {"type": "tickers", "symbol": "BTCTRY"},
                {"type": "ticker", "symbol": "NOPE"},
                {"type": "trade"},
                {"type": "candles", "symbol": "BTCTRY", "interval": "m2"},
                {"type": "ticker", "symbol": "BTCTRY"},
            ],
        },
        answers=5,
    )
    assert answers == [
        {
            "method": "SUBSCRIBE",
            "status": failed,
            "type": "tickers",
            "symbol": "BTCTRY",
            "message": "Invalid Request",
        },
        {
            "method": "SUBSCRIBE",
            "status": failed,
            "type": "ticker",
            "symbol": "NOPE",
            "message": "Invalid symbol",
        },
        {"method": "SUBSCRIBE", "status": failed, "type": "trade", "message": "Missing parameters"},
        {
            "method": "SUBSCRIBE",
            "status": failed,
            "type": "candles",
            "symbol": "BTCTRY",
            "interval": "m2",
            "message": "Invalid Request",
        },
        {"method": "SUBSCRIBE", "status": "success", "type": "ticker", "symbol": "BTCTRY"},
    ]
    assert await raw.ask({"method": "LIST_SUBSCRIPTIONS"}) == [
        {
            "method": "LIST_SUBSCRIPTIONS",
            "status": "success",
            "result": [{"type": "ticker", "symbol": "BTCTRY"}],
        }
    ]
    assert await raw.ask(
        {"method": "UNSUBSCRIBE", "params": [{"type": "ticker", "symbol": "ETHTRY"}]}
    ) == [{"method": "UNSUBSCRIBE", "status": "success", "type": "ticker", "symbol": "ETHTRY"}]


async def test_sandbox_serves_every_documented_stream(env: Env, raw: Raw) -> None:
    params = [
        {"type": "allTickers"},
        {"type": "candles", "symbol": "ETHUSDT", "interval": "m5"},
        {"type": "orderBook", "symbol": "ETHUSDT"},
        {"type": "depth", "symbol": "ETHUSDT"},
    ]
    answers = await raw.ask({"method": "SUBSCRIBE", "params": params}, answers=4)
    assert [a["status"] for a in answers] == ["success"] * 4
    assert answers[0] == {"method": "SUBSCRIBE", "status": "success", "type": "allTickers"}
    assert answers[1]["interval"] == "m5"
    sent = await env.sandbox.push("ETHUSDT")
    pushed = [await raw.read() for _ in sent]
    assert pushed == sent
    by_type = {p["type"]: p for p in pushed}
    assert set(by_type) == {"allTickers", "candles", "orderBook", "depth"}
    assert by_type["allTickers"]["symbol"] == "ETHUSDT"
    assert {"changePercent", "openTime", "last", "volumeQty"} <= set(by_type["allTickers"])
    kline = by_type["candles"]["kline"]
    assert kline["closeTime"] == int(FIXED_NOW * 1000)
    assert kline["openTime"] % 300_000 == 0
    book = by_type["orderBook"]
    assert book["bidPrice"] < book["askPrice"]
    assert len(by_type["depth"]["depth"]["bids"]) == 20
    # None of these is a Tick for the client.
    now = datetime.fromtimestamp(FIXED_NOW, tz=UTC)
    for kind in ("candles", "orderBook", "depth"):
        assert parse.stream_tick(by_type[kind], now) is None
    tick = parse.stream_tick(by_type["allTickers"], now)
    assert tick is not None and tick.price == by_type["allTickers"]["last"]


def test_stream_tick_reads_an_empty_side_as_none() -> None:
    now = datetime.fromtimestamp(FIXED_NOW, tz=UTC)
    message = {"type": "ticker", "symbol": "BTCTRY", "last": 5, "firstBid": 0, "firstAsk": 6}
    tick = parse.stream_tick(message, now)
    assert tick == Tick("narkasa", "BTCTRY", Decimal(5), now, bid=None, ask=Decimal(6))
