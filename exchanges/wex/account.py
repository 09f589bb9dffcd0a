"""One user's WEX account over Trade API v1 (seed document 004, Russian).

Every call is ``POST {WEX_API_URL}/tapi`` with the form body ``method=…&nonce=N[&…]``
and the headers ``Key`` and ``Sign`` (``exchanges.wex.auth``). Used here: ``getInfo``
(verify and balances), ``ActiveOrders`` (what open orders lock) and
``CoinDepositAddress``. Trading, withdrawals and coupons are not offered by this
client.

The nonce. WEX keeps, per API key, the last nonce it accepted and refuses any request
whose nonce is not above it (the document's example: 1, 2, 10, then 10 again or 9 is
refused). So:
- Nonces come from ``self.nonces`` with the API key as scope, which the bot backs by
  storage so they keep growing across restarts and across clients of the same key.
- Calls of one key are sent one at a time, in nonce order, within this process: a
  lock per key (and event loop) is held from taking the nonce until the answer has
  arrived. Sent concurrently, a later nonce can overtake an earlier one on the wire,
  and WEX would refuse the earlier one.
- When WEX answers its invalid-nonce error (``invalid nonce parameter; on key:N, you
  sent:'M', you should send:N+1`` — BTC-e's wording, which WEX kept; the document
  quotes no error text at all) the key's last nonce N is read from it, the source is
  moved past it (``next_nonce(key, at_least=N)``) and the call is sent ONCE more with
  the new nonce and a new signature. That is safe for any method: a refused nonce
  means WEX did not carry the call out. A second refusal becomes AuthenticationError
  (someone else is using the key at the same time).
- Past 4294967294, the document's maximum, only a new key helps ("Для обнуления
  значения nonce необходимо создать новый ключ"): ``NonceExhausted``, an
  AuthenticationError saying so, before anything is sent.
- Calls go with ``idempotent=False``: the pipeline must not resend a body, since its
  nonce would be refused the second time.

Choices where the document is silent or contradicts itself:
- Error texts. The document shows only the envelope ``{"success":0,"error":"…"}``; the
  texts matched are BTC-e's: ``invalid api key`` and ``api key not specified`` (unknown
  key), ``invalid sign``, ``api key dont have <right> permission`` — all
  AuthenticationError — and ``no orders`` from ``ActiveOrders`` when none are open,
  read as an empty list. Any other text is a RejectedRequest with WEX's own words. A
  non-JSON answer, which the document warns of ("при превышении лимитов к API либо при
  непредвиденных ошибках"), is BadResponse.
- Balances. ``funds`` is "the balance available for use; it does not include money on
  your open orders", so it is ``available``. ``locked`` is derived from
  ``ActiveOrders``, whose ``amount`` is what is left to buy/sell and ``rate`` its
  price: a sell order locks ``amount`` of the pair's base, a buy order ``amount ×
  rate`` of its quote (WEX takes its fee from what is received, so nothing more is
  held). ``ActiveOrders`` is asked only when ``getInfo``'s ``open_orders`` is not 0.
  ``getInfo`` "is cached for 60 seconds" by WEX, so balances can be up to a minute old
  while open orders are read live; the two can disagree for that minute.
- Every currency ``funds`` lists is returned, zeros included, upper-cased
  (``usd`` → ``USD``).
- Rights: ``rights`` {info, trade, withdraw} (0/1) become KeyRights. The document says
  the withdraw right "is not used anywhere at the moment" yet requires it for
  ``WithdrawCoin``; it is reported as WEX states it, so the bot can warn of a
  withdraw-capable key. The ``coupon`` right has no place in KeyRights and is not read.
  ``getInfo`` itself needs the info right, so a key without it fails ``verify`` with a
  sentence naming the right.
- ``getInfo`` names no account, so AccountCheck has no label.
- Deposit addresses: ``CoinDepositAddress`` takes ``coinName`` (upper case, as in the
  example ``BTC``) and no network; one address per currency. Asking with a network is
  NotSupported. WEX does not create addresses through the API ("метод не генерирует
  новые адреса"): its refusal is a RejectedRequest that says to create the address on
  the WEX site first.
- No profile or fee call exists in the Trade API (fees are per pair, in the public
  ``info``), so ``profile()`` stays NotSupported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField
from exchanges.errors import AuthenticationError, NotSupported, RejectedRequest
from exchanges.models import AccountCheck, Balance, DepositAddress
from exchanges.wex import auth, parse

TAPI = "/tapi"

_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = WeakKeyDictionary()


def key_lock(scope: str) -> asyncio.Lock:
    """The lock that keeps one key's calls in nonce order, shared by every client of the
    key in this event loop (an asyncio lock cannot outlive or cross its loop)."""
    per_loop = _LOCKS.setdefault(asyncio.get_running_loop(), {})
    lock = per_loop.get(scope)
    if lock is None:
        lock = per_loop[scope] = asyncio.Lock()
    return lock


class WexAccount(AccountClient):
    name = "wex"
    title = "WEX"
    credential_fields = (
        CredentialField("key", "API key (Key)", secret=False),
        CredentialField("secret", "API key secret"),
    )

    async def verify(self) -> AccountCheck:
        """``getInfo``: proves key and secret and reports the key's rights."""
        info = parse.account_info(parse.tapi_return(await self._call("getInfo")))
        return AccountCheck(account_label=None, rights=info.rights)

    async def balances(self) -> Sequence[Balance]:
        """Available from ``getInfo``'s ``funds``; locked from the open orders."""
        info = parse.account_info(parse.tapi_return(await self._call("getInfo")))
        locked: dict[str, Decimal] = {}
        if info.open_orders != 0:
            locked = parse.locked_by_orders(parse.active_orders(await self._call("ActiveOrders")))
        return parse.balances(info.funds, locked)

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        coin = currency.strip().upper()
        if network:
            raise NotSupported(
                self.name, "WEX has one deposit address per currency and takes no network"
            )
        envelope = await self._call("CoinDepositAddress", {"coinName": coin})
        try:
            ret = parse.tapi_return(envelope)
        except RejectedRequest as exc:
            raise RejectedRequest(
                self.name,
                f"no deposit address for {coin} ({exc.message}); WEX's API only returns "
                "addresses made before, so create one on the WEX site first",
            ) from None
        return parse.deposit_address(coin, ret)

    async def _call(
        self, method: str, params: Mapping[str, str] | None = None
    ) -> Mapping[str, Any]:
        """One signed call, answered as WEX's envelope; an invalid-nonce answer is
        retried once past the nonce WEX names (see the module docstring)."""
        scope = self.credentials.key
        if not scope:
            raise AuthenticationError(self.name, "WEX needs an API key as well as its secret")
        async with key_lock(scope):
            at_least = 0
            for _attempt in range(2):
                nonce = auth.check_nonce(await self.nonces.next_nonce(scope, at_least))
                body = auth.encode_body(method, nonce, params)
                reply = await self.http.request(
                    "POST",
                    TAPI,
                    headers=auth.signed_headers(self.credentials, body),
                    data=body,
                    idempotent=False,
                )
                envelope = parse.tapi_envelope(reply)
                on_key = parse.invalid_nonce_on_key(envelope)
                if on_key is None:
                    return envelope
                at_least = on_key
        raise parse.tapi_error(parse.error_text(envelope) or "invalid nonce parameter")
