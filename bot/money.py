"""The money services, built together: address book, daily caps, withdrawals and
coupons with their one-time codes, WallexPay payments and callbacks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.accounts import AccountService
from bot.addresses import AddressBook
from bot.callbacks import Render, WallexPayCallbacks
from bot.caps import Caps
from bot.chats import ChatPreferences
from bot.one_time_codes import OneTimeCodes
from bot.payments import PaymentService
from bot.withdrawals import WithdrawalService
from exchanges.credentials import Secret
from storage.db import Database

HELD_SECONDS = 600.0


@dataclass
class HeldSecrets:
    """Secrets a pending confirmation needs (a coupon code to redeem), in memory only:
    never in the confirmation's database row. A restart forgets them, and the
    confirmation then says so instead of sending anything."""

    clock: Callable[[], float] = time.monotonic
    _held: dict[int, tuple[Secret, float]] = field(default_factory=dict)

    def hold(self, key: int, secret: Secret) -> None:
        now = self.clock()
        for stale in [k for k, (_, at) in self._held.items() if now - at > HELD_SECONDS]:
            del self._held[stale]
        self._held[key] = (secret, now)

    def take(self, key: int) -> Secret | None:
        found = self._held.pop(key, None)
        return None if found is None else found[0]


@dataclass
class MoneyServices:
    book: AddressBook
    caps: Caps
    withdrawals: WithdrawalService
    codes: OneTimeCodes
    held: HeldSecrets
    payments: PaymentService
    callbacks: WallexPayCallbacks


def build_money(
    db: Database,
    accounts: AccountService,
    chats: ChatPreferences,
    render: Render,
    *,
    public_url: str | None = None,
) -> MoneyServices:
    """``render`` writes the merchant's message for a WallexPay callback (a handler's
    text function, passed in so the services never import handlers)."""
    book = AddressBook(db)
    caps = Caps(db)
    return MoneyServices(
        book=book,
        caps=caps,
        withdrawals=WithdrawalService(db, accounts, book, caps),
        codes=OneTimeCodes(),
        held=HeldSecrets(),
        payments=PaymentService(db, accounts, public_url=public_url),
        callbacks=WallexPayCallbacks(db, accounts, chats, render),
    )
