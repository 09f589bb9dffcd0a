"""ALP.COM's public HTTP API v1, as the document gives it (seed 002).

``GET /api/v1/currencies/``, ``/api/v1/pairs/``, ``/api/v1/ticker/``,
``/api/v1/orderbook/<pair_name>`` (no trailing slash, as written in the document),
``/api/v1/exchanges/`` (public trades) and the candles at
``/api/charts/<pair_symbol>/<timeframe>/chart`` (outside ``/api/v1``, no trailing slash).
Every answer is a bare JSON list or object, no envelope.

Where the document is silent:
- ``ticker/``: ``buy``/``sell`` are the best bid/ask (the example's ``buy`` < ``last`` <
  ``sell``), ``diff`` is the change of ``last`` over 24 hours in the quote currency,
  ``vol`` the 24-hour volume in the base currency (the unit of the charts' ``volume``,
  whose example has the pair's amount places); ``timestamp`` is Unix seconds.
- ``orderbook/``: the table names the limits ``limit_sell``/``limit_buy`` while its code
  example sends ``limit_bids``/``limit_asks``; both spellings are honoured, the table's
  first. ``group=0`` (the default) lists single orders, several per price; ``group=1``
  one level per price. Sides are best price first.
- ``exchanges/``: ``type`` is the taker's side; ``timestamp`` Unix seconds. The list is
  the latest 500 trades of each pair, ``ordering`` ``-id`` (default) or ``id``.
- charts: ``since``/``until`` are Unix seconds of candle open times, ``until`` defaults
  to now; ``limit`` keeps the latest candles of that range; the list comes newest first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.alp.catalogue import (
    PAIRS,
    SIGNS,
    TIMEFRAMES,
    VENUE,
    AlpPair,
    bare,
    fixed,
    padded,
)
from sandbox.alp.replies import (
    INVALID_CHOICE,
    Throttle,
    field_error,
    int_param,
    not_found,
)
from sandbox.market import SimulatedMarket, quantize
from sandbox.wire import json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HISTORY = 500  # trades kept per pair by exchanges/
# Side → (the table's parameter, the code example's parameter).
BOOK_LIMITS = {"sell": ("limit_sell", "limit_asks"), "buy": ("limit_buy", "limit_bids")}


class PublicApi:
    """The public route group; the signed v1/v3 methods are a separate group."""

    def __init__(self, market: SimulatedMarket, throttle: Throttle) -> None:
        self.market = market
        self.throttle = throttle
        self.pairs = {p.name: p for p in PAIRS}
        self.currencies = sorted({p.base for p in PAIRS} | {p.quote for p in PAIRS})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/currencies/", self._limited(self.list_currencies)),
            web.get("/api/v1/pairs/", self._limited(self.list_pairs)),
            web.get("/api/v1/ticker/", self._limited(self.ticker)),
            web.get("/api/v1/orderbook/{pair_name}", self._limited(self.orderbook)),
            web.get("/api/v1/exchanges/", self._limited(self.exchanges)),
            web.get("/api/charts/{pair}/{timeframe}/chart", self._limited(self.chart)),
        ]

    def _limited(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            refused = self.throttle.check(request.remote or "?")
            return refused if refused is not None else await handler(request)

        return guarded

    def _pair_filter(self, request: web.Request) -> AlpPair | web.Response | None:
        name = request.query.get("pair")
        if not name:
            return None
        found = self.pairs.get(name)
        return found if found is not None else field_error("pair", INVALID_CHOICE)

    # --- handlers ---------------------------------------------------------------------
    async def list_currencies(self, request: web.Request) -> web.Response:
        return json_response([{"sign": SIGNS[c], "short_name": c} for c in self.currencies])

    async def list_pairs(self, request: web.Request) -> web.Response:
        wanted: dict[str, str] = {}
        for param in ("currency1", "currency2"):
            value = request.query.get(param)
            if value:
                if value not in self.currencies:
                    return field_error(param, INVALID_CHOICE)
                wanted[param] = value
        out = []
        for p in PAIRS:
            if wanted.get("currency1", p.base) != p.base:
                continue
            if wanted.get("currency2", p.quote) != p.quote:
                continue
            out.append(
                {
                    "name": p.name,
                    "currency1": p.base,
                    "currency2": p.quote,
                    "price_precision": p.price_precision,
                    "amount_precision": p.amount_precision,
                    "maximum_order_size": fixed(Decimal(p.maximum_order_size), 8),
                    "minimum_order_size": fixed(Decimal(p.minimum_order_size), 8),
                    "liquidity_type": p.liquidity_type,
                }
            )
        return json_response(out)

    def _ticker_of(self, p: AlpPair) -> dict[str, Any]:
        t = self.market.ticker(p.base, p.quote, VENUE)
        pp = p.price_precision
        return {
            "timestamp": quantize(self.market.now(), 5),
            "pair": p.name,
            "last": bare(t.last, pp),
            "diff": bare(fixed(t.last, pp) - fixed(t.open_24h, pp), pp),
            "vol": bare(t.volume_24h, p.amount_precision),
            "high": bare(t.high_24h, pp),
            "low": bare(t.low_24h, pp),
            "buy": bare(t.bid, pp),
            "sell": bare(t.ask, pp),
        }

    async def ticker(self, request: web.Request) -> web.Response:
        chosen = self._pair_filter(request)
        if isinstance(chosen, web.Response):
            return chosen
        pairs = [chosen] if chosen is not None else list(PAIRS)
        return json_response([self._ticker_of(p) for p in pairs])

    async def orderbook(self, request: web.Request) -> web.Response:
        p = self.pairs.get(request.match_info["pair_name"])
        if p is None:
            return not_found()
        limits: dict[str, int | None] = {}
        for side, names in BOOK_LIMITS.items():
            limit: int | None = None
            for name in reversed(names):  # the table's spelling wins when both are sent
                value = int_param(request, name, None, minimum=1)
                if isinstance(value, web.Response):
                    return value
                limit = value if value is not None else limit
            limits[side] = limit
        group = request.query.get("group", "0")
        if group not in ("0", "1"):
            return field_error("group", f'"{group}" is not a valid choice.')
        bids, asks = self.market.book(p.base, p.quote, 20, VENUE)
        return json_response(
            {
                "sell": self._orders(p, asks, group == "1")[: limits["sell"]],
                "buy": self._orders(p, bids, group == "1")[: limits["buy"]],
            }
        )

    @staticmethod
    def _orders(p: AlpPair, levels: list[tuple[float, float]], grouped: bool) -> list[Any]:
        """Resting orders best price first; ungrouped, a level is split into 1–3 orders."""
        out: list[Any] = []
        for i, (price, amount) in enumerate(levels):
            px = fixed(price, p.price_precision)
            total = fixed(amount, p.amount_precision)
            parts = 1 if grouped else 1 + i % 3
            share = fixed(total / parts, p.amount_precision)
            if share <= 0:
                parts, share = 1, total
            for k in range(parts):
                size = share if k < parts - 1 else total - share * (parts - 1)
                out.append({"price": px, "amount": fixed(size, p.amount_precision)})
        return out

    async def exchanges(self, request: web.Request) -> web.Response:
        chosen = self._pair_filter(request)
        if isinstance(chosen, web.Response):
            return chosen
        limit = int_param(request, "limit", 100, minimum=1)
        if isinstance(limit, web.Response):
            return limit
        offset = int_param(request, "offset", 0)
        if isinstance(offset, web.Response):
            return offset
        ordering = request.query.get("ordering", "-id")
        if ordering not in ("id", "-id"):
            return field_error("ordering", f'"{ordering}" is not a valid ordering.')
        assert limit is not None and offset is not None
        pairs = [chosen] if chosen is not None else list(PAIRS)
        rows = [row for p in pairs for row in self._history(p)]
        rows.sort(key=lambda r: r["id"], reverse=ordering == "-id")
        return json_response(rows[offset : offset + limit])

    def _history(self, p: AlpPair) -> list[dict[str, Any]]:
        index = PAIRS.index(p)
        out = []
        for tr in self.market.trades(p.base, p.quote, HISTORY, VENUE):
            trade_id = tr.trade_id * len(PAIRS) + index
            out.append(
                {
                    "id": trade_id,
                    "account_id": 100_000 + trade_id * 7919 % 900_000,
                    "price": padded(tr.price, p.price_precision),
                    "pair": p.name,
                    "type": "buy" if tr.is_buy else "sell",
                    "timestamp": quantize(tr.time, 6),
                    "amount": padded(tr.amount, p.amount_precision),
                }
            )
        return out

    async def chart(self, request: web.Request) -> web.Response:
        p = self.pairs.get(request.match_info["pair"])
        if p is None:
            return not_found()
        timeframe = request.match_info["timeframe"]
        seconds = TIMEFRAMES.get(timeframe)
        if seconds is None:
            return field_error("timeframe", f'"{timeframe}" is not a valid choice.')
        limit = int_param(request, "limit", 720, minimum=1)
        if isinstance(limit, web.Response):
            return limit
        since = int_param(request, "since", None)
        if isinstance(since, web.Response):
            return since
        until = int_param(request, "until", int(self.market.now()))
        if isinstance(until, web.Response):
            return until
        assert limit is not None and until is not None
        # Only the latest ``limit`` candles of [since, until] are served, so start there.
        start = (until // seconds - limit + 1) * seconds
        if since is not None:
            start = max(start, since)
        candles = self.market.candles(p.base, p.quote, seconds, start, until, VENUE)
        pp, ap = p.price_precision, p.amount_precision
        return json_response(
            [
                {
                    "volume": fixed(c.volume, ap),
                    "high": fixed(c.high, pp),
                    "low": fixed(c.low, pp),
                    "close": fixed(c.close, pp),
                    "time": c.time,
                    "open": fixed(c.open, pp),
                }
                for c in reversed(candles)
            ]
        )
