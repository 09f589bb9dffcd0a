"""ALP.COM parsing on the document's own example payloads, and its error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.alp import parse
from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    RateLimited,
    RejectedRequest,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpReply, decode_json
from exchanges.models import BookLevel, Market, Side

# The document's sample outputs, verbatim.
CURRENCIES = """[
  {"sign": "Ƀ", "short_name": "BTC"},
  {"sign": "Ξ", "short_name": "ETH"}
]"""
PAIRS = """[
  {
    "name": "BTC_USD",
    "currency1": "BTC",
    "currency2": "USD",
    "price_precision": 2,
    "amount_precision": 6,
    "maximum_order_size": 100000000.00000000,
    "minimum_order_size": 0.00000001,
    "liquidity_type": 10
   }
]"""
TICKER = """[
  {
    "timestamp": 1642511387.55049,
    "pair": "ETH_BTC",
    "last": 0.076,
    "diff": 0,
    "vol": 0,
    "high": 0,
    "low": 0,
    "buy": 0.071346,
    "sell": 0.080317
  }
]"""
CHART = """[
  {
    "volume": 0.262929,
    "high": 912.236,
    "low": 910.086,
    "close": 911.915,
    "time": 1485777600,
    "open": 910.424
   }
]"""
ORDERBOOK = """{
  "sell": [{"price": 911.519, "amount": 0.000446}],
  "buy": [{"price": 911.122, "amount": 0.001233}]
}"""
EXCHANGES = """[
  {
    "id": 6030,
    "account_id": 384360,
    "price": 839.36000000,
    "pair": "BTC_USD",
    "type": "sell",
    "timestamp": 1483705817.735508,
    "amount": 0.00281167
  }
]"""

BTC_USD = Market("alp", "BTC_USD", "BTC", "USD", 2, 6)
ETH_BTC = Market("alp", "ETH_BTC", "ETH", "BTC", 6, 4)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def body(text: str) -> object:
    return decode_json("alp", text)


def reply(status: int, text: str) -> HttpReply:
    return HttpReply(status, {}, text)


def levels(side: tuple[BookLevel, ...]) -> list[tuple[Decimal, Decimal]]:
    return [(lv.price, lv.amount) for lv in side]


def test_currencies_map_code_to_sign() -> None:
    assert parse.currencies(body(CURRENCIES)) == {"BTC": "Ƀ", "ETH": "Ξ"}


def test_pairs_give_precision_and_order_size_limits() -> None:
    [market] = parse.markets(body(PAIRS))
    assert market == Market(
        exchange="alp",
        symbol="BTC_USD",
        base="BTC",
        quote="USD",
        price_decimals=2,
        amount_decimals=6,
        min_amount=Decimal("0.00000001"),
        max_amount=Decimal("100000000.00000000"),
    )
    assert market.min_notional is None
    assert market.tick_size is None and market.step_size is None


def test_pairs_accept_sizes_written_as_strings() -> None:
    text = PAIRS.replace("0.00000001", '"0.01000000"').replace("100000000.00000000", '"900000"')
    [market] = parse.markets(body(text))
    assert market.min_amount == Decimal("0.01000000")
    assert market.max_amount == Decimal("900000")


def test_fractional_precision_is_refused() -> None:
    with pytest.raises(BadResponse, match="price_precision"):
        parse.markets(body(PAIRS.replace('"price_precision": 2', '"price_precision": 2.5')))


def test_pair_without_name_names_the_field() -> None:
    with pytest.raises(BadResponse, match="'name'"):
        parse.markets(body(PAIRS.replace('"name": "BTC_USD",', "")))


def test_document_ticker_reads_zero_high_low_as_none() -> None:
    entry = parse.ticker_entry(body(TICKER), "ETH_BTC")
    t = parse.ticker(ETH_BTC, entry)
    assert t.last == Decimal("0.076")
    assert t.bid == Decimal("0.071346")
    assert t.ask == Decimal("0.080317")
    assert t.change_24h_pct == Decimal(0)
    assert t.volume_24h == Decimal(0)
    assert t.high_24h is None and t.low_24h is None
    assert t.time == datetime(2022, 1, 18, 13, 9, 47, tzinfo=UTC)


def test_ticker_change_is_diff_over_the_price_a_day_ago() -> None:
    raw = {
        "pair": "BTC_USD",
        "last": Decimal("22476.85"),
        "diff": Decimal("458.96"),
        "vol": "6660.847784",
        "high": "23106.08",
        "low": "22348.29",
        "buy": "22508.46",
        "sell": "22521.11",
        "timestamp": "1674658.445272",
    }
    t = parse.ticker(BTC_USD, raw)
    assert t.change_24h_pct == Decimal("458.96") / Decimal("22017.89") * 100
    assert t.volume_24h == Decimal("6660.847784")
    assert (t.high_24h, t.low_24h) == (Decimal("23106.08"), Decimal("22348.29"))


def test_ticker_list_without_the_pair_is_an_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol) as caught:
        parse.ticker_entry(body(TICKER), "BTC_USD")
    assert caught.value.symbol == "BTC_USD"


def test_ticker_without_last_names_the_field() -> None:
    with pytest.raises(BadResponse, match="'last'"):
        parse.ticker(ETH_BTC, {"pair": "ETH_BTC", "buy": 1})


def test_document_orderbook() -> None:
    book = parse.order_book(BTC_USD, body(ORDERBOOK), 10, NOW)
    assert levels(book.bids) == [(Decimal("911.122"), Decimal("0.001233"))]
    assert levels(book.asks) == [(Decimal("911.519"), Decimal("0.000446"))]
    assert book.time == NOW


def test_ungrouped_orderbook_is_summed_per_price_sorted_and_cut() -> None:
    raw = {
        "sell": [
            {"price": "11.2", "amount": "1"},
            {"price": "11.1", "amount": "2"},
            {"price": "11.1", "amount": "0.5"},
            {"price": "11.3", "amount": "4"},
        ],
        "buy": [
            {"price": "10.8", "amount": "1"},
            {"price": "10.9", "amount": "0.25"},
            {"price": "10.9", "amount": "0.25"},
        ],
    }
    book = parse.order_book(BTC_USD, raw, 2, NOW)
    assert levels(book.asks) == [
        (Decimal("11.1"), Decimal("2.5")),
        (Decimal("11.2"), Decimal("1")),
    ]
    assert levels(book.bids) == [
        (Decimal("10.9"), Decimal("0.50")),
        (Decimal("10.8"), Decimal("1")),
    ]


def test_orderbook_without_a_side_names_it() -> None:
    with pytest.raises(BadResponse, match="'buy'"):
        parse.order_book(BTC_USD, {"sell": []}, 10, NOW)


def test_document_exchanges() -> None:
    [trade] = parse.trades(BTC_USD, body(EXCHANGES), 10)
    assert trade.price == Decimal("839.36000000")
    assert trade.amount == Decimal("0.00281167")
    assert trade.side is Side.SELL
    assert trade.trade_id == "6030"
    assert trade.time == datetime(2017, 1, 6, 12, 30, 17, tzinfo=UTC)


def test_trades_newest_first_other_pairs_dropped() -> None:
    raw = [
        {
            "id": 1,
            "pair": "BTC_USD",
            "type": "buy",
            "timestamp": Decimal("100.5"),
            "price": "1",
            "amount": "1",
        },
        {
            "id": 3,
            "pair": "ETH_BTC",
            "type": "buy",
            "timestamp": Decimal("300"),
            "price": "9",
            "amount": "9",
        },
        {
            "id": 2,
            "pair": "BTC_USD",
            "type": "odd",
            "timestamp": Decimal("200.25"),
            "price": "2",
            "amount": "2",
        },
    ]
    trades = parse.trades(BTC_USD, raw, 10)
    assert [t.trade_id for t in trades] == ["2", "1"]
    assert trades[0].side is None and trades[1].side is Side.BUY
    assert [t.trade_id for t in parse.trades(BTC_USD, raw, 1)] == ["2"]


def test_document_chart() -> None:
    [candle] = parse.candles(body(CHART))
    assert candle.time == datetime(2017, 1, 30, 12, 0, tzinfo=UTC)
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (
        Decimal("910.424"),
        Decimal("912.236"),
        Decimal("910.086"),
        Decimal("911.915"),
        Decimal("0.262929"),
    )


def test_chart_sorted_oldest_first_without_duplicates() -> None:
    def row(t: int, close: str) -> dict[str, object]:
        return {"time": t, "open": "1", "high": "2", "low": "0.5", "close": close, "volume": "3"}

    candles = parse.candles([row(7200, "3"), row(3600, "2"), row(0, "1"), row(3600, "2")])
    assert [c.time.timestamp() for c in candles] == [0, 3600, 7200]
    assert [c.close for c in candles] == [Decimal(1), Decimal(2), Decimal(3)]


def test_chart_with_a_text_number_is_refused() -> None:
    with pytest.raises(BadResponse, match="'high'"):
        parse.candles(body(CHART.replace("912.236", '"n/a"')))


# --- errors ------------------------------------------------------------------------------
def test_success_body_passes_through() -> None:
    assert parse.checked(reply(200, "[]")) == []


def test_pair_filter_refusal_is_unknown_symbol() -> None:
    text = '{"pair": ["Select a valid choice. That choice is not one of the available choices."]}'
    with pytest.raises(UnknownSymbol) as caught:
        parse.checked(reply(400, text), symbol="XRP_USDT")
    assert caught.value.symbol == "XRP_USDT"


def test_not_found_for_a_pair_in_the_path_is_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol):
        parse.checked(reply(404, '{"detail": "Not found."}'), symbol="XRP_USDT")


def test_not_found_without_a_pair_is_a_refusal() -> None:
    with pytest.raises(RejectedRequest, match=r"Not found\."):
        parse.checked(reply(404, '{"detail": "Not found."}'))


def test_timeframe_refusal_is_unsupported_interval() -> None:
    with pytest.raises(UnsupportedInterval) as caught:
        parse.checked(
            reply(400, '{"timeframe": ["\\"7\\" is not a valid choice."]}'),
            interval="7m",
            supported=("5m", "1h"),
        )
    assert caught.value.interval == "7m"
    assert caught.value.supported == ("5m", "1h")


def test_other_parameter_refusal_carries_the_reason() -> None:
    text = '{"limit_sell": ["Ensure this value is greater than or equal to 1."]}'
    with pytest.raises(RejectedRequest) as caught:
        parse.checked(reply(400, text))
    assert caught.value.message == "limit_sell: Ensure this value is greater than or equal to 1."


def test_detail_refusals() -> None:
    assert isinstance(parse.error(401, {"detail": "Invalid signature."}), AuthenticationError)
    assert isinstance(parse.error(403, {"detail": "Forbidden"}), AuthenticationError)
    limited = parse.error(429, {"detail": "Request was throttled. Expected available in 1 second."})
    assert isinstance(limited, RateLimited)
    assert "throttled" in limited.message
    other = parse.error(400, {"detail": "Bad request"})
    assert isinstance(other, RejectedRequest) and other.message == "Bad request"


def test_error_page_that_is_not_json_is_a_bad_response() -> None:
    with pytest.raises(BadResponse, match="HTTP 404"):
        parse.checked(reply(404, "<h1>Not Found</h1>"), symbol="BTC_USD")


def test_success_that_is_not_json_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parse.checked(reply(200, "<html>maintenance</html>"))
