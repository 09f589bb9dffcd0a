"""WallexPay callbacks: checking who sent one, and reading it into models.

Pure functions, no I/O: the bot's HTTP server hands in the raw body and headers.

Signature: a callback carries the request headers over its own body (the seed index,
after WallexPay's authorization page): ``X-Processing-Key`` names the merchant's key
and ``X-Processing-Signature`` is the lowercase hex HMAC-SHA512 of the raw body under
the merchant's secret — the very bytes received, before any decoding. Both are
compared in constant time; a missing header, another key or a bad signature is not
valid, and nothing in the body is read before that.

The body: the document says a callback "contains status, address, currency, amount and
fees" and shows none. It is read in the CoinsPaid API v2 shape WallexPay mirrors —
``id``, ``foreign_id``, ``type`` (``deposit``, ``withdrawal``, ``exchange``,
``invoice``; ``deposit_exchange`` and ``withdrawal_exchange`` are read as deposit and
withdrawal), ``status``, ``crypto_address`` {address, currency, tag, foreign_id},
``currency_sent``/``currency_received`` {currency, amount}, ``fees`` [{currency,
amount}], ``transactions`` [{txid, …}] — with the flat fields of the API's own
answers (``amount``, ``sender_amount``, ``currency``…) accepted too, and a ``data``
wrapper unwrapped. Every number is read as a Decimal from its text.

Statuses (the document's table): ``not_confirmed`` and ``pending`` are pending,
``confirmed`` completed, ``cancelled`` cancelled (a double spend or a cancelled
withdrawal). An invoice's ``paid``/``expired``/``cancelled`` map onto InvoiceStatus.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from exchanges.credentials import Secret
from exchanges.errors import BadResponse
from exchanges.models import Deposit, TransferStatus, Withdrawal
from exchanges.wallexpay import auth
from exchanges.wallexpay.models import InvoiceStatus, Transaction
from exchanges.wire import as_list, as_mapping, to_decimal

NAME = "wallexpay"
KINDS = {
    "deposit": "deposit",
    "deposit_exchange": "deposit",
    "withdrawal": "withdrawal",
    "withdrawal_exchange": "withdrawal",
    "exchange": "exchange",
    "invoice": "invoice",
}
_TRANSFER = {
    "not_confirmed": TransferStatus.PENDING,
    "pending": TransferStatus.PENDING,
    "processing": TransferStatus.PENDING,
    "confirmed": TransferStatus.COMPLETED,
    "cancelled": TransferStatus.CANCELLED,
}
_INVOICE = {
    "created": InvoiceStatus.CREATED,
    "paid": InvoiceStatus.PAID,
    "confirmed": InvoiceStatus.PAID,
    "expired": InvoiceStatus.EXPIRED,
    "cancelled": InvoiceStatus.CANCELLED,
}


def verify(secret: Secret | str, key: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the callback names ``key`` and is signed over ``body`` with ``secret``."""
    given_key = _header(headers, auth.KEY_HEADER)
    signature = _header(headers, auth.SIGNATURE_HEADER)
    if not given_key or not signature or not key:
        return False
    same_key = hmac.compare_digest(given_key.encode(), key.encode())
    signed = auth.verify(secret, body, signature)
    return same_key and signed


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict of headers may not be case-insensitive
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value.strip()


@dataclass(frozen=True, slots=True)
class InvoiceUpdate:
    invoice_id: str
    status: InvoiceStatus
    raw_status: str
    foreign_id: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """One callback, read: ``kind`` deposit | withdrawal | exchange | invoice | other,
    and the model for that kind."""

    kind: str
    status: str
    transaction_id: str
    foreign_id: str | None = None
    deposit: Deposit | None = None
    withdrawal: Withdrawal | None = None
    exchange: Transaction | None = None
    invoice: InvoiceUpdate | None = None


def _money(part: Any, what: str) -> tuple[str | None, Decimal | None]:
    if not isinstance(part, Mapping):
        return None, None
    amount = part.get("amount")
    currency = part.get("currency")
    return (
        None if currency in (None, "") else str(currency).upper(),
        None if amount in (None, "") else to_decimal(NAME, amount, f"{what}.amount"),
    )


def _decimal(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    return None if value in (None, "") else to_decimal(NAME, value, key)


def parse(body: bytes) -> CallbackEvent:
    """The callback's body as an event; BadResponse when it is not one."""
    try:
        decoded = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadResponse(NAME, "the callback is not JSON") from None
    raw = as_mapping(NAME, decoded, "callback")
    if isinstance(raw.get("data"), Mapping):
        raw = raw["data"]
    status = str(raw.get("status") or "").strip().lower()
    if not status:
        raise BadResponse(NAME, "the callback has no status")
    kind = KINDS.get(str(raw.get("type") or "").strip().lower(), "other")
    tx_id = str(raw.get("id") if raw.get("id") is not None else raw.get("transaction_id") or "")
    if not tx_id:
        raise BadResponse(NAME, "the callback has no id")

    sent_currency, sent_amount = _money(raw.get("currency_sent"), "currency_sent")
    got_currency, got_amount = _money(raw.get("currency_received"), "currency_received")
    sent_currency = sent_currency or _upper(raw.get("sender_currency") or raw.get("currency"))
    sent_amount = (
        sent_amount
        if sent_amount is not None
        else (_decimal(raw, "sender_amount") if "sender_amount" in raw else _decimal(raw, "amount"))
    )
    got_currency = got_currency or _upper(raw.get("receiver_currency")) or sent_currency
    if got_amount is None:
        got_amount = _decimal(raw, "receiver_amount")
    fee = _fees(raw)
    crypto = raw.get("crypto_address")
    crypto = crypto if isinstance(crypto, Mapping) else {}
    address = raw.get("address") or crypto.get("address")
    foreign_id = raw.get("foreign_id", crypto.get("foreign_id"))
    foreign = None if foreign_id in (None, "") else str(foreign_id)
    txid = raw.get("txid") or _first_txid(raw.get("transactions"))
    event = CallbackEvent(kind=kind, status=status, transaction_id=tx_id, foreign_id=foreign)

    if kind == "deposit":
        currency = sent_currency or got_currency
        amount = sent_amount if sent_amount is not None else got_amount
        if currency is None or amount is None:
            raise BadResponse(NAME, "a deposit callback without currency or amount")
        deposit = Deposit(
            exchange=NAME,
            deposit_id=tx_id,
            currency=currency,
            amount=amount,
            status=_TRANSFER.get(status, TransferStatus.PENDING),
            address=None if address is None else str(address),
            txid=None if txid is None else str(txid),
        )
        return _replace(event, deposit=deposit)
    if kind == "withdrawal":
        currency = sent_currency or got_currency
        amount = sent_amount if sent_amount is not None else got_amount
        if currency is None or amount is None:
            raise BadResponse(NAME, "a withdrawal callback without currency or amount")
        withdrawal = Withdrawal(
            exchange=NAME,
            withdrawal_id=tx_id,
            currency=currency,
            amount=amount,
            address="" if address is None else str(address),
            status=_TRANSFER.get(status, TransferStatus.PENDING),
            fee=fee,
            txid=None if txid is None else str(txid),
        )
        return _replace(event, withdrawal=withdrawal)
    if kind == "exchange":
        if None in (sent_currency, sent_amount, got_currency, got_amount):
            raise BadResponse(NAME, "an exchange callback without both sides")
        assert sent_currency and got_currency and sent_amount is not None
        assert got_amount is not None
        exchange = Transaction(
            id=tx_id,
            type="exchange",
            status=status,
            sender_amount=sent_amount,
            sender_currency=sent_currency,
            receiver_amount=got_amount,
            receiver_currency=got_currency,
            foreign_id=foreign,
            fee_amount=fee,
            price=_decimal(raw, "price"),
        )
        return _replace(event, exchange=exchange)
    if kind == "invoice":
        invoice = InvoiceUpdate(
            invoice_id=tx_id,
            status=_INVOICE.get(status, InvoiceStatus.OTHER),
            raw_status=status,
            foreign_id=foreign,
            currency=_upper(raw.get("currency")) or got_currency,
            amount=_decimal(raw, "amount"),
            url=None if raw.get("url") in (None, "") else str(raw["url"]),
            title=None if raw.get("name") in (None, "") else str(raw["name"]),
        )
        return _replace(event, invoice=invoice)
    return event


def _replace(event: CallbackEvent, **fields: Any) -> CallbackEvent:
    return replace(event, **fields)


def _upper(value: Any) -> str | None:
    return None if value in (None, "") else str(value).upper()


def _fees(raw: Mapping[str, Any]) -> Decimal | None:
    fees = raw.get("fees")
    if isinstance(fees, list) and fees:
        total = Decimal(0)
        for item in as_list(NAME, fees, "fees"):
            fee = as_mapping(NAME, item, "fee")
            amount = fee.get("amount")
            if amount not in (None, ""):
                total += to_decimal(NAME, amount, "fees.amount")
        return total
    return _decimal(raw, "fee_amount") if "fee_amount" in raw else _decimal(raw, "fee")


def _first_txid(transactions: Any) -> Any:
    if isinstance(transactions, list) and transactions and isinstance(transactions[0], Mapping):
        return transactions[0].get("txid")
    return None
