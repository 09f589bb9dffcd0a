"""Price feeds: the rows behind ``bot/feeds``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat, Feed

ACTIVE = "active"
PAUSED = "paused"


async def add(session: AsyncSession, **values: Any) -> Feed:
    feed = Feed(state=ACTIVE, posts=0, **values)
    session.add(feed)
    await session.flush()
    return feed


async def get(session: AsyncSession, feed_id: int) -> Feed | None:
    return await session.get(Feed, feed_id)


async def get_many(session: AsyncSession, ids: Sequence[int]) -> Sequence[Feed]:
    rows = await session.scalars(select(Feed).where(Feed.id.in_(list(ids))))
    return rows.all()


async def languages(session: AsyncSession, chat_ids: set[int]) -> dict[int, str | None]:
    """The chosen language of each chat (chats without a choice are left out)."""
    if not chat_ids:
        return {}
    rows = await session.execute(select(Chat.id, Chat.language).where(Chat.id.in_(chat_ids)))
    return {chat_id: language for chat_id, language in rows.all()}


async def of_chat(session: AsyncSession, chat_id: int) -> Sequence[Feed]:
    rows = await session.scalars(select(Feed).where(Feed.chat_id == chat_id).order_by(Feed.id))
    return rows.all()


async def of_kind(session: AsyncSession, kind: str) -> Sequence[Feed]:
    rows = await session.scalars(select(Feed).where(Feed.chat_kind == kind).order_by(Feed.id))
    return rows.all()


async def active(session: AsyncSession) -> Sequence[Feed]:
    rows = await session.scalars(select(Feed).where(Feed.state == ACTIVE).order_by(Feed.id))
    return rows.all()


async def active_in_chat(session: AsyncSession, chat_id: int) -> Sequence[Feed]:
    rows = await session.scalars(
        select(Feed).where(Feed.chat_id == chat_id, Feed.state == ACTIVE).order_by(Feed.id)
    )
    return rows.all()


async def set_state(
    session: AsyncSession, feed_id: int, state: str, reason: str | None, next_at: datetime
) -> bool:
    result = await session.execute(
        update(Feed)
        .where(Feed.id == feed_id)
        .values(state=state, paused_reason=reason, next_at=next_at)
    )
    return bool(getattr(result, "rowcount", 0))


async def pause_chat(
    session: AsyncSession, chat_id: int, reason: str, *, only: int | None = None
) -> list[Feed]:
    """Every active feed of the chat (or just feed ``only``) becomes paused; returns them."""
    feeds = [f for f in await active_in_chat(session, chat_id) if only is None or f.id == only]
    for feed in feeds:
        feed.state = PAUSED
        feed.paused_reason = reason
    return feeds


async def retarget(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    result = await session.execute(
        update(Feed).where(Feed.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete(session: AsyncSession, feed_id: int) -> bool:
    feed = await session.get(Feed, feed_id)
    if feed is None:
        return False
    await session.delete(feed)
    return True


async def record_post(
    session: AsyncSession,
    feed_id: int,
    *,
    next_at: datetime,
    posted_at: datetime | None,
    message_id: int | None,
    last_key: str | None,
    last_prices: dict[str, str] | None,
) -> None:
    """After a run: the next due time, and what was posted (None: nothing was)."""
    values: dict[str, Any] = {"next_at": next_at}
    if posted_at is not None:
        values.update(
            last_post_at=posted_at,
            message_id=message_id,
            last_key=last_key,
            last_prices=last_prices,
            posts=Feed.posts + 1,
        )
    await session.execute(update(Feed).where(Feed.id == feed_id).values(**values))


async def reschedule(session: AsyncSession, feed_id: int, next_at: datetime) -> None:
    await session.execute(update(Feed).where(Feed.id == feed_id).values(next_at=next_at))
