"""WallexPay callbacks read by ``exchanges.wallexpay.callbacks``: the document's signing
vector, tampered bodies and headers, and each kind of callback into its model."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import pytest

from exchanges.credentials import Secret
from exchanges.errors import BadResponse
from exchanges.models import TransferStatus
from exchanges.wallexpay import callbacks
from exchanges.wallexpay.models import InvoiceStatus

DOC_SECRET = "AbCdEfG123456"
DOC_BODY = b'{"currency":"BTC","foreign_id":"123456"}'
KEY = "merchant-public-key"


def headers(body: bytes, secret: str = DOC_SECRET, key: str = KEY) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    return {"X-Processing-Key": key, "X-Processing-Signature": signature}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def test_the_documents_vector_verifies() -> None:
    sent = headers(DOC_BODY)
    signature = sent["X-Processing-Signature"]
    assert signature.startswith("03c25fcf7cd35e7d") and signature.endswith("195fa1ec")
    assert callbacks.verify(DOC_SECRET, KEY, DOC_BODY, sent)
    assert callbacks.verify(Secret(DOC_SECRET), KEY, DOC_BODY, sent)


def test_header_names_are_matched_in_any_case() -> None:
    sent = {k.lower(): v for k, v in headers(DOC_BODY).items()}
    assert callbacks.verify(DOC_SECRET, KEY, DOC_BODY, sent)


@pytest.mark.parametrize(
    "change",
    [
        "tampered body",
        "reserialised body",
        "other secret",
        "other key",
        "no signature",
        "no key",
        "uppercase garbage",
    ],
)
def test_anything_but_the_exact_signed_body_from_the_key_is_refused(change: str) -> None:
    body, sent = DOC_BODY, headers(DOC_BODY)
    if change == "tampered body":
        body = DOC_BODY.replace(b"123456", b"123457")
    elif change == "reserialised body":
        body = json.dumps(json.loads(DOC_BODY)).encode()  # same JSON, other bytes
    elif change == "other secret":
        sent = headers(DOC_BODY, secret="AbCdEfG1234567")
    elif change == "other key":
        sent = headers(DOC_BODY, key="someone-else")
    elif change == "no signature":
        del sent["X-Processing-Signature"]
    elif change == "no key":
        del sent["X-Processing-Key"]
    else:
        sent["X-Processing-Signature"] = "ZZ" * 64
    assert not callbacks.verify(DOC_SECRET, KEY, body, sent)


def test_a_deposit_callback_becomes_a_deposit() -> None:
    event = callbacks.parse(
        encode(
            {
                "id": 501,
                "foreign_id": "user-id:2048",
                "type": "deposit",
                "crypto_address": {
                    "id": 1,
                    "currency": "BTC",
                    "address": "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7",
                    "tag": None,
                    "foreign_id": "user-id:2048",
                },
                "currency_sent": {"currency": "BTC", "amount": "0.01000000"},
                "currency_received": {"currency": "BTC", "amount": "0.00990000"},
                "transactions": [{"txid": "3a4b", "amount": "0.01000000"}],
                "fees": [{"type": "deposit", "currency": "BTC", "amount": "0.00010000"}],
                "error": "",
                "status": "confirmed",
            }
        )
    )
    assert (event.kind, event.status, event.transaction_id) == ("deposit", "confirmed", "501")
    assert event.foreign_id == "user-id:2048"
    deposit = event.deposit
    assert deposit is not None
    assert deposit.amount == Decimal("0.01") and isinstance(deposit.amount, Decimal)
    assert deposit.status is TransferStatus.COMPLETED
    assert deposit.address == "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7" and deposit.txid == "3a4b"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("not_confirmed", TransferStatus.PENDING),
        ("pending", TransferStatus.PENDING),
        ("confirmed", TransferStatus.COMPLETED),
        ("cancelled", TransferStatus.CANCELLED),
    ],
)
def test_withdrawal_statuses_follow_the_documents_table(
    status: str, expected: TransferStatus
) -> None:
    event = callbacks.parse(
        encode(
            {
                "data": {
                    "id": 7,
                    "foreign_id": "wd-1",
                    "type": "withdrawal",
                    "status": status,
                    "currency_sent": {"currency": "USDT", "amount": "25.5"},
                    "crypto_address": {"address": "0xabc", "currency": "USDT"},
                    "fees": [{"currency": "USDT", "amount": "1"}, {"amount": "0.5"}],
                }
            }
        )
    )
    withdrawal = event.withdrawal
    assert withdrawal is not None
    assert withdrawal.status is expected and withdrawal.fee == Decimal("1.5")
    assert (withdrawal.currency, withdrawal.amount, withdrawal.address) == (
        "USDT",
        Decimal("25.5"),
        "0xabc",
    )


def test_an_exchange_callback_in_the_answers_flat_shape() -> None:
    event = callbacks.parse(
        encode(
            {
                "id": 2687667,
                "foreign_id": "knwi24op9",
                "type": "exchange",
                "sender_amount": "0.01",
                "sender_currency": "BTC",
                "receiver_amount": "63.52069015",
                "receiver_currency": "EUR",
                "fee_amount": "6.98727592",
                "fee_currency": "EUR",
                "price": "6352.06901520",
                "status": "confirmed",
            }
        )
    )
    exchange = event.exchange
    assert exchange is not None and exchange.receiver_amount == Decimal("63.52069015")
    assert exchange.price == Decimal("6352.06901520") and exchange.fee_amount == Decimal(
        "6.98727592"
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("paid", InvoiceStatus.PAID),
        ("expired", InvoiceStatus.EXPIRED),
        ("odd", InvoiceStatus.OTHER),
    ],
)
def test_invoice_callbacks(status: str, expected: InvoiceStatus) -> None:
    event = callbacks.parse(
        encode(
            {
                "id": 79,
                "foreign_id": 164,
                "type": "invoice",
                "status": status,
                "name": "TEST NAME",
                "url": "https://app.wllxpay.io/invoice/RB9NZv",
                "currency": "eur",
                "amount": "106.75",
            }
        )
    )
    invoice = event.invoice
    assert invoice is not None
    assert (invoice.status, invoice.raw_status, invoice.foreign_id) == (expected, status, "164")
    assert (invoice.currency, invoice.amount, invoice.title) == (
        "EUR",
        Decimal("106.75"),
        "TEST NAME",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": 1, "type": "deposit"}',
        b'{"status": "confirmed", "type": "deposit"}',
        b'{"id": 1, "status": "confirmed", "type": "deposit"}',
        b'{"id": 1, "status": "confirmed", "type": "deposit", "amount": "lots", "currency": "BTC"}',
        b"\xff\xfe",
    ],
)
def test_an_unreadable_callback_is_a_bad_response(body: bytes) -> None:
    with pytest.raises(BadResponse):
        callbacks.parse(body)


def test_an_unknown_kind_is_kept_as_other() -> None:
    event = callbacks.parse(b'{"id": 3, "type": "refund", "status": "confirmed"}')
    assert event.kind == "other" and event.deposit is None and event.invoice is None
