"""Money sent upstream (withdrawals, coupons, conversions) and the daily caps on it.

Amounts are exact decimal strings. Times are UTC; SQLite hands back naive datetimes,
so every time written here is made UTC first and comparisons stay correct there.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MoneyTransfer, WithdrawalCap, utcnow

SENDING = "sending"  # written before the upstream call
SENT = "sent"  # the upstream accepted it
FAILED = "failed"  # the upstream refused it: nothing left the account
UNKNOWN = "unknown"  # no answer: it may have gone out (counts towards the cap)
COUNTED = (SENDING, SENT, UNKNOWN)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A time read back from the database, timezone-aware (SQLite returns it naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def start(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    exchange: str,
    kind: str,
    currency: str,
    amount: Decimal,
    reference: str,
    address: str | None = None,
    network: str | None = None,
    memo: str | None = None,
    at: datetime | None = None,
) -> MoneyTransfer:
    row = MoneyTransfer(
        user_id=user_id,
        chat_id=chat_id,
        exchange=exchange,
        kind=kind,
        currency=currency,
        amount=str(amount),
        address=address,
        network=network,
        memo=memo,
        reference=reference,
        state=SENDING,
        created_at=_utc(at) if at else utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def finish(
    session: AsyncSession,
    row_id: int,
    *,
    state: str,
    upstream_id: str | None = None,
    upstream_status: str | None = None,
    error: str | None = None,
    currency: str | None = None,
    amount: Decimal | None = None,
) -> None:
    values: dict[str, Any] = {
        "state": state,
        "upstream_id": upstream_id,
        "upstream_status": upstream_status,
        "error": (error or "")[:256] or None,
        "updated_at": utcnow(),
    }
    if currency is not None:
        values["currency"] = currency
    if amount is not None:
        values["amount"] = str(amount)
    await session.execute(update(MoneyTransfer).where(MoneyTransfer.id == row_id).values(values))


async def by_reference(session: AsyncSession, reference: str) -> MoneyTransfer | None:
    found: MoneyTransfer | None = await session.scalar(
        select(MoneyTransfer).where(MoneyTransfer.reference == reference)
    )
    return found


async def set_upstream_status(session: AsyncSession, row_id: int, status: str) -> None:
    await session.execute(
        update(MoneyTransfer)
        .where(MoneyTransfer.id == row_id)
        .values(upstream_status=status[:32], updated_at=utcnow())
    )


async def spent_since(
    session: AsyncSession,
    user_id: int,
    currency: str,
    since: datetime,
    kinds: Collection[str],
) -> Decimal:
    """What left the user's accounts in ``currency`` since ``since`` (every exchange)."""
    amounts = await session.scalars(
        select(MoneyTransfer.amount).where(
            MoneyTransfer.user_id == user_id,
            MoneyTransfer.currency == currency,
            MoneyTransfer.kind.in_(list(kinds)),
            MoneyTransfer.state.in_(COUNTED),
            MoneyTransfer.created_at > _utc(since),
        )
    )
    return sum((Decimal(a) for a in amounts), Decimal(0))


async def cap(session: AsyncSession, user_id: int, currency: str) -> WithdrawalCap | None:
    return await session.get(WithdrawalCap, (user_id, currency))


async def caps(session: AsyncSession, user_id: int) -> list[WithdrawalCap]:
    rows = await session.scalars(
        select(WithdrawalCap)
        .where(WithdrawalCap.user_id == user_id)
        .order_by(WithdrawalCap.currency)
    )
    return list(rows)


async def save_cap(
    session: AsyncSession,
    user_id: int,
    currency: str,
    *,
    amount: Decimal | None,
    next_amount: Decimal | None = None,
    next_off: bool = False,
    next_from: datetime | None = None,
) -> None:
    """Write the cap of one currency as given (the rules of when a change applies are
    the caller's); a row with no cap and nothing waiting is deleted."""
    if amount is None and next_amount is None and not next_off:
        await session.execute(
            delete(WithdrawalCap).where(
                WithdrawalCap.user_id == user_id, WithdrawalCap.currency == currency
            )
        )
        return
    row = await session.get(WithdrawalCap, (user_id, currency))
    if row is None:
        row = WithdrawalCap(user_id=user_id, currency=currency)
        session.add(row)
    row.amount = None if amount is None else str(amount)
    row.next_amount = None if next_amount is None else str(next_amount)
    row.next_off = next_off
    row.next_from = _utc(next_from) if next_from else None
    row.updated_at = utcnow()
    await session.flush()
