"""ALP.COM trading answers → models, on the document's examples, and order refusals →
the error tree; the JSON body the v3 order is written and signed as."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from exchanges.alp import parse
from exchanges.alp.account import json_body, json_text
from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BadResponse,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
)
from exchanges.http import HttpReply
from exchanges.models import Market, OrderStatus, OrderType, Side, TransferStatus

BTC_USDT = Market("alp", "BTC_USDT", "BTC", "USDT", 2, 6)


def reply(status: int, body: object) -> HttpReply:
    return HttpReply(status, {}, json.dumps(body))


def test_v3_order_example() -> None:
    order = parse.v3_order(
        {
            "id": 76575,
            "account_id": 25,
            "pair": "BTC_USDT",
            "wallet_type": "SPOT",
            "side": "BUY",
            "type": "LIMIT",
            "tif": "GTC",
            "price": Decimal("20450.05"),
            "stop_price": 0,
            "amount": Decimal("0.05"),
            "amount_filled": 0,
            "amount_cancelled": 0,
            "status": "OPEN",
            "date": "2022-10-06T08:28:06.801064-04:00",
            "updated_at": "2022-10-06T08:28:06.801064-04:00",
            "open_at": "",
            "expire_after": "",
            "done_at": "",
        }
    )
    assert (order.order_id, order.side, order.type, order.status) == (
        "76575",
        Side.BUY,
        OrderType.LIMIT,
        OrderStatus.OPEN,
    )
    assert order.price == Decimal("20450.05") and order.stop_price is None
    assert order.client_order_id is None and order.created_at is not None


def test_v3_order_partly_filled_and_an_unknown_status() -> None:
    base = {"id": 1, "pair": "BTC_USDT", "side": "SELL", "amount": "1", "amount_filled": "0.4"}
    order = parse.v3_order({**base, "status": "OPEN", "client_order_id": "c-1"})
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.client_order_id == "c-1"
    with pytest.raises(BadResponse):
        parse.v3_order({**base, "status": "WEIRD"})


def test_v3_order_id_is_the_bare_number() -> None:
    assert parse.v3_order_id(34) == "34"
    with pytest.raises(BadResponse):
        parse.v3_order_id("x")


def test_v1_single_order_example() -> None:
    order = parse.v1_order(
        {
            "id": 11259,
            "date": 1478025717394,
            "pair": "BTC_USD",
            "type": "buy",
            "price": Decimal("870.69000000"),
            "amount": Decimal("0.1250000"),
            "amount_filled": "0.00419580",
            "amount_original": Decimal("0.0041958"),
            "status": "1",
        }
    )
    assert order.amount == Decimal("0.0041958") and order.filled == Decimal("0.00419580")
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.created_at is not None and order.created_at.year == 2016


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, {"success": False, "error": "Insufficient funds."}, InsufficientFunds),
        (
            400,
            {"code": "BAD_REQUEST", "message": "Amount is less than the minimum order size 1."},
            BelowMinimum,
        ),
        (400, {"message": "Price precision is 2 decimal places."}, BadPrecision),
        (400, {"message": "Pair BTC_USDT is not trading now."}, MarketClosed),
        (400, {"error": "Order not found."}, OrderNotFound),
        (400, {"error": "Order is done or cancelled."}, InvalidOrder),
        (404, {"detail": "Not found."}, OrderNotFound),
        (401, {"detail": "Invalid signature."}, AuthenticationError),
    ],
)
def test_order_refusals(status: int, body: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse.order_checked(reply(status, body), symbol="BTC_USDT", order_id="5")


def test_own_exchanges_account_trades_deposits_and_withdraws() -> None:
    (fill,) = parse.own_exchanges(
        [
            {
                "id": 6030,
                "account_id": 384360,
                "price": Decimal("839.36000000"),
                "pair": "BTC_USD",
                "type": "sell",
                "timestamp": Decimal("1483705817.735508"),
                "amount": Decimal("0.00281167"),
            }
        ]
    )
    assert (fill.trade_id, fill.side, fill.amount) == ("6030", Side.SELL, Decimal("0.00281167"))
    (trade,) = parse.account_trades(
        [
            {
                "date": "2022-10-06T08:28:06.801064-04:00",
                "status": "FILLED",
                "side": "BUY",
                "type": "LIMIT",
                "price": Decimal("23400.34"),
                "amount": Decimal("0.05"),
                "amount_unfilled": 0,
                "fee_rate": Decimal("0.001"),
                "fee_amount": Decimal("1.170017"),
                "is_maker": True,
                "account_id": 25,
                "currency": "USDT",
                "pair": "BTC_USDT",
                "fee_currency": "USDT",
                "wallet_type": "SPOT",
            }
        ]
    )
    assert (trade.fee, trade.fee_currency) == (Decimal("1.170017"), "USDT")
    (deposit,) = parse.deposits(
        [{"timestamp": Decimal("1485363039.18359"), "id": 317, "currency": "BTC", "amount": 530}]
    )
    assert deposit.status is TransferStatus.COMPLETED and deposit.deposit_id == "317"
    states = [
        w.status
        for w in parse.withdraws(
            [
                {"id": i, "timestamp": 1485363466 + i, "currency": "BTC", "amount": 1, "status": s}
                for i, s in enumerate((10, 20, 30, 40, 50))
            ]
        )
    ]
    assert states == [
        TransferStatus.CANCELLED,
        TransferStatus.FAILED,
        TransferStatus.COMPLETED,
        TransferStatus.PENDING,
        TransferStatus.PENDING,
    ]
    with pytest.raises(BadResponse):
        parse.withdraws([{"id": 1, "timestamp": 1, "currency": "BTC", "amount": 1, "status": 60}])


def test_the_fee_rule_of_a_market() -> None:
    rules = [
        {
            "is_active": True,
            "pair": "",
            "currency": "",
            "taker_fee_rate": Decimal("0.002"),
            "maker_fee_rate": Decimal("0.001"),
            "priority": 3,
        },
        {
            "is_active": False,
            "pair": "BTC_USDT",
            "taker_fee_rate": Decimal("0.5"),
            "maker_fee_rate": Decimal("0.5"),
            "priority": 0,
        },
        {
            "is_active": True,
            "pair": "BTC_USDT",
            "taker_fee_rate": Decimal("0.0012"),
            "maker_fee_rate": 0,
            "priority": 1,
        },
    ]
    fee = parse.fee_for(rules, BTC_USDT)
    assert fee is not None and (fee.maker_pct, fee.taker_pct) == (Decimal(0), Decimal("0.12"))
    eth = Market("alp", "ETH_BTC", "ETH", "BTC", 6, 4)
    other = parse.fee_for(rules, eth)
    assert other is not None and other.taker_pct == Decimal("0.2")


def test_the_v3_body_writes_numbers_exactly_and_signs_their_text() -> None:
    fields = {
        "account_id": 25,
        "pair": "BTC_USDT",
        "limit_price": Decimal("25750.45"),
        "base_amount": Decimal("0.00000010"),
        "flag": True,
        "none": None,
    }
    body = json_body(fields)
    assert body == (
        '{"account_id":25,"pair":"BTC_USDT","limit_price":25750.45,'
        '"base_amount":0.00000010,"flag":true,"none":null}'
    )
    assert json.loads(body, parse_float=Decimal)["base_amount"] == Decimal("1.0E-7")
    assert [json_text(v) for v in fields.values()] == [
        "25",
        "BTC_USDT",
        "25750.45",
        "0.00000010",
        "true",
        "",
    ]
