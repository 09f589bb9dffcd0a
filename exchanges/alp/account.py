"""ALP.COM account: balances, fee profile and key check over signed calls (seed 002).

Every call is signed as the document's "Authorization" section says (``X-KEY``,
``X-SIGN``, ``X-NONCE``; the signing itself is in ``exchanges.alp.auth``). Calls made:
``GET /api/v1/wallets/`` (``verify`` and ``balances``), ``GET /api/v3/accounts`` and
``GET /api/v3/feeinfo`` (``profile``).

Choices where the document is silent or contradicts itself:
- Balances come from v1 ``wallets/``, not v3 ``accounts/balances``: v1's signing is
  spelled out with working examples, while the v3 section is headed "functionality are
  in progress" and names no headers; v1 lists one wallet per currency, while v3 lists
  rows per wallet type (spot, cross and isolated margin, per pair) and per account,
  which is not what ``/balance`` shows. ``balance`` is read as available and ``reserve``
  as locked (see ``parse.wallets``).
- v3 authentication: the document only says to "include valid api-secret and api-key".
  v3 calls are signed exactly like v1 calls (the same key pair from the profile page,
  the same three headers); the secret itself is never sent. One nonce sequence per key
  serves both APIs ("greater than the nonce in the previous api call", any call).
- Signed payload: the form data of a POST; a GET signs ``{}`` (its query string is not
  signed). The reads here carry no query parameters, so either reading signs the same.
- Nonces: strictly increasing per key from the ``NonceSource`` (scope: the API key),
  never below the current Unix time in milliseconds, the value the document's own
  example sends, so a key last used by such a program still accepts our calls.
- Ordering: the server rejects a nonce not greater than the last one it accepted, so a
  call with a smaller nonce must not overtake one with a larger. Signed calls of one key
  therefore go one at a time in this process (a lock per key shared by every
  ``AlpAccount`` of that key), from drawing the nonce until the answer arrives. This
  costs nothing: ALP allows 2 signed calls a second per account anyway.
- A signed call is sent once (``idempotent=False``): a resend after a timeout would
  carry a nonce the server may already have accepted, and be refused for it.
- Deposit addresses: v1 has no such call and v3 ``POST /api/v3/wallets/addresses`` is
  "Comming soon" with neither parameters nor answer, so ``deposit_address`` raises
  ``NotSupported``.
- Key rights: the document does not describe what a key may do, so ``verify`` returns
  no rights; v1 has no account name either, so no label.
- Fees: ``feeinfo`` rates are fractions (its trade example: ``fee_rate`` 0.001 on
  23400.34 × 0.05 is ``fee_amount`` 1.170017) and are shown as percentages; inactive
  rules are left out; rules are listed by ``priority``, 1 first (the document does not
  say which end wins).
- Errors: the document shows none for v1 and only status codes for v3. 401/403 are
  authentication errors (wrong key, signature or nonce), 429 is the rate limit of two
  signed calls a second per account; the rest as in ``parse.error``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from exchanges.accounts import AccountClient
from exchanges.alp import auth, parse
from exchanges.credentials import CredentialField
from exchanges.errors import AuthenticationError, NotSupported
from exchanges.models import AccountCheck, AccountProfile, Balance, DepositAddress

log = logging.getLogger(__name__)

WALLETS = "/api/v1/wallets/"
ACCOUNTS = "/api/v3/accounts"
FEE_INFO = "/api/v3/feeinfo"


@dataclass(eq=False)
class _KeyTurn:
    """Whose turn it is to call with one key, and the last nonce sent with it here."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_nonce: int = 0


# Per event loop (a Lock belongs to one loop), per key digest: the key itself is not
# kept here. Entries vanish when no AlpAccount of that key is left.
_TURNS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakValueDictionary[str, _KeyTurn]
] = weakref.WeakKeyDictionary()


def _turn_for(key: str) -> _KeyTurn:
    loop = asyncio.get_running_loop()
    turns = _TURNS.get(loop)
    if turns is None:
        turns = weakref.WeakValueDictionary()
        _TURNS[loop] = turns
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    turn = turns.get(digest)
    if turn is None:
        turn = _KeyTurn()
        turns[digest] = turn
    return turn


class AlpAccount(AccountClient):
    """One ALP.COM account reached with an API key and its secret."""

    name = "alp"
    title = "ALP.COM"
    credential_fields = (
        CredentialField("key", "API key", secret=False),
        CredentialField("secret", "API secret"),
    )

    _turn: _KeyTurn | None = None

    @property
    def _key(self) -> str:
        key = self.credentials.key
        if not key:
            raise AuthenticationError(self.name, "ALP.COM needs an API key with its secret")
        return key

    async def _signed_get(self, path: str) -> Any:
        """One signed GET without parameters: its decoded body, or the error it states."""
        key = self._key
        if self._turn is None:
            self._turn = _turn_for(key)
        turn = self._turn
        async with turn.lock:
            floor = max(int(self.clock() * 1000), turn.last_nonce)
            nonce = await self.nonces.next_nonce(key, at_least=floor)
            turn.last_nonce = max(turn.last_nonce, nonce)
            headers = auth.signed_headers(self.credentials, {}, nonce)
            log.debug("alp signed GET %s (nonce %d)", path, nonce)
            reply = await self.http.request("GET", path, headers=headers, idempotent=False)
        return parse.checked(reply)

    async def verify(self) -> AccountCheck:
        """Reads the wallets: harmless, and refused unless key, signature and nonce are right."""
        parse.wallets(await self._signed_get(WALLETS))
        return AccountCheck(account_label=None, rights=None)

    async def balances(self) -> Sequence[Balance]:
        """Every wallet of the account, as ``wallets/`` lists it."""
        return parse.wallets(await self._signed_get(WALLETS))

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        raise NotSupported(
            self.name,
            "ALP.COM's API offers no deposit address (its v3 wallets/addresses call is "
            "announced as coming soon); take the address from the ALP.COM website",
        )

    async def profile(self) -> AccountProfile:
        """The account (v3 ``accounts``) and its fee rules (v3 ``feeinfo``)."""
        accounts = await self._signed_get(ACCOUNTS)
        fee_info = await self._signed_get(FEE_INFO)
        lines = list(parse.account_lines(accounts))
        paid_in = parse.fee_currencies(fee_info)
        if paid_in:
            lines.append(("Fees charged in", ", ".join(paid_in)))
        return AccountProfile(lines=tuple(lines), fees=tuple(parse.fees(fee_info)))
