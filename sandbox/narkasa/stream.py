"""The Narkasa sandbox's websocket (seed 001, "Websocket Data Streams").

The document names no URL; the sandbox serves the socket at ``/ws`` of its HTTP
port (``env_vars`` gives ``NARKASA_WS_URL=ws://127.0.0.1:<port>/ws``).

Messages, as the document writes them (its keys are unquoted JavaScript; the sandbox
reads and writes JSON):
- ``{"method": "SUBSCRIBE", "params": [{"type": "ticker", "symbol": "BTCTRY"}]}``
  → one ``{"method": "SUBSCRIBE", "status": "success", "type": …, "symbol": …}`` per
  entry of ``params`` (with ``interval`` for ``candles``); ``UNSUBSCRIBE`` alike.
- ``{"method": "LIST_SUBSCRIPTIONS"}`` → ``{"method": …, "status": "success",
  "result": [{"type": …, "symbol": …}, …]}``.
- Streams: ``allTickers``, ``ticker``, ``candles`` (with ``interval``), ``orderBook``,
  ``depth``, ``trade``; the payloads are the feed's (``server.py``).

Where the document is silent:
- A refusal has the shape the document gives for ``USER_STREAMS``:
  ``{"method": …, "status": "failed", "message": …}``, with the entry's ``type`` and
  ``symbol`` echoed, and the message from the error table: an unknown method, an
  unknown stream type, a bad interval or a frame that is not a JSON object get
  "Invalid Request", an entry without its symbol "Missing parameters", an unknown
  symbol "Invalid symbol".
- ``USER_STREAMS`` (``apiKey`` and ``signature``, the HMAC-SHA256 of the key under
  its secret) binds the connection to that account: ``{"method": "USER_STREAMS",
  "status": "success"}``, or ``"failed"`` with "Unauthorized Access" (the document's
  two answers) for an unknown key or a wrong signature. A bound connection gets the
  account's ``orderUpdate`` on every change of one of its orders, and
  ``balanceUpdate``/``reservedUpdate`` for every currency an order, a withdrawal or a
  deposit touched; nothing is pushed at binding. Market subscriptions keep working on
  the same connection.
- Unsubscribing a stream that was not subscribed succeeds (nothing to stop).
- Pushes: every ``CHECK_EVERY`` seconds each subscription's current state is
  compared with the last one sent (or the one at subscribe time) and a payload goes
  out when it changed; nothing is pushed at subscribe time.

Test hooks: ``push(symbol)`` sends every subscription of that symbol its current
payload now; ``drop_connections()`` closes every socket from the server side;
``silent = True`` keeps sockets open but sends no market data (answers to requests
still go out); ``subscriptions()`` is each open connection's set of (type, symbol);
``send_raw(text)`` writes a frame as is; ``received`` keeps every frame a client sent;
``break_mid_message(symbol)`` sends each subscriber the first half of a real payload of
``symbol`` and closes the socket without a close frame (a server dying mid-write).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.wire import dumps

log = logging.getLogger(__name__)

PATH = "/ws"
CHECK_EVERY = 0.5
INVALID_REQUEST = "Invalid Request"
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "USER_STREAMS")
USER_STREAMS = "USER_STREAMS"
UNAUTHORIZED = "Unauthorized Access"


class Subscription(NamedTuple):
    type: str
    symbol: str | None = None
    interval: str | None = None

    def echo(self) -> dict[str, str]:
        """The fields an answer repeats back."""
        out = {"type": self.type}
        if self.symbol is not None:
            out["symbol"] = self.symbol
        if self.interval is not None:
            out["interval"] = self.interval
        return out


class Feed(Protocol):
    """What the hub needs of the market: checking a stream and its payloads."""

    def stream_error(self, sub: Subscription) -> str | None:
        """The document's wording of why ``sub`` cannot be served, or None."""

    def stream_update(
        self, sub: Subscription, last: Any, force: bool, only: str | None = None
    ) -> tuple[Any, list[dict[str, Any]]]:
        """(new state, payloads to send): the payloads whose state differs from
        ``last``, or the current ones when ``force``; ``only`` limits a multi-symbol
        stream to one symbol."""

    def user_secret(self, key: str) -> str | None:
        """The API secret of the account with this key (None: no such account)."""


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    subscriptions: dict[Subscription, Any] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    user_key: str | None = None

    async def send(self, message: Any) -> bool:
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(message if isinstance(message, str) else dumps(message))
            except (ConnectionError, RuntimeError):
                return False
            return True


class StreamHub:
    def __init__(self, feed: Feed, check_every: float = CHECK_EVERY) -> None:
        self.feed = feed
        self.check_every = check_every
        self.silent = False
        self.connections: list[Connection] = []
        self.received: list[str] = []
        # Every user-stream message sent: (api key, payload).
        self.user_pushed: list[tuple[str, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._user_changed: asyncio.Condition | None = None

    # --- app wiring -------------------------------------------------------------------
    def install(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.handler)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._close_all)
        app.on_cleanup.append(self._stop)

    async def _start(self, app: web.Application) -> None:
        self._user_changed = asyncio.Condition()
        self._task = asyncio.create_task(self._loop(), name="narkasa-sandbox-pushes")

    async def _stop(self, app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _close_all(self, app: web.Application) -> None:
        await self.drop_connections()

    # --- test hooks ---------------------------------------------------------------------
    async def push(self, symbol: str) -> list[dict[str, Any]]:
        """Send every subscription of ``symbol`` its current payload now; the payloads
        sent (one list entry per message, over all connections)."""
        if self.silent:
            return []
        sent: list[dict[str, Any]] = []
        for conn in list(self.connections):
            for sub, last in list(conn.subscriptions.items()):
                if sub.symbol not in (symbol, None):
                    continue
                state, payloads = self.feed.stream_update(sub, last, True, symbol)
                conn.subscriptions[sub] = state
                for payload in payloads:
                    if await conn.send(payload):
                        sent.append(payload)
        return sent

    async def drop_connections(self) -> None:
        """Close every socket from the server's side (going away)."""
        dropped, self.connections = self.connections, []
        for conn in dropped:
            async with conn.lock:
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"dropped")

    async def break_mid_message(self, symbol: str) -> int:
        """Half a frame of ``symbol``'s current payload, then the connection is cut
        (no close handshake); how many connections were cut."""
        cut, self.connections = self.connections, []
        for conn in cut:
            async with conn.lock:
                for sub, last in list(conn.subscriptions.items()):
                    if sub.symbol in (symbol, None):
                        _, payloads = self.feed.stream_update(sub, last, True, symbol)
                        for payload in payloads[:1]:
                            text = dumps(payload)
                            with contextlib.suppress(ConnectionError, RuntimeError):
                                await conn.ws.send_str(text[: len(text) // 2])
                        break
                transport = conn.ws._req.transport if conn.ws._req is not None else None
                if transport is not None:
                    transport.abort()
        return len(cut)

    async def send_raw(self, text: str) -> None:
        for conn in list(self.connections):
            await conn.send(text)

    def user_connections(self, key: str) -> list[Connection]:
        return [c for c in self.connections if c.user_key == key]

    def push_user(self, key: str, messages: list[dict[str, Any]]) -> None:
        """Send ``messages`` to every connection bound to ``key`` (callable from sync
        code: the sends are scheduled in order on one task)."""
        targets = self.user_connections(key)
        if not targets or not messages:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def send() -> None:
            for message in messages:
                for conn in targets:
                    if await conn.send(message):
                        self.user_pushed.append((key, message))

        task = loop.create_task(send())
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def wait_user_bound(self, key: str, timeout: float = 5.0) -> None:
        """Wait until a connection is bound to ``key`` by ``USER_STREAMS``."""
        assert self._user_changed is not None, "the sandbox is not started"
        async with asyncio.timeout(timeout), self._user_changed:
            await self._user_changed.wait_for(lambda: bool(self.user_connections(key)))

    def subscriptions(self) -> list[set[tuple[str, str | None]]]:
        return [{(s.type, s.symbol) for s in c.subscriptions} for c in self.connections]

    # --- the socket -------------------------------------------------------------------
    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.append(conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.received.append(msg.data)
                    await self._on_message(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await conn.send({"status": "failed", "message": INVALID_REQUEST})
        finally:
            if conn in self.connections:
                self.connections.remove(conn)
        return ws

    async def _on_message(self, conn: Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await conn.send({"status": "failed", "message": INVALID_REQUEST})
            return
        method = message.get("method")
        if method not in METHODS:
            await conn.send({"method": method, "status": "failed", "message": INVALID_REQUEST})
            return
        if method == USER_STREAMS:
            await self._bind_user(conn, message)
            return
        if method == "LIST_SUBSCRIPTIONS":
            result = [s.echo() for s in conn.subscriptions]
            await conn.send({"method": method, "status": "success", "result": result})
            return
        params = message.get("params")
        if not isinstance(params, list) or not params:
            await conn.send({"method": method, "status": "failed", "message": INVALID_REQUEST})
            return
        for entry in params:
            await conn.send(self._apply(conn, method, entry))

    async def _bind_user(self, conn: Connection, message: dict[str, Any]) -> None:
        key, signature = message.get("apiKey"), message.get("signature")
        if not isinstance(key, str) or not key:
            key = ""
        secret = self.feed.user_secret(key) if key else None
        if secret is None or not isinstance(signature, str):
            await conn.send({"method": USER_STREAMS, "status": "failed", "message": UNAUTHORIZED})
            return
        expected = hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.strip().lower()):
            await conn.send({"method": USER_STREAMS, "status": "failed", "message": UNAUTHORIZED})
            return
        conn.user_key = key
        await conn.send({"method": USER_STREAMS, "status": "success"})
        if self._user_changed is not None:
            async with self._user_changed:
                self._user_changed.notify_all()

    def _apply(self, conn: Connection, method: str, entry: Any) -> dict[str, Any]:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            return {"method": method, "status": "failed", "message": INVALID_REQUEST}
        kind = entry["type"]
        sub = Subscription(
            kind,
            None if kind == "allTickers" else _text(entry.get("symbol")),
            _text(entry.get("interval")) if kind == "candles" else None,
        )
        problem = self.feed.stream_error(sub)
        if problem is not None:
            return {"method": method, "status": "failed", **sub.echo(), "message": problem}
        if method == "SUBSCRIBE":
            if sub not in conn.subscriptions:
                state, _ = self.feed.stream_update(sub, None, False)
                conn.subscriptions[sub] = state  # the baseline: pushes start at a change
        else:
            conn.subscriptions.pop(sub, None)
        return {"method": method, "status": "success", **sub.echo()}

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            if self.silent:
                continue
            try:
                await self._check()
            except Exception:  # one bad round must not end the pushes for good
                log.exception("narkasa sandbox: push round failed")

    async def _check(self) -> None:
        for conn in list(self.connections):
            for sub, last in list(conn.subscriptions.items()):
                state, payloads = self.feed.stream_update(sub, last, False)
                if sub in conn.subscriptions:
                    conn.subscriptions[sub] = state
                for payload in payloads:
                    await conn.send(payload)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
