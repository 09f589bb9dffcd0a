"""The Wallex Socket.IO stream against the sandbox's Socket.IO server: ticks carry the
exact prices the sandbox emitted, unsubscribing holds, a dropped connection ends
``events()`` with StreamClosed, and malformed payloads are skipped."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from exchanges.errors import ExchangeUnavailable
from exchanges.models import Tick
from exchanges.streams import StreamClosed
from exchanges.wallex.stream import WallexStream
from sandbox.market import SimulatedMarket
from sandbox.wallex import WallexSandbox

from ..conftest import FixedClock

TIMEOUT = 5.0


@pytest.fixture
async def wallex(
    sim, serve, clock: FixedClock
) -> AsyncIterator[tuple[WallexSandbox, Callable[..., WallexStream]]]:  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    served = await serve(sandbox.app())
    opened: list[WallexStream] = []

    def open_stream(**options: float) -> WallexStream:
        stream = WallexStream(served.url, clock=clock, **options)  # type: ignore[arg-type]
        opened.append(stream)
        return stream

    yield sandbox, open_stream
    for stream in opened:
        await stream.close()


async def next_tick(ticks: AsyncIterator[Tick], timeout: float = TIMEOUT) -> Tick:
    return await asyncio.wait_for(anext(ticks), timeout)


async def tick_where(
    ticks: AsyncIterator[Tick], want: Callable[[Tick], bool], seen: list[Tick] | None = None
) -> Tick:
    """The first tick for which ``want`` holds (others are collected in ``seen``)."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            tick = await anext(ticks)
            if want(tick):
                return tick
            if seen is not None:
                seen.append(tick)


def is_cap(tick: Tick) -> bool:
    return tick.bid is not None


async def subscribed(sandbox: WallexSandbox, *symbols: str, count: int = 1) -> None:
    for symbol in symbols:
        for kind in ("trade", "marketCap"):
            await sandbox.socket.wait_subscribed(f"{symbol}@{kind}", count, TIMEOUT)


async def test_subscribe_gives_ticks_with_the_exact_emitted_prices(
    wallex, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["BTCTMN"])
    await subscribed(sandbox, "BTCTMN")
    assert list(sandbox.subscriptions().values()) == [["BTCTMN@marketCap", "BTCTMN@trade"]]
    ticks = stream.events()

    # The background task emits a newly subscribed channel without being asked.
    first = await tick_where(ticks, is_cap)
    emitted = [e for e in sandbox.socket.emitted if e.channel == "BTCTMN@marketCap"]
    assert first.price == Decimal(emitted[0].payload["lastPrice"])

    pushed = {e.channel: e.payload for e in await sandbox.push("BTCTMN")}
    assert set(pushed) == {"BTCTMN@trade", "BTCTMN@marketCap"}
    trade = await tick_where(ticks, lambda t: not is_cap(t))
    cap = await tick_where(ticks, is_cap)
    assert trade.price == Decimal(pushed["BTCTMN@trade"]["price"])
    assert trade.price.as_tuple().exponent == 0  # TMN: whole tomans
    assert (trade.bid, trade.ask) == (None, None)
    assert cap.price == Decimal(pushed["BTCTMN@marketCap"]["lastPrice"])
    assert cap.bid == Decimal(pushed["BTCTMN@marketCap"]["bidPrice"])
    assert cap.ask == Decimal(pushed["BTCTMN@marketCap"]["askPrice"])
    assert cap.bid is not None and cap.ask is not None and cap.bid < cap.price < cap.ask
    assert (cap.exchange, cap.symbol, cap.source) == ("wallex", "BTCTMN", "stream")
    assert cap.time.timestamp() == clock.now


async def test_a_price_move_is_emitted_by_the_background_task(wallex, sim: SimulatedMarket) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["ETHUSDT"])
    await subscribed(sandbox, "ETHUSDT")
    ticks = stream.events()
    before = await tick_where(ticks, is_cap)
    sim.shift("ETH", 4)
    after = await tick_where(ticks, lambda t: is_cap(t) and t.price != before.price)
    assert after.price > before.price * Decimal("1.03")
    last = [e for e in sandbox.socket.emitted if e.channel == "ETHUSDT@marketCap"][-1]
    assert after.price == Decimal(last.payload["lastPrice"])
    assert after.price == after.price.quantize(Decimal("0.01"))  # USDT market: cents


async def test_unsubscribe_stops_ticks_for_that_symbol(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["BTCTMN", "ETHTMN"])
    await stream.subscribe(["BTCTMN"])  # idempotent
    await subscribed(sandbox, "BTCTMN", "ETHTMN")
    ticks = stream.events()
    await tick_where(ticks, lambda t: t.symbol == "BTCTMN")

    await stream.unsubscribe(["BTCTMN"])
    await sandbox.socket.wait_for(
        lambda: not any(c.startswith("BTCTMN@") for c in sandbox.socket.channels()), TIMEOUT
    )
    assert sorted(sandbox.socket.channels()) == ["ETHTMN@marketCap", "ETHTMN@trade"]
    assert await sandbox.push("BTCTMN") == []  # nobody listens any more
    # Even a payload still reaching the client is not handed on.
    await sandbox.socket.push_raw(
        "ETHTMN@trade", {"price": "1", "quantity": "1", "symbol": "ETHTMN"}
    )
    seen: list[Tick] = []
    await sandbox.push("ETHTMN")
    await tick_where(ticks, lambda t: t.symbol == "ETHTMN" and is_cap(t), seen)
    assert all(t.symbol == "ETHTMN" for t in seen)
    assert stream.symbols == {"ETHTMN"}


async def test_a_dropped_connection_ends_events_and_a_new_stream_resubscribes(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["BTCTMN", "USDTTMN"])
    await subscribed(sandbox, "BTCTMN", "USDTTMN")
    ticks = stream.events()
    await next_tick(ticks)
    old_sid = next(iter(sandbox.subscriptions()))

    await sandbox.drop_connections()
    with pytest.raises(StreamClosed):
        async with asyncio.timeout(TIMEOUT):
            async for _ in ticks:
                pass
    with pytest.raises(StreamClosed):
        await next_tick(stream.events())
    with pytest.raises(StreamClosed):
        await stream.connect()  # a stream is one connection

    again = open_stream()
    await again.subscribe(stream.symbols)  # before connect: sent once connected
    await again.connect()
    await subscribed(sandbox, "BTCTMN", "USDTTMN")
    subs = sandbox.subscriptions()
    assert old_sid not in subs
    assert list(subs.values()) == [
        ["BTCTMN@marketCap", "BTCTMN@trade", "USDTTMN@marketCap", "USDTTMN@trade"]
    ]
    pushed = {e.channel: e.payload for e in await sandbox.push("USDTTMN")}
    tick = await tick_where(again.events(), lambda t: t.symbol == "USDTTMN" and is_cap(t))
    assert tick.price == Decimal(pushed["USDTTMN@marketCap"]["lastPrice"])


async def test_malformed_payloads_are_skipped_not_fatal(
    wallex, sim: SimulatedMarket, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["BTCTMN"])
    await subscribed(sandbox, "BTCTMN")
    ticks = stream.events()
    before = await tick_where(ticks, is_cap)
    with caplog.at_level(logging.DEBUG, logger="exchanges.wallex.stream"):
        for channel, payload in [
            ("BTCTMN@trade", {"price": "price-marker-xyz", "quantity": "1"}),
            ("BTCTMN@trade", {"quantity": "1"}),
            ("BTCTMN@trade", {"price": "-5", "quantity": "1"}),
            ("BTCTMN@marketCap", "plain-text-marker"),
            ("BTCTMN@marketCap", {"symbol": "ETHTMN", "lastPrice": "12345"}),
            ("BTCTMN@marketCap", {"lastPrice": 1.5}),  # a float: not an exact number
            ("BTCTMN@marketCap", None),
        ]:
            await sandbox.socket.push_raw(channel, payload)
        sim.shift("BTC", 3)
        await sandbox.push("BTCTMN")
        after = await tick_where(ticks, lambda t: is_cap(t) and t.price != before.price)
    assert after.price > before.price
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 7
    for record in warnings:
        text = record.getMessage()
        assert "malformed" in text and "BTCTMN@" in text
        assert "marker" not in text and "12345" not in text


async def test_the_broadcaster_event_shape_is_read_too(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    sandbox.socket.broadcaster = True
    stream = open_stream()
    await stream.connect()
    await stream.subscribe(["DOGETMN"])
    await subscribed(sandbox, "DOGETMN")
    pushed = {e.channel: e for e in await sandbox.push("DOGETMN")}
    assert pushed["DOGETMN@trade"].event == "Broadcaster"
    tick = await tick_where(stream.events(), lambda t: not is_cap(t))
    assert tick.price == Decimal(pushed["DOGETMN@trade"].payload["price"])


async def test_a_silent_server_ends_the_stream_after_the_idle_timeout(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, open_stream = wallex
    sandbox.silent = True
    stream = open_stream(idle_timeout=0.3)
    await stream.connect()
    await stream.subscribe(["BTCTMN"])
    await subscribed(sandbox, "BTCTMN")
    assert await sandbox.push("BTCTMN") == []  # silent: nothing leaves
    with pytest.raises(StreamClosed, match="no data"):
        await next_tick(stream.events())
    await sandbox.socket.wait_clients(0, TIMEOUT)  # the client hung up


async def test_an_unreachable_server_is_a_network_error(clock: FixedClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stream = WallexStream(f"http://127.0.0.1:{port}", clock=clock, connect_timeout=3.0)
    with pytest.raises(ExchangeUnavailable):
        await stream.connect()
    with pytest.raises(StreamClosed):
        await next_tick(stream.events())
