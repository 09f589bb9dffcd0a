"""Updates from different chats in parallel; each chat's updates one at a time, in order.

python-telegram-bot processes one update at a time by default, so one user's slow
command (an exchange taking seconds to answer) holds up every other user — the limit a
busy bot or a webhook replica hits first. Its ``concurrent_updates(True)`` would run a
chat's own messages out of order, which the step-by-step dialogues (``/connect``, the
withdrawal code) must never see. This processor runs up to ``max_concurrent_updates``
updates at once but takes a per-chat lock first: tasks reach the lock in the order the
updates arrived (the processor's semaphore queues fairly and nothing awaits before the
lock), so a chat's updates still run strictly one after another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (the user for updates without a chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this chat: forget it
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
