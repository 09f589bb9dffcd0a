"""WallexPay payment answers → models, on the document's examples, and refusals of
money calls → what to change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.errors import (
    BadResponse,
    BelowMinimum,
    InsufficientFunds,
    QuoteExpired,
    RejectedRequest,
    WithdrawalRejected,
)
from exchanges.models import TransferStatus
from exchanges.wallexpay import parse
from exchanges.wallexpay.account import money_error, transfer_status


def test_calculate_example() -> None:
    quote = parse.quote(
        {
            "sender_amount": 1,
            "sender_currency": "BTC",
            "receiver_amount": "8549.81680000",
            "receiver_currency": "EUR",
            "fee_amount": "85.49816800",
            "fee_currency": "BTC",
            "price": "8549.81680000",
            "ts_fixed": 1564293159,
            "ts_release": 1564293219,
            "fix_period": 60,
        }
    )
    assert quote.price == Decimal("8549.81680000") and quote.fix_period == 60
    assert quote.ts_release - quote.ts_fixed == 60
    assert quote.holds_at(quote.release_at) and not quote.holds_at(
        quote.release_at.replace(second=quote.release_at.second + 1)
    )


def test_a_quote_without_its_end_ends_after_its_period() -> None:
    quote = parse.quote(
        {
            "sender_amount": "1",
            "sender_currency": "btc",
            "receiver_amount": "1",
            "receiver_currency": "eur",
            "price": "1",
            "ts_fixed": 100,
            "fix_period": 30,
        }
    )
    assert quote.ts_release == 130 and quote.sender_currency == "BTC"
    with pytest.raises(BadResponse):
        parse.quote({"sender_amount": "1", "price": "1", "ts_fixed": 1})


def test_fixed_and_withdrawal_examples() -> None:
    fixed = parse.transaction(
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
            "status": "processing",
        }
    )
    assert (fixed.id, fixed.price, fixed.fee_amount) == (
        "2687667",
        Decimal("6352.06901520"),
        Decimal("6.98727592"),
    )
    withdrawal = parse.transaction(
        {
            "id": 1,
            "foreign_id": "122929",
            "type": "withdrawal",
            "status": "processing",
            "amount": "0.01000000",
            "sender_amount": "0.01000000",
            "sender_currency": "BTC",
            "receiver_amount": "0.01000000",
            "receiver_currency": "BTC",
        }
    )
    assert transfer_status(withdrawal.status) is TransferStatus.PENDING


def test_futures_examples() -> None:
    address = {
        "id": 384620,
        "currency": "BTC",
        "convert_to": "USD",
        "address": "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7",
        "tag": None,
        "foreign_id": "ds23fgk",
    }
    rates = parse.futures_rates(
        {
            "addresses": [address],
            "ts_fixed": 1581507311,
            "ts_release": 1581513311,
            "rates": {"BTCUSD": {"5.00000000": "10312.67153000", "300.00000000": "10312.67153000"}},
        }
    )
    assert rates.rates["BTCUSD"][Decimal(300)] == Decimal("10312.67153000")
    assert rates.addresses[0].convert_to == "USD"
    confirmed = parse.futures_confirmation(
        {
            "futures_id": 92,
            "sender_currency": "BTC",
            "receiver_currency": "USD",
            "fee_currency": "USD",
            "price": "10299.94946000",
            "address": address,
            "sender_amount": "0.00292",
            "receiver_amount": "30.00000000",
            "fee_amount": "1.50000000",
            "ts_fixed": 1581506566,
            "ts_release": 1581512566,
        }
    )
    assert (confirmed.futures_id, confirmed.sender_amount) == ("92", Decimal("0.00292"))


def test_invoice_example() -> None:
    invoice = parse.invoice(
        {
            "id": 79,
            "url": "https://app.wllxpay.io/invoice/RB9NZv",
            "foreign_id": 164,
            "name": "TEST NAME",
            "status": "created",
            "currency": "EUR",
            "amount": "106.75",
            "sender_currency": "BTC",
            "sender_amount": None,
            "fixed_at": 1581929889,
            "release_at": 1581930789,
        }
    )
    assert (invoice.id, invoice.foreign_id, invoice.title) == ("79", "164", "TEST NAME")
    assert invoice.release_at is not None and invoice.fixed_at is not None
    assert (invoice.release_at - invoice.fixed_at).total_seconds() == 900


@pytest.mark.parametrize(
    ("reasons", "withdrawal", "error"),
    [
        ("The amount must be at least 0.0001.", True, BelowMinimum),
        ("Insufficient balance.", False, InsufficientFunds),
        ("The price is expired.", False, QuoteExpired),
        ("The address format is invalid.", True, WithdrawalRejected),
        ("The foreign id has already been taken.", True, RejectedRequest),
        ("Exchange is unavailable for given currencies", False, RejectedRequest),
    ],
)
def test_money_refusals(reasons: str, withdrawal: bool, error: type[Exception]) -> None:
    assert type(money_error(reasons, withdrawal=withdrawal)) is error
