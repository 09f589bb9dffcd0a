"""One user's WEX account over Trade API v1 (seed document 004, Russian).

Every call is ``POST {WEX_API_URL}/tapi`` with the form body ``method=…&nonce=N[&…]``
and the headers ``Key`` and ``Sign`` (``exchanges.wex.auth``). Used here: every
method of the document — ``getInfo`` (verify, balances), ``Trade``, ``ActiveOrders``,
``OrderInfo``, ``CancelOrder``, ``CancelOrders`` (``cancel_orders``), ``TradeHistory``
(``fills``), ``TransHistory`` (``deposits``, ``withdrawals``, ``transactions``),
``CoinDepositAddress``, ``WithdrawCoin`` and ``CreateCoupon``/``RedeemCoupon``.

The nonce. WEX keeps, per API key, the last nonce it accepted and refuses any request
whose nonce is not above it (the document's example: 1, 2, 10, then 10 again or 9 is
refused). So:
- Nonces come from ``self.nonces`` with the API key as scope, which the bot backs by
  storage so they keep growing across restarts and across clients of the same key.
- Calls of one key are sent one at a time, in nonce order, within this process: a
  lock per key (and event loop) is held from taking the nonce until the answer has
  arrived. Sent concurrently, a later nonce can overtake an earlier one on the wire,
  and WEX would refuse the earlier one.
- When WEX answers its invalid-nonce error (``invalid nonce parameter; on key:N, you
  sent:'M', you should send:N+1`` — BTC-e's wording, which WEX kept; the document
  quotes no error text at all) the key's last nonce N is read from it, the source is
  moved past it (``next_nonce(key, at_least=N)``) and the call is sent ONCE more with
  the new nonce and a new signature. That is safe for any method: a refused nonce
  means WEX did not carry the call out. A second refusal becomes AuthenticationError
  (someone else is using the key at the same time).
- Past 4294967294, the document's maximum, only a new key helps ("Для обнуления
  значения nonce необходимо создать новый ключ"): ``NonceExhausted``, an
  AuthenticationError saying so, before anything is sent.
- Calls go with ``idempotent=False``: the pipeline must not resend a body, since its
  nonce would be refused the second time.

Choices where the document is silent or contradicts itself:
- Error texts. The document shows only the envelope ``{"success":0,"error":"…"}``; the
  texts matched are BTC-e's: ``invalid api key`` and ``api key not specified`` (unknown
  key), ``invalid sign``, ``api key dont have <right> permission`` — all
  AuthenticationError — and ``no orders`` from ``ActiveOrders`` when none are open,
  read as an empty list. Any other text is a RejectedRequest with WEX's own words. A
  non-JSON answer, which the document warns of ("при превышении лимитов к API либо при
  непредвиденных ошибках"), is BadResponse.
- Balances. ``funds`` is "the balance available for use; it does not include money on
  your open orders", so it is ``available``. ``locked`` is derived from
  ``ActiveOrders``, whose ``amount`` is what is left to buy/sell and ``rate`` its
  price: a sell order locks ``amount`` of the pair's base, a buy order ``amount ×
  rate`` of its quote (WEX takes its fee from what is received, so nothing more is
  held). ``ActiveOrders`` is asked only when ``getInfo``'s ``open_orders`` is not 0.
  ``getInfo`` "is cached for 60 seconds" by WEX, so balances can be up to a minute old
  while open orders are read live; the two can disagree for that minute.
- Every currency ``funds`` lists is returned, zeros included, upper-cased
  (``usd`` → ``USD``).
- Rights: ``rights`` {info, trade, withdraw} (0/1) become KeyRights. The document says
  the withdraw right "is not used anywhere at the moment" yet requires it for
  ``WithdrawCoin``; it is reported as WEX states it, so the bot can warn of a
  withdraw-capable key. The ``coupon`` right has no place in KeyRights and is not read.
  ``getInfo`` itself needs the info right, so a key without it fails ``verify`` with a
  sentence naming the right.
  Because the document calls that flag unused while ``WithdrawCoin``'s privilege is
  switched on by WEX support, a key reporting ``withdraw`` 0 may still withdraw: the
  refusal ``api key dont have withdraw permission`` is what tells.
- ``getInfo`` names no account, so AccountCheck has no label.
- Deposit addresses: ``CoinDepositAddress`` takes ``coinName`` (upper case, as in the
  example ``BTC``) and no network; one address per currency. Asking with a network is
  NotSupported. WEX does not create addresses through the API ("метод не генерирует
  новые адреса"): its refusal is a RejectedRequest that says to create the address on
  the WEX site first.
- No profile or fee call exists in the Trade API (fees are per pair, in the public
  ``info``), so ``profile()`` stays NotSupported; ``trading_fee`` reads the pair's
  ``fee`` from the public ``info`` as both maker and taker percent.
- Orders: the text says ``Trade`` "can only create limit orders" (a market order is
  emulated with a far ``rate``), while the parameter table lists ``mode`` market/limit.
  The text is followed: limit only (``market_orders=False``), ``mode`` never sent.
  Numbers are sent plain (``format(…, "f")`` without trailing zeros, never an
  exponent). ``order_id`` 0 in the answer means the order filled completely at once;
  it comes back as a FILLED order with id "0" since WEX keeps nothing to look up.
- WEX has no client order id: ``client_order_ids`` is False and a lost answer is
  reconciled by the bot against ``ActiveOrders``.
- ``ActiveOrders`` gives only what is left of each order (``amount``): an open order's
  ``amount`` is that, with nothing filled; ``OrderInfo`` has ``start_amount`` and the
  real status (0 active, 1 filled, 2 cancelled, 3 cancelled after a partial fill, the
  latter CANCELLED with its ``filled``). ``CancelOrder`` answers no state: None.
- ``CancelOrders``' per-id result counts as cancelled only with ``success: 1``; the
  document's failure example spells ``sucess: 0``, so any other shape is a refusal.
  The bot sends it for ``/cancel wex ID ID …`` (one call for every id); a single id
  goes through ``CancelOrder``. ``OrderInfo`` (``order``) is what an order's Details
  button shows.
- Histories: ``no trades`` / ``no transactions`` (like ``no orders``) are empty lists.
  ``TransHistory`` types 1/2 are deposits/withdrawals (4/5 income/expense: coupons);
  statuses 0 failed, 1 waiting, 2 done, 3 "not confirmed" (pending).
- Refusals the bot must explain: ``It is not enough …`` → InsufficientFunds, ``Value
  … must be greater than …`` and ``Minimal amount for withdrawal …`` → BelowMinimum,
  ``… decimal places`` → BadPrecision, ``Trading on … is suspended`` → MarketClosed,
  ``invalid order`` → OrderNotFound, ``invalid status`` and out-of-range prices →
  InvalidOrder, ``Invalid address``/``Invalid coinName`` → WithdrawalRejected.
- ``WithdrawCoin`` takes no network and no memo; its fee comes out of the amount
  (``amountSent``), which the Withdrawal's ``fee`` reports. Coupons are bearer codes:
  ``CouponCreated``'s repr hides the code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField
from exchanges.errors import (
    AuthenticationError,
    NotSupported,
    OrderNotFound,
    RejectedRequest,
    WithdrawalRejected,
)
from exchanges.models import (
    AccountCheck,
    Balance,
    Deposit,
    DepositAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderRequest,
    TradingCapabilities,
    Withdrawal,
    WithdrawalRequest,
)
from exchanges.wex import auth, parse
from exchanges.wex.models import CancelResult, CouponCreated, CouponRedeemed

TAPI = "/tapi"
INFO = "/api/3/info"

_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = WeakKeyDictionary()


def key_lock(scope: str) -> asyncio.Lock:
    """The lock that keeps one key's calls in nonce order, shared by every client of the
    key in this event loop (an asyncio lock cannot outlive or cross its loop)."""
    per_loop = _LOCKS.setdefault(asyncio.get_running_loop(), {})
    lock = per_loop.get(scope)
    if lock is None:
        lock = per_loop[scope] = asyncio.Lock()
    return lock


class WexAccount(AccountClient):
    name = "wex"
    title = "WEX"
    credential_fields = (
        CredentialField("key", "API key (Key)", secret=False),
        CredentialField("secret", "API key secret"),
    )
    trading = TradingCapabilities(
        limit_orders=True,
        market_orders=False,
        cancel=True,
        open_orders=True,
        client_order_ids=False,
        withdraw=True,
        deposits_history=True,
        account_events="poll",
        notes=(
            "WEX takes limit orders only (a price is needed)",
            "WEX has no client order ids: a lost answer is reconciled against open orders",
            "WEX takes its withdrawal fee out of the amount sent",
        ),
    )

    async def verify(self) -> AccountCheck:
        """``getInfo``: proves key and secret and reports the key's rights."""
        info = parse.account_info(parse.tapi_return(await self._call("getInfo")))
        return AccountCheck(account_label=None, rights=info.rights)

    async def balances(self) -> Sequence[Balance]:
        """Available from ``getInfo``'s ``funds``; locked from the open orders."""
        info = parse.account_info(parse.tapi_return(await self._call("getInfo")))
        locked: dict[str, Decimal] = {}
        if info.open_orders != 0:
            locked = parse.locked_by_orders(parse.active_orders(await self._call("ActiveOrders")))
        return parse.balances(info.funds, locked)

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        coin = currency.strip().upper()
        if network:
            raise NotSupported(
                self.name, "WEX has one deposit address per currency and takes no network"
            )
        envelope = await self._call("CoinDepositAddress", {"coinName": coin})
        try:
            ret = parse.tapi_return(envelope)
        except RejectedRequest as exc:
            raise RejectedRequest(
                self.name,
                f"no deposit address for {coin} ({exc.message}); WEX's API only returns "
                "addresses made before, so create one on the WEX site first",
            ) from None
        return parse.deposit_address(coin, ret)

    async def _call(
        self, method: str, params: Mapping[str, str] | None = None
    ) -> Mapping[str, Any]:
        """One signed call, answered as WEX's envelope; an invalid-nonce answer is
        retried once past the nonce WEX names (see the module docstring)."""
        scope = self.credentials.key
        if not scope:
            raise AuthenticationError(self.name, "WEX needs an API key as well as its secret")
        async with key_lock(scope):
            at_least = 0
            for _attempt in range(2):
                nonce = auth.check_nonce(await self.nonces.next_nonce(scope, at_least))
                body = auth.encode_body(method, nonce, params)
                reply = await self.http.request(
                    "POST",
                    TAPI,
                    headers=auth.signed_headers(self.credentials, body),
                    data=body,
                    idempotent=False,
                )
                envelope = parse.tapi_envelope(reply)
                on_key = parse.invalid_nonce_on_key(envelope)
                if on_key is None:
                    return envelope
                at_least = on_key
        raise parse.tapi_error(parse.error_text(envelope) or "invalid nonce parameter")

    # --- trading ------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        """``Trade`` with ``pair``, ``type``, ``rate`` and ``amount`` (no ``mode``: limit)."""
        if request.price is None:
            raise NotSupported(self.name, "WEX takes limit orders only: give a price")
        if request.stop_price is not None:
            raise NotSupported(self.name, "WEX has no stop orders")
        params = {
            "pair": request.market.symbol,
            "type": request.side.value,
            "rate": _text(request.price),
            "amount": _text(request.amount),
        }
        ret = parse.tapi_return(await self._call("Trade", params))
        placed = parse.trade_placed(request.market, request.amount, request.price, ret)
        return replace(placed, side=request.side, created_at=parse.utc_now(self.clock()))

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        """``CancelOrder``; WEX answers only the id and the funds, so no state (None)."""
        parse.tapi_return(await self._call("CancelOrder", {"order_id": _order_id(order_id)}))
        return None

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]:
        """``CancelOrders``: several ids in one call, a result for each."""
        ids = [_order_id(i) for i in order_ids]
        if not ids:
            return []
        ret = parse.tapi_return(await self._call("CancelOrders", {"order_id": ",".join(ids)}))
        return parse.cancel_results(ids, ret)

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        params = {"pair": market.symbol} if market is not None else None
        envelope = await self._call("ActiveOrders", params)
        return parse.open_orders(envelope, parse.created_times(envelope))

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        """``OrderInfo``; ``invalid order`` → OrderNotFound."""
        wanted = _order_id(order_id)
        ret = parse.tapi_return(await self._call("OrderInfo", {"order_id": wanted}))
        return parse.order_info(wanted, ret)

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        params = {"count": str(max(1, min(limit, 1000))), "order": "DESC"}
        if market is not None:
            params["pair"] = market.symbol
        return parse.fills(await self._call("TradeHistory", params))[:limit]

    async def trading_fee(self, market: Market) -> Fee | None:
        """The pair's ``fee`` of the public ``info``: WEX charges it on both sides."""
        reply = await self.http.request("GET", INFO)
        fee = parse.pair_fee(parse.body(reply), market.symbol)
        if fee is None:
            return None
        return Fee(maker_pct=fee, taker_pct=fee, market=market.symbol)

    # --- transfers -------------------------------------------------------------------------
    async def transactions(self, limit: int = 50) -> list[parse.Transaction]:
        """``TransHistory``, newest first: deposits, withdrawals, coupons."""
        params = {"count": str(max(1, min(limit, 1000))), "order": "DESC"}
        return parse.transactions(await self._call("TransHistory", params))

    async def deposits(self, limit: int = 50) -> Sequence[Deposit]:
        """The ``TransHistory`` entries of type 1 (deposits)."""
        found = [
            parse.deposit_of(t) for t in await self.transactions(1000) if t.type == parse.DEPOSIT
        ]
        return found[:limit]

    async def withdrawals(self, limit: int = 50) -> Sequence[Withdrawal]:
        """The ``TransHistory`` entries of type 2 (withdrawals)."""
        found = [
            parse.withdrawal_of(t)
            for t in await self.transactions(1000)
            if t.type == parse.WITHDRAWAL
        ]
        return found[:limit]

    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal:
        """``WithdrawCoin`` (needs the key's withdraw right); no network, no memo."""
        if request.network or request.memo:
            raise NotSupported(self.name, "WEX's WithdrawCoin takes no network and no memo")
        coin = request.currency.strip().upper()
        params = {"coinName": coin, "amount": _text(request.amount), "address": request.address}
        envelope = await self._call("WithdrawCoin", params)
        try:
            ret = parse.tapi_return(envelope)
        except RejectedRequest as exc:
            # ``Invalid coinName`` and any other refusal of this call: the withdrawal's.
            raise WithdrawalRejected(self.name, exc.message) from None
        return parse.withdrawal_sent(coin, request.amount, request.address, ret)

    async def create_coupon(
        self, currency: str, amount: Decimal, receiver: str | None = None
    ) -> CouponCreated:
        """``CreateCoupon`` (needs the coupon right): the amount leaves the balance as a
        code anyone holding it may redeem (only ``receiver`` when given)."""
        coin = currency.strip().upper()
        params = {"coinName": coin, "amount": _text(amount)}
        if receiver:
            params["receiver"] = receiver.strip()
        ret = parse.tapi_return(await self._call("CreateCoupon", params))
        return parse.coupon_created(coin, amount, receiver or None, ret)

    async def redeem_coupon(self, coupon: str) -> CouponRedeemed:
        """``RedeemCoupon`` (needs the coupon right)."""
        code = coupon.strip()
        if not code:
            raise ValueError("a coupon code is needed")
        return parse.coupon_redeemed(
            parse.tapi_return(await self._call("RedeemCoupon", {"coupon": code}))
        )


def _text(value: Decimal) -> str:
    """A Decimal as WEX reads a number: plain digits, no exponent, no trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _order_id(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit():
        raise OrderNotFound("wex", f"{value!r} is not a WEX order id")
    return text
