"""Wallex REST v1 sandbox, written from the Wallex API document (seed 000).

Public endpoints: ``GET /v1/markets``, ``/v1/currencies/stats``, ``/v1/depth``,
``/v1/trades``, ``/v1/udf/history``. Envelope ``{"result":…, "message":…,
"success":…}``; TMN prices as integer strings, quantities as strings, the market list
with ``stepSize``/``tickSize`` as *numbers of decimal places* (the document's example
gives ``"stepSize": 6, "tickSize": 0`` for BTCTMN, which only makes sense as places).

The document shows no error body. Wallex runs on Laravel and answers invalid input
with HTTP 422 and ``{"success": false, "message": "The given data was invalid.",
"result": {"<param>": ["<reason>"]}}``; the sandbox does the same, so the client has
a real error shape to map. ``udf/history`` follows the UDF convention the path names:
``{"s": "no_data"}`` when the range holds no candle.

Private endpoints (token accounts, ``DEMO_TOKEN``) live in ``private.py``, bank
cards and IBANs in ``banks.py``, orders and
own trades in ``trading.py`` (matched by ``sandbox.matching`` against the simulated
market; the engine sweeps in the background while the app runs); the Socket.IO
market stream and the private ``stream_key`` channel at ``/socket.io`` in
``socket.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.harness import Harness
from sandbox.market import SimulatedMarket, quantize
from sandbox.matching import MatchingEngine
from sandbox.wallex.banks import WallexBanks
from sandbox.wallex.private import (
    ASSET_NAMES,
    ASSET_NAMES_EN,
    DEMO_TOKEN,
    WallexAccountState,
    WallexPrivate,
)
from sandbox.wallex.socket import Emission, WallexSocket
from sandbox.wallex.trading import WallexTrading
from sandbox.wire import json_response

__all__ = ["DEMO_TOKEN", "MARKETS", "WallexMarket", "WallexSandbox"]


@dataclass(frozen=True, slots=True)
class WallexMarket:
    base: str
    quote: str
    base_precision: int
    quote_precision: int
    min_qty: str
    max_qty: str
    min_notional: str
    fa_base: str
    fa_quote: str

    @property
    def symbol(self) -> str:
        return self.base + self.quote


MARKETS: tuple[WallexMarket, ...] = (
    WallexMarket("BTC", "TMN", 6, 0, "0.000001", "100000", "100000", "بیت کوین", "تومان"),
    WallexMarket("ETH", "TMN", 4, 0, "0.0001", "100000", "100000", "اتریوم", "تومان"),
    WallexMarket("USDT", "TMN", 2, 0, "1", "1000000", "100000", "تتر", "تومان"),
    WallexMarket("LTC", "TMN", 4, 0, "0.001", "100000", "100000", "لایت کوین", "تومان"),
    WallexMarket("DOGE", "TMN", 0, 0, "10", "10000000", "100000", "دوج کوین", "تومان"),
    WallexMarket("BTC", "USDT", 6, 2, "0.000001", "100000", "5", "بیت کوین", "تتر"),
    WallexMarket("ETH", "USDT", 4, 2, "0.0001", "100000", "5", "اتریوم", "تتر"),
    WallexMarket("SOL", "USDT", 3, 2, "0.01", "100000", "5", "سولانا", "تتر"),
    WallexMarket("TRX", "USDT", 1, 4, "10", "10000000", "5", "ترون", "تتر"),
)
RESOLUTIONS: dict[str, int] = {
    "60": 3600,
    "180": 3 * 3600,
    "360": 6 * 3600,
    "720": 12 * 3600,
    "D": 86400,
    "2D": 2 * 86400,
    "3D": 3 * 86400,
}
VENUE = "wallex"


def ok(result: Any) -> web.Response:
    return json_response(
        {"result": result, "message": "The operation was successful", "success": True}
    )


def invalid(param: str, reason: str) -> web.Response:
    return json_response(
        {"success": False, "message": "The given data was invalid.", "result": {param: [reason]}},
        status=422,
    )


def num(value: float, places: int, pad: int = 0) -> str:
    """Wallex writes prices and amounts as strings, rounded to the market's places and
    padded with zeros to ``pad`` places as in the document (``"1317505698.00000000"``)."""
    exact = quantize(value, places)
    return str(quantize(exact, pad)) if pad > places else str(exact)


class WallexSandbox:
    name = "wallex"

    def __init__(self, market: SimulatedMarket) -> None:
        self.market = market
        self.harness = Harness()
        self.markets = {m.symbol: m for m in MARKETS}
        self.private = WallexPrivate({m.symbol: m.quote for m in MARKETS})
        self.banks = WallexBanks()
        self.socket = WallexSocket(market, self.markets, venue=VENUE)
        self.engine = MatchingEngine(
            market,
            VENUE,
            price_decimals=lambda b, q: self.markets[b + q].quote_precision,
        )
        self.trading = WallexTrading(
            self.engine,
            self.markets,
            self.private.accounts,
            on_event=lambda account, events: self.socket.push_private(account.stream_key, events),
        )
        self.private.on_account = self.trading.bind
        for account in self.private.accounts.values():
            self.trading.bind(account)
        self.socket.private_channel = lambda key: self.private.by_stream_key(key) is not None
        self._sweeper: asyncio.Task[None] | None = None

    # --- accounts (private.py) ------------------------------------------------------
    @property
    def accounts(self) -> dict[str, WallexAccountState]:
        return self.private.accounts

    def add_account(self, token: str | None = None, **details: Any) -> WallexAccountState:
        """A new account; see ``WallexPrivate.add_account``. Its ``token`` is the
        API token a client connects with."""
        return self.private.add_account(token, **details)

    def credit_deposit(
        self, account: WallexAccountState | str, currency: str, amount: Decimal | str
    ) -> None:
        """Credit a deposit to ``account`` (or its token) and push the new balance on
        its private channel. Wallex's document has no deposit history to record it in."""
        found = self.private.accounts[account] if isinstance(account, str) else account
        asset = currency.upper()
        available, locked = found.balances.get(asset, (Decimal(0), Decimal(0)))
        found.balances[asset] = (available + Decimal(amount), locked)
        event = {"type": "balance", "data": self.trading.balance_json(found, asset)}
        self.socket.push_private(found.stream_key, [event])

    # --- stream (socket.py) -----------------------------------------------------------
    @property
    def silent(self) -> bool:
        return self.socket.silent

    @silent.setter
    def silent(self, value: bool) -> None:
        self.socket.silent = value

    async def push(self, symbol: str) -> list[Emission]:
        return await self.socket.push(symbol)

    async def drop_connections(self) -> None:
        await self.socket.drop_connections()

    def break_mid_message(self, symbol: str) -> int:
        return self.socket.break_mid_message(symbol)

    def subscriptions(self) -> dict[str, list[str]]:
        """Channels per connected client (Socket.IO session id)."""
        return {sid: sorted(chans) for sid, chans in self.socket.subscriptions.items()}

    def env_vars(self, url: str) -> dict[str, str]:
        return {"WALLEX_API_URL": url, "WALLEX_SOCKET_URL": url}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware])
        app.router.add_get("/v1/markets", self.list_markets)
        app.router.add_get("/v1/currencies/stats", self.currency_stats)
        app.router.add_get("/v1/depth", self.depth)
        app.router.add_get("/v1/trades", self.trades)
        app.router.add_get("/v1/udf/history", self.history)
        self.private.add_routes(app)
        self.banks.add_routes(app, self.private.guard)
        self.trading.add_routes(app, self.private.guard)
        self.socket.attach(app)
        app.on_startup.append(self._start_matching)
        app.on_cleanup.append(self._stop_matching)
        return app

    async def _start_matching(self, app: web.Application) -> None:
        self._sweeper = asyncio.create_task(self.engine.run(0.2), name="wallex-sandbox-matching")

    async def _stop_matching(self, app: web.Application) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    def _market(self, request: web.Request) -> WallexMarket | web.Response:
        symbol = request.query.get("symbol")
        if not symbol:
            return invalid("symbol", "The symbol field is required.")
        found = self.markets.get(symbol)
        if found is None:
            return invalid("symbol", "The selected symbol is invalid.")
        return found

    def _stats(self, m: WallexMarket) -> dict[str, Any]:
        t = self.market.ticker(m.base, m.quote, VENUE)
        qp = m.quote_precision
        return {
            "bidPrice": num(t.bid, qp),
            "askPrice": num(t.ask, qp),
            "24h_ch": str(quantize(t.change_24h_pct, 2)),
            "24h_volume": num(t.volume_24h, m.base_precision, 8),
            "24h_quoteVolume": num(t.quote_volume_24h, qp, 16),
            "24h_highPrice": num(t.high_24h, qp, 8),
            "24h_lowPrice": num(t.low_24h, qp, 8),
            "lastPrice": num(t.last, qp, 8),
            "lastQty": num(t.last_amount, m.base_precision, 8),
        }

    async def list_markets(self, request: web.Request) -> web.Response:
        symbols: dict[str, Any] = {}
        for m in MARKETS:
            symbols[m.symbol] = {
                "symbol": m.symbol,
                "baseAsset": m.base,
                "baseAssetPrecision": m.base_precision,
                "quoteAsset": m.quote,
                "quotePrecision": m.quote_precision,
                "faName": f"{m.fa_base} - {m.fa_quote}",
                "faBaseAsset": m.fa_base,
                "faQuoteAsset": m.fa_quote,
                "stepSize": m.base_precision,
                "tickSize": m.quote_precision,
                "minQty": Decimal(m.min_qty),
                "maxQty": Decimal(m.max_qty),
                "minNotional": Decimal(m.min_notional),
                "stats": self._stats(m),
            }
        return ok({"symbols": symbols})

    async def currency_stats(self, request: web.Request) -> web.Response:
        """The document's fields (JSON numbers, as in its example), from the simulated
        market's USD prices; ranks by market cap. The 7d change is made up (the
        simulated market keeps 24 hours)."""
        supply = {"BTC": 19_700_000, "ETH": 120_000_000, "USDT": 110_000_000_000}
        supply |= {"SOL": 440_000_000, "TRX": 87_000_000_000, "LTC": 74_000_000}
        supply |= {"DOGE": 143_000_000_000}
        rows = []
        for asset, circulating in supply.items():
            t = self.market.ticker(asset, "USD")
            rows.append((t.last * circulating, asset, circulating, t))
        rows.sort(key=lambda row: row[0], reverse=True)
        total_cap = sum(row[0] for row in rows)
        now = _zulu(self.market.clock())
        out = []
        for rank, (cap, asset, circulating, t) in enumerate(rows, 1):
            out.append(
                {
                    "key": asset,
                    "name": ASSET_NAMES.get(asset, asset),
                    "name_en": ASSET_NAMES_EN.get(asset, asset),
                    "rank": rank,
                    "dominance": quantize(cap / total_cap * 100, 9),
                    "volume_24h": quantize(t.quote_volume_24h, 3),
                    "market_cap": quantize(cap, 2),
                    "price": quantize(t.last, 9),
                    "daily_high_price": quantize(t.high_24h, 6),
                    "daily_low_price": quantize(t.low_24h, 6),
                    "percent_change_24h": quantize(t.change_24h_pct, 5),
                    "percent_change_7d": quantize(t.change_24h_pct * 2, 5),
                    "circulating_supply": circulating,
                    "created_at": "2021-02-01T10:46:09Z",
                    "updated_at": now,
                }
            )
        return ok(out)

    async def depth(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        bids, asks = self.market.book(m.base, m.quote, 20, VENUE)

        def side(levels: list[tuple[float, float]]) -> list[dict[str, str]]:
            return [
                {"price": num(p, m.quote_precision, 8), "quantity": num(q, m.base_precision, 8)}
                for p, q in levels
            ]

        return ok({"ask": side(asks), "bid": side(bids)})

    async def trades(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        latest = []
        for tr in self.market.trades(m.base, m.quote, 30, VENUE):
            price = quantize(tr.price, m.quote_precision)
            amount = quantize(tr.amount, m.base_precision)
            latest.append(
                {
                    "symbol": m.symbol,
                    "quantity": str(quantize(amount, 16)),
                    "price": str(quantize(price, 16)),
                    "sum": str(quantize(price * amount, 16)),
                    "isBuyOrder": tr.is_buy,
                    "timestamp": _zulu(tr.time),
                }
            )
        return ok({"latestTrades": latest})

    async def history(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        resolution = request.query.get("resolution")
        if not resolution:
            return invalid("resolution", "The resolution field is required.")
        if resolution not in RESOLUTIONS:
            return invalid("resolution", "The selected resolution is invalid.")
        try:
            start = int(request.query["from"])
            end = int(request.query["to"])
        except (KeyError, ValueError):
            return invalid("from", "The from and to fields must be integers.")
        candles = self.market.candles(m.base, m.quote, RESOLUTIONS[resolution], start, end, VENUE)
        if not candles:
            return json_response({"s": "no_data"})
        qp = m.quote_precision

        def col(values: list[float], places: int) -> list[str]:
            return [str(quantize(quantize(v, places), 10)) for v in values]

        return json_response(
            {
                "s": "ok",
                "t": [c.time for c in candles],
                "c": col([c.close for c in candles], qp),
                "o": col([c.open for c in candles], qp),
                "h": col([c.high for c in candles], qp),
                "l": col([c.low for c in candles], qp),
                "v": col([c.volume for c in candles], 10),
            }
        )


def _zulu(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(math.floor(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
