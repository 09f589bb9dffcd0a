"""Wallex's order and trade answers, read from the document's examples (seed 000), and
the words of its refusals mapped onto the error tree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    UnknownSymbol,
)
from exchanges.http import HttpReply
from exchanges.models import OrderStatus, OrderType, Side
from exchanges.wallex import parse

PLACED = """{"result": {"symbol": "USDTTMN", "type": "LIMIT", "side": "SELL",
 "clientOrderId": "LIMIT-93c76637-9742-466d-b30a-89926d2cf11c", "transactTime": 1624846226,
 "price": "24828.0000000000000000", "origQty": "10.0000000000000000",
 "executedQty": "0.0000000000000000", "status": "NEW", "active": true, "fills": []},
 "message": "The operation was successful", "success": true}"""
OPEN = """{"result": {"orders": [{"symbol": "BTCTMN", "type": "LIMIT", "side": "BUY",
 "clientOrderId": "LIMIT-93b9", "price": "700000000.0000000000000000",
 "origQty": "0.0500000000000000", "executedQty": "0.0100000000000000", "status": "NEW",
 "active": true}]}, "message": "The operation was successful", "success": true,
 "result_info": {"page": 1, "per_page": 1, "count": 1, "total_count": 1}}"""
TRADES = """{"result": {"AccountLatestTrades": [{"symbol": "LTCTMN",
 "quantity": "0.0253800000000000", "price": "4343723.0000000000000000",
 "sum": "110243.0000000000000000", "fee": "0.0000000000000000",
 "feeCoefficient": "0.0000000000000000", "feeAsset": "LTC", "isBuyer": true,
 "timestamp": "2021-05-29T07:55:06Z"}, {"symbol": "LTCTMN",
 "quantity": "0.0300000000000000", "price": "4340184.0000000000000000",
 "sum": "130205.0000000000000000", "fee": "0.0000000000000000",
 "feeCoefficient": "0.0000000000000000", "feeAsset": "LTC", "isBuyer": true,
 "timestamp": "2021-05-29T05:48:16Z"}]}, "message": "The operation was successful",
 "success": true}"""


def reply(text: str, status: int = 200) -> HttpReply:
    return HttpReply(status, {}, text)


def test_placed_order_is_named_by_its_client_order_id() -> None:
    o = parse.order(parse.trading_result(reply(PLACED)))
    assert o.order_id == o.client_order_id == "LIMIT-93c76637-9742-466d-b30a-89926d2cf11c"
    assert (o.side, o.type, o.status) == (Side.SELL, OrderType.LIMIT, OrderStatus.OPEN)
    assert o.price == Decimal(24828) and o.amount == Decimal(10) and o.filled == 0
    assert o.created_at == datetime(2021, 6, 28, 2, 10, 26, tzinfo=UTC)


def test_new_with_some_executed_is_partly_filled() -> None:
    (o,) = parse.open_orders(parse.trading_result(reply(OPEN)))
    assert o.status is OrderStatus.PARTIALLY_FILLED and o.filled == Decimal("0.01")
    assert o.created_at is None


def test_fills_newest_first_without_order_ids() -> None:
    got = parse.fills(parse.trading_result(reply(TRADES)))
    assert [f.amount for f in got] == [Decimal("0.02538"), Decimal("0.03")]
    assert all(f.side is Side.BUY and f.order_id == "" and f.fee_currency == "LTC" for f in got)


def test_the_fills_of_an_answer_give_average_and_fee() -> None:
    body = json.loads(PLACED)
    body["result"].update(
        status="FILLED",
        type="MARKET",
        executedQty="10",
        fills=[
            {"price": "24800", "quantity": "4", "fee": "0.016", "feeAsset": "TMN"},
            {"price": "24900", "quantity": "6", "fee": "0.024", "feeAsset": "TMN"},
        ],
    )
    o = parse.order(body["result"])
    assert o.average_price == Decimal(24860) and o.fee == Decimal("0.040")
    assert o.price is None and o.status is OrderStatus.FILLED


def refusal(status: int, result: object, message: str = "The given data was invalid.") -> HttpReply:
    return reply(json.dumps({"success": False, "message": message, "result": result}), status)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            refusal(422, {"quantity": ["The quantity field must have 0-6 decimal places."]}),
            BadPrecision,
        ),
        (refusal(422, {"quantity": ["The quantity must be at least 0.000001."]}), BelowMinimum),
        (refusal(400, [], "The order total must be at least 100000 TMN."), BelowMinimum),
        (refusal(400, [], "Insufficient balance."), InsufficientFunds),
        (refusal(400, [], "The market is not active."), MarketClosed),
        (
            refusal(422, {"clientOrderId": ["The selected client order id is invalid."]}),
            OrderNotFound,
        ),
        (refusal(422, {"symbol": ["The selected symbol is invalid."]}), UnknownSymbol),
        (refusal(422, {"client_id": ["The client id has already been taken."]}), InvalidOrder),
        (refusal(401, [], "Unauthenticated."), AuthenticationError),
    ],
)
def test_refusals_by_their_words(answer: HttpReply, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse.trading_result(answer)


def test_private_pushes() -> None:
    body = json.loads(PLACED)
    event = parse.account_event({"type": "order", "data": body["result"]}, datetime.now(UTC))
    assert event is not None and event.order is not None and event.kind == "order"
    balance = parse.account_event(
        {"type": "balance", "data": {"asset": "TMN", "value": "21051348", "locked": "21000000"}},
        datetime.now(UTC),
    )
    assert balance is not None and balance.balances[0].available == Decimal(51348)
    assert parse.account_event({"type": "trade", "data": {}}, datetime.now(UTC)) is None
    assert parse.stream_key({"stream_key": "k1"}) == "k1" and parse.stream_key({}) is None
