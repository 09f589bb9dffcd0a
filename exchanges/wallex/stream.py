"""Wallex live market stream over Socket.IO, per the Wallex API document (seed 000).

The document: use a Socket.IO client on ``https://api.wallex.ir/socket.io`` and emit
the event ``subscribe`` with ``{"channel": "<symbol>@<kind>"}``. This stream uses
two kinds per market: ``@trade`` (each trade: ``price``, ``quantity``,
``isBuyOrder`` …) and ``@marketCap`` (the market's state: ``lastPrice``,
``bidPrice``, ``askPrice`` …); both become ``Tick``s, TMN prices as integers.

Choices where the document is silent:
- The event data arrives under: the document names none. Wallex's servers emit each
  channel's data under an event named by the channel itself (``BTCTMN@trade``, one
  argument: the payload); some of its deployments use a single ``Broadcaster`` event
  with the arguments (channel, payload). Both are read; anything else is ignored.
- Unsubscribing: the document shows only ``subscribe``; this stream emits
  ``unsubscribe`` with the same ``{"channel": …}`` object, and drops any tick of an
  unsubscribed market still in flight, so unsubscribing holds even on a server
  that ignores the event.
- Nothing is acknowledged by the server, so (un)subscribing is a plain emit.
- Transport: WebSocket only, Engine.IO 4 (python-socketio 5), no automatic
  reconnection: when the connection drops, ``events()`` raises ``StreamClosed`` and
  the bot's supervisor decides what to do next.
- A payload that cannot be read (missing price, not a number, another market's
  symbol) is skipped with a WARNING naming the channel and the field, never the
  payload; a stream of public prices carries no secret, but a log line is no place
  for upstream data either.
- ``@trade`` ticks carry no bid/ask; ``@marketCap`` ticks carry both. Tick times are
  the receiving clock's, as the payloads' own times are not documented.

``WallexAccountStream`` (below) is the private ``stream_key`` channel of one account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any

import socketio

from exchanges.errors import BadResponse, ExchangeUnavailable, NotSupported, RequestTimeout
from exchanges.models import AccountEvent, Tick
from exchanges.streams import AccountStream, MarketStream, StreamClosed
from exchanges.wallex import parse

log = logging.getLogger(__name__)

KINDS = (parse.TRADE, parse.MARKET_CAP)
BROADCASTER = "Broadcaster"
SOCKETIO_PATH = "socket.io"


class WallexStream(MarketStream):
    name = "wallex"

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
        idle_timeout: float | None = None,
        max_queue: int = 1000,
    ) -> None:
        """``url`` is the server's origin (``https://api.wallex.ir``, or
        ``WALLEX_SOCKET_URL``); ``idle_timeout``, when set, ends the stream with
        ``StreamClosed`` after that many seconds without a tick."""
        self.url = url.rstrip("/")
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self._queue: asyncio.Queue[Tick | None] = asyncio.Queue(maxsize=max_queue)
        self._symbols: set[str] = set()
        self._sio: socketio.AsyncClient | None = None
        self._closed = False  # events() has reached the end marker
        self._ended = False  # the end marker is queued: this connection is over
        self._reason = "the connection ended"

    def __repr__(self) -> str:
        return f"WallexStream({self.url!r})"

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(self._symbols)

    # --- connection ---------------------------------------------------------------
    async def connect(self) -> None:
        if self._sio is not None and self._sio.connected and not self._ended:
            return
        if self._sio is not None or self._ended:
            raise StreamClosed(self.name, "a stream is one connection: open a new one")
        sio = socketio.AsyncClient(reconnection=False, logger=False, engineio_logger=False)
        sio.on("disconnect", self._on_disconnect)
        sio.on(BROADCASTER, self._on_broadcaster)
        sio.on("*", self._on_event)
        self._sio = sio
        try:
            async with asyncio.timeout(self.connect_timeout):
                await sio.connect(
                    self.url,
                    transports=["websocket"],
                    socketio_path=SOCKETIO_PATH,
                    wait_timeout=self.connect_timeout,
                )
        except TimeoutError:
            self._reason = "the stream could not open"
            await self._abandon()
            self._end()
            raise RequestTimeout(self.name, "the stream did not open in time") from None
        except socketio.exceptions.ConnectionError:
            self._reason = "the stream could not open"
            await self._abandon()
            self._end()
            raise ExchangeUnavailable(self.name, "cannot open the stream") from None
        for symbol in sorted(self._symbols):
            await self._emit_all("subscribe", symbol)

    async def _abandon(self) -> None:
        """Let go of the client (``_end`` then tells ``events()``)."""
        sio, self._sio = self._sio, None
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()

    async def close(self) -> None:
        if not self._ended:
            self._reason = "the stream was closed"
        await self._abandon()
        self._end()

    def _end(self) -> None:
        """Wake ``events()`` with the end marker, making room for it if need be."""
        self._ended = True
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def _on_disconnect(self, reason: Any = None) -> None:
        log.info("wallex stream: disconnected")
        self._end()

    # --- subscriptions ------------------------------------------------------------
    async def _emit_all(self, event: str, symbol: str) -> None:
        sio = self._sio
        if sio is None or not sio.connected:
            raise StreamClosed(self.name, "the stream is not connected")
        for kind in KINDS:
            try:
                await sio.emit(event, {"channel": parse.channel(symbol, kind)})
            except socketio.exceptions.SocketIOError:
                raise StreamClosed(self.name, "the connection ended") from None

    async def subscribe(self, symbols: Collection[str]) -> None:
        for symbol in sorted(set(symbols) - self._symbols):
            self._symbols.add(symbol)
            if self._sio is not None:
                await self._emit_all("subscribe", symbol)

    async def unsubscribe(self, symbols: Collection[str]) -> None:
        for symbol in sorted(set(symbols) & self._symbols):
            self._symbols.discard(symbol)
            if self._sio is not None and self._sio.connected:
                await self._emit_all("unsubscribe", symbol)

    # --- incoming -----------------------------------------------------------------
    async def _on_broadcaster(self, *args: Any) -> None:
        if len(args) >= 2 and isinstance(args[0], str):
            self._receive(args[0], args[1])
        else:
            log.warning("wallex stream: skipped a Broadcaster event without a channel")

    async def _on_event(self, event: str, *args: Any) -> None:
        self._receive(event, args[0] if args else None)

    def _receive(self, channel: str, payload: Any) -> None:
        found = parse.split_channel(channel)
        if found is None:
            log.debug("wallex stream: ignored event %r", channel[:64])
            return
        symbol, kind = found
        if symbol not in self._symbols:
            return
        try:
            tick = parse.stream_tick(symbol, kind, payload, parse.utc_now(self.clock()))
        except BadResponse as exc:
            log.warning("wallex stream: skipped a malformed %s payload: %s", channel, exc.message)
            return
        if self._queue.full():
            self._queue.get_nowait()  # the oldest tick matters least to an alert
        self._queue.put_nowait(tick)

    async def _next(self) -> Tick | None:
        if self.idle_timeout is None:
            return await self._queue.get()
        try:
            async with asyncio.timeout(self.idle_timeout):
                return await self._queue.get()
        except TimeoutError:
            self._reason = f"no data for {self.idle_timeout:g} s"
            await self._abandon()
            return None

    async def events(self) -> AsyncIterator[Tick]:
        while not self._closed:
            item = await self._next()
            if item is None:
                self._closed = True
                break
            # A tick queued before its market was unsubscribed is not wanted any more.
            if item.symbol in self._symbols:
                yield item
        raise StreamClosed(self.name, self._reason)


class WallexAccountStream(AccountStream):
    """One account's private Socket.IO channel (the document's ``stream_key``).

    ``connect`` reads the key (``key_source``: the profile call of the account
    client), opens the socket like ``WallexStream`` and emits ``subscribe`` with
    ``{"channel": <stream_key>}``. Nothing is acknowledged (as for the public
    channels). Pushes arrive under an event named by the key, or as ``Broadcaster``
    (key, payload); each becomes an ``AccountEvent`` (``parse.account_event``). A push
    that cannot be read is skipped with a WARNING that names neither the key nor the
    payload. The key is never logged: it opens the account's private data.
    """

    name = "wallex"

    def __init__(
        self,
        url: str,
        key_source: Callable[[], Awaitable[str | None]],
        *,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._key_source = key_source
        self.clock = clock
        self.connect_timeout = connect_timeout
        self._key: str | None = None
        self._sio: socketio.AsyncClient | None = None
        self._queue: asyncio.Queue[AccountEvent | None] = asyncio.Queue()
        self._ended = False

    def __repr__(self) -> str:
        return f"WallexAccountStream({self.url!r})"

    async def connect(self) -> None:
        if self._sio is not None:
            return
        key = await self._key_source()
        if not key:
            raise NotSupported(self.name, "the account's profile carries no stream_key")
        self._key = key
        sio = socketio.AsyncClient(reconnection=False, logger=False, engineio_logger=False)
        sio.on("disconnect", self._on_disconnect)
        sio.on(BROADCASTER, self._on_broadcaster)
        sio.on("*", self._on_event)
        self._sio = sio
        try:
            async with asyncio.timeout(self.connect_timeout):
                await sio.connect(
                    self.url,
                    transports=["websocket"],
                    socketio_path=SOCKETIO_PATH,
                    wait_timeout=self.connect_timeout,
                )
                await sio.emit("subscribe", {"channel": key})
        except TimeoutError:
            await self.close()
            raise RequestTimeout(self.name, "the private stream did not open in time") from None
        except socketio.exceptions.SocketIOError:
            await self.close()
            raise ExchangeUnavailable(self.name, "cannot open the private stream") from None

    async def close(self) -> None:
        sio, self._sio = self._sio, None
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(None)

    async def _on_disconnect(self, reason: Any = None) -> None:
        log.info("wallex private stream: disconnected")
        self._end()

    async def _on_broadcaster(self, *args: Any) -> None:
        if len(args) >= 2 and isinstance(args[0], str):
            self._receive(args[0], args[1])

    async def _on_event(self, event: str, *args: Any) -> None:
        self._receive(event, args[0] if args else None)

    def _receive(self, channel: str, payload: Any) -> None:
        if self._key is None or channel != self._key:
            return
        try:
            event = parse.account_event(payload, parse.utc_now(self.clock()))
        except BadResponse as exc:
            log.warning("wallex private stream: skipped a malformed push: %s", exc.message)
            return
        if event is not None:
            self._queue.put_nowait(event)

    async def events(self) -> AsyncIterator[AccountEvent]:
        while True:
            item = await self._queue.get()
            if item is None:
                self._queue.put_nowait(None)
                raise StreamClosed(self.name, "the private stream ended")
            yield item
