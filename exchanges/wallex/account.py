"""A Wallex account (REST v1 private calls), per the Wallex API document (seed 000).

The one credential is the API token a user creates under Settings → API management
on Wallex; every private call carries it as ``Authorization: Bearer <token>``
(``auth.py``). Calls used here, all plain reads: ``GET /v1/account/profile``
(verify and profile), ``/v1/account/fee`` (fee levels), ``/v1/account/balances`` and
``/v1/account/wallets/{currency}`` (deposit addresses).

Choices where the document is silent:
- Errors: the document shows none for private calls. Wallex is a Laravel
  application, whose API guard answers a missing, malformed or unknown token with
  HTTP 401 ``{"success": false, "message": "Unauthenticated.", "result": []}``; 401
  and 403 become ``AuthenticationError``, other refusals the public client's mapping
  (422 with per-field reasons → ``RejectedRequest``).
- ``verify()`` is the profile call (harmless, and it tells whose token it is); the
  account label is the first name with the last name's initial, else the masked
  email. Wallex says nothing of a token's permissions, so ``rights`` is None.
- Balances: ``value`` is the total (the document: "Total balance"), so available
  is ``value - locked``.
- Fees: ``makerFeeRate``/``takerFeeRate`` are fractions and are shown as percent
  (``0.00300000`` → 0.3 %); the level is how many thresholds of ``metaData.levels``
  (TMN markets) or ``metaData.coin_levels`` (others) the market's
  ``recent_days_sum`` has reached.
- Deposit address: the wallet endpoint takes no network parameter and lists every
  network (``ERC20``, ``TRC20`` …); the client picks the one asked for (case
  ignored) or, with none asked, the first open for deposits in Wallex's order. The
  currency goes into the path in lower case, as in the document's ``/wallets/usdt``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField, Credentials, Secret
from exchanges.errors import AuthenticationError, RejectedRequest
from exchanges.http import HttpPipeline
from exchanges.models import AccountCheck, AccountProfile, Balance, DepositAddress
from exchanges.wallex import auth, parse


class WallexAccount(AccountClient):
    name = "wallex"
    title = "Wallex"
    credential_fields = (CredentialField(name="token", label="API token", secret=True),)

    @classmethod
    def from_token(
        cls, http: HttpPipeline, token: str, *, clock: Callable[[], float] = time.time
    ) -> WallexAccount:
        """An account from the token as a user pasted it (blanks or a ``Bearer``
        prefix removed); ``AuthenticationError`` if it cannot be a token at all."""
        try:
            bare = auth.normalise_token(token)
        except ValueError as exc:
            raise AuthenticationError(cls.name, str(exc)) from None
        return cls(http, Credentials(key=None, secret=Secret(bare)), clock=clock)

    def _headers(self) -> dict[str, str]:
        try:
            return auth.auth_headers(self.credentials.secret)
        except ValueError as exc:
            raise AuthenticationError(self.name, str(exc)) from None

    async def _get(self, path: str) -> Any:
        reply = await self.http.request("GET", path, headers=self._headers())
        return parse.private_result(reply)

    async def verify(self) -> AccountCheck:
        return parse.account_check(await self._get("/v1/account/profile"))

    async def balances(self) -> Sequence[Balance]:
        return parse.balances(await self._get("/v1/account/balances"))

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        code = currency.strip().lower()
        if not code.isalnum():
            raise RejectedRequest(self.name, "a currency code has only letters and digits")
        result = await self._get(f"/v1/account/wallets/{quote(code, safe='')}")
        return parse.deposit_address(result, code, network)

    async def profile(self) -> AccountProfile:
        profile = await self._get("/v1/account/profile")
        fee = await self._get("/v1/account/fee")
        return parse.profile(profile, fee)
