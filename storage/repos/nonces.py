"""Strictly increasing nonces per API key, shared by every process using the database.

One conditional UPDATE … RETURNING per nonce: atomic in PostgreSQL across replicas and
in SQLite (one writer at a time), so two calls never get the same number.
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Nonce


async def next_value(session: AsyncSession, scope: str, at_least: int = 0) -> int:
    stmt = (
        update(Nonce)
        .where(Nonce.scope == scope)
        .values(last=case((Nonce.last > at_least, Nonce.last), else_=at_least) + 1)
        .returning(Nonce.last)
    )
    value = await session.scalar(stmt)
    if value is not None:
        return int(value)
    try:
        async with session.begin_nested():
            session.add(Nonce(scope=scope, last=at_least + 1))
        return at_least + 1
    except IntegrityError:  # another process created the row first
        value = await session.scalar(stmt)
        assert value is not None
        return int(value)


async def current(session: AsyncSession, scope: str) -> int | None:
    value = await session.scalar(select(Nonce.last).where(Nonce.scope == scope))
    return None if value is None else int(value)
