"""Parsing of the WallexPay document's own example payloads, and error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from exchanges.errors import AuthenticationError, BadResponse, RejectedRequest, UnknownSymbol
from exchanges.http import HttpReply
from exchanges.wallexpay import parse
from exchanges.wallexpay.models import Currency, CurrencyPair, CurrencyType

NOW = datetime(2026, 9, 21, 12, 0, tzinfo=UTC)

DOC_CURRENCIES = """{
  "data": [
    {
      "id": 1,
      "type": "crypto",
      "currency": "BTC",
      "minimum_amount": "0.001",
      "deposit_fee_percent": "0.99",
      "withdrawal_fee_percent": "0",
      "precision": 8
    }
  ]
}"""

DOC_PAIRS = """{
  "data": [
    {
      "currency_from": {
        "currency": "BTC",
        "type": "crypto",
        "min_amount": "0.00300000",
        "min_amount_deposit_with_exchange": "0.00010000"
      },
      "currency_to": {
        "currency": "EUR",
        "type": "fiat"
      },
      "rate_from": "1",
      "rate_to": "8795.80000000"
    },
    {
      "currency_from": {
        "currency": "EUR",
        "type": "fiat",
        "min_amount": "25.00000000"
      },
      "currency_to": {
        "currency": "BTC",
        "type": "crypto"
      },
      "rate_from": "1",
      "rate_to": "8885.72951839"
    },
    {
      "currency_from": {
        "currency": "BCH",
        "type": "crypto",
        "min_amount": "0.00020000",
        "min_amount_deposit_with_exchange": "0.00100000"
      },
      "currency_to": {
        "currency": "USD",
        "type": "fiat"
      },
      "rate_from": "1",
      "rate_to": "332.28264751"
    },
    {
      "currency_from": {
        "currency": "USD",
        "type": "fiat",
        "min_amount": "30.00000000"
      },
      "currency_to": {
        "currency": "BCH",
        "type": "crypto"
      },
      "rate_from": "1",
      "rate_to": "335.94361522"
    }
  ]
}"""

DOC_PAIRS_ERROR = """{
    "errors": {
        "currency_from": "The selected currency from is invalid.",
        "currency_to": "The selected currency to is invalid."
    }
}"""

# currencies/rates is documented as "OK" only; this is the pair-shaped answer of the
# CoinsPaid v2 reference the document mirrors.
RATES = """{
    "data": [
        {
            "currency_from": {
                "currency": "BTC",
                "type": "crypto",
                "min_amount": "0.00010000",
                "min_amount_deposit_with_exchange": "0.00010000"
            },
            "currency_to": {"currency": "EUR", "type": "fiat"},
            "rate_from": "1",
            "rate_to": "48715.61680000"
        }
    ]
}"""


def reply(text: str, status: int = 200) -> HttpReply:
    return HttpReply(status=status, headers={}, text=text)


def test_currencies_example() -> None:
    assert parse.currencies(parse.data(reply(DOC_CURRENCIES))) == [
        Currency(
            code="BTC",
            type=CurrencyType.CRYPTO,
            precision=8,
            minimum_amount=Decimal("0.001"),
            deposit_fee_percent=Decimal("0.99"),
            withdrawal_fee_percent=Decimal("0"),
            id=1,
        )
    ]


def test_pairs_example() -> None:
    pairs = parse.pairs(parse.data(reply(DOC_PAIRS)))
    assert len(pairs) == 4
    assert pairs[0] == CurrencyPair(
        currency_from="BTC",
        from_type=CurrencyType.CRYPTO,
        currency_to="EUR",
        to_type=CurrencyType.FIAT,
        rate_from=Decimal("1"),
        rate_to=Decimal("8795.80000000"),
        min_amount=Decimal("0.003"),
        min_amount_deposit_with_exchange=Decimal("0.0001"),
    )
    assert pairs[1] == CurrencyPair(
        currency_from="EUR",
        from_type=CurrencyType.FIAT,
        currency_to="BTC",
        to_type=CurrencyType.CRYPTO,
        rate_from=Decimal("1"),
        rate_to=Decimal("8885.72951839"),
        min_amount=Decimal("25"),
        min_amount_deposit_with_exchange=None,
    )
    assert [str(p.rate_to) for p in pairs] == [
        "8795.80000000",
        "8885.72951839",
        "332.28264751",
        "335.94361522",
    ]


def test_pair_price_reads_crypto_in_fiat_both_ways() -> None:
    sell_btc, buy_btc, sell_bch, buy_bch = parse.pairs(parse.data(reply(DOC_PAIRS)))
    assert (sell_btc.base, sell_btc.quote, sell_btc.price) == ("BTC", "EUR", Decimal("8795.8"))
    assert (buy_btc.base, buy_btc.quote, buy_btc.price) == ("BTC", "EUR", Decimal("8885.72951839"))
    assert (sell_bch.base, sell_bch.quote) == ("BCH", "USD")
    assert (buy_bch.base, buy_bch.quote, buy_bch.price) == ("BCH", "USD", Decimal("335.94361522"))


def test_price_with_rate_from_other_than_one() -> None:
    pair = CurrencyPair(
        "BTC", CurrencyType.CRYPTO, "USDT", CurrencyType.CRYPTO, Decimal("2"), Decimal("5")
    )
    assert pair.price == Decimal("2.5")
    assert (pair.base, pair.quote) == ("BTC", "USDT")
    assert CurrencyPair("BTC", CurrencyType.CRYPTO, "EUR", CurrencyType.FIAT).price is None


def test_rates_answer() -> None:
    rate = parse.rate(parse.data(reply(RATES)), "BTC", "EUR", NOW)
    assert rate.rate == Decimal("48715.61680000")
    assert (rate.currency_from, rate.currency_to, rate.base, rate.quote) == (
        "BTC",
        "EUR",
        "BTC",
        "EUR",
    )
    assert rate.pair.min_amount == Decimal("0.0001")
    assert rate.time == NOW


def test_rates_answer_as_single_object() -> None:
    one = (
        '{"data": {"currency_from": {"currency": "EUR", "type": "fiat"}, '
        '"currency_to": {"currency": "BTC", "type": "crypto"}, '
        '"rate_from": "1", "rate_to": "8885.72951839"}}'
    )
    rate = parse.rate(parse.data(reply(one)), "EUR", "BTC", NOW)
    assert rate.rate == Decimal("8885.72951839")
    assert (rate.base, rate.quote) == ("BTC", "EUR")


def test_rates_without_the_pair_is_unknown() -> None:
    with pytest.raises(UnknownSymbol) as empty:
        parse.rate(parse.data(reply('{"data": []}')), "DOGE", "USD", NOW)
    assert empty.value.symbol == "DOGE/USD"
    with pytest.raises(UnknownSymbol):
        parse.rate(parse.data(reply(RATES)), "BTC", "USD", NOW)


def test_rates_without_rate_is_bad() -> None:
    text = RATES.replace('"rate_to": "48715.61680000"', '"rate_to": null')
    with pytest.raises(BadResponse, match="rate_to"):
        parse.rate(parse.data(reply(text)), "BTC", "EUR", NOW)


def test_documented_pairs_error_is_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol) as caught:
        parse.data(reply(DOC_PAIRS_ERROR, 400), symbol="XXX/YYY")
    assert caught.value.symbol == "XXX/YYY"


@pytest.mark.parametrize(
    "text",
    [
        '{"errors": {"foreign_id": "The foreign id field is required."}}',
        '{"errors": {"amount": "The amount must be at least 0.0001."}}',
        '{"errors": {"visible": ["The visible field must be true or false."]}}',
    ],
)
def test_documented_validation_errors_are_rejections(text: str) -> None:
    with pytest.raises(RejectedRequest) as caught:
        parse.data(reply(text, 400))
    assert "The " in caught.value.message


def test_exchange_unavailable_reason_is_a_rejection_not_unknown() -> None:
    text = '{"errors": {"sender_currency": "Exchange is unavailable for given currencies"}}'
    with pytest.raises(RejectedRequest, match="Exchange is unavailable"):
        parse.data(reply(text, 400))


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (403, '{"error": "Bad signature header", "code": "bad_header_signature"}'),
        (403, '{"error": "No signature header", "code": "required_header_signature"}'),
        (403, '{"error": "Bad key header", "code": "bad_header_key"}'),
        (403, '{"error": "No key header", "code": "required_header_key"}'),
        (400, '{"error": "Bad key header", "code": "bad_header_key"}'),
        (401, "<html>Unauthorized</html>"),
        (403, "[]"),
    ],
)
def test_authorization_errors(status: int, text: str) -> None:
    with pytest.raises(AuthenticationError):
        parse.data(reply(text, status))


def test_bad_content_format_is_a_rejection() -> None:
    text = '{"error": "Bad content format", "code": "bad_content_format"}'
    with pytest.raises(RejectedRequest, match="Bad content format"):
        parse.data(reply(text, 400))


@pytest.mark.parametrize("text", ["<html>maintenance</html>", "[]", '{"result": []}', '"OK"'])
def test_garbage_is_bad_response(text: str) -> None:
    with pytest.raises(BadResponse):
        parse.data(reply(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('{"data": [{"type": "crypto", "precision": 8}]}', "currency"),
        ('{"data": [{"currency": "BTC", "type": "metal", "precision": 8}]}', "type"),
        ('{"data": [{"currency": "BTC", "type": "crypto", "precision": 8.5}]}', "precision"),
        (
            '{"data": [{"currency": "BTC", "type": "crypto", "precision": 8, '
            '"minimum_amount": "abc"}]}',
            "minimum_amount",
        ),
        ('{"data": {"currency": "BTC"}}', "data"),
    ],
)
def test_malformed_currency_names_the_field(text: str, name: str) -> None:
    with pytest.raises(BadResponse, match=name):
        parse.currencies(parse.data(reply(text)))


def test_malformed_pair_names_the_field() -> None:
    text = DOC_PAIRS.replace('"rate_to": "8795.80000000"', '"rate_to": "-1"', 1)
    with pytest.raises(BadResponse, match="rate_to"):
        parse.pairs(parse.data(reply(text)))
    missing = DOC_PAIRS.replace('"type": "fiat"', '"kind": "fiat"', 1)
    with pytest.raises(BadResponse, match=r"currency_to\.type"):
        parse.pairs(parse.data(reply(missing)))


def test_ping() -> None:
    parse.ping(reply("OK"))
    parse.ping(reply("OK\n"))
    with pytest.raises(BadResponse):
        parse.ping(reply("<html>maintenance</html>"))
    with pytest.raises(AuthenticationError):
        parse.ping(reply('{"error": "Bad key header", "code": "bad_header_key"}', 403))
