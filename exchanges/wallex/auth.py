"""Wallex private-call authentication, as pure functions.

The Wallex document (seed 000) authenticates every private call with one API token
sent as ``Authorization: Bearer <token>`` (its examples: ``'Authorization': 'Bearer
your-token'``). There is no signature, timestamp or nonce: whoever holds the token
holds the account, which is why the token only ever lives in a ``Secret`` and is
revealed here, at the moment the header is built, and nowhere else.

Other Wallex pages describe an ``x-api-key`` header; this document does not, so the
client follows it and sends only the Bearer header.
"""

from __future__ import annotations

from exchanges.credentials import Secret

SCHEME = "Bearer"
HEADER = "Authorization"


def normalise_token(raw: str) -> str:
    """The bare token from what a user pasted.

    Users copy the token from Wallex's API page, sometimes with surrounding blanks or
    with the ``Bearer`` word from an example. Both are removed. A token with blanks
    or line breaks inside cannot be a Wallex token and would let a header be forged,
    so it is refused; the message never repeats the value.
    """
    token = raw.strip()
    if token[: len(SCHEME) + 1].lower() == SCHEME.lower() + " ":
        token = token[len(SCHEME) + 1 :].strip()
    elif token.lower() == SCHEME.lower():
        token = ""
    if not token:
        raise ValueError("the API token is empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in token):
        raise ValueError("the API token contains blanks or control characters")
    return token


def authorization_value(token: str) -> str:
    """The ``Authorization`` header's value for a bare token: ``Bearer <token>``."""
    return f"{SCHEME} {normalise_token(token)}"


def auth_headers(token: Secret) -> dict[str, str]:
    """The headers of one private call. The returned dict holds the token in clear:
    hand it straight to the request and never log it."""
    return {HEADER: authorization_value(token.reveal()), "Accept": "application/json"}
