"""The optional daily withdrawal cap, per user and currency.

Before a withdrawal (or a WEX coupon, which carries money out just as well) is shown
for confirmation, and again just before it is sent, what left the user's accounts in
that currency over the last 24 hours — counting everything sent or possibly sent, on
every exchange — plus this amount must stay within the cap.

A cap protects only if it cannot be lifted on the spot by whoever holds the phone:
setting a first cap or lowering one applies at once; raising or removing one applies
24 hours later (shown in /withdrawcap), so a stolen session cannot lift the cap and
empty the account in the same minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.errors import BotError
from storage.db import Database
from storage.models import WithdrawalCap
from storage.repos import withdrawals as repo

WINDOW = timedelta(hours=24)
CHANGE_DELAY = timedelta(hours=24)
CAPPED_KINDS = ("withdrawal", "coupon")


class CapExceeded(BotError):
    def __init__(self, currency: str, cap: Decimal, spent: Decimal, amount: Decimal) -> None:
        super().__init__(f"daily cap of {cap} {currency} exceeded")
        self.currency = currency
        self.cap = cap
        self.spent = spent
        self.amount = amount

    @property
    def left(self) -> Decimal:
        return max(self.cap - self.spent, Decimal(0))


@dataclass(frozen=True, slots=True)
class CapView:
    """A cap as it stands: ``amount`` None means none now; a change may be waiting."""

    currency: str
    amount: Decimal | None
    next_amount: Decimal | None = None
    next_off: bool = False
    next_from: datetime | None = None
    spent: Decimal = Decimal(0)

    @property
    def waiting(self) -> bool:
        return self.next_from is not None


@dataclass(frozen=True, slots=True)
class CapChange:
    """What a /withdrawcap did: applied now, or waiting until ``applies_at``."""

    view: CapView
    immediate: bool
    applies_at: datetime | None = None


def effective(row: WithdrawalCap | None, now: datetime) -> CapView | None:
    """The cap in force at ``now``, a waiting change applied once its time has come."""
    if row is None:
        return None
    amount = None if row.amount is None else Decimal(row.amount)
    next_from = repo.as_utc(row.next_from)
    next_amount = None if row.next_amount is None else Decimal(row.next_amount)
    if next_from is not None and now >= next_from:
        amount = None if row.next_off else next_amount
        return CapView(row.currency, amount)
    return CapView(row.currency, amount, next_amount, row.next_off, next_from)


def plan_change(
    current: CapView | None, new: Decimal | None, now: datetime
) -> tuple[Decimal | None, Decimal | None, bool, datetime | None]:
    """(amount now, next amount, next off, next from) for a request to set ``new``
    (None: remove). Tightening applies now; loosening waits ``CHANGE_DELAY``."""
    now_amount = current.amount if current else None
    if new is not None and new <= 0:
        raise ValueError("a cap is positive")
    if now_amount is None:
        return new, None, False, None  # no cap in force: a first cap applies at once
    if new is not None and new <= now_amount:
        return new, None, False, None
    return now_amount, new, new is None, now + CHANGE_DELAY


class Caps:
    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def view(self, user_id: int, currency: str) -> CapView | None:
        now = self.now()
        async with self.db.session() as session:
            found = effective(await repo.cap(session, user_id, currency.upper()), now)
            if found is None or (found.amount is None and not found.waiting):
                return None
            spent = await repo.spent_since(
                session, user_id, found.currency, now - WINDOW, CAPPED_KINDS
            )
        return CapView(
            found.currency,
            found.amount,
            found.next_amount,
            found.next_off,
            found.next_from,
            spent,
        )

    async def all(self, user_id: int) -> list[CapView]:
        async with self.db.session() as session:
            currencies = [row.currency for row in await repo.caps(session, user_id)]
        views = [await self.view(user_id, c) for c in currencies]
        return [v for v in views if v is not None]

    async def set(self, user_id: int, currency: str, amount: Decimal | None) -> CapChange:
        currency = currency.upper()
        now = self.now()
        async with self.db.session() as session:
            current = effective(await repo.cap(session, user_id, currency), now)
            now_amount, next_amount, next_off, next_from = plan_change(current, amount, now)
            await repo.save_cap(
                session,
                user_id,
                currency,
                amount=now_amount,
                next_amount=next_amount,
                next_off=next_off,
                next_from=next_from,
            )
        view = await self.view(user_id, currency) or CapView(currency, None)
        return CapChange(view, next_from is None, next_from)

    async def check(self, user_id: int, currency: str, amount: Decimal) -> CapView | None:
        """Raise ``CapExceeded`` if ``amount`` more would pass today's cap; the cap (with
        what was spent) if one applies, else None."""
        view = await self.view(user_id, currency)
        if view is None or view.amount is None:
            return view
        if view.spent + amount > view.amount:
            raise CapExceeded(view.currency, view.amount, view.spent, amount)
        return view
