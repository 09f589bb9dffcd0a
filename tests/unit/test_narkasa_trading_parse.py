"""Narkasa's trading answers, read from the document's own examples (seed 001)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import AuthenticationError, BadResponse, WithdrawalRejected
from exchanges.models import OrderStatus, OrderType, Side, TransferStatus
from exchanges.narkasa import parse


def load(text: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(text, parse_float=Decimal)
    return loaded


LIMIT_BUY = load("""{"code": "00000", "order": {"status": "NEW",
 "orderId": "ce82ac3aed3e8b1cecc6fcd36ddc49936866c49bfa4f4f32fbfc12a005e995c9b3b52e2b",
 "market": "BTCUSDT", "orderType": "LIMIT", "side": "BUY", "price": 9500, "amount": 0.001,
 "filledAmount": 0, "time": 1578405048608}}""")
MARKET_SELL = load("""{"code": "00000", "order": {"status": "FILLED", "market": "BTCUSDT",
 "orderType": "MARKET", "side": "SELL", "amount": 0.001, "filledAmount": 0.001,
 "time": 1578405048608}}""")
STOP_SELL = load("""{"code": "00000", "order": {"status": "NEW",
 "orderId": "ce82", "market": "BTCUSDT", "orderType": "STOP LIMIT", "stopType": "LESS",
 "side": "SELL", "target": 9300, "price": 9305, "amount": 0.001, "time": 1578405048608}}""")
FAST_BUY = load("""{"code": "00000", "order": {"status": "FILLED", "market": "BTCUSDT",
 "orderType": "FAST", "side": "BUY", "total": 100, "filledTotal": 100,
 "time": 1578405048608}}""")
USER_ORDERS = load("""{"code": "00000", "orders": [{"market": "BTCTRY", "price": 47016,
 "targetPrice": 0, "amount": 0.42, "filledAmount": 0, "side": 1, "time": 1580131799413,
 "orderType": 0, "orderId": "ce82"}]}""")
USER_TRADES = load("""{"code": "00000", "trades": [{"symbol": "BTCUSDT", "price": 9800,
 "amount": 0.0012, "side": 1, "orderType": 0, "commission": 0.02352,
 "commissionSymbol": "USDT", "time": 1591875237869}]}""")
WITHDRAW_INFO = load("""{"code": "00000", "currency": {"id": "ce87", "symbol": "BTC",
 "name": "Bitcoin", "enable": true, "minimumWithdrawAmount": 0.0001, "maxLength": 8,
 "channels": [{"name": "BTC", "enable": false, "commission": 0.0005, "addressList": [
 {"id": "9d80", "name": "123123123123", "address": "123123123123"}]}]}}""")
WITHDRAW_HISTORY = load("""{"code": "00000", "history": [{"id": "cdd0", "symbol": "BTC",
 "maxLength": 8, "amount": 0.00213, "time": 1578943895994, "state": 13, "real": false,
 "information": "", "txid": "", "explorer": "https://www.blockchain.com/en/explorer"}]}""")
DEPOSIT_HISTORY = load("""{"code": "00000", "history": [{"id": "cdd0", "symbol": "BTC",
 "maxLength": 8, "totalConfirmation": 6, "activeConfirmation": 3, "amount": 0.00213,
 "time": 1578943895994, "state": 3, "real": false, "information": "", "txid": "",
 "explorer": "https://www.blockchain.com/en/explorer"}]}""")
ORDER_UPDATE = load("""{"type": "orderUpdate", "order": {"status": "NEW", "market": "BTCUSDT",
 "orderType": 0, "side": 0, "price": 7350, "amount": 0.0001, "filledAmount": 0,
 "stopType": 0, "targetPrice": 0, "orderId": "6b11", "time": 1578405048608}}""")
AT = datetime(2020, 1, 7, 13, 50, 48, tzinfo=UTC)


def test_limit_answer() -> None:
    o = parse.placed_order(LIMIT_BUY, "BTCUSDT")
    assert o.order_id.startswith("ce82ac3a") and o.symbol == "BTCUSDT"
    assert (o.side, o.type, o.status) == (Side.BUY, OrderType.LIMIT, OrderStatus.OPEN)
    assert o.price == Decimal(9500) and o.amount == Decimal("0.001") and o.filled == 0
    assert o.created_at == AT and o.stop_price is None


def test_market_answer_without_an_order_id_gets_a_name() -> None:
    o = parse.placed_order(MARKET_SELL, "BTCUSDT")
    assert o.order_id == "BTCUSDT-sell-1578405048608"
    assert o.status is OrderStatus.FILLED and o.filled == o.amount and o.price is None


def test_stop_limit_answer_keeps_its_target() -> None:
    o = parse.placed_order(STOP_SELL, "BTCUSDT")
    assert o.type is OrderType.STOP_LIMIT and o.stop_price == Decimal(9300)
    assert o.price == Decimal(9305)


def test_fast_buy_answer_is_in_quote_totals() -> None:
    o = parse.placed_order(FAST_BUY, "BTCUSDT")
    assert o.type is OrderType.MARKET and o.amount == Decimal(100) == o.filled


def test_user_orders_use_numeric_codes() -> None:
    (o,) = parse.open_orders(USER_ORDERS)
    assert o.side is Side.SELL and o.type is OrderType.LIMIT and o.status is OrderStatus.OPEN
    assert o.stop_price is None and o.amount == Decimal("0.42")


def test_user_trades() -> None:
    (f,) = parse.fills(USER_TRADES)
    assert f.side is Side.SELL and f.price == Decimal(9800) and f.amount == Decimal("0.0012")
    assert f.fee == Decimal("0.02352") and f.fee_currency == "USDT" and f.order_id == ""


def test_withdraw_terms_and_saved_addresses() -> None:
    with pytest.raises(WithdrawalRejected, match="Withdraw disabled"):
        parse.withdrawal_terms(WITHDRAW_INFO, None)  # its only channel is disabled
    with pytest.raises(WithdrawalRejected, match="Invalid withdraw channel"):
        parse.withdrawal_terms(WITHDRAW_INFO, "btc")
    assert parse.saved_addresses(WITHDRAW_INFO) == [("BTC", "123123123123", "123123123123")]
    enabled = load(
        json.dumps(WITHDRAW_INFO, default=str).replace('"enable": false', '"enable": true')
    )
    terms = parse.withdrawal_terms(enabled, None)
    assert terms.fee == Decimal("0.0005") and terms.min_amount == Decimal("0.0001")
    assert terms.amount_decimals == 8 and terms.network == "BTC"


def test_histories_map_the_documented_states() -> None:
    (w,) = parse.withdrawals(WITHDRAW_HISTORY)
    assert w.status is TransferStatus.PENDING and w.txid is None and w.amount == Decimal("0.00213")
    (d,) = parse.deposits(DEPOSIT_HISTORY)
    assert d.status is TransferStatus.PENDING  # the example's state 3 is not "completed"
    assert parse.WITHDRAW_STATES[24] is TransferStatus.COMPLETED
    assert parse.WITHDRAW_STATES[98] is TransferStatus.FAILED
    assert parse.WITHDRAW_STATES[99] is TransferStatus.CANCELLED


def test_order_update_and_stream_answers() -> None:
    o = parse.order(ORDER_UPDATE["order"])
    assert o.order_id == "6b11" and o.side is Side.BUY and o.type is OrderType.LIMIT
    parse.user_stream_answer({"method": "USER_STREAMS", "status": "success"})
    with pytest.raises(AuthenticationError, match="Unauthorized Access"):
        parse.user_stream_answer(
            {"method": "USER_STREAMS", "status": "failed", "message": "Unauthorized Access"}
        )
    with pytest.raises(BadResponse):
        parse.order({"market": "X", "side": 7, "orderType": 0, "amount": 1})


def test_a_market_order_push_is_named_as_its_answer() -> None:
    push = dict(ORDER_UPDATE["order"])  # type: ignore[call-overload]
    push.update(orderType=1, side=1, market="BTCUSDT", status="FILLED")
    assert parse.order(push).order_id == "BTCUSDT-sell-1578405048608"
    assert parse.placed_order(MARKET_SELL, "BTCUSDT").order_id == parse.order(push).order_id
