"""ALP.COM request signing: pure functions, no I/O, no clock.

The document's "Authorization" section: every private call carries three headers,

* ``X-KEY``: the API key;
* ``X-SIGN``: lowercase hex HMAC-SHA256, under the key's secret, of the key followed by
  the call's payload with its keys sorted and url-encoded
  (``'your key' + urlencode(sorted(data.items()))`` in its Python example);
* ``X-NONCE``: an integer greater than the nonce of the key's previous call.

The nonce is *not* part of the signed message (the document signs key + payload
only), so the signature of a call without parameters is the same every time and only
the nonce tells two calls apart; the caller draws it (``AlpAccount`` from its
``NonceSource``) and passes it in, which keeps these functions pure.

Which payload is signed: "query's POST data", i.e. the form fields of a POST; a GET
has no POST data, and the document's GET examples (``wallets/``, ``deposits/``,
``withdraws/``) sign ``{}``. Query-string parameters of a GET are therefore not signed.

Serialising: the document's two examples disagree on how a value is escaped. Python's
``urlencode`` writes a space as ``+`` and escapes ``!'()*``; the JavaScript example's
``encodeURIComponent`` writes ``%20`` and leaves ``!'()*`` alone. For letters, digits
and ``_.-`` (symbols, amounts, prices, order ids) both give the same text; we follow
the Python example, the language of this client.

The secret lives in a ``Secret`` and is read with ``reveal()`` only inside ``sign``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

from exchanges.credentials import Credentials, Secret

KEY_HEADER = "X-KEY"
SIGN_HEADER = "X-SIGN"
NONCE_HEADER = "X-NONCE"


def serialize_payload(payload: Mapping[str, str]) -> str:
    """The payload sorted by key and url-encoded, as the document's Python example does."""
    return urlencode(sorted(payload.items(), key=lambda item: item[0]))


def message(key: str, payload: Mapping[str, str]) -> str:
    """The signed text: the API key immediately followed by the serialised payload."""
    return key + serialize_payload(payload)


def sign(secret: Secret | str, key: str, payload: Mapping[str, str]) -> str:
    """Lowercase hex HMAC-SHA256 of ``message(key, payload)`` under ``secret``."""
    raw = secret.reveal() if isinstance(secret, Secret) else secret
    return hmac.new(
        raw.encode("utf-8"), message(key, payload).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def signed_headers(
    credentials: Credentials, payload: Mapping[str, str], nonce: int
) -> dict[str, str]:
    """The three headers of one signed call whose POST data is ``payload`` ({} for a GET)."""
    if not credentials.key:
        raise ValueError("ALP.COM signs with an API key and its secret; the key is missing")
    if nonce <= 0:
        raise ValueError("an ALP.COM nonce is a positive integer")
    return {
        KEY_HEADER: credentials.key,
        SIGN_HEADER: sign(credentials.secret, credentials.key, payload),
        NONCE_HEADER: str(nonce),
    }
