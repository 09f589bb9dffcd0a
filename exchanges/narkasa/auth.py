"""Narkasa request signing: pure functions, no I/O, no clock of their own.

A signed REST call (document, "Security") carries the API key in the header
``X-APNK-APIKEY`` and, in its query string, ``timestamp`` (milliseconds), an optional
``windowSize`` (milliseconds the request stays valid; the server's default is 10000)
and ``signature``: the lowercase hex HMAC-SHA256 of the parameters under the API
secret.

What exactly is signed: the document's worked example signs ``timestamp=1578398112000``
alone, yet the request it then sends also carries ``windowSize=1000``, and its second
example's signature matches neither reading. The one consistent rule is "all
parameters signed": the signature covers the exact query string sent, every
parameter in the order sent, up to (and without) ``&signature=…``, which comes last.
So ``signed_query`` encodes the parameters once and signs those very characters;
re-encoding in between (another order, another escaping) would break the signature.
The document's own vector, ``timestamp=1578398112000`` alone, is what that rule gives
for a request without ``windowSize``.

``USER_STREAMS`` (the private websocket, not used yet) signs the API key itself:
``user_stream_signature`` holds that rule and its document vector so the later task
finds it here.

The secret is a ``Secret`` (masked ``repr``); it is revealed only inside ``sign``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from yarl import URL

from exchanges.credentials import Credentials, Secret

KEY_HEADER = "X-APNK-APIKEY"
SIGNATURE_PARAM = "signature"
TIMESTAMP_PARAM = "timestamp"
WINDOW_PARAM = "windowSize"
# The server's window when ``windowSize`` is not sent (document, "Security").
DEFAULT_WINDOW_MS = 10_000

Params = Sequence[tuple[str, str]]


def timestamp_ms(clock_seconds: float) -> int:
    """The ``timestamp`` parameter for a moment given in seconds (milliseconds, as an int)."""
    return int(clock_seconds * 1000)


def query_string(params: Params) -> str:
    """``k=v&k=v`` in the given order, encoded exactly as the HTTP client (aiohttp, through
    yarl) writes a query, so the text signed is the text sent: a space becomes ``+``,
    ``&``, ``=``, ``+`` and non-ASCII are percent-encoded, and characters a query may
    carry bare (``/``, ``!``, ``:`` …) stay bare — yarl would un-escape them anyway."""
    return URL.build(query=list(params)).raw_query_string


def sign(secret: Secret | str, payload: str) -> str:
    """Lowercase hex HMAC-SHA256 of ``payload`` under ``secret``."""
    raw = secret.reveal() if isinstance(secret, Secret) else secret
    return hmac.new(raw.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(secret: Secret | str, payload: str, signature: str) -> bool:
    """Whether ``signature`` signs ``payload`` (constant time)."""
    return hmac.compare_digest(sign(secret, payload), signature.strip().lower())


def signed_params(
    secret: Secret | str,
    params: Params = (),
    *,
    timestamp: int,
    window_ms: int | None = None,
) -> list[tuple[str, str]]:
    """The parameters of one signed call, in the order they must be sent: the call's
    own, then ``timestamp``, then ``windowSize`` when given, then ``signature`` over
    the query string of everything before it."""
    out = [*params, (TIMESTAMP_PARAM, str(timestamp))]
    if window_ms is not None:
        out.append((WINDOW_PARAM, str(window_ms)))
    out.append((SIGNATURE_PARAM, sign(secret, query_string(out))))
    return out


def signed_query(
    secret: Secret | str,
    params: Params = (),
    *,
    timestamp: int,
    window_ms: int | None = None,
) -> str:
    """``signed_params`` written as the query string that goes on the wire."""
    return query_string(signed_params(secret, params, timestamp=timestamp, window_ms=window_ms))


def headers(credentials: Credentials) -> dict[str, str]:
    """The header of every signed call: the API key."""
    return {KEY_HEADER: credentials.key or ""}


def user_stream_signature(credentials: Credentials) -> str:
    """The ``signature`` of a websocket ``USER_STREAMS`` request: HMAC-SHA256 of the
    API key itself under the secret (document, "Binding User Data Streams")."""
    return sign(credentials.secret, credentials.key or "")
