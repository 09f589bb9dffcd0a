"""Wallex's Socket.IO market stream, written from the Wallex API document (seed 000).

The document: connect a Socket.IO client to ``https://api.wallex.ir/socket.io`` and
emit ``subscribe`` with ``{"channel": "<symbol>@<kind>"}``; it shows the payloads of
``@trade`` (``isBuyOrder``, ``quantity``, ``price`` …) and ``@marketCap``
(``lastPrice``, ``bidPrice``, ``askPrice``, ``symbol`` …). Served here: ``@trade``
and ``@marketCap`` (the depth channels are refused like any unknown channel).

Where the document is silent, the sandbox chooses:
- Data is emitted under an event named by the channel itself (``BTCTMN@trade``)
  with the payload as its one argument. ``broadcaster = True`` switches to the other
  shape seen from Wallex's servers, one ``Broadcaster`` event with the arguments
  (channel, payload), so a client can be tried against both.
- ``unsubscribe`` with the same ``{"channel": …}`` object leaves the channel.
- Nothing is acknowledged; an unknown or malformed channel is ignored (and listed
  in ``rejected`` for tests).
- A background task looks at every subscribed channel every ``interval`` seconds
  (0.5) and emits when its price changed since its last emission (a new channel
  counts as changed); prices are the SimulatedMarket's at its own clock.

The private channel: ``subscribe`` with ``{"channel": <stream_key>}`` (an account's
key, ``private_channel`` tells which are valid) joins that account's channel; its
events are emitted like the public ones (an event named by the channel, or
``Broadcaster``), by ``push_private`` (the trading part calls it on every change).

Test hooks: ``push(symbol)``, ``push_raw(channel, payload)``, ``drop_connections()``,
``silent``, ``subscriptions`` (channels per connected client) and the ``wait_*``
helpers, which wait on a condition instead of sleeping. ``break_mid_message(symbol)``
writes, on every open WebSocket, the header of a text frame carrying the Engine.IO
packet of ``symbol``'s trade event and only half of that packet's bytes, then cuts the
TCP connection without a close frame (a server dying mid-write). It works under
Socket.IO, on the wire: python-engineio hands out no handle on its sockets, so a
middleware keeps each WebSocket request's transport while the request lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import socketio
from aiohttp import web

from sandbox.market import SimulatedMarket, quantize

log = logging.getLogger(__name__)

KINDS = ("trade", "marketCap")
PATH = "socket.io"


class MarketSpec(Protocol):
    """What the socket needs of a Wallex market (``server.WallexMarket``)."""

    @property
    def base(self) -> str: ...

    @property
    def quote(self) -> str: ...

    @property
    def base_precision(self) -> int: ...

    @property
    def quote_precision(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Emission:
    """One event the server sent to a channel's subscribers."""

    channel: str
    payload: Any
    event: str


def _wide(value: float | Any, places: int) -> str:
    """Wallex's stream numbers: rounded to the market's places, written with 16."""
    return str(quantize(quantize(value, places), 16))


def _zulu(ts: float) -> str:
    return datetime.fromtimestamp(math.floor(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_frame_header(length: int) -> bytes:
    """RFC 6455 header of an unmasked, final text frame of ``length`` payload bytes."""
    if length < 126:
        return bytes([0x81, length])
    if length < 1 << 16:
        return bytes([0x81, 126]) + length.to_bytes(2, "big")
    return bytes([0x81, 127]) + length.to_bytes(8, "big")


class WallexSocket:
    def __init__(
        self,
        market: SimulatedMarket,
        markets: Mapping[str, MarketSpec],
        *,
        venue: str = "wallex",
        interval: float = 0.5,
    ) -> None:
        self.market = market
        self.markets = markets
        self.venue = venue
        self.interval = interval
        self.silent = False
        self.broadcaster = False
        # Whether a channel name is an account's stream key.
        self.private_channel: Callable[[str], bool] = lambda channel: False
        self._private_sends: set[asyncio.Task[None]] = set()
        self.subscriptions: dict[str, set[str]] = {}
        self.emitted: list[Emission] = []
        self.rejected: list[Any] = []
        self._last: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._wake: asyncio.Event | None = None
        self._changed: asyncio.Condition | None = None
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp", cors_allowed_origins="*", logger=False, engineio_logger=False
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("subscribe", self._on_subscribe)
        self.sio.on("unsubscribe", self._on_unsubscribe)

    # --- wiring -------------------------------------------------------------------
    def attach(self, app: web.Application) -> None:
        self.sio.attach(app, socketio_path=PATH)
        app.middlewares.append(self._track_websocket)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._shutdown)
        app.on_cleanup.append(self._cleanup)

    @web.middleware
    async def _track_websocket(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Keep the transport of a Socket.IO WebSocket while it is open (the request's
        handler returns only when the socket closes)."""
        transport = request.transport
        if request.query.get("transport") != "websocket" or transport is None:
            return await handler(request)
        self._transports.add(transport)
        try:
            return await handler(request)
        finally:
            self._transports.discard(transport)

    async def _start(self, app: web.Application) -> None:
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._run(), name="wallex-socket-emitter")

    async def _shutdown(self, app: web.Application) -> None:
        await self.drop_connections()

    async def _cleanup(self, app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # --- Socket.IO handlers -------------------------------------------------------
    async def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> None:
        self.subscriptions[sid] = set()
        await self._notify()

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.subscriptions.pop(sid, None)
        await self._notify()

    def _channel_of(self, data: Any) -> str | None:
        if not isinstance(data, dict) or not isinstance(data.get("channel"), str):
            return None
        if "@" not in data["channel"] and self.private_channel(data["channel"]):
            return str(data["channel"])
        symbol, at, kind = data["channel"].partition("@")
        if not at or symbol not in self.markets or kind not in KINDS:
            return None
        return str(data["channel"])

    async def _on_subscribe(self, sid: str, data: Any = None) -> None:
        channel = self._channel_of(data)
        if channel is None:
            self.rejected.append(data)
            await self._notify()
            return
        await self.sio.enter_room(sid, channel)
        self.subscriptions.setdefault(sid, set()).add(channel)
        await self._notify()
        if self._wake is not None:
            self._wake.set()

    async def _on_unsubscribe(self, sid: str, data: Any = None) -> None:
        channel = self._channel_of(data)
        if channel is None:
            self.rejected.append(data)
            return
        await self.sio.leave_room(sid, channel)
        self.subscriptions.get(sid, set()).discard(channel)
        if not self.subscribers(channel):
            self._last.pop(channel, None)
        await self._notify()

    # --- what tests observe -------------------------------------------------------
    def subscribers(self, channel: str) -> list[str]:
        return [sid for sid, chans in self.subscriptions.items() if channel in chans]

    def channels(self) -> set[str]:
        return {c for chans in self.subscriptions.values() for c in chans}

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (re-checked on every (un)subscription, refused
        subscription and (dis)connection); TimeoutError after ``timeout`` seconds."""
        assert self._changed is not None, "the socket server is not started"
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_subscribed(self, channel: str, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.subscribers(channel)) >= count, timeout)

    async def wait_clients(self, count: int, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.subscriptions) == count, timeout)

    # --- payloads -----------------------------------------------------------------
    def payload(self, channel: str) -> dict[str, Any]:
        symbol, _, kind = channel.partition("@")
        m = self.markets[symbol]
        if kind == "trade":
            return self._trade(symbol, m)
        return self._market_cap(symbol, m)

    def _trade(self, symbol: str, m: MarketSpec) -> dict[str, Any]:
        tr = self.market.trades(m.base, m.quote, 1, self.venue)[0]
        price = quantize(tr.price, m.quote_precision)
        amount = quantize(tr.amount, m.base_precision)
        return {
            "symbol": symbol,
            "isBuyOrder": tr.is_buy,
            "quantity": _wide(amount, m.base_precision),
            "price": _wide(price, m.quote_precision),
            "sum": str(quantize(price * amount, 16)),
            "timestamp": _zulu(tr.time),
        }

    def _market_cap(self, symbol: str, m: MarketSpec) -> dict[str, Any]:
        t = self.market.ticker(m.base, m.quote, self.venue)
        now = self.market.now()
        week_ago = self.market.price(m.base, m.quote, now - 7 * 86400, self.venue)
        bids, asks = self.market.book(m.base, m.quote, 20, self.venue)
        recent = self.market.trades(m.base, m.quote, 100, self.venue)
        buys = sum(1 for tr in recent if tr.is_buy)
        qp, bp = m.quote_precision, m.base_precision
        return {
            "7d_ch": round((t.last / week_ago - 1) * 100, 2),
            "7d_volume": _wide(self.market.volume(m.base, m.quote, now - 7 * 86400, now), bp),
            "24h_ch": round(t.change_24h_pct, 2),
            "24h_highPrice": _wide(t.high_24h, qp),
            "24h_lowPrice": _wide(t.low_24h, qp),
            "24h_quoteVolume": _wide(t.quote_volume_24h, qp),
            "24h_volume": _wide(t.volume_24h, bp),
            "askCount": len(asks),
            "askPrice": _wide(t.ask, qp),
            "askVolume": _wide(sum(q for _, q in asks), bp),
            "bidCount": len(bids),
            "bidPrice": _wide(t.bid, qp),
            "bidVolume": _wide(sum(q for _, q in bids), bp),
            "createdAt": "2020-04-01T00:00:00.000000Z",
            "direction": {"SELL": len(recent) - buys, "BUY": buys},
            "lastPrice": _wide(t.last, qp),
            "lastQty": _wide(t.last_amount, bp),
            "lastTradeSide": "BUY" if recent and recent[0].is_buy else "SELL",
            "socket": None,
            "symbol": symbol,
        }

    @staticmethod
    def _key(channel: str, payload: Mapping[str, Any]) -> str:
        """What "the price changed" compares: the trade (its time and price), or the
        last, bid and ask prices."""
        if channel.endswith("@trade"):
            return f"{payload.get('timestamp')}|{payload.get('price')}"
        return f"{payload.get('lastPrice')}|{payload.get('bidPrice')}|{payload.get('askPrice')}"

    # --- emitting -----------------------------------------------------------------
    async def _emit(self, channel: str, payload: Any, *, private: bool = False) -> Emission | None:
        if self.silent and not private:
            return None
        if self.broadcaster:
            emission = Emission(channel, payload, "Broadcaster")
            await self.sio.emit("Broadcaster", (channel, payload), room=channel)
        else:
            emission = Emission(channel, payload, channel)
            await self.sio.emit(channel, payload, room=channel)
        self.emitted.append(emission)
        return emission

    async def push(self, symbol: str) -> list[Emission]:
        """Emit ``symbol``'s subscribed channels now, changed or not."""
        out = []
        for kind in KINDS:
            channel = f"{symbol}@{kind}"
            if not self.subscribers(channel):
                continue
            payload = self.payload(channel)
            emission = await self._emit(channel, payload)
            if emission is not None:
                self._last[channel] = self._key(channel, payload)
                out.append(emission)
        return out

    def push_private(self, channel: str, payloads: list[Any]) -> None:
        """Emit ``payloads`` in order on a private channel (callable from sync code:
        the emits run on one scheduled task); nothing when nobody listens."""
        if not self.subscribers(channel):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def send() -> None:
            for payload in payloads:
                await self._emit(channel, payload, private=True)

        task = loop.create_task(send())
        self._private_sends.add(task)
        task.add_done_callback(self._private_sends.discard)

    async def push_raw(self, channel: str, payload: Any) -> Emission | None:
        """Emit anything to a channel's subscribers (malformed payloads, for tests)."""
        return await self._emit(channel, payload)

    async def drop_connections(self) -> None:
        """Disconnect every client from the server side."""
        for sid in list(self.subscriptions):
            await self.sio.disconnect(sid)

    def break_mid_message(self, symbol: str) -> int:
        """Half a frame of ``symbol``'s trade event on every WebSocket, then each
        connection is cut (no close handshake); how many were cut."""
        channel = f"{symbol}@trade"
        args = ["Broadcaster", channel] if self.broadcaster else [channel]
        packet = ("42" + json.dumps([*args, self.payload(channel)], separators=(",", ":"))).encode()
        cut, self._transports = self._transports, set()
        for transport in cut:
            if isinstance(transport, asyncio.Transport):
                if not transport.is_closing():
                    transport.write(_text_frame_header(len(packet)) + packet[: len(packet) // 2])
                transport.abort()
        return len(cut)

    async def emit_changed(self) -> list[Emission]:
        """One pass of the background task: emit every subscribed channel whose
        price differs from its last emission."""
        out = []
        for channel in sorted(self.channels()):
            if "@" not in channel:
                continue  # a private channel: pushed by push_private only
            payload = self.payload(channel)
            key = self._key(channel, payload)
            if self._last.get(channel) == key:
                continue
            emission = await self._emit(channel, payload)
            if emission is not None:
                self._last[channel] = key
                out.append(emission)
        return out

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await self.emit_changed()
            except Exception:
                # One failed pass (a client gone mid-emit) must not end the stream.
                log.exception("wallex sandbox: emitting failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
