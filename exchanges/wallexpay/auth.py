"""WallexPay request signing: pure functions, no I/O.

WallexPay (like the CoinsPaid API v2 it mirrors) authenticates a call with two
headers: ``X-Processing-Key`` (the merchant's public key) and
``X-Processing-Signature``, the lowercase hex HMAC-SHA512 of the *exact raw JSON
body* under the merchant's secret. Callbacks arrive signed the same way.

Because the signature covers bytes, not a data structure, the body is encoded once
(``encode_body``) and those very bytes are both signed and sent: re-serialising in
between (another separator, key order or escaping) would break the signature.

The secret lives in a ``Secret`` whose ``repr``/``str`` are masked, so it cannot leak
through a log line, a traceback's locals or an exception message by accident.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from exchanges.credentials import MASK, Credentials, Secret

__all__ = ["MASK", "Credentials", "Secret", "encode_body", "sign", "signed_headers", "verify"]

KEY_HEADER = "X-Processing-Key"
SIGNATURE_HEADER = "X-Processing-Signature"


def _json_default(value: Any) -> Any:
    # WallexPay writes amounts as strings ("amount": "0.01"); a Decimal must never
    # pass through float on its way out.
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} in a WallexPay body")


def _refuse_floats(value: Any) -> None:
    # json.dumps writes a float itself (the default hook never sees it), rounded.
    if isinstance(value, float):
        raise TypeError("amounts in a WallexPay body must be Decimal or str, not float")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def encode_body(params: Mapping[str, Any] | None = None) -> bytes:
    """The compact JSON body to sign and send; ``{}`` when there are no parameters.

    The document requires every body to be a JSON object or array even without
    parameters ("example: {}").
    """
    _refuse_floats(params or {})
    text = json.dumps(
        dict(params or {}), separators=(",", ":"), ensure_ascii=False, default=_json_default
    )
    return text.encode("utf-8")


def sign(secret: Secret | str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA512 of ``body`` under ``secret``."""
    raw = secret.reveal() if isinstance(secret, Secret) else secret
    return hmac.new(raw.encode("utf-8"), body, hashlib.sha512).hexdigest()


def verify(secret: Secret | str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` signs ``body`` (constant-time; for callbacks too)."""
    return hmac.compare_digest(sign(secret, body), signature.strip().lower())


def signed_headers(credentials: Credentials, body: bytes) -> dict[str, str]:
    """The headers of one signed call carrying exactly ``body``."""
    return {
        "Content-Type": "application/json",
        KEY_HEADER: credentials.key or "",
        SIGNATURE_HEADER: sign(credentials.secret, body),
    }
