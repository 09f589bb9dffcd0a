"""ALP.COM account: balances, fees, orders and transfer history over signed calls (seed 002).

Every call is signed as the document's "Authorization" section says (``X-KEY``,
``X-SIGN``, ``X-NONCE``; the signing itself is in ``exchanges.alp.auth``). Calls made:
``GET /api/v1/wallets/`` (``verify`` and ``balances``), ``GET /api/v3/accounts``
(``profile``, and the account id v3 orders carry), ``GET /api/v3/feeinfo``
(``profile``, ``trading_fee``), ``POST /api/v3/orders`` (``place_order``), ``GET
/api/v3/orders`` (``open_orders``, ``order_by_client_id``, the state of a new order),
``GET /api/v1/order/<pk>/`` (``order``), ``POST /api/v1/order-cancel/``
(``cancel_order``), ``GET /api/v1/orders/own/`` (``own_orders``), ``GET
/api/v1/exchanges/own/`` (``fills``), ``GET /api/v3/accounts/trades``
(``account_trades``, with fees), ``GET /api/v1/deposits/`` and ``GET
/api/v1/withdraws/``; and v3's wallets and margin: ``GET /api/v3/accounts/balances``
(``wallet_balances``), ``GET /api/v3/wallets/activity`` (``wallet_activity``), ``GET``
and ``DELETE /api/v3/margin`` (``margin_positions``, ``margin_close``), the five
margin histories (``margin_history``) and ``POST /api/v3/margin/borrow``, ``/repay`` and
``/transfer`` (``margin_borrow``, ``margin_repay``, ``margin_transfer``). Their models
and the choices made reading them are in ``exchanges.alp.wallets`` and
``exchanges.alp.margin``.

Trading choices:
- Orders are placed through v3, not v1 ``order/``: only v3 takes a
  ``client_order_id``, so an order whose answer is lost (a crash, a timeout) is found
  again with ``order_by_client_id`` instead of being sent twice. v3 order objects are
  read with ``client_order_id`` (the document's example lists fields only in part); a
  second POST with a used id is expected to be refused, which makes a resend harmless.
  The body carries ``account_id`` (read once from v3 ``accounts``), ``wallet_type``
  SPOT, ``tif`` GTC, ``base_amount`` and, for LIMIT, ``limit_price``; MARKET orders
  send ``base_amount`` too. Numbers are written as JSON numbers with exactly the
  Decimal's digits. No stop orders (``stop_operator``'s meaning is not explained).
- Signing a JSON body: the document signs "POST data sorted by keys"; for JSON that is
  read as its top-level fields, each as the text it is written with (a number's own
  digits, ``true``/``false``), sorted and url-encoded like form data.
- One order is cancelled with v1 ``order-cancel/`` (a form), several at once with v3
  ``DELETE /api/v3/orders`` (``cancel_orders``: ``order_ids``, ``all`` false). Neither
  answers the orders' states (v3 only 202, or 204 when nothing was cancelled), so
  ``cancel_order`` returns None and ``cancel_orders`` reads each order back from v3
  ``GET /api/v3/orders``. The document does not show how the ``order_ids`` array is
  signed: like every JSON field, as the text it is written with in the body (compact
  JSON, ``[1,5,8]``).
- Statuses: v1 1 Active, 2 Canceled, 3 Done; v3 ``OPEN`` (example), ``FILLED`` (trades
  example) and, read as well, ``PARTIALLY_FILLED``, ``CANCELLED``/``CANCELED``,
  ``EXPIRED``, ``REJECTED``. v1 ``order/<pk>/``'s example contradicts itself
  (``amount`` 0.125 above ``amount_original`` 0.0041958): ``amount_original`` is read
  as the order's amount and ``amount_filled`` as what filled; its example is unsigned,
  it is signed here all the same (another account's order is no one's business).
- Refusals carry no documented text: a 400's ``error`` (v1) or ``message`` (v3) is
  matched for insufficient funds, minimum, precision/decimal places, not trading/
  suspended (market closed), not found; other order refusals are InvalidOrder.
- Fills: v1 ``exchanges/own/`` has trade ids but no order id, v3 ``accounts/trades``
  fees but neither id; both are offered, ``fills`` is v1 (newest first, ``limit``).
- No withdrawal can be made through the API (only listed: ``withdraws/``), so
  ``withdraw`` stays NotSupported and ``trading.withdraw`` False. Deposits carry no
  status in the document: a listed deposit is COMPLETED. Withdraw statuses 10/20 are
  pending, 30 completed, 40 refused (failed), 50 cancelled.
- No private stream: order fills and deposits are polled (``account_events="poll"``).
  v1's signed calls are limited to 2 a second per account: a call refused with 429
  (DRF throttles before the view runs, so nothing was done) is sent again after its
  ``Retry-After`` (at most 2 s), twice at most, with a fresh nonce.

Choices where the document is silent or contradicts itself:
- ``balances`` (the spot balance every order and transfer check reads) comes from v1
  ``wallets/``: v1's signing is spelled out with working examples, while the v3 section
  is headed "functionality are in progress" and names no headers, and v1 lists one
  wallet per currency. v3 ``accounts/balances`` lists rows per account and wallet type
  (spot, cross and isolated margin, per pair); it is read by ``wallet_balances`` as
  its own model, so a margin balance never passes for a spot one (``/balance alp``
  shows the margin wallets under the spot ones). ``balance`` is read as available and
  ``reserve`` as locked (see ``parse.wallets``).
- Margin requests: a borrow and a repayment are manual loans (``LOAN_MANUAL``; the
  document offers ``LOAN_AUTO`` too, which is the engine's own kind); without a pair
  the cross margin wallet is meant, with one that pair's isolated wallet (``pair`` is
  sent empty for cross margin, as the examples do). A transfer carries the note
  ``Sarraf``. ``DELETE /api/v3/margin`` is read as closing the wallet's position; it
  and the POSTs answer no body, so they return None, and a JSON body is signed like
  any other (its top-level fields as text). Nothing here takes a client reference, so
  an unanswered request is never sent again (see ``bot/margin.py``).
- v3 authentication: the document only says to "include valid api-secret and api-key".
  v3 calls are signed exactly like v1 calls (the same key pair from the profile page,
  the same three headers); the secret itself is never sent. One nonce sequence per key
  serves both APIs ("greater than the nonce in the previous api call", any call).
- Signed payload: the form data of a POST; a GET signs ``{}`` (its query string is not
  signed). The reads here carry no query parameters, so either reading signs the same.
- Nonces: strictly increasing per key from the ``NonceSource`` (scope: the API key),
  never below the current Unix time in milliseconds, the value the document's own
  example sends, so a key last used by such a program still accepts our calls.
- Ordering: the server rejects a nonce not greater than the last one it accepted, so a
  call with a smaller nonce must not overtake one with a larger. Signed calls of one key
  therefore go one at a time in this process (a lock per key shared by every
  ``AlpAccount`` of that key), from drawing the nonce until the answer arrives. This
  costs nothing: ALP allows 2 signed calls a second per account anyway.
- A signed call is sent once (``idempotent=False``): a resend after a timeout would
  carry a nonce the server may already have accepted, and be refused for it.
- Deposit addresses: v1 has no such call and v3 ``POST /api/v3/wallets/addresses`` is
  "Comming soon" with neither parameters nor answer, so ``deposit_address`` raises
  ``NotSupported``.
- Key rights: the document does not describe what a key may do, so ``verify`` returns
  no rights; v1 has no account name either, so no label.
- Fees: ``feeinfo`` rates are fractions (its trade example: ``fee_rate`` 0.001 on
  23400.34 × 0.05 is ``fee_amount`` 1.170017) and are shown as percentages; inactive
  rules are left out; rules are listed by ``priority``, 1 first (the document does not
  say which end wins).
- Errors: the document shows none for v1 and only status codes for v3. 401/403 are
  authentication errors (wrong key, signature or nonce), 429 is the rate limit of two
  signed calls a second per account; the rest as in ``parse.error``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from exchanges.accounts import AccountClient
from exchanges.alp import auth, margin, parse, wallets
from exchanges.alp.margin import MarginEvent, MarginPosition
from exchanges.alp.wallets import WalletBalance, WalletMovement
from exchanges.credentials import CredentialField
from exchanges.errors import AuthenticationError, NotSupported, OrderNotFound, RateLimited
from exchanges.http import HttpReply
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    Deposit,
    DepositAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderRequest,
    OrderStatus,
    TradingCapabilities,
    Withdrawal,
)

log = logging.getLogger(__name__)

WALLETS = "/api/v1/wallets/"
ACCOUNTS = "/api/v3/accounts"
FEE_INFO = "/api/v3/feeinfo"
V3_ORDERS = "/api/v3/orders"
V3_TRADES = "/api/v3/accounts/trades"
V1_ORDER = "/api/v1/order/{}/"
V1_OWN_ORDERS = "/api/v1/orders/own/"
V1_CANCEL = "/api/v1/order-cancel/"
V1_OWN_EXCHANGES = "/api/v1/exchanges/own/"
V1_DEPOSITS = "/api/v1/deposits/"
V1_WITHDRAWS = "/api/v1/withdraws/"
V3_BALANCES = "/api/v3/accounts/balances"
V3_ACTIVITY = "/api/v3/wallets/activity"
V3_MARGIN = "/api/v3/margin"
V3_BORROW = "/api/v3/margin/borrow"
V3_REPAY = "/api/v3/margin/repay"
V3_TRANSFER = "/api/v3/margin/transfer"
V3_INTEREST = "/api/v3/margin/interest"
V3_LIQUIDATION = "/api/v3/margin/liquidation"
TRANSFER_NOTE = "Sarraf"
FORM = "application/x-www-form-urlencoded"
# v1 allows 2 signed calls a second per account; a throttled call is waited out.
THROTTLE_RETRIES = 2
THROTTLE_WAIT_MAX = 2.0


@dataclass(eq=False)
class _KeyTurn:
    """Whose turn it is to call with one key, and the last nonce sent with it here."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_nonce: int = 0


# Per event loop (a Lock belongs to one loop), per key digest: the key itself is not
# kept here. Entries vanish when no AlpAccount of that key is left.
_TURNS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakValueDictionary[str, _KeyTurn]
] = weakref.WeakKeyDictionary()


def _turn_for(key: str) -> _KeyTurn:
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = weakref.WeakValueDictionary()
        _TURNS[loop] = turns
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    turn = turns.get(digest)
    if turn is None:
        turn = _KeyTurn()
        turns[digest] = turn
    return turn


class AlpAccount(AccountClient):
    """One ALP.COM account reached with an API key and its secret."""

    name = "alp"
    title = "ALP.COM"
    credential_fields = (
        CredentialField("key", "API key", secret=False),
        CredentialField("secret", "API secret"),
    )

    trading = TradingCapabilities(
        limit_orders=True,
        market_orders=True,
        cancel=True,
        open_orders=True,
        client_order_ids=True,
        withdraw=False,
        deposits_history=True,
        account_events="poll",
        notes=(
            "ALP.COM's API has no call to make a withdrawal: withdraw on the website",
            "orders carry a client order id (API v3), so a lost answer is found again",
        ),
    )

    _turn: _KeyTurn | None = None
    _account_id: int | None = None
    # How a throttled call waits before it is sent again (tests pass their own).
    throttle_sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

    @property
    def _key(self) -> str:
        key = self.credentials.key
        if not key:
            raise AuthenticationError(self.name, "ALP.COM needs an API key with its secret")
        return key

    async def _signed_get(self, path: str) -> Any:
        """One signed GET without parameters: its decoded body, or the error it states."""
        return parse.checked(await self._send("GET", path))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_fields: Mapping[str, JsonValue] | None = None,
    ) -> HttpReply:
        """One signed call, its reply unread. A GET signs {} (its query is not POST
        data); a form signs its fields; a JSON body signs its top-level fields as the
        text they are written with (``json_text``)."""
        key = self._key
        if self._turn is None:
            self._turn = _turn_for(key)
        turn = self._turn
        payload: dict[str, str] = {}
        data: str | None = None
        content_type: str | None = None
        if form is not None:
            payload = dict(form)
            data, content_type = urlencode(list(form.items())), FORM
        elif json_fields is not None:
            payload = {name: json_text(value) for name, value in json_fields.items()}
            data, content_type = json_body(json_fields), "application/json"
        async with turn.lock:
            for attempt in range(THROTTLE_RETRIES + 1):
                floor = max(int(self.clock() * 1000), turn.last_nonce)
                nonce = await self.nonces.next_nonce(key, at_least=floor)
                turn.last_nonce = max(turn.last_nonce, nonce)
                headers = auth.signed_headers(self.credentials, payload, nonce)
                if content_type is not None:
                    headers["Content-Type"] = content_type
                log.debug("alp signed %s %s (nonce %d)", method, path, nonce)
                try:
                    return await self.http.request(
                        method, path, params=query, headers=headers, data=data, idempotent=False
                    )
                except RateLimited as exc:
                    # Throttled before it was carried out: safe to send again, later.
                    if attempt == THROTTLE_RETRIES:
                        raise
                    await self.throttle_sleep(min(exc.retry_after or 1.0, THROTTLE_WAIT_MAX))
        raise AssertionError("unreachable")

    async def verify(self) -> AccountCheck:
        """Reads the wallets: harmless, and refused unless key, signature and nonce are right."""
        parse.wallets(await self._signed_get(WALLETS))
        return AccountCheck(account_label=None, rights=None)

    async def balances(self) -> Sequence[Balance]:
        """Every wallet of the account, as ``wallets/`` lists it."""
        return parse.wallets(await self._signed_get(WALLETS))

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        raise NotSupported(
            self.name,
            "ALP.COM's API offers no deposit address (its v3 wallets/addresses call is "
            "announced as coming soon); take the address from the ALP.COM website",
        )

    async def profile(self) -> AccountProfile:
        """The account (v3 ``accounts``) and its fee rules (v3 ``feeinfo``)."""
        accounts = await self._signed_get(ACCOUNTS)
        fee_info = await self._signed_get(FEE_INFO)
        lines = list(parse.account_lines(accounts))
        paid_in = parse.fee_currencies(fee_info)
        if paid_in:
            lines.append(("Fees charged in", ", ".join(paid_in)))
        return AccountProfile(lines=tuple(lines), fees=tuple(parse.fees(fee_info)))

    # --- trading ----------------------------------------------------------------------
    async def account_id(self) -> int:
        """The key's own account id (v3 ``accounts``), sent with every v3 order."""
        if self._account_id is None:
            self._account_id = parse.own_account_id(await self._signed_get(ACCOUNTS))
        return self._account_id

    async def place_order(self, request: OrderRequest) -> Order:
        """v3 ``POST /api/v3/orders`` with the request's ``client_order_id``; the
        order's state is then read back from v3 ``GET /api/v3/orders``."""
        if request.stop_price is not None:
            raise NotSupported(self.name, "stop orders are not offered for ALP.COM here")
        fields: dict[str, JsonValue] = {
            "account_id": await self.account_id(),
            "wallet_type": "SPOT",
            "pair": request.market.symbol,
            "order_side": request.side.value.upper(),
            "order_type": "MARKET" if request.price is None else "LIMIT",
            "tif": "GTC",
            "base_amount": request.amount,
        }
        if request.price is not None:
            fields["limit_price"] = request.price
        if request.client_order_id:
            fields["client_order_id"] = request.client_order_id
        reply = await self._send("POST", V3_ORDERS, json_fields=fields)
        order_id = parse.v3_order_id(parse.order_checked(reply, symbol=request.market.symbol))
        placed = await self._find_order(order_id, request.market)
        if placed is not None:
            return placed
        return Order(
            exchange=self.name,
            order_id=order_id,
            symbol=request.market.symbol,
            side=request.side,
            type=request.type,
            amount=request.amount,
            filled=Decimal(0),
            status=OrderStatus.OPEN,
            price=request.price,
            client_order_id=request.client_order_id,
        )

    async def _v3_orders(
        self, market: Market | None = None, open_only: bool = False
    ) -> list[Order]:
        query: dict[str, str] = {}
        if market is not None:
            query["pair"] = market.symbol
        if open_only:
            query["open_only"] = "true"
        reply = await self._send("GET", V3_ORDERS, query=query or None)
        return parse.v3_orders(parse.checked(reply, symbol=market.symbol if market else ""))

    async def _find_order(self, order_id: str, market: Market | None) -> Order | None:
        return next((o for o in await self._v3_orders(market) if o.order_id == order_id), None)

    async def order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order placed with ``client_order_id`` within v3's default 30 days, or None."""
        return next(
            (o for o in await self._v3_orders() if o.client_order_id == client_order_id), None
        )

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        return await self._v3_orders(market, open_only=True)

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        """v1 ``GET /api/v1/order/<pk>/``; a 404 is OrderNotFound."""
        wanted = _order_id(order_id)
        reply = await self._send("GET", V1_ORDER.format(wanted))
        return parse.v1_order(parse.order_checked(reply, order_id=wanted))

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        """v1 ``POST /api/v1/order-cancel/``; it answers only the id, so None."""
        wanted = _order_id(order_id)
        reply = await self._send("POST", V1_CANCEL, form={"order": wanted})
        parse.order_checked(reply, order_id=wanted)
        return None

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]:
        """v3 ``DELETE /api/v3/orders`` with ``order_ids``: several orders in one call.
        It answers 202 (or 204: nothing to cancel) without a word per order, so each
        order's state is read back from v3 ``GET /api/v3/orders``; after a 204 none
        counts as cancelled by this call, whatever its state."""
        ids = [_order_id(i) for i in order_ids]
        if not ids:
            return []
        fields: dict[str, JsonValue] = {
            "order_ids": [int(i) for i in ids],
            "all": False,
            "pair": "",
        }
        reply = await self._send("DELETE", V3_ORDERS, json_fields=fields)
        if reply.status not in (202, 204):
            parse.order_checked(reply)
        states = {o.order_id: o for o in await self._v3_orders()}
        results = []
        for order_id in ids:
            order = states.get(order_id)
            if order is None:
                results.append(CancelResult(order_id, False, "no such order in the last 30 days"))
            elif order.status is OrderStatus.CANCELLED and reply.status == 202:
                results.append(CancelResult(order_id, True))
            else:
                results.append(CancelResult(order_id, False, f"the order is {order.status.value}"))
        return results

    async def own_orders(
        self, market: Market | None = None, status: int | None = None, limit: int = 2000
    ) -> list[Order]:
        """v1 ``orders/own/`` (``status`` 1 active, 2 cancelled, 3 done)."""
        query = {"limit": str(limit)}
        if market is not None:
            query["pair"] = market.symbol
        if status is not None:
            query["status"] = str(status)
        reply = await self._send("GET", V1_OWN_ORDERS, query=query)
        return parse.v1_own_orders(parse.checked(reply, symbol=market.symbol if market else ""))

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        """v1 ``exchanges/own/``, newest first (``ordering=-id``)."""
        query = {"limit": str(max(1, limit)), "ordering": "-id"}
        if market is not None:
            query["pair"] = market.symbol
        reply = await self._send("GET", V1_OWN_EXCHANGES, query=query)
        return parse.own_exchanges(parse.checked(reply, symbol=market.symbol if market else ""))

    async def account_trades(self, market: Market | None = None) -> list[Fill]:
        """v3 ``accounts/trades`` of the last 30 days, with each trade's fee."""
        query = {"pair": market.symbol} if market is not None else None
        reply = await self._send("GET", V3_TRADES, query=query)
        return parse.account_trades(parse.checked(reply, symbol=market.symbol if market else ""))

    async def trading_fee(self, market: Market) -> Fee | None:
        """The v3 ``feeinfo`` rule that applies to the market."""
        return parse.fee_for(await self._signed_get(FEE_INFO), market)

    # --- transfers --------------------------------------------------------------------
    async def deposits(self, limit: int = 50) -> Sequence[Deposit]:
        return parse.deposits(await self._signed_get(V1_DEPOSITS))[:limit]

    async def withdrawals(self, limit: int = 50) -> Sequence[Withdrawal]:
        """v1 ``withdraws/`` with their documented statuses (made on the website)."""
        return parse.withdraws(await self._signed_get(V1_WITHDRAWS))[:limit]

    # --- v3 wallets and margin ---------------------------------------------------------
    async def wallet_balances(self) -> list[WalletBalance]:
        """v3 ``GET /api/v3/accounts/balances``: every wallet of every type (spot, cross
        and isolated margin), one row per account, wallet type, pair and currency."""
        return wallets.wallet_balances(await self._signed_get(V3_BALANCES))

    async def wallet_activity(self, currency: str | None = None) -> list[WalletMovement]:
        """v3 ``GET /api/v3/wallets/activity`` of the last 30 days (the server's
        default window), newest first."""
        query = {"currency": currency.upper()} if currency else None
        reply = await self._send("GET", V3_ACTIVITY, query=query)
        return wallets.wallet_activity(parse.checked(reply))

    async def margin_positions(self) -> list[MarginPosition]:
        """v3 ``GET /api/v3/margin`` with both ``isolated_margin`` and ``cross_margin``
        set, so one call lists every position."""
        query = {"isolated_margin": "true", "cross_margin": "true"}
        reply = await self._send("GET", V3_MARGIN, query=query)
        return margin.positions(parse.checked(reply))

    async def margin_history(self) -> list[MarginEvent]:
        """The last 30 days of ``/api/v3/margin/borrow``, ``/api/v3/margin/repay``,
        ``/api/v3/margin/transfer``, ``/api/v3/margin/interest`` and
        ``/api/v3/margin/liquidation`` (five signed GETs, one at a time), newest first."""
        readers = (
            (V3_BORROW, margin.borrows),
            (V3_REPAY, margin.repayments),
            (V3_TRANSFER, margin.transfers),
            (V3_INTEREST, margin.interest),
            (V3_LIQUIDATION, margin.liquidations),
        )
        events: list[MarginEvent] = []
        for path, read in readers:
            events.extend(read(await self._signed_get(path)))
        return margin.newest_first(events)

    async def margin_borrow(self, currency: str, amount: Decimal, pair: str | None = None) -> None:
        """v3 ``POST /api/v3/margin/borrow``, a manual loan (``LOAN_MANUAL``) into the
        cross margin wallet, or the isolated wallet of ``pair``."""
        fields: dict[str, JsonValue] = {
            "currency": currency.upper(),
            "pair": pair or "",
            "wallet_type": margin.ISOLATED_MARGIN if pair else margin.CROSS_MARGIN,
            "type": margin.LOAN_MANUAL,
            "borrow": amount,
        }
        margin.checked(await self._send("POST", V3_BORROW, json_fields=fields))

    async def margin_repay(self, currency: str, amount: Decimal, pair: str | None = None) -> None:
        """v3 ``POST /api/v3/margin/repay`` of a manual loan, from the margin wallet."""
        fields: dict[str, JsonValue] = {
            "wallet_type": margin.ISOLATED_MARGIN if pair else margin.CROSS_MARGIN,
            "type": margin.LOAN_MANUAL,
            "currency": currency.upper(),
            "amount": amount,
            "pair": pair or "",
        }
        margin.checked(await self._send("POST", V3_REPAY, json_fields=fields))

    async def margin_transfer(
        self, currency: str, amount: Decimal, to_margin: bool, pair: str | None = None
    ) -> None:
        """v3 ``POST /api/v3/margin/transfer``: ``ADD`` (spot → margin) or ``SUB``
        (margin → spot)."""
        fields: dict[str, JsonValue] = {
            "wallet_type": margin.ISOLATED_MARGIN if pair else margin.CROSS_MARGIN,
            "direction": margin.ADD if to_margin else margin.SUB,
            "currency": currency.upper(),
            "amount": amount,
            "pair": pair or "",
            "note": TRANSFER_NOTE,
        }
        margin.checked(await self._send("POST", V3_TRANSFER, json_fields=fields))

    async def margin_close(self, pair: str | None = None) -> None:
        """v3 ``DELETE /api/v3/margin``: closes the cross margin wallet's position, or
        the isolated one of ``pair`` (answered 202, accepted)."""
        fields: dict[str, JsonValue] = {
            "pair": pair or "",
            "wallet_type": margin.ISOLATED_MARGIN if pair else margin.CROSS_MARGIN,
        }
        margin.checked(await self._send("DELETE", V3_MARGIN, json_fields=fields))


JsonValue = str | int | bool | Decimal | list[int] | None


@dataclass(frozen=True, slots=True)
class CancelResult:
    """One id of a several-order cancel: cancelled, or why not."""

    order_id: str
    cancelled: bool
    error: str | None = None


def json_text(value: JsonValue) -> str:
    """A field's value as it is written in the body: what its signature covers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def json_body(fields: Mapping[str, JsonValue]) -> str:
    """A compact JSON object whose numbers are written exactly (a Decimal as its plain
    digits, never through float)."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, str):
            literal = json.dumps(value)
        elif value is None:
            literal = "null"
        else:
            literal = json_text(value)
        parts.append(f"{json.dumps(name)}:{literal}")
    return "{" + ",".join(parts) + "}"


def _order_id(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit():
        raise OrderNotFound("alp", f"{value!r} is not an ALP.COM order id")
    return text
