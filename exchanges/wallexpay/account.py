"""One merchant's WallexPay account for /connect: balances, deposit addresses, fees.

Per the WallexPay API document (seed 003), signed as ``auth.py`` says: every call is a
``POST`` to ``/api/v2/<method>`` whose raw JSON body is signed with the merchant's
secret key. The calls used here: ``accounts/list`` (balances, and the harmless call
that proves the key), ``addresses/take`` (a deposit address) and ``currencies/list``
(the per-currency fees shown as the profile). Withdrawals, exchange, futures,
invoices and callbacks go through the same ``signed_call`` in later work, with
``idempotent=False`` because they move money.

Choices where the document is silent or contradicts itself:
- Credentials: the document does not name them; WallexPay's authorization page calls
  them the public key (sent as ``X-Processing-Key``) and the secret key. Both are
  asked for as secrets: the public key alone still identifies the merchant.
- ``verify()`` calls ``accounts/list``: it is signed, reads only, and fails on a bad
  key or signature like any other call (``/ping`` is unsigned and proves nothing).
  WallexPay reports neither the merchant's name nor what the key may do, so the
  ``AccountCheck`` carries no label and no rights.
- Balances: ``accounts/list`` gives one ``balance`` per currency and nothing on hold,
  so ``locked`` is zero. Every currency comes back, zero balances included ("Get list
  of all the balances (including zero balances)"); callers filter for display.
- Deposit addresses: ``addresses/take`` has no network parameter; each WallexPay
  currency code is one network, so a ``network`` argument is refused with
  ``NotSupported`` before anything is sent. ``foreign_id`` is required by the server
  ("The foreign id field is required.") and is echoed in the callbacks about deposits
  to the address: callers pass a stable per-user id (e.g. ``user-id:2048``), and
  without one ``DEFAULT_FOREIGN_ID`` is sent. The body is written in the order of the
  documented signing example: ``currency``, ``foreign_id``, then ``convert_to``.
- The document does not say that taking an address twice with the same
  ``foreign_id`` returns the same address. It says the opposite in practice: "You
  obtain new address ... and store it somewhere on your side" and "you don't have to
  generate new address for this customer anymore, address can be reused unlimited
  amount of times". So every call may create a new address (every one of them stays
  valid); the caller stores the address it got and asks again only when it has none.
  For the same reason ``addresses/take`` is not a pure read and is never retried.
- ``convert_to`` equal to ``currency`` means no conversion and is not sent (a
  currency is no exchange pair of itself). An answer for another currency, or with
  another conversion than asked, is refused (``BadResponse``) rather than shown:
  deposits to it would not end up where the user expects.
- The address's ``tag`` becomes the ``memo``. The document's example writes it as
  ``tag-123`` without quotes (not JSON); it is read as text, a number or null.
- The profile is the fee table of the enabled currencies (``currencies/list`` with
  ``visible: true``): deposit and withdrawal fee percentages and the least amount.
  WallexPay has no maker/taker fees, so ``AccountProfile.fees`` stays empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField
from exchanges.errors import BadResponse, NotSupported
from exchanges.models import AccountCheck, AccountProfile, Balance, DepositAddress
from exchanges.wallexpay import parse
from exchanges.wallexpay.client import NAME, code, signed_call
from exchanges.wallexpay.models import Address, Currency

DEFAULT_FOREIGN_ID = "sarraf"


class WallexPayAccount(AccountClient):
    """A merchant's WallexPay account, signed with its public key and secret key."""

    name = NAME
    title = "WallexPay"
    credential_fields = (
        CredentialField("key", "Public key (X-Processing-Key)"),
        CredentialField("secret", "Secret key"),
    )

    async def verify(self) -> AccountCheck:
        """Reads the balances: proves key and signature without changing anything."""
        parse.balances(await self._call("accounts/list"))
        return AccountCheck(account_label=None, rights=None)

    async def balances(self) -> Sequence[Balance]:
        """Every currency of the merchant, zero balances included; ``locked`` is zero."""
        return parse.balances(await self._call("accounts/list"))

    async def deposit_address(
        self,
        currency: str,
        network: str | None = None,
        *,
        owner: str | None = None,
        foreign_id: str | None = None,
        convert_to: str | None = None,
    ) -> DepositAddress:
        """An address to receive ``currency`` on, from ``addresses/take``.

        ``foreign_id`` is the caller's stable reference for the user the address is
        for (``DEFAULT_FOREIGN_ID`` when None); WallexPay returns it in the address
        and in the callbacks of deposits to it. ``convert_to`` makes WallexPay
        exchange every deposit into that currency on arrival (see ``currencies/pairs``
        for what is offered). ``network`` is not a WallexPay parameter: a value is
        refused with ``NotSupported``. Each call may create a new address: store it.
        """
        if network:
            raise NotSupported(
                self.name, "WallexPay takes no network: each currency code is one network"
            )
        taken = await self.take_address(
            currency, foreign_id=foreign_id or owner, convert_to=convert_to
        )
        return DepositAddress(currency=taken.currency, address=taken.address, memo=taken.tag)

    async def take_address(
        self, currency: str, *, foreign_id: str | None = None, convert_to: str | None = None
    ) -> Address:
        """The whole address object of ``addresses/take`` (with its id, for futures)."""
        asked = code(currency)
        if not asked:
            raise ValueError("a currency code is needed")
        reference = DEFAULT_FOREIGN_ID if foreign_id is None else foreign_id.strip()
        if not reference:
            raise ValueError("foreign_id must not be empty")
        target = code(convert_to) if convert_to else None
        params: dict[str, str] = {"currency": asked, "foreign_id": reference}
        if target and target != asked:
            params["convert_to"] = target
        data = await self._call("addresses/take", params, idempotent=False)
        taken = parse.address(data)
        if taken.currency != asked:
            raise BadResponse(self.name, f"an address for {taken.currency} came back, not {asked}")
        if taken.convert_to != params.get("convert_to", taken.convert_to):
            raise BadResponse(self.name, f"the address does not convert to {target}")
        return taken

    async def profile(self) -> AccountProfile:
        """The fees of every enabled currency, one line each."""
        currencies = parse.currencies(await self._call("currencies/list", {"visible": True}))
        return AccountProfile(lines=tuple(_fee_line(c) for c in currencies))

    async def _call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> Any:
        """A signed call; an unknown currency is reported by the code that was sent."""
        sent = params or {}
        return await signed_call(
            self.http, self.credentials, method, sent, sent=sent, idempotent=idempotent
        )


def _fee_line(currency: Currency) -> tuple[str, str]:
    parts = []
    if currency.deposit_fee_percent is not None:
        parts.append(f"deposit {_plain(currency.deposit_fee_percent)} %")
    if currency.withdrawal_fee_percent is not None:
        parts.append(f"withdrawal {_plain(currency.withdrawal_fee_percent)} %")
    if currency.minimum_amount is not None:
        parts.append(f"minimum {_plain(currency.minimum_amount)}")
    return currency.code, ", ".join(parts) or "-"


def _plain(value: Decimal) -> str:
    """``0.50`` → ``0.5``, ``100`` stays ``100`` (never ``1E+2``)."""
    return format(value.normalize(), "f")
