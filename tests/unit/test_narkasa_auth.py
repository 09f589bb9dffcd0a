"""Narkasa signing against the document's own vectors (seed 001, "Security" and
"Binding User Data Streams")."""

from __future__ import annotations

import hashlib
import hmac

from yarl import URL

from exchanges.credentials import Credentials, Secret
from exchanges.narkasa import auth

DOC_KEY = "Y0AhbfGmVA8FG7kPN6a9PB7UOpwnlvKG4bI5Jc57awpKv4uKN9UX114EPRTcKuhX"
DOC_SECRET = "7v5TnUBX92lgKWlODJbRn3FIoriHNihB3PHFi591Do5ip9DLrCvx0bn9dHZKFZRS"
DOC_TIMESTAMP = 1578398112000
DOC_SIGNATURE = "c9445c8f619a64524d58378dbc40d9bfa5148de895cd8c7df8ae769630c5b67c"
# The signature of the document's "API Authentication Test" request, which carries
# windowSize=1000 too; it matches neither reading of the rule (see the seeds README).
DOC_SECOND_SIGNATURE = "790e8e78a273f1e755f2e07d0c10e6034b6f653daf086755d9b31f40c9bfc689"
DOC_USER_STREAM_SIGNATURE = "d36256b4002dc7d604e739651ef8506e0fbdc9c03dffe17124f32e0c8e63ff02"


def doc_credentials() -> Credentials:
    creds = Credentials.of(DOC_KEY, DOC_SECRET)
    assert creds is not None
    return creds


def test_documented_example_vector() -> None:
    """``echo -n "timestamp=1578398112000" | openssl dgst -sha256 -hmac <secret>``."""
    assert auth.sign(DOC_SECRET, "timestamp=1578398112000") == DOC_SIGNATURE
    assert auth.sign(Secret(DOC_SECRET), "timestamp=1578398112000") == DOC_SIGNATURE
    assert DOC_SIGNATURE.startswith("c9445c8f") and DOC_SIGNATURE.endswith("c5b67c")


def test_signed_query_without_window_is_the_documented_one() -> None:
    query = auth.signed_query(Secret(DOC_SECRET), timestamp=DOC_TIMESTAMP)
    assert query == f"timestamp={DOC_TIMESTAMP}&signature={DOC_SIGNATURE}"


def test_window_size_is_signed_when_sent() -> None:
    """The exact query sent is signed: with windowSize=1000 the signature covers it,
    so it differs from the document's vector (and from its second example)."""
    params = auth.signed_params(DOC_SECRET, timestamp=DOC_TIMESTAMP, window_ms=1000)
    assert params[:2] == [("timestamp", str(DOC_TIMESTAMP)), ("windowSize", "1000")]
    name, signature = params[2]
    payload = f"timestamp={DOC_TIMESTAMP}&windowSize=1000"
    independent = hmac.new(DOC_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert (name, signature) == ("signature", independent)
    assert signature not in (DOC_SIGNATURE, DOC_SECOND_SIGNATURE)


def test_call_parameters_come_first_and_are_signed() -> None:
    query = auth.signed_query(
        DOC_SECRET, [("symbol", "BTC")], timestamp=DOC_TIMESTAMP, window_ms=5000
    )
    signed, _, signature = query.rpartition("&signature=")
    assert signed == f"symbol=BTC&timestamp={DOC_TIMESTAMP}&windowSize=5000"
    assert auth.verify(DOC_SECRET, signed, signature)
    assert not auth.verify(DOC_SECRET, signed + "&x=1", signature)
    assert not auth.verify("another-secret", signed, signature)


def test_query_string_is_written_as_the_http_client_writes_it() -> None:
    params = [("a", "B1-_.~!"), ("b c", "x/y&z=é+")]
    assert auth.query_string(params) == "a=B1-_.~!&b+c=x/y%26z%3D%C3%A9%2B"
    assert URL("http://h/p").with_query(params).raw_query_string == auth.query_string(params)


def test_verify_accepts_upper_case_hex() -> None:
    assert auth.verify(DOC_SECRET, "timestamp=1578398112000", DOC_SIGNATURE.upper())


def test_timestamp_is_whole_milliseconds() -> None:
    assert auth.timestamp_ms(1578398112.0) == DOC_TIMESTAMP
    assert auth.timestamp_ms(1578398112.9999) == DOC_TIMESTAMP + 999


def test_header_carries_the_key_only() -> None:
    assert auth.headers(doc_credentials()) == {"X-APNK-APIKEY": DOC_KEY}


def test_user_stream_signature_is_the_documented_one() -> None:
    """``echo -n <apiKey> | openssl dgst -sha256 -hmac <apiSecret>``."""
    assert auth.user_stream_signature(doc_credentials()) == DOC_USER_STREAM_SIGNATURE


def test_default_window_is_the_documents() -> None:
    assert auth.DEFAULT_WINDOW_MS == 10_000
