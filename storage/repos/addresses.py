"""The address book: addresses a user saved per exchange and currency.

``network`` and ``memo`` are stored as "" when absent (see ``SavedAddress``), so
"the same address" is a plain equality on every column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SavedAddress, utcnow


async def add(
    session: AsyncSession,
    *,
    user_id: int,
    exchange: str,
    currency: str,
    address: str,
    network: str = "",
    memo: str = "",
    label: str | None = None,
) -> bool:
    """Save an address; False (and the existing row kept) if it is saved already."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "exchange": exchange,
        "currency": currency,
        "address": address,
        "network": network,
        "memo": memo,
        "label": label,
        "created_at": utcnow(),
    }
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = make(SavedAddress).values(values).on_conflict_do_nothing()
    result: Any = await session.execute(statement)
    return bool(result.rowcount == 1)


async def find(
    session: AsyncSession,
    *,
    user_id: int,
    exchange: str,
    currency: str,
    address: str,
    network: str = "",
    memo: str = "",
    any_network: bool = False,
) -> SavedAddress | None:
    """The saved row for exactly this address; with ``any_network``, one saved without a
    network also matches (the user vouched for the address, whatever the network)."""
    found: SavedAddress | None = await session.scalar(
        select(SavedAddress)
        .where(
            SavedAddress.user_id == user_id,
            SavedAddress.exchange == exchange,
            SavedAddress.currency == currency,
            SavedAddress.address == address,
            SavedAddress.network.in_({network, ""})
            if any_network
            else SavedAddress.network == network,
            SavedAddress.memo == memo,
        )
        .order_by(SavedAddress.id)
        .limit(1)
    )
    return found


async def of_user(session: AsyncSession, user_id: int) -> list[SavedAddress]:
    rows = await session.scalars(
        select(SavedAddress)
        .where(SavedAddress.user_id == user_id)
        .order_by(SavedAddress.exchange, SavedAddress.currency, SavedAddress.id)
    )
    return list(rows)


async def count(session: AsyncSession, user_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(SavedAddress).where(SavedAddress.user_id == user_id)
    )
    return int(found or 0)


async def remove(session: AsyncSession, user_id: int, address_id: int) -> bool:
    """Delete one of the user's own addresses; False if there is none with that id."""
    result: Any = await session.execute(
        delete(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.user_id == user_id)
    )
    return bool(result.rowcount == 1)
