"""A bot's pending updates and getUpdates semantics.

Telegram keeps updates until the bot confirms them with a higher ``offset``; returning
them does not consume them.  ``allowed_updates`` is a stored setting applied when an
update is created (so it does not filter what is already queued), a second concurrent
getUpdates ends the first with 409, and a set webhook makes getUpdates a 409 too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .errors import conflict
from .notify import ChangeSignal

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
DEFAULT_ALLOWED = frozenset(UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
MAX_LIMIT = 100


@dataclass
class PendingUpdate:
    update_id: int
    type: str
    payload: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.type: self.payload}


def parse_allowed(value: Any) -> frozenset[str] | None:
    """None means "keep the previous setting"; an empty list means Telegram's default."""
    if value is None:
        return None
    if not isinstance(value, list):
        return None
    chosen = frozenset(str(item) for item in value) & frozenset(UPDATE_TYPES)
    return chosen or DEFAULT_ALLOWED


class UpdateQueue:
    def __init__(self) -> None:
        self.pending: list[PendingUpdate] = []
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.webhook_active = False
        self.closed = False
        self.signal = ChangeSignal()
        self._next_id = 1
        self._poll_generation = 0

    def push(self, update_type: str, payload: dict[str, Any]) -> PendingUpdate | None:
        """Queue an update unless the bot's allowed_updates excludes its type."""
        if update_type not in self.allowed:
            return None
        update = PendingUpdate(self._next_id, update_type, payload)
        self._next_id += 1
        self.pending.append(update)
        self.signal.notify()
        return update

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_all(self) -> None:
        self.pending.clear()

    def wake_all(self) -> None:
        self.signal.notify()

    async def get_updates(
        self, offset: int, limit: int, poll_seconds: float, allowed: frozenset[str] | None
    ) -> list[PendingUpdate]:
        if self.webhook_active:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        if allowed is not None:
            self.allowed = allowed
        self.confirm(offset)
        limit = min(max(limit, 1), MAX_LIMIT)
        self._poll_generation += 1
        generation = self._poll_generation
        self.signal.notify()
        deadline = time.monotonic() + max(poll_seconds, 0.0)
        while True:
            change = self.signal.snapshot()
            if generation != self._poll_generation:
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            if self.webhook_active:
                raise conflict(
                    "can't use getUpdates method while webhook is active; use deleteWebhook "
                    "to delete the webhook first"
                )
            remaining = deadline - time.monotonic()
            if self.pending or remaining <= 0 or self.closed:
                return self.pending[:limit]
            await ChangeSignal.wait(change, remaining)
