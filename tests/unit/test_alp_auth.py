"""ALP.COM signing against the document's own code, and the parsing of signed answers.

The document gives no signature value, but it gives the code that makes one: its
Python ``get_auth_headers`` with the placeholders ``'your key'`` / ``'your keys
secret'``, and payloads of its own examples. ``_document_sign`` below is that code
as printed; the hex values were produced by it (and checked with ``openssl dgst
-sha256 -hmac``), so the vectors are the document's, not ours.
"""

from __future__ import annotations

import hmac
import pickle
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from exchanges.alp import auth, parse
from exchanges.credentials import Credentials, Secret
from exchanges.errors import AuthenticationError, BadResponse, RejectedRequest
from exchanges.http import HttpReply, decode_json
from exchanges.models import Balance, Fee

JS_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves unescaped besides letters/digits
DOC_KEY = "your key"
DOC_SECRET = "your keys secret"
# (payload, signed message, signature) for the document's examples.
VECTORS: list[tuple[dict[str, Any], str, str]] = [
    (  # getWallets / get_auth_headers({})
        {},
        "your key",
        "9f7667b497d9aca9ed42d3ba764a46cf844c4462279016717fc2b96d404f5942",
    ),
    (  # the JavaScript example's order
        {"type": "buy", "pair": "BTC_USD", "amount": "0.0001", "price": "0.1"},
        "your keyamount=0.0001&pair=BTC_USD&price=0.1&type=buy",
        "647df15a6b562cf824c3e83fbe36318d5b8361ac3f3b475180f16b1cf9620e95",
    ),
    (  # "Create order" Python example
        {"type": "buy", "pair": "BTC_USD", "amount": "1.0", "price": "870.69"},
        "your keyamount=1.0&pair=BTC_USD&price=870.69&type=buy",
        "0d812b3a160dde095879e4a303739e9b322133f7738a0d7e8d4334783258a2d2",
    ),
    (  # "Cancel order" example
        {"order": "63568"},
        "your keyorder=63568",
        "3ccdeb294d86074911169cdec45f6c8fee1509ec6b9da6ae2c2d1fb66229a496",
    ),
]


def _document_sign(data: dict[str, Any]) -> str:
    """The document's Python example, verbatim but for returning only the signature."""
    msg = "your key" + urlencode(sorted(data.items(), key=lambda val: val[0]))
    return hmac.new(b"your keys secret", msg.encode(), digestmod="sha256").hexdigest()


def _javascript_serialize(payload: dict[str, str]) -> str:
    """The document's JavaScript ``serializePayload`` (encodeURIComponent per value)."""
    return "&".join(f"{k}={quote(payload[k], safe=JS_SAFE)}" for k in sorted(payload))


@pytest.mark.parametrize(("payload", "signed", "signature"), VECTORS)
def test_document_vectors(payload: dict[str, str], signed: str, signature: str) -> None:
    assert _document_sign(payload) == signature
    assert auth.message(DOC_KEY, payload) == signed
    assert auth.sign(DOC_SECRET, DOC_KEY, payload) == signature
    assert auth.sign(Secret(DOC_SECRET), DOC_KEY, payload) == signature
    # The JavaScript example signs the same text for these payloads.
    assert DOC_KEY + _javascript_serialize(payload) == signed


def test_payload_is_sorted_whatever_the_order_given() -> None:
    forward = {"a": "1", "b": "2", "c": "3"}
    backward = {"c": "3", "b": "2", "a": "1"}
    assert auth.serialize_payload(backward) == "a=1&b=2&c=3"
    assert auth.sign(DOC_SECRET, DOC_KEY, forward) == auth.sign(DOC_SECRET, DOC_KEY, backward)


def test_escaping_follows_the_python_example() -> None:
    payload = {"note": "a b(c)", "pair": "BTC_USD"}
    assert auth.serialize_payload(payload) == "note=a+b%28c%29&pair=BTC_USD"
    assert (
        auth.sign(DOC_SECRET, DOC_KEY, payload)
        == hmac.new(
            DOC_SECRET.encode(), b"your keynote=a+b%28c%29&pair=BTC_USD", "sha256"
        ).hexdigest()
    )
    # The JavaScript reading differs exactly here (documented in auth's docstring).
    assert _javascript_serialize(payload) == "note=a%20b(c)&pair=BTC_USD"


def test_signed_headers() -> None:
    creds = Credentials.of(DOC_KEY, DOC_SECRET)
    assert creds is not None
    headers = auth.signed_headers(creds, {}, 1_790_000_000_001)
    assert headers == {
        "X-KEY": DOC_KEY,
        "X-SIGN": VECTORS[0][2],
        "X-NONCE": "1790000000001",
    }
    assert DOC_SECRET not in repr(headers)
    # The nonce is not signed: only the header changes between two calls.
    later = auth.signed_headers(creds, {}, 1_790_000_000_002)
    assert later["X-SIGN"] == headers["X-SIGN"]
    assert later["X-NONCE"] == "1790000000002"


def test_signed_headers_refuse_bad_input_without_echoing_the_secret() -> None:
    tokenless = Credentials(key=None, secret=Secret(DOC_SECRET))
    with pytest.raises(ValueError) as missing:
        auth.signed_headers(tokenless, {}, 1)
    assert DOC_SECRET not in str(missing.value)
    creds = Credentials.of(DOC_KEY, DOC_SECRET)
    assert creds is not None
    for nonce in (0, -5):
        with pytest.raises(ValueError) as bad:
            auth.signed_headers(creds, {}, nonce)
        assert DOC_SECRET not in str(bad.value)


def test_secret_stays_masked() -> None:
    creds = Credentials.of(DOC_KEY, DOC_SECRET)
    assert creds is not None
    assert DOC_SECRET not in repr(creds)
    assert DOC_SECRET not in f"{creds.secret}"
    with pytest.raises(TypeError):
        pickle.dumps(creds.secret)


# --- parsing the signed answers (the document's example bodies) ---------------------


def _json(text: str) -> Any:
    return decode_json("alp", text)


def test_wallets_document_example() -> None:
    body = _json('[{"currency": "BTC", "balance": 0.00000000, "reserve": 0.00000000}]')
    assert parse.wallets(body) == [Balance("BTC", Decimal("0E-8"), Decimal("0E-8"))]
    body = _json(
        '[{"currency": "usdt", "balance": 2000.0, "reserve": 500.0},'
        ' {"currency": "BTC", "balance": "0.1", "reserve": 0}]'
    )
    usdt, btc = parse.wallets(body)
    assert (usdt.currency, usdt.available, usdt.locked, usdt.total) == (
        "USDT",
        Decimal("2000.0"),
        Decimal("500.0"),
        Decimal("2500.0"),
    )
    assert (btc.available, btc.locked) == (Decimal("0.1"), Decimal(0))


def test_wallets_refuse_malformed_rows() -> None:
    with pytest.raises(BadResponse):
        parse.wallets({"currency": "BTC"})
    with pytest.raises(BadResponse):
        parse.wallets([{"currency": "BTC", "balance": "x", "reserve": 0}])
    with pytest.raises(BadResponse):
        parse.wallets([{"currency": "BTC", "balance": 1}])


FEE_INFO = """[
  {"name": "account name", "account_id": 25, "is_active": true, "currency": "",
   "pair": "", "taker_fee_rate": 0.02, "maker_fee_rate": 0.01, "fee_currency": "USDT",
   "priority": 2},
  {"name": "account name", "account_id": 25, "is_active": true, "currency": "USDT",
   "pair": "BTC_USDT", "taker_fee_rate": 0.0015, "maker_fee_rate": 0, "fee_currency": "usdt",
   "priority": 1},
  {"name": "account name", "account_id": 25, "is_active": false, "currency": "",
   "pair": "ETH_USDT", "taker_fee_rate": 0.5, "maker_fee_rate": 0.5, "fee_currency": "ETH",
   "priority": 0},
  {"name": "account name", "account_id": 25, "is_active": true, "currency": "BTC",
   "pair": "", "taker_fee_rate": 0.001, "maker_fee_rate": 0.0005, "fee_currency": "BTC"}
]"""


def test_fee_info_rates_become_percentages_in_priority_order() -> None:
    body = _json(FEE_INFO)
    assert parse.fees(body) == [
        Fee(maker_pct=Decimal("0"), taker_pct=Decimal("0.15"), market="BTC_USDT"),
        Fee(maker_pct=Decimal("1"), taker_pct=Decimal("2"), market=None),
        Fee(maker_pct=Decimal("0.05"), taker_pct=Decimal("0.1"), market="BTC"),
    ]
    assert parse.fee_currencies(body) == ["BTC", "USDT"]
    # Written plainly, never in exponent form ("0E+2", "1E+2").
    assert [str(f.maker_pct) for f in parse.fees(body)] == ["0", "1", "0.05"]
    whole = _json('[{"taker_fee_rate": 1, "maker_fee_rate": 0.0}]')
    assert [str(f.taker_pct) for f in parse.fees(whole)] == ["100"]
    assert [str(f.maker_pct) for f in parse.fees(whole)] == ["0"]


def test_fee_info_document_example_alone() -> None:
    body = _json(
        '[{"name": "account name", "account_id": 25, "is_active": true, "currency": "USDT",'
        ' "pair": "BTC_USDT", "taker_fee_rate": 0.02, "maker_fee_rate": 0.01,'
        ' "fee_currency": "USDT", "priority": 1}]'
    )
    (fee,) = parse.fees(body)
    assert (fee.maker_pct, fee.taker_pct, fee.market) == (Decimal("1"), Decimal("2"), "BTC_USDT")


def test_account_lines_document_example() -> None:
    body = _json(
        '[{"id": 31, "name": "sub", "email": "s@example.com", "id_parent": 25},'
        ' {"id": 25, "name": "account name", "email": "test_user_email@gmail.com",'
        ' "id_parent": 0}]'
    )
    assert parse.account_lines(body) == (
        ("Account", "account name"),
        ("Account ID", "25"),
        ("Email", "test_user_email@gmail.com"),
    )
    only_sub = _json('[{"id": 31, "name": "", "id_parent": 25}]')
    assert parse.account_lines(only_sub) == (("Account ID", "31"), ("Sub-account of", "25"))
    assert parse.account_lines([]) == ()


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (401, '{"detail": "Invalid signature."}', AuthenticationError, "Invalid signature."),
        (403, '{"detail": "Forbidden"}', AuthenticationError, "Forbidden"),
        (401, '{"code": "UNAUTHORIZED", "message": "bad key"}', AuthenticationError, "bad key"),
        (401, "{}", AuthenticationError, "not authorised"),
        (400, '{"code": "BAD_REQUEST", "message": "no"}', RejectedRequest, "no"),
        (400, '{"currency_id": ["Select a valid choice."]}', RejectedRequest, "currency_id"),
    ],
)
def test_signed_errors(status: int, body: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as raised:
        parse.checked(HttpReply(status, {}, body))
    assert text in str(raised.value)
