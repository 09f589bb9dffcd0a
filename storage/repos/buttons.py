"""One-time buttons: issued with an owner and an expiry, claimed atomically once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Button


async def issue(
    session: AsyncSession,
    token: str,
    *,
    user_id: int,
    chat_id: int,
    action: str,
    payload: dict[str, Any],
    expires_at: datetime,
    group_id: str | None = None,
) -> None:
    session.add(
        Button(
            token=token,
            user_id=user_id,
            chat_id=chat_id,
            action=action,
            payload=payload,
            group_id=group_id,
            expires_at=expires_at,
        )
    )


def insert_many(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Several ``issue`` in one round trip (Core ``executemany``), for a hot path that
    cannot afford the unit of work's flush: each row has ``issue``'s keyword names."""
    if rows:
        connection.execute(insert(cast(Table, Button.__table__)), rows)


async def get(session: AsyncSession, token: str) -> Button | None:
    return await session.get(Button, token)


async def claim(session: AsyncSession, token: str, user_id: int, now: datetime) -> bool:
    """Mark the button used if it is this user's, unused and unexpired; True if we won.

    The button's siblings (same ``group_id``: Confirm and Cancel of one summary) are
    spent with it, so a summary can be answered once, whichever button is pressed.
    """
    result: Any = await session.execute(
        update(Button)
        .where(
            Button.token == token,
            Button.user_id == user_id,
            Button.used_at.is_(None),
            Button.expires_at > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:
        return False
    button = await session.get(Button, token)
    if button is not None and button.group_id is not None:
        await session.execute(
            update(Button)
            .where(Button.group_id == button.group_id, Button.used_at.is_(None))
            .values(used_at=now)
        )
    return True
