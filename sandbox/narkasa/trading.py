"""Narkasa's signed market and balance endpoints that move money (seed 001).

Served under ``/v3/api`` (parameters in the query string, signed like every signed
call, see ``accounts.check_signed``):
- ``market/limit-buy`` / ``limit-sell`` (``symbol``, ``price``, ``amount``),
  ``market/market-buy`` / ``market-sell`` (``symbol``, ``amount``),
  ``market/stop-limit-buy`` / ``stop-limit-sell`` (``symbol``, ``price``, ``target``,
  ``amount``), ``market/fast-buy`` (``symbol``, ``total``) and ``market/fast-sell``
  (``symbol``, ``amount``), all POST, each answering the document's ``order`` object;
- ``market/user-orders`` (GET, active orders, numeric ``side``/``orderType``),
  ``market/cancel-order`` (POST ``orderId``), ``market/user-trades`` (GET);
- ``balance/withdraw`` (POST ``symbol``: channels, fees, the saved address list),
  ``balance/create-withdraw`` (POST), ``balance/withdraw-history`` and
  ``balance/deposit-history`` (GET, the last five).

Orders are matched by ``sandbox.matching.MatchingEngine`` against the simulated
market: a limit order fills when the venue's price crosses it (at once, before the
answer, when it already does), a market or fast order
at once at the best bid/ask, a stop-limit order rests until its ``target`` is reached.
Commission is the markets' 0.2 % (``market/info``'s ``commission``).

Where the document is silent, the sandbox chooses:
- Validation order: missing parameter 20005, unknown symbol 10037, disabled market
  10038, then each number (20007 price, 20008 target, 20009 amount, 20012 total: not
  a positive number), then places: a price or amount with more places than
  ``precision`` allows is 90001 "Invalid Request" (the document has no precision
  code), then 10040 under ``minAmount``, 10039 under ``minTradeTotal``, the price bands
  (a buy under 40 % of the last price 10062, a sell over 250 % of it 10061), then the
  balance (10031).
- Order ids are 72 hex digits like the document's. Market and fast orders answer
  without ``orderId``, as the document's examples do; their ``orderUpdate`` pushes
  carry it.
- ``user-trades`` lists the newest first, up to 50; its rows carry no order id
  (the document's have none). Fast buy spends ``total`` of the quote at the ask.
- Withdrawals: ``create-withdraw`` needs ``node`` (a channel of the currency; 10029
  otherwise), reserves amount + channel commission and enters the history at state
  11 (Pending); the background sweep moves it to 13 (Resuming) after half of
  ``withdrawal_seconds`` of market time and to 14 (Completed) after all of it, taking
  the reserved funds (``settle_withdrawals()`` completes every one at once);
  ``end_withdrawal(id, 98|99)`` rejects or cancels a pending one and gives the funds
  back. An address is "valid" when it has 10 to 100 letters and digits (10063
  otherwise); XRP-like currencies are not listed, so ``secondParameter`` is accepted
  and kept. The answer is ``{"code": "00000"}`` alone.
- Deposits enter only through ``credit_deposit()`` (tests, demos): completed (14) at
  once, credited to ``available`` and pushed as a ``balanceUpdate``; or ``pending``:
  11, then 12 (Validating), then 14 and credited, moved by the sweep over
  ``deposit_seconds``. A pending deposit's ``activeConfirmation`` is below its
  ``totalConfirmation``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.matching import (
    CANCELLED,
    FILLED,
    INSUFFICIENT,
    PARTIAL,
    WAITING,
    MatchError,
    MatchingEngine,
    SimOrder,
)
from sandbox.narkasa.accounts import CURRENCY_BY_SYMBOL, Account

if TYPE_CHECKING:
    from sandbox.narkasa.server import NarkasaMarket

PREFIX = "/v3/api"
FEE_RATE = Decimal("0.002")
HISTORY_SIZE = 5
TRADES_SIZE = 50
WITHDRAW_PENDING = 11
WITHDRAW_COMPLETED = 14
WITHDRAW_RESUMING = 13
DEPOSIT_PENDING = 11
DEPOSIT_VALIDATING = 12
WITHDRAW_REJECTED = 98
WITHDRAW_CANCELLED = 99
DEPOSIT_COMPLETED = 14
_ADDRESS = re.compile(r"[A-Za-z0-9]{10,100}")
# Withdrawal commission per channel (the document's example: 0.0005 for BTC).
CHANNEL_FEES: dict[str, Decimal] = {
    "BTC": Decimal("0.0005"),
    "ERC20": Decimal("0.005"),
    "TRC20": Decimal("1"),
    "LTC": Decimal("0.001"),
    "DOGE": Decimal("5"),
    "SOL": Decimal("0.01"),
    "VAKIFBANK": Decimal("0"),
}
MIN_WITHDRAW: dict[str, Decimal] = {
    "TRY": Decimal("100"),
    "BTC": Decimal("0.0001"),
    "ETH": Decimal("0.005"),
    "USDT": Decimal("10"),
    "LTC": Decimal("0.01"),
    "TRX": Decimal("10"),
    "DOGE": Decimal("50"),
    "SOL": Decimal("0.1"),
}

Reply = Callable[..., web.Response]
Fail = Callable[[int], web.Response]


@dataclass
class Transfer:
    id: str
    key: str
    symbol: str
    amount: Decimal
    time: int
    state: int
    txid: str = ""
    node: str = ""
    address: str = ""
    fee: Decimal = Decimal(0)
    memo: str | None = None


@dataclass
class TradeRow:
    symbol: str
    price: Decimal
    amount: Decimal
    side: int
    order_type: int
    commission: Decimal
    commission_symbol: str
    time: int


@dataclass
class Ledger:
    """What the sandbox keeps per account beyond balances."""

    trades: list[TradeRow] = field(default_factory=list)
    withdrawals: list[Transfer] = field(default_factory=list)
    deposits: list[Transfer] = field(default_factory=list)


def _hex_id(kind: str, n: int) -> str:
    return hashlib.sha256(f"narkasa-{kind}-{n}".encode()).hexdigest() + "c0ffee00"


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class NarkasaTrading:
    """Orders, trades, withdrawals and deposits of the Narkasa sandbox's accounts."""

    def __init__(
        self,
        engine: MatchingEngine,
        markets: Mapping[str, NarkasaMarket],
        accounts: Mapping[str, Account],
        *,
        ok: Reply,
        error: Fail,
        push: Callable[[str, list[dict[str, Any]]], None],
    ) -> None:
        self.engine = engine
        self.markets = markets
        self.accounts = accounts
        self._ok = ok
        self._error = error
        self._push = push
        self.withdrawal_seconds = 5.0
        self.deposit_seconds = 5.0
        self.ledgers: dict[str, Ledger] = {}
        self._ext: dict[str, str] = {}  # engine id -> wire id
        self._int: dict[str, str] = {}  # wire id -> engine id
        self._transfer_ids = itertools.count(1)
        self._fills_seen: dict[str, int] = {}
        self._types: dict[str, int] = {}  # engine id -> orderType code
        self._task: asyncio.Task[None] | None = None
        engine.listeners.append(self._on_order)

    # --- accounts ---------------------------------------------------------------------
    def bind(self, account: Account) -> None:
        self.engine.book(account.key, account.balances)
        self.ledgers.setdefault(account.key, Ledger())

    def ledger(self, key: str) -> Ledger:
        return self.ledgers.setdefault(key, Ledger())

    # --- background -------------------------------------------------------------------
    async def start(self, app: web.Application) -> None:
        self._task = asyncio.create_task(self._run(), name="narkasa-sandbox-matching")

    async def stop(self, app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self.sweep()
            await asyncio.sleep(0.2)

    def sweep(self) -> None:
        """Match orders, then move transfers along their documented states: a
        withdrawal 11 (Pending) → 13 (Resuming) at half of ``withdrawal_seconds`` → 14
        (Completed); a pending deposit 11 → 12 (Validating) → 14 after
        ``deposit_seconds`` (credited then)."""
        self.engine.sweep()
        now_ms = self.engine.market.now() * 1000
        for key, ledger in self.ledgers.items():
            for w in ledger.withdrawals:
                if w.state not in (WITHDRAW_PENDING, WITHDRAW_RESUMING):
                    continue
                age = now_ms - w.time
                if age >= self.withdrawal_seconds * 1000:
                    self._complete(key, w)
                elif age >= self.withdrawal_seconds * 500:
                    w.state = WITHDRAW_RESUMING
            for d in ledger.deposits:
                if d.state == DEPOSIT_COMPLETED:
                    continue
                age = now_ms - d.time
                if age >= self.deposit_seconds * 1000:
                    self._credit(key, d)
                elif age >= self.deposit_seconds * 500:
                    d.state = DEPOSIT_VALIDATING

    # --- wire ids -----------------------------------------------------------------------
    def wire_id(self, order: SimOrder) -> str:
        found = self._ext.get(order.order_id)
        if found is None:
            found = _hex_id("order", int(order.order_id))
            self._ext[order.order_id] = found
            self._int[found] = order.order_id
        return found

    # --- orders -------------------------------------------------------------------------
    def routes(self, signed: Callable[[web.Request], Any]) -> list[web.RouteDef]:
        self._signed = signed
        out = []
        for kind in ("limit", "market", "stop-limit", "fast"):
            for side in ("buy", "sell"):
                out.append(
                    web.post(f"{PREFIX}/market/{kind}-{side}", self._order_handler(kind, side))
                )
        out += [
            web.get(f"{PREFIX}/market/user-orders", self.user_orders),
            web.post(f"{PREFIX}/market/cancel-order", self.cancel_order),
            web.get(f"{PREFIX}/market/user-trades", self.user_trades),
            web.post(f"{PREFIX}/balance/withdraw", self.withdraw_info),
            web.post(f"{PREFIX}/balance/create-withdraw", self.create_withdraw),
            web.get(f"{PREFIX}/balance/withdraw-history", self.withdraw_history),
            web.get(f"{PREFIX}/balance/deposit-history", self.deposit_history),
        ]
        return out

    def _auth(self, request: web.Request) -> tuple[Account, dict[str, str]] | web.Response:
        signed = self._signed(request)
        if isinstance(signed, web.Response):
            return signed
        self.bind(signed[0])
        self.sweep()
        return signed  # type: ignore[no-any-return]

    def _order_handler(self, kind: str, side: str) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            signed = self._auth(request)
            if isinstance(signed, web.Response):
                return signed
            account, params = signed
            return self.place(account, kind, side, params)

        return handle

    def place(
        self, account: Account, kind: str, side: str, params: Mapping[str, str]
    ) -> web.Response:
        needed = {
            "limit": ("symbol", "price", "amount"),
            "market": ("symbol", "amount"),
            "stop-limit": ("symbol", "price", "target", "amount"),
            "fast": ("symbol", "total" if side == "buy" else "amount"),
        }[kind]
        if any(not params.get(name) for name in needed):
            return self._error(20005)
        m = self.markets.get(params["symbol"])
        if m is None:
            return self._error(10037)
        if not m.enabled:
            return self._error(10038)
        numbers: dict[str, Decimal] = {}
        for name, code in (
            ("price", 20007),
            ("target", 20008),
            ("amount", 20009),
            ("total", 20012),
        ):
            if name not in needed:
                continue
            try:
                value = Decimal(params[name])
            except InvalidOperation:
                return self._error(code)
            if not value.is_finite() or value <= 0:
                return self._error(code)
            numbers[name] = value
        for name, places in (
            ("price", m.price_places),
            ("target", m.price_places),
            ("amount", m.amount_places),
            ("total", m.total_places),
        ):
            if name in numbers and _places(numbers[name]) > places:
                return self._error(90001)
        bid, ask = self.engine.bid_ask(m.base, m.quote)
        last = self.engine.last(m.base, m.quote)
        price = numbers.get("price")
        if "total" in numbers:
            amount = (numbers["total"] / ask).quantize(
                Decimal(1).scaleb(-m.amount_places), rounding="ROUND_DOWN"
            )
            if amount <= 0:
                return self._error(10040)
        else:
            amount = numbers["amount"]
        if amount < Decimal(m.min_amount):
            return self._error(10040)
        at = price if price is not None else (ask if side == "buy" else bid)
        if amount * at < Decimal(m.min_total):
            return self._error(10039)
        if price is not None and side == "buy" and price < last * Decimal("0.4"):
            return self._error(10062)
        if price is not None and side == "sell" and price > last * Decimal("2.5"):
            return self._error(10061)
        type_code = {"limit": 0, "market": 1, "stop-limit": 2, "fast": 3}[kind]
        try:
            order = self._place(account, m, side, amount, price, numbers.get("target"), type_code)
        except MatchError as exc:
            return self._error(10031 if exc.reason == INSUFFICIENT else 90000)
        # A limit order the price already crosses executes on arrival, as on any
        # matching engine: the answer shows it filled.
        self.engine.sweep()
        return self._ok(order=self.answer(order, kind))

    def _place(
        self,
        account: Account,
        m: NarkasaMarket,
        side: str,
        amount: Decimal,
        price: Decimal | None,
        target: Decimal | None,
        type_code: int,
    ) -> SimOrder:
        # The type must be known before the engine tells its listeners of the new order.
        self._next_type = type_code
        try:
            return self.engine.place(
                account.key,
                symbol=m.symbol,
                base=m.base,
                quote=m.quote,
                side=side,
                amount=amount,
                price=price,
                stop_price=target,
            )
        finally:
            self._next_type = None

    _next_type: int | None = None

    def answer(self, order: SimOrder, kind: str) -> dict[str, Any]:
        """The ``order`` object of a placing answer, shaped as the document's example of
        that kind."""
        side = order.side.upper()
        base: dict[str, Any] = {"status": _status(order)}
        if kind in ("limit", "stop-limit"):
            base["orderId"] = self.wire_id(order)
        base["market"] = order.symbol
        base["orderType"] = {
            "limit": "LIMIT",
            "market": "MARKET",
            "stop-limit": "STOP LIMIT",
            "fast": "FAST",
        }[kind]
        if kind == "stop-limit":
            base["stopType"] = "GREATER" if order.side == "buy" else "LESS"
        base["side"] = side
        if kind == "stop-limit":
            base["target"] = order.stop_price
        if kind == "fast" and order.side == "buy":
            base["total"] = order.filled_quote
            base["filledTotal"] = order.filled_quote
        else:
            if order.price is not None:
                base["price"] = order.price
            base["amount"] = order.amount
            if kind != "stop-limit":
                base["filledAmount"] = order.filled
        base["time"] = int(order.created_at * 1000)
        return base

    def stream_order(self, order: SimOrder) -> dict[str, Any]:
        """An ``orderUpdate``'s ``order``: numeric codes, as the document's example."""
        return {
            "status": _status(order),
            "market": order.symbol,
            "orderType": self._types.get(order.order_id, 0),
            "side": 0 if order.side == "buy" else 1,
            "price": order.price if order.price is not None else (order.average or Decimal(0)),
            "amount": order.amount,
            "filledAmount": order.filled,
            "stopType": 1 if order.side == "buy" else 0,
            "targetPrice": order.stop_price or Decimal(0),
            "orderId": self.wire_id(order),
            "time": int(order.created_at * 1000),
        }

    def _on_order(self, order: SimOrder) -> None:
        if order.order_id not in self._types:
            self._types[order.order_id] = self._next_type if self._next_type is not None else 0
        ledger = self.ledger(order.account)
        seen = self._fills_seen.get(order.order_id, 0)
        for price, amount, at in order.fills[seen:]:
            fee_symbol = order.base if order.side == "buy" else order.quote
            fee = (amount if order.side == "buy" else amount * price) * self.engine.fee_rate
            ledger.trades.append(
                TradeRow(
                    symbol=order.symbol,
                    price=price,
                    amount=amount,
                    side=0 if order.side == "buy" else 1,
                    order_type=self._types[order.order_id],
                    commission=fee.quantize(Decimal("1e-8")),
                    commission_symbol=fee_symbol,
                    time=int(at * 1000),
                )
            )
        self._fills_seen[order.order_id] = len(order.fills)
        self._push(order.account, [{"type": "orderUpdate", "order": self.stream_order(order)}])
        account = self.accounts.get(order.account)
        if account is not None:
            self.push_balances(account, order.base, order.quote)

    async def user_orders(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, _ = signed
        out = []
        for o in self.engine.orders(account.key, open_only=True):
            out.append(
                {
                    "market": o.symbol,
                    "price": o.price,
                    "targetPrice": o.stop_price or 0,
                    "amount": o.amount,
                    "filledAmount": o.filled,
                    "side": 0 if o.side == "buy" else 1,
                    "time": int(o.created_at * 1000),
                    "orderType": self._types.get(o.order_id, 0),
                    "orderId": self.wire_id(o),
                }
            )
        return self._ok(orders=out)

    async def cancel_order(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, params = signed
        wire = params.get("orderId")
        if not wire:
            return self._error(20005)
        internal = self._int.get(wire)
        if internal is None:
            return self._error(10075)
        try:
            self.engine.cancel(account.key, internal)
        except MatchError:
            return self._error(10075)
        return self._ok()

    async def user_trades(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, _ = signed
        rows = sorted(self.ledger(account.key).trades, key=lambda t: t.time, reverse=True)
        out = [
            {
                "symbol": t.symbol,
                "price": t.price,
                "amount": t.amount,
                "side": t.side,
                "orderType": t.order_type,
                "commission": t.commission,
                "commissionSymbol": t.commission_symbol,
                "time": t.time,
            }
            for t in rows[:TRADES_SIZE]
        ]
        return self._ok(trades=out)

    # --- withdrawals and deposits -------------------------------------------------------
    async def withdraw_info(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, params = signed
        symbol = params.get("symbol")
        if not symbol:
            return self._error(20005)
        currency = CURRENCY_BY_SYMBOL.get(symbol)
        if currency is None:
            return self._error(10037)
        saved = account.withdraw_addresses.get(symbol, [])
        channels = [
            {
                "name": ch.name,
                "enable": ch.enabled,
                "commission": CHANNEL_FEES.get(ch.name, Decimal(0)),
                "addressList": [
                    {"id": _hex_id(f"address-{account.key}", i), "name": n, "address": a}
                    for i, (n, a) in enumerate(saved)
                ],
            }
            for ch in currency.channels
        ]
        return self._ok(
            currency={
                "id": currency.id,
                "symbol": currency.symbol,
                "name": currency.name,
                "enable": currency.withdraw_enabled,
                "minimumWithdrawAmount": MIN_WITHDRAW.get(symbol, Decimal(0)),
                "maxLength": currency.places,
                "channels": channels,
            }
        )

    async def create_withdraw(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, params = signed
        if not params.get("address"):
            return self._error(20010)
        if any(not params.get(name) for name in ("symbol", "amount", "node")):
            return self._error(20005)
        currency = CURRENCY_BY_SYMBOL.get(params["symbol"])
        if currency is None:
            return self._error(10037)
        if not account.verified:
            return self._error(10026)
        if not currency.withdraw_enabled:
            return self._error(10028)
        channel = next((c for c in currency.channels if c.name == params["node"]), None)
        if channel is None or not channel.enabled:
            return self._error(10029)
        try:
            amount = Decimal(params["amount"])
        except InvalidOperation:
            return self._error(20009)
        if not amount.is_finite() or amount <= 0:
            return self._error(20009)
        if _places(amount) > currency.places:
            return self._error(90001)
        if amount < MIN_WITHDRAW.get(currency.symbol, Decimal(0)):
            return self._error(10030)
        if not _ADDRESS.fullmatch(params["address"].replace(" ", "")):
            return self._error(10063)
        memo = params.get("secondParameter")
        if memo is not None and not memo.strip():
            return self._error(10064)
        fee = CHANNEL_FEES.get(channel.name, Decimal(0))
        available, reserved = account.balances.get(currency.symbol, (Decimal(0), Decimal(0)))
        if amount + fee > available:
            return self._error(10031)
        account.balances[currency.symbol] = (available - amount - fee, reserved + amount + fee)
        n = next(self._transfer_ids)
        self.ledger(account.key).withdrawals.append(
            Transfer(
                id=_hex_id("withdraw", n),
                key=account.key,
                symbol=currency.symbol,
                amount=amount,
                time=int(self.engine.market.now() * 1000),
                state=WITHDRAW_PENDING,
                node=channel.name,
                address=params["address"],
                fee=fee,
                memo=memo,
            )
        )
        self.push_balances(account, currency.symbol)
        return self._ok()

    def settle_withdrawals(self) -> int:
        """Complete every pending withdrawal now; how many."""
        done = 0
        for key, ledger in self.ledgers.items():
            for w in ledger.withdrawals:
                if w.state in (WITHDRAW_PENDING, WITHDRAW_RESUMING):
                    self._complete(key, w)
                    done += 1
        return done

    def end_withdrawal(self, withdrawal_id: str, state: int = WITHDRAW_REJECTED) -> Transfer:
        """Reject (98) or cancel (99) a pending withdrawal: its funds come back."""
        for key, ledger in self.ledgers.items():
            for w in ledger.withdrawals:
                if w.id == withdrawal_id and w.state in (WITHDRAW_PENDING, WITHDRAW_RESUMING):
                    w.state = state
                    account = self.accounts.get(key)
                    if account is not None:
                        available, reserved = account.balances.get(w.symbol, (Decimal(0),) * 2)
                        back = w.amount + w.fee
                        account.balances[w.symbol] = (available + back, reserved - back)
                        self.push_balances(account, w.symbol)
                    return w
        raise KeyError(withdrawal_id)

    def _complete(self, key: str, w: Transfer) -> None:
        account = self.accounts.get(key)
        w.state = WITHDRAW_COMPLETED
        w.txid = hashlib.sha256(w.id.encode()).hexdigest()
        if account is None:
            return
        available, reserved = account.balances.get(w.symbol, (Decimal(0), Decimal(0)))
        account.balances[w.symbol] = (available, reserved - w.amount - w.fee)
        self.push_balances(account, w.symbol)

    def credit_deposit(
        self, account: Account, symbol: str, amount: Decimal | str, *, pending: bool = False
    ) -> Transfer:
        """A deposit of ``amount``, recorded in the history; completed (credited and
        pushed) at once, or with ``pending`` at state 11 until the sweep completes it."""
        self.bind(account)
        n = next(self._transfer_ids)
        deposit = Transfer(
            id=_hex_id("deposit", n),
            key=account.key,
            symbol=symbol.upper(),
            amount=Decimal(amount),
            time=int(self.engine.market.now() * 1000),
            state=DEPOSIT_PENDING,
            txid=hashlib.sha256(f"deposit-{n}".encode()).hexdigest(),
        )
        self.ledger(account.key).deposits.append(deposit)
        if not pending:
            self._credit(account.key, deposit)
        return deposit

    def _credit(self, key: str, deposit: Transfer) -> None:
        deposit.state = DEPOSIT_COMPLETED
        account = self.accounts.get(key)
        if account is None:
            return
        available, reserved = account.balances.get(deposit.symbol, (Decimal(0), Decimal(0)))
        account.balances[deposit.symbol] = (available + deposit.amount, reserved)
        self.push_balances(account, deposit.symbol)

    def push_balances(self, account: Account, *symbols: str) -> None:
        messages: list[dict[str, Any]] = []
        for symbol in symbols:
            available, reserved = account.balances.get(symbol, (Decimal(0), Decimal(0)))
            messages.append({"type": "balanceUpdate", "symbol": symbol, "available": available})
            messages.append({"type": "reservedUpdate", "symbol": symbol, "reserved": reserved})
        self._push(account.key, messages)

    def _history(self, rows: list[Transfer], deposit: bool) -> list[dict[str, Any]]:
        out = []
        for t in sorted(rows, key=lambda r: r.time, reverse=True)[:HISTORY_SIZE]:
            currency = CURRENCY_BY_SYMBOL.get(t.symbol)
            row: dict[str, Any] = {
                "id": t.id,
                "symbol": t.symbol,
                "maxLength": currency.places if currency else 8,
            }
            if deposit:
                row["totalConfirmation"] = 6
                row["activeConfirmation"] = 6 if t.state == DEPOSIT_COMPLETED else 3
            row.update(
                {
                    "amount": t.amount,
                    "time": t.time,
                    "state": t.state,
                    "real": True,
                    "information": "",
                    "txid": t.txid,
                    "explorer": "https://www.blockchain.com/en/explorer",
                }
            )
            out.append(row)
        return out

    async def withdraw_history(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, _ = signed
        return self._ok(history=self._history(self.ledger(account.key).withdrawals, False))

    async def deposit_history(self, request: web.Request) -> web.Response:
        signed = self._auth(request)
        if isinstance(signed, web.Response):
            return signed
        account, _ = signed
        return self._ok(history=self._history(self.ledger(account.key).deposits, True))


def _status(order: SimOrder) -> str:
    if order.status == FILLED:
        return "FILLED"
    if order.status == PARTIAL:
        return "PARTIALLY_FILLED"
    if order.status == CANCELLED:
        return "CANCELLED"
    if order.status == WAITING:
        return "NEW"
    return "NEW"
