"""/banks as a use case: the caller's Wallex bank cards and IBANs, and changes to them
behind the two-step confirmation.

Why the number is sealed in the confirmation: a card number or IBAN identifies a
person's bank account, and a pending confirmation is a database row. The row keeps only
the masked form in clear; the full number is sealed with the accounts' vault
(AES-256-GCM envelope bound to the user, like stored API keys), so it survives a
restart within the Confirm window but never sits in the database readable. It is
opened only to be sent.

Checks before anything is sent (``exchanges.wallex.bank_numbers``): a card is 16
digits passing Luhn, an IBAN ``IR`` + 24 digits passing mod-97 with a known bank code.
A number the account already holds is refused here too (Wallex would refuse it).
Deleting first looks the entry up, so the summary names what goes and a stale id gets
a sentence instead of Wallex's 404.

A change a crash cut off between Confirm and its outcome is never sent again: the
owner's next ``/banks`` settles it (``interrupted``: confirmed more than
``STALE_AFTER`` ago and still unfinished) and says so above the list, which shows
whether Wallex made it. Bank changes move no money, so this lazy pass is enough and
needs no start-up recovery of its own.

Wallex is the only system whose document has bank accounts; the service uses its
client's own calls (``WallexAccount.cards`` …).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.accounts import AccountService, NoAccountSupport
from bot.confirmations import Action, ConfirmationStore, Pending
from bot.errors import BotError
from exchanges.wallex.account import WallexAccount
from exchanges.wallex.bank_accounts import BankAccount
from exchanges.wallex.bank_numbers import CardNumber, Iban, Kind, parse_bank_number
from storage.secrets import Sealed

EXCHANGE = "wallex"
ADD = "bank_add"
DELETE = "bank_delete"
KINDS = (ADD, DELETE)
_SEAL_SCOPE = "wallex:bank-number"
STALE_AFTER = timedelta(minutes=5)


class AlreadyThere(BotError):
    def __init__(self, entry: BankAccount) -> None:
        super().__init__(f"{entry.kind} already on the account")
        self.entry = entry


class NoSuchEntry(BotError):
    def __init__(self, kind: Kind | None, entry_id: int) -> None:
        super().__init__(f"no {kind or 'entry'} {entry_id}")
        self.kind = kind
        self.entry_id = entry_id


class AmbiguousEntry(BotError):
    def __init__(self, entry_id: int) -> None:
        super().__init__(f"both a card and an IBAN have id {entry_id}")
        self.entry_id = entry_id


@dataclass(frozen=True, slots=True)
class BankList:
    cards: list[BankAccount]
    ibans: list[BankAccount]

    @property
    def all(self) -> list[BankAccount]:
        return [*self.cards, *self.ibans]


@dataclass(frozen=True, slots=True)
class Proposal:
    pending: Pending
    kind: Kind
    masked: str
    bank: str | None  # English name
    bank_fa: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Literal["add", "delete"]
    kind: Kind
    masked: str
    entry: BankAccount | None  # the new entry of an add


def _seal_json(sealed: Sealed) -> dict[str, str]:
    return {
        "key_id": sealed.key_id,
        "wrapped": base64.b64encode(sealed.wrapped_key).decode(),
        "ciphertext": base64.b64encode(sealed.ciphertext).decode(),
    }


def _sealed_of(raw: Any) -> Sealed:
    return Sealed(
        key_id=str(raw["key_id"]),
        wrapped_key=base64.b64decode(str(raw["wrapped"])),
        ciphertext=base64.b64decode(str(raw["ciphertext"])),
    )


class BankService:
    """Stateless over the account service and the confirmation store: handlers build it
    per call."""

    def __init__(self, accounts: AccountService, confirmations: ConfirmationStore) -> None:
        self.accounts = accounts
        self.confirmations = confirmations

    @contextlib.asynccontextmanager
    async def _wallex(self, user_id: int) -> AsyncIterator[WallexAccount]:
        async with self.accounts.session(user_id, EXCHANGE) as client:
            if not isinstance(client, WallexAccount):
                raise NoAccountSupport(EXCHANGE)
            yield client

    async def _list(self, client: WallexAccount) -> BankList:
        cards, ibans = await asyncio.gather(
            self.accounts.call(EXCHANGE, client.cards()),
            self.accounts.call(EXCHANGE, client.ibans()),
        )
        return BankList(cards, ibans)

    async def held(self, user_id: int) -> BankList:
        async with self._wallex(user_id) as client:
            return await self._list(client)

    async def interrupted(self, user_id: int) -> list[datetime]:
        """Settle the caller's bank changes a crash cut off; when each was confirmed."""
        settled = await self.confirmations.settle_interrupted(user_id, KINDS, STALE_AFTER)
        return [act.confirmed_at for act in settled if act.confirmed_at is not None]

    @staticmethod
    def check(text: str) -> CardNumber | Iban:
        """The typed number, checked; ``BankNumberError`` says what is wrong."""
        return parse_bank_number(text)

    async def propose_add(self, user_id: int, chat_id: int, text: str) -> Proposal:
        number = self.check(text)
        kind: Kind = "card" if isinstance(number, CardNumber) else "iban"
        full = number.digits if isinstance(number, CardNumber) else number.text
        async with self._wallex(user_id) as client:
            held = await self._list(client)
        for entry in held.cards if kind == "card" else held.ibans:
            if entry.number == full:
                raise AlreadyThere(entry)
        sealed = self.accounts.vault.seal(user_id, _SEAL_SCOPE, full.encode())
        pending = await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=ADD,
            payload={"kind": kind, "masked": number.masked, "sealed": _seal_json(sealed)},
        )
        bank = number.bank
        return Proposal(
            pending,
            kind,
            number.masked,
            bank.name if bank else None,
            bank.name_fa if bank else None,
        )

    async def find(self, user_id: int, entry_id: int, kind: Kind | None = None) -> BankAccount:
        held = await self.held(user_id)
        found = [e for e in held.all if e.id == entry_id and (kind is None or e.kind == kind)]
        if not found:
            raise NoSuchEntry(kind, entry_id)
        if len(found) > 1:
            raise AmbiguousEntry(entry_id)
        return found[0]

    async def propose_delete(self, user_id: int, chat_id: int, entry: BankAccount) -> Proposal:
        pending = await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=DELETE,
            payload={"kind": entry.kind, "id": entry.id, "masked": entry.masked},
        )
        return Proposal(pending, entry.kind, entry.masked, entry.bank_name, entry.bank_name)

    async def execute(self, action: Action) -> Outcome:
        """Send the confirmed change once. Any failure settles the row as failed; the
        error (never the number) goes up for the reply."""
        payload = action.payload
        kind: Kind = "card" if payload.get("kind") == "card" else "iban"
        masked = str(payload.get("masked") or "")
        try:
            async with self._wallex(action.user_id) as client:
                if action.kind == ADD:
                    full = self.accounts.vault.open(
                        action.user_id, _SEAL_SCOPE, _sealed_of(payload["sealed"])
                    ).decode()
                    if not await self.confirmations.mark_sent(action.id):
                        raise RuntimeError(f"confirmation {action.id} was not ours to send")
                    work = client.add_card(full) if kind == "card" else client.add_iban(full)
                    del full
                    entry: BankAccount | None = await self.accounts.call(EXCHANGE, work)
                else:
                    if not await self.confirmations.mark_sent(action.id):
                        raise RuntimeError(f"confirmation {action.id} was not ours to send")
                    entry_id = int(payload["id"])
                    work_delete = (
                        client.delete_card(entry_id)
                        if kind == "card"
                        else client.delete_iban(entry_id)
                    )
                    await self.accounts.call(EXCHANGE, work_delete)
                    entry = None
        except BaseException as exc:
            await self.confirmations.mark_failed(action.id, type(exc).__name__)
            raise
        result: dict[str, Any] = {"kind": kind, "masked": masked}
        if entry is not None:
            result.update(id=entry.id, status=entry.status)
        await self.confirmations.mark_done(action.id, result)
        return Outcome("add" if action.kind == ADD else "delete", kind, masked, entry)
