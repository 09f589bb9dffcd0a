"""Knowing when the bot has finished with an update.

The demo chat and the end-to-end tests send a message and then need "every reply to
it is out" — not "the first reply arrived", since a command may answer in several
messages with slow upstream calls between them. A handler in a group after every
real one records each finished update.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler


class HandledUpdates:
    GROUP = 1_000_000  # after every real handler group

    def __init__(self) -> None:
        self._done: dict[str, asyncio.Event] = {}

    @classmethod
    def attach(cls, app: Application[Any, Any, Any, Any, Any, Any]) -> HandledUpdates:
        handled = cls()
        app.add_handler(TypeHandler(Update, handled.record), group=cls.GROUP)
        return handled

    def _event(self, key: str) -> asyncio.Event:
        return self._done.setdefault(key, asyncio.Event())

    async def record(self, update: object, _: object) -> None:
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            self._event(f"q:{update.callback_query.id}").set()
        elif update.effective_message is not None and update.effective_chat is not None:
            key = f"m:{update.effective_chat.id}:{update.effective_message.message_id}"
            self._event(key).set()

    async def wait(self, key: str) -> None:
        """Wait until the update with this key (``m:<chat>:<message>``/``q:<query>``) is handled."""
        await self._event(key).wait()
        self._done.pop(key, None)
