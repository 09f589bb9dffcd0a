"""WEX Trade API v1 signing: pure functions, no I/O, nonce passed in.

Every call is ``POST {root}/tapi`` with a form body whose first parameters are
``method`` and ``nonce`` (the document's examples: ``method=getInfo&nonce=123456``,
``method=Trade&nonce=$NONCE&pair=btc_usd&...``). Two headers authenticate it:
``Key`` (the API key) and ``Sign``, the HMAC-SHA512 of the POST parameters under the
key's secret. The signature covers bytes, so the body is encoded once
(``encode_body``) and those very bytes are both signed and sent; re-encoding in
between (another order or escaping) would break it.

``Sign`` is written as lowercase hex: the document's (truncated) example signature
``1382324e3d24e8579787135...f2107ffe61c9b8bb7`` is lowercase hex, and it is the
digest form every WEX/BTC-e client has sent. The document gives no complete
signature to check against, so the unit tests use RFC 4231's HMAC-SHA512 vectors.

``nonce`` must grow with every request of a key, from 1 to 4294967294; "Для
обнуления значения nonce необходимо создать новый ключ" — only a new key starts
again, which ``check_nonce`` turns into a sentence the user can act on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

from exchanges.credentials import Credentials, Secret
from exchanges.errors import AuthenticationError

NAME = "wex"
KEY_HEADER = "Key"
SIGN_HEADER = "Sign"
CONTENT_TYPE = "application/x-www-form-urlencoded"
NONCE_MIN = 1
NONCE_MAX = 4294967294


class NonceExhausted(AuthenticationError):
    """The key has used up WEX's nonce range; only a new key starts again from 1."""

    def __init__(self) -> None:
        super().__init__(
            NAME,
            f"this API key has used every nonce WEX allows (up to {NONCE_MAX}) and WEX "
            "cannot reset it: create a new API key on WEX and connect it again",
        )


def check_nonce(nonce: int) -> int:
    """``nonce`` if WEX accepts it; NonceExhausted past the maximum."""
    if nonce > NONCE_MAX:
        raise NonceExhausted()
    if nonce < NONCE_MIN:
        raise ValueError(f"a WEX nonce starts at {NONCE_MIN}")
    return nonce


def encode_body(method: str, nonce: int, params: Mapping[str, str] | None = None) -> bytes:
    """``method=<method>&nonce=<nonce>&<params…>``, form-encoded, in that order."""
    if not method:
        raise ValueError("a Trade API call needs a method")
    fields: list[tuple[str, str]] = [("method", method), ("nonce", str(check_nonce(nonce)))]
    for name, value in (params or {}).items():
        if name in ("method", "nonce"):
            raise ValueError(f"{name!r} is set by encode_body itself")
        fields.append((name, value))
    return urlencode(fields).encode("ascii")


def sign(secret: Secret | str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA512 of ``body`` under ``secret``."""
    raw = secret.reveal() if isinstance(secret, Secret) else secret
    return hmac.new(raw.encode("utf-8"), body, hashlib.sha512).hexdigest()


def signed_headers(credentials: Credentials, body: bytes) -> dict[str, str]:
    """The headers of one Trade API call carrying exactly ``body``."""
    if not credentials.key:
        raise AuthenticationError(NAME, "WEX needs an API key as well as its secret")
    return {
        "Content-Type": CONTENT_TYPE,
        KEY_HEADER: credentials.key,
        SIGN_HEADER: sign(credentials.secret, body),
    }
