"""Withdrawals and WEX coupons: checked, summarised, and sent only after both steps.

``plan`` checks everything that can be checked before the user is asked (the system
offers withdrawals at all, the amount's places and the system's minimum and maximum,
the available balance, the address's shape, a memo where one is needed, the daily
cap) and returns a ``WithdrawalPlan`` for the summary. The Confirm button (the
confirmation store) and the one-time code (``bot/one_time_codes.py``) are the
handlers' part; ``send`` is called only after both, re-checks the cap under a
per-user lock, writes a ``sending`` row (so the cap counts it whatever happens
next) and makes the one upstream call with the confirmation's reference, which
WallexPay takes as ``foreign_id`` so a retried request cannot pay twice.

Amount semantics differ by system and the account contract does not carry them yet:
on WEX the fee is taken from the amount (its document: ``amountSent`` is "the amount
actually sent, the fee considered"); on Narkasa it is added on top (its sandbox
reserves amount + the channel's ``commission``; the document is silent), and on
WallexPay too (its ``withdrawal_fee_percent`` is taken from the balance on top). A
``fee_deducted`` field on ``WithdrawalTerms``, where a client sets it, wins over
``FEE_DEDUCTED``; where neither says, the summary gives both bounds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

from bot.accounts import AccountService, NoAccountSupport
from bot.addresses import AddressBook, check_address, check_memo, saved_on_exchange
from bot.caps import Caps, CapView
from bot.errors import BotError
from bot.i18n import places_of
from exchanges.accounts import AccountClient
from exchanges.errors import ExchangeError, NetworkError, RequestTimeout
from exchanges.models import Withdrawal, WithdrawalRequest, WithdrawalTerms
from storage.db import Database
from storage.repos import withdrawals as transfers

log = logging.getLogger(__name__)
T = TypeVar("T")
# True: the fee comes out of the amount; False: it is added on top (see above).
FEE_DEDUCTED: dict[str, bool] = {"wex": True, "narkasa": False, "wallexpay": False}


class WithdrawalsNotOffered(BotError):
    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange} offers no withdrawals through its API")
        self.exchange = exchange


class CouponsNotOffered(BotError):
    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange} offers no coupons")
        self.exchange = exchange


class AmountProblem(BotError):
    """The amount cannot be withdrawn as typed; ``kind`` says why, ``limit`` the bound."""

    def __init__(self, kind: str, currency: str, limit: Decimal | int | None = None) -> None:
        super().__init__(f"{kind}: {currency} {limit}")
        self.kind = kind  # "not_positive" | "places" | "minimum" | "maximum" | "fee"
        self.currency = currency
        self.limit = limit


class NotEnoughBalance(BotError):
    def __init__(self, exchange: str, currency: str, available: Decimal, needed: Decimal) -> None:
        super().__init__(f"{currency}: {available} available, {needed} needed")
        self.exchange = exchange
        self.currency = currency
        self.available = available
        self.needed = needed


class MemoRequired(BotError):
    def __init__(self, currency: str) -> None:
        super().__init__(f"{currency} needs a memo")
        self.currency = currency


class OutcomeUnknown(BotError):
    """No answer from the system after the request left: it may have gone through."""

    def __init__(self, exchange: str, reference: str) -> None:
        super().__init__(f"{exchange}: no answer for {reference}")
        self.exchange = exchange
        self.reference = reference


@dataclass(frozen=True, slots=True)
class WithdrawalPlan:
    exchange: str
    currency: str
    amount: Decimal
    address: str
    network: str | None
    memo: str | None
    fee: Decimal | None
    receive: Decimal | None
    available: Decimal | None
    saved: bool
    saved_label: str | None
    cap: CapView | None
    fee_deducted: bool | None = None

    @property
    def debit(self) -> Decimal:
        """What leaves the balance (the amount, plus the fee where it comes on top)."""
        if self.fee is not None and self.fee_deducted is False:
            return self.amount + self.fee
        return self.amount

    def payload(self) -> dict[str, Any]:
        """What the confirmation stores: enough to send it, nothing secret."""
        return {
            "exchange": self.exchange,
            "currency": self.currency,
            "amount": str(self.amount),
            "address": self.address,
            "network": self.network,
            "memo": self.memo,
            "fee": None if self.fee is None else str(self.fee),
        }


@dataclass(frozen=True, slots=True)
class CouponPlan:
    exchange: str
    currency: str
    amount: Decimal
    available: Decimal
    cap: CapView | None

    def payload(self) -> dict[str, Any]:
        return {"exchange": self.exchange, "currency": self.currency, "amount": str(self.amount)}


@dataclass(frozen=True, slots=True)
class CouponMade:
    """A coupon created: ``code`` is money to whoever holds it. Shown once, never kept."""

    code: str
    currency: str
    amount: Decimal
    transaction_id: str | None

    def __repr__(self) -> str:
        return f"CouponMade(currency={self.currency!r}, amount={self.amount!r}, code=***)"


@dataclass(frozen=True, slots=True)
class CouponRedeemed:
    currency: str
    amount: Decimal
    transaction_id: str | None


@runtime_checkable
class CouponDesk(Protocol):
    """What a system with coupons (WEX) offers beyond the account contract."""

    async def create_coupon(
        self, currency: str, amount: Decimal, receiver: str | None = None
    ) -> Any: ...

    async def redeem_coupon(self, coupon: str) -> Any: ...


def split_extras(extras: Sequence[str], needs_memo: bool) -> tuple[str | None, str | None]:
    """``[NETWORK|MEMO]`` (and ``NETWORK MEMO``) → (network, memo). ``memo=…`` /
    ``network=…`` say it outright; one bare word is a memo where the currency needs
    one, else a network."""
    network: str | None = None
    memo: str | None = None
    bare: list[str] = []
    for extra in extras:
        key, sep, value = extra.partition("=")
        if sep and key.lower() in ("memo", "tag"):
            memo = value
        elif sep and key.lower() == "network":
            network = value.upper()
        else:
            bare.append(extra)
    if len(bare) == 1:
        if needs_memo and memo is None:
            memo = bare[0]
        elif network is None:
            network = bare[0].upper()
        else:
            memo = bare[0]
    elif len(bare) >= 2:
        network = network or bare[0].upper()
        memo = memo or bare[1]
    return network, memo


def fee_deducted(exchange: str, terms: WithdrawalTerms) -> bool | None:
    """Whether the fee comes out of the amount (True), on top of it (False), or unknown."""
    said = getattr(terms, "fee_deducted", None)
    return said if isinstance(said, bool) else FEE_DEDUCTED.get(exchange)


def receives(amount: Decimal, fee: Decimal | None, deducted: bool | None) -> Decimal | None:
    """What reaches the address; None where it depends on what the system does not say."""
    if fee == 0 or deducted is False:
        return amount
    if fee is None or deducted is None:
        return None
    return amount - fee


def check_amount(terms: WithdrawalTerms, amount: Decimal) -> None:
    currency = terms.currency
    if amount <= 0:
        raise AmountProblem("not_positive", currency)
    if terms.amount_decimals is not None and places_of(amount) > terms.amount_decimals:
        raise AmountProblem("places", currency, terms.amount_decimals)
    if terms.min_amount is not None and amount < terms.min_amount:
        raise AmountProblem("minimum", currency, terms.min_amount)
    if terms.max_amount is not None and amount > terms.max_amount:
        raise AmountProblem("maximum", currency, terms.max_amount)
    if terms.fee is not None and terms.fee >= amount:
        raise AmountProblem("fee", currency, terms.fee)


class WithdrawalService:
    def __init__(
        self, db: Database, accounts: AccountService, book: AddressBook, caps: Caps
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.book = book
        self.caps = caps
        self._locks: dict[int, asyncio.Lock] = {}

    def offers_withdrawals(self, exchange: str) -> bool:
        if exchange not in self.accounts.factories:
            raise NoAccountSupport(exchange)
        return bool(self.accounts.factories[exchange][0].trading.withdraw)

    def offers_coupons(self, exchange: str) -> bool:
        if exchange not in self.accounts.factories:
            raise NoAccountSupport(exchange)
        cls = self.accounts.factories[exchange][0]
        return callable(getattr(cls, "create_coupon", None)) and callable(
            getattr(cls, "redeem_coupon", None)
        )

    async def _call(self, exchange: str, work: Awaitable[T]) -> T:
        async with self.accounts.health.track(exchange):
            try:
                async with asyncio.timeout(self.accounts.timeout):
                    return await work
            except TimeoutError:
                raise RequestTimeout(exchange, "no answer in time") from None

    async def _available(self, client: AccountClient, exchange: str, currency: str) -> Decimal:
        for balance in await self._call(exchange, client.balances()):
            if balance.currency.upper() == currency:
                return balance.available
        return Decimal(0)

    async def plan(
        self,
        user_id: int,
        exchange: str,
        currency: str,
        amount: Decimal,
        address: str,
        extras: Sequence[str] = (),
    ) -> WithdrawalPlan:
        currency = currency.upper()
        if not self.offers_withdrawals(exchange):
            raise WithdrawalsNotOffered(exchange)
        async with self.accounts.session(user_id, exchange) as client:
            first = await self._call(exchange, client.withdrawal_terms(currency))
            network, memo = split_extras(extras, first.needs_memo)
            terms = first
            if network is not None and network != first.network:
                terms = await self._call(exchange, client.withdrawal_terms(currency, network))
            check_address(currency, address, network)
            if memo is not None:
                check_memo(memo)
            elif terms.needs_memo:
                raise MemoRequired(currency)
            check_amount(terms, amount)
            available = await self._available(client, exchange, currency)
            # An address saved in the exchange's own book (Narkasa) is not an unknown one.
            on_exchange = await saved_on_exchange(
                client, currency, address, network or terms.network, self.accounts.timeout
            )
        deducted = fee_deducted(exchange, terms)
        needed = amount + terms.fee if terms.fee is not None and deducted is False else amount
        if available < needed:
            raise NotEnoughBalance(exchange, currency, available, needed)
        cap = await self.caps.check(user_id, currency, amount)
        saved = await self.book.known(
            user_id, exchange, currency, address, network=network or terms.network, memo=memo
        )
        return WithdrawalPlan(
            exchange=exchange,
            currency=currency,
            amount=amount,
            address=address,
            network=network or terms.network,
            memo=memo,
            fee=terms.fee,
            receive=receives(amount, terms.fee, deducted),
            available=available,
            saved=saved is not None or on_exchange is not None,
            saved_label=saved.label if saved else (on_exchange.label if on_exchange else None),
            cap=cap,
            fee_deducted=deducted,
        )

    async def _start(
        self,
        user_id: int,
        chat_id: int,
        *,
        exchange: str,
        kind: str,
        currency: str,
        amount: Decimal,
        reference: str,
        address: str | None = None,
        network: str | None = None,
        memo: str | None = None,
    ) -> int:
        """The cap once more, and the ``sending`` row, under the user's lock: two
        withdrawals racing each other cannot both pass the cap."""
        if kind in ("withdrawal", "coupon"):
            await self.caps.check(user_id, currency, amount)
        async with self.db.session() as session:
            row = await transfers.start(
                session,
                user_id=user_id,
                chat_id=chat_id,
                exchange=exchange,
                kind=kind,
                currency=currency,
                amount=amount,
                reference=reference,
                address=address,
                network=network,
                memo=memo,
            )
            return row.id

    async def _finish(self, row_id: int, state: str, **values: Any) -> None:
        async with self.db.session() as session:
            await transfers.finish(session, row_id, state=state, **values)

    async def _settle_error(
        self, row_id: int, exchange: str, reference: str, exc: Exception
    ) -> None:
        """Record why it failed; a network error after sending means "unknown"."""
        if isinstance(exc, NetworkError):
            await self._finish(row_id, transfers.UNKNOWN, error=type(exc).__name__)
            log.warning("%s: no answer to transfer %s; its outcome is unknown", exchange, row_id)
            raise OutcomeUnknown(exchange, reference) from exc
        await self._finish(row_id, transfers.FAILED, error=type(exc).__name__)

    async def send(
        self, user_id: int, chat_id: int, payload: dict[str, Any], reference: str
    ) -> Withdrawal:
        exchange = str(payload["exchange"])
        currency = str(payload["currency"])
        amount = Decimal(str(payload["amount"]))
        address = str(payload["address"])
        network = payload.get("network")
        memo = payload.get("memo")
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            row_id = await self._start(
                user_id,
                chat_id,
                exchange=exchange,
                kind="withdrawal",
                currency=currency,
                amount=amount,
                reference=reference,
                address=address,
                network=network,
                memo=memo,
            )
        request = WithdrawalRequest(
            currency=currency,
            amount=amount,
            address=address,
            network=network,
            memo=memo,
            reference=reference,
        )
        try:
            async with self.accounts.session(user_id, exchange) as client:
                done = await self._call(exchange, client.withdraw(request))
        except (ExchangeError, BotError) as exc:
            await self._settle_error(row_id, exchange, reference, exc)
            raise
        await self._finish(
            row_id,
            transfers.SENT,
            upstream_id=done.withdrawal_id,
            upstream_status=str(done.status),
        )
        log.info(
            "user %s: %s withdrawal %s sent (transfer %s)", user_id, exchange, currency, row_id
        )
        return done

    # --- WEX coupons ---------------------------------------------------------------
    async def plan_coupon(
        self, user_id: int, exchange: str, currency: str, amount: Decimal
    ) -> CouponPlan:
        currency = currency.upper()
        if not self.offers_coupons(exchange):
            raise CouponsNotOffered(exchange)
        if amount <= 0:
            raise AmountProblem("not_positive", currency)
        async with self.accounts.session(user_id, exchange) as client:
            available = await self._available(client, exchange, currency)
        if available < amount:
            raise NotEnoughBalance(exchange, currency, available, amount)
        cap = await self.caps.check(user_id, currency, amount)
        return CouponPlan(exchange, currency, amount, available, cap)

    async def check_coupons(self, user_id: int, exchange: str) -> None:
        """Before a redeem is confirmed: the system has coupons and the account is there."""
        if not self.offers_coupons(exchange):
            raise CouponsNotOffered(exchange)
        async with self.accounts.session(user_id, exchange):
            pass

    async def create_coupon(
        self, user_id: int, chat_id: int, payload: dict[str, Any], reference: str
    ) -> CouponMade:
        exchange = str(payload["exchange"])
        currency = str(payload["currency"])
        amount = Decimal(str(payload["amount"]))
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            row_id = await self._start(
                user_id,
                chat_id,
                exchange=exchange,
                kind="coupon",
                currency=currency,
                amount=amount,
                reference=reference,
            )
        try:
            async with self.accounts.session(user_id, exchange) as client:
                if not isinstance(client, CouponDesk):
                    raise CouponsNotOffered(exchange)
                made = await self._call(exchange, client.create_coupon(currency, amount))
        except (ExchangeError, BotError) as exc:
            await self._settle_error(row_id, exchange, reference, exc)
            raise
        coupon = _coupon_made(made, currency, amount)
        await self._finish(
            row_id, transfers.SENT, upstream_id=coupon.transaction_id, upstream_status="created"
        )
        log.info("user %s: %s coupon created (transfer %s)", user_id, exchange, row_id)
        return coupon

    async def redeem_coupon(
        self, user_id: int, chat_id: int, exchange: str, code: str, reference: str
    ) -> CouponRedeemed:
        row_id = await self._start(
            user_id,
            chat_id,
            exchange=exchange,
            kind="redeem",
            currency="",
            amount=Decimal(0),
            reference=reference,
        )
        try:
            async with self.accounts.session(user_id, exchange) as client:
                if not isinstance(client, CouponDesk):
                    raise CouponsNotOffered(exchange)
                done = await self._call(exchange, client.redeem_coupon(code))
        except (ExchangeError, BotError) as exc:
            await self._settle_error(row_id, exchange, reference, exc)
            raise
        redeemed = _coupon_redeemed(done)
        await self._finish(
            row_id,
            transfers.SENT,
            upstream_id=redeemed.transaction_id,
            upstream_status="redeemed",
            currency=redeemed.currency,
            amount=redeemed.amount,
        )
        log.info("user %s: %s coupon redeemed (transfer %s)", user_id, exchange, row_id)
        return redeemed


def _field(value: Any, *names: str) -> Any:
    for name in names:
        if isinstance(value, dict) and name in value:
            return value[name]
        if hasattr(value, name):
            return getattr(value, name)
    return None


def _coupon_made(made: Any, currency: str, amount: Decimal) -> CouponMade:
    code = _field(made, "coupon", "code")
    tid = _field(made, "transaction_id", "trans_id", "transID")
    return CouponMade(str(code), currency, amount, None if tid is None else str(tid))


def _coupon_redeemed(done: Any) -> CouponRedeemed:
    amount = _field(done, "amount", "coupon_amount", "couponAmount")
    currency = _field(done, "currency", "coupon_currency", "couponCurrency")
    tid = _field(done, "transaction_id", "trans_id", "transID")
    return CouponRedeemed(
        str(currency or "").upper(),
        Decimal(str(amount if amount is not None else 0)),
        None if tid is None else str(tid),
    )
