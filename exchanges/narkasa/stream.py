"""Narkasa's market websocket as a ``MarketStream`` (seed 001, "Websocket Data Streams").

The document gives the messages but no URL: ``NARKASA_WS_URL`` carries the whole
websocket URL (the sandbox serves it at ``ws://127.0.0.1:<port>/ws``).

Protocol, as the document writes it: the client sends
``{"method": "SUBSCRIBE", "params": [{"type": "ticker", "symbol": "BTCTRY"}]}`` (and
``UNSUBSCRIBE`` alike, and ``{"method": "LIST_SUBSCRIPTIONS"}``); the server answers
``{"method": "SUBSCRIBE", "status": "success", "type": "ticker", "symbol": "BTCTRY"}``
per stream, then pushes payloads whose ``type`` names the stream.

Choices where the document is silent:
- Each symbol is followed through two streams, ``ticker`` (last price with best bid
  and ask, stamped with the arrival time since the payload has none) and ``trade``
  (each trade's price and its own ``time``); both become ``Tick``s. One message
  carries the params of every stream asked for at once: ``params`` is a list.
- ``subscribe``/``unsubscribe`` wait for the server's answer to every stream asked
  for (``ack_timeout``), so a symbol the server refuses is reported there: a
  ``"status": "failed"`` answer (the shape the document gives for ``USER_STREAMS``)
  raises ``UnknownSymbol`` when its ``message`` is "Invalid symbol", else
  ``RejectedRequest`` with the server's message.
- Ticks of a symbol are no longer yielded once ``unsubscribe`` has been called for
  it, even those already received.
- A frame that is not JSON, not an object, or a payload missing its fields is
  skipped (logged at DEBUG), never fatal; payloads of other streams are ignored.
- Liveness: aiohttp's ping/pong ``heartbeat`` catches a dead peer; ``idle_timeout``
  (off by default, since a quiet market sends nothing) ends a connection that has
  received no frame for that long. Either way, and when the server closes,
  ``events()`` raises ``StreamClosed``; reconnecting and re-subscribing is the
  supervisor's job, with a new ``NarkasaStream``.
- Ticks wait in a bounded queue (``queue_size``); when a reader falls that far behind
  the oldest are dropped, since a price alert needs the newest prices.

``USER_STREAMS`` (one account's private pushes) is ``NarkasaUserStream`` below, on a
connection of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from decimal import Decimal
from typing import Any, Final

import aiohttp

from exchanges.credentials import Credentials
from exchanges.errors import (
    BadResponse,
    ExchangeError,
    ExchangeUnavailable,
    RejectedRequest,
    RequestTimeout,
    UnknownSymbol,
)
from exchanges.models import AccountEvent, Balance, Tick
from exchanges.narkasa import auth, parse
from exchanges.streams import AccountStream, MarketStream, StreamClosed
from exchanges.wire import to_decimal

log = logging.getLogger(__name__)

NAME = "narkasa"
STREAMS: tuple[str, ...] = ("ticker", "trade")
SUBSCRIBE = "SUBSCRIBE"
UNSUBSCRIBE = "UNSUBSCRIBE"
LIST_SUBSCRIPTIONS = "LIST_SUBSCRIPTIONS"
INVALID_SYMBOL = "invalid symbol"


class _Closed:
    """The end-of-stream marker in the tick queue."""


_CLOSED: Final = _Closed()
_Key = tuple[str, str | None, str | None]  # (method, type, symbol) an answer is matched by


class NarkasaStream(MarketStream):
    name = NAME

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        heartbeat: float | None = 20.0,
        idle_timeout: float | None = None,
        queue_size: int = 10_000,
    ) -> None:
        self.url = url
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.heartbeat = heartbeat
        self.idle_timeout = idle_timeout
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Tick | _Closed] = asyncio.Queue(maxsize=max(2, queue_size))
        self._pending: dict[_Key, deque[asyncio.Future[Mapping[str, Any]]]] = {}
        self._symbols: set[str] = set()
        self._closed = False
        self._ended = False

    def __repr__(self) -> str:
        return f"NarkasaStream({self.url!r})"

    @property
    def symbols(self) -> frozenset[str]:
        """The symbols subscribed on this connection."""
        return frozenset(self._symbols)

    # --- connection -------------------------------------------------------------------
    async def connect(self) -> None:
        if self._ws is not None:
            return
        session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self.connect_timeout):
                self._ws = await session.ws_connect(
                    self.url, heartbeat=self.heartbeat, autoping=True
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await session.close()
            log.info("narkasa websocket connect failed: %s", type(exc).__name__)
            raise ExchangeUnavailable(NAME, "cannot open the websocket") from None
        self._session = session
        self._reader = asyncio.create_task(self._read(self._ws), name="narkasa-ws-reader")

    async def close(self) -> None:
        self._closed = True
        await _shut(self._ws, self._reader, self._session)
        self._end()

    # --- requests -------------------------------------------------------------------
    async def subscribe(self, symbols: Collection[str]) -> None:
        new = [s for s in dict.fromkeys(symbols) if s not in self._symbols]
        if not new:
            return
        # Wanted from now on, so a tick racing ahead of the answer is not dropped.
        self._symbols.update(new)
        try:
            await self._request(SUBSCRIBE, new)
        except _Refused as refused:
            self._symbols.difference_update(refused.symbols)
            raise refused.error from None
        except BaseException:
            self._symbols.difference_update(new)
            raise

    async def unsubscribe(self, symbols: Collection[str]) -> None:
        gone = [s for s in dict.fromkeys(symbols) if s in self._symbols]
        if not gone:
            return
        # Forget them first: ticks already queued for them are no longer wanted.
        self._symbols.difference_update(gone)
        try:
            await self._request(UNSUBSCRIBE, gone)
        except _Refused as refused:
            raise refused.error from None

    async def list_subscriptions(self) -> list[tuple[str, str | None]]:
        """``LIST_SUBSCRIPTIONS``: the server's own view, as (type, symbol) pairs."""
        future = self._expect((LIST_SUBSCRIPTIONS, None, None))
        try:
            await self._send({"method": LIST_SUBSCRIPTIONS})
            reply = await self._wait([future], LIST_SUBSCRIPTIONS)
        finally:
            self._forget((LIST_SUBSCRIPTIONS, None, None), future)
        answer = reply[0]
        _raise_if_failed(answer, "")
        out: list[tuple[str, str | None]] = []
        result = answer.get("result")
        if not isinstance(result, list):
            raise BadResponse(NAME, "LIST_SUBSCRIPTIONS answered no result list")
        for item in result:
            if isinstance(item, Mapping) and isinstance(item.get("type"), str):
                symbol = item.get("symbol")
                out.append((item["type"], symbol if isinstance(symbol, str) else None))
        return out

    async def _request(self, method: str, symbols: list[str]) -> None:
        """Send one ``method`` message for both streams of every symbol and wait for
        every answer; ``_Refused`` names the symbols the server refused."""
        keys: list[_Key] = [(method, kind, s) for s in symbols for kind in STREAMS]
        futures = [self._expect(k) for k in keys]
        params = [{"type": kind, "symbol": s} for _, kind, s in keys]
        try:
            await self._send({"method": method, "params": params})
            answers = await self._wait(futures, method)
        finally:
            for key, future in zip(keys, futures, strict=True):
                self._forget(key, future)
        failure: ExchangeError | None = None
        refused: set[str] = set()
        for (_, _, symbol), answer in zip(keys, answers, strict=True):
            try:
                _raise_if_failed(answer, symbol or "")
            except ExchangeError as exc:
                refused.add(symbol or "")
                failure = failure or exc
        if failure is not None:
            raise _Refused(failure, refused)

    def _expect(self, key: _Key) -> asyncio.Future[Mapping[str, Any]]:
        future: asyncio.Future[Mapping[str, Any]] = asyncio.get_running_loop().create_future()
        if self._ws is None or self._ws.closed or self._closed:
            future.set_exception(StreamClosed(NAME, "the websocket is not open"))
        else:
            self._pending.setdefault(key, deque()).append(future)
        return future

    def _forget(self, key: _Key, future: asyncio.Future[Mapping[str, Any]]) -> None:
        queue = self._pending.get(key)
        if queue is not None:
            with contextlib.suppress(ValueError):
                queue.remove(future)
            if not queue:
                del self._pending[key]
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            future.exception()  # retrieved: its error was (or will be) raised elsewhere

    async def _wait(
        self, futures: list[asyncio.Future[Mapping[str, Any]]], method: str
    ) -> list[Mapping[str, Any]]:
        try:
            async with asyncio.timeout(self.ack_timeout):
                results = await asyncio.gather(*futures, return_exceptions=True)
        except TimeoutError:
            raise RequestTimeout(NAME, f"no answer to {method}") from None
        answers: list[Mapping[str, Any]] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            answers.append(result)
        return answers

    async def _send(self, message: Mapping[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed or self._closed:
            raise StreamClosed(NAME, "the websocket is not open")
        try:
            await ws.send_str(json.dumps(message, separators=(",", ":")))
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            raise StreamClosed(NAME, "the websocket closed while sending") from None

    # --- receiving -----------------------------------------------------------------
    async def events(self) -> AsyncIterator[Tick]:
        if self._ws is None:
            raise StreamClosed(NAME, "the websocket is not open")
        while True:
            item = await self._queue.get()
            if isinstance(item, _Closed):
                self._queue.put_nowait(item)  # every later reader ends too
                raise StreamClosed(NAME, "the websocket closed")
            if item.symbol in self._symbols:
                yield item

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            while True:
                try:
                    msg = await ws.receive(timeout=self.idle_timeout)
                except TimeoutError:
                    log.info("narkasa websocket silent for %ss; closing", self.idle_timeout)
                    await ws.close()
                    return
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._handle(msg.data)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    self._handle(bytes(msg.data).decode("utf-8", errors="replace"))
                elif msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    return
        finally:
            self._end()

    def _handle(self, text: str) -> None:
        try:
            message = parse.stream_message(text)
            if "method" in message:
                self._answer(message)
                return
            tick = parse.stream_tick(message, parse.utc_now(self.clock()))
        except BadResponse as exc:
            log.debug("narkasa websocket: skipped a malformed message (%s)", exc.message)
            return
        if tick is not None:
            self._enqueue(tick)

    def _answer(self, message: Mapping[str, Any]) -> None:
        method = message.get("method")
        if not isinstance(method, str):
            return
        kind, symbol = message.get("type"), message.get("symbol")
        key: _Key = (
            method,
            kind if isinstance(kind, str) else None,
            symbol if isinstance(symbol, str) else None,
        )
        if key in self._pending:
            self._resolve(key, message)
        elif message.get("status") != "success":
            # A refusal that does not say which stream: it answers every pending
            # request of that method.
            for other in [k for k in self._pending if k[0] == method]:
                while self._pending.get(other):
                    self._resolve(other, message)

    def _resolve(self, key: _Key, message: Mapping[str, Any]) -> None:
        queue = self._pending.get(key)
        while queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(message)
                break
        if queue is not None and not queue:
            del self._pending[key]

    def _enqueue(self, item: Tick | _Closed) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # the oldest tick makes room
        self._queue.put_nowait(item)

    def _end(self) -> None:
        """The connection is over: fail every wait and wake every reader, once."""
        for queue in self._pending.values():
            for future in queue:
                if not future.done():
                    future.set_exception(StreamClosed(NAME, "the websocket closed"))
        self._pending.clear()
        if not self._ended:
            self._ended = True
            self._enqueue(_CLOSED)


class _Refused(Exception):
    """Some streams of a request were refused: the first error and the symbols."""

    def __init__(self, error: ExchangeError, symbols: set[str]) -> None:
        super().__init__(error.message)
        self.error = error
        self.symbols = symbols


def _raise_if_failed(answer: Mapping[str, Any], symbol: str) -> None:
    if answer.get("status") == "success":
        return
    message = str(answer.get("message") or "request failed")
    if message.strip().lower() == INVALID_SYMBOL:
        raise UnknownSymbol(NAME, symbol or str(answer.get("symbol") or "?"))
    raise RejectedRequest(NAME, message)


# --- USER_STREAMS -----------------------------------------------------------------------
USER_STREAMS = "USER_STREAMS"


class NarkasaUserStream(AccountStream):
    """One account's ``USER_STREAMS`` on the Narkasa websocket (seed 001, "User Data
    Streams").

    ``connect`` opens the socket and sends ``{"method": "USER_STREAMS", "apiKey": …,
    "signature": HMAC-SHA256(apiKey, secret)}``; a ``"failed"`` answer ("Unauthorized
    Access") raises ``AuthenticationError``, no answer within ``ack_timeout``
    ``RequestTimeout``. Pushes become ``AccountEvent``s:
    - ``orderUpdate`` → ``kind="order"`` with the order (numeric side/type codes, a
      stop-limit's ``targetPrice`` as its stop);
    - ``balanceUpdate`` (available only) and ``reservedUpdate`` (reserved only) →
      ``kind="balance"`` with that currency's whole Balance: the other half comes from
      the wallet read once at connect (``wallet``) and from earlier pushes, since the
      document's payloads carry one half each.
    Frames that are not JSON objects or miss fields are skipped (logged at DEBUG).
    The connection's end raises ``StreamClosed`` from ``events()``.
    """

    name = NAME

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        *,
        wallet: Callable[[], Awaitable[list[Balance]]] | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
        ack_timeout: float = 10.0,
        heartbeat: float | None = 20.0,
    ) -> None:
        self.url = url
        self._credentials = credentials
        self._wallet = wallet
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.heartbeat = heartbeat
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[AccountEvent | _Closed] = asyncio.Queue()
        self._answer: asyncio.Future[Mapping[str, Any]] | None = None
        self._held: dict[str, tuple[Decimal, Decimal]] = {}
        self._ended = False

    def __repr__(self) -> str:
        return f"NarkasaUserStream({self.url!r})"

    async def connect(self) -> None:
        if self._ws is not None:
            return
        if self._wallet is not None:
            for b in await self._wallet():
                self._held[b.currency] = (b.available, b.locked)
        session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self.connect_timeout):
                ws = await session.ws_connect(self.url, heartbeat=self.heartbeat, autoping=True)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await session.close()
            log.info("narkasa user stream connect failed: %s", type(exc).__name__)
            raise ExchangeUnavailable(NAME, "cannot open the websocket") from None
        self._session, self._ws = session, ws
        self._answer = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(ws), name="narkasa-user-stream")
        request = {
            "method": USER_STREAMS,
            "signature": auth.user_stream_signature(self._credentials),
            "apiKey": self._credentials.key or "",
        }
        try:
            await ws.send_str(json.dumps(request, separators=(",", ":")))
            async with asyncio.timeout(self.ack_timeout):
                answer = await asyncio.shield(self._answer)
        except TimeoutError:
            await self.close()
            raise RequestTimeout(NAME, "no answer to USER_STREAMS") from None
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            await self.close()
            raise StreamClosed(NAME, "the websocket closed while binding") from None
        except StreamClosed:
            await self.close()
            raise
        try:
            parse.user_stream_answer(answer)
        except ExchangeError:
            await self.close()
            raise

    async def events(self) -> AsyncIterator[AccountEvent]:
        if self._ws is None:
            raise StreamClosed(NAME, "the websocket is not open")
        while True:
            item = await self._queue.get()
            if isinstance(item, _Closed):
                self._queue.put_nowait(item)
                raise StreamClosed(NAME, "the websocket closed")
            yield item

    async def close(self) -> None:
        await _shut(self._ws, self._reader, self._session)
        self._end()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._handle(msg.data)
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    return
        finally:
            self._end()

    def _handle(self, text: str) -> None:
        try:
            message = parse.stream_message(text)
            if message.get("method") == USER_STREAMS:
                if self._answer is not None and not self._answer.done():
                    self._answer.set_result(message)
                return
            event = self._event(message)
        except BadResponse as exc:
            log.debug("narkasa user stream: skipped a malformed message (%s)", exc.message)
            return
        if event is not None:
            self._queue.put_nowait(event)

    def _event(self, message: Mapping[str, Any]) -> AccountEvent | None:
        kind = message.get("type")
        now = parse.utc_now(self.clock())
        if kind == "orderUpdate":
            return AccountEvent(
                exchange=NAME, kind="order", order=parse.order(message.get("order")), time=now
            )
        if kind in ("balanceUpdate", "reservedUpdate"):
            symbol = str(message.get("symbol") or "").strip().upper()
            if not symbol:
                raise BadResponse(NAME, "field 'symbol' is missing")
            available, reserved = self._held.get(symbol, (Decimal(0), Decimal(0)))
            if kind == "balanceUpdate":
                available = to_decimal(NAME, message.get("available"), "available")
            else:
                reserved = to_decimal(NAME, message.get("reserved"), "reserved")
            self._held[symbol] = (available, reserved)
            return AccountEvent(
                exchange=NAME,
                kind="balance",
                balances=(Balance(symbol, available, reserved),),
                time=now,
            )
        return None

    def _end(self) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(StreamClosed(NAME, "the websocket closed"))
            self._answer.exception()
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(_CLOSED)


async def _shut(
    ws: aiohttp.ClientWebSocketResponse | None,
    reader: asyncio.Task[None] | None,
    session: aiohttp.ClientSession | None,
) -> None:
    """Close a websocket, stop its reader task, then close its session (both streams)."""
    if ws is not None:
        await ws.close()
    if reader is not None:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    if session is not None:
        await session.close()
