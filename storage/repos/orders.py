"""Orders the bot watches for fills, and the deposits of an account already seen.

Amounts are decimal strings. ``advance`` moves an order's announced fill forward in one
conditional UPDATE, so two pollers (or a poll and a stream) announce a fill once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AccountCursor, TrackedOrder

OPEN_STATES = ("open", "partially_filled")
CLOSED = "closed"  # left the open list; the system cannot say whether filled or cancelled
DEPOSIT_MEMORY = 500  # ids kept per account: more than one page of any history


async def track(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    exchange: str,
    order_id: str,
    symbol: str,
    side: str,
    amount: Decimal,
    price: Decimal | None,
    filled: Decimal,
    status: str,
    client_order_id: str | None = None,
    confirmation_id: int | None = None,
) -> bool:
    """Start watching an order; False if it was watched already.

    One ``INSERT … ON CONFLICT DO NOTHING``: the sender recording its order and the
    private stream reporting it may race, on PostgreSQL in parallel transactions.
    """
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "user_id": user_id,
        "chat_id": chat_id,
        "exchange": exchange,
        "order_id": order_id,
        "symbol": symbol,
        "side": side,
        "amount": str(amount),
        "price": None if price is None else str(price),
        "filled": str(filled),
        "status": status,
        "client_order_id": client_order_id,
        "confirmation_id": confirmation_id,
        "created_at": now,
        "updated_at": now,
    }
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result: Any = await session.execute(
        make(TrackedOrder)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "exchange", "order_id"])
    )
    if result.rowcount == 1:
        return True
    if confirmation_id is not None:
        # A stream may have reported the order before its sender recorded it.
        await session.execute(
            update(TrackedOrder)
            .where(
                TrackedOrder.user_id == user_id,
                TrackedOrder.exchange == exchange,
                TrackedOrder.order_id == order_id,
                TrackedOrder.confirmation_id.is_(None),
            )
            .values(confirmation_id=confirmation_id, chat_id=chat_id)
        )
    return False


async def get(
    session: AsyncSession, user_id: int, exchange: str, order_id: str
) -> TrackedOrder | None:
    rows = await session.scalars(
        select(TrackedOrder).where(
            TrackedOrder.user_id == user_id,
            TrackedOrder.exchange == exchange,
            TrackedOrder.order_id == order_id,
        )
    )
    return rows.first()


async def advance(
    session: AsyncSession, row: TrackedOrder, *, filled: Decimal, status: str
) -> bool:
    """Record a new fill/status if it differs from the row's; True for the one writer."""
    result: Any = await session.execute(
        update(TrackedOrder)
        .where(
            TrackedOrder.id == row.id,
            TrackedOrder.filled == row.filled,
            TrackedOrder.status == row.status,
        )
        .values(filled=str(filled), status=status, updated_at=datetime.now(UTC))
    )
    return bool(result.rowcount == 1)


async def settle(
    session: AsyncSession,
    user_id: int,
    exchange: str,
    order_id: str,
    *,
    filled: Decimal,
    status: str,
) -> None:
    """Record a state the owner already saw (a cancel they confirmed): no alert for it."""
    await session.execute(
        update(TrackedOrder)
        .where(
            TrackedOrder.user_id == user_id,
            TrackedOrder.exchange == exchange,
            TrackedOrder.order_id == order_id,
        )
        .values(filled=str(filled), status=status, updated_at=datetime.now(UTC))
    )


async def open_of(
    session: AsyncSession, user_id: int | None = None, exchange: str | None = None
) -> Sequence[TrackedOrder]:
    query = select(TrackedOrder).where(TrackedOrder.status.in_(OPEN_STATES))
    if user_id is not None:
        query = query.where(TrackedOrder.user_id == user_id)
    if exchange is not None:
        query = query.where(TrackedOrder.exchange == exchange)
    return (await session.scalars(query.order_by(TrackedOrder.id))).all()


async def claimed_ids(
    session: AsyncSession, user_id: int, exchange: str, *, other_than: int
) -> set[str]:
    """Order ids already recorded as the result of some other confirmation."""
    rows = await session.scalars(
        select(TrackedOrder.order_id).where(
            TrackedOrder.user_id == user_id,
            TrackedOrder.exchange == exchange,
            TrackedOrder.confirmation_id.is_not(None),
            TrackedOrder.confirmation_id != other_than,
        )
    )
    return set(rows.all())


async def connected(session: AsyncSession, exchanges: Collection[str]) -> list[tuple[int, str]]:
    """(user, exchange) of every connected account on these exchanges."""
    rows = await session.execute(
        select(Account.user_id, Account.exchange)
        .where(Account.exchange.in_(tuple(exchanges)))
        .order_by(Account.id)
    )
    return [(int(u), str(e)) for u, e in rows.all()]


async def open_count(session: AsyncSession, user_id: int, exchange: str) -> int:
    value = await session.scalar(
        select(func.count())
        .select_from(TrackedOrder)
        .where(
            TrackedOrder.user_id == user_id,
            TrackedOrder.exchange == exchange,
            TrackedOrder.status.in_(OPEN_STATES),
        )
    )
    return int(value or 0)


async def seen_deposits(session: AsyncSession, user_id: int, exchange: str) -> set[str] | None:
    """The deposit ids already known, or None before the first look (nothing to announce)."""
    row = await session.get(AccountCursor, (user_id, exchange))
    return None if row is None else set(row.deposit_ids)


async def remember_deposits(
    session: AsyncSession, user_id: int, exchange: str, ids: Sequence[str]
) -> None:
    """Add ``ids`` (newest first) to what is known, keeping the newest few hundred."""
    row = await session.get(AccountCursor, (user_id, exchange))
    now = datetime.now(UTC)
    if row is None:
        # Two looks at one account (stream catch-up and a poll) may both find no cursor;
        # PostgreSQL lets both insert, so the second one merges into the first's row.
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(
            insert(AccountCursor)
            .values(
                user_id=user_id,
                exchange=exchange,
                deposit_ids=list(dict.fromkeys(ids))[:DEPOSIT_MEMORY],
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
        row = await session.get(AccountCursor, (user_id, exchange), populate_existing=True)
        assert row is not None
    merged = list(dict.fromkeys([*ids, *row.deposit_ids]))[:DEPOSIT_MEMORY]
    row.deposit_ids = merged
    row.updated_at = now
