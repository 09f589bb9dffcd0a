"""Wake-ups for waiters that is safe to trigger from synchronous code.

``asyncio.Condition`` needs its lock to notify, which synchronous state changes (a user
blocking the bot, a test adding an update) cannot take.  Here each change sets the current
event and replaces it, so every waiter that looked at the old state is woken exactly once.
"""

from __future__ import annotations

import asyncio


class ChangeSignal:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def snapshot(self) -> asyncio.Event:
        """Take before checking the state, then wait on it: no change can slip in between."""
        return self._event

    @staticmethod
    async def wait(event: asyncio.Event, seconds: float) -> bool:
        """Wait for a change; False when ``seconds`` passed first."""
        if seconds <= 0:
            return event.is_set()
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True
