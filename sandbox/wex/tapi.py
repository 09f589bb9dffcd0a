"""WEX Trade API v1 sandbox, written from seed document 004 (Russian).

``POST /tapi``; the method and every parameter are POST parameters (a form body,
``Content-Type: application/x-www-form-urlencoded`` as in the document's curl
examples; any other body carries no parameters, as a PHP server reads it). Headers:
``Key`` (the API key) and ``Sign``, the lowercase hex HMAC-SHA512 of the raw body under
the key's secret. Answers: ``{"success": 1, "return": …}`` or ``{"success": 0,
"error": "…"}``, HTTP 200; numbers bare, as in the examples (``"usd": 325``).

Served here: ``getInfo``, ``ActiveOrders`` and ``CoinDepositAddress``, each needing
the key's ``info`` right; the methods that trade and move money are added to
``methods`` by ``sandbox.wex.trading`` with the right each needs (``api key dont have
<right> permission`` otherwise). Every other method name is ``Invalid method``. The
demo key has the info, trade and coupon rights, WithdrawCoin enabled by support (its
getInfo ``withdraw`` flag stays 0, the flag the document says is not used), and the
login ``demo``.

The nonce, as the document states it: per API key, each request's ``nonce`` must be
above the last one the key accepted (its example: 1, 2, 10 pass; 10 again and then 9
fail), from 1 to 4294967294; only a new key starts again. It is checked after the key
and the signature and consumed by any call that passes all three, whatever its method.

The document shows the error envelope but quotes no error text. The texts here are
those of BTC-e's server, which WEX continued, in the order it checked them:
``api key not specified`` (no ``Key``), ``invalid api key`` (unknown key), ``invalid
sign`` (missing or wrong ``Sign``), ``invalid nonce parameter; on key:<last>, you
sent:'<sent>', you should send:<last + 1>``, ``Invalid method`` (missing or unknown
``method``), ``api key dont have info permission``, ``no orders`` (``ActiveOrders``
with none open). For ``CoinDepositAddress`` the document says only that asking for a
currency whose address was never generated is an error: ``Invalid coinName`` for a
currency the exchange does not have, ``Deposit address for <COIN> is not generated``
for one without an address (``coinName`` is matched in either case).

``getInfo`` "is cached for 60 seconds": per key, the same answer is served for 60
seconds of the market clock after it was built. ``funds`` are what is free; what open
orders hold is not in it (the document's words), so an account keeps its free funds
and its orders apart. ``server_time`` is the clock's Unix time.

``non_json``: when set, every ``/tapi`` call is answered with that text instead of
JSON (the document: "может придти ответ не в JSON формате … при превышении лимитов к
API либо при непредвиденных ошибках"); nothing is checked or consumed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.wire import json_response

NONCE_MAX = 4294967294
INFO_CACHE_SECONDS = 60
FORM = "application/x-www-form-urlencoded"
RATE_LIMIT_PAGE = "<html><head><title>503 Service Temporarily Unavailable</title></head></html>"

DEMO_KEY = "DEMOWEX0-SANDBOX0-NOTAREAL-APIKEY00-00000001"
DEMO_SECRET = "d3m0wex0sandb0xsecret0not0real00000000000000000000000000000000001"
DEMO_FUNDS: dict[str, str] = {"usd": "325", "btc": "23.998", "ltc": "0", "eth": "4.5"}
# What the demo account has resting on the book when the sandbox starts: two BTC-priced
# buys below the market (0.5 + 0.06 BTC held), outside the matching engine (they never
# fill). Not on btc_usd, so a demo user's own btc_usd orders are listed apart from them.
DEMO_ORDERS: tuple[tuple[str, str, str, str], ...] = (
    ("ltc_btc", "buy", "500", "0.001"),
    ("eth_btc", "buy", "2", "0.03"),
)
DEMO_ADDRESSES: dict[str, str] = {
    "BTC": "1BARCQAEjxqp1sKneiFtBVTZzhTHBTYcN5",
    "LTC": "LZ6C5MZ4vGxDXb9mRBfYKf1L1eTvCyC5hq",
    "ETH": "0x52908400098527886E0F7030069857D2E4169EE7",
}

Method = Callable[["ApiKey", Mapping[str, str]], web.Response]

_DIGITS = re.compile(r"[0-9]+")
_WIDE = Context(prec=60)  # wide enough that writing a balance never rounds it


def error(text: str) -> web.Response:
    return json_response({"success": 0, "error": text})


def success(value: Any) -> web.Response:
    return json_response({"success": 1, "return": value})


def bare(value: Decimal) -> Decimal:
    """``325.000`` → ``325``, ``23.9980`` → ``23.998``: numbers as the examples write them."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=_WIDE)
    return value.normalize(_WIDE)


@dataclass
class SandboxOrder:
    order_id: int
    pair: str
    type: str  # "buy" or "sell"
    amount: Decimal  # left to buy or sell
    rate: Decimal
    timestamp_created: int


@dataclass
class WexUser:
    """One exchange account: free funds (lower-case currency), open orders, addresses."""

    funds: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[int, SandboxOrder] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    # What the matching engine's open orders hold (lower-case currency); not in ``funds``.
    held: dict[str, Decimal] = field(default_factory=dict)
    # ``TransHistory`` entries by id: {type, amount, currency, desc, status, timestamp}.
    transactions: dict[int, dict[str, Any]] = field(default_factory=dict)
    login: str = ""


@dataclass
class ApiKey:
    """One API key of a user, with its rights and the last nonce it accepted."""

    key: str
    secret: str
    user: WexUser
    info: bool = True
    trade: bool = False
    withdraw: bool = False
    coupon: bool = False
    # WithdrawCoin's privilege, "enabled only through Support": the document also says
    # getInfo's ``withdraw`` right "is not used anywhere at the moment", so the two are
    # kept apart; either lets WithdrawCoin through.
    withdraw_by_support: bool = False
    nonce: int = 0
    accepted: list[int] = field(default_factory=list)
    cached_info: tuple[float, dict[str, Any]] | None = None


class TradeApi:
    """Keys, users and the ``/tapi`` handler; a ``WexSandbox`` holds one."""

    def __init__(
        self,
        clock: Callable[[], float],
        currencies: Iterable[str],
        pairs: Iterable[str],
    ) -> None:
        self.clock = clock
        self.currencies = list(dict.fromkeys(c.lower() for c in currencies))
        self.pairs = set(pairs)
        self.keys: dict[str, ApiKey] = {}
        self.non_json: str | None = None
        self._issued = 0
        self._next_order = 343152
        # method -> (the key right it needs, handler); trading methods are added by
        # ``sandbox.wex.trading.WexTrading.register``.
        self.methods: dict[str, tuple[str, Method]] = {
            "getInfo": ("info", self.get_info),
            "ActiveOrders": ("info", self.active_orders),
            "CoinDepositAddress": ("info", self.coin_deposit_address),
        }
        # Told of every new user (the trading engine books its funds).
        self.on_user: Callable[[WexUser], None] | None = None
        # Run before every authenticated call (the engine's sweep).
        self.before_call: Callable[[], None] | None = None
        # Extra open orders of a user for ``ActiveOrders`` (the engine's), as answer rows.
        self.more_orders: Callable[[WexUser], dict[str, dict[str, Any]]] | None = None
        self.demo = self.add_account(
            DEMO_KEY,
            DEMO_SECRET,
            funds=DEMO_FUNDS,
            trade=True,
            coupon=True,
            withdraw_by_support=True,
            addresses=DEMO_ADDRESSES,
            login="demo",
        )
        self.add_demo_orders(self.demo)

    # --- accounts ----------------------------------------------------------------
    def add_account(
        self,
        key: str | None = None,
        secret: str | None = None,
        *,
        funds: Mapping[str, str | Decimal] | None = None,
        info: bool = True,
        trade: bool = False,
        withdraw: bool = False,
        coupon: bool = False,
        withdraw_by_support: bool = False,
        addresses: Mapping[str, str] | None = None,
        nonce: int = 0,
        user: WexUser | None = None,
        login: str | None = None,
    ) -> ApiKey:
        """A key (made up when not given, in WEX's ``XXXXXXXX-…`` form) on a new user, or
        on ``user`` to give one account several keys; ``nonce`` is the key's last one."""
        self._issued += 1
        if key is None:
            digest = hashlib.sha256(f"wex-sandbox-key-{self._issued}".encode()).digest()
            letters = base64.b32encode(digest).decode()[:40]
            key = "-".join(letters[i : i + 8] for i in range(0, 40, 8))
        if secret is None:
            secret = hashlib.sha256(f"wex-sandbox-secret-{key}".encode()).hexdigest()
        owner = user
        if owner is None:
            owner = WexUser(login=login or f"user{self._issued}")
            if self.on_user is not None:
                self.on_user(owner)
        for currency, amount in (funds or {}).items():
            owner.funds[currency.lower()] = Decimal(amount)
        for coin, address in (addresses or {}).items():
            owner.addresses[coin.upper()] = address
        api_key = ApiKey(
            withdraw_by_support=withdraw_by_support,
            key=key,
            secret=secret,
            user=owner,
            info=info,
            trade=trade,
            withdraw=withdraw,
            coupon=coupon,
            nonce=nonce,
        )
        self.keys[key] = api_key
        return api_key

    def add_demo_orders(self, holder: ApiKey | WexUser) -> list[SandboxOrder]:
        """``DEMO_ORDERS`` resting on ``holder``'s account (its funds are not touched)."""
        return [self.add_order(holder, *order) for order in DEMO_ORDERS]

    def add_order(
        self,
        holder: ApiKey | WexUser,
        pair: str,
        side: str,
        amount: str | Decimal,
        rate: str | Decimal,
    ) -> SandboxOrder:
        """An open order resting on the book; its funds are already out of ``funds``."""
        if pair not in self.pairs or side not in ("buy", "sell"):
            raise ValueError(f"no such order: {side} on {pair}")
        user = holder.user if isinstance(holder, ApiKey) else holder
        order = SandboxOrder(
            order_id=self._next_order,
            pair=pair,
            type=side,
            amount=Decimal(amount),
            rate=Decimal(rate),
            timestamp_created=math.floor(self.clock()),
        )
        self._next_order += 1
        user.orders[order.order_id] = order
        return order

    # --- the endpoint --------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self.non_json is not None:
            return web.Response(text=self.non_json, content_type="text/html")
        params: dict[str, str] = {}
        if request.content_type == FORM:
            params = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        key_or_error = self.authenticate(request.headers, raw, params.get("nonce"))
        if isinstance(key_or_error, web.Response):
            return key_or_error
        found = self.methods.get(params.get("method", ""))
        if found is None:
            return error("Invalid method")
        right, handler = found
        allowed = getattr(key_or_error, right) or (
            right == "withdraw" and key_or_error.withdraw_by_support
        )
        if not allowed:
            return error(f"api key dont have {right} permission")
        if self.before_call is not None:
            self.before_call()
        return handler(key_or_error, params)

    def authenticate(
        self, headers: Mapping[str, str], raw: bytes, nonce: str | None
    ) -> ApiKey | web.Response:
        key = headers.get("Key", "")
        if not key:
            return error("api key not specified")
        api_key = self.keys.get(key)
        if api_key is None:
            return error("invalid api key")
        expected = hmac.new(api_key.secret.encode(), raw, hashlib.sha512).hexdigest()
        signature = headers.get("Sign", "").encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode(), signature):
            return error("invalid sign")
        sent = nonce or ""
        value = int(sent) if _DIGITS.fullmatch(sent) else 0
        if not 1 <= value <= NONCE_MAX or value <= api_key.nonce:
            return error(
                f"invalid nonce parameter; on key:{api_key.nonce}, you sent:'{sent}', "
                f"you should send:{api_key.nonce + 1}"
            )
        api_key.nonce = value
        api_key.accepted.append(value)
        return api_key

    # --- methods ---------------------------------------------------------------------
    def get_info(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        now = self.clock()
        cached = api_key.cached_info
        if cached is not None and now - cached[0] < INFO_CACHE_SECONDS:
            return success(cached[1])
        user = api_key.user
        currencies = [*self.currencies, *(c for c in user.funds if c not in self.currencies)]
        answer = {
            "funds": {c: bare(user.funds.get(c, Decimal(0))) for c in currencies},
            "rights": {
                "info": int(api_key.info),
                "trade": int(api_key.trade),
                "withdraw": int(api_key.withdraw),
            },
            "transaction_count": 0,
            "open_orders": len(user.orders) + len(self._more_orders(user)),
            "server_time": math.floor(now),
        }
        api_key.cached_info = (now, answer)
        return success(answer)

    def active_orders(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        pair = params.get("pair")
        if pair is not None and pair not in self.pairs:
            return error(f"Invalid pair name: {pair}")
        orders = {
            str(o.order_id): {
                "pair": o.pair,
                "type": o.type,
                "amount": bare(o.amount),
                "rate": bare(o.rate),
                "timestamp_created": o.timestamp_created,
                "status": 0,
            }
            for o in sorted(api_key.user.orders.values(), key=lambda o: o.order_id)
            if pair is None or o.pair == pair
        }
        for order_id, row in self._more_orders(api_key.user).items():
            if pair is None or row["pair"] == pair:
                orders[order_id] = row
        if not orders:
            return error("no orders")
        return success(orders)

    def _more_orders(self, user: WexUser) -> dict[str, dict[str, Any]]:
        return {} if self.more_orders is None else self.more_orders(user)

    def coin_deposit_address(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        coin = params.get("coinName", "")
        address = api_key.user.addresses.get(coin.upper())
        if address is not None:
            return success({"address": address})
        if coin.lower() not in self.currencies:
            return error("Invalid coinName")
        return error(f"Deposit address for {coin.upper()} is not generated")
