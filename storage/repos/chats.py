"""Chats and their language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat


async def language_of(session: AsyncSession, chat_id: int) -> str | None:
    return await session.scalar(select(Chat.language).where(Chat.id == chat_id))


async def set_language(
    session: AsyncSession, chat_id: int, kind: str, language: str, title: str | None = None
) -> None:
    chat = await session.get(Chat, chat_id)
    if chat is None:
        session.add(Chat(id=chat_id, kind=kind, title=title, language=language))
    else:
        chat.language = language
        chat.kind = kind
        if title is not None:
            chat.title = title
