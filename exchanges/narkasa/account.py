"""One user's Narkasa account over the signed REST v3 calls (seed 001).

Signed calls are signed by ``auth`` (HMAC-SHA256 over the exact query string, key in
``X-APNK-APIKEY``); this module decides what to call and reads the answers through
``parse``.

Choices where the document is silent or contradicts itself:
- Parameters travel in the query string for GET and POST alike, as the document's
  only signed example (a POST) carries them; the body stays empty. The values sent
  are currency codes and integers, which every encoder writes the same way, so the
  query ``auth`` signs is character for character the one the HTTP client sends. A
  currency that is not plain letters and digits is refused before anything is sent.
- ``windowSize`` is sent only when ``window_ms`` is given; otherwise the server's
  documented default (10000 ms) applies and the query is ``timestamp`` alone, the
  form of the document's example vector.
- The wallet is documented twice: as ``POST`` (API Authentication Test, and the
  signed-request example) and as ``GET`` (Get User Wallet). ``verify()`` sends the
  ``POST``, the document's own test of a key, and reads only its ``code`` (the test's
  answer is ``{"code": "00000"}``); ``balances()`` reads the ``GET``, the section that
  documents the wallet's rows. ``available`` is free, ``reserved`` locked.
- ``verify()`` reports ``KeyRights(info=True)`` only: the document has no call that
  tells a key's rights, and reading the wallet proves just that one.
- Deposit addresses: ``POST balance/deposit`` with ``symbol``; it is a read, so it
  is retried like one. Without a network the first enabled channel is given. A
  channel has a name and an address only (no memo/tag field); for TRY the "address"
  is the exchange's bank account (IBAN) under the bank's name.
- Timestamps: when the server answers 20004 (outside the window) the client reads
  ``v3/api/time`` once, keeps the offset between the two clocks and signs once more;
  a second 20004 is raised as ``InvalidNonce`` (``resync_clock=False`` disables the
  retry). A non-idempotent call (an order) is re-signed too: 20004 means the server
  refused it before doing anything.
- Fees (``profile()``): the document has no account fee level, only each market's
  ``commissionMaker``/``commissionTaker`` in ``market/info`` (percentages when
  ``commissionPercentage`` is true). ``profile()`` lists those, one ``Fee`` per
  market; a market with a fixed (non-percentage) commission is left out.
- Error codes map as in ``parse``: key, signature, IP and account codes (10010,
  20000–20003, 20011) raise ``AuthenticationError``; 10037 ``UnknownSymbol``; the
  rest as listed under trading, else ``RejectedRequest`` with the document's wording.

Trading (seed 001, "Signed Market Endpoints"), choices:
- ``place_order`` picks the endpoint by kind and side: ``limit-buy``/``limit-sell``
  (``symbol``, ``price``, ``amount``), ``market-buy``/``market-sell`` (``symbol``,
  ``amount``), ``stop-limit-buy``/``stop-limit-sell`` (``symbol``, ``price``,
  ``target``, ``amount``), parameters in the document's table order. Numbers go as
  plain decimal text with at most the market's places (``precision.price`` /
  ``precision.amount``); a value with more places is refused here with
  ``BadPrecision`` before anything is sent (the document has no precision code), and
  trailing zeros are dropped (``0.00100`` → ``0.001``). Placing is never retried.
- Fast orders (``fast-buy`` by a quote ``total``, ``fast-sell`` by an amount) are market
  orders by another name; ``place_fast_order`` sends them, a fast buy's total with at
  most ``market/info``'s ``precision.total`` places (``fast_total_decimals``, read just
  before, and by the bot's summary to round the total the user typed). A fast buy's
  answer has only quote totals: the Order's ``amount``/``filled`` are then quote amounts.
- Stop-limit orders: the document's ``target`` is the stop. Its examples settle the
  trigger's direction — a buy is ``stopType`` GREATER (fires when the price rises to
  ``target``), a sell LESS (falls to it) — and no rule ties ``target`` to ``price`` (the
  buy example's limit is under its stop), so none is imposed here. ``target`` takes the
  price's places.
- Endpoints are written out whole in each method (``"market/limit-buy" if buy else
  "market/limit-sell"``), so every path the client calls can be found as written.
- Market and fast answers carry no ``orderId`` (the document's examples have none):
  such an order is named ``<symbol>-<side>-<time>`` (``parse.order``), and so is its
  ``orderUpdate`` push (which does carry an ``orderId``), so the answer and the pushes
  are one order to the bot. No call takes a market order's id (it is never open).
- ``open_orders``: ``user-orders`` takes no parameter; a market filter is applied
  here. ``order()`` finds an order among them only (the document has no lookup of
  one order), so a filled or cancelled one is ``OrderNotFound``; the bot then reads
  fills. ``cancel_order`` answers only ``code``: it returns None.
- ``fills``: ``user-trades`` has no parameters and its rows have no order id
  (``Fill.order_id`` is ""); a market filter is applied here, ``limit`` cuts.
- No client order ids: the document has none (``client_order_ids=False``).
- Withdrawals: ``withdrawal_terms`` reads ``balance/withdraw`` (the channel's
  ``commission`` is the fee, ``minimumWithdrawAmount`` the minimum, ``maxLength`` the
  places); ``withdraw`` sends ``create-withdraw`` with ``node`` = the network asked
  for or else the first enabled channel (the document requires ``node``), the memo as
  ``secondParameter``. Its answer is ``code`` alone, so the withdrawal is then read
  back from ``withdraw-history`` (the newest of that currency and amount); if it is
  not listed yet, a pending Withdrawal without id (``""``) is returned.
- Histories: ``withdraw-history`` and ``deposit-history`` list the last five (the
  document's titles); their rows name no address or network. Deposit state 14 is
  completed, every other pending; withdrawal states 14/24 completed, 98 rejected
  (failed), 99 cancelled, the rest pending.
- Codes → errors (``parse.error_for``): 10031 ``InsufficientFunds``; 10030, 10039,
  10040 ``BelowMinimum``; 10038, 10042, 10060 ``MarketClosed``; 10041, 10061, 10062,
  20007–20009, 20012 ``InvalidOrder``; 10075 ``OrderNotFound``; 20004 ``InvalidNonce``;
  withdrawal-only codes ``WithdrawalRejected``.
- ``account_stream`` is ``USER_STREAMS`` on ``NARKASA_WS_URL`` (``stream.NarkasaUserStream``).
- Paths: the document writes ``withdraw-history'`` and ``deposit-history'`` with a stray
  trailing quote; they are called without it.
- The address book: ``balance/withdraw`` is titled "Get Withdraw Addresses" and each
  channel carries the account's saved ``addressList`` (``withdrawal_addresses``); the
  document has no call to add or remove one, so they are only read.
- ``currencies()`` reads ``balance/currencies`` (a signed call, though the list is not
  the account's): code → name, used to name currencies beside the saved addresses.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from exchanges.accounts import AccountClient, NonceSource
from exchanges.credentials import CredentialField, Credentials
from exchanges.errors import OrderNotFound, UnknownSymbol, WithdrawalRejected
from exchanges.http import HttpPipeline, HttpReply
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    Deposit,
    DepositAddress,
    ExchangeAddress,
    Fee,
    Fill,
    KeyRights,
    Market,
    Order,
    OrderRequest,
    OrderType,
    Side,
    TradingCapabilities,
    TransferStatus,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalTerms,
)
from exchanges.narkasa import auth, parse
from exchanges.precision import wire_decimal
from exchanges.streams import AccountStream
from exchanges.wire import opt_decimal

PREFIX = "/v3/api"
INFO_CONCURRENCY = 4
_PLAIN = re.compile(r"[A-Za-z0-9]{1,20}")


class NarkasaAccount(AccountClient):
    name = "narkasa"
    title = "Narkasa"
    credential_fields = (
        CredentialField("key", "API key (apiKey)", secret=False),
        CredentialField("secret", "API secret (apiSecret)", secret=True),
    )
    trading = TradingCapabilities(
        limit_orders=True,
        market_orders=True,
        stop_limit_orders=True,
        cancel=True,
        open_orders=True,
        client_order_ids=False,
        withdraw=True,
        deposits_history=True,
        withdrawals_history=True,
        fast_orders=True,
        account_events="stream",
        notes=(
            "fast orders: fast-buy by a quote total, fast-sell by an amount",
            "order and deposit/withdrawal histories list the last five (deposits, "
            "withdrawals) or the latest trades, without order ids",
        ),
    )

    def __init__(
        self,
        http: HttpPipeline,
        credentials: Credentials,
        *,
        clock: Callable[[], float] = time.time,
        nonces: NonceSource | None = None,
        window_ms: int | None = None,
        resync_clock: bool = True,
    ) -> None:
        if not credentials.key:
            raise ValueError("Narkasa signs with an API key and its secret; the key is missing")
        if window_ms is not None and window_ms <= 0:
            raise ValueError("window_ms must be a positive number of milliseconds")
        super().__init__(http, credentials, clock=clock, nonces=nonces)
        self.window_ms = window_ms
        self.resync_clock = resync_clock
        # Server time minus our clock, in ms; learnt from v3/api/time after a 20004.
        self.offset_ms = 0

    async def verify(self) -> AccountCheck:
        """The API Authentication Test: ``POST balance/wallet``, its ``code`` alone."""
        await self._signed("POST", "balance/wallet")
        return AccountCheck(account_label=None, rights=KeyRights(info=True))

    async def balances(self) -> Sequence[Balance]:
        return await self._wallet()

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        code = currency.strip().upper()
        if not _PLAIN.fullmatch(code):
            raise UnknownSymbol(self.name, currency)
        body = await self._signed("POST", "balance/deposit", [("symbol", code)], symbol=code)
        return parse.deposit_address(body, network)

    async def profile(self) -> AccountProfile:
        """Each market's maker/taker commission, from ``market/info`` (public calls)."""
        reply = await self.http.request("GET", f"{PREFIX}/market/markets")
        symbols = parse.listed_symbols(parse.envelope(reply))
        gate = asyncio.Semaphore(INFO_CONCURRENCY)

        async def one(symbol: str) -> Fee | None:
            async with gate:
                info = await self.http.request(
                    "GET", f"{PREFIX}/market/info", params={"symbol": symbol}
                )
                try:
                    return parse.market_fee(parse.envelope(info, symbol=symbol))
                except UnknownSymbol:
                    return None

        tasks = [asyncio.ensure_future(one(s)) for s in symbols]
        try:
            found = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        fees = tuple(f for f in found if f is not None)
        return AccountProfile(lines=(), fees=fees)

    # --- trading --------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        market = request.market
        buy = request.side is Side.BUY
        params: list[tuple[str, str]] = [("symbol", market.symbol)]
        if request.type is OrderType.MARKET:
            endpoint = "market/market-buy" if buy else "market/market-sell"
        elif request.type is OrderType.STOP_LIMIT:
            if request.price is None or request.stop_price is None:
                raise ValueError("a stop-limit order needs a limit price and a stop price")
            endpoint = "market/stop-limit-buy" if buy else "market/stop-limit-sell"
            params.append(
                ("price", wire_decimal(self.name, request.price, market.price_decimals, "price"))
            )
            params.append(
                (
                    "target",
                    wire_decimal(
                        self.name, request.stop_price, market.price_decimals, "stop price"
                    ),
                )
            )
        else:
            assert request.price is not None
            endpoint = "market/limit-buy" if buy else "market/limit-sell"
            params.append(
                ("price", wire_decimal(self.name, request.price, market.price_decimals, "price"))
            )
        params.append(
            ("amount", wire_decimal(self.name, request.amount, market.amount_decimals, "amount"))
        )
        body = await self._signed("POST", endpoint, params, symbol=market.symbol, idempotent=False)
        return parse.placed_order(body, market.symbol)

    async def place_fast_order(
        self,
        market: Market,
        side: Side,
        *,
        total: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> Order:
        """A fast order: a buy spends ``total`` of the quote, a sell sells ``amount``."""
        if side is Side.BUY:
            if total is None:
                raise ValueError("a fast buy is given by its quote total")
            places = await self.fast_total_decimals(market)
            value = ("total", wire_decimal(self.name, total, places, "total"))
            endpoint = "market/fast-buy"
        else:
            if amount is None:
                raise ValueError("a fast sell is given by its amount")
            value = ("amount", wire_decimal(self.name, amount, market.amount_decimals, "amount"))
            endpoint = "market/fast-sell"
        body = await self._signed(
            "POST",
            endpoint,
            [("symbol", market.symbol), value],
            symbol=market.symbol,
            idempotent=False,
        )
        return parse.placed_order(body, market.symbol)

    async def fast_total_decimals(self, market: Market) -> int:
        """The places a fast buy's ``total`` may have: ``market/info``'s
        ``precision.total``, read fresh (the shared Market has no such field)."""
        info = await self.http.request(
            "GET", f"{PREFIX}/market/info", params={"symbol": market.symbol}
        )
        return parse.total_places(parse.envelope(info, symbol=market.symbol))

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        found = parse.open_orders(await self._signed("GET", "market/user-orders"))
        return [o for o in found if market is None or o.symbol == market.symbol]

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        for found in await self.open_orders(market):
            if found.order_id == order_id:
                return found
        raise OrderNotFound(self.name, "not among the active orders")

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        await self._signed("POST", "market/cancel-order", [("orderId", order_id)], idempotent=False)
        return None

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        found = parse.fills(await self._signed("GET", "market/user-trades"))
        return [f for f in found if market is None or f.symbol == market.symbol][:limit]

    async def trading_fee(self, market: Market) -> Fee | None:
        reply = await self.http.request(
            "GET", f"{PREFIX}/market/info", params={"symbol": market.symbol}
        )
        return parse.market_fee(parse.envelope(reply, symbol=market.symbol))

    # --- withdrawals and deposits ---------------------------------------------------
    async def _withdraw_info(self, currency: str) -> Mapping[str, Any]:
        code = currency.strip().upper()
        if not _PLAIN.fullmatch(code):
            raise UnknownSymbol(self.name, currency)
        return await self._signed(
            "POST", "balance/withdraw", [("symbol", code)], symbol=code, withdrawal=True
        )

    async def withdrawal_terms(self, currency: str, network: str | None = None) -> WithdrawalTerms:
        return parse.withdrawal_terms(await self._withdraw_info(currency), network)

    async def withdrawal_addresses(self, currency: str) -> Sequence[ExchangeAddress]:
        """The addresses saved on Narkasa for ``currency`` (``balance/withdraw``'s
        ``addressList`` of each channel; the entry's ``name`` is its label)."""
        code = currency.strip().upper()
        return [
            ExchangeAddress(
                currency=code, address=address, network=network or None, label=name or None
            )
            for network, name, address in parse.saved_addresses(await self._withdraw_info(code))
        ]

    async def currencies(self) -> dict[str, str]:
        """``balance/currencies``: every currency Narkasa lists, code → name."""
        return parse.currencies(await self._signed("GET", "balance/currencies"))

    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal:
        code = request.currency.strip().upper()
        info = await self._withdraw_info(code)
        currency, channels = parse.withdraw_channels(info)
        channel = parse.choose_channel(channels, request.network, code)
        places = currency.get("maxLength")
        decimals = int(places) if isinstance(places, int | Decimal) else 8
        node = str(channel.get("name") or "")
        params = [
            ("symbol", code),
            ("amount", wire_decimal(self.name, request.amount, decimals, "amount")),
            ("address", request.address.strip()),
        ]
        if request.memo:
            params.append(("secondParameter", request.memo.strip()))
        params.append(("node", node))
        await self._signed(
            "POST",
            "balance/create-withdraw",
            params,
            symbol=code,
            idempotent=False,
            withdrawal=True,
        )
        try:
            history = await self.withdrawals()
        except WithdrawalRejected:
            history = []
        for w in history:
            if w.currency == code and w.amount == request.amount:
                return Withdrawal(
                    exchange=self.name,
                    withdrawal_id=w.withdrawal_id,
                    currency=code,
                    amount=w.amount,
                    address=request.address.strip(),
                    status=w.status,
                    fee=opt_decimal(self.name, channel.get("commission"), "commission"),
                    network=node or None,
                    txid=w.txid,
                    time=w.time,
                )
        return Withdrawal(
            exchange=self.name,
            withdrawal_id="",
            currency=code,
            amount=request.amount,
            address=request.address.strip(),
            status=TransferStatus.PENDING,
            network=node or None,
        )

    async def withdrawals(self, limit: int = 50) -> Sequence[Withdrawal]:
        return parse.withdrawals(await self._signed("GET", "balance/withdraw-history"))[:limit]

    async def deposits(self, limit: int = 50) -> Sequence[Deposit]:
        return parse.deposits(await self._signed("GET", "balance/deposit-history"))[:limit]

    def account_stream(self, stream_url: str) -> AccountStream:
        from exchanges.narkasa.stream import NarkasaUserStream

        return NarkasaUserStream(stream_url, self.credentials, wallet=self._wallet)

    async def _wallet(self) -> list[Balance]:
        return parse.wallet(await self._signed("GET", "balance/wallet"))

    async def _signed(
        self,
        method: str,
        endpoint: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        symbol: str = "",
        idempotent: bool = True,
        withdrawal: bool = False,
    ) -> Mapping[str, Any]:
        """One signed call; after a 20004 the clocks are compared once and it is
        signed anew (a fresh timestamp, so a fresh signature)."""
        reply = await self._signed_once(method, endpoint, params, idempotent)
        if self.resync_clock and parse.timestamp_rejected(reply):
            await self._resync()
            reply = await self._signed_once(method, endpoint, params, idempotent)
        return parse.envelope(reply, symbol=symbol, withdrawal=withdrawal)

    async def _signed_once(
        self,
        method: str,
        endpoint: str,
        params: Sequence[tuple[str, str]],
        idempotent: bool,
    ) -> HttpReply:
        query = auth.signed_params(
            self.credentials.secret,
            params,
            timestamp=auth.timestamp_ms(self.clock()) + self.offset_ms,
            window_ms=self.window_ms,
        )
        return await self.http.request(
            method,
            f"{PREFIX}/{endpoint}",
            params=query,
            headers=auth.headers(self.credentials),
            idempotent=idempotent,
        )

    async def _resync(self) -> None:
        reply = await self.http.request("GET", f"{PREFIX}/time")
        server = parse.server_time_ms(parse.envelope(reply))
        self.offset_ms = server - auth.timestamp_ms(self.clock())
