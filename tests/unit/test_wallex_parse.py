"""Parsing the Wallex document's own example payloads (seed 000)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import BadResponse, RejectedRequest, UnknownSymbol, UnsupportedInterval
from exchanges.http import HttpReply
from exchanges.models import Side
from exchanges.wallex import parse

MARKETS_EXAMPLE = """{
  "result": {"symbols": {"BTCTMN": {
    "symbol": "BTCTMN", "baseAsset": "BTC", "baseAssetPrecision": 8, "quoteAsset": "TMN",
    "quotePrecision": 0, "faName": "بیت کوین - تومان", "stepSize": 6, "tickSize": 0,
    "minQty": 0.000001, "maxQty": 100000, "minNotional": 100000,
    "stats": {"bidPrice": "1323000001", "askPrice": "1324135008", "24h_ch": "-3.04",
      "24h_volume": "0.18734400", "24h_quoteVolume": "251943031.0000000000000000",
      "24h_highPrice": "1375000000.00000000", "24h_lowPrice": "1310925535.00000000",
      "lastPrice": "1323000001.00000000", "lastQty": "0.00009200"}}}},
  "message": "The operation was successful", "success": true}"""


def reply(body: str, status: int = 200) -> HttpReply:
    return HttpReply(status, {}, body)


def test_markets_example_gives_exact_precision_and_minimums() -> None:
    (m,) = parse.markets(parse.result(reply(MARKETS_EXAMPLE)))
    assert (m.symbol, m.base, m.quote) == ("BTCTMN", "BTC", "TMN")
    assert (m.amount_decimals, m.price_decimals) == (6, 0)
    assert m.min_amount == Decimal("0.000001")
    assert m.max_amount == Decimal("100000")
    assert m.min_notional == Decimal("100000")


def test_ticker_from_stats_is_exact() -> None:
    result = parse.result(reply(MARKETS_EXAMPLE))
    (m,) = parse.markets(result)
    now = datetime(2021, 6, 28, tzinfo=UTC)
    t = parse.ticker(m, parse.market_stats(result, "BTCTMN"), now)
    assert t.last == Decimal("1323000001.00000000")
    assert (t.bid, t.ask) == (Decimal("1323000001"), Decimal("1324135008"))
    assert t.change_24h_pct == Decimal("-3.04")
    assert t.volume_24h == Decimal("0.18734400")
    assert t.high_24h == Decimal("1375000000")


def test_depth_example_sorted_best_first() -> None:
    body = {
        "ask": [
            {"price": "1317783488.00000000", "quantity": "0.69433100"},
            {"price": "1317505698.00000000", "quantity": "0.13471800"},
        ],
        "bid": [
            {"price": "1309100000.00000000", "quantity": "0.00076300"},
            {"price": "1311752950.00000000", "quantity": "0.00076300"},
        ],
    }
    (m,) = parse.markets(parse.result(reply(MARKETS_EXAMPLE)))
    book = parse.order_book(m, body, 10, datetime.now(UTC))
    assert book.best_ask is not None and book.best_ask.price == Decimal("1317505698")
    assert book.best_bid is not None and book.best_bid.price == Decimal("1311752950")


def test_trades_example() -> None:
    body = {
        "latestTrades": [
            {
                "symbol": "BTCTMN",
                "quantity": "0.0017700000000000",
                "price": "852231321.0000000000000000",
                "sum": "1508449.4381700000000000",
                "isBuyOrder": False,
                "timestamp": "2021-06-28T00:02:15Z",
            }
        ]
    }
    (m,) = parse.markets(parse.result(reply(MARKETS_EXAMPLE)))
    (trade,) = parse.trades(m, body, 10)
    assert trade.price == Decimal("852231321")
    assert trade.amount == Decimal("0.00177")
    assert trade.side is Side.SELL
    assert trade.time == datetime(2021, 6, 28, 0, 2, 15, tzinfo=UTC)


def test_udf_history_example() -> None:
    body = json.loads(
        '{"s":"ok","t":[1562182200],"c":["134000000.0000000000"],"o":["130578000.0000000000"],'
        '"h":["123863600.0000000000"],"l":["120732000.0000000000"],"v":["8.3238723141"]}'
    )
    (c,) = parse.candles(body)
    assert c.time == datetime.fromtimestamp(1562182200, UTC)
    assert (c.open, c.close, c.volume) == (
        Decimal("130578000"),
        Decimal("134000000"),
        Decimal("8.3238723141"),
    )
    assert parse.candles({"s": "no_data"}) == []


def test_error_envelopes_map_to_the_error_tree() -> None:
    bad_symbol = (
        '{"success":false,"message":"The given data was invalid.",'
        '"result":{"symbol":["The selected symbol is invalid."]}}'
    )
    with pytest.raises(UnknownSymbol):
        parse.result(reply(bad_symbol, 422), symbol="XYZ")
    bad_res = (
        '{"success":false,"message":"The given data was invalid.","result":{"resolution":["bad"]}}'
    )
    assert isinstance(parse.envelope_error(json.loads(bad_res), interval="7m"), UnsupportedInterval)
    with pytest.raises(RejectedRequest, match="maintenance"):
        parse.result(reply('{"success":false,"message":"maintenance","result":[]}', 400))


@pytest.mark.parametrize(
    "body",
    [
        "<html>",
        '{"success":true}',
        '{"success":true,"result":{"symbols":{"X":{"symbol":"X"}}}}',
        '{"success":true,"result":{"symbols":{"BTCTMN":{"symbol":"BTCTMN","baseAsset":"BTC","quoteAsset":"TMN","stepSize":"x","tickSize":0}}}}',
    ],
)
def test_malformed_answers_are_bad_responses(body: str) -> None:
    with pytest.raises(BadResponse):
        parse.markets(parse.result(reply(body)))
