"""WallexPay merchant API v2 (currencies, pairs, rates), per the WallexPay document (seed 003).

WallexPay is a payment gateway, not an exchange: there is no order book, trade or
candle, so this client is not a ``MarketDataClient``. Every call but ``/ping`` is a
``POST`` with a JSON body signed by the merchant's processing key (``auth.py``); the
public rate commands of the bot use a client built with a key, ``ping()`` works
without one.

Choices where the document is silent or contradicts itself:
- Signing is not in the document; the seed index gives WallexPay's authorization
  page (CoinsPaid API v2 scheme): ``X-Processing-Key`` and ``X-Processing-Signature``
  = lowercase hex HMAC-SHA512 of the exact raw body, on every call but ``/ping``.
  ``Content-Type: application/json`` is sent with every signed body.
- "Body must be a valid json object or array, example: {}" is read as applying to
  the signed POST calls: a call without parameters sends and signs ``{}``. ``/ping``
  is a ``GET`` without body and without credentials (it cannot prove them despite its
  description, since it is the one unsigned call); a signed call such as
  ``currencies()`` does.
- ``currencies/rates`` lists ``currency_from``/``currency_to`` as "Path Parameters",
  yet its path has no placeholder and every other call takes a JSON body: they are
  sent in the body. Its answer is documented only as ``OK``; the CoinsPaid API v2
  reference this API mirrors answers ``{"data": [pair]}`` in the shape of
  ``currencies/pairs``, which is what is read (a single pair object is accepted too).
  An empty list means the pair is not offered → ``UnknownSymbol``.
- ``rate_from``/``rate_to`` are read as "units of the fiat side per unit of the crypto
  side" whatever the direction, as the document's example values show (see
  ``models.py``). ``Rate.time`` is the local clock: the answer has no time.
- Currency codes are sent upper-case (``btc`` → ``BTC``) as in every example.
- The read-only POST calls are safe to repeat and are retried like GETs; the money
  moving calls of later tasks must not be.
- The scheme has no timestamp and no nonce: the signature covers the body only, so
  nothing in a request expires and there is no sequence to keep (``NonceSource`` is
  unused on WallexPay).
- Authorization failures carry no body in the document; the CoinsPaid 403
  ``{"error": …, "code": "bad_header_…"}`` answers are mapped (``parse.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from exchanges.errors import AuthenticationError
from exchanges.http import HttpPipeline
from exchanges.wallexpay import auth, parse
from exchanges.wallexpay.auth import Credentials, Secret
from exchanges.wallexpay.models import Currency, CurrencyPair, Rate

Clock = Callable[[], float]
PREFIX = "/api/v2"
NAME = "wallexpay"


class WallexPayClient:
    name = NAME
    title = "WallexPay"

    def __init__(
        self,
        http: HttpPipeline,
        *,
        key: str | None = None,
        secret: str | Secret | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.http = http
        self.clock = clock
        self._credentials = Credentials.of(key, secret)

    def __repr__(self) -> str:
        signed = "with a key" if self._credentials else "without a key"
        return f"WallexPayClient({self.http.base_url!r}, {signed})"

    @property
    def has_credentials(self) -> bool:
        return self._credentials is not None

    async def close(self) -> None:
        await self.http.close()

    async def ping(self) -> None:
        """Raises an ExchangeError unless WallexPay answers ``OK``."""
        reply = await self.http.request("GET", f"{PREFIX}/ping")
        parse.ping(reply)

    async def currencies(self, visible: bool | None = None) -> list[Currency]:
        """Every supported currency; ``visible`` keeps only the enabled (True) or the
        disabled (False) ones."""
        params = {} if visible is None else {"visible": visible}
        return parse.currencies(await self._call("currencies/list", params))

    async def pairs(
        self, currency_from: str | None = None, currency_to: str | None = None
    ) -> list[CurrencyPair]:
        """Exchangeable pairs, optionally only those from and/or to a currency."""
        params: dict[str, str] = {}
        if currency_from:
            params["currency_from"] = code(currency_from)
        if currency_to:
            params["currency_to"] = code(currency_to)
        symbol = "/".join(params.values())
        return parse.pairs(await self._call("currencies/pairs", params, symbol=symbol))

    async def rates(self, currency_from: str, currency_to: str) -> Rate:
        """The current rate of one pair; ``UnknownSymbol`` if WallexPay does not offer it."""
        sender, receiver = code(currency_from), code(currency_to)
        params = {"currency_from": sender, "currency_to": receiver}
        body = await self._call("currencies/rates", params, symbol=f"{sender}/{receiver}")
        return parse.rate(body, sender, receiver, parse.utc(self.clock()))

    async def _call(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        symbol: str = "",
        idempotent: bool = True,
    ) -> Any:
        return await signed_call(
            self.http, self._credentials, method, params, symbol=symbol, idempotent=idempotent
        )


async def signed_call(
    http: HttpPipeline,
    credentials: Credentials | None,
    method: str,
    params: Mapping[str, Any],
    *,
    symbol: str = "",
    sent: Mapping[str, Any] | None = None,
    idempotent: bool = True,
) -> Any:
    """One signed POST to ``/api/v2/<method>``; returns the answer's ``data`` or raises
    its error.

    Shared by the rate client and the per-user ``WallexPayAccount`` so both sign and
    read answers the same way. Pass ``idempotent=False`` for anything that is not a
    pure read (an address taken, money moved): the pipeline then sends it once.
    Nothing is sent without a key and a secret. An unknown currency is reported as
    ``symbol``, or with ``sent`` as the code sent in the refused parameter.
    """
    if credentials is None or not credentials.key or not credentials.secret:
        raise AuthenticationError(NAME, "a processing key and secret are needed")
    body = auth.encode_body(params)
    reply = await http.request(
        "POST",
        f"{PREFIX}/{method}",
        headers=auth.signed_headers(credentials, body),
        data=body,
        idempotent=idempotent,
    )
    return parse.data(reply, symbol=symbol, sent=sent)


def code(text: str) -> str:
    """A currency code as WallexPay writes it (upper case, no spaces)."""
    return text.strip().upper()
