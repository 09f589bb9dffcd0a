"""WallexPay's money-moving calls, written from the document (seed 003).

``withdrawal/crypto``, ``exchange/calculate``, ``exchange/fixed``, ``exchange/now``,
``futures/rates``, ``futures/confirm`` and ``invoices/create``, signed like every call
(``WallexPaySandbox._signed``), plus what happens afterwards: deposits to taken
addresses (``simulate_deposit``), withdrawals that go ``not_confirmed`` →
``confirmed`` (or ``cancelled``), exchanges that settle, invoices paid or expired —
each told to the merchant by a signed callback (``sandbox.wallexpay.callbacks``).

Where the document is silent or contradicts itself:
- ``foreign_id`` is required and unique per merchant across withdrawals, exchanges
  and invoices: a second call with one already used is refused with the document's
  own invoice wording, "The foreign id has already been taken." — so a resent
  request never moves money twice.
- Validation wording is Laravel's, as in the document's examples: "The amount must be
  at least 0.0001." (the currency's ``minimum_amount``; for an exchange the pair's
  ``min_amount``), "The <field> field is required.", "The selected <field> is
  invalid."; a balance too small is "Insufficient balance." on the amount; a
  malformed address "The address format is invalid." (each chain's format as
  ``addresses/take`` writes them: base58check P2SH/Tron/Litecoin, 0x-hex).
- Withdrawals: WallexPay's ``withdrawal_fee_percent`` of the amount is taken from the
  balance on top; the answer is 201 ``processing``; the callbacks then say
  ``not_confirmed`` (sent to the chain) and ``confirmed`` ``CONFIRM_SECONDS`` of
  market time later, unless a test cancels it first (``cancel_withdrawal``: the
  amount returns). ``convert_to`` sends another currency than the balance's, at the
  current rate.
- Exchange prices: ``price`` is the pair's rate as ``currencies/rates`` gives it
  (the crypto side's price in the other side, margin included), so crypto → X
  receives ``sender × price`` and fiat → crypto ``sender / price``. The fee is
  ``EXCHANGE_FEE`` of that in the receiving currency and is taken from it
  (``receiver_amount`` is what arrives). ``calculate`` fixes the price for
  ``FIX_SECONDS`` (``ts_fixed`` … ``ts_release``, ``fix_period``); ``fixed`` must carry
  a price the merchant was quoted for that pair: after ``ts_release`` it is refused
  with "The price is expired." on ``price``, a price never quoted with "The selected
  price is invalid.". ``calculate`` is limited to 30 calls a minute per IP (429
  ``error code: 1015``, as documented). Exchanges settle at once; a ``confirmed``
  callback follows.
- Futures: ``futures/rates`` needs an address taken with ``convert_to``; its rates are
  one price per receiving amount tier (``5`` … ``300``, as in the example) fixed for
  ``FUTURES_SECONDS``. ``futures/confirm`` fixes the price for that address, currency
  pair and ``receiver_amount`` (at most 10 000 in value, the document's limit), and a
  deposit to the address within the window is converted at it. The document makes the
  rates step optional ("If it is not necessary to receive exchange rates you can skip
  this step"): a confirm for an address whose rates were never asked fixes the current
  price; once rates were asked, the confirm is held to them — within their window it
  fixes their price, after ``ts_release`` it is refused in the document's envelope on
  ``address`` with "The futures rates for this address are expired." (the document
  gives no wording for it), and asking the rates again opens a new window.
- Invoices: ``currency`` and ``amount`` and ``foreign_id`` are required; the answer
  (200, as documented) is ``created`` with ``fixed_at`` and ``release_at`` 15 minutes
  later (the ``timer``'s 15 minutes). ``pay_invoice`` pays one (status ``paid``, the
  amount credited); one not paid by ``release_at`` becomes ``expired`` as time
  passes. The link is ``<sandbox>/invoice/<code>``, a page telling the invoice's state.
- Deposits: ``simulate_deposit(address, amount)`` tells ``not_confirmed`` at once,
  then ``confirmed`` (the amount, less ``deposit_fee_percent``, credited, converted
  when the address has ``convert_to``) on the next sweep — or ``cancelled``
  (``double_spend=True``), the document's other deposit transition.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.market import quantize
from sandbox.wallexpay.callbacks import CallbackSender
from sandbox.wire import json_response

if TYPE_CHECKING:
    from sandbox.wallexpay.server import Call, IssuedAddress, Merchant, WallexPaySandbox

PLACES = 8
FIX_SECONDS = 60
FUTURES_SECONDS = 6000
INVOICE_SECONDS = 900
CONFIRM_SECONDS = 30
EXCHANGE_FEE = Decimal("0.01")
FUTURES_FEE = Decimal("0.05")
FUTURES_LIMIT = Decimal("10000")
FUTURES_EXPIRED = "The futures rates for this address are expired."
FUTURES_TIERS = ("5", "10", "20", "50", "100", "200", "300")
CALCULATE_PER_MINUTE = 30
_ADDRESS = {
    "BTC": re.compile(r"^[13][1-9A-HJ-NP-Za-km-z]{25,34}$|^bc1[0-9a-z]{11,71}$"),
    "LTC": re.compile(r"^[LM3][1-9A-HJ-NP-Za-km-z]{26,33}$|^ltc1[0-9a-z]{11,71}$"),
    "TRX": re.compile(r"^T[1-9A-HJ-NP-Za-km-z]{33}$"),
    "ETH": re.compile(r"^0x[0-9a-fA-F]{40}$"),
    "USDT": re.compile(r"^0x[0-9a-fA-F]{40}$"),
    "DOGE": re.compile(r"^[DA9][1-9A-HJ-NP-Za-km-z]{25,34}$"),
}


def amount_text(value: Decimal) -> str:
    return str(quantize(value, PLACES))


def invalid(**reasons: str) -> web.Response:
    return json_response({"errors": reasons}, status=400)


@dataclass
class Transaction:
    """A withdrawal, exchange or deposit of one merchant, as its callbacks tell it."""

    id: int
    type: str
    status: str
    foreign_id: str
    sender_currency: str
    sender_amount: Decimal
    receiver_currency: str
    receiver_amount: Decimal
    fee_currency: str
    fee_amount: Decimal
    created_at: float
    price: Decimal | None = None
    address: IssuedAddress | None = None
    to_address: str | None = None
    txid: str | None = None
    double_spend: bool = False


@dataclass
class Quote:
    sender: str
    receiver: str
    price: Decimal
    ts_fixed: int
    ts_release: int


@dataclass
class Futures:
    id: int
    address_id: int
    sender: str
    receiver: str
    price: Decimal
    receiver_amount: Decimal
    sender_amount: Decimal
    fee_amount: Decimal
    ts_fixed: int
    ts_release: int


@dataclass
class Invoice:
    id: int
    code: str
    foreign_id: str
    title: str | None
    description: str | None
    currency: str
    amount: Decimal
    sender_currency: str | None
    fixed_at: int
    release_at: int
    status: str = "created"
    merchant_key: str = ""


@dataclass
class Ledger:
    """What the payments side keeps per merchant."""

    transactions: dict[int, Transaction] = field(default_factory=dict)
    quotes: list[Quote] = field(default_factory=list)
    futures: list[Futures] = field(default_factory=list)
    # address id → (price, ts_release) of the last ``futures/rates`` answer for it
    futures_rates: dict[int, tuple[Decimal, int]] = field(default_factory=dict)
    invoices: dict[int, Invoice] = field(default_factory=dict)
    foreign_ids: set[str] = field(default_factory=set)


class Payments:
    def __init__(self, sandbox: WallexPaySandbox, monotonic: Callable[[], float]) -> None:
        self.sandbox = sandbox
        self.callbacks = CallbackSender(now=monotonic)
        self.ledgers: dict[str, Ledger] = {}
        self.invoices_by_code: dict[str, Invoice] = {}
        self._ids = itertools.count(1)
        self._invoice_ids = itertools.count(79)
        self._futures_ids = itertools.count(92)
        self._calculate_calls: dict[str, deque[float]] = {}
        self._monotonic = monotonic
        # Seconds after creation at which the sandbox pays an invoice itself (the demo's
        # stand-in for a customer); None: only ``pay_invoice`` pays.
        self.auto_pay_after: float | None = None

    def routes(self) -> dict[str, Callable[[Call], Any]]:
        return {
            "withdrawal/crypto": self.withdraw,
            "exchange/calculate": self.calculate,
            "exchange/fixed": self.fixed,
            "exchange/now": self.now,
            "futures/rates": self.futures_rates,
            "futures/confirm": self.futures_confirm,
            "invoices/create": self.create_invoice,
        }

    def ledger(self, merchant: Merchant) -> Ledger:
        return self.ledgers.setdefault(merchant.key, Ledger())

    def clock(self) -> float:
        return self.sandbox.market.now()

    # --- shared checks -----------------------------------------------------------------
    def _amount(
        self, params: Mapping[str, Any], name: str, errors: dict[str, str], *, required: bool
    ) -> Decimal | None:
        label = name.replace("_", " ")
        value = params.get(name)
        if value is None or value == "":
            if required:
                errors[name] = f"The {label} field is required."
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            errors[name] = f"The {label} must be a number."
            return None
        if not number.is_finite() or number <= 0:
            errors[name] = f"The {label} must be greater than 0."
            return None
        return number

    def _foreign_id(
        self, merchant: Merchant, params: Mapping[str, Any], errors: dict[str, str]
    ) -> str | None:
        value = params.get("foreign_id")
        if value is None or value == "":
            errors["foreign_id"] = "The foreign id field is required."
            return None
        text = str(value)
        if text in self.ledger(merchant).foreign_ids:
            errors["foreign_id"] = "The foreign id has already been taken."
            return None
        return text

    def _currency(
        self, params: Mapping[str, Any], name: str, errors: dict[str, str], *, required: bool
    ) -> str | None:
        code, reason = self.sandbox._currency_param(params, name, required=required)
        if reason:
            errors[name] = reason
        return code

    def _debit(self, merchant: Merchant, currency: str, amount: Decimal) -> bool:
        if merchant.balance(currency) < amount:
            return False
        merchant.balances[currency] = merchant.balance(currency) - amount
        return True

    def _credit(self, merchant: Merchant, currency: str, amount: Decimal) -> None:
        merchant.balances[currency] = merchant.balance(currency) + amount

    def _new_transaction(self, merchant: Merchant, **fields: Any) -> Transaction:
        tx = Transaction(id=next(self._ids), created_at=self.clock(), **fields)
        self.ledger(merchant).transactions[tx.id] = tx
        if tx.foreign_id and tx.type != "deposit":  # a deposit carries its address's id
            self.ledger(merchant).foreign_ids.add(tx.foreign_id)
        return tx

    def convert(self, sender: str, receiver: str, amount: Decimal) -> tuple[Decimal, Decimal]:
        """(price, gross amount received) at the current rate of the pair."""
        price = self.sandbox.rate_to(sender, receiver)
        return price, self._receive(sender, receiver, amount, price)

    def _receive(self, sender: str, receiver: str, amount: Decimal, price: Decimal) -> Decimal:
        currencies = self.sandbox.currencies
        if currencies[sender].type == "fiat" and currencies[receiver].type != "fiat":
            return quantize(amount / price, PLACES)
        return quantize(amount * price, PLACES)

    # --- withdrawals -----------------------------------------------------------------------
    async def withdraw(self, call: Call) -> web.Response:
        params, merchant = call.params, call.merchant
        errors: dict[str, str] = {}
        foreign_id = self._foreign_id(merchant, params, errors)
        amount = self._amount(params, "amount", errors, required=True)
        currency = self._currency(params, "currency", errors, required=True)
        convert_to = self._currency(params, "convert_to", errors, required=False)
        address = params.get("address")
        if address is None or address == "":
            errors["address"] = "The address field is required."
        if errors:
            return invalid(**errors)
        assert foreign_id and amount is not None and currency is not None
        target = convert_to or currency
        if convert_to is not None and (currency, convert_to) not in self.sandbox.pairs:
            return invalid(convert_to="Exchange is unavailable for given currencies")
        known = self.sandbox.currencies[target]
        if known.type != "crypto" or not known.visible:
            return invalid(currency="The selected currency is invalid.")
        pattern = _ADDRESS.get(target)
        if not isinstance(address, str) or (pattern and not pattern.fullmatch(address)):
            return invalid(address="The address format is invalid.")
        minimum = Decimal(self.sandbox.currencies[currency].minimum_amount)
        if amount < minimum:
            return invalid(amount=f"The amount must be at least {minimum}.")
        fee_pct = Decimal(self.sandbox.currencies[currency].withdrawal_fee_percent)
        fee = quantize(amount * fee_pct / 100, PLACES)
        if not self._debit(merchant, currency, amount + fee):
            return invalid(amount="Insufficient balance.")
        price: Decimal | None = None
        received = amount
        if convert_to is not None:
            price, received = self.convert(currency, convert_to, amount)
        tx = self._new_transaction(
            merchant,
            type="withdrawal",
            status="processing",
            foreign_id=foreign_id,
            sender_currency=currency,
            sender_amount=amount,
            receiver_currency=target,
            receiver_amount=received,
            fee_currency=currency,
            fee_amount=fee,
            price=price,
            to_address=address,
        )
        return json_response(
            {
                "data": {
                    "id": tx.id,
                    "foreign_id": foreign_id,
                    "type": "withdrawal",
                    "status": "processing",
                    "amount": amount_text(amount),
                    "sender_amount": amount_text(amount),
                    "sender_currency": currency,
                    "receiver_amount": amount_text(received),
                    "receiver_currency": target,
                }
            },
            status=201,
        )

    def cancel_withdrawal(self, merchant: Merchant, transaction_id: int) -> None:
        """The withdrawal fails (status ``cancelled``): its amount and fee come back."""
        tx = self.ledger(merchant).transactions[transaction_id]
        if tx.type == "withdrawal" and tx.status in ("processing", "not_confirmed"):
            tx.status = "cancelled"
            self._credit(merchant, tx.sender_currency, tx.sender_amount + tx.fee_amount)
            self._tell(merchant, self._transaction_body(tx))

    # --- exchange --------------------------------------------------------------------------
    def _exchange_params(
        self, call: Call, *, price_needed: bool
    ) -> tuple[str, str, Decimal, str, Decimal | None] | web.Response:
        params, merchant = call.params, call.merchant
        errors: dict[str, str] = {}
        foreign_id = self._foreign_id(merchant, params, errors)
        sender = self._currency(params, "sender_currency", errors, required=True)
        receiver = self._currency(params, "receiver_currency", errors, required=True)
        amount = self._amount(params, "sender_amount", errors, required=True)
        price = self._amount(params, "price", errors, required=price_needed)
        if errors:
            return invalid(**errors)
        assert foreign_id and sender and receiver and amount is not None
        if (sender, receiver) not in self.sandbox.pairs:
            return invalid(sender_currency="Exchange is unavailable for given currencies")
        minimum = Decimal(self.sandbox.currencies[sender].min_exchange)
        if amount < minimum:
            return invalid(sender_amount=f"The amount must be at least {places(minimum)} ")
        return sender, receiver, amount, foreign_id, price

    def _exchange(
        self,
        merchant: Merchant,
        sender: str,
        receiver: str,
        amount: Decimal,
        foreign_id: str,
        price: Decimal,
    ) -> web.Response:
        if not self._debit(merchant, sender, amount):
            return invalid(sender_amount="Insufficient balance.")
        gross = self._receive(sender, receiver, amount, price)
        fee = quantize(gross * EXCHANGE_FEE, PLACES)
        tx = self._new_transaction(
            merchant,
            type="exchange",
            status="processing",
            foreign_id=foreign_id,
            sender_currency=sender,
            sender_amount=amount,
            receiver_currency=receiver,
            receiver_amount=gross - fee,
            fee_currency=receiver,
            fee_amount=fee,
            price=price,
        )
        return json_response({"data": self._exchange_data(tx)}, status=201)

    @staticmethod
    def _exchange_data(tx: Transaction) -> dict[str, Any]:
        return {
            "id": tx.id,
            "foreign_id": tx.foreign_id,
            "type": "exchange",
            "sender_amount": amount_text(tx.sender_amount),
            "sender_currency": tx.sender_currency,
            "receiver_amount": amount_text(tx.receiver_amount),
            "receiver_currency": tx.receiver_currency,
            "fee_amount": amount_text(tx.fee_amount),
            "fee_currency": tx.fee_currency,
            "price": amount_text(tx.price or Decimal(0)),
            "status": tx.status,
        }

    async def calculate(self, call: Call) -> web.Response:
        limited = self._rate_limited(call.remote)
        if limited is not None:
            return limited
        params = call.params
        errors: dict[str, str] = {}
        sender = self._currency(params, "sender_currency", errors, required=True)
        receiver = self._currency(params, "receiver_currency", errors, required=True)
        sent = self._amount(params, "sender_amount", errors, required=False)
        wanted = self._amount(params, "receiver_amount", errors, required=False)
        if sent is None and wanted is None and "sender_amount" not in errors:
            errors["sender_amount"] = (
                "The sender amount field is required when receiver amount is not present."
            )
        if errors:
            return invalid(**errors)
        assert sender and receiver
        if (sender, receiver) not in self.sandbox.pairs:
            return invalid(sender_currency="Exchange is unavailable for given currencies")
        price = self.sandbox.rate_to(sender, receiver)
        if sent is None:
            assert wanted is not None
            # What to send so that ``wanted`` arrives after the fee.
            gross = wanted / (1 - EXCHANGE_FEE)
            fiat_in = self.sandbox.currencies[sender].type == "fiat"
            sent = rounded((gross * price) if fiat_in else (gross / price), ROUND_UP)
        gross = self._receive(sender, receiver, sent, price)
        fee = quantize(gross * EXCHANGE_FEE, PLACES)
        now = int(self.clock())
        self.ledger(call.merchant).quotes.append(
            Quote(sender, receiver, price, now, now + FIX_SECONDS)
        )
        return json_response(
            {
                "data": {
                    "sender_amount": amount_text(sent),
                    "sender_currency": sender,
                    "receiver_amount": amount_text(gross - fee),
                    "receiver_currency": receiver,
                    "fee_amount": amount_text(fee),
                    "fee_currency": receiver,
                    "price": amount_text(price),
                    "ts_fixed": now,
                    "ts_release": now + FIX_SECONDS,
                    "fix_period": FIX_SECONDS,
                }
            }
        )

    def _rate_limited(self, remote: str) -> web.Response | None:
        at = self._monotonic()
        calls = self._calculate_calls.setdefault(remote, deque())
        while calls and calls[0] <= at - 60:
            calls.popleft()
        if len(calls) >= CALCULATE_PER_MINUTE:
            return json_response({"errors": ["error code: 1015"]}, status=429)
        calls.append(at)
        return None

    async def fixed(self, call: Call) -> web.Response:
        checked = self._exchange_params(call, price_needed=True)
        if isinstance(checked, web.Response):
            return checked
        sender, receiver, amount, foreign_id, price = checked
        assert price is not None
        quotes = [
            q
            for q in self.ledger(call.merchant).quotes
            if (q.sender, q.receiver) == (sender, receiver) and q.price == price
        ]
        if not quotes:
            return invalid(price="The selected price is invalid.")
        if all(self.clock() > q.ts_release for q in quotes):
            return invalid(price="The price is expired.")
        return self._exchange(call.merchant, sender, receiver, amount, foreign_id, price)

    async def now(self, call: Call) -> web.Response:
        checked = self._exchange_params(call, price_needed=False)
        if isinstance(checked, web.Response):
            return checked
        sender, receiver, amount, foreign_id, _ = checked
        price = self.sandbox.rate_to(sender, receiver)
        return self._exchange(call.merchant, sender, receiver, amount, foreign_id, price)

    # --- futures ---------------------------------------------------------------------------
    def _exchange_address(self, merchant: Merchant, text: Any) -> IssuedAddress | None:
        return next(
            (a for a in merchant.addresses if a.address == text and a.convert_to is not None),
            None,
        )

    async def futures_rates(self, call: Call) -> web.Response:
        address = self._exchange_address(call.merchant, call.params.get("address"))
        if address is None:
            return invalid(address="Address is not found, incorrect or without exchange")
        assert address.convert_to is not None
        price = self.sandbox.rate_to(address.currency, address.convert_to)
        now = int(self.clock())
        self.ledger(call.merchant).futures_rates[address.id] = (price, now + FUTURES_SECONDS)
        return json_response(
            {
                "data": {
                    "addresses": [address.as_json()],
                    "ts_fixed": now,
                    "ts_release": now + FUTURES_SECONDS,
                    "rates": {
                        f"{address.currency}{address.convert_to}": {
                            amount_text(Decimal(tier)): amount_text(price) for tier in FUTURES_TIERS
                        }
                    },
                }
            }
        )

    async def futures_confirm(self, call: Call) -> web.Response:
        params = call.params
        address = self._exchange_address(call.merchant, params.get("address"))
        wrong = (
            "Address is not found, incorrect or without exchange. Error can be related to "
            "incorrect sender or receiver currencies."
        )
        if (
            address is None
            or params.get("sender_currency") != address.currency
            or params.get("receiver_currency") != address.convert_to
        ):
            return invalid(address=wrong)
        assert address.convert_to is not None
        errors: dict[str, str] = {}
        wanted = self._amount(params, "receiver_amount", errors, required=True)
        if errors or wanted is None:
            return invalid(**errors)
        usd = self.sandbox.market.usd_value(address.convert_to, self.clock()) * float(wanted)
        if Decimal(repr(usd)) > FUTURES_LIMIT:
            return invalid(
                receiver_amount=f"The receiver amount may not be greater than {FUTURES_LIMIT}."
            )
        now = int(self.clock())
        fixed = self.ledger(call.merchant).futures_rates.get(address.id)
        if fixed is not None and now > fixed[1]:
            return invalid(address=FUTURES_EXPIRED)
        price = (
            fixed[0]
            if fixed is not None
            else self.sandbox.rate_to(address.currency, address.convert_to)
        )
        fee = quantize(wanted * FUTURES_FEE, PLACES)
        sender_amount = rounded((wanted + fee) / price, ROUND_UP)
        futures = Futures(
            id=next(self._futures_ids),
            address_id=address.id,
            sender=address.currency,
            receiver=address.convert_to,
            price=price,
            receiver_amount=wanted,
            sender_amount=sender_amount,
            fee_amount=fee,
            ts_fixed=now,
            ts_release=now + FUTURES_SECONDS,
        )
        self.ledger(call.merchant).futures.append(futures)
        return json_response(
            {
                "data": {
                    "futures_id": futures.id,
                    "sender_currency": futures.sender,
                    "receiver_currency": futures.receiver,
                    "fee_currency": futures.receiver,
                    "price": amount_text(price),
                    "address": address.as_json(),
                    "sender_amount": amount_text(sender_amount),
                    "receiver_amount": amount_text(wanted),
                    "fee_amount": amount_text(fee),
                    "ts_fixed": futures.ts_fixed,
                    "ts_release": futures.ts_release,
                }
            }
        )

    # --- invoices --------------------------------------------------------------------------
    async def create_invoice(self, call: Call) -> web.Response:
        params, merchant = call.params, call.merchant
        errors: dict[str, str] = {}
        foreign_id = self._foreign_id(merchant, params, errors)
        currency = self._currency(params, "currency", errors, required=True)
        sender_currency = self._currency(params, "sender_currency", errors, required=False)
        amount = self._amount(params, "amount", errors, required=True)
        for name in ("title", "description", "url_success", "url_failed", "email_user"):
            value = params.get(name)
            if value is not None and not isinstance(value, str):
                errors[name] = f"The {name.replace('_', ' ')} must be a string."
        timer = params.get("timer")
        if timer is not None and not isinstance(timer, bool):
            errors["timer"] = "The timer field must be true or false."
        if errors:
            return invalid(**errors)
        assert foreign_id and currency and amount is not None
        now = int(self.clock())
        invoice_id = next(self._invoice_ids)
        code = hashlib.sha256(f"{merchant.key}|{invoice_id}".encode()).hexdigest()[:6]
        invoice = Invoice(
            id=invoice_id,
            code=code,
            foreign_id=foreign_id,
            title=params.get("title"),
            description=params.get("description"),
            currency=currency,
            amount=amount,
            sender_currency=sender_currency,
            fixed_at=now,
            release_at=now + INVOICE_SECONDS,
            merchant_key=merchant.key,
        )
        ledger = self.ledger(merchant)
        ledger.invoices[invoice.id] = invoice
        ledger.foreign_ids.add(foreign_id)
        self.invoices_by_code[code] = invoice
        return json_response({"data": self._invoice_data(invoice, call.base_url)})

    def _invoice_data(self, invoice: Invoice, base_url: str) -> dict[str, Any]:
        return {
            "id": invoice.id,
            "url": f"{base_url}/invoice/{invoice.code}",
            "foreign_id": invoice.foreign_id,
            "name": invoice.title,
            "status": invoice.status,
            "currency": invoice.currency,
            "amount": amount_text(invoice.amount),
            "sender_currency": invoice.sender_currency,
            "sender_amount": None,
            "fixed_at": invoice.fixed_at,
            "release_at": invoice.release_at,
        }

    def pay_invoice(self, invoice_id: int) -> None:
        """A customer pays the invoice in full: ``paid``, the amount credited."""
        invoice, merchant = self._invoice(invoice_id)
        if invoice.status != "created":
            raise ValueError(f"invoice {invoice_id} is {invoice.status}")
        invoice.status = "paid"
        self._credit(merchant, invoice.currency, invoice.amount)
        self._tell(merchant, self._invoice_body(invoice))

    def _invoice(self, invoice_id: int) -> tuple[Invoice, Merchant]:
        for key, ledger in self.ledgers.items():
            if invoice_id in ledger.invoices:
                return ledger.invoices[invoice_id], self.sandbox.merchants[key]
        raise KeyError(f"no invoice {invoice_id}")

    def _invoice_body(self, invoice: Invoice) -> dict[str, Any]:
        return {
            "id": invoice.id,
            "foreign_id": invoice.foreign_id,
            "type": "invoice",
            "status": invoice.status,
            "name": invoice.title,
            "url": f"{self.sandbox.base_url}/invoice/{invoice.code}",
            "currency": invoice.currency,
            "amount": amount_text(invoice.amount),
            "currency_received": {
                "currency": invoice.currency,
                "amount": amount_text(invoice.amount if invoice.status == "paid" else Decimal(0)),
            },
            "fixed_at": invoice.fixed_at,
            "release_at": invoice.release_at,
            "error": "",
        }

    async def invoice_page(self, request: web.Request) -> web.Response:
        invoice = self.invoices_by_code.get(request.match_info["code"])
        if invoice is None:
            return web.Response(status=404, text="Invoice not found")
        return web.Response(
            text=(
                f"WallexPay invoice #{invoice.id}: {invoice.title or ''}\n"
                f"{amount_text(invoice.amount)} {invoice.currency} — {invoice.status}\n"
            )
        )

    # --- deposits ------------------------------------------------------------------------
    def simulate_deposit(
        self, address: str, amount: str | Decimal, *, double_spend: bool = False
    ) -> Transaction:
        """A customer sends ``amount`` to a taken address: ``not_confirmed`` now, then
        ``confirmed`` (credited) on the next sweep, or ``cancelled`` for a double spend."""
        for merchant in self.sandbox.merchants.values():
            for issued in merchant.addresses:
                if issued.address == address:
                    return self._deposit(merchant, issued, Decimal(amount), double_spend)
        raise KeyError(f"no merchant took the address {address}")

    def _deposit(
        self, merchant: Merchant, issued: IssuedAddress, amount: Decimal, double_spend: bool
    ) -> Transaction:
        currency = self.sandbox.currencies[issued.currency]
        fee = quantize(amount * Decimal(currency.deposit_fee_percent) / 100, PLACES)
        receiver, received, price = issued.currency, amount - fee, None
        if issued.convert_to is not None:
            fixed = self._futures_for(merchant, issued)
            price = (
                fixed.price if fixed else self.sandbox.rate_to(issued.currency, issued.convert_to)
            )
            receiver = issued.convert_to
            received = self._receive(issued.currency, receiver, amount - fee, price)
        txid = hashlib.sha256(f"{issued.address}|{time.time_ns()}".encode()).hexdigest()
        tx = self._new_transaction(
            merchant,
            type="deposit",
            status="not_confirmed",
            foreign_id=issued.foreign_id,
            sender_currency=issued.currency,
            sender_amount=amount,
            receiver_currency=receiver,
            receiver_amount=received,
            fee_currency=issued.currency,
            fee_amount=fee,
            price=price,
            address=issued,
            txid=txid,
            double_spend=double_spend,
        )
        self._tell(merchant, self._transaction_body(tx))
        return tx

    def _futures_for(self, merchant: Merchant, issued: IssuedAddress) -> Futures | None:
        now = self.clock()
        return next(
            (
                f
                for f in reversed(self.ledger(merchant).futures)
                if f.address_id == issued.id and f.ts_fixed <= now <= f.ts_release
            ),
            None,
        )

    # --- what time does -------------------------------------------------------------------
    def advance(self) -> None:
        """Move every transaction and invoice along as the market clock says."""
        now = self.clock()
        for key, ledger in self.ledgers.items():
            merchant = self.sandbox.merchants[key]
            for tx in ledger.transactions.values():
                self._advance(merchant, tx, now)
            for invoice in ledger.invoices.values():
                if invoice.status != "created":
                    continue
                due = (
                    self.auto_pay_after is not None
                    and now - invoice.fixed_at >= self.auto_pay_after
                )
                if due:
                    self.pay_invoice(invoice.id)
                elif now > invoice.release_at:
                    invoice.status = "expired"
                    self._tell(merchant, self._invoice_body(invoice))

    def _advance(self, merchant: Merchant, tx: Transaction, now: float) -> None:
        if tx.type == "withdrawal":
            if tx.status == "processing":
                tx.status = "not_confirmed"
                tx.txid = hashlib.sha256(f"wd|{tx.id}|{merchant.key}".encode()).hexdigest()
                self._tell(merchant, self._transaction_body(tx))
            elif tx.status == "not_confirmed" and now - tx.created_at >= CONFIRM_SECONDS:
                tx.status = "confirmed"
                self._tell(merchant, self._transaction_body(tx))
        elif tx.type == "exchange" and tx.status == "processing":
            tx.status = "confirmed"
            self._credit(merchant, tx.receiver_currency, tx.receiver_amount)
            self._tell(merchant, self._transaction_body(tx))
        elif tx.type == "deposit" and tx.status == "not_confirmed":
            if tx.double_spend:
                tx.status = "cancelled"
            else:
                tx.status = "confirmed"
                self._credit(merchant, tx.receiver_currency, tx.receiver_amount)
            self._tell(merchant, self._transaction_body(tx))

    def _transaction_body(self, tx: Transaction) -> dict[str, Any]:
        address = tx.address.as_json() if tx.address is not None else None
        if address is None and tx.to_address:
            address = {
                "id": None,
                "currency": tx.receiver_currency,
                "convert_to": None,
                "address": tx.to_address,
                "tag": None,
                "foreign_id": tx.foreign_id,
            }
        chain_amount = tx.sender_amount if tx.type == "deposit" else tx.receiver_amount
        chain_currency = tx.sender_currency if tx.type == "deposit" else tx.receiver_currency
        transactions = []
        if tx.type in ("deposit", "withdrawal") and tx.txid:
            transactions.append(
                {
                    "id": tx.id,
                    "currency": chain_currency,
                    "transaction_type": "blockchain",
                    "type": tx.type,
                    "address": address["address"] if address else None,
                    "tag": None,
                    "amount": amount_text(chain_amount),
                    "txid": tx.txid,
                    "confirmations": 0 if tx.status == "not_confirmed" else 3,
                }
            )
        return {
            "id": tx.id,
            "foreign_id": tx.foreign_id,
            "type": tx.type,
            "crypto_address": address,
            "currency_sent": {
                "currency": tx.sender_currency,
                "amount": amount_text(tx.sender_amount),
            },
            "currency_received": {
                "currency": tx.receiver_currency,
                "amount": amount_text(tx.receiver_amount),
            },
            "transactions": transactions,
            "fees": [
                {
                    "type": "fee_crypto_deposit" if tx.type == "deposit" else tx.type,
                    "currency": tx.fee_currency,
                    "amount": amount_text(tx.fee_amount),
                }
            ],
            "price": None if tx.price is None else amount_text(tx.price),
            "error": "",
            "status": tx.status,
        }

    def _tell(self, merchant: Merchant, payload: dict[str, Any]) -> None:
        self.callbacks.enqueue(merchant.key, merchant.secret, merchant.callback_url, payload)


def places(value: Decimal) -> str:
    return str(quantize(value, PLACES))


def rounded(value: Decimal, rounding: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-PLACES), rounding=rounding)
