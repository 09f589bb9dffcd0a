"""Parsing the Narkasa document's own example payloads (seed 001), and its error table.

The examples are the document's, with its ``//Response`` comments, trailing commas and
``...`` removed and the doubled outer brace of the ``market/info`` example dropped, so
that they are JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    BelowMinimum,
    ExchangeError,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.http import HttpReply
from exchanges.models import Market, Side
from exchanges.narkasa import parse

MARKETS_EXAMPLE = """{
    "code":"00000",
    "markets":
    [
        {
            "symbol": "BTCTRY", "name": "Bitcoin", "firstSymbol": "BTC", "secondSymbol": "TRY",
            "changeAmount": 498, "changePercent": 0.83, "last": 60000, "firstBid": 59999,
            "firstAsk": 60001, "open": 59502, "high": 61000, "low": 59000, "avg": 60002,
            "volume": 2, "openTime": 1577738760005, "tradeCount": 23
        }
    ]
}"""
STATS_24H_EXAMPLE = """{
    "code": "00000",
    "market": {
        "symbol": "BTCTRY", "changeAmount": 498, "changePercent": 0.83, "last": 60000,
        "firstBid": 59999, "firstAsk": 60001, "open": 59502, "high": 61000, "low": 59000,
        "avg": 60002, "volumeQty": 2, "volume": 120004, "openTime": 1577738760005,
        "tradeCount": 23
    }
}"""
INFO_EXAMPLE = """{
    "code":"00000",
    "info":{
        "symbol":"BTCTRY", "firstSymbol":"BTC", "secondSymbol":"TRY",
        "firstSymbolMaxLength":6, "secondSymbolMaxLength":0, "minTradeTotal":10,
        "minAmount":0.000001, "commission":0.2, "enable":"true", "cancelEnable":"true",
        "orderEnable":"true", "commissionTaker":0.2, "commissionMaker":0.2,
        "commissionPercentage":true, "commissionTierBased":false,
        "precision":{ "price":0, "amount":6, "total":0 }
    }
}"""
CANDLES_EXAMPLE = """{
    "code":"00000",
    "candles":
    [
        { "open": 48657, "low": 48000, "high": 48999, "close": 48980, "volume": 2,
          "openTime": 1577738760005, "closetime": 1577738820005 }
    ]
}"""
ORDERBOOK_EXAMPLE = """{
    "code":"00000",
    "book": { "bids": [ { "price": 47002, "amount": 0.0446 } ],
              "asks": [ { "price": 47003, "amount": 0.23 } ] }
}"""
DEPTH_EXAMPLE = """{
    "code":"00000",
    "book":
    {
        "bids": [ { "price": 47002, "amount": 0.0446, "count": 4 },
                  { "price": 47001, "amount": 0.012, "count": 5 },
                  { "price": 47000, "amount": 0.012, "count": 2 } ],
        "asks": [ { "price": 47003, "amount": 0.23, "count": 2 },
                  { "price": 47004, "amount": 0.0123, "count": 2 },
                  { "price": 47005, "amount": 0.017, "count": 2 } ]
    }
}"""
TRADES_EXAMPLE = """{
    "code":"00000",
    "trades": [ { "price": 47003, "amount": 0.23, "time": 1577891201415, "type": 0 } ]
}"""
PING_EXAMPLE = '{"code":"00000", "data":"PONG"}'
TIME_EXAMPLE = '{"code":"00000", "data":1578405048608}'
AUTH_ERROR_EXAMPLE = '{"code": 20001, "msg": "Invalid API key or secret."}'

# The document's closing error table, verbatim (00000 "Success" aside).
FINAL_TABLE = {
    "10010": "Account not registered",
    "10026": "Identity verification required",
    "10028": "Withdraw disabled",
    "10029": "Invalid withdraw channel",
    "10030": "Amount is lower than minimum withdraw limit",
    "10031": "Insufficient balance",
    "10035": "Channel monthly limit exceeded",
    "10037": "Invalid symbol",
    "10038": "Market disabled",
    "10039": "Order total is under limit",
    "10040": "Order amount is under limit",
    "10041": "Wash trading cancelled",
    "10042": "Market order not available",
    "10051": "Requested action is not available for your country",
    "10054": "Step-1 verified user monthly withdraw limit exceeded",
    "10055": "Step-2 verified user monthly withdraw limit exceeded",
    "10060": "Fast order not available",
    "10061": "Sell Price is not higher than %250",
    "10062": "Buy Price is not lower than %40",
    "20000": "Authorization required",
    "20001": "Invalid API key or secret",
    "20002": "Unauthorized IP",
    "20003": "Timestamp parameter is missing",
    "20004": "Timestamp difference limit exceeded",
    "20005": "Missing parameters",
    "20006": "Invalid Symbol",
    "20007": "Price must be float and higher than 0",
    "20008": "Target must be float and higher than 0",
    "20009": "Amount must be float and higher than 0",
    "20010": "Address can not be empty",
    "20011": "API is not allowed to this action",
    "20012": "Total must be float and higher than 0",
    "90000": "Unexpected Error",
    "90001": "Invalid Request",
}
# Codes found only in single endpoints' tables.
ENDPOINT_ONLY = {
    "10027": "Deposit disabled",
    "10063": "Withdraw address is not valid",
    "10064": "Extra parameter is not valid(Tag, Memo etc...)",
    "10075": "Order not found",
}
AUTH = {"10010", "20000", "20001", "20002", "20003", "20011"}
SYMBOL = {"10037", "20006"}
# What the user can change, by code (outside a withdrawal endpoint).
SPECIFIC: dict[str, type[ExchangeError]] = {
    "20004": InvalidNonce,
    "10031": InsufficientFunds,
    "10030": BelowMinimum,
    "10039": BelowMinimum,
    "10040": BelowMinimum,
    "10038": MarketClosed,
    "10042": MarketClosed,
    "10060": MarketClosed,
    "10041": InvalidOrder,
    "10061": InvalidOrder,
    "10062": InvalidOrder,
    "20007": InvalidOrder,
    "20008": InvalidOrder,
    "20009": InvalidOrder,
    "20012": InvalidOrder,
    "10075": OrderNotFound,
}
WITHDRAWAL_ONLY = {
    "10026",
    "10028",
    "10029",
    "10035",
    "10051",
    "10054",
    "10055",
    "10063",
    "10064",
    "20010",
}


def reply(body: str, status: int = 200) -> HttpReply:
    return HttpReply(status, {}, body)


def btctry() -> Market:
    return parse.market(parse.envelope(reply(INFO_EXAMPLE)))


NOW = datetime(2020, 1, 7, 13, 50, 48, tzinfo=UTC)


def test_markets_example_lists_its_symbol() -> None:
    assert parse.listed_symbols(parse.envelope(reply(MARKETS_EXAMPLE))) == ["BTCTRY"]


def test_info_example_gives_places_and_minimums() -> None:
    m = btctry()
    assert (m.exchange, m.symbol, m.base, m.quote) == ("narkasa", "BTCTRY", "BTC", "TRY")
    assert (m.price_decimals, m.amount_decimals) == (0, 6)
    assert m.min_amount == Decimal("0.000001")
    assert m.min_notional == Decimal("10")
    assert m.max_amount is None and m.tick_size is None and m.step_size is None
    assert m.active is True


@pytest.mark.parametrize(
    ("enable", "order_enable", "active"),
    [('"false"', '"true"', False), ('"true"', '"false"', False), ("true", "true", True)],
)
def test_disabled_markets_are_inactive(enable: str, order_enable: str, active: bool) -> None:
    body = INFO_EXAMPLE.replace('"enable":"true"', f'"enable":{enable}').replace(
        '"orderEnable":"true"', f'"orderEnable":{order_enable}'
    )
    assert parse.market(parse.envelope(reply(body))).active is active


def test_info_with_unreadable_flag_or_places_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="enable"):
        parse.market(parse.envelope(reply(INFO_EXAMPLE.replace('"enable":"true"', '"enable":"1"'))))
    with pytest.raises(BadResponse, match=r"precision\.amount"):
        parse.market(parse.envelope(reply(INFO_EXAMPLE.replace('"amount":6', '"amount":6.5'))))


def test_24h_example_is_the_ticker_with_base_and_quote_volume() -> None:
    t = parse.ticker(btctry(), parse.envelope(reply(STATS_24H_EXAMPLE)), NOW)
    assert t.last == Decimal("60000")
    assert (t.bid, t.ask) == (Decimal("59999"), Decimal("60001"))
    assert t.change_24h_pct == Decimal("0.83")
    assert t.volume_24h == Decimal("2")
    assert t.quote_volume_24h == Decimal("120004")
    assert (t.high_24h, t.low_24h) == (Decimal("61000"), Decimal("59000"))
    assert t.time == NOW


def test_a_zero_best_bid_means_an_empty_side() -> None:
    body = STATS_24H_EXAMPLE.replace('"firstBid": 59999', '"firstBid": 0')
    t = parse.ticker(btctry(), parse.envelope(reply(body)), NOW)
    assert t.bid is None and t.ask == Decimal("60001")


def test_candles_example() -> None:
    (c,) = parse.candles(parse.envelope(reply(CANDLES_EXAMPLE)))
    assert c.time == datetime(2019, 12, 30, 20, 46, tzinfo=UTC)
    assert (c.open, c.high, c.low, c.close) == (
        Decimal("48657"),
        Decimal("48999"),
        Decimal("48000"),
        Decimal("48980"),
    )
    assert c.volume == Decimal("2")


def test_orderbook_example_is_the_top_of_book() -> None:
    book = parse.order_book(btctry(), parse.envelope(reply(ORDERBOOK_EXAMPLE)), 10, NOW)
    assert book.best_bid is not None and book.best_ask is not None
    assert (book.best_bid.price, book.best_bid.amount) == (Decimal("47002"), Decimal("0.0446"))
    assert (book.best_ask.price, book.best_ask.amount) == (Decimal("47003"), Decimal("0.23"))


def test_depth_example_best_first_and_cut_to_limit() -> None:
    shuffled = DEPTH_EXAMPLE.replace(
        '{ "price": 47002, "amount": 0.0446, "count": 4 },\n                  '
        '{ "price": 47001, "amount": 0.012, "count": 5 }',
        '{ "price": 47001, "amount": 0.012, "count": 5 },\n                  '
        '{ "price": 47002, "amount": 0.0446, "count": 4 }',
    )
    assert shuffled != DEPTH_EXAMPLE
    book = parse.order_book(btctry(), parse.envelope(reply(shuffled)), 2, NOW)
    assert [lv.price for lv in book.bids] == [Decimal("47002"), Decimal("47001")]
    assert [lv.amount for lv in book.asks] == [Decimal("0.23"), Decimal("0.0123")]


def test_trades_example_buyer_maker_is_a_sell() -> None:
    (tr,) = parse.trades(btctry(), parse.envelope(reply(TRADES_EXAMPLE)), 10)
    assert (tr.price, tr.amount) == (Decimal("47003"), Decimal("0.23"))
    assert tr.side is Side.SELL
    assert tr.time == datetime(2020, 1, 1, 15, 6, 41, tzinfo=UTC)
    (taker,) = parse.trades(
        btctry(), parse.envelope(reply(TRADES_EXAMPLE.replace('"type": 0', '"type": 1'))), 10
    )
    assert taker.side is Side.BUY


def test_ping_and_time_examples() -> None:
    parse.pong(parse.envelope(reply(PING_EXAMPLE)))
    with pytest.raises(BadResponse):
        parse.pong(parse.envelope(reply('{"code":"00000","data":"PANG"}')))
    assert parse.server_time(parse.envelope(reply(TIME_EXAMPLE))) == NOW


def test_the_documents_error_example_is_an_authentication_error() -> None:
    with pytest.raises(AuthenticationError) as info:
        parse.envelope(reply(AUTH_ERROR_EXAMPLE, status=401))
    assert info.value.message == "Invalid API key or secret"


def test_the_table_is_complete() -> None:
    assert parse.ERRORS == {**FINAL_TABLE, **ENDPOINT_ONLY}


@pytest.mark.parametrize("code", sorted({**FINAL_TABLE, **ENDPOINT_ONLY}))
def test_every_documented_code_maps_onto_the_tree(code: str) -> None:
    body = f'{{"code": {int(code)}, "msg": "server words"}}'
    with pytest.raises(ExchangeError) as info:
        parse.envelope(reply(body, status=400), symbol="BTCTRY")
    error = info.value
    if code in SYMBOL:
        assert type(error) is UnknownSymbol and error.symbol == "BTCTRY"
    elif code in AUTH:
        assert type(error) is AuthenticationError
        assert error.message == parse.ERRORS[code]
    elif code in SPECIFIC:
        assert type(error) is SPECIFIC[code]
        assert error.message == parse.ERRORS[code]
    else:
        assert type(error) is RejectedRequest
        assert error.message == parse.ERRORS[code]


@pytest.mark.parametrize("code", sorted(WITHDRAWAL_ONLY))
def test_withdrawal_codes_are_withdrawal_refusals_on_withdrawal_calls(code: str) -> None:
    body = f'{{"code": {int(code)}, "msg": "server words"}}'
    with pytest.raises(WithdrawalRejected) as info:
        parse.envelope(reply(body, status=400), withdrawal=True)
    assert info.value.message == parse.ERRORS[code]


def test_codes_are_read_as_strings_or_numbers_whatever_the_status() -> None:
    with pytest.raises(UnknownSymbol):
        parse.envelope(reply('{"code": "10037", "msg": "Invalid symbol"}'), symbol="X")
    with pytest.raises(MarketClosed, match="Market disabled"):
        parse.envelope(reply('{"code": 10038}', status=200))
    assert parse.envelope(reply('{"code": 0}'))["code"] == 0  # 00000 written as a number


def test_an_undocumented_code_keeps_the_servers_words() -> None:
    with pytest.raises(RejectedRequest, match="something new"):
        parse.envelope(reply('{"code": 12345, "msg": "something new"}'))
    with pytest.raises(RejectedRequest, match="error code 12345"):
        parse.envelope(reply('{"code": "12345"}'))


@pytest.mark.parametrize(
    "body",
    ["<html>maintenance</html>", "[]", '{"data": "PONG"}', '{"code": true}', '{"code": "OK"}'],
)
def test_unreadable_envelopes_are_bad_responses(body: str) -> None:
    with pytest.raises(BadResponse):
        parse.envelope(reply(body))


def test_a_malformed_number_names_its_field() -> None:
    body = TRADES_EXAMPLE.replace('"amount": 0.23', '"amount": "lots"')
    with pytest.raises(BadResponse, match="amount"):
        parse.trades(btctry(), parse.envelope(reply(body)), 10)
    with pytest.raises(BadResponse, match="book"):
        parse.order_book(btctry(), parse.envelope(reply(PING_EXAMPLE)), 10, NOW)


def test_currencies_of_the_documents_example() -> None:
    body = {
        "code": "00000",
        "currencies": [
            {
                "id": "cc8dfd30b230de18ec95a88438dc49c13868c49afd484832aaae1ea70fbb92cce6b12e72",
                "symbol": "TRY",
                "name": "Türk Lirası",
            },
            {"id": "x", "symbol": "btc", "name": ""},
        ],
    }
    assert parse.currencies(body) == {"TRY": "Türk Lirası", "BTC": "BTC"}
    with pytest.raises(BadResponse):
        parse.currencies({"code": "00000"})
