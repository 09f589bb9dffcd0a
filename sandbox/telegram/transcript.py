"""Every chat's history as its users see it, and waiting for the bot to say something.

A private conversation belongs to one user and one bot (chat id = user id on both
sides, yet two bots never share it); a group or channel is one history for everyone.
Every change is an event, so a waiter can ask for "the bot's next message or edit after
this point" without polling and without missing a reply that came before it looked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .messages import StoredMessage
from .models import Chat
from .notify import ChangeSignal

DialogKey = tuple[int, int]
Predicate = Callable[[dict[str, Any]], bool]


class EmulatorTimeout(TimeoutError):
    """No matching bot message in time; the message carries the end of the transcript."""


@dataclass
class MessageEvent:
    kind: str
    message_id: int
    by_bot: bool
    actor_id: int | None
    snapshot: dict[str, Any]


@dataclass
class Dialog:
    key: DialogKey
    chat: Chat
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[MessageEvent] = field(default_factory=list)
    pinned: list[int] = field(default_factory=list)
    next_id: int = 1

    def get(self, message_id: int) -> StoredMessage | None:
        return self.messages.get(message_id)

    def live(self, message_id: int) -> StoredMessage | None:
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message

    def last_user_action(self) -> int:
        for index in range(len(self.events) - 1, -1, -1):
            if not self.events[index].by_bot:
                return index
        return -1

    def sent_event(self, message_id: int) -> int:
        for index, event in enumerate(self.events):
            if event.kind == "sent" and event.message_id == message_id:
                return index
        raise ValueError(f"chat {self.chat.id} has no message #{message_id}")

    def tail(self, count: int = 10) -> str:
        lines = [m.describe() for m in list(self.messages.values())[-count:]]
        return "\n".join(lines) if lines else "(no messages)"


class MessageStore:
    def __init__(self) -> None:
        self._dialogs: dict[DialogKey, Dialog] = {}
        self.signal = ChangeSignal()

    @staticmethod
    def key(chat: Chat, bot_id: int) -> DialogKey:
        return (chat.id, bot_id if chat.is_private else 0)

    def dialog(self, chat: Chat, bot_id: int) -> Dialog:
        key = self.key(chat, bot_id)
        found = self._dialogs.get(key)
        if found is None:
            found = self._dialogs[key] = Dialog(key, chat)
        return found

    def find(self, chat: Chat, bot_id: int) -> Dialog | None:
        return self._dialogs.get(self.key(chat, bot_id))

    def allocate_id(self, dialog: Dialog) -> int:
        message_id = dialog.next_id
        dialog.next_id += 1
        return message_id

    def add(self, dialog: Dialog, message: StoredMessage, actor_id: int | None) -> None:
        dialog.messages[message.message_id] = message
        self.record(dialog, "sent", message, actor_id, message.from_bot)

    def record(
        self,
        dialog: Dialog,
        kind: str,
        message: StoredMessage,
        actor_id: int | None,
        by_bot: bool,
    ) -> None:
        """Note a change to ``message``; ``by_bot`` tells whose action it was."""
        dialog.events.append(
            MessageEvent(kind, message.message_id, by_bot, actor_id, message.to_transcript())
        )
        self.signal.notify()

    async def wait_for_bot_message(
        self,
        dialog: Dialog,
        after_message_id: int | None,
        predicate: Predicate | None,
        within: float,
        sender_id: int | None,
    ) -> dict[str, Any]:
        """The first bot send or edit after the mark that matches; see the module doc.

        The deadline is real time even when the emulator runs on a manual clock: it bounds
        how long a test waits, not anything Telegram would measure.
        """
        if after_message_id is None:
            index = dialog.last_user_action()
            mark = f"the last user action (event {index + 1})"
        else:
            index = dialog.sent_event(after_message_id)
            mark = f"message #{after_message_id}"
        deadline = time.monotonic() + within
        scanned = index + 1
        while True:
            change = self.signal.snapshot()
            for event in dialog.events[scanned:]:
                if (
                    event.by_bot
                    and event.kind in ("sent", "edited")
                    and (sender_id is None or event.actor_id == sender_id)
                    and (predicate is None or predicate(event.snapshot))
                ):
                    return event.snapshot
            scanned = len(dialog.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await ChangeSignal.wait(change, remaining):
                raise EmulatorTimeout(
                    f"no matching bot message in chat {dialog.chat.id} after {mark} within "
                    f"{within}s; transcript tail:\n{dialog.tail()}"
                )
