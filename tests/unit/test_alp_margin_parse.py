"""ALP.COM v3 wallets and margin: the document's own example payloads, parsed exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from exchanges.alp import margin, wallets
from exchanges.alp.margin import EventKind
from exchanges.errors import BadResponse, InsufficientFunds, RejectedRequest
from exchanges.http import HttpReply

EDT = timezone(timedelta(hours=-4))
DATE = datetime(2022, 10, 6, 8, 28, 6, 801064, tzinfo=EDT)


def body(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def test_balances_example() -> None:
    (row,) = wallets.wallet_balances(
        body(
            '[{"account_id": 25, "balance": 2000.0, "reserve": 500.0, "currency": "USDT",'
            ' "pair": "BTC_USDT", "wallet_type": "SPOT",'
            ' "last_update_at": "2022-10-06T08:28:06.801064-04:00"}]'
        )
    )
    assert row == wallets.WalletBalance(
        account_id=25,
        wallet_type="SPOT",
        currency="USDT",
        available=Decimal("2000.0"),
        locked=Decimal("500.0"),
        pair="BTC_USDT",
        updated_at=DATE,
    )
    assert row.total == Decimal("2500")


def test_activity_example_keeps_its_deltas_and_ends() -> None:
    (row,) = wallets.wallet_activity(
        body(
            '[{"id": 12, "account_id": 25, "currency": "USDT", "pair": "USDT_BTC",'
            ' "wallet_id": 3, "date": "2022-10-06T08:28:06.801064-04:00",'
            ' "type": "MOTION_TYPE_ORDER", "balance": 10000.0, "balance_delta": 1500.0,'
            ' "reserve": 500.0, "reserve_delta": -1500.0, "balance_end": 9500.0,'
            ' "reserve_end": 500.0, "wallet_type": "SPOT"}]'
        )
    )
    assert (row.movement_id, row.kind, row.time) == ("12", "ORDER", DATE)
    assert (row.balance_delta, row.reserve_delta) == (Decimal("1500.0"), Decimal("-1500.0"))
    assert (row.balance_end, row.reserve_end) == (Decimal("9500.0"), Decimal("500.0"))


def test_activity_is_newest_first_by_time_then_id() -> None:
    rows = wallets.wallet_activity(
        [
            {"id": 9, "currency": "BTC", "date": "2022-10-06T12:00:00Z", "balance_delta": 1},
            {"id": 10, "currency": "BTC", "date": "2022-10-06T12:00:00Z", "balance_delta": 2},
            {"id": 11, "currency": "BTC", "date": "2022-10-05T12:00:00Z", "balance_delta": 3},
        ]
    )
    assert [r.movement_id for r in rows] == ["10", "9", "11"]
    assert rows[0].time == datetime(2022, 10, 6, 12, tzinfo=UTC)


def test_positions_read_the_documents_misspelt_currency() -> None:
    (position,) = margin.positions(
        body(
            '[{"id": 38237, "account_id": 25, "wallet_type": "ISOLATED_MARGIN",'
            ' "interest": 0.003, "currecny": "ETH", "borrowed": 0.3, "pair": "BTC_ETH"}]'
        )
    )
    assert position == margin.MarginPosition(
        "38237", "ISOLATED_MARGIN", "ETH", Decimal("0.3"), Decimal("0.003"), "BTC_ETH"
    )
    assert position.owed == Decimal("0.303")
    (spelt_right,) = margin.positions([{"id": 1, "currency": "btc", "borrowed": 1}])
    assert spelt_right.currency == "BTC"
    with pytest.raises(BadResponse):
        margin.positions([{"id": 1, "borrowed": 1}])


def test_history_examples() -> None:
    (borrow,) = margin.borrows(
        body(
            '[{"id": 3636, "date": "2022-10-06T08:28:06.801064-04:00", "type": "LOAN_MANUAL",'
            ' "wallet_type": "ISOLATED_MARGIN", "opened_at": "2022-10-06T08:28:06.801064-04:00",'
            ' "closed_at": "", "borrowed": 0.03, "repaid": 0, "interest_rate": 0.0001,'
            ' "interest_accrued": 0.0002, "interest_paid": 0.0002, "account_id": 25,'
            ' "currency": "ETH", "pair": "BTC_ETH",'
            ' "last_interest_at": "2022-10-06T10:28:06.801064-04:00"}]'
        )
    )
    assert (borrow.kind, borrow.amount, borrow.still_open) == (
        EventKind.BORROW,
        Decimal("0.03"),
        True,
    )
    (transfer,) = margin.transfers(
        body(
            '[{"id": 30930, "account_id": 25, "wallet_type": "ISOLATED_MARGIN",'
            ' "date": "2022-10-06T08:28:06.801064-04:00", "direction": "ADD",'
            ' "currency": "ETH", "pair": "ETH_BTC", "amount": 0.02,'
            ' "note": "test isolated margin transfer"}]'
        )
    )
    assert (transfer.kind, transfer.amount, transfer.pair) == (
        EventKind.TRANSFER_IN,
        Decimal("0.02"),
        "ETH_BTC",
    )
    (repay,) = margin.repayments(
        body(
            '[{"id": 30930, "account_id": 25, "wallet_type": "ISOLATED_MARGIN",'
            ' "date": "2022-10-06T08:28:06.801064-04:00", "type": "LOAN_MANUAL",'
            ' "currency": "ETH", "pair": "ETH_BTC", "principal_amount": 0.02,'
            ' "interest_amount": 0.0005, "borrow_id": 283}]'
        )
    )
    assert (repay.amount, repay.extra) == (Decimal("0.02"), Decimal("0.0005"))
    (charge,) = margin.interest(
        body(
            '[{"id": 32864, "account_id": 25, "wallet_type": "ISOLATED_MARGIN",'
            ' "date": "2022-10-06T08:28:06.801064-04:00", "currency": "ETH", "pair": "ETH_BTC",'
            ' "interest_rate": 0.00023, "borrow_id": 234, "interest_accrued": 0.0023,'
            ' "interest_paid": 0.0046}]'
        )
    )
    assert (charge.kind, charge.amount) == (EventKind.INTEREST, Decimal("0.0023"))
    (liquidation,) = margin.liquidations(
        body(
            '[{"id": 293878, "account_id": 25, "created_at": "2022-10-06T08:28:06.801064-04:00",'
            ' "wallet_type": "ISOLATED_MARGIN", "margin_level": 0.002, "closed_at": "",'
            ' "amount": 0.015, "fund_amount": 0.03, "currency": "ETH", "order_closed": [1, 3],'
            ' "order_created": [5], "borrow_closed": [22, 41], "repay_created": [54]}]'
        )
    )
    assert (liquidation.amount, liquidation.extra, liquidation.time) == (
        Decimal("0.015"),
        Decimal("0.03"),
        DATE,
    )
    with pytest.raises(BadResponse):
        margin.transfers([{"id": 1, "direction": "SIDEWAYS", "currency": "ETH", "amount": 1}])


def test_refusals_of_state_changing_calls() -> None:
    def reply(status: int, text: str) -> HttpReply:
        return HttpReply(status, {}, text)

    assert margin.checked(reply(200, "")) is None  # the document shows no body
    assert margin.checked(reply(202, "")) is None
    with pytest.raises(InsufficientFunds):
        margin.checked(reply(400, '{"code": "BAD_REQUEST", "message": "Insufficient funds."}'))
    with pytest.raises(RejectedRequest, match="exceeds the limit"):
        margin.checked(
            reply(400, '{"code": "BAD_REQUEST", "message": "Borrow exceeds the limit."}')
        )
