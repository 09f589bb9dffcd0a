"""ALP.COM's v3 margin methods, as the document gives them (seed 002, "Margin" sections).

Served behind v3's authentication (``PrivateApi.v3``): ``GET``/``DELETE /api/v3/margin``,
``GET``/``POST /api/v3/margin/borrow``, ``/api/v3/margin/transfer`` and
``/api/v3/margin/repay``, ``GET /api/v3/margin/interest`` and ``GET
/api/v3/margin/liquidation``. Bodies are JSON objects, signed like every v3 call (their
top-level fields as text).

The state: each account's margin wallets (``SandboxAccount.margin``: the cross margin
wallet, and one isolated wallet per pair), its borrows, repayments, transfers,
interest charges and liquidations. Every wallet change is a row of the wallet
activity (``sandbox.alp.activity``).

Where the document is silent or contradicts itself:
- Limits: a wallet may owe at most ``LEVERAGE - 1`` times its own funds (equity =
  holdings − debts, valued in USDT at the simulated last price; USDT and USD count 1).
  A borrow over it is refused with ``Borrow exceeds the limit: at most N CUR can be
  borrowed.``; a transfer out that would leave the wallet over it with ``Transfer
  would break the margin limit: at most N CUR can leave.``. Only currencies with a
  USDT pair (and USDT, USD) can be borrowed.
- An isolated wallet holds only its pair's two currencies.
- ``POST`` answers ``200`` with an empty body and ``DELETE`` ``202`` (the document's
  codes; it shows no body). Refusals: ``400 {"code": "BAD_REQUEST", "message": …}``.
- ``type`` of a borrow: ``LOAN_MANUAL`` or ``LOAN_AUTO``, recorded as sent; a repayment
  pays the interest of the oldest open borrows of its currency first, then their
  principal, one repayment row per borrow it touched; a repayment larger than the
  debt is refused (``Amount exceeds the debt: N CUR is owed.``), as is one larger than
  the wallet holds (``Insufficient funds in the margin wallet.``).
- ``DELETE /api/v3/margin`` closes the wallet: every debt is repaid from the wallet
  (refused if it cannot be), then everything left goes back to spot.
- Interest is charged only when a test calls ``charge_interest`` (one period at
  ``INTEREST_RATE`` per open borrow), and liquidations happen only through
  ``liquidate``: the sandbox's clock is the simulated market's, and a deterministic
  history is worth more to tests than a schedule.
- ``open_only`` of the borrow and liquidation lists keeps rows not yet closed.
- Positions: one per wallet and currency that owes something; ``id`` is stable; the
  currency is written ``currecny``, exactly as the document's example spells it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.alp.activity import BORROW, LIQUIDATION, REPAY, TRANSFER, ActivityLedger
from sandbox.alp.catalogue import AlpPair, Positional
from sandbox.alp.private import PrivateApi, SandboxAccount, Wallet
from sandbox.matching import MatchingEngine
from sandbox.wire import json_response

CROSS = "CROSS_MARGIN"
ISOLATED = "ISOLATED_MARGIN"
LEVERAGE = Decimal(5)
INTEREST_RATE = Decimal("0.0001")
PLACES = 8
_TRUE = {"1", "t", "true"}
_FALSE = {"0", "f", "false", ""}

WalletKey = tuple[str, str]  # (wallet type, pair or "")


def refused(reason: str, status: int = 400) -> web.Response:
    return json_response({"code": "BAD_REQUEST", "message": reason}, status=status)


def _stamp(when: float | None) -> str:
    if when is None:
        return ""
    return datetime.fromtimestamp(when, tz=UTC).isoformat(timespec="microseconds")


def _num(value: Decimal) -> Decimal:
    exact = value.normalize()
    if exact == exact.to_integral_value():
        return Positional(value.quantize(Decimal("0.0")))
    return Positional(exact)


@dataclass
class Loan:
    id: int
    account_id: int
    wallet: WalletKey
    currency: str
    type: str
    borrowed: Decimal
    opened_at: float
    repaid: Decimal = Decimal(0)
    interest_accrued: Decimal = Decimal(0)
    interest_paid: Decimal = Decimal(0)
    closed_at: float | None = None
    last_interest_at: float | None = None

    @property
    def principal_left(self) -> Decimal:
        return self.borrowed - self.repaid

    @property
    def interest_left(self) -> Decimal:
        return self.interest_accrued - self.interest_paid


@dataclass
class Record:
    """A repayment, transfer, interest charge or liquidation: its fields as served."""

    id: int
    wallet: WalletKey
    currency: str
    at: float
    fields: dict[str, Any]
    open: bool = False


@dataclass
class MarginState:
    loans: list[Loan] = field(default_factory=list)
    repays: list[Record] = field(default_factory=list)
    transfers: list[Record] = field(default_factory=list)
    interest: list[Record] = field(default_factory=list)
    liquidations: list[Record] = field(default_factory=list)
    positions: dict[tuple[WalletKey, str], int] = field(default_factory=dict)


class MarginApi:
    def __init__(
        self,
        private: PrivateApi,
        engine: MatchingEngine,
        pairs: dict[str, AlpPair],
        ledger: ActivityLedger,
        window: Callable[[web.Request], tuple[float, float] | web.Response],
    ) -> None:
        self.private = private
        self.engine = engine
        self.pairs = pairs
        self.ledger = ledger
        self.window = window
        self.state: dict[int, MarginState] = {}
        self._ids = {"loan": 3636, "repay": 30930, "transfer": 30930, "interest": 32864}
        self._ids.update({"liquidation": 293878, "position": 38237})

    def routes(self) -> list[web.RouteDef]:
        v3 = self.private.v3
        return [
            web.get("/api/v3/margin", v3(self.positions)),
            web.delete("/api/v3/margin", v3(self.close)),
            web.get("/api/v3/margin/borrow", v3(self.list_borrows)),
            web.post("/api/v3/margin/borrow", v3(self.borrow)),
            web.get("/api/v3/margin/transfer", v3(self.list_transfers)),
            web.post("/api/v3/margin/transfer", v3(self.transfer)),
            web.get("/api/v3/margin/repay", v3(self.list_repays)),
            web.post("/api/v3/margin/repay", v3(self.repay)),
            web.get("/api/v3/margin/interest", v3(self.list_interest)),
            web.get("/api/v3/margin/liquidation", v3(self.list_liquidations)),
        ]

    # --- state --------------------------------------------------------------------------
    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def of(self, account: SandboxAccount) -> MarginState:
        return self.state.setdefault(account.id, MarginState())

    def holdings(self, account: SandboxAccount, wallet: WalletKey) -> dict[str, Wallet]:
        return account.margin.setdefault(wallet, {})

    def debt(self, account: SandboxAccount, wallet: WalletKey, currency: str) -> Decimal:
        return sum(
            (
                loan.principal_left + loan.interest_left
                for loan in self.of(account).loans
                if loan.wallet == wallet and loan.currency == currency and loan.closed_at is None
            ),
            Decimal(0),
        )

    def price(self, currency: str) -> Decimal | None:
        """A currency's value in USDT, or None when nothing prices it."""
        if currency in ("USDT", "USD"):
            return Decimal(1)
        if f"{currency}_USDT" in self.pairs:
            return self.engine.last(currency, "USDT")
        return None

    def equity(self, account: SandboxAccount, wallet: WalletKey) -> tuple[Decimal, Decimal]:
        """(holdings, debts) of a wallet in USDT."""
        held = sum(
            (
                (w.balance + w.reserve) * (self.price(c) or 0)
                for c, w in self.holdings(account, wallet).items()
            ),
            Decimal(0),
        )
        owed = Decimal(0)
        for loan in self.of(account).loans:
            if loan.wallet == wallet and loan.closed_at is None:
                owed += (loan.principal_left + loan.interest_left) * (
                    self.price(loan.currency) or 0
                )
        return held, owed

    def headroom(self, account: SandboxAccount, wallet: WalletKey) -> Decimal:
        """How much more, in USDT, the wallet may owe: debts ≤ (LEVERAGE − 1) × equity,
        that is debts ≤ (LEVERAGE − 1) / LEVERAGE × holdings."""
        held, owed = self.equity(account, wallet)
        return held * (LEVERAGE - 1) / LEVERAGE - owed

    def move(
        self,
        account: SandboxAccount,
        wallet: WalletKey | None,
        currency: str,
        delta: Decimal,
        kind: str,
    ) -> None:
        """Change a spot (``wallet`` None) or margin wallet's free balance, recorded."""
        if wallet is None:
            target = account.wallets.setdefault(currency, Wallet(Decimal(0), Decimal(0)))
            wallet_type, pair = "SPOT", ""
        else:
            target = self.holdings(account, wallet).setdefault(
                currency, Wallet(Decimal(0), Decimal(0))
            )
            wallet_type, pair = wallet
        before = (target.balance, target.reserve)
        target.balance += delta
        self.ledger.record(
            account.id,
            currency,
            kind,
            before,
            (target.balance, target.reserve),
            wallet_type=wallet_type,
            pair=pair,
        )

    # --- reading requests ---------------------------------------------------------------
    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read(), parse_float=Decimal)
        except ValueError:
            return refused("the body is not valid JSON")
        if not isinstance(body, dict):
            return refused("the body must be a JSON object")
        return body

    def _wallet(self, body: dict[str, Any], currency: str | None) -> WalletKey | web.Response:
        wallet_type = str(body.get("wallet_type") or "")
        pair = str(body.get("pair") or "")
        if wallet_type == CROSS:
            if pair:
                return refused("pair must be empty for CROSS_MARGIN")
            return CROSS, ""
        if wallet_type == ISOLATED:
            found = self.pairs.get(pair)
            if found is None:
                return refused(
                    "pair must be set for ISOLATED_MARGIN" if not pair else f"unknown pair {pair}"
                )
            if currency is not None and currency not in (found.base, found.quote):
                return refused(f"{currency} is not a currency of {pair}")
            return ISOLATED, pair
        return refused("wallet_type must be CROSS_MARGIN or ISOLATED_MARGIN")

    def _currency(self, body: dict[str, Any]) -> str | web.Response:
        currency = str(body.get("currency") or "").upper()
        if not currency:
            return refused("currency is required")
        if currency not in self.private.currencies:
            return refused(f"unknown currency {currency}")
        return currency

    def _amount(self, body: dict[str, Any], key: str) -> Decimal | web.Response:
        raw = body.get(key)
        try:
            amount = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            return refused(f"{key} must be a number")
        if not amount.is_finite() or amount <= 0:
            return refused(f"{key} must be greater than zero")
        if amount != round(amount, PLACES):
            return refused(f"{key} precision is {PLACES} decimal places")
        return amount

    def _filters(
        self, request: web.Request
    ) -> tuple[str | None, str | None, float, float, bool] | web.Response:
        window = self.window(request)
        if isinstance(window, web.Response):
            return window
        pair = request.query.get("pair") or None
        if pair is not None and pair not in self.pairs:
            return refused(f"unknown pair {pair}")
        currency = (request.query.get("currency") or "").upper() or None
        if currency is not None and currency not in self.private.currencies:
            return refused(f"unknown currency {currency}")
        open_only = request.query.get("open_only", "").lower()
        if open_only not in _TRUE | _FALSE:
            return refused("open_only must be a boolean")
        return pair, currency, window[0], window[1], open_only in _TRUE

    # --- positions ----------------------------------------------------------------------
    async def positions(self, request: web.Request, account: SandboxAccount) -> web.Response:
        flags = {}
        for name in ("isolated_margin", "cross_margin"):
            raw = request.query.get(name, "").lower()
            if raw not in _TRUE | _FALSE:
                return refused(f"{name} must be a boolean")
            flags[name] = raw in _TRUE
        if not any(flags.values()):
            return refused("rather isolated_margin or cross_margin must be set true")
        wanted = {ISOLATED} if flags["isolated_margin"] else set()
        wanted |= {CROSS} if flags["cross_margin"] else set()
        state = self.of(account)
        owing: dict[tuple[WalletKey, str], tuple[Decimal, Decimal]] = {}
        for loan in state.loans:
            if loan.closed_at is not None or loan.wallet[0] not in wanted:
                continue
            key = (loan.wallet, loan.currency)
            principal, interest = owing.get(key, (Decimal(0), Decimal(0)))
            owing[key] = (principal + loan.principal_left, interest + loan.interest_left)
        rows = []
        for key, (principal, interest) in sorted(owing.items()):
            if key not in state.positions:
                state.positions[key] = self._next("position")
            (wallet_type, pair), currency = key
            rows.append(
                {
                    "id": state.positions[key],
                    "account_id": account.id,
                    "wallet_type": wallet_type,
                    "interest": _num(interest),
                    "currecny": currency,
                    "borrowed": _num(principal),
                    "pair": pair,
                }
            )
        return json_response(rows)

    async def close(self, request: web.Request, account: SandboxAccount) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        wallet = self._wallet(body, None)
        if isinstance(wallet, web.Response):
            return wallet
        holdings = self.holdings(account, wallet)
        owed = {
            loan.currency
            for loan in self.of(account).loans
            if loan.wallet == wallet and loan.closed_at is None
        }
        for currency in sorted(owed):
            debt = self.debt(account, wallet, currency)
            free = holdings.get(currency, Wallet(Decimal(0), Decimal(0))).balance
            if free < debt:
                return refused(
                    f"Insufficient funds in the margin wallet: {currency} owes {debt}, "
                    f"holds {free}."
                )
        for currency in sorted(owed):
            self._pay(
                account, wallet, currency, self.debt(account, wallet, currency), "LOAN_MANUAL"
            )
        for currency, held in sorted(holdings.items()):
            if held.balance > 0:
                amount = held.balance
                self.move(account, wallet, currency, -amount, TRANSFER)
                self.move(account, None, currency, amount, TRANSFER)
                self._transfer_record(account, wallet, currency, amount, "SUB", "closed")
        return web.Response(status=202)

    # --- borrowing ----------------------------------------------------------------------
    async def borrow(self, request: web.Request, account: SandboxAccount) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        currency = self._currency(body)
        if isinstance(currency, web.Response):
            return currency
        wallet = self._wallet(body, currency)
        if isinstance(wallet, web.Response):
            return wallet
        kind = str(body.get("type") or "")
        if kind not in ("LOAN_MANUAL", "LOAN_AUTO"):
            return refused("type must be LOAN_MANUAL or LOAN_AUTO")
        amount = self._amount(body, "borrow")
        if isinstance(amount, web.Response):
            return amount
        price = self.price(currency)
        if price is None or price <= 0:
            return refused(f"{currency} cannot be borrowed")
        # Borrowing x adds x to both holdings and debts: the headroom shrinks by x / LEVERAGE.
        limit = max(Decimal(0), self.headroom(account, wallet) * LEVERAGE / price)
        limit = limit.quantize(Decimal(1).scaleb(-PLACES), rounding="ROUND_DOWN")
        if amount > limit:
            return refused(
                f"Borrow exceeds the limit: at most {limit.normalize():f} {currency} can be "
                "borrowed."
            )
        now = self.engine.market.now()
        self.of(account).loans.append(
            Loan(self._next("loan"), account.id, wallet, currency, kind, amount, now)
        )
        self.move(account, wallet, currency, amount, BORROW)
        return web.Response(status=200)

    async def list_borrows(self, request: web.Request, account: SandboxAccount) -> web.Response:
        filters = self._filters(request)
        if isinstance(filters, web.Response):
            return filters
        pair, currency, start, end, open_only = filters
        return json_response(
            [
                {
                    "id": loan.id,
                    "date": _stamp(loan.opened_at),
                    "type": loan.type,
                    "wallet_type": loan.wallet[0],
                    "opened_at": _stamp(loan.opened_at),
                    "closed_at": _stamp(loan.closed_at),
                    "borrowed": _num(loan.borrowed),
                    "repaid": _num(loan.repaid),
                    "interest_rate": _num(INTEREST_RATE),
                    "interest_accrued": _num(loan.interest_accrued),
                    "interest_paid": _num(loan.interest_paid),
                    "account_id": account.id,
                    "currency": loan.currency,
                    "pair": loan.wallet[1],
                    "last_interest_at": _stamp(loan.last_interest_at),
                }
                for loan in reversed(self.of(account).loans)
                if (pair is None or loan.wallet[1] == pair)
                and (currency is None or loan.currency == currency)
                and (not open_only or loan.closed_at is None)
                and start <= loan.opened_at < end
            ]
        )

    # --- repaying -----------------------------------------------------------------------
    def _pay(
        self, account: SandboxAccount, wallet: WalletKey, currency: str, amount: Decimal, kind: str
    ) -> None:
        """Pays ``amount`` off the wallet's oldest open loans in ``currency``: interest
        first, then principal; one repayment row per loan touched."""
        left = amount
        now = self.engine.market.now()
        for loan in self.of(account).loans:
            if left <= 0:
                break
            if loan.wallet != wallet or loan.currency != currency or loan.closed_at is not None:
                continue
            interest = min(left, loan.interest_left)
            principal = min(left - interest, loan.principal_left)
            loan.interest_paid += interest
            loan.repaid += principal
            left -= interest + principal
            if loan.principal_left <= 0 and loan.interest_left <= 0:
                loan.closed_at = now
            self.of(account).repays.append(
                Record(
                    self._next("repay"),
                    wallet,
                    currency,
                    now,
                    {
                        "type": kind,
                        "principal_amount": _num(principal),
                        "interest_amount": _num(interest),
                        "borrow_id": loan.id,
                    },
                )
            )
        self.move(account, wallet, currency, -(amount - left), REPAY)

    async def repay(self, request: web.Request, account: SandboxAccount) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        currency = self._currency(body)
        if isinstance(currency, web.Response):
            return currency
        wallet = self._wallet(body, currency)
        if isinstance(wallet, web.Response):
            return wallet
        kind = str(body.get("type") or "")
        if kind not in ("LOAN_MANUAL", "LOAN_AUTO"):
            return refused("type must be LOAN_MANUAL or LOAN_AUTO")
        amount = self._amount(body, "amount")
        if isinstance(amount, web.Response):
            return amount
        debt = self.debt(account, wallet, currency)
        if debt <= 0:
            return refused(f"Nothing to repay: no open {currency} borrow in this wallet.")
        if amount > debt:
            return refused(f"Amount exceeds the debt: {debt.normalize():f} {currency} is owed.")
        free = self.holdings(account, wallet).get(currency, Wallet(Decimal(0), Decimal(0))).balance
        if amount > free:
            return refused("Insufficient funds in the margin wallet.")
        self._pay(account, wallet, currency, amount, kind)
        return web.Response(status=200)

    def _records(self, request: web.Request, account: SandboxAccount, which: str) -> web.Response:
        filters = self._filters(request)
        if isinstance(filters, web.Response):
            return filters
        pair, currency, start, end, open_only = filters
        rows: list[Record] = getattr(self.of(account), which)
        out = []
        for record in reversed(rows):
            if pair is not None and record.wallet[1] != pair:
                continue
            if currency is not None and record.currency != currency:
                continue
            if (open_only and not record.open) or not start <= record.at < end:
                continue
            row: dict[str, Any] = {"id": record.id, "account_id": account.id}
            row["wallet_type"] = record.wallet[0]
            row["created_at" if which == "liquidations" else "date"] = _stamp(record.at)
            row["currency"] = record.currency
            if which != "liquidations":
                row["pair"] = record.wallet[1]
            row.update(record.fields)
            out.append(row)
        return json_response(out)

    async def list_repays(self, request: web.Request, account: SandboxAccount) -> web.Response:
        return self._records(request, account, "repays")

    # --- transfers ----------------------------------------------------------------------
    def _transfer_record(
        self,
        account: SandboxAccount,
        wallet: WalletKey,
        currency: str,
        amount: Decimal,
        direction: str,
        note: str,
    ) -> None:
        self.of(account).transfers.append(
            Record(
                self._next("transfer"),
                wallet,
                currency,
                self.engine.market.now(),
                {"direction": direction, "amount": _num(amount), "note": note},
            )
        )

    async def transfer(self, request: web.Request, account: SandboxAccount) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        currency = self._currency(body)
        if isinstance(currency, web.Response):
            return currency
        wallet = self._wallet(body, currency)
        if isinstance(wallet, web.Response):
            return wallet
        direction = str(body.get("direction") or "")
        if direction not in ("ADD", "SUB"):
            return refused("direction must be ADD or SUB")
        amount = self._amount(body, "amount")
        if isinstance(amount, web.Response):
            return amount
        note = str(body.get("note") or "")
        if direction == "ADD":
            spot = account.wallets.get(currency, Wallet(Decimal(0), Decimal(0)))
            if spot.balance < amount:
                return refused("Insufficient funds in the spot wallet.")
            self.move(account, None, currency, -amount, TRANSFER)
            self.move(account, wallet, currency, amount, TRANSFER)
        else:
            held = self.holdings(account, wallet).get(currency, Wallet(Decimal(0), Decimal(0)))
            if held.balance < amount:
                return refused("Insufficient funds in the margin wallet.")
            price = self.price(currency) or Decimal(0)
            _, owed = self.equity(account, wallet)
            if owed > 0:
                room = self.headroom(account, wallet)
                # Taking out x lowers the headroom by x × price × (LEVERAGE − 1) / LEVERAGE.
                most = room * LEVERAGE / (LEVERAGE - 1) / price if price > 0 else held.balance
                most = max(Decimal(0), min(held.balance, most)).quantize(
                    Decimal(1).scaleb(-PLACES), rounding="ROUND_DOWN"
                )
                if amount > most:
                    return refused(
                        f"Transfer would break the margin limit: at most {most.normalize():f} "
                        f"{currency} can leave."
                    )
            self.move(account, wallet, currency, -amount, TRANSFER)
            self.move(account, None, currency, amount, TRANSFER)
        self._transfer_record(account, wallet, currency, amount, direction, note)
        return web.Response(status=200)

    async def list_transfers(self, request: web.Request, account: SandboxAccount) -> web.Response:
        return self._records(request, account, "transfers")

    # --- interest and liquidations (made by tests) ----------------------------------------
    def charge_interest(self, account: SandboxAccount) -> None:
        """One interest period on every open loan of the account."""
        now = self.engine.market.now()
        for loan in self.of(account).loans:
            if loan.closed_at is not None:
                continue
            charge = (loan.principal_left * INTEREST_RATE).quantize(Decimal(1).scaleb(-PLACES))
            loan.interest_accrued += charge
            loan.last_interest_at = now
            self.of(account).interest.append(
                Record(
                    self._next("interest"),
                    loan.wallet,
                    loan.currency,
                    now,
                    {
                        "interest_rate": _num(INTEREST_RATE),
                        "borrow_id": loan.id,
                        "interest_accrued": _num(charge),
                        "interest_paid": _num(Decimal(0)),
                    },
                )
            )

    def liquidate(self, account: SandboxAccount, wallet: WalletKey = (CROSS, "")) -> None:
        """The wallet's debts closed from its holdings (what they cover), recorded as one
        liquidation per currency owed."""
        now = self.engine.market.now()
        holdings = self.holdings(account, wallet)
        held, owed = self.equity(account, wallet)
        level = (held / owed) if owed else Decimal(0)
        for currency in sorted(
            {
                ln.currency
                for ln in self.of(account).loans
                if ln.wallet == wallet and ln.closed_at is None
            }
        ):
            debt = self.debt(account, wallet, currency)
            free = holdings.get(currency, Wallet(Decimal(0), Decimal(0))).balance
            paid = min(debt, free)
            loans = [
                ln
                for ln in self.of(account).loans
                if ln.wallet == wallet and ln.currency == currency and ln.closed_at is None
            ]
            for loan in loans:
                loan.closed_at = now
            self.move(account, wallet, currency, -paid, LIQUIDATION)
            self.of(account).liquidations.append(
                Record(
                    self._next("liquidation"),
                    wallet,
                    currency,
                    now,
                    {
                        "margin_level": _num(level.quantize(Decimal("0.001"))),
                        "closed_at": _stamp(now),
                        "amount": _num(debt),
                        "fund_amount": _num(paid),
                        "order_closed": [],
                        "order_created": [],
                        "borrow_closed": [ln.id for ln in loans],
                        "repay_created": [],
                    },
                )
            )

    async def list_interest(self, request: web.Request, account: SandboxAccount) -> web.Response:
        return self._records(request, account, "interest")

    async def list_liquidations(
        self, request: web.Request, account: SandboxAccount
    ) -> web.Response:
        return self._records(request, account, "liquidations")
