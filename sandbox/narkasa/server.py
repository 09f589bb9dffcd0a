"""Narkasa REST v3 sandbox, written from the Narkasa API document (seed 001).

Public endpoints under ``/v3/api``: ``ping``, ``time``, ``market/markets``,
``market/24h``, ``market/info``, ``market/candles``, ``market/orderbook``,
``market/depth``, ``market/trades``. Every answer carries ``code``: the string
``"00000"`` on success, as every success example shows; numbers are unquoted JSON
numbers as in the examples (TRY prices of BTC and ETH are integers, as
``"precision": {"price": 0}`` says).

Where the document is silent:
- Error bodies follow its only error example, ``{"code": 20001, "msg": "…"}``: the
  code as a number, ``msg`` the meaning from the document's error table. The HTTP
  status of an error is not stated; the sandbox answers 400.
- A missing ``symbol`` gets ``20005 Missing parameters``, an unknown one ``10037
  Invalid symbol`` (the code every market endpoint's own table lists); a malformed
  ``interval``/``startDate``/``endDate`` gets ``90001 Invalid Request``.
- Candles: ``startDate``/``endDate`` are milliseconds like every other time in the
  document; without ``interval`` the answer is ``m1`` (the curl example's); without
  dates, the latest candles; at most ``CANDLE_CAP`` candles, the newest kept. A candle
  is listed when its ``openTime`` lies in the range, and ``closetime`` (spelled so in
  the REST example) is ``openTime`` plus the interval, as in the example.
- ``market/orderbook`` is "first buy and sell order": one level a side;
  ``market/depth`` gives ``DEPTH_LEVELS`` levels with ``count``.
- ``market/markets`` carries ``volume`` alone, and its example (``volume: 2`` beside
  ``avg: 60002``) is a base amount; ``market/24h`` has ``volumeQty`` (base) and
  ``volume`` (quote, 2 × 60002 = 120004 in its example). Each is served as its own
  example shows.
- Trade ``type``: 0 when the buyer was the maker (a sell took the book), 1 when the
  buyer was the taker, per the document's trade-stream table.

Signed endpoints (``private_routes()``): ``balance/wallet`` (GET, as "Get User
Wallet" documents it, and POST, as its "API Authentication Test" and the signed
example send it), ``balance/currencies`` (GET) and ``balance/deposit`` (POST). The
check of key, signature and timestamp window is ``accounts.check_signed`` (its
docstring lists each refusal and its code). Accounts are added with
``add_account``; one demo account (``DEMO_API_KEY``/``DEMO_API_SECRET``) exists from
the start. The wallet lists every currency the sandbox knows (zeros where nothing is
held). ``balance/deposit`` answers 20005 without ``symbol``, 10037 for an unknown
one, 10026 for an account without identity verification and 10027 "Deposit
disabled" for a currency whose deposits are closed; a disabled channel is listed
with ``"enable": false``.

Orders, own trades, withdrawals and the deposit and withdrawal histories are
``trading.py`` (matched by ``sandbox.matching`` against the simulated market, the
engine sweeping in the background while the app runs); ``credit_deposit`` and
``settle_withdrawals`` are their test hooks, and every order or balance change is
pushed to the account's ``USER_STREAMS`` connections.

The websocket (``stream.py``) is served at ``/ws`` from the same SimulatedMarket;
this class is its feed (``stream_error``/``stream_update``) and passes on its test
hooks (``push``, ``drop_connections``, ``silent``, ``stream_subscriptions``).
Payloads follow the document's examples stream by stream: ``ticker`` carries no
``changePercent``/``openTime`` (its example has neither), ``allTickers`` both; a
trade's ``tradeType`` is 1 when the buyer took the book; a ``candles`` kline's
``closeTime`` is the moment of its latest update (the example's is 223 s after an m5
open, so not the interval's end).

Structure: ``public_routes()`` and ``private_routes()`` are two groups of routes,
sharing ``ok``/``error`` and the error table below. ``fail_with`` makes every
``/v3/api`` request answer one documented error code, so tests can see each entry of
the table travel end to end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.harness import Harness
from sandbox.market import SimulatedMarket, quantize
from sandbox.matching import MatchingEngine
from sandbox.narkasa.accounts import (
    CURRENCIES,
    CURRENCY_BY_SYMBOL,
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_BALANCES,
    DEPOSIT_DISABLED,
    IDENTITY_REQUIRED,
    KEY_HEADER,
    Account,
    Refused,
    check_signed,
    make_account,
)
from sandbox.narkasa.stream import PATH as WS_PATH
from sandbox.narkasa.stream import StreamHub, Subscription
from sandbox.narkasa.trading import FEE_RATE, NarkasaTrading, Transfer
from sandbox.wire import json_response

PREFIX = "/v3/api"
VENUE = "narkasa"
# The demo account's one address saved on Narkasa (``balance/withdraw``'s addressList).
DEMO_SAVED_BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
SUCCESS = "00000"
DEPTH_LEVELS = 20
TRADES_SERVED = 50
CANDLE_CAP = 1000

# The document's error table (its last section) plus the codes that appear only in
# the tables of single endpoints (10027, 10063, 10064, 10075).
ERRORS: dict[int, str] = {
    10010: "Account not registered",
    10026: "Identity verification required",
    10027: "Deposit disabled",
    10028: "Withdraw disabled",
    10029: "Invalid withdraw channel",
    10030: "Amount is lower than minimum withdraw limit",
    10031: "Insufficient balance",
    10035: "Channel monthly limit exceeded",
    10037: "Invalid symbol",
    10038: "Market disabled",
    10039: "Order total is under limit",
    10040: "Order amount is under limit",
    10041: "Wash trading cancelled",
    10042: "Market order not available",
    10051: "Requested action is not available for your country",
    10054: "Step-1 verified user monthly withdraw limit exceeded",
    10055: "Step-2 verified user monthly withdraw limit exceeded",
    10060: "Fast order not available",
    10061: "Sell Price is not higher than %250",
    10062: "Buy Price is not lower than %40",
    10063: "Withdraw address is not valid",
    10064: "Extra parameter is not valid(Tag, Memo etc...)",
    10075: "Order not found",
    20000: "Authorization required",
    20001: "Invalid API key or secret",
    20002: "Unauthorized IP",
    20003: "Timestamp parameter is missing",
    20004: "Timestamp difference limit exceeded",
    20005: "Missing parameters",
    20006: "Invalid Symbol",
    20007: "Price must be float and higher than 0",
    20008: "Target must be float and higher than 0",
    20009: "Amount must be float and higher than 0",
    20010: "Address can not be empty",
    20011: "API is not allowed to this action",
    20012: "Total must be float and higher than 0",
    90000: "Unexpected Error",
    90001: "Invalid Request",
}
INVALID_SYMBOL = 10037
MISSING_PARAMETERS = 20005
INVALID_REQUEST = 90001

INTERVALS: dict[str, int] = {
    "m1": 60,
    "m3": 180,
    "m5": 300,
    "m15": 900,
    "m30": 1800,
    "h1": 3600,
    "h2": 7200,
    "h4": 14400,
    "d1": 86400,
}
DEFAULT_INTERVAL = "m1"
STREAM_TYPES = ("ticker", "candles", "orderBook", "depth", "trade")
STREAM_TRADES = 20


@dataclass(frozen=True, slots=True)
class NarkasaMarket:
    base: str
    quote: str
    name: str
    price_places: int
    amount_places: int
    total_places: int
    min_amount: str
    min_total: str
    enabled: bool = True

    @property
    def symbol(self) -> str:
        return self.base + self.quote


MARKETS: tuple[NarkasaMarket, ...] = (
    NarkasaMarket("BTC", "TRY", "Bitcoin", 0, 6, 0, "0.000001", "10"),
    NarkasaMarket("ETH", "TRY", "Ethereum", 0, 4, 0, "0.0001", "10"),
    NarkasaMarket("USDT", "TRY", "Tether", 2, 2, 2, "1", "10"),
    NarkasaMarket("LTC", "TRY", "Litecoin", 1, 3, 1, "0.001", "10"),
    NarkasaMarket("TRX", "TRY", "Tron", 3, 1, 2, "1", "10"),
    NarkasaMarket("DOGE", "TRY", "Dogecoin", 3, 0, 2, "10", "10"),
    NarkasaMarket("BTC", "USDT", "Bitcoin", 2, 6, 2, "0.000001", "10"),
    NarkasaMarket("ETH", "USDT", "Ethereum", 2, 4, 2, "0.0001", "10"),
    NarkasaMarket("SOL", "USDT", "Solana", 2, 3, 2, "0.01", "10"),
    NarkasaMarket("LTC", "USDT", "Litecoin", 2, 3, 2, "0.001", "10", enabled=False),
)


def ok(**payload: Any) -> web.Response:
    return json_response({"code": SUCCESS, **payload})


def error(code: int, status: int = 400) -> web.Response:
    return json_response({"code": code, "msg": ERRORS[code]}, status=status)


def millis(seconds: float) -> int:
    return int(seconds * 1000)


class NarkasaSandbox:
    name = "narkasa"

    def __init__(self, market: SimulatedMarket) -> None:
        self.market = market
        self.harness = Harness()
        self.markets = {m.symbol: m for m in MARKETS}
        self.fail_with: int | None = None
        self.accounts: dict[str, Account] = {}
        self.stream = StreamHub(self)
        self.engine = MatchingEngine(
            market,
            VENUE,
            fee_rate=FEE_RATE,
            price_decimals=lambda b, q: self.markets[b + q].price_places,
        )
        self.trading = NarkasaTrading(
            self.engine,
            self.markets,
            self.accounts,
            ok=ok,
            error=error,
            push=self.stream.push_user,
        )
        demo = self.add_account(DEMO_API_KEY, DEMO_API_SECRET, balances=DEMO_BALANCES)
        demo.withdraw_addresses["BTC"] = [("Cold wallet", DEMO_SAVED_BTC_ADDRESS)]

    def env_vars(self, url: str) -> dict[str, str]:
        scheme, _, rest = url.partition("://")
        ws_scheme = "wss" if scheme == "https" else "ws"
        return {"NARKASA_API_URL": url, "NARKASA_WS_URL": f"{ws_scheme}://{rest}{WS_PATH}"}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware, self._forced_error])
        app.add_routes(self.public_routes())
        app.add_routes(self.private_routes())
        app.add_routes(self.trading.routes(self._signed))
        self.stream.install(app)
        app.on_startup.append(self.trading.start)
        app.on_cleanup.append(self.trading.stop)
        return app

    # --- accounts -------------------------------------------------------------------
    def add_account(
        self,
        key: str | None = None,
        secret: str | None = None,
        *,
        balances: Mapping[str, tuple[Decimal | str, Decimal | str]] | None = None,
        addresses: Mapping[tuple[str, str], str] | None = None,
        registered: bool = True,
        verified: bool = True,
        allowed_ips: Iterable[str] | None = None,
    ) -> Account:
        """A new account (fresh 64-character key and secret unless given); balances
        are ``{currency: (available, reserved)}``, addresses ``{(currency, channel):
        address}`` (others are generated, stable per key)."""
        account = make_account(
            key,
            secret,
            balances=balances,
            addresses=addresses,
            registered=registered,
            verified=verified,
            allowed_ips=allowed_ips,
        )
        self.accounts[account.key] = account
        self.trading.bind(account)
        return account

    def credit_deposit(
        self,
        account: Account | str,
        currency: str,
        amount: Decimal | str,
        *,
        pending: bool = False,
    ) -> Transfer:
        """A deposit into ``account`` (or its key), recorded in the deposit history;
        completed, credited and pushed on the account's ``USER_STREAMS`` at once, or
        with ``pending`` once the background sweep has moved it through its states."""
        found = self.accounts[account] if isinstance(account, str) else account
        return self.trading.credit_deposit(found, currency, amount, pending=pending)

    def settle_withdrawals(self) -> int:
        """Complete every pending withdrawal now (state 11 → 14)."""
        return self.trading.settle_withdrawals()

    def user_secret(self, key: str) -> str | None:
        """The secret of the account with this API key (``USER_STREAMS`` checks)."""
        account = self.accounts.get(key)
        return account.secret if account is not None and account.registered else None

    # --- websocket test hooks ---------------------------------------------------------
    @property
    def silent(self) -> bool:
        return self.stream.silent

    @silent.setter
    def silent(self, value: bool) -> None:
        self.stream.silent = value

    async def push(self, symbol: str) -> list[dict[str, Any]]:
        return await self.stream.push(symbol)

    async def drop_connections(self) -> None:
        await self.stream.drop_connections()

    def stream_subscriptions(self) -> list[set[tuple[str, str | None]]]:
        return self.stream.subscriptions()

    def public_routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{PREFIX}/ping", self.ping),
            web.get(f"{PREFIX}/time", self.time),
            web.get(f"{PREFIX}/market/markets", self.all_markets),
            web.get(f"{PREFIX}/market/24h", self.stats_24h),
            web.get(f"{PREFIX}/market/info", self.info),
            web.get(f"{PREFIX}/market/candles", self.candles),
            web.get(f"{PREFIX}/market/orderbook", self.orderbook),
            web.get(f"{PREFIX}/market/depth", self.depth),
            web.get(f"{PREFIX}/market/trades", self.trades),
        ]

    @web.middleware
    async def _forced_error(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.fail_with is not None and request.path.startswith(PREFIX):
            return error(self.fail_with)
        response: web.StreamResponse = await handler(request)
        return response

    def _market(self, request: web.Request) -> NarkasaMarket | web.Response:
        symbol = request.query.get("symbol")
        if not symbol:
            return error(MISSING_PARAMETERS)
        found = self.markets.get(symbol)
        return found if found is not None else error(INVALID_SYMBOL)

    # --- general ------------------------------------------------------------------
    async def ping(self, request: web.Request) -> web.Response:
        return ok(data="PONG")

    async def time(self, request: web.Request) -> web.Response:
        return ok(data=millis(self.market.now()))

    # --- market data --------------------------------------------------------------
    def _stats(self, m: NarkasaMarket) -> dict[str, Any]:
        """The 24h figures, rounded to the market's places and kept consistent with
        each other after rounding (change = last − open, percent of open)."""
        t = self.market.ticker(m.base, m.quote, VENUE)
        pp = m.price_places
        last = quantize(t.last, pp)
        open_ = quantize(t.open_24h, pp)
        change = last - open_
        volume_qty = quantize(t.volume_24h, m.amount_places)
        return {
            "changeAmount": change,
            "changePercent": quantize(change / open_ * 100, 2),
            "last": last,
            "firstBid": quantize(t.bid, pp),
            "firstAsk": quantize(t.ask, pp),
            "open": open_,
            "high": max(quantize(t.high_24h, pp), last),
            "low": min(quantize(t.low_24h, pp), last),
            "avg": quantize(t.quote_volume_24h / t.volume_24h, pp),
            "volumeQty": volume_qty,
            "volume": quantize(t.quote_volume_24h, m.total_places),
            "openTime": millis(self.market.now() - 86400),
            "tradeCount": 86400 // self.market.trade_gap,
        }

    async def all_markets(self, request: web.Request) -> web.Response:
        out = []
        for m in self.markets.values():
            stats = self._stats(m)
            volume_qty = stats.pop("volumeQty")
            stats["volume"] = volume_qty  # this list's ``volume`` is the base amount
            out.append(
                {
                    "symbol": m.symbol,
                    "name": m.name,
                    "firstSymbol": m.base,
                    "secondSymbol": m.quote,
                    **stats,
                }
            )
        return ok(markets=out)

    async def stats_24h(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        return ok(market={"symbol": m.symbol, **self._stats(m)})

    async def info(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        enabled = "true" if m.enabled else "false"
        return ok(
            info={
                "symbol": m.symbol,
                "firstSymbol": m.base,
                "secondSymbol": m.quote,
                "firstSymbolMaxLength": m.amount_places,
                "secondSymbolMaxLength": m.total_places,
                "minTradeTotal": Decimal(m.min_total),
                "minAmount": Decimal(m.min_amount),
                "commission": Decimal("0.2"),
                "enable": enabled,
                "cancelEnable": "true",
                "orderEnable": enabled,
                "commissionTaker": Decimal("0.2"),
                "commissionMaker": Decimal("0.2"),
                "commissionPercentage": True,
                "commissionTierBased": False,
                "precision": {
                    "price": m.price_places,
                    "amount": m.amount_places,
                    "total": m.total_places,
                },
            }
        )

    async def candles(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        interval = request.query.get("interval", DEFAULT_INTERVAL)
        seconds = INTERVALS.get(interval)
        if seconds is None:
            return error(INVALID_REQUEST)
        try:
            end = int(request.query.get("endDate", millis(self.market.now())))
            start = int(request.query.get("startDate", end - CANDLE_CAP * seconds * 1000))
        except ValueError:
            return error(INVALID_REQUEST)
        start = max(start, end - (CANDLE_CAP - 1) * seconds * 1000)
        pp = m.price_places
        out = []
        for c in self.market.candles(m.base, m.quote, seconds, start / 1000, end / 1000, VENUE):
            open_time = c.time * 1000
            out.append(
                {
                    "open": quantize(c.open, pp),
                    "low": quantize(c.low, pp),
                    "high": quantize(c.high, pp),
                    "close": quantize(c.close, pp),
                    "volume": quantize(c.volume, m.amount_places),
                    "openTime": open_time,
                    "closetime": open_time + seconds * 1000,
                }
            )
        return ok(candles=out)

    def _levels(
        self, m: NarkasaMarket, levels: list[tuple[float, float]], with_count: bool
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, (price, amount) in enumerate(levels):
            level: dict[str, Any] = {
                "price": quantize(price, m.price_places),
                "amount": quantize(amount, m.amount_places),
            }
            if with_count:
                level["count"] = 1 + (i * 7 + int(amount * 1000)) % 6
            out.append(level)
        return out

    async def orderbook(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        bids, asks = self.market.book(m.base, m.quote, 1, VENUE)
        book = {"bids": self._levels(m, bids, False), "asks": self._levels(m, asks, False)}
        return ok(book=book)

    async def depth(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        bids, asks = self.market.book(m.base, m.quote, DEPTH_LEVELS, VENUE)
        book = {"bids": self._levels(m, bids, True), "asks": self._levels(m, asks, True)}
        return ok(book=book)

    async def trades(self, request: web.Request) -> web.Response:
        m = self._market(request)
        if isinstance(m, web.Response):
            return m
        out = [
            {
                "price": quantize(tr.price, m.price_places),
                "amount": quantize(tr.amount, m.amount_places),
                "time": millis(tr.time),
                "type": 1 if tr.is_buy else 0,
            }
            for tr in self.market.trades(m.base, m.quote, TRADES_SERVED, VENUE)
        ]
        return ok(trades=out)

    # --- signed endpoints -------------------------------------------------------------
    def private_routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{PREFIX}/balance/wallet", self.wallet),
            web.post(f"{PREFIX}/balance/wallet", self.wallet),
            web.get(f"{PREFIX}/balance/currencies", self.currencies),
            web.post(f"{PREFIX}/balance/deposit", self.deposit),
        ]

    def _signed(self, request: web.Request) -> tuple[Account, dict[str, str]] | web.Response:
        try:
            return check_signed(
                self.accounts,
                key=request.headers.get(KEY_HEADER),
                raw_query=request.rel_url.raw_query_string,
                now_ms=millis(self.market.now()),
                remote=request.remote,
            )
        except Refused as refused:
            return error(refused.code)

    async def wallet(self, request: web.Request) -> web.Response:
        signed = self._signed(request)
        if isinstance(signed, web.Response):
            return signed
        account, _ = signed
        return ok(wallet=account.wallet())

    async def currencies(self, request: web.Request) -> web.Response:
        signed = self._signed(request)
        if isinstance(signed, web.Response):
            return signed
        return ok(currencies=[{"id": c.id, "symbol": c.symbol, "name": c.name} for c in CURRENCIES])

    async def deposit(self, request: web.Request) -> web.Response:
        signed = self._signed(request)
        if isinstance(signed, web.Response):
            return signed
        account, params = signed
        symbol = params.get("symbol")
        if not symbol:
            return error(MISSING_PARAMETERS)
        currency = CURRENCY_BY_SYMBOL.get(symbol)
        if currency is None:
            return error(INVALID_SYMBOL)
        if not account.verified:
            return error(IDENTITY_REQUIRED)
        if not currency.deposit_enabled:
            return error(DEPOSIT_DISABLED)
        channels = [
            {"name": ch.name, "address": account.address(currency, ch), "enable": ch.enabled}
            for ch in currency.channels
        ]
        return ok(
            currency={
                "id": currency.id,
                "symbol": currency.symbol,
                "name": currency.name,
                "enable": True,
                "minimumDepositAmount": currency.min_deposit,
                "maxLength": currency.places,
                "channels": channels,
            }
        )

    # --- websocket feed -------------------------------------------------------------
    def stream_error(self, sub: Subscription) -> str | None:
        if sub.type == "allTickers":
            return None
        if sub.type not in STREAM_TYPES:
            return ERRORS[INVALID_REQUEST]
        if sub.symbol is None:
            return ERRORS[MISSING_PARAMETERS]
        if sub.symbol not in self.markets:
            return ERRORS[INVALID_SYMBOL]
        if sub.type == "candles" and sub.interval not in INTERVALS:
            return ERRORS[INVALID_REQUEST]
        return None

    def stream_update(
        self, sub: Subscription, last: Any, force: bool, only: str | None = None
    ) -> tuple[Any, list[dict[str, Any]]]:
        if sub.type == "allTickers":
            return self._all_tickers_update(last, force, only)
        m = self.markets[sub.symbol or ""]
        if sub.type == "trade":
            return self._trade_update(m, last, force)
        state, payload = self._stream_payload(sub, m)
        changed = force or (last is not None and state != last)
        return state, [payload] if changed else []

    def _ticker_payload(self, m: NarkasaMarket, kind: str) -> dict[str, Any]:
        stats = self._stats(m)
        if kind == "ticker":  # the document's ticker example has these fields only
            stats.pop("changePercent")
            stats.pop("openTime")
        return {"type": kind, "symbol": m.symbol, **stats}

    def _all_tickers_update(
        self, last: Any, force: bool, only: str | None
    ) -> tuple[dict[str, Decimal], list[dict[str, Any]]]:
        previous: dict[str, Decimal] = last if isinstance(last, dict) else {}
        state: dict[str, Decimal] = {}
        payloads: list[dict[str, Any]] = []
        for m in self.markets.values():
            payload = self._ticker_payload(m, "allTickers")
            state[m.symbol] = payload["last"]
            if force:
                wanted = only is None or only == m.symbol
            else:
                wanted = last is not None and previous.get(m.symbol) != payload["last"]
            if wanted:
                payloads.append(payload)
        return state, payloads

    def _trade_update(
        self, m: NarkasaMarket, last: Any, force: bool
    ) -> tuple[int, list[dict[str, Any]]]:
        recent = self.market.trades(m.base, m.quote, STREAM_TRADES, VENUE)
        newest = recent[0].trade_id
        if force:
            chosen = recent[:1]
        elif last is None:
            chosen = []
        else:
            chosen = [t for t in reversed(recent) if t.trade_id > last]
        payloads = [
            {
                "type": "trade",
                "symbol": m.symbol,
                "amount": quantize(t.amount, m.amount_places),
                "price": quantize(t.price, m.price_places),
                "tradeType": 1 if t.is_buy else 0,
                "time": millis(t.time),
            }
            for t in chosen
        ]
        return newest, payloads

    def _stream_payload(self, sub: Subscription, m: NarkasaMarket) -> tuple[Any, dict[str, Any]]:
        """(state, payload) of a one-market stream other than ``trade``."""
        if sub.type == "ticker":
            payload = self._ticker_payload(m, "ticker")
            return payload["last"], payload
        if sub.type == "orderBook":
            bids, asks = self.market.book(m.base, m.quote, 1, VENUE)
            bid, ask = self._levels(m, bids, False)[0], self._levels(m, asks, False)[0]
            payload = {
                "type": "orderBook",
                "symbol": m.symbol,
                "bidPrice": bid["price"],
                "bidAmount": bid["amount"],
                "askPrice": ask["price"],
                "askAmount": ask["amount"],
            }
            return (bid["price"], bid["amount"], ask["price"], ask["amount"]), payload
        if sub.type == "depth":
            bids, asks = self.market.book(m.base, m.quote, DEPTH_LEVELS, VENUE)
            book = {"bids": self._levels(m, bids, True), "asks": self._levels(m, asks, True)}
            state = tuple((lv["price"], lv["amount"]) for lv in book["bids"] + book["asks"])
            return state, {"type": "depth", "symbol": m.symbol, "depth": book}
        seconds = INTERVALS[sub.interval or DEFAULT_INTERVAL]
        now = self.market.now()
        candles = self.market.candles(m.base, m.quote, seconds, now - seconds, now, VENUE)
        c = candles[-1]
        kline = {
            "openTime": c.time * 1000,
            "open": quantize(c.open, m.price_places),
            "low": quantize(c.low, m.price_places),
            "high": quantize(c.high, m.price_places),
            "close": quantize(c.close, m.price_places),
            "volume": quantize(c.volume, m.amount_places),
            "closeTime": millis(now),
        }
        kline_state = tuple(v for k, v in kline.items() if k != "closeTime")
        payload = {"type": "candles", "symbol": m.symbol, "interval": sub.interval, "kline": kline}
        return kline_state, payload
