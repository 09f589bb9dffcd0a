"""Wallex's private-call header, against the document's own example."""

from __future__ import annotations

import pytest

from exchanges.credentials import Secret
from exchanges.wallex import auth


def test_the_documents_example_header() -> None:
    # The document's every private example: 'Authorization': 'Bearer your-token'
    assert auth.authorization_value("your-token") == "Bearer your-token"
    headers = auth.auth_headers(Secret("your-token"))
    assert headers["Authorization"] == "Bearer your-token"
    assert "x-api-key" not in {k.lower() for k in headers}


@pytest.mark.parametrize(
    "pasted",
    [
        "your-token",
        "  your-token\n",
        "Bearer your-token",
        "bearer  your-token ",
        "BEARER your-token",
    ],
)
def test_a_pasted_token_is_normalised(pasted: str) -> None:
    assert auth.normalise_token(pasted) == "your-token"


@pytest.mark.parametrize(
    "bad", ["", "   ", "Bearer ", "two words", "tok\r\nX-Evil: 1", "a\tb", "x\x00y"]
)
def test_what_cannot_be_a_token_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        auth.normalise_token(bad)
    text = str(info.value)
    for part in bad.split():
        if len(part) > 3:
            assert part not in text


def test_the_headers_never_carry_the_token_twice_or_in_other_fields() -> None:
    headers = auth.auth_headers(Secret("  Bearer s3cr3t-token  "))
    assert headers == {"Authorization": "Bearer s3cr3t-token", "Accept": "application/json"}
