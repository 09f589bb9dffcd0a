"""Balances and deposit addresses read off the WallexPay document's own examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.errors import BadResponse, RejectedRequest, UnknownSymbol
from exchanges.http import HttpReply
from exchanges.models import Balance
from exchanges.wallexpay import parse
from exchanges.wallexpay.models import Address

DOC_BALANCES = """{
    "data": [
        {
            "currency": "EUR",
            "type": "fiat",
            "balance": "5973.97568920"
        }
    ]
}"""

# The document writes ``"tag": tag-123`` unquoted, which is not JSON; quoted here.
DOC_ADDRESS = """{
  "data": {
    "id": 1,
    "currency": "BTC",
    "convert_to": "EUR",
    "address": "12983h13ro1hrt24it432t",
    "tag": "tag-123",
    "foreign_id": "user-id:2048"
  }
}"""

# The address object of the document's futures example (tag null, another shape).
DOC_FUTURES_ADDRESS = {
    "id": 384620,
    "currency": "BTC",
    "convert_to": "USD",
    "address": "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7",
    "tag": None,
    "foreign_id": "ds23fgk",
}

DOC_FOREIGN_ID_REQUIRED = """{
    "errors": {
        "foreign_id": "The foreign id field is required."
    }
}"""


def test_documented_balances() -> None:
    data = parse.data(HttpReply(200, {}, DOC_BALANCES))
    assert parse.balances(data) == [Balance("EUR", Decimal("5973.97568920"), Decimal(0))]
    balance = parse.balances(data)[0]
    assert isinstance(balance.available, Decimal)
    assert balance.total == Decimal("5973.9756892")


def test_balances_accept_numbers_and_refuse_garbage() -> None:
    assert parse.balances([{"currency": "btc", "type": "crypto", "balance": 0}]) == [
        Balance("BTC", Decimal(0), Decimal(0))
    ]
    assert parse.balances([]) == []
    with pytest.raises(BadResponse, match="balance"):
        parse.balances([{"currency": "BTC", "type": "crypto"}])
    with pytest.raises(BadResponse, match="balance"):
        parse.balances([{"currency": "BTC", "type": "crypto", "balance": "lots"}])
    with pytest.raises(BadResponse):
        parse.balances({"currency": "BTC"})


def test_documented_address() -> None:
    data = parse.data(HttpReply(201, {}, DOC_ADDRESS))
    assert parse.address(data) == Address(
        id=1,
        currency="BTC",
        address="12983h13ro1hrt24it432t",
        foreign_id="user-id:2048",
        convert_to="EUR",
        tag="tag-123",
    )


def test_futures_example_address_without_tag() -> None:
    taken = parse.address(DOC_FUTURES_ADDRESS)
    assert (taken.id, taken.tag, taken.convert_to) == (384620, None, "USD")
    assert taken.address == "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7"


def test_address_tag_and_foreign_id_shapes() -> None:
    base = dict(DOC_FUTURES_ADDRESS)
    assert parse.address({**base, "tag": 123456}).tag == "123456"
    assert parse.address({**base, "tag": ""}).tag is None
    assert parse.address({**base, "foreign_id": 164}).foreign_id == "164"
    assert parse.address({**base, "convert_to": None}).convert_to is None
    no_optional = {k: base[k] for k in ("id", "currency", "address")}
    assert parse.address(no_optional) == Address(
        384620, "BTC", "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7"
    )


def test_address_refuses_what_cannot_be_shown() -> None:
    base = dict(DOC_FUTURES_ADDRESS)
    for broken in (
        {**base, "address": ""},
        {**base, "address": None},
        {k: v for k, v in base.items() if k != "address"},
        {**base, "id": "x"},
        {**base, "tag": {"memo": 1}},
        {**base, "tag": True},
    ):
        with pytest.raises(BadResponse):
            parse.address(broken)
    with pytest.raises(BadResponse):
        parse.address(["not", "an", "object"])


def test_documented_foreign_id_error() -> None:
    with pytest.raises(RejectedRequest, match=r"The foreign id field is required\."):
        parse.data(HttpReply(400, {}, DOC_FOREIGN_ID_REQUIRED))


def test_unknown_currency_is_named_by_what_was_sent() -> None:
    body = '{"errors": {"convert_to": "The selected convert to is invalid."}}'
    sent = {"currency": "BTC", "foreign_id": "u", "convert_to": "EUR"}
    with pytest.raises(UnknownSymbol) as caught:
        parse.data(HttpReply(400, {}, body), sent=sent)
    assert caught.value.symbol == "EUR"
    body = '{"errors": {"currency": "The selected currency is invalid."}}'
    with pytest.raises(UnknownSymbol) as by_symbol:
        parse.data(HttpReply(400, {}, body), symbol="BTC/USD")
    assert by_symbol.value.symbol == "BTC/USD"
    with pytest.raises(UnknownSymbol) as by_param:
        parse.data(HttpReply(400, {}, body))
    assert by_param.value.symbol == "currency"
