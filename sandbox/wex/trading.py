"""WEX Trade API v1 sandbox: the methods that trade and move money (seed document 004).

``Trade``, ``OrderInfo``, ``CancelOrder``, ``CancelOrders``, ``TradeHistory``,
``TransHistory``, ``WithdrawCoin``, ``CreateCoupon`` and ``RedeemCoupon``, added to
``TradeApi``'s method table with the right the document names for each: ``trade``
(Trade, CancelOrder, CancelOrders), ``info`` (OrderInfo, TradeHistory, TransHistory),
``withdraw`` (WithdrawCoin), ``coupon`` (CreateCoupon, RedeemCoupon).

Orders go to the shared matching engine (``sandbox.matching``) over the user's funds:
``funds`` is what is free, ``held`` what open orders lock, so ``getInfo`` keeps showing
only free money as the document says. A ``Trade`` is matched at once (a limit order
that crosses the simulated price fills before the answer, ``order_id`` 0 when nothing
remains, as documented); the rest fills as the engine sweeps. ``mode=market`` (listed
in the parameter table, although the text says only limit orders exist) fills at once
at the bid/ask.

The document quotes no error text. The texts are BTC-e's, which WEX continued:
- ``You incorrectly entered one of fields.`` — a missing or malformed parameter;
- ``Invalid pair name: <pair>``;
- ``It is not enough <CUR> in the account for sale.`` / ``… for purchase.`` /
  ``… for withdrawal.`` / ``… for coupon.``;
- ``Value <BASE> must be greater than <min> <BASE>.`` (the pair's ``min_amount``);
- ``Price per <BASE> must be greater than <min> <QUOTE>.`` / ``… lower than <max> …``;
- ``Wrong rate: <pair> takes at most <n> decimal places.`` / ``Wrong amount: …`` (BTC-e
  cut extra places silently; refusing them is the stricter reading);
- ``Trading on <pair> is suspended.`` (a pair the test halted: market closed);
- ``invalid order`` (no such order of this user), ``invalid status`` (not open; the
  document's own CancelOrders example);
- ``no trades`` / ``no transactions`` for empty histories (like ``no orders``);
- ``Invalid coinName``, ``Invalid address``, ``Minimal amount for withdrawal is <min>
  <COIN>.``, ``Invalid coupon``, ``Coupon already redeemed``, ``Coupon is for another
  user``, ``Invalid receiver``.

CancelOrders answers per id in ``cancel_result`` exactly as the example does, its typo
included: a failed id is ``{"sucess": 0, "error": …}``.

WithdrawCoin: the fee (``WITHDRAW_FEES``) comes out of the amount (``amountSent`` "taking
the fee into account"); the transaction enters ``TransHistory`` as type 2 with status 1
(waiting) and becomes 2 (done) ``WITHDRAW_SECONDS`` of market time later, or 0 when a
test rejects it. Coupons are type 5 (expense) for their maker and 4 (income) for who
redeems them. ``deposit()`` lets a test credit a deposit (type 1).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping, MutableMapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.matching import (
    CANCELLED,
    FILLED,
    INSUFFICIENT,
    PARTIAL,
    MatchError,
    MatchingEngine,
    SimOrder,
)
from sandbox.wex.tapi import ApiKey, TradeApi, WexUser, bare, error, success

WITHDRAW_FEES: dict[str, Decimal] = {
    "BTC": Decimal("0.001"),
    "LTC": Decimal("0.001"),
    "ETH": Decimal("0.005"),
    "USDT": Decimal("1"),
}
WITHDRAW_MIN: dict[str, Decimal] = {
    "BTC": Decimal("0.002"),
    "LTC": Decimal("0.01"),
    "ETH": Decimal("0.01"),
    "USDT": Decimal("5"),
}
WITHDRAW_SECONDS = 60
AMOUNT_PLACES = 8
FIELDS = "You incorrectly entered one of fields."


class EngineFunds(MutableMapping[str, tuple[Decimal, Decimal]]):
    """A user's ``funds`` (free) and ``held`` (locked) as the engine's balance map,
    keyed by upper-case currency as the engine writes them."""

    def __init__(self, user: WexUser) -> None:
        self.user = user

    def __getitem__(self, key: str) -> tuple[Decimal, Decimal]:
        c = key.lower()
        if c not in self.user.funds and c not in self.user.held:
            raise KeyError(key)
        return self.user.funds.get(c, Decimal(0)), self.user.held.get(c, Decimal(0))

    def __setitem__(self, key: str, value: tuple[Decimal, Decimal]) -> None:
        c = key.lower()
        self.user.funds[c], self.user.held[c] = value

    def __delitem__(self, key: str) -> None:
        self.user.funds.pop(key.lower(), None)
        self.user.held.pop(key.lower(), None)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({c.upper() for c in (*self.user.funds, *self.user.held)}))

    def __len__(self) -> int:
        return len({*self.user.funds, *self.user.held})


def _number(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class WexTrading:
    """The money-moving Trade API methods over one ``TradeApi``."""

    def __init__(
        self,
        tapi: TradeApi,
        engine: MatchingEngine,
        pairs: Mapping[str, Any],
        disabled: set[str] | None = None,
    ) -> None:
        self.tapi = tapi
        self.engine = engine
        self.pairs = pairs  # name -> WexPair (decimal_places, min/max price, min_amount)
        self.disabled = disabled if disabled is not None else set()
        self.halted: set[str] = set()
        self.coupons: dict[str, dict[str, Any]] = {}
        self._users: dict[str, WexUser] = {}
        self._next_tx = 1081672
        self._next_trade = 166830
        self._trade_ids: dict[tuple[str, int], int] = {}
        self.rejected: set[int] = set()
        tapi.on_user = self.bind
        tapi.before_call = self.sweep
        tapi.more_orders = self._open_rows
        for api_key in tapi.keys.values():
            self.bind(api_key.user)
        tapi.methods.update(
            {
                "Trade": ("trade", self.trade),
                "OrderInfo": ("info", self.order_info),
                "CancelOrder": ("trade", self.cancel_order),
                "CancelOrders": ("trade", self.cancel_orders),
                "TradeHistory": ("info", self.trade_history),
                "TransHistory": ("info", self.trans_history),
                "WithdrawCoin": ("withdraw", self.withdraw_coin),
                "CreateCoupon": ("coupon", self.create_coupon),
                "RedeemCoupon": ("coupon", self.redeem_coupon),
            }
        )

    # --- accounts --------------------------------------------------------------------
    @staticmethod
    def account_of(user: WexUser) -> str:
        return f"wex-user-{id(user)}"

    def bind(self, user: WexUser) -> None:
        account = self.account_of(user)
        self._users[account] = user
        self.engine.book(account, EngineFunds(user))

    def deposit(
        self, holder: ApiKey | WexUser, currency: str, amount: str | Decimal, status: int = 2
    ) -> int:
        """A deposit (type 1) reaching the user; credited when its status is 2 (done)."""
        user = holder.user if isinstance(holder, ApiKey) else holder
        value = Decimal(amount)
        if status == 2:
            c = currency.lower()
            user.funds[c] = user.funds.get(c, Decimal(0)) + value
        return self._record(user, 1, value, currency, f"{currency.upper()} Payment", status)

    def reject_withdrawal(self, holder: ApiKey | WexUser, tid: int) -> None:
        """Refuse a waiting withdrawal: status 0, its amount back to the user's funds."""
        user = holder.user if isinstance(holder, ApiKey) else holder
        tx = user.transactions[tid]
        if tx["type"] == 2 and tx["status"] == 1:
            tx["status"] = 0
            c = str(tx["currency"]).lower()
            user.funds[c] = user.funds.get(c, Decimal(0)) + Decimal(tx["amount"])

    def sweep(self) -> None:
        self.engine.sweep()
        now = self.tapi.clock()
        for user in self._users.values():
            for tx in user.transactions.values():
                due = now - tx["timestamp"] >= WITHDRAW_SECONDS
                if tx["type"] == 2 and tx["status"] == 1 and due:
                    tx["status"] = 2

    def _record(
        self, user: WexUser, kind: int, amount: Decimal, currency: str, desc: str, status: int
    ) -> int:
        tid = self._next_tx
        self._next_tx += 1
        user.transactions[tid] = {
            "type": kind,
            "amount": amount,
            "currency": currency.upper(),
            "desc": desc,
            "status": status,
            "timestamp": math.floor(self.tapi.clock()),
        }
        return tid

    def _funds(self, user: WexUser) -> dict[str, Decimal]:
        known = self.tapi.currencies
        currencies = [*known, *(c for c in user.funds if c not in known)]
        return {c: bare(user.funds.get(c, Decimal(0))) for c in currencies}

    # --- orders ----------------------------------------------------------------------
    def _open_rows(self, user: WexUser) -> dict[str, dict[str, Any]]:
        return {
            o.order_id: self._row(o, with_start=False)
            for o in sorted(
                self.engine.orders(self.account_of(user), open_only=True),
                key=lambda o: int(o.order_id),
            )
        }

    @staticmethod
    def _status(o: SimOrder) -> int:
        if o.status == FILLED:
            return 1
        if o.status == CANCELLED:
            return 3 if o.filled > 0 else 2
        return 0

    def _row(self, o: SimOrder, *, with_start: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"pair": o.symbol, "type": o.side}
        if with_start:
            row["start_amount"] = bare(o.amount)
        row.update(
            {
                "amount": bare(o.remaining),
                "rate": bare(o.price if o.price is not None else o.average or Decimal(0)),
                "timestamp_created": math.floor(o.created_at),
                "status": self._status(o) if with_start else 0,
            }
        )
        return row

    def trade(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        name = params.get("pair", "")
        pair = self.pairs.get(name)
        if pair is None or name in self.disabled:
            return error(f"Invalid pair name: {name}")
        side = params.get("type", "")
        mode = params.get("mode", "limit")
        rate = _number(params.get("rate"))
        amount = _number(params.get("amount"))
        if side not in ("buy", "sell") or mode not in ("limit", "market") or amount is None:
            return error(FIELDS)
        if mode == "limit" and rate is None:
            return error(FIELDS)
        if name in self.halted:
            return error(f"Trading on {name} is suspended.")
        base, quote = pair.base, pair.quote
        if amount <= 0 or amount < Decimal(pair.min_amount):
            return error(f"Value {base} must be greater than {pair.min_amount} {base}.")
        if _places(amount) > AMOUNT_PLACES:
            return error(f"Wrong amount: {name} takes at most {AMOUNT_PLACES} decimal places.")
        if mode == "limit":
            assert rate is not None
            if rate < Decimal(pair.min_price):
                return error(f"Price per {base} must be greater than {pair.min_price} {quote}.")
            if rate > Decimal(pair.max_price):
                return error(f"Price per {base} must be lower than {pair.max_price} {quote}.")
            if _places(rate) > pair.decimal_places:
                return error(
                    f"Wrong rate: {name} takes at most {pair.decimal_places} decimal places."
                )
        try:
            order = self.engine.place(
                self.account_of(api_key.user),
                symbol=name,
                base=base,
                quote=quote,
                side=side,
                amount=amount,
                price=rate if mode == "limit" else None,
            )
        except MatchError as exc:
            if exc.reason == INSUFFICIENT:
                currency = base if side == "sell" else quote
                purpose = "for sale" if side == "sell" else "for purchase"
                return error(f"It is not enough {currency} in the account {purpose}.")
            return error(FIELDS)
        self.engine.sweep()
        return success(
            {
                "received": bare(order.filled),
                "remains": bare(order.remaining),
                "order_id": 0 if order.status == FILLED else int(order.order_id),
                "funds": self._funds(api_key.user),
            }
        )

    def _find(self, user: WexUser, order_id: str) -> SimOrder | None:
        try:
            return self.engine.get(self.account_of(user), order_id)
        except MatchError:
            return None

    def order_info(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        order_id = params.get("order_id", "")
        if not order_id.isdigit():
            return error(FIELDS)
        resting = api_key.user.orders.get(int(order_id))
        if resting is not None:
            return success(
                {
                    order_id: {
                        "pair": resting.pair,
                        "type": resting.type,
                        "start_amount": bare(resting.amount),
                        "amount": bare(resting.amount),
                        "rate": bare(resting.rate),
                        "timestamp_created": resting.timestamp_created,
                        "status": 0,
                    }
                }
            )
        order = self._find(api_key.user, order_id)
        if order is None:
            return error("invalid order")
        return success({order_id: self._row(order, with_start=True)})

    def _cancel_one(self, user: WexUser, order_id: str) -> str | None:
        """None when cancelled, else WEX's reason."""
        if not order_id.isdigit():
            return "invalid order"
        resting = user.orders.pop(int(order_id), None)
        if resting is not None:
            base, quote = resting.pair.split("_")
            if resting.type == "sell":
                currency, amount = base, resting.amount
            else:
                currency, amount = quote, resting.amount * resting.rate
            user.funds[currency] = user.funds.get(currency, Decimal(0)) + amount
            return None
        order = self._find(user, order_id)
        if order is None:
            return "invalid order"
        if order.status not in ("open", PARTIAL):
            return "invalid status"
        self.engine.cancel(self.account_of(user), order_id)
        return None

    def cancel_order(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        order_id = params.get("order_id", "")
        if not order_id:
            return error(FIELDS)
        reason = self._cancel_one(api_key.user, order_id)
        if reason is not None:
            return error(reason)
        return success({"order_id": int(order_id), "funds": self._funds(api_key.user)})

    def cancel_orders(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        ids = [part.strip() for part in params.get("order_id", "").split(",")]
        if not ids or any(not i.isdigit() for i in ids):
            return error(FIELDS)
        results: dict[str, dict[str, Any]] = {}
        for order_id in dict.fromkeys(ids):
            reason = self._cancel_one(api_key.user, order_id)
            # "sucess": the document's own example spells the failure so.
            results[order_id] = {"success": 1} if reason is None else {"sucess": 0, "error": reason}
        return success({"cancel_result": results, "funds": self._funds(api_key.user)})

    # --- histories ---------------------------------------------------------------------
    def _trades(self, user: WexUser) -> list[tuple[int, dict[str, Any]]]:
        rows = []
        for o in self.engine.orders(self.account_of(user)):
            for index, (price, amount, when) in enumerate(o.fills):
                key = (o.order_id, index)
                if key not in self._trade_ids:
                    self._trade_ids[key] = self._next_trade
                    self._next_trade += 1
                rows.append(
                    (
                        self._trade_ids[key],
                        {
                            "pair": o.symbol,
                            "type": o.side,
                            "amount": bare(amount),
                            "rate": bare(price),
                            "order_id": int(o.order_id),
                            "is_your_order": 1,
                            "timestamp": math.floor(when),
                        },
                    )
                )
        return rows

    @staticmethod
    def _page(
        rows: list[tuple[int, dict[str, Any]]], params: Mapping[str, str], time_key: str
    ) -> dict[str, dict[str, Any]] | None:
        """The document's paging: from, count, from_id, end_id, order, since, end. None
        when a parameter is malformed."""
        numbers: dict[str, int] = {}
        for name in ("from", "count", "from_id", "end_id", "since", "end"):
            text = params.get(name)
            if text is not None:
                if not text.isdigit():
                    return None
                numbers[name] = int(text)
        order = params.get("order", "DESC").upper()
        if order not in ("ASC", "DESC"):
            return None
        if "since" in numbers or "end" in numbers:
            order = "ASC"
        kept = [
            (i, r)
            for i, r in rows
            if numbers.get("from_id", 0) <= i <= numbers.get("end_id", i)
            and numbers.get("since", 0) <= r[time_key] <= numbers.get("end", r[time_key])
        ]
        kept.sort(key=lambda item: item[0], reverse=order == "DESC")
        start = numbers.get("from", 0)
        kept = kept[start : start + numbers.get("count", 1000)]
        return {str(i): r for i, r in kept}

    def trade_history(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        pair = params.get("pair")
        if pair is not None and pair not in self.pairs:
            return error(f"Invalid pair name: {pair}")
        rows = [(i, r) for i, r in self._trades(api_key.user) if pair is None or r["pair"] == pair]
        page = self._page(rows, params, "timestamp")
        if page is None:
            return error(FIELDS)
        return success(page) if page else error("no trades")

    def trans_history(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        rows = [
            (tid, {**tx, "amount": bare(Decimal(tx["amount"]))})
            for tid, tx in api_key.user.transactions.items()
        ]
        page = self._page(rows, params, "timestamp")
        if page is None:
            return error(FIELDS)
        return success(page) if page else error("no transactions")

    # --- money out -------------------------------------------------------------------------
    def _coin_amount(self, params: Mapping[str, str]) -> tuple[str, Decimal] | web.Response:
        coin = params.get("coinName", "").upper()
        amount = _number(params.get("amount"))
        if not coin or amount is None:
            return error(FIELDS)
        if coin.lower() not in self.tapi.currencies:
            return error("Invalid coinName")
        if amount <= 0 or _places(amount) > AMOUNT_PLACES:
            return error(FIELDS)
        return coin, amount

    @staticmethod
    def _take(user: WexUser, coin: str, amount: Decimal, purpose: str) -> str | None:
        c = coin.lower()
        if user.funds.get(c, Decimal(0)) < amount:
            return f"It is not enough {coin} in the account {purpose}."
        user.funds[c] -= amount
        return None

    def withdraw_coin(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        checked = self._coin_amount(params)
        if isinstance(checked, web.Response):
            return checked
        coin, amount = checked
        address = params.get("address", "").strip()
        if not address:
            return error(FIELDS)
        if not (20 <= len(address) <= 100) or not address.isalnum():
            return error("Invalid address")
        minimum = WITHDRAW_MIN.get(coin)
        if minimum is None:
            return error("Invalid coinName")  # a fiat currency has no coin withdrawal
        if amount < minimum:
            return error(f"Minimal amount for withdrawal is {minimum} {coin}.")
        refused = self._take(api_key.user, coin, amount, "for withdrawal")
        if refused is not None:
            return error(refused)
        tid = self._record(api_key.user, 2, amount, coin, f"{coin} Withdrawal to {address}", 1)
        return success(
            {
                "tId": tid,
                "amountSent": bare(amount - WITHDRAW_FEES[coin]),
                "funds": self._funds(api_key.user),
            }
        )

    def create_coupon(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        checked = self._coin_amount(params)
        if isinstance(checked, web.Response):
            return checked
        coin, amount = checked
        receiver = params.get("receiver", "").strip()
        if receiver and not any(k.user.login == receiver for k in self.tapi.keys.values()):
            return error("Invalid receiver")
        refused = self._take(api_key.user, coin, amount, "for coupon")
        if refused is not None:
            return error(refused)
        tid = self._record(api_key.user, 5, amount, coin, f"{coin} Coupon", 2)
        digest = hashlib.sha256(f"wex-coupon-{tid}".encode()).hexdigest().upper()
        code = f"WEX{coin}{digest[:40]}"
        self.coupons[code] = {
            "currency": coin,
            "amount": amount,
            "receiver": receiver,
            "redeemed": False,
        }
        return success({"coupon": code, "transID": tid, "funds": self._funds(api_key.user)})

    def redeem_coupon(self, api_key: ApiKey, params: Mapping[str, str]) -> web.Response:
        code = params.get("coupon", "").strip()
        if not code:
            return error(FIELDS)
        coupon = self.coupons.get(code)
        if coupon is None:
            return error("Invalid coupon")
        if coupon["redeemed"]:
            return error("Coupon already redeemed")
        if coupon["receiver"] and coupon["receiver"] != api_key.user.login:
            return error("Coupon is for another user")
        coupon["redeemed"] = True
        coin, amount = str(coupon["currency"]), Decimal(coupon["amount"])
        c = coin.lower()
        api_key.user.funds[c] = api_key.user.funds.get(c, Decimal(0)) + amount
        tid = self._record(api_key.user, 4, amount, coin, f"{coin} Coupon", 2)
        return success(
            {
                "couponAmount": str(bare(amount)),
                "couponCurrency": coin,
                "transID": tid,
                "funds": self._funds(api_key.user),
            }
        )
