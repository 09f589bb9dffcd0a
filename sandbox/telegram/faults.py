"""Failures a test orders from the emulator, beyond those Telegram decides itself.

Real Bot API traffic also meets a gateway answering 5xx, a connection reset in the
middle of a request, and chats that became supergroups (every call naming the old id
is refused with ``migrate_to_chat_id``). Switches, all off by default:

- ``fail(method, "5xx"|"reset", times=N)``: the next N calls of ``method`` fail that way,
  without being carried out (a reset happens before Telegram acted);
- ``fail(method, "429", times=N, retry_after=S)``: the next N calls get Telegram's flood
  answer, 429 with ``parameters.retry_after`` = S, whatever the flood limits say (the
  emulator's own flood control answers 429 only when a limit is really passed);
- ``migrate(old_chat_id, new_chat_id)``: from now on, a call with ``chat_id`` equal to the
  old id gets Telegram's 400 with ``parameters.migrate_to_chat_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ApiError

GATEWAY = ApiError(502, "Bad Gateway")


@dataclass
class TelegramFaults:
    _pending: dict[str, list[str | ApiError]] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    injected: list[tuple[str, str]] = field(default_factory=list)
    """(method, kind) of every failure served, in order."""

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        if kind not in ("5xx", "reset", "429"):
            raise ValueError(f"unknown fault {kind!r}: use 5xx, reset or 429")
        planned: str | ApiError = kind
        if kind == "429":
            planned = ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        self._pending.setdefault(method.lower(), []).extend([planned] * times)

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        self.migrated[old_chat_id] = new_chat_id

    def clear(self) -> None:
        self._pending.clear()
        self.migrated.clear()

    def take(self, method: str, chat_id: object) -> str | ApiError | None:
        """What to do instead of the call: "reset", an ApiError to answer, or None."""
        queue = self._pending.get(method.lower())
        if queue:
            kind = queue.pop(0)
            if isinstance(kind, ApiError):
                self.injected.append((method, "429"))
                return kind
            self.injected.append((method, kind))
            return GATEWAY if kind == "5xx" else kind
        try:
            target = int(str(chat_id)) if chat_id is not None else None
        except ValueError:
            target = None
        if target is not None and target in self.migrated:
            self.injected.append((method, "migrated"))
            return ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[target]},
            )
        return None
