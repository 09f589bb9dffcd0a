"""Users and their connected accounts (rows hold sealed credentials only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, User, utcnow
from storage.secrets import Sealed


async def ensure_user(
    session: AsyncSession, user_id: int, first_name: str | None, language_code: str | None
) -> None:
    if await session.get(User, user_id) is None:
        session.add(User(id=user_id, first_name=first_name, language_code=language_code))
        await session.flush()


async def save(
    session: AsyncSession,
    user_id: int,
    exchange: str,
    sealed: Sealed,
    key_hint: str,
    *,
    rights: dict[str, bool | None] | None,
    label: str | None,
) -> None:
    """Insert or replace the user's account on that exchange."""
    await session.execute(
        delete(Account).where(Account.user_id == user_id, Account.exchange == exchange)
    )
    session.add(
        Account(
            user_id=user_id,
            exchange=exchange,
            key_hint=key_hint,
            key_id=sealed.key_id,
            wrapped_key=sealed.wrapped_key,
            ciphertext=sealed.ciphertext,
            can_withdraw=(rights or {}).get("withdraw"),
            rights=rights,
            label=label,
        )
    )


async def of_user(session: AsyncSession, user_id: int) -> list[Account]:
    rows = await session.scalars(
        select(Account).where(Account.user_id == user_id).order_by(Account.exchange)
    )
    return list(rows)


async def get(session: AsyncSession, user_id: int, exchange: str) -> Account | None:
    found: Account | None = await session.scalar(
        select(Account).where(Account.user_id == user_id, Account.exchange == exchange)
    )
    return found


async def remove(session: AsyncSession, user_id: int, exchange: str) -> bool:
    result: Any = await session.execute(
        delete(Account).where(Account.user_id == user_id, Account.exchange == exchange)
    )
    return bool(result.rowcount)


async def touch(session: AsyncSession, account_id: int, when: datetime | None = None) -> None:
    await session.execute(
        update(Account).where(Account.id == account_id).values(last_used_at=when or utcnow())
    )


async def all_sealed(session: AsyncSession, batch: int = 500, after_id: int = 0) -> list[Account]:
    rows = await session.scalars(
        select(Account).where(Account.id > after_id).order_by(Account.id).limit(batch)
    )
    return list(rows)


def sealed_of(account: Account) -> Sealed:
    return Sealed(account.key_id, account.wrapped_key, account.ciphertext)


async def replace_seal(session: AsyncSession, account_id: int, sealed: Sealed) -> None:
    await session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(key_id=sealed.key_id, wrapped_key=sealed.wrapped_key, ciphertext=sealed.ciphertext)
    )
