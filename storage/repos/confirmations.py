"""Pending actions and their one-way states; pending → confirmed decided by one UPDATE.

Times are UTC: SQLite keeps ``DateTime(timezone=True)`` as text without an offset, so
every time written here is converted to UTC and times read back are made aware again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Confirmation

PENDING = "pending"
CONFIRMED = "confirmed"
SENT = "sent"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"
UNFINISHED = (CONFIRMED, SENT)
ERROR_MAX = 512


def utc(moment: datetime) -> datetime:
    """An aware UTC time; naive values (as SQLite returns them) are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


async def create(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    client_ref: str | None,
    now: datetime,
    expires_at: datetime,
) -> Confirmation:
    row = Confirmation(
        user_id=user_id,
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        state=PENDING,
        client_ref=client_ref,
        created_at=utc(now),
        expires_at=utc(expires_at),
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, confirmation_id: int) -> Confirmation | None:
    return await session.get(Confirmation, confirmation_id)


async def confirm(session: AsyncSession, confirmation_id: int, user_id: int, now: datetime) -> bool:
    """pending → confirmed if it is this user's and unexpired; True for the one winner."""
    result: Any = await session.execute(
        update(Confirmation)
        .where(
            Confirmation.id == confirmation_id,
            Confirmation.user_id == user_id,
            Confirmation.state == PENDING,
            Confirmation.expires_at > utc(now),
        )
        .values(state=CONFIRMED, confirmed_at=utc(now))
    )
    return bool(result.rowcount == 1)


async def cancel(session: AsyncSession, confirmation_id: int, user_id: int, now: datetime) -> bool:
    """pending → cancelled by its owner (expired or not); True if it was still pending."""
    result: Any = await session.execute(
        update(Confirmation)
        .where(
            Confirmation.id == confirmation_id,
            Confirmation.user_id == user_id,
            Confirmation.state == PENDING,
        )
        .values(state=CANCELLED, finished_at=utc(now))
    )
    return bool(result.rowcount == 1)


async def move(
    session: AsyncSession,
    confirmation_id: int,
    from_states: Collection[str],
    to_state: str,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """One guarded step forward; False if the row was not in ``from_states``."""
    values: dict[str, Any] = {"state": to_state}
    if to_state in (DONE, FAILED, CANCELLED, EXPIRED):
        values["finished_at"] = utc(now)
    if result is not None:
        values["result"] = result
    if error is not None:
        values["error"] = _clip(error)
    outcome: Any = await session.execute(
        update(Confirmation)
        .where(Confirmation.id == confirmation_id, Confirmation.state.in_(tuple(from_states)))
        .values(**values)
    )
    return bool(outcome.rowcount == 1)


async def set_message(session: AsyncSession, confirmation_id: int, message_id: int) -> None:
    await session.execute(
        update(Confirmation).where(Confirmation.id == confirmation_id).values(message_id=message_id)
    )


async def expire(session: AsyncSession, now: datetime) -> int:
    """Every pending row past its expiry becomes expired; how many."""
    outcome: Any = await session.execute(
        update(Confirmation)
        .where(Confirmation.state == PENDING, Confirmation.expires_at <= utc(now))
        .values(state=EXPIRED, finished_at=utc(now))
    )
    return int(outcome.rowcount or 0)


async def in_states(
    session: AsyncSession, states: Collection[str], kinds: Collection[str] | None = None
) -> Sequence[Confirmation]:
    query = select(Confirmation).where(Confirmation.state.in_(tuple(states)))
    if kinds is not None:
        query = query.where(Confirmation.kind.in_(tuple(kinds)))
    rows = await session.scalars(query.order_by(Confirmation.id))
    return rows.all()
