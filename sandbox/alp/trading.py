"""ALP.COM's trading and transfer methods, as the document gives them (seed 002).

Served, signed as every private call (``PrivateApi``'s v1/v3 guards):

- v1 ``POST /api/v1/order/`` (``type``, ``pair``, ``amount``, ``price``; form or JSON),
  ``POST /api/v1/order-cancel/`` (``order``), ``GET /api/v1/orders/own/`` (``type``,
  ``pair``, ``status``, ``limit``), ``GET /api/v1/order/<pk>/``, ``GET
  /api/v1/exchanges/own/`` (``type``, ``pair``, ``limit``, ``offset``, ``ordering``),
  ``GET /api/v1/deposits/`` and ``GET /api/v1/withdraws/`` (``currency_id``,
  ``status``);
- v3 ``GET``/``POST``/``DELETE /api/v3/orders`` and ``GET /api/v3/accounts/trades``;
  ``GET /api/v3/wallets/activity`` from the ledger every movement is written to.

Orders are matched by the shared engine (``sandbox.matching``) over the account's
wallets: ``balance`` is what is free, ``reserve`` what open orders hold. A limit order
that crosses the simulated price fills at once (its ``trades`` in v1's answer), the
rest as the engine sweeps; a v3 ``MARKET`` order fills at once. Fees are the
account's ``feeinfo`` rule for the pair (else its default): the taker rate.

Where the document is silent or contradicts itself:
- v1 statuses are 1 Active, 2 Canceled, 3 Done (the table); v3 writes ``OPEN`` in its
  example and ``FILLED`` in the trades' one; the sandbox uses ``OPEN``,
  ``PARTIALLY_FILLED``, ``FILLED`` and ``CANCELLED``.
- ``order/<pk>/``'s example sends no signature, but one account's order is nobody
  else's business: the call is signed here and an order of another account is 404.
  Its fields: ``amount`` is what is left, ``amount_original`` the order's amount and
  ``amount_filled`` (a string, as in the example) what filled; ``status`` a string.
- ``POST /api/v3/orders``: ``account_id`` must be the key's account when sent;
  ``wallet_type`` ``SPOT`` (margin is not served), ``order_type`` ``LIMIT`` (needs
  ``limit_price`` and ``base_amount``) or ``MARKET`` (``base_amount``, or
  ``quote_amount`` for a buy), ``tif`` ``GTC``. A ``client_order_id`` already used by
  the account is refused (a resent order is not placed twice), and v3 order objects
  echo ``client_order_id`` (the example lists the fields only in part; an id the
  server did not give back would serve no one). The answer is the bare order id, 201.
- The signature of a JSON body covers its top-level fields written as text (numbers
  with the digits they were sent with, an array such as ``order_ids`` as compact JSON,
  ``[1,5,8]``), sorted and url-encoded like form data.
- Refusals: v1 order calls answer 400 ``{"success": false, "error": reason}`` (the
  success flag of its example); v3 400 ``{"code": "BAD_REQUEST", "message": reason}``.
  Reasons: ``Insufficient funds.``, ``Amount is less than the minimum order size
  <min>.``, ``Amount is more than the maximum order size <max>.``, ``Price precision is
  <n> decimal places.``, ``Amount precision is <n> decimal places.``, ``Pair <pair> is
  not trading now.``, ``Order not found.``, ``Order is done or cancelled.``.
- Deposits carry no status in the document (a listed deposit is credited). Withdraws
  go 10 New → 20 Verified → 30 Approved, one step every ``WITHDRAW_STEP_SECONDS`` of
  market time as the engine sweeps, unless a test refuses (40) or cancels (50) one.
  The document has no call to create a withdrawal: tests add them (``withdrawal``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.alp.activity import DEPOSIT, ORDER, WITHDRAW, ActivityLedger
from sandbox.alp.catalogue import AlpPair, Positional, padded
from sandbox.alp.private import PrivateApi, SandboxAccount, Wallet
from sandbox.alp.replies import INVALID_CHOICE, field_error, int_param, not_found
from sandbox.matching import (
    CANCELLED,
    FILLED,
    INSUFFICIENT,
    PARTIAL,
    MatchError,
    MatchingEngine,
    SimOrder,
)
from sandbox.wire import json_response

WITHDRAW_STEP_SECONDS = 30
V1_STATUS = {"open": 1, PARTIAL: 1, "waiting": 1, CANCELLED: 2, FILLED: 3}
V3_STATUS = {"open": "OPEN", PARTIAL: "PARTIALLY_FILLED", CANCELLED: "CANCELLED", FILLED: "FILLED"}


class WalletFunds(MutableMapping[str, tuple[Decimal, Decimal]]):
    """An account's spot wallets as the engine's balance map (available, locked);
    every change the engine makes is a row of the wallet activity (an order's)."""

    def __init__(self, account: SandboxAccount, ledger: ActivityLedger | None = None) -> None:
        self.account = account
        self.ledger = ledger

    def __getitem__(self, key: str) -> tuple[Decimal, Decimal]:
        wallet = self.account.wallets[key.upper()]
        return wallet.balance, wallet.reserve

    def __setitem__(self, key: str, value: tuple[Decimal, Decimal]) -> None:
        code = key.upper()
        old = self.account.wallets.get(code)
        before = (old.balance, old.reserve) if old is not None else (Decimal(0), Decimal(0))
        self.account.wallets[code] = Wallet(value[0], value[1])
        if self.ledger is not None:
            self.ledger.record(self.account.id, code, ORDER, before, (value[0], value[1]))

    def __delitem__(self, key: str) -> None:
        del self.account.wallets[key.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.account.wallets))

    def __len__(self) -> int:
        return len(self.account.wallets)


@dataclass
class Transfer:
    id: int
    currency: str
    amount: Decimal
    timestamp: float
    status: int = 0  # withdraws only: 10, 20, 30, 40, 50


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def v1_order_refused(reason: str) -> web.Response:
    return json_response({"success": False, "error": reason}, status=400)


def v3_refused(reason: str) -> web.Response:
    return json_response({"code": "BAD_REQUEST", "message": reason}, status=400)


class AlpTrading:
    def __init__(
        self,
        private: PrivateApi,
        engine: MatchingEngine,
        pairs: Mapping[str, AlpPair],
        ledger: ActivityLedger | None = None,
    ) -> None:
        self.private = private
        self.engine = engine
        self.pairs = pairs
        self.ledger = ledger or ActivityLedger(engine.market.now)
        self.halted: set[str] = set()
        self.deposits: dict[str, list[Transfer]] = {}
        self.withdraws: dict[str, list[Transfer]] = {}
        self._next_transfer = 317
        self._trade_ids: dict[tuple[str, int], int] = {}
        self._next_trade = 6049
        engine.fee_rate_for = self._fee_rate
        for account in private.accounts.values():
            self.bind(account)
        private.on_account = self.bind

    def bind(self, account: SandboxAccount) -> None:
        self.engine.book(account.key, WalletFunds(account, self.ledger))

    def routes(self) -> list[web.RouteDef]:
        v1, v3 = self.private.v1, self.private.v3
        return [
            web.post("/api/v1/order/", v1(self.create_order)),
            web.post("/api/v1/order-cancel/", v1(self.cancel_order)),
            web.get("/api/v1/orders/own/", v1(self.own_orders)),
            web.get("/api/v1/order/{pk}/", v1(self.single_order)),
            web.get("/api/v1/exchanges/own/", v1(self.own_exchanges)),
            web.get("/api/v1/deposits/", v1(self.deposit_list)),
            web.get("/api/v1/withdraws/", v1(self.withdraw_list)),
            web.get("/api/v3/orders", v3(self.v3_orders)),
            web.post("/api/v3/orders", v3(self.v3_create)),
            web.delete("/api/v3/orders", v3(self.v3_cancel)),
            web.get("/api/v3/accounts/trades", v3(self.v3_trades)),
            web.get("/api/v3/wallets/activity", v3(self.v3_activity)),
        ]

    # --- helpers for tests ----------------------------------------------------------------
    def deposit(self, account: SandboxAccount, currency: str, amount: str | Decimal) -> int:
        """A deposit credited to ``account`` (listed by ``deposits/``)."""
        code = currency.upper()
        value = Decimal(amount)
        wallet = account.wallets.setdefault(code, Wallet(Decimal(0), Decimal(0)))
        before = (wallet.balance, wallet.reserve)
        wallet.balance += value
        self.ledger.record(account.id, code, DEPOSIT, before, (wallet.balance, wallet.reserve))
        transfer = Transfer(self._next_transfer, code, value, self.engine.market.now())
        self._next_transfer += 1
        self.deposits.setdefault(account.key, []).append(transfer)
        return transfer.id

    def withdrawal(
        self, account: SandboxAccount, currency: str, amount: str | Decimal, status: int = 10
    ) -> Transfer:
        """A withdrawal made on the website (the API has no call for one): it leaves the
        balance and goes through the documented statuses as time passes."""
        code = currency.upper()
        value = Decimal(amount)
        wallet = account.wallets[code]
        if wallet.balance < value:
            raise ValueError(f"{code}: not enough to withdraw {value}")
        before = (wallet.balance, wallet.reserve)
        wallet.balance -= value
        self.ledger.record(account.id, code, WITHDRAW, before, (wallet.balance, wallet.reserve))
        transfer = Transfer(self._next_transfer, code, value, self.engine.market.now(), status)
        self._next_transfer += 1
        self.withdraws.setdefault(account.key, []).append(transfer)
        return transfer

    def settle_withdrawal(self, account: SandboxAccount, transfer_id: int, status: int) -> None:
        """Refuse (40) or cancel (50) a withdrawal: its amount returns to the balance."""
        for transfer in self.withdraws.get(account.key, []):
            if transfer.id == transfer_id and transfer.status < 30:
                transfer.status = status
                if status in (40, 50):
                    wallet = account.wallets[transfer.currency]
                    before = (wallet.balance, wallet.reserve)
                    wallet.balance += transfer.amount
                    after = (wallet.balance, wallet.reserve)
                    self.ledger.record(account.id, transfer.currency, WITHDRAW, before, after)

    def sweep(self) -> None:
        self.engine.sweep()
        now = self.engine.market.now()
        for transfers in self.withdraws.values():
            for t in transfers:
                if t.status in (10, 20):
                    steps = int((now - t.timestamp) // WITHDRAW_STEP_SECONDS)
                    t.status = min(30, 10 + 10 * steps) if steps else t.status

    def _fee_rate(self, order: SimOrder) -> Decimal:
        account = self.private.accounts.get(order.account)
        if account is None:
            return self.engine.fee_rate
        rules = [r for r in account.fees if r.is_active and r.pair in ("", order.symbol)]
        rules.sort(key=lambda r: (r.pair != order.symbol, r.priority))
        return rules[0].taker_fee_rate if rules else self.engine.fee_rate

    # --- placing ----------------------------------------------------------------------------
    def _check(self, pair: AlpPair, amount: Decimal, price: Decimal | None) -> str | None:
        if pair.name in self.halted:
            return f"Pair {pair.name} is not trading now."
        if amount <= 0 or amount < Decimal(pair.minimum_order_size):
            return f"Amount is less than the minimum order size {pair.minimum_order_size}."
        if amount > Decimal(pair.maximum_order_size):
            return f"Amount is more than the maximum order size {pair.maximum_order_size}."
        if _places(amount) > pair.amount_precision:
            return f"Amount precision is {pair.amount_precision} decimal places."
        if price is not None:
            if price <= 0:
                return "Price must be positive."
            if _places(price) > pair.price_precision:
                return f"Price precision is {pair.price_precision} decimal places."
        return None

    def _place(
        self,
        account: SandboxAccount,
        pair: AlpPair,
        side: str,
        amount: Decimal,
        price: Decimal | None,
        client_order_id: str | None = None,
    ) -> SimOrder | str:
        try:
            order = self.engine.place(
                account.key,
                symbol=pair.name,
                base=pair.base,
                quote=pair.quote,
                side=side,
                amount=amount,
                price=price,
                client_order_id=client_order_id,
            )
        except MatchError as exc:
            return "Insufficient funds." if exc.reason == INSUFFICIENT else str(exc)
        self.engine.sweep()
        return order

    async def create_order(self, request: web.Request, account: SandboxAccount) -> web.Response:
        form = await _fields(request)
        missing = [k for k in ("type", "pair", "amount", "price") if not form.get(k)]
        if missing:
            return json_response({k: ["This field is required."] for k in missing}, status=400)
        pair = self.pairs.get(form["pair"])
        if pair is None:
            return field_error("pair", INVALID_CHOICE)
        if form["type"] not in ("buy", "sell"):
            return field_error("type", INVALID_CHOICE)
        amount, price = _number(form["amount"]), _number(form["price"])
        if amount is None or price is None:
            return v1_order_refused("Amount and price must be numbers.")
        refused = self._check(pair, amount, price)
        if refused is not None:
            return v1_order_refused(refused)
        placed = self._place(account, pair, form["type"], amount, price)
        if isinstance(placed, str):
            return v1_order_refused(placed)
        return json_response(
            {
                "success": True,
                "type": placed.side,
                "date": Positional(Decimal(repr(placed.created_at))),
                "oid": int(placed.order_id),
                "price": padded(price, pair.price_precision),
                "amount": padded(placed.remaining, pair.amount_precision),
                "trades": [
                    {
                        "type": "sell" if placed.side == "buy" else "buy",
                        "price": padded(p, pair.price_precision),
                        "o_id": 0,
                        "amount": padded(a, pair.amount_precision),
                        "tid": self._trade_id(placed, i),
                    }
                    for i, (p, a, _) in enumerate(placed.fills)
                ],
            }
        )

    async def cancel_order(self, request: web.Request, account: SandboxAccount) -> web.Response:
        form = await _fields(request)
        order_id = form.get("order", "")
        if not order_id:
            return json_response({"order": ["This field is required."]}, status=400)
        try:
            order = self.engine.get(account.key, order_id)
        except MatchError:
            return v1_order_refused("Order not found.")
        if not order.is_open:
            return v1_order_refused("Order is done or cancelled.")
        self.engine.cancel(account.key, order_id)
        return json_response({"order": int(order_id)})

    # --- reading orders ---------------------------------------------------------------------
    def _trade_id(self, order: SimOrder, index: int) -> int:
        key = (order.order_id, index)
        if key not in self._trade_ids:
            self._trade_ids[key] = self._next_trade
            self._next_trade += 1
        return self._trade_ids[key]

    def _pair_of(self, order: SimOrder) -> AlpPair:
        return self.pairs[order.symbol]

    async def own_orders(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        limit = int_param(request, "limit", 2000)
        if isinstance(limit, web.Response):
            return limit
        wanted_type = request.query.get("type")
        if wanted_type not in (None, "", "buy", "sell"):
            return field_error("type", INVALID_CHOICE)
        pair = request.query.get("pair") or None
        if pair is not None and pair not in self.pairs:
            return field_error("pair", INVALID_CHOICE)
        status = request.query.get("status")
        if status not in (None, "", "1", "2", "3"):
            return field_error("status", INVALID_CHOICE)
        rows = []
        for o in self.engine.orders(account.key, pair):
            code = V1_STATUS[o.status]
            if (wanted_type and o.side != wanted_type) or (status and code != int(status)):
                continue
            p = self._pair_of(o)
            rows.append(
                {
                    "amount": padded(o.amount, p.amount_precision),
                    "pair": o.symbol,
                    "type": o.side,
                    "status": code,
                    "price": padded(o.price or o.average or Decimal(0), p.price_precision),
                    "id": int(o.order_id),
                }
            )
        return json_response(rows[: limit or None])

    async def single_order(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        try:
            o = self.engine.get(account.key, request.match_info["pk"])
        except MatchError:
            return not_found()
        p = self._pair_of(o)
        return json_response(
            {
                "id": int(o.order_id),
                "date": int(o.created_at * 1000),
                "pair": o.symbol,
                "type": o.side,
                "price": padded(o.price or o.average or Decimal(0), p.price_precision),
                "amount": padded(o.remaining, p.amount_precision),
                "amount_filled": str(padded(o.filled, p.amount_precision)),
                "amount_original": Positional(o.amount.normalize()),
                "status": str(V1_STATUS[o.status]),
            }
        )

    def _fills(self, account: SandboxAccount) -> list[tuple[int, SimOrder, int]]:
        found = []
        for o in self.engine.orders(account.key):
            for index in range(len(o.fills)):
                found.append((self._trade_id(o, index), o, index))
        return found

    async def own_exchanges(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        limit = int_param(request, "limit", 100)
        offset = int_param(request, "offset", 0)
        for value in (limit, offset):
            if isinstance(value, web.Response):
                return value
        assert isinstance(limit, int) and isinstance(offset, int)
        ordering = request.query.get("ordering", "-id")
        if ordering not in ("id", "-id"):
            return field_error("ordering", INVALID_CHOICE)
        wanted_type = request.query.get("type")
        pair = request.query.get("pair") or None
        if pair is not None and pair not in self.pairs:
            return field_error("pair", INVALID_CHOICE)
        rows: list[tuple[int, dict[str, Any]]] = []
        for trade_id, o, index in self._fills(account):
            if (pair and o.symbol != pair) or (wanted_type and o.side != wanted_type):
                continue
            price, amount, when = o.fills[index]
            rows.append(
                (
                    trade_id,
                    {
                        "id": trade_id,
                        "account_id": account.id,
                        "price": padded(price, 8),
                        "pair": o.symbol,
                        "type": o.side,
                        "timestamp": Positional(Decimal(repr(when))),
                        "amount": padded(amount, 8),
                    },
                )
            )
        rows.sort(key=lambda r: r[0], reverse=ordering == "-id")
        return json_response([row for _, row in rows[offset : offset + limit]])

    async def deposit_list(self, request: web.Request, account: SandboxAccount) -> web.Response:
        return json_response(
            [
                {
                    "timestamp": Positional(Decimal(repr(t.timestamp))),
                    "id": t.id,
                    "currency": t.currency,
                    "amount": padded(t.amount, 8),
                }
                for t in reversed(self.deposits.get(account.key, []))
            ]
        )

    async def withdraw_list(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        currency = request.query.get("currency_id") or None
        status = request.query.get("status") or None
        if status is not None and status not in ("10", "20", "30", "40", "50"):
            return field_error("status", INVALID_CHOICE)
        return json_response(
            [
                {
                    "id": t.id,
                    "timestamp": Positional(Decimal(repr(t.timestamp))),
                    "currency": t.currency,
                    "amount": padded(t.amount, 8),
                    "status": t.status,
                }
                for t in reversed(self.withdraws.get(account.key, []))
                if (currency is None or t.currency == currency)
                and (status is None or t.status == int(status))
            ]
        )

    # --- v3 ------------------------------------------------------------------------------------
    def _stamp(self, when: float) -> str:
        return datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="microseconds")

    def _v3_order(self, account: SandboxAccount, o: SimOrder) -> dict[str, Any]:
        done = not o.is_open
        return {
            "id": int(o.order_id),
            "account_id": account.id,
            "pair": o.symbol,
            "wallet_type": "SPOT",
            "side": o.side.upper(),
            "type": "MARKET" if o.price is None else "LIMIT",
            "tif": "GTC",
            "price": Positional((o.price or o.average or Decimal(0)).normalize()),
            "stop_price": 0,
            "amount": Positional(o.amount.normalize()),
            "amount_filled": Positional(o.filled.normalize()),
            "amount_cancelled": Positional(
                (o.remaining if o.status == CANCELLED else Decimal(0)).normalize()
            ),
            "status": V3_STATUS.get(o.status, "OPEN"),
            "client_order_id": o.client_order_id or "",
            "date": self._stamp(o.created_at),
            "updated_at": self._stamp(o.updated_at),
            "open_at": self._stamp(o.created_at),
            "expire_after": "",
            "done_at": self._stamp(o.updated_at) if done else "",
        }

    def window(self, request: web.Request) -> tuple[float, float] | web.Response:
        """``start_time``/``end_time`` (RFC 3339), at most 30 days apart; 30 days back
        from now when neither is given, 30 days from the one given otherwise."""
        span = 30 * 86400.0
        parsed: dict[str, float] = {}
        for name in ("start_time", "end_time"):
            text = request.query.get(name)
            if text:
                try:
                    parsed[name] = datetime.fromisoformat(text).timestamp()
                except ValueError:
                    return v3_refused(f"{name} must be in the format 2006-01-02T15:04:05Z07:00")
        now = self.engine.market.now()
        start = parsed.get("start_time")
        end = parsed.get("end_time")
        if start is None and end is None:
            return now - span, now + 1
        if start is None:
            assert end is not None
            start = end - span
        if end is None:
            end = start + span
        if end - start > span:
            return v3_refused("start_time and end_time must not be more than 30 days apart")
        return start, end

    async def v3_orders(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        pair = request.query.get("pair") or None
        if pair is not None and pair not in self.pairs:
            return v3_refused(f"unknown pair {pair}")
        side = request.query.get("side")
        if side not in (None, "", "BUY", "SELL"):
            return v3_refused("side must be BUY or SELL")
        open_only = request.query.get("open_only", "").lower() in ("1", "true", "t")
        start, end = window
        return json_response(
            [
                self._v3_order(account, o)
                for o in self.engine.orders(account.key, pair, open_only=open_only)
                if (not side or o.side == side.lower()) and start <= o.created_at < end
            ]
        )

    async def v3_create(self, request: web.Request, account: SandboxAccount) -> web.Response:
        try:
            body = json.loads(await request.read(), parse_float=Decimal)
        except ValueError:
            return v3_refused("the body is not valid JSON")
        if not isinstance(body, dict):
            return v3_refused("the body must be a JSON object")
        if body.get("account_id") not in (None, "", account.id):
            return v3_refused("account_id does not belong to this key")
        if body.get("wallet_type", "SPOT") != "SPOT":
            return v3_refused("wallet_type must be SPOT")
        if body.get("tif", "GTC") not in ("GTC", ""):
            return v3_refused("tif must be GTC")
        pair = self.pairs.get(str(body.get("pair") or ""))
        if pair is None:
            return v3_refused(f"unknown pair {body.get('pair')!r}")
        side = str(body.get("order_side") or "")
        kind = str(body.get("order_type") or "")
        if side not in ("BUY", "SELL"):
            return v3_refused("order_side must be BUY or SELL")
        if kind not in ("LIMIT", "MARKET"):
            return v3_refused("order_type must be LIMIT or MARKET")
        client_id = str(body.get("client_order_id") or "") or None
        if client_id is not None:
            if len(client_id) > 64:
                return v3_refused("client_order_id is longer than 64 characters")
            if self.engine.by_client_id(account.key, client_id) is not None:
                return v3_refused(f"client_order_id {client_id} already exists")
        amount = _number(body.get("base_amount") or 0)
        quote_amount = _number(body.get("quote_amount") or 0)
        price = _number(body.get("limit_price") or 0) if kind == "LIMIT" else None
        if amount is None or quote_amount is None or (kind == "LIMIT" and price is None):
            return v3_refused("amounts and prices must be numbers")
        if kind == "LIMIT":
            if not amount or not price:
                return v3_refused("limit_price and base_amount are required for LIMIT orders")
            if quote_amount:
                return v3_refused("quote_amount is allowed for MARKET orders only")
        elif not amount:
            if not quote_amount or side != "BUY":
                return v3_refused("base_amount (or quote_amount for a BUY) is required")
            _, ask = self.engine.bid_ask(pair.base, pair.quote)
            step = Decimal(1).scaleb(-pair.amount_precision)
            amount = (quote_amount / ask).quantize(step, ROUND_DOWN)
        refused = self._check(pair, amount, price)
        if refused is not None:
            return v3_refused(refused)
        placed = self._place(account, pair, side.lower(), amount, price, client_id)
        if isinstance(placed, str):
            return v3_refused(placed)
        return json_response(int(placed.order_id), status=201)

    async def v3_cancel(self, request: web.Request, account: SandboxAccount) -> web.Response:
        """``DELETE /api/v3/orders``: ``order_ids``, or ``all`` true (optionally one
        ``pair``). 202 when something was cancelled, 204 when nothing was; ids of orders
        that are not the account's, or no longer open, are passed over."""
        try:
            body = json.loads(await request.read() or b"{}", parse_float=Decimal)
        except ValueError:
            return v3_refused("the body is not valid JSON")
        if not isinstance(body, dict):
            return v3_refused("the body must be a JSON object")
        ids = body.get("order_ids")
        everything = body.get("all", False)
        pair = str(body.get("pair") or "")
        if not isinstance(everything, bool):
            return v3_refused("all must be a boolean")
        if ids is not None and (
            not isinstance(ids, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            return v3_refused("order_ids must be a list of order ids")
        if not everything and not ids:
            return v3_refused("rather order_ids or all=true must be specified")
        if pair and pair not in self.pairs:
            return v3_refused(f"unknown pair {pair}")
        self.sweep()
        open_orders = self.engine.orders(account.key, pair or None, open_only=True)
        wanted = {str(i) for i in ids or []}
        targets = [o for o in open_orders if everything or o.order_id in wanted]
        for order in targets:
            self.engine.cancel(account.key, order.order_id)
        return web.Response(status=202 if targets else 204)

    async def v3_trades(self, request: web.Request, account: SandboxAccount) -> web.Response:
        self.sweep()
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        pair = request.query.get("pair") or None
        if pair is not None and pair not in self.pairs:
            return v3_refused(f"unknown pair {pair}")
        side = request.query.get("side")
        if side not in (None, "", "BUY", "SELL"):
            return v3_refused("side must be BUY or SELL")
        start, end = window
        rows = []
        for _, o, index in sorted(self._fills(account), key=lambda f: -f[0]):
            price, amount, when = o.fills[index]
            if (pair and o.symbol != pair) or (side and o.side != side.lower()):
                continue
            if not start <= when < end:
                continue
            rate = self._fee_rate(o)
            fee = amount * rate if o.side == "buy" else amount * price * rate
            unfilled = o.amount - sum((a for _, a, _ in o.fills[: index + 1]), Decimal(0))
            rows.append(
                {
                    "date": self._stamp(when),
                    "status": "FILLED" if unfilled <= 0 else "PARTIALLY_FILLED",
                    "side": o.side.upper(),
                    "type": "MARKET" if o.price is None else "LIMIT",
                    "price": Positional(price.normalize()),
                    "amount": Positional(amount.normalize()),
                    "amount_unfilled": Positional(unfilled.normalize()),
                    "fee_rate": Positional(rate.normalize()),
                    "fee_amount": Positional(fee.normalize()),
                    "is_maker": o.price is not None,
                    "account_id": account.id,
                    "currency": "",
                    "pair": o.symbol,
                    "fee_currency": o.base if o.side == "buy" else o.quote,
                    "wallet_type": "SPOT",
                }
            )
        return json_response(rows)

    async def v3_activity(self, request: web.Request, account: SandboxAccount) -> web.Response:
        """``GET /api/v3/wallets/activity`` (``currency``, ``side``, the 30-day window)."""
        self.sweep()
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        currency = (request.query.get("currency") or "").upper() or None
        known = set(self.private.currencies) | set(account.wallets)
        if currency is not None and currency not in known:
            return v3_refused(f"unknown currency {currency}")
        side = request.query.get("side") or None
        if side not in (None, "BUY", "SELL"):
            return v3_refused("side must be BUY or SELL")
        start, end = window
        return self.ledger.answer(account.id, currency=currency, side=side, start=start, end=end)


async def _fields(request: web.Request) -> dict[str, str]:
    """The POST data of a v1 call: a form, or a JSON object ("All HTTP methods accept
    JSON")."""
    raw = await request.read()
    if request.content_type == "application/json":
        try:
            body = json.loads(raw, parse_float=str, parse_int=str)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    post = await request.post()
    return {k: str(v) for k, v in post.items()}
