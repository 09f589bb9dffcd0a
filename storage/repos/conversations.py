"""Rows of ``conversation_states``: read, written and dropped one key at a time.

The payload arrives sealed (``storage.secrets.Sealed``); this module never sees it in
clear. A write is delete-then-insert in one transaction, so two replicas writing the
same key end with one row (the later one), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState, utcnow
from storage.secrets import Sealed


async def get(session: AsyncSession, scope: str, key: str) -> ConversationState | None:
    return await session.get(ConversationState, (scope, key), populate_existing=True)


async def all_of(session: AsyncSession, scope: str) -> list[ConversationState]:
    found = await session.scalars(select(ConversationState).where(ConversationState.scope == scope))
    return list(found)


async def put(
    session: AsyncSession,
    scope: str,
    key: str,
    owner: int,
    sealed: Sealed,
    at: datetime | None = None,
) -> None:
    await drop(session, scope, key)
    session.add(
        ConversationState(
            scope=scope,
            key=key,
            owner=owner,
            key_id=sealed.key_id,
            wrapped_key=sealed.wrapped_key,
            ciphertext=sealed.ciphertext,
            updated_at=at or utcnow(),
        )
    )


async def drop(session: AsyncSession, scope: str, key: str) -> None:
    await session.execute(
        delete(ConversationState).where(
            ConversationState.scope == scope, ConversationState.key == key
        )
    )


def sealed_of(row: ConversationState) -> Sealed:
    return Sealed(row.key_id, row.wrapped_key, row.ciphertext)
