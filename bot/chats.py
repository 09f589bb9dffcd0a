"""Per-chat preferences (the reply language), read on every update, so cached in memory.

The database is the source of truth; the cache only saves a query per message and is
updated in the same call that writes, so this process never serves a stale value.
"""

from __future__ import annotations

from bot.i18n import I18n, Lang
from storage.db import Database
from storage.repos import chats


class ChatPreferences:
    def __init__(self, db: Database, i18n: I18n) -> None:
        self.db = db
        self.i18n = i18n
        self._languages: dict[int, str | None] = {}

    async def language(self, chat_id: int | None, client_language: str | None) -> Lang:
        """The chat's chosen language, else the user's Telegram client language if ours."""
        chosen: str | None = None
        if chat_id is not None:
            if chat_id not in self._languages:
                async with self.db.session() as session:
                    self._languages[chat_id] = await chats.language_of(session, chat_id)
            chosen = self._languages[chat_id]
        return self.i18n.get(chosen or client_language)

    async def set_language(self, chat_id: int, kind: str, code: str, title: str | None) -> Lang:
        async with self.db.session() as session:
            await chats.set_language(session, chat_id, kind, code, title)
        self._languages[chat_id] = code
        return self.i18n.get(code)
