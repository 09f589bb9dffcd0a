"""A Wallex account (REST v1 private calls), per the Wallex API document (seed 000).

The one credential is the API token a user creates under Settings → API management
on Wallex; every private call carries it as ``Authorization: Bearer <token>``
(``auth.py``). Calls used here, all plain reads: ``GET /v1/account/profile``
(verify and profile), ``/v1/account/fee`` (fee levels), ``/v1/account/balances`` and
``/v1/account/wallets/{currency}`` (deposit addresses); the bank cards and IBANs
(``/v1/account/card-numbers``, ``/v1/account/ibans``: list, add, delete) for /banks.

Choices where the document is silent:
- Errors: the document shows none for private calls. Wallex is a Laravel
  application, whose API guard answers a missing, malformed or unknown token with
  HTTP 401 ``{"success": false, "message": "Unauthenticated.", "result": []}``; 401
  and 403 become ``AuthenticationError``, other refusals the public client's mapping
  (422 with per-field reasons → ``RejectedRequest``).
- ``verify()`` is the profile call (harmless, and it tells whose token it is); the
  account label is the first name with the last name's initial, else the masked
  email. Wallex says nothing of a token's permissions, so ``rights`` is None.
- Balances: ``value`` is the total (the document: "Total balance"), so available
  is ``value - locked``.
- Fees: ``makerFeeRate``/``takerFeeRate`` are fractions and are shown as percent
  (``0.00300000`` → 0.3 %); the level is how many thresholds of ``metaData.levels``
  (TMN markets) or ``metaData.coin_levels`` (others) the market's
  ``recent_days_sum`` has reached.
- Trading (the document's "orders and trades" part):
  - ``place_order`` sends ``POST /v1/account/orders`` with a JSON body (as every
    example does; the tables say "Query Parameters", which Laravel reads alike):
    ``price`` (limit orders only — a market order's price is the book's, so none is
    sent although the table marks it required), ``quantity``, ``side`` (``buy`` /
    ``sell``), ``symbol``, ``type`` (``limit``/``market``) and ``client_id``. Numbers
    are strings with at most the market's places (``baseAssetPrecision`` for the
    quantity, ``quotePrecision`` for the price; TMN prices are whole): more places
    raise ``BadPrecision`` before anything is sent. Placing is never retried.
  - The order's id is its ``clientOrderId`` (the cancel call takes it). The bot's
    client order id goes as ``client_id`` (the document: unique; Wallex makes one up
    when none is sent), so ``client_order_ids`` is True.
  - There is no lookup of one order in the document. ``order``/``order_by_client_id``
    look among the open orders; a filled or cancelled order is ``OrderNotFound`` /
    None, so recovery after a crash finds open orders only.
  - ``openOrders`` requires ``symbol``. Without a market, ``open_orders`` asks every
    market whose base or quote the account has locked (only those can hold an open
    order), read from ``/v1/account/balances`` and ``/v1/markets``.
  - ``cancel_order`` sends ``DELETE /v1/account/orders`` with ``{"clientOrderId": …}``
    and returns the order's state from the answer (an already filled order comes
    back ``FILLED``, as in the document's example).
  - ``fills``: ``/v1/account/trades`` (``symbol`` when a market is given); the rows
    carry no order id (``Fill.order_id`` is "").
  - ``trading_fee``: the market's entry of ``/v1/account/fee``.
  - Errors: none are documented. Laravel's 422 reasons and a 400's message are read
    by their words (``parse.trading_error``): places → ``BadPrecision``, "at least" →
    ``BelowMinimum``, insufficient balance → ``InsufficientFunds``, "not active" →
    ``MarketClosed``, an unknown ``clientOrderId`` → ``OrderNotFound``.
  - Withdrawals: the document has no withdrawal endpoint, so ``withdraw`` stays
    ``NotSupported`` (``trading.notes`` says so). Nor a deposit history.
- Private stream: the document says the ``stream_key`` comes with "the output of the
  login method", which it does not document; the client reads ``stream_key`` from
  the profile answer (the same user object) and subscribes ``{"channel":
  stream_key}``. A profile without one makes ``connect`` raise ``NotSupported``. The
  pushes are not documented either ("all updates of your account"): ``{"type":
  "order"|"balance"|"trade", "data": <the REST shape>}`` is read (``stream.py``).
- Bank cards and IBANs (``bank_accounts.py``, ``bank_numbers.py``):
  - ``add_card`` sends ``{"card_number": "<16 digits>"}`` and ``add_iban``
    ``{"iban": "<24 digits>"}`` — without ``IR``, as the parameter table says
    ("شماره شبا بدون IR"; its sample has no ``IR`` either), although every answer
    writes the IBAN with it. Both are JSON bodies like the document's examples (the
    table says "Query Parameters", as for orders). A number is checked before it is
    sent (Luhn; mod-97 and a known bank code), and adding is never retried.
  - ``GET /v1/account/ibans``'s example ``result`` is one object although the call
    is titled a list: a list, one object or none are all read.
  - Deleting takes the entry's ``id`` in the path; the document shows no error.
    Laravel answers an id the account does not have with 404 "Not found." and
    invalid input with 422 per field; both become ``RejectedRequest`` with
    Wallex's words (a duplicate is 422 "has already been taken").
  - The document's own examples fail the checks (its card ``6037991895454444``
    fails Luhn, its IBAN ``IR520000000000000000000000`` fails mod-97 and has bank
    code ``000``): placeholders, refused by the sandbox as a real server would.
- Deposit address: the wallet endpoint takes no network parameter and lists every
  network (``ERC20``, ``TRC20`` …); the client picks the one asked for (case
  ignored) or, with none asked, the first open for deposits in Wallex's order. The
  currency goes into the path in lower case, as in the document's ``/wallets/usdt``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField, Credentials, Secret
from exchanges.errors import AuthenticationError, OrderNotFound, RejectedRequest
from exchanges.http import HttpPipeline
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    DepositAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderRequest,
    OrderType,
    TradingCapabilities,
)
from exchanges.precision import wire_decimal
from exchanges.streams import AccountStream
from exchanges.wallex import auth, bank_accounts, parse
from exchanges.wallex.bank_accounts import BankAccount
from exchanges.wallex.bank_numbers import BankNumberError, parse_card, parse_iban

ORDERS = "/v1/account/orders"
CARDS = "/v1/account/card-numbers"
IBANS = "/v1/account/ibans"
OPEN_CONCURRENCY = 4


class WallexAccount(AccountClient):
    name = "wallex"
    title = "Wallex"
    credential_fields = (CredentialField(name="token", label="API token", secret=True),)
    trading = TradingCapabilities(
        limit_orders=True,
        market_orders=True,
        stop_limit_orders=False,
        cancel=True,
        open_orders=True,
        client_order_ids=True,
        withdraw=False,
        deposits_history=False,
        account_events="stream",
        notes=(
            "withdrawals: the Wallex API document has no withdrawal endpoint",
            "deposits history: the Wallex API document has none",
            "order lookup: only open orders can be looked up",
        ),
    )

    @classmethod
    def from_token(
        cls, http: HttpPipeline, token: str, *, clock: Callable[[], float] = time.time
    ) -> WallexAccount:
        """An account from the token as a user pasted it (blanks or a ``Bearer``
        prefix removed); ``AuthenticationError`` if it cannot be a token at all."""
        try:
            bare = auth.normalise_token(token)
        except ValueError as exc:
            raise AuthenticationError(cls.name, str(exc)) from None
        return cls(http, Credentials(key=None, secret=Secret(bare)), clock=clock)

    def _headers(self) -> dict[str, str]:
        try:
            return auth.auth_headers(self.credentials.secret)
        except ValueError as exc:
            raise AuthenticationError(self.name, str(exc)) from None

    async def _get(self, path: str) -> Any:
        reply = await self.http.request("GET", path, headers=self._headers())
        return parse.private_result(reply)

    async def verify(self) -> AccountCheck:
        return parse.account_check(await self._get("/v1/account/profile"))

    async def balances(self) -> Sequence[Balance]:
        return parse.balances(await self._get("/v1/account/balances"))

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        code = currency.strip().lower()
        if not code.isalnum():
            raise RejectedRequest(self.name, "a currency code has only letters and digits")
        result = await self._get(f"/v1/account/wallets/{quote(code, safe='')}")
        return parse.deposit_address(result, code, network)

    async def profile(self) -> AccountProfile:
        profile = await self._get("/v1/account/profile")
        fee = await self._get("/v1/account/fee")
        return parse.profile(profile, fee)

    # --- bank accounts (the document's "حساب بانکی") ---------------------------------
    async def _bank_send(self, method: str, path: str, body: dict[str, str] | None) -> Any:
        headers = self._headers()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        reply = await self.http.request(method, path, headers=headers, data=data, idempotent=False)
        return parse.private_result(reply)

    async def cards(self) -> list[BankAccount]:
        """The account's bank cards: ``GET /v1/account/card-numbers``."""
        return bank_accounts.entries("card", await self._get(CARDS))

    async def add_card(self, card_number: str) -> BankAccount:
        """``POST /v1/account/card-numbers`` with ``{"card_number": "<16 digits>"}``;
        checked (16 digits, Luhn) before anything is sent. Never retried."""
        try:
            card = parse_card(card_number)
        except BankNumberError as exc:
            raise RejectedRequest(self.name, f"not a card number: {exc.reason}") from None
        added = await self._bank_send("POST", CARDS, {"card_number": card.wire})
        return bank_accounts.entry("card", added)

    async def delete_card(self, card_id: int) -> None:
        """``DELETE /v1/account/card-numbers/{cardNumberID}``."""
        await self._bank_send("DELETE", f"/v1/account/card-numbers/{int(card_id)}", None)

    async def ibans(self) -> list[BankAccount]:
        """The account's IBANs: ``GET /v1/account/ibans``."""
        return bank_accounts.entries("iban", await self._get(IBANS))

    async def add_iban(self, iban: str) -> BankAccount:
        """``POST /v1/account/ibans`` with ``{"iban": "<24 digits, without IR>"}``;
        checked (mod-97, a known bank) before anything is sent. Never retried."""
        try:
            parsed = parse_iban(iban)
        except BankNumberError as exc:
            raise RejectedRequest(self.name, f"not an IBAN: {exc.reason}") from None
        added = await self._bank_send("POST", IBANS, {"iban": parsed.wire})
        return bank_accounts.entry("iban", added)

    async def delete_iban(self, iban_id: int) -> None:
        """``DELETE /v1/account/ibans/{ibanID}``."""
        await self._bank_send("DELETE", f"/v1/account/ibans/{int(iban_id)}", None)

    # --- trading --------------------------------------------------------------------
    async def _send(self, method: str, path: str, body: dict[str, str]) -> Any:
        headers = {**self._headers(), "Content-Type": "application/json"}
        reply = await self.http.request(
            method, path, headers=headers, data=json.dumps(body), idempotent=False
        )
        return parse.trading_result(reply)

    async def _read(self, path: str, params: dict[str, str]) -> Any:
        reply = await self.http.request("GET", path, params=params, headers=self._headers())
        return parse.trading_result(reply)

    async def place_order(self, request: OrderRequest) -> Order:
        """``POST /v1/account/orders`` (see the module docstring); never retried."""
        market = request.market
        body: dict[str, str] = {}
        if request.type is OrderType.STOP_LIMIT:
            raise RejectedRequest(self.name, "Wallex has no stop-limit orders")
        if request.price is not None:
            body["price"] = wire_decimal(self.name, request.price, market.price_decimals, "price")
        body["quantity"] = wire_decimal(self.name, request.amount, market.amount_decimals, "amount")
        body["side"] = request.side.value
        body["symbol"] = market.symbol
        body["type"] = "market" if request.price is None else "limit"
        if request.client_order_id:
            body["client_id"] = request.client_order_id
        return parse.order(await self._send("POST", ORDERS, body))

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        """``DELETE /v1/account/orders`` with ``{"clientOrderId": …}``."""
        return parse.order(await self._send("DELETE", ORDERS, {"clientOrderId": order_id}))

    async def _open_of(self, symbol: str) -> list[Order]:
        return parse.open_orders(await self._read("/v1/account/openOrders", {"symbol": symbol}))

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        if market is not None:
            return await self._open_of(market.symbol)
        locked = {b.currency for b in await self.balances() if b.locked > 0}
        if not locked:
            return []
        listed = parse.markets(parse.result(await self.http.request("GET", "/v1/markets")))
        symbols = [m.symbol for m in listed if m.base in locked or m.quote in locked]
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def one(symbol: str) -> list[Order]:
            async with gate:
                return await self._open_of(symbol)

        found = await asyncio.gather(*(one(s) for s in symbols))
        return [o for group in found for o in group]

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        for found in await self.open_orders(market):
            if found.order_id == order_id:
                return found
        raise OrderNotFound(self.name, "not among the open orders")

    async def order_by_client_id(self, client_order_id: str) -> Order | None:
        try:
            return await self.order(client_order_id)
        except OrderNotFound:
            return None

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        params = {"symbol": market.symbol} if market is not None else {}
        return parse.fills(await self._read("/v1/account/trades", params))[:limit]

    async def trading_fee(self, market: Market) -> Fee | None:
        return parse.market_fee(await self._get("/v1/account/fee"), market.symbol)

    async def stream_key(self) -> str | None:
        """The private channel's key (the profile's ``stream_key``), or None."""
        return parse.stream_key(await self._get("/v1/account/profile"))

    def account_stream(self, stream_url: str) -> AccountStream:
        from exchanges.wallex.stream import WallexAccountStream

        return WallexAccountStream(stream_url, self.stream_key, clock=self.clock)
