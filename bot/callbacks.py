"""WallexPay callbacks: the intake behind ``POST /callbacks/wallexpay/{token}``.

WallexPay calls the URL a merchant configured whenever a transaction of theirs
changes state (deposits, withdrawals, exchanges, invoices). The path's token says
which merchant it is about, hence whose secret must verify the signature
(``exchanges/wallexpay/callbacks.py``: the request signing over the raw body, and the
key header must be this merchant's): the token alone proves nothing, the signature
does. The body is read here in the CoinsPaid shape WallexPay mirrors, keeping what the
merchant wants to hear (fees with their currency, what arrived after conversion).
Unknown token, no key, a wrong key or a bad signature → 403, logged with the reason
and the token's first characters only, never a header or the body.

A valid callback becomes one message to the merchant through the outbox, written in
the same transaction as the state it changes (the withdrawal's or the invoice's),
deduplicated per transaction id and status: WallexPay may repeat a callback until it
hears 200, and the merchant hears each state exactly once.

Invoices: an invoice's ``created`` was told by the /invoice reply, so a ``created``
callback about one of ours is recorded but not told again. The WallexPay document
describes no invoice callback at all (its callbacks section covers transactions:
``not_confirmed`` → ``confirmed``/``cancelled``), let alone one for an invoice left
unpaid; it only says an invoice fixes its rate for a limited time (``release_at``).
So the bot does not wait for one: ``expire_overdue`` (run every minute) tells the
merchant of every invoice still ``created`` ``EXPIRY_GRACE`` after its ``release_at``
that it expired, through the same path and under the same dedupe key as an
``expired`` callback — whichever comes first is told, the other is not. A payment
heard afterwards is still told (another status).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.accounts import AccountService, NotConnected, StoredSecretUnreadable
from bot.chats import ChatPreferences
from bot.i18n import Lang
from exchanges.credentials import Credentials
from exchanges.wallexpay import callbacks as wire
from storage.db import Database
from storage.repos import merchants, outbox, wallexpay_invoices, wallexpay_ledger
from storage.repos import withdrawals as transfers

log = logging.getLogger(__name__)
EXCHANGE = "wallexpay"
MAX_BODY = 64 * 1024
# An invoice is told expired this long after its pay-by time without a payment heard:
# room for a payment made at the last second whose callback is still on its way.
EXPIRY_GRACE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class CallbackNotice:
    """What the merchant is told about one callback."""

    kind: str  # deposit | withdrawal | exchange | invoice | other
    status: str
    transaction_id: str
    currency: str | None = None
    amount: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    address: str | None = None
    txid: str | None = None
    foreign_id: str | None = None
    receiver_currency: str | None = None
    receiver_amount: Decimal | None = None
    invoice_title: str | None = None
    invoice_url: str | None = None
    ours: bool = False  # a withdrawal or invoice this bot sent for the merchant


Render = Callable[[Lang, CallbackNotice], str]


def _f(raw: Any, *names: str) -> Any:
    for name in names:
        value = raw.get(name) if isinstance(raw, Mapping) else getattr(raw, name, None)
        if value is not None:
            return value
    return None


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def signed_by(credentials: Credentials, body: bytes, headers: Mapping[str, str]) -> bool:
    """The callback names this merchant's key and is signed with its secret (the same
    headers and HMAC-SHA512 over the raw body as a request): ``exchanges/wallexpay/
    callbacks.verify``, constant-time."""
    if not credentials.key:
        return False
    return wire.verify(credentials.secret, credentials.key, body, headers)


def parse_body(body: bytes) -> Mapping[str, Any]:
    data = json.loads(body.decode("utf-8"), parse_float=Decimal)
    if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
        data = data["data"]
    if not isinstance(data, Mapping) or "status" not in data:
        raise ValueError("a callback is an object with a status")
    return data


def _money_of(part: Any) -> tuple[str | None, Decimal | None]:
    """``{"currency": "BTC", "amount": "0.01"}`` (CoinsPaid's ``currency_sent`` shape)."""
    if isinstance(part, Mapping):
        return _f(part, "currency"), _dec(_f(part, "amount"))
    return None, None


def notice_of(parsed: Mapping[str, Any]) -> CallbackNotice:
    """A callback's fields, flat (``currency``, ``amount``) or nested as in CoinsPaid's
    callbacks that WallexPay mirrors (``currency_sent``/``currency_received``,
    ``fees``, ``transactions``, ``crypto_address``), read into one notice."""
    sent_currency, sent_amount = _money_of(parsed.get("currency_sent"))
    got_currency, got_amount = _money_of(parsed.get("currency_received"))
    fees = parsed.get("fees")
    fee = None
    fee_currency = _f(parsed, "fee_currency")
    if isinstance(fees, list) and fees:
        fee = sum((_dec(_f(f, "amount")) or Decimal(0) for f in fees), Decimal(0))
        fee_currency = fee_currency or _f(fees[0], "currency")
    transactions = parsed.get("transactions")
    txid = _f(parsed, "txid")
    if txid is None and isinstance(transactions, list) and transactions:
        txid = _f(transactions[0], "txid")
    address = parsed.get("address")
    crypto = parsed.get("crypto_address")
    if address is None and isinstance(crypto, Mapping):
        address = crypto.get("address")
    foreign_id = _f(parsed, "foreign_id")
    if foreign_id is None and isinstance(crypto, Mapping):
        foreign_id = crypto.get("foreign_id")
    return CallbackNotice(
        kind=str(_f(parsed, "type", "kind") or "other").lower(),
        status=str(_f(parsed, "status") or "").lower(),
        transaction_id=str(_f(parsed, "id", "transaction_id") or ""),
        currency=_f(parsed, "currency", "sender_currency") or sent_currency,
        amount=_dec(_f(parsed, "amount", "sender_amount")) or sent_amount,
        fee=_dec(_f(parsed, "fee", "fee_amount")) if fee is None else fee,
        fee_currency=None if fee_currency is None else str(fee_currency).upper(),
        address=None if address is None else str(address),
        txid=None if txid is None else str(txid),
        foreign_id=None if foreign_id is None else str(foreign_id),
        receiver_currency=_f(parsed, "receiver_currency") or got_currency,
        receiver_amount=_dec(_f(parsed, "receiver_amount")) or got_amount,
    )


class WallexPayCallbacks:
    def __init__(
        self,
        db: Database,
        accounts: AccountService,
        chats: ChatPreferences,
        render: Render,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.chats = chats
        self.render = render
        self.wake: Callable[[], None] | None = None
        self.accepted = 0
        self.rejected = 0

    def _refuse(self, token: str, reason: str) -> web.Response:
        self.rejected += 1
        log.warning("WallexPay callback refused (token %s…): %s", token[:4], reason)
        return web.Response(status=403, text="forbidden")

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info.get("token", "")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._refuse(token, "body too large")
        body = await request.read()
        return await self.receive(token, body, request.headers)

    async def receive(self, token: str, body: bytes, headers: Mapping[str, str]) -> web.Response:
        async with self.db.session() as session:
            hook = await merchants.hook_by_token(session, token)
            user_id = hook.user_id if hook is not None else None
        if user_id is None:
            return self._refuse(token, "unknown token")
        try:
            async with self.accounts.session(user_id, EXCHANGE) as client:
                valid = signed_by(client.credentials, body, headers)
        except (NotConnected, StoredSecretUnreadable):
            return self._refuse(token, "no WallexPay account connected for this token")
        if not valid:
            return self._refuse(token, "missing or bad signature")
        try:
            notice = notice_of(parse_body(body))
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            log.warning(
                "WallexPay callback (token %s…) unreadable: %s", token[:4], type(exc).__name__
            )
            return web.Response(status=400, text="unreadable")
        lang = await self.chats.language(user_id, None)
        await self._record(user_id, notice, lang)
        self.accepted += 1
        return web.json_response({"status": "ok"})

    async def expire_overdue(self, now: datetime | None = None) -> int:
        """Tell every merchant whose invoice is still unpaid ``EXPIRY_GRACE`` after its
        pay-by time that it expired; returns how many were told now."""
        moment = now or datetime.now(UTC)
        async with self.db.session() as session:
            due = [
                (r.user_id, r.invoice_id, r.foreign_id, r.currency, r.amount)
                for r in await wallexpay_invoices.overdue(session, moment - EXPIRY_GRACE)
            ]
        told = 0
        for user_id, invoice_id, foreign_id, currency, amount in due:
            notice = CallbackNotice(
                kind="invoice",
                status="expired",
                transaction_id=invoice_id,
                currency=currency,
                amount=Decimal(amount),
                foreign_id=foreign_id,
            )
            lang = await self.chats.language(user_id, None)
            if await self._record(user_id, notice, lang, heard=False, now=moment):
                told += 1
        return told

    async def _record(
        self,
        user_id: int,
        notice: CallbackNotice,
        lang: Lang,
        *,
        heard: bool = True,
        now: datetime | None = None,
    ) -> bool:
        """Apply one status change and queue its message; False if already told.
        ``heard``: it came from WallexPay (not from ``expire_overdue``)."""
        now = now or datetime.now(UTC)
        told_already = False
        async with self.db.session() as session:
            if heard:
                await merchants.heard_from(session, user_id, now)
            if notice.foreign_id:
                sent = await transfers.by_reference(session, notice.foreign_id)
                if sent is not None and sent.user_id == user_id:
                    await transfers.set_upstream_status(session, sent.id, notice.status)
                    notice = _with(notice, ours=True)
                invoice = await merchants.invoice_of(
                    session, user_id, foreign_id=notice.foreign_id, invoice_id=None
                )
                if invoice is not None:
                    # its "created" was the /invoice reply itself; a late one changes nothing
                    told_already = notice.status == "created"
                    if not told_already:
                        await merchants.set_invoice_status(session, invoice.id, notice.status)
                    notice = _with(
                        notice,
                        kind="invoice",
                        ours=True,
                        invoice_title=invoice.title,
                        invoice_url=invoice.url,
                    )
            if notice.transaction_id:
                await wallexpay_ledger.record(
                    session,
                    user_id=user_id,
                    transaction_id=notice.transaction_id,
                    kind=notice.kind,
                    status=notice.status,
                    at=now,
                    currency=notice.currency,
                    amount=notice.amount,
                    fee=notice.fee,
                    fee_currency=notice.fee_currency,
                    address=notice.address,
                    txid=notice.txid,
                    foreign_id=notice.foreign_id,
                )
            if told_already:
                return False
            dedupe = f"wxp:{user_id}:{notice.kind}:{notice.transaction_id}:{notice.status}"
            added = await outbox.enqueue(
                session,
                chat_id=user_id,
                user_id=user_id,
                kind="wallexpay",
                dedupe=dedupe[: outbox.DEDUPE_MAX],
                text=self.render(lang, notice),
            )
        if added:
            log.info("WallexPay %s callback for user %s queued", notice.kind, user_id)
            if self.wake is not None:
                self.wake()
        return added


def _with(notice: CallbackNotice, **changes: Any) -> CallbackNotice:
    return replace(notice, **changes)
