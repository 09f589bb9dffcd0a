"""``/stats``: the operator's figures, read from the database and the live services.

Counts come from the database (so any replica answers for the whole deployment);
stream health is this process's view, and says whether this replica is the leader
(only the leader runs the streams, so a follower shows them idle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Account, Alert, Base, BotUser, Broadcast, Chat
from storage.repos import outbox


@dataclass
class Stats:
    users_started: int = 0
    users_blocked: int = 0
    users_connected: int = 0
    chats: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    feeds: dict[str, int] | None = None
    outbox: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    broadcasts_running: int = 0
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    leader: bool | None = None


async def _grouped(session: AsyncSession, column: Any) -> dict[str, int]:
    result = await session.execute(select(column, func.count()).group_by(column))
    return {str(key): int(n) for key, n in result.all()}


async def _feeds(session: AsyncSession) -> dict[str, int] | None:
    """Feeds by state, when the feeds table is part of this release."""
    table = Base.metadata.tables.get("feeds")
    if not isinstance(table, Table):
        return None
    for name in ("state", "status", "active"):
        if name in table.c:
            return await _grouped(session, table.c[name])
    count = await session.scalar(select(func.count()).select_from(table))
    return {"all": int(count or 0)}


async def collect(
    db: Database,
    streams: Callable[[], dict[str, dict[str, Any]]] | None = None,
    leader: Callable[[], bool] | None = None,
) -> Stats:
    stats = Stats()
    async with db.session() as session:
        stats.users_started = int(
            await session.scalar(select(func.count()).select_from(BotUser)) or 0
        )
        stats.users_blocked = int(
            await session.scalar(
                select(func.count()).select_from(BotUser).where(BotUser.blocked_at.is_not(None))
            )
            or 0
        )
        stats.users_connected = int(
            await session.scalar(select(func.count(func.distinct(Account.user_id)))) or 0
        )
        stats.chats = await _grouped(session, Chat.kind)
        stats.alerts = await _grouped(session, Alert.state)
        stats.feeds = await _feeds(session)
        stats.outbox = await outbox.counts(session)
        stats.accounts = await _grouped(session, Account.exchange)
        stats.broadcasts_running = int(
            await session.scalar(
                select(func.count()).select_from(Broadcast).where(Broadcast.state == "running")
            )
            or 0
        )
    if streams is not None:
        stats.streams = streams()
    if leader is not None:
        stats.leader = leader()
    return stats
