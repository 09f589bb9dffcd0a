"""One merchant's WallexPay account for /connect: balances, deposit addresses, fees.

Per the WallexPay API document (seed 003), signed as ``auth.py`` says: every call is a
``POST`` to ``/api/v2/<method>`` whose raw JSON body is signed with the merchant's
secret key. The calls used here: ``accounts/list`` (balances, and the harmless call
that proves the key), ``addresses/take`` (a deposit address) and ``currencies/list``
(the per-currency fees shown as the profile); and the calls that move money, each
sent once (``idempotent=False``): ``withdrawal/crypto`` (``withdraw``,
``withdraw_crypto``), ``exchange/calculate`` (``exchange_calculate``, a ``Quote``),
``exchange/fixed`` (``exchange_fixed``/``exchange_quote``), ``exchange/now``,
``futures/rates``, ``futures/confirm`` and ``invoices/create`` (``create_invoice``).
Callbacks are read by ``exchanges.wallexpay.callbacks``.

Choices where the document is silent or contradicts itself:
- Credentials: the document does not name them; WallexPay's authorization page calls
  them the public key (sent as ``X-Processing-Key``) and the secret key. Both are
  asked for as secrets: the public key alone still identifies the merchant.
- ``verify()`` calls ``accounts/list``: it is signed, reads only, and fails on a bad
  key or signature like any other call (``/ping`` is unsigned and proves nothing).
  WallexPay reports neither the merchant's name nor what the key may do, so the
  ``AccountCheck`` carries no label and no rights.
- Balances: ``accounts/list`` gives one ``balance`` per currency and nothing on hold,
  so ``locked`` is zero. Every currency comes back, zero balances included ("Get list
  of all the balances (including zero balances)"); callers filter for display.
- Deposit addresses: ``addresses/take`` has no network parameter; each WallexPay
  currency code is one network, so a ``network`` argument is refused with
  ``NotSupported`` before anything is sent. ``foreign_id`` is required by the server
  ("The foreign id field is required.") and is echoed in the callbacks about deposits
  to the address: callers pass a stable per-user id (e.g. ``user-id:2048``), and
  without one ``DEFAULT_FOREIGN_ID`` is sent. The body is written in the order of the
  documented signing example: ``currency``, ``foreign_id``, then ``convert_to``.
- The document does not say that taking an address twice with the same
  ``foreign_id`` returns the same address. It says the opposite in practice: "You
  obtain new address ... and store it somewhere on your side" and "you don't have to
  generate new address for this customer anymore, address can be reused unlimited
  amount of times". So every call may create a new address (every one of them stays
  valid); the caller stores the address it got and asks again only when it has none.
  For the same reason ``addresses/take`` is not a pure read and is never retried.
- ``convert_to`` equal to ``currency`` means no conversion and is not sent (a
  currency is no exchange pair of itself). An answer for another currency, or with
  another conversion than asked, is refused (``BadResponse``) rather than shown:
  deposits to it would not end up where the user expects.
- The address's ``tag`` becomes the ``memo``. The document's example writes it as
  ``tag-123`` without quotes (not JSON); it is read as text, a number or null.
- Withdrawals: ``WithdrawalRequest.reference`` is sent as ``foreign_id`` ("Unique
  foreign ID in your system"); WallexPay refuses a ``foreign_id`` it has seen, so a
  resend after a lost answer cannot pay twice (the refusal says the reference was
  already used; the callbacks tell what became of the first). Without a reference one
  is made up (``sarraf-<uuid>``), which gives no such protection. The call has no
  network and no tag parameter: a memo, or a network other than the currency code,
  is NotSupported before anything is sent. The answer's ``processing`` and the
  callbacks' ``not_confirmed``/``pending`` are PENDING, ``confirmed`` COMPLETED,
  ``cancelled`` CANCELLED. ``withdrawal_terms``: ``currencies/list``'s
  ``minimum_amount`` and ``precision``; the fee is a percentage, given as a fee only
  when it is 0 (else unknown until the amount is).
- Refusals of money calls (Laravel's reasons) are read for what to change: "must be at
  least" → BelowMinimum, "Insufficient balance" → InsufficientFunds, a price that "is
  expired" → QuoteExpired, anything else about a withdrawal → WithdrawalRejected.
- Quotes: ``exchange/calculate`` takes ``sender_amount`` or ``receiver_amount``;
  ``ts_release`` is the quote's end (``ts_fixed`` + ``fix_period`` when missing).
  ``exchange/fixed`` sends the quoted ``price`` and the quoted ``sender_amount`` as
  written in the quote. The document says ``calculate`` is limited to 30 calls a
  minute per IP; its 429 is RateLimited.
- Futures: ``futures/rates``' ``rates`` are keyed by pair (``BTCUSD``, the address's
  currency then its ``convert_to``), each a map of receiving amount → price; both are
  read as Decimals from their strings (``parse.futures_rates``). The document makes the
  rates step optional and gives no refusal for a ``futures/confirm`` after the rates'
  ``ts_release``; the sandbox refuses it in the documented envelope with a reason
  saying "expired", read as ``QuoteExpired`` like a stale exchange price, and callers
  check the window by their own clock first (``bot/payments.py``). The answer's
  ``futures_id`` (a number) is read as text. ``futures/confirm`` and ``futures/rates``
  are sent once (``_money``): a confirm fixes a price, and rates open a window.
- Invoices: ``amount`` is typed "integer" in the table yet its example is "106.75": it
  is sent as a decimal number in a string, like every amount. The answer's ``name``
  is the title; its ``foreign_id`` (a number in the example) is read as text. The
  document shows one invoice status, ``created``, and describes no invoice callback;
  ``paid``/``expired`` (and the transaction words ``confirmed``/``cancelled``) are read
  from callbacks when they come (``callbacks.py``), and the bot tells an unpaid invoice
  expired by itself after ``release_at`` (``bot/callbacks.py``).
- The account has no orders: ``trading`` offers withdrawals only, and deposits and
  withdrawal updates arrive as callbacks, not by polling (``account_events`` "").
- The profile is the fee table of the enabled currencies (``currencies/list`` with
  ``visible: true``): deposit and withdrawal fee percentages and the least amount.
  WallexPay has no maker/taker fees, so ``AccountProfile.fees`` stays empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField
from exchanges.errors import (
    BadResponse,
    BelowMinimum,
    ExchangeError,
    InsufficientFunds,
    NotSupported,
    QuoteExpired,
    RejectedRequest,
    WithdrawalRejected,
)
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    DepositAddress,
    TradingCapabilities,
    TransferStatus,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalTerms,
)
from exchanges.wallexpay import parse
from exchanges.wallexpay.client import NAME, code, signed_call
from exchanges.wallexpay.models import (
    Address,
    Currency,
    FuturesConfirmation,
    FuturesRates,
    Invoice,
    Quote,
    Transaction,
)

DEFAULT_FOREIGN_ID = "sarraf"


class WallexPayAccount(AccountClient):
    """A merchant's WallexPay account, signed with its public key and secret key."""

    name = NAME
    title = "WallexPay"
    credential_fields = (
        CredentialField("key", "Public key (X-Processing-Key)"),
        CredentialField("secret", "Secret key"),
    )
    trading = TradingCapabilities(
        withdraw=True,
        notes=(
            "WallexPay is a payment gateway: no orders; exchange at a quoted rate instead",
            "deposits and withdrawal updates arrive as callbacks to the bot's URL",
        ),
    )

    async def verify(self) -> AccountCheck:
        """Reads the balances: proves key and signature without changing anything."""
        parse.balances(await self._call("accounts/list"))
        return AccountCheck(account_label=None, rights=None)

    async def balances(self) -> Sequence[Balance]:
        """Every currency of the merchant, zero balances included; ``locked`` is zero."""
        return parse.balances(await self._call("accounts/list"))

    async def deposit_address(
        self,
        currency: str,
        network: str | None = None,
        *,
        owner: str | None = None,
        foreign_id: str | None = None,
        convert_to: str | None = None,
    ) -> DepositAddress:
        """An address to receive ``currency`` on, from ``addresses/take``.

        ``foreign_id`` is the caller's stable reference for the user the address is
        for (``DEFAULT_FOREIGN_ID`` when None); WallexPay returns it in the address
        and in the callbacks of deposits to it. ``convert_to`` makes WallexPay
        exchange every deposit into that currency on arrival (see ``currencies/pairs``
        for what is offered). ``network`` is not a WallexPay parameter: a value is
        refused with ``NotSupported``. Each call may create a new address: store it.
        """
        if network:
            raise NotSupported(
                self.name, "WallexPay takes no network: each currency code is one network"
            )
        taken = await self.take_address(
            currency, foreign_id=foreign_id or owner, convert_to=convert_to
        )
        return DepositAddress(currency=taken.currency, address=taken.address, memo=taken.tag)

    async def take_address(
        self, currency: str, *, foreign_id: str | None = None, convert_to: str | None = None
    ) -> Address:
        """The whole address object of ``addresses/take`` (with its id, for futures)."""
        asked = code(currency)
        if not asked:
            raise ValueError("a currency code is needed")
        reference = DEFAULT_FOREIGN_ID if foreign_id is None else foreign_id.strip()
        if not reference:
            raise ValueError("foreign_id must not be empty")
        target = code(convert_to) if convert_to else None
        params: dict[str, str] = {"currency": asked, "foreign_id": reference}
        if target and target != asked:
            params["convert_to"] = target
        data = await self._call("addresses/take", params, idempotent=False)
        taken = parse.address(data)
        if taken.currency != asked:
            raise BadResponse(self.name, f"an address for {taken.currency} came back, not {asked}")
        if taken.convert_to != params.get("convert_to", taken.convert_to):
            raise BadResponse(self.name, f"the address does not convert to {target}")
        return taken

    async def profile(self) -> AccountProfile:
        """The fees of every enabled currency, one line each."""
        currencies = parse.currencies(await self._call("currencies/list", {"visible": True}))
        return AccountProfile(lines=tuple(_fee_line(c) for c in currencies))

    # --- withdrawals --------------------------------------------------------------------
    async def withdrawal_terms(self, currency: str, network: str | None = None) -> WithdrawalTerms:
        """From ``currencies/list``: the least amount and the places; the fee is a
        percentage (known in money only once the amount is), so it is given only when
        it is zero."""
        asked = code(currency)
        found = next(
            (c for c in parse.currencies(await self._call("currencies/list")) if c.code == asked),
            None,
        )
        if found is None:
            return WithdrawalTerms(currency=asked, network=network)
        pct = found.withdrawal_fee_percent
        return WithdrawalTerms(
            currency=asked,
            network=network,
            fee=Decimal(0) if pct == 0 else None,
            min_amount=found.minimum_amount,
            amount_decimals=found.precision,
        )

    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal:
        """``withdrawal/crypto`` with ``reference`` as ``foreign_id`` (one made up when
        None): WallexPay refuses a ``foreign_id`` it has seen, so a resend never pays
        twice. No network and no memo: the document's call takes neither."""
        if request.network and code(request.network) != code(request.currency):
            raise NotSupported(self.name, "WallexPay takes no network: each currency is one")
        if request.memo:
            raise NotSupported(self.name, "WallexPay's withdrawal takes no memo or tag")
        sent = await self.withdraw_crypto(
            request.currency,
            request.amount,
            request.address,
            foreign_id=request.reference or f"sarraf-{uuid.uuid4().hex}",
        )
        return Withdrawal(
            exchange=self.name,
            withdrawal_id=sent.id,
            currency=sent.sender_currency,
            amount=sent.sender_amount,
            address=request.address,
            status=transfer_status(sent.status),
            fee=sent.fee_amount,
        )

    async def withdraw_crypto(
        self,
        currency: str,
        amount: Decimal,
        address: str,
        *,
        foreign_id: str,
        convert_to: str | None = None,
    ) -> Transaction:
        """``withdrawal/crypto``; ``convert_to`` sends that crypto from a balance in
        ``currency`` (e.g. EUR → BTC)."""
        params: dict[str, Any] = {
            "foreign_id": foreign_id,
            "amount": amount,
            "currency": code(currency),
            "address": address.strip(),
        }
        if convert_to and code(convert_to) != code(currency):
            params["convert_to"] = code(convert_to)
        return parse.transaction(await self._money("withdrawal/crypto", params, withdrawal=True))

    # --- exchange -----------------------------------------------------------------------
    async def exchange_calculate(
        self,
        sender: str,
        receiver: str,
        *,
        sender_amount: Decimal | None = None,
        receiver_amount: Decimal | None = None,
    ) -> Quote:
        """``exchange/calculate``: a quote with its validity (``release_at``). One of the
        two amounts is needed. WallexPay allows 30 of these a minute per IP."""
        if (sender_amount is None) == (receiver_amount is None):
            raise ValueError("give either the amount sent or the amount received")
        params: dict[str, Any] = {
            "sender_currency": code(sender),
            "receiver_currency": code(receiver),
        }
        if sender_amount is not None:
            params["sender_amount"] = sender_amount
        else:
            params["receiver_amount"] = receiver_amount
        return parse.quote(await self._call("exchange/calculate", params))

    async def exchange_fixed(
        self,
        sender: str,
        receiver: str,
        sender_amount: Decimal,
        *,
        price: Decimal,
        foreign_id: str,
    ) -> Transaction:
        """``exchange/fixed`` at a quoted ``price``; a quote past its time → QuoteExpired."""
        params = {
            "sender_currency": code(sender),
            "receiver_currency": code(receiver),
            "sender_amount": sender_amount,
            "foreign_id": foreign_id,
            "price": price,
        }
        return parse.transaction(await self._money("exchange/fixed", params))

    async def exchange_quote(self, quote: Quote, *, foreign_id: str) -> Transaction:
        """``exchange/fixed`` for a quote from ``exchange_calculate``; a quote whose time
        is over by this client's clock is QuoteExpired before anything is sent."""
        if self.clock() > quote.release_at.timestamp():
            raise QuoteExpired(self.name, "the quote's time is over: ask for a new one")
        return await self.exchange_fixed(
            quote.sender_currency,
            quote.receiver_currency,
            quote.sender_amount,
            price=quote.price,
            foreign_id=foreign_id,
        )

    async def exchange_now(
        self, sender: str, receiver: str, sender_amount: Decimal, *, foreign_id: str
    ) -> Transaction:
        """``exchange/now``: at whatever the rate is when it arrives."""
        params = {
            "sender_currency": code(sender),
            "receiver_currency": code(receiver),
            "sender_amount": sender_amount,
            "foreign_id": foreign_id,
        }
        return parse.transaction(await self._money("exchange/now", params))

    # --- futures ------------------------------------------------------------------------
    async def futures_rates(self, address: str) -> FuturesRates:
        """``futures/rates`` of an address taken with ``convert_to``."""
        return parse.futures_rates(await self._money("futures/rates", {"address": address}))

    async def futures_confirm(
        self, address: str, sender: str, receiver: str, receiver_amount: Decimal
    ) -> FuturesConfirmation:
        """``futures/confirm``: fixes the rate of the next deposit to ``address``."""
        params = {
            "address": address,
            "sender_currency": code(sender),
            "receiver_currency": code(receiver),
            "receiver_amount": receiver_amount,
        }
        return parse.futures_confirmation(await self._money("futures/confirm", params))

    # --- invoices -----------------------------------------------------------------------
    async def create_invoice(
        self,
        amount: Decimal,
        currency: str,
        *,
        foreign_id: str,
        title: str | None = None,
        description: str | None = None,
        sender_currency: str | None = None,
        timer: bool | None = None,
        url_success: str | None = None,
        url_failed: str | None = None,
        email_user: str | None = None,
    ) -> Invoice:
        """``invoices/create``: a link where the customer pays ``amount`` ``currency``."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": code(currency),
            "foreign_id": foreign_id,
        }
        optional: dict[str, Any] = {
            "title": title,
            "description": description,
            "sender_currency": code(sender_currency) if sender_currency else None,
            "timer": timer,
            "url_success": url_success,
            "url_failed": url_failed,
            "email_user": email_user,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        return parse.invoice(await self._money("invoices/create", params))

    async def _money(
        self, method: str, params: Mapping[str, Any], *, withdrawal: bool = False
    ) -> Any:
        """A call that moves money: sent once, its refusal read as what to change."""
        try:
            return await self._call(method, params, idempotent=False)
        except RejectedRequest as exc:
            raise money_error(exc.message, withdrawal=withdrawal) from None

    async def _call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> Any:
        """A signed call; an unknown currency is reported by the code that was sent."""
        sent = params or {}
        return await signed_call(
            self.http, self.credentials, method, sent, sent=sent, idempotent=idempotent
        )


def _fee_line(currency: Currency) -> tuple[str, str]:
    parts = []
    if currency.deposit_fee_percent is not None:
        parts.append(f"deposit {_plain(currency.deposit_fee_percent)} %")
    if currency.withdrawal_fee_percent is not None:
        parts.append(f"withdrawal {_plain(currency.withdrawal_fee_percent)} %")
    if currency.minimum_amount is not None:
        parts.append(f"minimum {_plain(currency.minimum_amount)}")
    return currency.code, ", ".join(parts) or "-"


def _plain(value: Decimal) -> str:
    """``0.50`` → ``0.5``, ``100`` stays ``100`` (never ``1E+2``)."""
    return format(value.normalize(), "f")


# WallexPay's statuses (answers and callbacks) → ours.
_TRANSFER_STATES = {
    "processing": TransferStatus.PENDING,
    "not_confirmed": TransferStatus.PENDING,
    "pending": TransferStatus.PENDING,
    "confirmed": TransferStatus.COMPLETED,
    "cancelled": TransferStatus.CANCELLED,
}


def transfer_status(status: str) -> TransferStatus:
    """``confirmed`` and ``cancelled`` are final; anything else is still pending."""
    return _TRANSFER_STATES.get(status.strip().lower(), TransferStatus.PENDING)


def money_error(reasons: str, *, withdrawal: bool = False) -> ExchangeError:
    """A money call's refusal (Laravel's reasons, joined) → what the user must change."""
    lowered = reasons.lower()
    if "insufficient" in lowered or "not enough" in lowered:
        return InsufficientFunds(NAME, reasons)
    if "must be at least" in lowered:
        return BelowMinimum(NAME, reasons)
    if "expired" in lowered:
        return QuoteExpired(NAME, reasons)
    if "foreign id has already been taken" in lowered:
        return RejectedRequest(
            NAME, f"WallexPay already has a request with this reference ({reasons})"
        )
    if withdrawal:
        return WithdrawalRejected(NAME, reasons)
    return RejectedRequest(NAME, reasons)
