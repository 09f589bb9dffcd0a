"""One user's Narkasa account over the signed REST v3 calls (seed 001).

Signed calls are signed by ``auth`` (HMAC-SHA256 over the exact query string, key in
``X-APNK-APIKEY``); this module decides what to call and reads the answers through
``parse``.

Choices where the document is silent or contradicts itself:
- Parameters travel in the query string for GET and POST alike, as the document's
  only signed example (a POST) carries them; the body stays empty. The values sent
  are currency codes and integers, which every encoder writes the same way, so the
  query ``auth`` signs is character for character the one the HTTP client sends. A
  currency that is not plain letters and digits is refused before anything is sent.
- ``windowSize`` is sent only when ``window_ms`` is given; otherwise the server's
  documented default (10000 ms) applies and the query is ``timestamp`` alone, the
  form of the document's example vector.
- The wallet is documented twice: as ``POST`` (API Authentication Test, and the
  signed-request example) and as ``GET`` (Get User Wallet). It is read with ``GET``,
  the method of the endpoint that documents the answer, and it is both ``verify()``'s
  harmless signed call and ``balances()``. ``available`` is free, ``reserved`` locked.
- ``verify()`` reports ``KeyRights(info=True)`` only: the document has no call that
  tells a key's rights, and reading the wallet proves just that one.
- Deposit addresses: ``POST balance/deposit`` with ``symbol``; it is a read, so it
  is retried like one. Without a network the first enabled channel is given. A
  channel has a name and an address only (no memo/tag field); for TRY the "address"
  is the exchange's bank account (IBAN) under the bank's name.
- Timestamps: when the server answers 20004 (outside the window) the client reads
  ``v3/api/time`` once, keeps the offset between the two clocks and signs once more;
  a second 20004 is raised (``resync_clock=False`` disables this).
- Fees (``profile()``): the document has no account fee level, only each market's
  ``commissionMaker``/``commissionTaker`` in ``market/info`` (percentages when
  ``commissionPercentage`` is true). ``profile()`` lists those, one ``Fee`` per
  market; a market with a fixed (non-percentage) commission is left out.
- Error codes map as in ``parse``: key, signature, IP, timestamp and account codes
  (10010, 20000–20004, 20011) raise ``AuthenticationError``; 10037 ``UnknownSymbol``;
  the rest ``RejectedRequest`` with the document's wording.

Not here yet: orders, withdrawals and the ``USER_STREAMS`` socket (later tasks); they
sign with the same ``_signed`` and ``auth.user_stream_signature``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from exchanges.accounts import AccountClient, NonceSource
from exchanges.credentials import CredentialField, Credentials
from exchanges.errors import UnknownSymbol
from exchanges.http import HttpPipeline, HttpReply
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    DepositAddress,
    Fee,
    KeyRights,
)
from exchanges.narkasa import auth, parse

PREFIX = "/v3/api"
INFO_CONCURRENCY = 4
_PLAIN = re.compile(r"[A-Za-z0-9]{1,20}")


class NarkasaAccount(AccountClient):
    name = "narkasa"
    title = "Narkasa"
    credential_fields = (
        CredentialField("key", "API key (apiKey)", secret=False),
        CredentialField("secret", "API secret (apiSecret)", secret=True),
    )

    def __init__(
        self,
        http: HttpPipeline,
        credentials: Credentials,
        *,
        clock: Callable[[], float] = time.time,
        nonces: NonceSource | None = None,
        window_ms: int | None = None,
        resync_clock: bool = True,
    ) -> None:
        if not credentials.key:
            raise ValueError("Narkasa signs with an API key and its secret; the key is missing")
        if window_ms is not None and window_ms <= 0:
            raise ValueError("window_ms must be a positive number of milliseconds")
        super().__init__(http, credentials, clock=clock, nonces=nonces)
        self.window_ms = window_ms
        self.resync_clock = resync_clock
        # Server time minus our clock, in ms; learnt from v3/api/time after a 20004.
        self.offset_ms = 0

    async def verify(self) -> AccountCheck:
        await self._wallet()
        return AccountCheck(account_label=None, rights=KeyRights(info=True))

    async def balances(self) -> Sequence[Balance]:
        return await self._wallet()

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        code = currency.strip().upper()
        if not _PLAIN.fullmatch(code):
            raise UnknownSymbol(self.name, currency)
        body = await self._signed("POST", "balance/deposit", [("symbol", code)], symbol=code)
        return parse.deposit_address(body, network)

    async def profile(self) -> AccountProfile:
        """Each market's maker/taker commission, from ``market/info`` (public calls)."""
        reply = await self.http.request("GET", f"{PREFIX}/market/markets")
        symbols = parse.listed_symbols(parse.envelope(reply))
        gate = asyncio.Semaphore(INFO_CONCURRENCY)

        async def one(symbol: str) -> Fee | None:
            async with gate:
                info = await self.http.request(
                    "GET", f"{PREFIX}/market/info", params={"symbol": symbol}
                )
                try:
                    return parse.market_fee(parse.envelope(info, symbol=symbol))
                except UnknownSymbol:
                    return None

        tasks = [asyncio.ensure_future(one(s)) for s in symbols]
        try:
            found = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        fees = tuple(f for f in found if f is not None)
        return AccountProfile(lines=(), fees=fees)

    async def _wallet(self) -> list[Balance]:
        return parse.wallet(await self._signed("GET", "balance/wallet"))

    async def _signed(
        self,
        method: str,
        endpoint: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        symbol: str = "",
        idempotent: bool = True,
    ) -> Mapping[str, Any]:
        """One signed call; after a 20004 the clocks are compared once and it is
        signed anew (a fresh timestamp, so a fresh signature)."""
        reply = await self._signed_once(method, endpoint, params, idempotent)
        if self.resync_clock and parse.timestamp_rejected(reply):
            await self._resync()
            reply = await self._signed_once(method, endpoint, params, idempotent)
        return parse.envelope(reply, symbol=symbol)

    async def _signed_once(
        self,
        method: str,
        endpoint: str,
        params: Sequence[tuple[str, str]],
        idempotent: bool,
    ) -> HttpReply:
        query = auth.signed_params(
            self.credentials.secret,
            params,
            timestamp=auth.timestamp_ms(self.clock()) + self.offset_ms,
            window_ms=self.window_ms,
        )
        return await self.http.request(
            method,
            f"{PREFIX}/{endpoint}",
            params=query,
            headers=auth.headers(self.credentials),
            idempotent=idempotent,
        )

    async def _resync(self) -> None:
        reply = await self.http.request("GET", f"{PREFIX}/time")
        server = parse.server_time_ms(parse.envelope(reply))
        self.offset_ms = server - auth.timestamp_ms(self.clock())
