"""Parsing the WEX documents' own example payloads (Public API v3, cited by seed 004)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import BadResponse, RejectedRequest, UnknownSymbol
from exchanges.http import HttpReply
from exchanges.models import Market, Side
from exchanges.wex import parse

INFO_EXAMPLE = """{
  "server_time": 1370814956,
  "pairs": {
    "btc_usd": {"decimal_places": 3, "min_price": 0.1, "max_price": 400, "min_amount": 0.01,
                "hidden": 0, "fee": 0.2},
    "ltc_btc": {"decimal_places": 5, "min_price": 0.00001, "max_price": 10,
                "min_amount": 0.1, "hidden": 1, "fee": 0.2}
  }
}"""
TICKER_EXAMPLE = """{"btc_usd": {"high": 109.88, "low": 91.14, "avg": 100.51,
  "vol": 1632898.2249, "vol_cur": 16541.51969, "last": 101.773, "buy": 101.9,
  "sell": 101.773, "updated": 1370816308}}"""
DEPTH_EXAMPLE = """{"btc_usd": {
  "asks": [[103.426, 0.01], [103.5, 15], [103.504, 0.425], [103.505, 0.1]],
  "bids": [[103.2, 2.48502251], [103.082, 0.46540304], [102.91, 0.99007913],
           [102.83, 0.07832332]]}}"""
TRADES_EXAMPLE = """{"btc_usd": [
  {"type": "ask", "price": 103.6, "amount": 0.101, "tid": 4861261, "timestamp": 1370818007},
  {"type": "bid", "price": 103.989, "amount": 1.51414, "tid": 4861254, "timestamp": 1370817960}
]}"""


def reply(body: str, status: int = 200) -> HttpReply:
    return HttpReply(status, {}, body)


def btc_usd() -> Market:
    return {m.symbol: m for m in parse.markets(parse.body(reply(INFO_EXAMPLE)))}["btc_usd"]


def test_info_example_gives_markets_with_price_places_and_minimum() -> None:
    markets = {m.symbol: m for m in parse.markets(parse.body(reply(INFO_EXAMPLE)))}
    m = markets["btc_usd"]
    assert (m.exchange, m.base, m.quote, m.pair) == ("wex", "BTC", "USD", "BTC/USD")
    assert (m.price_decimals, m.amount_decimals) == (3, 8)
    assert m.min_amount == Decimal("0.01")
    assert markets["ltc_btc"].active  # hidden pairs still trade
    assert markets["ltc_btc"].min_amount == Decimal("0.1")


def test_ticker_example_buy_is_the_ask_and_vol_is_in_the_quote() -> None:
    answer = parse.body(reply(TICKER_EXAMPLE), pair="btc_usd")
    t = parse.ticker(btc_usd(), parse.of_pair(answer, "btc_usd"))
    assert (t.bid, t.ask, t.last) == (Decimal("101.773"), Decimal("101.9"), Decimal("101.773"))
    assert t.volume_24h == Decimal("16541.51969")
    assert t.quote_volume_24h == Decimal("1632898.2249")
    assert (t.high_24h, t.low_24h) == (Decimal("109.88"), Decimal("91.14"))
    assert t.change_24h_pct is None
    assert t.time == datetime.fromtimestamp(1370816308, tz=UTC)


def test_depth_example_best_first_and_limited() -> None:
    answer = parse.body(reply(DEPTH_EXAMPLE), pair="btc_usd")
    now = datetime(2013, 6, 10, tzinfo=UTC)
    book = parse.order_book(btc_usd(), parse.of_pair(answer, "btc_usd"), 3, now)
    assert [lv.price for lv in book.asks] == [
        Decimal("103.426"),
        Decimal("103.5"),
        Decimal("103.504"),
    ]
    assert [lv.price for lv in book.bids] == [
        Decimal("103.2"),
        Decimal("103.082"),
        Decimal("102.91"),
    ]
    assert book.bids[0].amount == Decimal("2.48502251")
    assert book.asks[1].amount == Decimal("15")
    assert book.time == now


def test_trades_example_sides_ids_and_times() -> None:
    answer = parse.body(reply(TRADES_EXAMPLE), pair="btc_usd")
    first, second = parse.trades(btc_usd(), parse.of_pair(answer, "btc_usd"))
    assert (first.side, first.price, first.amount, first.trade_id) == (
        Side.SELL,
        Decimal("103.6"),
        Decimal("0.101"),
        "4861261",
    )
    assert first.time == datetime.fromtimestamp(1370818007, tz=UTC)
    assert (second.side, second.price, second.amount, second.trade_id) == (
        Side.BUY,
        Decimal("103.989"),
        Decimal("1.51414"),
        "4861254",
    )


def test_invalid_pair_error_is_an_unknown_symbol_naming_the_pair() -> None:
    with pytest.raises(UnknownSymbol) as info:
        parse.body(reply('{"success":0,"error":"Invalid pair name: btc_xxx"}'), pair="btc_xxx")
    assert info.value.symbol == "btc_xxx"


def test_empty_pair_list_after_ignore_invalid_is_an_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol) as info:
        parse.body(reply('{"success":0,"error":"Empty pair list"}'), pair="nope_usd")
    assert info.value.symbol == "nope_usd"


def test_other_errors_keep_the_exchange_text() -> None:
    with pytest.raises(RejectedRequest) as info:
        parse.body(reply('{"success":0,"error":"Invalid method"}'))
    assert info.value.message == "Invalid method"


def test_a_pair_missing_from_the_answer_is_unknown() -> None:
    answer = parse.body(reply(TICKER_EXAMPLE))
    with pytest.raises(UnknownSymbol):
        parse.of_pair(answer, "eth_usd")


@pytest.mark.parametrize(
    "text",
    [
        "<html>rate limit</html>",  # "при ошибке может придти ответ не в JSON формате"
        "[1, 2]",
    ],
)
def test_unreadable_answers_are_bad_responses(text: str) -> None:
    with pytest.raises(BadResponse):
        parse.body(reply(text))


def test_malformed_fields_are_named() -> None:
    ticker = json.loads(TICKER_EXAMPLE)["btc_usd"]
    del ticker["last"]
    with pytest.raises(BadResponse, match="'last'"):
        parse.ticker(btc_usd(), ticker)
    with pytest.raises(BadResponse, match="'type'"):
        parse.trades(btc_usd(), [{"type": "x", "price": 1, "amount": 1, "tid": 1, "timestamp": 1}])
    with pytest.raises(BadResponse, match="decimal_places"):
        parse.markets({"pairs": {"btc_usd": {"decimal_places": "3.5", "min_amount": 1}}})
    with pytest.raises(BadResponse):
        parse.order_book(btc_usd(), {"asks": [[1]], "bids": []}, 5, datetime.now(UTC))
    with pytest.raises(BadResponse):
        parse.markets({"pairs": {"btcusd": {"decimal_places": 3}}})
