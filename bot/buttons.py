"""Inline buttons as opaque one-time tokens; what they mean stays on the server.

Callback data is untrusted input, so it carries only a random token. The token's row
says who may press it, what it does and until when; a press is honoured once, by
its owner, before it expires — decided by one conditional UPDATE in the database.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.repos import buttons

PREFIX = "b:"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what secrets.token_urlsafe draws


class Refusal(StrEnum):
    UNKNOWN = "unknown"
    NOT_YOURS = "not_yours"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Press:
    """A valid press: the action and payload the button was issued with."""

    action: str
    payload: dict[str, Any]
    chat_id: int


class ButtonService:
    def __init__(self, db: Database, *, ttl: timedelta = timedelta(minutes=10)) -> None:
        self.db = db
        self.ttl = ttl

    async def issue(
        self,
        user_id: int,
        chat_id: int,
        choices: list[tuple[str, dict[str, Any]]],
        *,
        ttl: timedelta | None = None,
    ) -> list[str]:
        """Callback data for each (action, payload); all of one group (pressing one spends all)."""
        async with self.db.session() as session:
            return await self.issue_in(session, user_id, chat_id, choices, ttl=ttl)

    async def issue_in(
        self,
        session: AsyncSession,
        user_id: int,
        chat_id: int,
        choices: list[tuple[str, dict[str, Any]]],
        *,
        ttl: timedelta | None = None,
    ) -> list[str]:
        """``issue`` inside the caller's transaction (a message and its buttons in one commit)."""
        group = secrets.token_urlsafe(12)
        expires = datetime.now(UTC) + (ttl or self.ttl)
        tokens = []
        for action, payload in choices:
            token = secrets.token_urlsafe(16)
            await buttons.issue(
                session,
                token,
                user_id=user_id,
                chat_id=chat_id,
                action=action,
                payload=payload,
                expires_at=expires,
                group_id=group,
            )
            tokens.append(PREFIX + token)
        return tokens

    async def press(self, data: str, user_id: int) -> Press | Refusal:
        if not data.startswith(PREFIX):
            return Refusal.UNKNOWN
        token = data[len(PREFIX) :]
        if not _TOKEN.fullmatch(token):  # forged: never worth a query (PostgreSQL refuses NUL)
            return Refusal.UNKNOWN
        now = datetime.now(UTC)
        async with self.db.session() as session:
            if await buttons.claim(session, token, user_id, now):
                row = await buttons.get(session, token)
                assert row is not None
                return Press(row.action, dict(row.payload), row.chat_id)
            row = await buttons.get(session, token)
            if row is None:
                return Refusal.UNKNOWN
            if row.user_id != user_id:
                return Refusal.NOT_YOURS
            if row.used_at is not None:
                return Refusal.USED
            return Refusal.EXPIRED
