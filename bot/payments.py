"""WallexPay payments: /convert at a quoted rate, and /invoice links.

A conversion is quoted by ``exchange/calculate``: WallexPay fixes the rate from
``ts_fixed`` to ``ts_release``. The quote is shown with its time left and a Confirm
button; Confirm sends ``exchange/fixed`` with the quoted price and the confirmation's
reference as ``foreign_id`` (so a retry cannot exchange twice) — but only while the
quote still holds by our clock, with a small margin for the request's own trip;
after that it says the quote expired and offers a fresh one. Money stays in the
merchant's own account, so no one-time code and no daily cap apply here.

``/convert AMOUNT FROM TO now`` is ``exchange/now``: no price is sent, WallexPay uses
whatever its rate is when the request arrives. The summary shows a fresh
``exchange/calculate`` figure as an indication only, and says so.

Futures (``/futures AMOUNT FROM TO``) follow the document's futures flow: an address
is taken for FROM converting to TO (``addresses/take`` with ``convert_to``), its rates
are asked (``futures/rates``: one price per receiving-amount tier, fixed from
``ts_fixed`` to ``ts_release``), and Confirm sends ``futures/confirm`` for the amount
due — AMOUNT, in TO, what the merchant receives: the document's "amount due" is the
``receiver_amount``. A fresh address is taken for every futures: a futures fixes the
rate of deposits to its address, so one address per futures keeps another customer's
deposit from landing on someone else's fixed rate (WallexPay's addresses stay valid and
cost nothing). The price shown is the one of the largest tier not above AMOUNT (the
smallest tier for less); the amount the customer sends is only known, fee included,
from ``futures/confirm``'s answer. Confirm is refused by our clock once the rates'
window is over (with the same margin as a quote), and WallexPay refuses it after
``ts_release`` too ("expired" → ``QuoteExpired``): either way the user is told it
lapsed and offered fresh rates.

An invoice is created by ``invoices/create`` under a reference of ours as its
``foreign_id``, remembered with its owner, so that WallexPay's callbacks about it
(paid, expired) reach the merchant who created it (``bot/callbacks.py``). It enters the
WallexPay ledger as ``created`` at once (the /invoice reply is its first notice).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.accounts import AccountService
from bot.errors import BotError
from exchanges.errors import QuoteExpired, RequestTimeout
from exchanges.wallexpay.models import Address
from storage.db import Database
from storage.repos import merchants, wallexpay_invoices, wallexpay_ledger

T = TypeVar("T")
EXCHANGE = "wallexpay"
SEND_MARGIN_SECONDS = 3.0  # a Confirm this close to the end would arrive too late
TITLE_MAX = 128


class NotAWallexPayFeature(BotError):
    """The connected client lacks the call (an older client or another system)."""


@dataclass(frozen=True, slots=True)
class Quote:
    sender_amount: Decimal
    sender_currency: str
    receiver_amount: Decimal
    receiver_currency: str
    price: Decimal
    fee_amount: Decimal | None
    fee_currency: str | None
    fixed_at: datetime
    release_at: datetime

    def payload(self) -> dict[str, Any]:
        return {
            "sender_amount": str(self.sender_amount),
            "sender_currency": self.sender_currency,
            "receiver_amount": str(self.receiver_amount),
            "receiver_currency": self.receiver_currency,
            "price": str(self.price),
            "fee_amount": None if self.fee_amount is None else str(self.fee_amount),
            "fee_currency": self.fee_currency,
            "fixed_at": self.fixed_at.timestamp(),
            "release_at": self.release_at.timestamp(),
        }

    @classmethod
    def of_payload(cls, p: dict[str, Any]) -> Quote:
        return cls(
            sender_amount=Decimal(str(p["sender_amount"])),
            sender_currency=str(p["sender_currency"]),
            receiver_amount=Decimal(str(p["receiver_amount"])),
            receiver_currency=str(p["receiver_currency"]),
            price=Decimal(str(p["price"])),
            fee_amount=None if p.get("fee_amount") is None else Decimal(str(p["fee_amount"])),
            fee_currency=p.get("fee_currency"),
            fixed_at=datetime.fromtimestamp(float(p["fixed_at"]), UTC),
            release_at=datetime.fromtimestamp(float(p["release_at"]), UTC),
        )


@dataclass(frozen=True, slots=True)
class Conversion:
    id: str
    status: str
    sender_amount: Decimal
    sender_currency: str
    receiver_amount: Decimal
    receiver_currency: str
    price: Decimal
    fee_amount: Decimal | None
    fee_currency: str | None


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    id: str
    url: str
    amount: Decimal
    currency: str
    title: str | None
    status: str
    release_at: datetime | None
    callback_url: str | None
    callbacks_heard: bool


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """One of the merchant's invoices as the bot knows it (its last heard status)."""

    id: str
    url: str
    amount: Decimal
    currency: str
    title: str | None
    status: str
    release_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FuturesOffer:
    """The rates ``futures/rates`` fixed for one exchange address, and the amount due."""

    address: str
    tag: str | None
    sender_currency: str
    receiver_currency: str
    receiver_amount: Decimal
    price: Decimal
    fixed_at: datetime
    release_at: datetime

    @property
    def sender_estimate(self) -> Decimal | None:
        """About what the customer sends, before the fee (known only on confirm)."""
        return None if self.price <= 0 else self.receiver_amount / self.price

    def payload(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "tag": self.tag,
            "sender_currency": self.sender_currency,
            "receiver_currency": self.receiver_currency,
            "receiver_amount": str(self.receiver_amount),
            "price": str(self.price),
            "fixed_at": self.fixed_at.timestamp(),
            "release_at": self.release_at.timestamp(),
        }

    @classmethod
    def of_payload(cls, p: dict[str, Any]) -> FuturesOffer:
        return cls(
            address=str(p["address"]),
            tag=None if p.get("tag") is None else str(p["tag"]),
            sender_currency=str(p["sender_currency"]),
            receiver_currency=str(p["receiver_currency"]),
            receiver_amount=Decimal(str(p["receiver_amount"])),
            price=Decimal(str(p["price"])),
            fixed_at=datetime.fromtimestamp(float(p["fixed_at"]), UTC),
            release_at=datetime.fromtimestamp(float(p["release_at"]), UTC),
        )


@dataclass(frozen=True, slots=True)
class FuturesFixed:
    """``futures/confirm``'s answer: send ``sender_amount`` to ``address`` by
    ``release_at`` and ``receiver_amount`` arrives."""

    id: str
    address: str
    tag: str | None
    sender_amount: Decimal
    sender_currency: str
    receiver_amount: Decimal
    receiver_currency: str
    price: Decimal
    fee_amount: Decimal | None
    fee_currency: str | None
    release_at: datetime


class NoFuturesRate(BotError):
    """``futures/rates`` gave no price for the pair asked."""

    def __init__(self, sender: str, receiver: str) -> None:
        super().__init__(f"no futures rate for {sender}/{receiver}")
        self.sender = sender
        self.receiver = receiver


def tier_price(tiers: dict[Decimal, Decimal], amount: Decimal) -> Decimal | None:
    """The price of the largest tier not above ``amount``; the smallest tier's below it."""
    if not tiers:
        return None
    below = [t for t in tiers if t <= amount]
    return tiers[max(below)] if below else tiers[min(tiers)]


def _stored(value: datetime) -> datetime:
    """A time from the database in UTC (SQLite gives it back without its zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _f(raw: Any, name: str) -> Any:
    return raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


class PaymentService:
    def __init__(
        self,
        db: Database,
        accounts: AccountService,
        *,
        public_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.public_url = public_url
        # The bot's own HTTP server, once started: the callback URL when no public one is
        # configured (the demo and the tests, where WallexPay is a local sandbox).
        self.local_url: str | None = None
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def _call(self, work: Awaitable[T]) -> T:
        async with self.accounts.health.track(EXCHANGE):
            try:
                async with asyncio.timeout(self.accounts.timeout):
                    return await work
            except TimeoutError:
                raise RequestTimeout(EXCHANGE, "no answer in time") from None

    @staticmethod
    def _method(client: Any, name: str) -> Any:
        method = getattr(client, name, None)
        if not callable(method):
            raise NotAWallexPayFeature(name)
        return method

    # --- conversion -----------------------------------------------------------------
    async def quote(self, user_id: int, amount: Decimal, sender: str, receiver: str) -> Quote:
        async with self.accounts.session(user_id, EXCHANGE) as client:
            calculate = self._method(client, "exchange_calculate")
            raw = await self._call(
                calculate(sender.upper(), receiver.upper(), sender_amount=amount)
            )
        fixed_at = _when(_f(raw, "fixed_at") or _f(raw, "ts_fixed")) or self.now()
        release_at = _when(_f(raw, "release_at") or _f(raw, "ts_release"))
        if release_at is None:
            period = _f(raw, "fix_period")
            release_at = datetime.fromtimestamp(fixed_at.timestamp() + float(period or 0), UTC)
        return Quote(
            sender_amount=_dec(_f(raw, "sender_amount")) or amount,
            sender_currency=str(_f(raw, "sender_currency") or sender).upper(),
            receiver_amount=_dec(_f(raw, "receiver_amount")) or Decimal(0),
            receiver_currency=str(_f(raw, "receiver_currency") or receiver).upper(),
            price=_dec(_f(raw, "price")) or Decimal(0),
            fee_amount=_dec(_f(raw, "fee_amount")),
            fee_currency=_f(raw, "fee_currency"),
            fixed_at=fixed_at,
            release_at=release_at,
        )

    def seconds_left(self, quote: Quote) -> int:
        return max(0, int(quote.release_at.timestamp() - self.clock()))

    def quote_holds(self, quote: Quote) -> bool:
        """True while a request sent now still arrives within the quote's time."""
        return self.clock() + SEND_MARGIN_SECONDS < quote.release_at.timestamp()

    async def convert(self, user_id: int, quote: Quote, reference: str) -> Conversion:
        """``exchange/fixed`` at the quoted price, if the quote still holds."""
        if not self.quote_holds(quote):
            raise QuoteExpired(EXCHANGE, "the quote's time is over")
        async with self.accounts.session(user_id, EXCHANGE) as client:
            fixed = self._method(client, "exchange_fixed")
            raw = await self._call(
                fixed(
                    quote.sender_currency,
                    quote.receiver_currency,
                    quote.sender_amount,
                    price=quote.price,
                    foreign_id=reference,
                )
            )
        return Conversion(
            id=str(_f(raw, "id")),
            status=str(_f(raw, "status") or ""),
            sender_amount=_dec(_f(raw, "sender_amount")) or quote.sender_amount,
            sender_currency=str(_f(raw, "sender_currency") or quote.sender_currency),
            receiver_amount=_dec(_f(raw, "receiver_amount")) or quote.receiver_amount,
            receiver_currency=str(_f(raw, "receiver_currency") or quote.receiver_currency),
            price=_dec(_f(raw, "price")) or quote.price,
            fee_amount=_dec(_f(raw, "fee_amount")),
            fee_currency=_f(raw, "fee_currency"),
        )

    async def convert_now(
        self, user_id: int, amount: Decimal, sender: str, receiver: str, reference: str
    ) -> Conversion:
        """``exchange/now``: at WallexPay's rate when it arrives, ``reference`` as
        ``foreign_id`` (a resend is refused, never exchanged twice)."""
        async with self.accounts.session(user_id, EXCHANGE) as client:
            now = self._method(client, "exchange_now")
            raw = await self._call(
                now(sender.upper(), receiver.upper(), amount, foreign_id=reference)
            )
        return Conversion(
            id=str(_f(raw, "id")),
            status=str(_f(raw, "status") or ""),
            sender_amount=_dec(_f(raw, "sender_amount")) or amount,
            sender_currency=str(_f(raw, "sender_currency") or sender.upper()),
            receiver_amount=_dec(_f(raw, "receiver_amount")) or Decimal(0),
            receiver_currency=str(_f(raw, "receiver_currency") or receiver.upper()),
            price=_dec(_f(raw, "price")) or Decimal(0),
            fee_amount=_dec(_f(raw, "fee_amount")),
            fee_currency=_f(raw, "fee_currency"),
        )

    # --- deposit with exchange ---------------------------------------------------------
    async def deposit_converting(self, user_id: int, currency: str, target: str) -> Address:
        """``addresses/take`` with ``convert_to``: every deposit to the address arrives
        converted to ``target``. Taken under the user's own ``foreign_id``, like /deposit."""
        async with self.accounts.session(user_id, EXCHANGE) as client:
            take = self._method(client, "take_address")
            taken: Address = await self._call(
                take(currency.upper(), foreign_id=f"user-id:{user_id}", convert_to=target.upper())
            )
        return taken

    # --- futures --------------------------------------------------------------------
    async def futures_offer(
        self, user_id: int, amount: Decimal, sender: str, receiver: str
    ) -> FuturesOffer:
        """A new exchange address for ``sender`` → ``receiver`` and its fixed rates."""
        sender, receiver = sender.upper(), receiver.upper()
        async with self.accounts.session(user_id, EXCHANGE) as client:
            take = self._method(client, "take_address")
            rates_of = self._method(client, "futures_rates")
            taken = await self._call(
                take(sender, foreign_id=f"user-id:{user_id}", convert_to=receiver)
            )
            rates = await self._call(rates_of(taken.address))
        tiers = rates.rates.get(f"{sender}{receiver}")
        if tiers is None and len(rates.rates) == 1:
            [tiers] = rates.rates.values()
        price = tier_price(tiers or {}, amount)
        if price is None:
            raise NoFuturesRate(sender, receiver)
        return FuturesOffer(
            address=taken.address,
            tag=taken.tag,
            sender_currency=sender,
            receiver_currency=receiver,
            receiver_amount=amount,
            price=price,
            fixed_at=rates.fixed_at,
            release_at=rates.release_at,
        )

    def futures_seconds_left(self, offer: FuturesOffer) -> int:
        return max(0, int(offer.release_at.timestamp() - self.clock()))

    def futures_hold(self, offer: FuturesOffer) -> bool:
        """True while a ``futures/confirm`` sent now still arrives within the rates' time."""
        return self.clock() + SEND_MARGIN_SECONDS < offer.release_at.timestamp()

    async def futures_confirm(self, user_id: int, offer: FuturesOffer) -> FuturesFixed:
        """``futures/confirm`` for the amount due, if the rates still hold."""
        if not self.futures_hold(offer):
            raise QuoteExpired(EXCHANGE, "the futures rates' time is over")
        async with self.accounts.session(user_id, EXCHANGE) as client:
            confirm = self._method(client, "futures_confirm")
            done = await self._call(
                confirm(
                    offer.address,
                    offer.sender_currency,
                    offer.receiver_currency,
                    offer.receiver_amount,
                )
            )
        return FuturesFixed(
            id=str(done.futures_id),
            address=done.address.address,
            tag=done.address.tag,
            sender_amount=done.sender_amount,
            sender_currency=done.sender_currency,
            receiver_amount=done.receiver_amount,
            receiver_currency=done.receiver_currency,
            price=done.price,
            fee_amount=done.fee_amount,
            fee_currency=done.fee_currency,
            release_at=done.release_at,
        )

    # --- invoices and the callback URL -----------------------------------------------
    async def callback_url(self, user_id: int) -> tuple[str | None, bool]:
        """(the URL WallexPay must call for this merchant, whether a callback was heard).

        The path carries an unguessable token of this merchant, made on first use; the
        URL is None when the bot has no address WallexPay could reach.
        """
        async with self.db.session() as session:
            hook = await merchants.hook_of(session, user_id)
            if hook is None:
                hook = await merchants.create_hook(session, user_id, secrets.token_urlsafe(24))
            token, heard = hook.token, hook.last_callback_at is not None
        base = self.public_url or self.local_url
        if base is None:
            return None, heard
        return f"{base.rstrip('/')}/callbacks/wallexpay/{token}", heard

    async def invoice(
        self, user_id: int, amount: Decimal, currency: str, title: str | None
    ) -> InvoiceLink:
        foreign_id = "inv" + secrets.token_hex(10)
        title = (title or "").strip()[:TITLE_MAX] or None
        async with self.accounts.session(user_id, EXCHANGE) as client:
            create = self._method(client, "create_invoice")
            raw = await self._call(
                create(amount, currency.upper(), foreign_id=foreign_id, title=title)
            )
        invoice_id = str(_f(raw, "id"))
        url = str(_f(raw, "url"))
        status = str(_f(raw, "status") or "created")
        release_at = _when(_f(raw, "release_at"))
        async with self.db.session() as session:
            await merchants.add_invoice(
                session,
                user_id=user_id,
                invoice_id=invoice_id,
                foreign_id=foreign_id,
                url=url,
                amount=amount,
                currency=currency.upper(),
                title=title,
                status=status,
                release_at=release_at,
            )
            await wallexpay_ledger.record(
                session,
                user_id=user_id,
                transaction_id=invoice_id,
                kind="invoice",
                status=status,
                at=self.now(),
                currency=currency.upper(),
                amount=amount,
                foreign_id=foreign_id,
            )
        callback, heard = await self.callback_url(user_id)
        return InvoiceLink(
            id=invoice_id,
            url=url,
            amount=amount,
            currency=currency.upper(),
            title=title,
            status=status,
            release_at=release_at,
            callback_url=callback,
            callbacks_heard=heard,
        )

    async def invoices(self, user_id: int, limit: int = 20) -> list[InvoiceView]:
        """The merchant's latest invoices, newest first, with their last known status."""
        async with self.db.session() as session:
            rows = await wallexpay_invoices.of_user(session, user_id, limit)
        return [
            InvoiceView(
                id=r.invoice_id,
                url=r.url,
                amount=Decimal(r.amount),
                currency=r.currency,
                title=r.title,
                status=r.status,
                release_at=None if r.release_at is None else _stored(r.release_at),
                created_at=_stored(r.created_at),
            )
            for r in rows
        ]
