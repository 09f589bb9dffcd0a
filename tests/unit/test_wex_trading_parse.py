"""WEX Trade API trading answers → models, on the document's own examples, and its
refusals → the error tree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BadResponse,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.models import Market, OrderStatus, Side, TransferStatus
from exchanges.wex import parse

BTC_USD = Market("wex", "btc_usd", "BTC", "USD", 3, 8)


def test_trade_example_with_order_id_zero_is_filled() -> None:
    ret = {"received": Decimal("0.5"), "remains": 0, "order_id": 0, "funds": {"usd": 325}}
    order = parse.trade_placed(BTC_USD, Decimal("0.5"), Decimal("7566.351"), ret)
    assert (order.order_id, order.status, order.filled) == (
        "0",
        OrderStatus.FILLED,
        Decimal("0.5"),
    )


@pytest.mark.parametrize(
    ("received", "remains", "status"),
    [("0", "1.4", OrderStatus.OPEN), ("0.4", "1", OrderStatus.PARTIALLY_FILLED)],
)
def test_trade_with_an_order_left(received: str, remains: str, status: OrderStatus) -> None:
    ret = {"received": Decimal(received), "remains": Decimal(remains), "order_id": 343152}
    order = parse.trade_placed(BTC_USD, Decimal("1.4"), Decimal("7566.351"), ret)
    assert (order.order_id, order.status) == ("343152", status)


@pytest.mark.parametrize(
    ("status", "expected", "filled"),
    [
        (0, OrderStatus.PARTIALLY_FILLED, Decimal(1)),
        (1, OrderStatus.FILLED, Decimal(1)),
        (2, OrderStatus.CANCELLED, Decimal(1)),
        (3, OrderStatus.CANCELLED, Decimal(1)),
    ],
)
def test_order_info_example_and_its_statuses(
    status: int, expected: OrderStatus, filled: Decimal
) -> None:
    ret = {
        "343152": {
            "pair": "btc_usd",
            "type": "sell",
            "start_amount": Decimal("13.345"),
            "amount": Decimal("12.345"),
            "rate": 485,
            "timestamp_created": 1342448420,
            "status": status,
        }
    }
    order = parse.order_info("343152", ret)
    assert (order.status, order.filled, order.amount) == (expected, filled, Decimal("13.345"))
    assert order.side is Side.SELL and order.price == 485


def test_order_info_with_an_undocumented_status_is_a_bad_response() -> None:
    raw = {"pair": "btc_usd", "type": "sell", "start_amount": 1, "amount": 1, "rate": 1}
    with pytest.raises(BadResponse):
        parse.order_info("1", {"1": {**raw, "timestamp_created": 1, "status": 7}})


def test_cancel_orders_example_with_its_misspelt_failure() -> None:
    ret = {
        "cancel_result": {"1300": {"success": 1}, "1301": {"sucess": 0, "error": "invalid status"}},
        "funds": {"btc": Decimal("24.998")},
    }
    results = parse.cancel_results(["1300", "1301", "1302"], ret)
    assert [(r.order_id, r.cancelled, r.error) for r in results] == [
        ("1300", True, None),
        ("1301", False, "invalid status"),
        ("1302", False, "not in WEX's answer"),
    ]


def test_trade_history_example_and_no_trades() -> None:
    envelope = {
        "success": 1,
        "return": {
            "166830": {
                "pair": "btc_usd",
                "type": "sell",
                "amount": 1,
                "rate": 450,
                "order_id": 343148,
                "is_your_order": 1,
                "timestamp": 1342445793,
            }
        },
    }
    (fill,) = parse.fills(envelope)
    assert (fill.trade_id, fill.order_id, fill.price, fill.side) == (
        "166830",
        "343148",
        450,
        Side.SELL,
    )
    assert parse.fills({"success": 0, "error": "no trades"}) == []


def test_trans_history_example_and_its_statuses() -> None:
    envelope = {
        "success": 1,
        "return": {
            "1081672": {
                "type": 1,
                "amount": Decimal("1.00000000"),
                "currency": "BTC",
                "desc": "BTC Payment",
                "status": 2,
                "timestamp": 1342448420,
            },
            "1081673": {
                "type": 2,
                "amount": Decimal("0.5"),
                "currency": "btc",
                "desc": "",
                "status": 3,
                "timestamp": 1342448421,
            },
        },
    }
    newest, oldest = parse.transactions(envelope)
    assert (newest.type, newest.status, newest.currency) == (2, TransferStatus.PENDING, "BTC")
    deposit = parse.deposit_of(oldest)
    assert (deposit.deposit_id, deposit.amount, deposit.status) == (
        "1081672",
        Decimal("1.00000000"),
        TransferStatus.COMPLETED,
    )
    assert parse.transactions({"success": 0, "error": "no transactions"}) == []


def test_withdraw_and_coupon_examples() -> None:
    sent = parse.withdrawal_sent(
        "BTC", Decimal("0.01"), "1BARCQ", {"tId": 37832629, "amountSent": Decimal("0.009")}
    )
    assert (sent.withdrawal_id, sent.fee, sent.status) == (
        "37832629",
        Decimal("0.001"),
        TransferStatus.PENDING,
    )
    made = parse.coupon_created(
        "BTC",
        Decimal("0.11"),
        "admin",
        {"coupon": "WEXUSD69AA4BBX1UAZ32BPLKBR0QZTX5AENVNFWNZHNQDZ", "transID": 37832629},
    )
    assert made.transaction_id == "37832629" and "WEXUSD69" not in repr(made)
    redeemed = parse.coupon_redeemed(
        {"couponAmount": "1", "couponCurrency": "USD", "transID": 37832629}
    )
    assert (redeemed.amount, redeemed.currency) == (Decimal(1), "USD")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("It is not enough BTC in the account for sale.", InsufficientFunds),
        ("Value BTC must be greater than 0.0001 BTC.", BelowMinimum),
        ("Minimal amount for withdrawal is 0.002 BTC.", BelowMinimum),
        ("Wrong rate: btc_usd takes at most 3 decimal places.", BadPrecision),
        ("Trading on btc_usd is suspended.", MarketClosed),
        ("Price per BTC must be greater than 0.1 USD.", InvalidOrder),
        ("invalid order", OrderNotFound),
        ("invalid status", InvalidOrder),
        ("Invalid address", WithdrawalRejected),
        ("Invalid pair name: abc_usd", UnknownSymbol),
        ("You incorrectly entered one of fields.", InvalidOrder),
        ("api key dont have trade permission", AuthenticationError),
        ("Coupon already redeemed", RejectedRequest),
    ],
)
def test_refusals_map_onto_the_error_tree(text: str, error: type[Exception]) -> None:
    assert type(parse.tapi_error(text)) is error
