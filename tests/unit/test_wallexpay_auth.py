from __future__ import annotations

import hashlib
import hmac
import pickle
from decimal import Decimal

import pytest

from exchanges.http import HttpPipeline
from exchanges.wallexpay import auth
from exchanges.wallexpay.auth import Credentials, Secret
from exchanges.wallexpay.client import WallexPayClient

DOC_SECRET = "AbCdEfG123456"
DOC_BODY = b'{"currency":"BTC","foreign_id":"123456"}'
DOC_SIGNATURE = (
    "03c25fcf7cd35e7d995e402cd5d51edd72d48e1471e865907967809a0c189ba5"
    "5b90815f20e2bb10f82c7a9e9d865546fda58989c2ae9e8e2ff7bc29195fa1ec"
)


def test_documented_example_signature() -> None:
    signature = auth.sign(DOC_SECRET, DOC_BODY)
    assert signature.startswith("03c25fcf7cd35e7d")
    assert signature.endswith("195fa1ec")
    assert signature == DOC_SIGNATURE
    assert signature == signature.lower()
    assert auth.sign(Secret(DOC_SECRET), DOC_BODY) == DOC_SIGNATURE


def test_encoded_body_is_the_documented_bytes() -> None:
    body = auth.encode_body({"currency": "BTC", "foreign_id": "123456"})
    assert body == DOC_BODY
    assert auth.sign(DOC_SECRET, body) == DOC_SIGNATURE


def test_empty_body_is_an_empty_object() -> None:
    assert auth.encode_body() == b"{}"
    assert auth.encode_body({}) == b"{}"


def test_body_keeps_order_and_writes_decimals_as_exact_strings() -> None:
    body = auth.encode_body({"z": True, "amount": Decimal("0.00000001"), "a": "é"})
    assert body == '{"z":true,"amount":"0.00000001","a":"é"}'.encode()


def test_body_refuses_float_and_unknown_types() -> None:
    with pytest.raises(TypeError):
        auth.encode_body({"amount": 0.1})
    with pytest.raises(TypeError):
        auth.encode_body({"nested": {"amounts": [Decimal("1"), 0.5]}})
    with pytest.raises(TypeError):
        auth.encode_body({"amount": object()})


def test_signed_headers_sign_exactly_the_body() -> None:
    creds = Credentials.of("merchant-key", DOC_SECRET)
    assert creds is not None
    headers = auth.signed_headers(creds, DOC_BODY)
    assert headers == {
        "Content-Type": "application/json",
        "X-Processing-Key": "merchant-key",
        "X-Processing-Signature": DOC_SIGNATURE,
    }
    independent = hmac.new(DOC_SECRET.encode(), DOC_BODY, hashlib.sha512).hexdigest()
    assert headers["X-Processing-Signature"] == independent


def test_verify() -> None:
    assert auth.verify(DOC_SECRET, DOC_BODY, DOC_SIGNATURE)
    assert auth.verify(DOC_SECRET, DOC_BODY, DOC_SIGNATURE.upper())
    assert not auth.verify(DOC_SECRET, DOC_BODY + b" ", DOC_SIGNATURE)
    assert not auth.verify("other", DOC_BODY, DOC_SIGNATURE)


def test_secret_never_shows_itself() -> None:
    secret = Secret("s3cr3t-value")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{[secret]}"):
        assert "s3cr3t" not in text
    assert secret.reveal() == "s3cr3t-value"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_credentials_repr_masks_key_and_secret() -> None:
    creds = Credentials.of("the-public-key", "the-secret")
    assert creds is not None
    text = repr(creds)
    assert "the-public-key" not in text and "the-secret" not in text
    assert text == "Credentials(key=****, secret=****)"


def test_credentials_need_both_parts_and_never_echo_them() -> None:
    assert Credentials.of(None, None) is None
    assert Credentials.of("", "") is None
    with pytest.raises(ValueError) as only_key:
        Credentials.of("lonely-key", None)
    assert "lonely-key" not in str(only_key.value)
    with pytest.raises(ValueError) as only_secret:
        Credentials.of(None, "lonely-secret")
    assert "lonely-secret" not in str(only_secret.value)


def test_client_repr_and_attributes_hide_credentials() -> None:
    client = WallexPayClient(
        HttpPipeline("wallexpay", "http://127.0.0.1:1"), key="pub-key-123", secret="sec-456"
    )
    assert client.has_credentials
    text = repr(client) + repr(vars(client) if hasattr(client, "__dict__") else "")
    assert "pub-key-123" not in text
    assert "sec-456" not in text
    anonymous = WallexPayClient(HttpPipeline("wallexpay", "http://127.0.0.1:1"))
    assert not anonymous.has_credentials
