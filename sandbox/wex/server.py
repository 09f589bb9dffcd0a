"""WEX sandbox, written from WEX's API documents (seed 004 and the Public API v3 it cites).

Public API v3: ``GET /api/3/info`` and ``GET /api/3/<method>/<pairs>`` for ``ticker``,
``depth`` and ``trades``, pairs lower-case ``base_quote`` joined by ``-`` (duplicates
refused), optional ``limit`` (150 by default, at most 5000) for depth and trades,
``ignore_invalid=1`` to drop unknown pairs instead of failing. Answers are objects keyed
by pair with every number a bare JSON number, as in the document's examples (written
without trailing zeros); ticker ``buy`` is the best ask and ``sell`` the best bid (the
example has ``buy`` above ``sell``), ``avg`` the midpoint of ``high`` and ``low`` (the
example's 100.51), ``vol`` in the quote currency and ``vol_cur`` in the base.

Errors use the envelope the Trade API document gives, ``{"success": 0, "error": …}``,
with HTTP 200 (the document ties no status to them). Texts, which the document does not
spell out: ``Invalid pair name: <pair>``, ``Duplicated pair name: <pair>``, ``Empty pair
list`` (none given, or every one dropped by ``ignore_invalid``), ``Invalid method``, and
``Invalid limit`` for a ``limit`` that is not a positive integer; a ``limit`` above 5000
is served as 5000 ("принимает значение не более 5000").

The signed Trade API (``POST /tapi``, form body ``method=…&nonce=…``, headers ``Key``
and ``Sign``) lives in ``sandbox.wex.tapi``: ``self.tapi`` holds the keys and accounts
(``add_account``; the demo account ``DEMO_KEY``/``DEMO_SECRET`` is always present) and
answers in the same envelope with ``error`` and the ``success``/``return`` shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from aiohttp import web

from sandbox.harness import Harness
from sandbox.market import WIDE, SimulatedMarket
from sandbox.matching import MatchingEngine
from sandbox.wex.tapi import ApiKey, TradeApi
from sandbox.wex.trading import WexTrading
from sandbox.wire import json_response

VENUE = "wex"
DEFAULT_LIMIT = 150
MAX_LIMIT = 5000
BOOK_DEPTH = 300  # orders resting on each side of the simulated book
AMOUNT_PLACES = 8


@dataclass(frozen=True, slots=True)
class WexPair:
    base: str
    quote: str
    decimal_places: int
    min_price: str
    max_price: str
    min_amount: str
    hidden: int = 0
    fee: str = "0.2"

    @property
    def name(self) -> str:
        return f"{self.base.lower()}_{self.quote.lower()}"


PAIRS: tuple[WexPair, ...] = (
    WexPair("BTC", "USD", 3, "0.1", "1000000", "0.0001"),
    WexPair("ETH", "USD", 5, "0.0001", "100000", "0.001"),
    WexPair("LTC", "USD", 3, "0.0001", "10000", "0.01"),
    WexPair("ETH", "BTC", 5, "0.00001", "10", "0.001"),
    WexPair("LTC", "BTC", 6, "0.000001", "10", "0.01"),
    WexPair("ETH", "LTC", 5, "0.0001", "10000", "0.001"),
    WexPair("USDT", "USD", 4, "0.5", "2", "0.1", hidden=1),
)


def rounded(value: float | Decimal, places: int, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=WIDE)


def bare(value: Decimal) -> Decimal:
    """``103.50000000`` → ``103.5``, ``15.000`` → ``15``: numbers as the examples write them."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=WIDE)
    return value.normalize(WIDE)


def error(text: str) -> web.Response:
    return json_response({"success": 0, "error": text})


class WexSandbox:
    name = "wex"

    def __init__(self, market: SimulatedMarket) -> None:
        self.market = market
        self.harness = Harness()
        self.pairs = {p.name: p for p in PAIRS}
        self.disabled: set[str] = set()
        self.tapi = TradeApi(
            clock=market.now,
            currencies=[c for p in PAIRS for c in (p.quote, p.base)],
            pairs=self.pairs,
        )
        self.engine = MatchingEngine(
            market,
            VENUE,
            price_decimals=lambda b, q: self.pairs[f"{b}_{q}".lower()].decimal_places,
            first_id=400000,
        )
        self.trading = WexTrading(self.tapi, self.engine, self.pairs, self.disabled)
        self._sweeper: asyncio.Task[None] | None = None

    def env_vars(self, url: str) -> dict[str, str]:
        return {"WEX_API_URL": url}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware])
        app.router.add_routes(self._public_routes())
        app.router.add_post("/tapi", self.tapi.handle)
        app.on_startup.append(self._start_matching)
        app.on_cleanup.append(self._stop_matching)
        return app

    async def _start_matching(self, app: web.Application) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="wex-sandbox-matching")

    async def _sweep_forever(self) -> None:
        while True:
            self.trading.sweep()
            await asyncio.sleep(0.2)

    async def _stop_matching(self, app: web.Application) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    def deposit(self, holder: ApiKey, currency: str, amount: str | Decimal, status: int = 2) -> int:
        """A deposit reaching ``holder``'s account (``TransHistory`` type 1)."""
        return self.trading.deposit(holder, currency, amount, status)

    def halt(self, pair: str) -> None:
        """Suspend trading on a pair (it stays listed): ``Trade`` is refused."""
        self.trading.halted.add(pair)

    def add_account(self, key: str | None = None, secret: str | None = None, **kw: Any) -> ApiKey:
        """A Trade API key with its account (``TradeApi.add_account``'s keywords)."""
        return self.tapi.add_account(key, secret, **kw)

    def disable(self, pair: str) -> None:
        """Take a pair off the exchange: it leaves ``info`` and becomes an invalid name."""
        self.disabled.add(pair)

    def _public_routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/3/info", self.info),
            web.get("/api/3/{method}", self.pair_method),
            web.get("/api/3/{method}/{pairs}", self.pair_method),
        ]

    def _active(self) -> Iterable[WexPair]:
        return (p for p in PAIRS if p.name not in self.disabled)

    # --- public API v3 --------------------------------------------------------------
    async def info(self, request: web.Request) -> web.Response:
        pairs = {
            p.name: {
                "decimal_places": p.decimal_places,
                "min_price": bare(Decimal(p.min_price)),
                "max_price": bare(Decimal(p.max_price)),
                "min_amount": bare(Decimal(p.min_amount)),
                "hidden": p.hidden,
                "fee": bare(Decimal(p.fee)),
            }
            for p in self._active()
        }
        return json_response({"server_time": math.floor(self.market.now()), "pairs": pairs})

    async def pair_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        handlers = {"ticker": self._ticker, "depth": self._depth, "trades": self._trades}
        handler = handlers.get(method)
        if handler is None:
            return error("Invalid method")
        selected = self._select(request.match_info.get("pairs", ""), request.query)
        if isinstance(selected, web.Response):
            return selected
        limit = DEFAULT_LIMIT
        if method != "ticker" and "limit" in request.query:
            text = request.query["limit"]
            if not text.isdigit() or int(text) < 1:
                return error("Invalid limit")
            limit = min(int(text), MAX_LIMIT)
        return json_response({p.name: handler(p, limit) for p in selected})

    def _select(self, listing: str, query: Any) -> list[WexPair] | web.Response:
        ignore_invalid = query.get("ignore_invalid") == "1"
        seen: set[str] = set()
        selected: list[WexPair] = []
        for name in (part for part in listing.split("-") if part):
            if name in seen:
                return error(f"Duplicated pair name: {name}")
            seen.add(name)
            pair = self.pairs.get(name)
            if pair is None or name in self.disabled:
                if ignore_invalid:
                    continue
                return error(f"Invalid pair name: {name}")
            selected.append(pair)
        if not selected:
            return error("Empty pair list")
        return selected

    def _ticker(self, p: WexPair, limit: int) -> dict[str, Any]:
        t = self.market.ticker(p.base, p.quote, VENUE)
        places = p.decimal_places
        high = rounded(t.high_24h, places)
        low = rounded(t.low_24h, places)
        return {
            "high": bare(high),
            "low": bare(low),
            "avg": bare(rounded((high + low) / 2, places)),
            "vol": bare(rounded(t.quote_volume_24h, AMOUNT_PLACES)),
            "vol_cur": bare(rounded(t.volume_24h, AMOUNT_PLACES)),
            "last": bare(rounded(t.last, places)),
            "buy": bare(rounded(t.ask, places, ROUND_CEILING)),
            "sell": bare(rounded(t.bid, places, ROUND_FLOOR)),
            "updated": math.floor(self.market.now()),
        }

    def _depth(self, p: WexPair, limit: int) -> dict[str, Any]:
        bids, asks = self.market.book(p.base, p.quote, BOOK_DEPTH, VENUE)
        return {
            "asks": _side(asks, p.decimal_places, ROUND_CEILING)[:limit],
            "bids": _side(bids, p.decimal_places, ROUND_FLOOR)[:limit],
        }

    def _trades(self, p: WexPair, limit: int) -> list[dict[str, Any]]:
        return [
            {
                "type": "bid" if tr.is_buy else "ask",
                "price": bare(rounded(tr.price, p.decimal_places)),
                "amount": bare(rounded(tr.amount, AMOUNT_PLACES)),
                "tid": tr.trade_id,
                "timestamp": math.floor(tr.time),
            }
            for tr in self.market.trades(p.base, p.quote, limit, VENUE)
        ]


def _side(levels: list[tuple[float, float]], places: int, rounding: str) -> list[list[Decimal]]:
    """Orders best first, rounded away from the spread to the pair's places; orders that
    land on the same price are one level, as an exchange's book shows them."""
    merged: dict[Decimal, Decimal] = {}
    for price, amount in levels:
        key = rounded(price, places, rounding)
        merged[key] = merged.get(key, Decimal(0)) + rounded(amount, AMOUNT_PLACES)
    return [[bare(price), bare(amount)] for price, amount in merged.items()]
