"""Live prices: one supervised task per upstream stream, and polling where there is none.

Wallex (Socket.IO) and Narkasa (websocket) push ticks; ALP and WEX are polled, and so
are price sources that are not exchanges (WallexPay's rates, ``add_source``). The
supervisor subscribes only to the markets some alert or feed needs (``want``), adds and
drops subscriptions as that set changes, reconnects a dropped stream with exponential
backoff and jitter, and re-subscribes. A stream that stays open but goes silent for
longer than ``silence_after`` is treated as down: REST polling covers its markets until
events flow again (and after a long silence the connection is replaced). Polling
adapts: it slows down while prices stand still or the upstream pushes back, and speeds
up again when they move.

Every tick, streamed or polled, goes to one ``sink``. After a stream comes back from a
drop, ``on_gap`` is told which exchange was blind since when, so alerts can look back
over what they missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.market import MarketService
from exchanges.errors import ExchangeError, NetworkError, RateLimited
from exchanges.models import Tick
from exchanges.streams import MarketStream

log = logging.getLogger(__name__)

TickSink = Callable[[Tick], Awaitable[None]]
PriceSource = Callable[[set[str]], Awaitable[Mapping[str, Decimal]]]
"""Current prices of the given symbols (those it has); raises ``ExchangeError`` when none."""
GapSink = Callable[[str, float, float], Awaitable[None]]
Market = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    most: float = 30.0

    def delay(self, attempt: int) -> float:
        """Exponential, capped, with jitter so many bots do not reconnect in step."""
        ceiling = min(self.most, self.first * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    fastest: float = 2.0
    slowest: float = 15.0
    growth: float = 1.5


@dataclass
class StreamHealth:
    state: str = "idle"  # idle, connecting, live, silent, down
    connected_since: float | None = None
    last_event_at: float | None = None
    reconnects: int = 0
    last_error: str | None = None
    subscribed: int = 0
    polling: bool = False
    poll_interval: float | None = None
    on_change: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        # Every change is announced, so waiters (``StreamSupervisor.wait_for``) need no polling.
        object.__setattr__(self, name, value)
        if name != "on_change" and self.on_change is not None:
            self.on_change()

    def as_dict(self) -> dict[str, Any]:
        def when(t: float | None) -> str | None:
            return datetime.fromtimestamp(t, UTC).isoformat() if t else None

        return {
            "state": self.state,
            "connected_since": when(self.connected_since),
            "last_event_at": when(self.last_event_at),
            "reconnects": self.reconnects,
            "last_error": self.last_error,
            "subscribed": self.subscribed,
            "polling": self.polling,
            "poll_interval": self.poll_interval,
        }


@dataclass
class _Exchange:
    name: str
    wanted: set[str] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    poll_changed: asyncio.Event = field(default_factory=asyncio.Event)
    health: StreamHealth = field(default_factory=StreamHealth)
    last_polled: dict[str, Any] = field(default_factory=dict)


class StreamSupervisor:
    def __init__(
        self,
        streams: Mapping[str, Callable[[], MarketStream]],
        market: MarketService,
        sink: TickSink,
        *,
        on_gap: GapSink | None = None,
        silence_after: float = 30.0,
        backoff: Backoff | None = None,
        poll: PollPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.streams = dict(streams)
        self.market = market
        self.sink = sink
        self.on_gap = on_gap
        self.silence_after = silence_after
        self.backoff = backoff or Backoff()
        self.poll = poll or PollPolicy()
        self.clock = clock
        self._health_changed = asyncio.Event()
        self._exchanges: dict[str, _Exchange] = {}
        for name in {*self.streams, *market.names}:
            self._track(name)
        self._sources: dict[str, PriceSource] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def add_source(self, name: str, prices: PriceSource) -> None:
        """Poll ``prices`` for the symbols of ``name`` that are wanted, like an exchange
        without a stream (call before ``start``)."""
        if self._tasks:
            raise RuntimeError("add sources before starting")
        self._sources[name] = prices
        if name not in self._exchanges:
            self._track(name)

    def _track(self, name: str) -> None:
        ex = self._exchanges[name] = _Exchange(name)
        ex.health.on_change = self._health_changed.set

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds, re-checked whenever a stream's health changes
        (state, subscriptions, polling); TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._health_changed.clear()
                await self._health_changed.wait()

    # --- what to watch -------------------------------------------------------------
    def want(self, markets: Iterable[Market]) -> None:
        """The complete set of (exchange, symbol) to watch; the difference is applied live."""
        by_exchange: dict[str, set[str]] = {name: set() for name in self._exchanges}
        for exchange, symbol in markets:
            if exchange in by_exchange:
                by_exchange[exchange].add(symbol)
        for name, symbols in by_exchange.items():
            ex = self._exchanges[name]
            if symbols != ex.wanted:
                ex.wanted = symbols
                ex.changed.set()
                ex.poll_changed.set()

    def health(self) -> dict[str, dict[str, Any]]:
        return {name: ex.health.as_dict() for name, ex in sorted(self._exchanges.items())}

    def is_live(self, exchange: str) -> bool:
        ex = self._exchanges.get(exchange)
        return ex is not None and exchange in self.streams and ex.health.state == "live"

    # --- lifetime --------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping.clear()
        for name in self._exchanges:
            if name in self.streams:
                self._tasks.append(
                    asyncio.create_task(self._run_stream(name), name=f"stream-{name}")
                )
            self._tasks.append(asyncio.create_task(self._run_poller(name), name=f"poll-{name}"))

    async def stop(self) -> None:
        self._stopping.set()
        for ex in self._exchanges.values():
            ex.changed.set()
            ex.poll_changed.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _pause(self, seconds: float, *events: asyncio.Event) -> None:
        """Wait ``seconds``, or less when stopping or one of ``events`` is set."""
        waiters = [asyncio.ensure_future(e.wait()) for e in (self._stopping, *events)]
        try:
            await asyncio.wait(
                waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waiters:
                w.cancel()

    # --- streams ---------------------------------------------------------------------
    async def _run_stream(self, name: str) -> None:
        ex = self._exchanges[name]
        attempt = 0
        blind_since: float | None = None
        while not self._stopping.is_set():
            if not ex.wanted:
                ex.health.state = "idle"
                ex.changed.clear()
                await self._pause(3600, ex.changed)
                continue
            stream = self.streams[name]()
            idle = False
            ex.health.state = "connecting"
            try:
                await stream.connect()
                subscribed = set(ex.wanted)
                await stream.subscribe(sorted(subscribed))
                ex.health.subscribed = len(subscribed)
                now = self.clock()
                ex.health.state = "live"
                ex.health.connected_since = now
                ex.health.last_event_at = now
                ex.poll_changed.set()
                attempt = 0
                if blind_since is not None and self.on_gap is not None:
                    await self.on_gap(name, blind_since, now)
                blind_since = None
                await self._serve(ex, stream, subscribed)
                # Closed because nothing is wanted any more: not a drop, so no reconnect to
                # count and no gap to replay when something is wanted again.
                idle = not ex.wanted
            except (ExchangeError, OSError) as exc:
                ex.health.last_error = f"{type(exc).__name__}: {exc}"
                log.info("%s stream: %s", name, ex.health.last_error)
            finally:
                with contextlib.suppress(Exception):
                    await stream.close()
            if self._stopping.is_set():
                break
            if idle:
                attempt = 0
                continue
            if blind_since is None:
                blind_since = ex.health.last_event_at or self.clock()
            ex.health.state = "down"
            ex.health.reconnects += 1
            ex.poll_changed.set()
            await self._pause(self.backoff.delay(attempt))
            attempt += 1

    async def _serve(self, ex: _Exchange, stream: MarketStream, subscribed: set[str]) -> None:
        """Read ticks and apply subscription changes until the connection ends."""
        reader = asyncio.create_task(self._read(ex, stream, subscribed))
        try:
            while not self._stopping.is_set():
                ex.changed.clear()
                await self._pause(min(self.silence_after / 2, 5.0), ex.changed)
                if reader.done():
                    reader.result()  # raises StreamClosed (a NetworkError)
                    return
                wanted = set(ex.wanted)
                added, dropped = wanted - subscribed, subscribed - wanted
                if added:
                    await stream.subscribe(sorted(added))
                if dropped:
                    await stream.unsubscribe(sorted(dropped))
                subscribed.clear()
                subscribed.update(wanted)
                ex.health.subscribed = len(subscribed)
                if not wanted:
                    return
                quiet = self.clock() - (ex.health.last_event_at or self.clock())
                if quiet > self.silence_after and ex.health.state == "live":
                    ex.health.state = "silent"
                    ex.poll_changed.set()
                    log.warning("%s stream silent for %.0f s: polling covers it", ex.name, quiet)
                if quiet > 3 * self.silence_after:
                    raise NetworkError(ex.name, f"silent for {quiet:.0f} s; reconnecting")
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(self, ex: _Exchange, stream: MarketStream, subscribed: set[str]) -> None:
        async for tick in stream.events():
            ex.health.last_event_at = self.clock()
            if ex.health.state == "silent":
                ex.health.state = "live"
                ex.poll_changed.set()
                log.info("%s stream is back", ex.name)
            if tick.symbol in subscribed:
                await self._deliver(tick)

    async def _deliver(self, tick: Tick) -> None:
        try:
            await self.sink(tick)
        except Exception:
            log.exception("a tick of %s %s could not be handled", tick.exchange, tick.symbol)

    # --- polling ---------------------------------------------------------------------
    def _poll_targets(self, ex: _Exchange) -> set[str]:
        if ex.name in self.streams and ex.health.state == "live":
            return set()
        return set(ex.wanted)

    async def _run_poller(self, name: str) -> None:
        ex = self._exchanges[name]
        interval = self.poll.fastest
        while not self._stopping.is_set():
            targets = self._poll_targets(ex)
            ex.health.polling = bool(targets)
            if not targets:
                ex.health.poll_interval = None
                ex.poll_changed.clear()
                await self._pause(3600, ex.poll_changed)
                interval = self.poll.fastest
                continue
            moved = False
            try:
                moved = await self._poll_once(ex, targets)
                interval = (
                    self.poll.fastest
                    if moved
                    else min(interval * self.poll.growth, self.poll.slowest)
                )
            except RateLimited as exc:
                interval = max(exc.retry_after or 0.0, interval * 2, self.poll.fastest)
            except ExchangeError as exc:
                ex.health.last_error = f"{type(exc).__name__}: {exc}"
                interval = min(interval * 2, self.poll.slowest * 2)
            ex.health.poll_interval = interval
            ex.poll_changed.clear()
            await self._pause(interval, ex.poll_changed)

    async def _poll_once(self, ex: _Exchange, symbols: set[str]) -> bool:
        source = self._sources.get(ex.name)
        if source is not None:
            return await self._poll_source(ex, source, symbols)
        client = self.market.client(ex.name)
        markets = await client.markets()
        found = [markets[s] for s in sorted(symbols) if s in markets]
        tickers = await asyncio.gather(*(client.ticker(m) for m in found), return_exceptions=True)
        moved = False
        failures = 0
        now = self.clock()
        for market, ticker in zip(found, tickers, strict=True):
            if isinstance(ticker, BaseException):
                failures += 1
                if isinstance(ticker, RateLimited):
                    raise ticker
                continue
            if ex.last_polled.get(market.symbol) != ticker.last:
                moved = True
                ex.last_polled[market.symbol] = ticker.last
            await self._deliver(
                Tick(
                    exchange=ex.name,
                    symbol=market.symbol,
                    price=ticker.last,
                    time=datetime.fromtimestamp(now, UTC),
                    bid=ticker.bid,
                    ask=ticker.ask,
                    source="poll",
                )
            )
        if found and failures == len(found):
            first = next(t for t in tickers if isinstance(t, BaseException))
            if isinstance(first, ExchangeError):
                raise first
        return moved

    async def _poll_source(self, ex: _Exchange, source: PriceSource, symbols: set[str]) -> bool:
        prices = await source(set(symbols))
        moved = False
        now = self.clock()
        for symbol in sorted(prices):
            if symbol not in symbols:
                continue
            price = prices[symbol]
            if ex.last_polled.get(symbol) != price:
                moved = True
                ex.last_polled[symbol] = price
            await self._deliver(
                Tick(
                    exchange=ex.name,
                    symbol=symbol,
                    price=price,
                    time=datetime.fromtimestamp(now, UTC),
                    source="poll",
                )
            )
        ex.health.last_event_at = now
        return moved
