"""The stream supervisor against the Wallex Socket.IO and Narkasa websocket sandboxes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from bot.health import Health
from bot.market import MarketService
from bot.streams import Backoff, PollPolicy, StreamSupervisor
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


async def until_true(check: object, timeout: float = 10.0) -> None:
    """Wait for a condition that changes on the event loop, checking after each turn."""
    async with asyncio.timeout(timeout):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0)
            await asyncio.sleep(0.01)


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
    await until_true(lambda: any("BTCTMN@trade" in c for c in wallex.subscriptions().values()))
    emitted = await wallex.push("BTCTMN")
    tick = await collector.next(exchange="wallex", source="stream")
    prices = {Decimal(str(e.payload.get("price") or e.payload.get("lastPrice"))) for e in emitted}
    assert tick.symbol == "BTCTMN" and tick.price in prices
    supervisor.want({("wallex", "ETHTMN")})
    await until_true(
        lambda: any(
            "ETHTMN@trade" in c and "BTCTMN@trade" not in c for c in wallex.subscriptions().values()
        )
    )
    assert supervisor.health()["wallex"]["state"] == "live"


async def test_a_dropped_stream_reconnects_resubscribes_and_reports_the_gap(setup) -> None:  # type: ignore[no-untyped-def]
    stack, supervisor, collector = setup
    wallex = stack.servers["wallex"]
    supervisor.want({("wallex", "BTCTMN")})
    await until_true(lambda: any("BTCTMN@trade" in c for c in wallex.subscriptions().values()))
    await wallex.drop_connections()
    exchange, since, until = await asyncio.wait_for(collector.gaps.get(), 10)
    assert exchange == "wallex" and since <= until
    await until_true(lambda: any("BTCTMN@trade" in c for c in wallex.subscriptions().values()))
    assert supervisor.health()["wallex"]["reconnects"] >= 1
    await wallex.push("BTCTMN")
    assert (await collector.next(exchange="wallex", source="stream")).symbol == "BTCTMN"


async def test_a_silent_stream_is_covered_by_polling(setup) -> None:  # type: ignore[no-untyped-def]
    stack, supervisor, collector = setup
    narkasa = stack.servers["narkasa"]
    supervisor.want({("narkasa", "BTCTRY")})
    await until_true(lambda: supervisor.health()["narkasa"]["state"] == "live")
    narkasa.silent = True
    tick = await collector.next(exchange="narkasa", source="poll", timeout=15)
    assert tick.symbol == "BTCTRY" and tick.price > 0
    assert supervisor.health()["narkasa"]["state"] in ("silent", "down", "connecting", "live")
    narkasa.silent = False
    await narkasa.push("BTCTRY")
    await until_true(lambda: supervisor.health()["narkasa"]["state"] == "live", timeout=15)


async def test_exchanges_without_a_stream_are_polled_adaptively(setup) -> None:  # type: ignore[no-untyped-def]
    _, supervisor, collector = setup
    supervisor.want({("alp", "BTC_USDT"), ("wex", "btc_usd")})
    alp = await collector.next(exchange="alp", source="poll")
    wex = await collector.next(exchange="wex", source="poll")
    assert alp.symbol == "BTC_USDT" and wex.symbol == "btc_usd"
    # The simulated market stands still (frozen clock): the poller slows down.
    await until_true(lambda: (supervisor.health()["alp"]["poll_interval"] or 0) > 0.1)
    supervisor.want(set())
    await until_true(lambda: not supervisor.health()["alp"]["polling"])
