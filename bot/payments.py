"""WallexPay payments: /convert at a quoted rate, and /invoice links.

A conversion is quoted by ``exchange/calculate``: WallexPay fixes the rate from
``ts_fixed`` to ``ts_release``. The quote is shown with its time left and a Confirm
button; Confirm sends ``exchange/fixed`` with the quoted price and the confirmation's
reference as ``foreign_id`` (so a retry cannot exchange twice) — but only while the
quote still holds by our clock, with a small margin for the request's own trip;
after that it says the quote expired and offers a fresh one. Money stays in the
merchant's own account, so no one-time code and no daily cap apply here.

An invoice is created by ``invoices/create`` under a reference of ours as its
``foreign_id``, remembered with its owner, so that WallexPay's callbacks about it
(paid, expired) reach the merchant who created it (``bot/callbacks.py``).
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
from storage.db import Database
from storage.repos import merchants

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
