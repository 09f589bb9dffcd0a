"""WEX Trade API signing, body encoding, nonce bounds and the reading of WEX's errors.

The document's example signature is truncated (``1382324e3d24e8579787135...
f2107ffe61c9b8bb7``) and cannot be checked, so ``sign`` is held to RFC 4231's
HMAC-SHA512 vectors; the bodies are held to the document's own example bodies.
"""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from exchanges.credentials import Credentials, Secret
from exchanges.errors import AuthenticationError, BadResponse, RejectedRequest
from exchanges.http import HttpReply
from exchanges.models import KeyRights, Side
from exchanges.wex import auth, parse

RFC4231_CASE_1 = (
    "\x0b" * 20,
    b"Hi There",
    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
)
RFC4231_CASE_2 = (
    "Jefe",
    b"what do ya want for nothing?",
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
)
DOC_KEY = "46G9R9D6-WJ77XOIP-XH9HH5VQ-A3XN3YOZ-8T1R8I8T"


@pytest.mark.parametrize(("secret", "body", "digest"), [RFC4231_CASE_1, RFC4231_CASE_2])
def test_sign_is_lowercase_hex_hmac_sha512(secret: str, body: bytes, digest: str) -> None:
    assert auth.sign(secret, body) == digest
    assert auth.sign(Secret(secret), body) == digest


def test_bodies_are_the_documented_examples() -> None:
    assert auth.encode_body("getInfo", 123456) == b"method=getInfo&nonce=123456"
    trade = {"pair": "btc_usd", "type": "sell", "rate": "7566.351", "amount": "1.4"}
    assert auth.encode_body("Trade", 123456, trade) == (
        b"method=Trade&nonce=123456&pair=btc_usd&type=sell&rate=7566.351&amount=1.4"
    )
    assert auth.encode_body("CoinDepositAddress", 7, {"coinName": "BTC"}) == (
        b"method=CoinDepositAddress&nonce=7&coinName=BTC"
    )
    assert auth.encode_body("CancelOrders", 8, {"order_id": "1300,1301"}) == (
        b"method=CancelOrders&nonce=8&order_id=1300%2C1301"
    )


def test_body_refuses_to_carry_its_own_method_or_nonce_twice() -> None:
    with pytest.raises(ValueError):
        auth.encode_body("getInfo", 1, {"nonce": "2"})
    with pytest.raises(ValueError):
        auth.encode_body("", 1)


def test_nonce_bounds_are_the_documented_ones() -> None:
    assert auth.check_nonce(1) == 1
    assert auth.check_nonce(4294967294) == 4294967294
    assert auth.encode_body("getInfo", 4294967294) == b"method=getInfo&nonce=4294967294"
    with pytest.raises(ValueError):
        auth.check_nonce(0)
    with pytest.raises(auth.NonceExhausted) as info:
        auth.encode_body("getInfo", 4294967295)
    assert isinstance(info.value, AuthenticationError)
    assert "create a new API key" in str(info.value)


def test_signed_headers_sign_exactly_the_body() -> None:
    creds = Credentials.of(DOC_KEY, "the-secret")
    assert creds is not None
    body = auth.encode_body("getInfo", 123456)
    headers = auth.signed_headers(creds, body)
    assert headers == {
        "Content-Type": "application/x-www-form-urlencoded",
        "Key": DOC_KEY,
        "Sign": auth.sign("the-secret", body),
    }
    assert "the-secret" not in repr(creds) and "the-secret" not in str(headers)
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    with pytest.raises(AuthenticationError):
        auth.signed_headers(Credentials(key=None, secret=Secret("s")), body)


# --- reading the envelope ----------------------------------------------------------------
def reply(text: str, status: int = 200) -> HttpReply:
    return HttpReply(status, {}, text)


@pytest.mark.parametrize(
    ("message", "last"),
    [
        ("invalid nonce parameter; on key:4000000, you sent:1", 4000000),
        ("invalid nonce parameter; on key:4000000, you sent:'1', you should send:4000001", 4000000),
        ("invalid nonce parameter; on key:50, you sent:0", 50),
        ("Invalid nonce parameter; on key: 0, you sent:''", 0),
    ],
)
def test_the_keys_last_nonce_is_read_from_wexs_error(message: str, last: int) -> None:
    envelope = {"success": 0, "error": message}
    assert parse.invalid_nonce_on_key(envelope) == last


def test_other_answers_carry_no_nonce() -> None:
    assert parse.invalid_nonce_on_key({"success": 0, "error": "invalid sign"}) is None
    assert parse.invalid_nonce_on_key({"success": 1, "return": {}}) is None


def test_envelope_must_be_json_with_success() -> None:
    with pytest.raises(BadResponse):
        parse.tapi_envelope(reply("<html>maintenance</html>"))
    with pytest.raises(BadResponse):
        parse.tapi_envelope(reply('{"return": {}}'))
    assert parse.tapi_envelope(reply('{"success": 0, "error": "x"}'))["error"] == "x"


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        ("invalid api key", AuthenticationError, "does not know this API key"),
        ("api key not specified", AuthenticationError, "does not know this API key"),
        ("invalid sign", AuthenticationError, "secret does not match"),
        ("api key dont have info permission", AuthenticationError, "lacks WEX's info right"),
        ("invalid nonce parameter; on key:9, you sent:'3'", AuthenticationError, "nonce"),
        ("Invalid method", RejectedRequest, "Invalid method"),
    ],
)
def test_wex_errors_map_onto_the_tree(message: str, kind: type[Exception], words: str) -> None:
    with pytest.raises(kind) as info:
        parse.tapi_return({"success": 0, "error": message})
    assert type(info.value) is kind
    assert words in str(info.value)


def test_get_info_as_documented() -> None:
    documented = {
        "funds": {"usd": 325, "btc": Decimal("23.998"), "ltc": 0},
        "rights": {"info": 1, "trade": 0, "withdraw": 0},
        "transaction_count": 0,
        "open_orders": 1,
        "server_time": 1342123547,
    }
    info = parse.account_info(documented)
    assert info.funds == {"USD": Decimal(325), "BTC": Decimal("23.998"), "LTC": Decimal(0)}
    assert list(info.funds) == ["USD", "BTC", "LTC"]
    assert info.rights == KeyRights(info=True, trade=False, withdraw=False)
    assert info.open_orders == 1
    assert parse.key_rights({"info": 1, "trade": 1, "withdraw": 1}).withdraw is True
    assert parse.key_rights({"info": 1}) == KeyRights(info=True)
    with pytest.raises(BadResponse):
        parse.key_rights({"info": 2})


def test_locked_comes_from_open_orders() -> None:
    envelope = {
        "success": 1,
        "return": {
            "343152": {
                "pair": "btc_usd",
                "type": "sell",
                "amount": Decimal("12.345"),
                "rate": 485,
                "timestamp_created": 1342448420,
                "status": 0,
            },
            "343153": {
                "pair": "btc_usd",
                "type": "buy",
                "amount": Decimal("0.5"),
                "rate": Decimal("100.01"),
                "timestamp_created": 1342448421,
                "status": 0,
            },
        },
    }
    orders = parse.active_orders(envelope)
    assert [(o.order_id, o.side) for o in orders] == [("343152", Side.SELL), ("343153", Side.BUY)]
    locked = parse.locked_by_orders(orders)
    assert locked == {"BTC": Decimal("12.345"), "USD": Decimal("50.005")}
    assert parse.active_orders({"success": 0, "error": "no orders"}) == []
    balances = parse.balances({"USD": Decimal(325)}, locked)
    assert [(b.currency, b.available, b.locked) for b in balances] == [
        ("USD", Decimal(325), Decimal("50.005")),
        ("BTC", Decimal(0), Decimal("12.345")),
    ]
