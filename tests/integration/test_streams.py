"""The stream supervisor against the Wallex Socket.IO and Narkasa websocket sandboxes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from bot.health import Health
from bot.market import MarketService
from bot.streams import Backoff, PollPolicy, StreamSupervisor
from exchanges.errors import ExchangeError
from exchanges.models import Tick
from exchanges.registry import build_market_clients, stream_factories
from sandbox.runner import SandboxStack

from .conftest import FixedClock


class Collector:
    def __init__(self) -> None:
        self.ticks: asyncio.Queue[Tick] = asyncio.Queue()
        self.gaps: asyncio.Queue[tuple[str, float, float]] = asyncio.Queue()

    async def sink(self, tick: Tick) -> None:
        await self.ticks.put(tick)

    async def gap(self, exchange: str, since: float, until: float) -> None:
        await self.gaps.put((exchange, since, until))

    async def next(self, *, exchange: str, source: str | None = None, timeout: float = 10) -> Tick:
        async with asyncio.timeout(timeout):
            while True:
                tick = await self.ticks.get()
                if tick.exchange == exchange and (source is None or tick.source == source):
                    return tick


async def wallex_subscribed(stack: SandboxStack, check: Callable[[list[set[str]]], bool]) -> None:
    """Wait until the Wallex sandbox's subscriptions (one set per client) satisfy ``check``;
    re-checked by the sandbox on every (un)subscription and (dis)connection."""
    socket = stack.servers["wallex"].socket  # type: ignore[attr-defined]
    await socket.wait_for(lambda: check(list(socket.subscriptions.values())), timeout=10)


@pytest.fixture
async def setup(
    market_clock: FixedClock,
) -> AsyncIterator[tuple[SandboxStack, StreamSupervisor, Collector]]:
    async with SandboxStack(clock=market_clock, flood=False) as stack:
        env = stack.env()
        urls = {
            "wallex": env["WALLEX_API_URL"],
            "narkasa": env["NARKASA_API_URL"],
            "alp": env["ALP_API_URL"],
            "wex": env["WEX_API_URL"],
        }
        market = MarketService(build_market_clients(urls), Health())
        collector = Collector()
        supervisor = StreamSupervisor(
            stream_factories(
                {"wallex": env["WALLEX_SOCKET_URL"], "narkasa": env["NARKASA_WS_URL"]}
            ),
            market,
            collector.sink,
            on_gap=collector.gap,
            silence_after=0.6,
            backoff=Backoff(first=0.05, most=0.2),
            poll=PollPolicy(fastest=0.1, slowest=0.4),
        )
        await supervisor.start()
        try:
            yield stack, supervisor, collector
        finally:
            await supervisor.stop()
            await market.close()


async def test_wallex_ticks_arrive_and_subscriptions_follow_the_wanted_set(setup) -> None:  # type: ignore[no-untyped-def]
    stack, supervisor, collector = setup
    wallex = stack.servers["wallex"]
    supervisor.want({("wallex", "BTCTMN")})
    await wallex_subscribed(stack, lambda subs: any("BTCTMN@trade" in c for c in subs))
    emitted = await wallex.push("BTCTMN")
    tick = await collector.next(exchange="wallex", source="stream")
    prices = {Decimal(str(e.payload.get("price") or e.payload.get("lastPrice"))) for e in emitted}
    assert tick.symbol == "BTCTMN" and tick.price in prices
    supervisor.want({("wallex", "ETHTMN")})
    await wallex_subscribed(
        stack, lambda subs: any("ETHTMN@trade" in c and "BTCTMN@trade" not in c for c in subs)
    )
    assert supervisor.health()["wallex"]["state"] == "live"


async def test_a_dropped_stream_reconnects_resubscribes_and_reports_the_gap(setup) -> None:  # type: ignore[no-untyped-def]
    stack, supervisor, collector = setup
    wallex = stack.servers["wallex"]
    supervisor.want({("wallex", "BTCTMN")})
    await wallex_subscribed(stack, lambda subs: any("BTCTMN@trade" in c for c in subs))
    await wallex.drop_connections()
    exchange, since, until = await asyncio.wait_for(collector.gaps.get(), 10)
    assert exchange == "wallex" and since <= until
    await wallex_subscribed(stack, lambda subs: any("BTCTMN@trade" in c for c in subs))
    assert supervisor.health()["wallex"]["reconnects"] >= 1
    await wallex.push("BTCTMN")
    assert (await collector.next(exchange="wallex", source="stream")).symbol == "BTCTMN"


async def test_a_silent_stream_is_covered_by_polling(setup) -> None:  # type: ignore[no-untyped-def]
    stack, supervisor, collector = setup
    narkasa = stack.servers["narkasa"]
    supervisor.want({("narkasa", "BTCTRY")})
    await supervisor.wait_for(lambda: supervisor.health()["narkasa"]["state"] == "live")
    narkasa.silent = True
    tick = await collector.next(exchange="narkasa", source="poll", timeout=15)
    assert tick.symbol == "BTCTRY" and tick.price > 0
    assert supervisor.health()["narkasa"]["state"] in ("silent", "down", "connecting", "live")
    narkasa.silent = False
    await narkasa.push("BTCTRY")
    await supervisor.wait_for(lambda: supervisor.health()["narkasa"]["state"] == "live", 15)


async def test_exchanges_without_a_stream_are_polled_adaptively(setup) -> None:  # type: ignore[no-untyped-def]
    _, supervisor, collector = setup
    supervisor.want({("alp", "BTC_USDT"), ("wex", "btc_usd")})
    alp = await collector.next(exchange="alp", source="poll")
    wex = await collector.next(exchange="wex", source="poll")
    assert alp.symbol == "BTC_USDT" and wex.symbol == "btc_usd"
    # The simulated market stands still (frozen clock): the poller slows down.
    await supervisor.wait_for(lambda: (supervisor.health()["alp"]["poll_interval"] or 0) > 0.1)
    supervisor.want(set())
    await supervisor.wait_for(lambda: not supervisor.health()["alp"]["polling"])


async def test_a_price_source_is_polled_adaptively_and_backs_off_when_it_fails() -> None:
    """A source that is not an exchange (WallexPay's rates): polled like one."""
    prices = {"BTC-USDT": Decimal("86600.02")}
    calls: list[set[str]] = []
    failing = False

    async def source(symbols: set[str]) -> dict[str, Decimal]:
        calls.append(set(symbols))
        if failing:
            raise ExchangeError("rates", "down")
        return {s: prices[s] for s in symbols if s in prices}

    collector = Collector()
    market = MarketService({}, Health())
    supervisor = StreamSupervisor({}, market, collector.sink, poll=PollPolicy(0.05, 0.2))
    supervisor.add_source("rates", source)
    await supervisor.start()
    try:
        with pytest.raises(RuntimeError):
            supervisor.add_source("late", source)
        supervisor.want({("rates", "BTC-USDT"), ("rates", "NOPE-USDT")})
        tick = await collector.next(exchange="rates", source="poll")
        assert (tick.symbol, tick.price) == ("BTC-USDT", Decimal("86600.02"))
        assert calls[0] == {"BTC-USDT", "NOPE-USDT"}
        # Standing still: the interval grows towards the slowest.
        await supervisor.wait_for(
            lambda: (supervisor.health()["rates"]["poll_interval"] or 0) > 0.05
        )
        failing = True
        await supervisor.wait_for(lambda: supervisor.health()["rates"]["last_error"] is not None)
        assert "down" in str(supervisor.health()["rates"]["last_error"])
        failing = False
        prices["BTC-USDT"] = Decimal("90000.00")
        moved = await collector.next(exchange="rates", source="poll")
        while moved.price != Decimal("90000.00"):
            moved = await collector.next(exchange="rates", source="poll")
        supervisor.want(set())
        await supervisor.wait_for(lambda: not supervisor.health()["rates"]["polling"])
    finally:
        await supervisor.stop()


async def test_a_stream_closed_because_nothing_is_wanted_is_no_drop(setup) -> None:  # type: ignore[no-untyped-def]
    """Dropping the last market closes the stream on purpose: no reconnect is counted and,
    when a market is wanted again, no gap is replayed (nothing was being watched)."""
    stack, supervisor, collector = setup
    supervisor.want({("wallex", "BTCTMN")})
    await supervisor.wait_for(lambda: supervisor.health()["wallex"]["state"] == "live", 15)
    supervisor.want(set())
    await supervisor.wait_for(lambda: supervisor.health()["wallex"]["state"] == "idle", 15)
    supervisor.want({("wallex", "BTCTMN")})
    await supervisor.wait_for(lambda: supervisor.health()["wallex"]["state"] == "live", 15)
    await stack.servers["wallex"].push("BTCTMN")
    assert (await collector.next(exchange="wallex", source="stream")).symbol == "BTCTMN"
    assert supervisor.health()["wallex"]["reconnects"] == 0
    assert collector.gaps.empty()
