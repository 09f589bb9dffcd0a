"""Telegram's flood limits for bots, with the 429 reply it gives when one is hit.

Three limits apply together: a token bucket per chat (a short burst, then about one
message a second), a sliding minute per group, supergroup or channel, and a sliding
second across all chats of one bot.  A refused request consumes nothing, and its
``retry_after`` is the whole number of seconds after which every limit would pass.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from .clock import Clock
from .errors import too_many_requests


@dataclass
class FloodLimits:
    enabled: bool = True
    chat_burst: int = 3
    chat_refill_per_second: float = 1.0
    group_messages: int = 20
    group_window_seconds: float = 60.0
    bot_messages: int = 30
    bot_window_seconds: float = 1.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FloodControl:
    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple[int, int], _Bucket] = {}
        self._group_windows: dict[tuple[int, int], deque[float]] = {}
        self._bot_windows: dict[int, deque[float]] = {}

    def send(self, bot_id: int, chat_id: int, group_like: bool) -> None:
        """Admit one outgoing message or raise the 429 ApiError."""
        if not self.limits.enabled:
            return
        now = self._clock()
        bucket = self._refilled(bot_id, chat_id, now)
        group = self._group_windows.setdefault((bot_id, chat_id), deque()) if group_like else None
        overall = self._bot_windows.setdefault(bot_id, deque())
        waits = [self._bucket_wait(bucket)]
        if group is not None:
            waits.append(
                self._window_wait(
                    group, self.limits.group_messages, self.limits.group_window_seconds, now
                )
            )
        waits.append(
            self._window_wait(
                overall, self.limits.bot_messages, self.limits.bot_window_seconds, now
            )
        )
        self._refuse_if_waiting(max(waits))
        bucket.tokens -= 1
        if group is not None:
            group.append(now)
        overall.append(now)

    def edit(self, bot_id: int, chat_id: int) -> None:
        """Edits share the per-chat bucket with sends but not the group or bot-wide windows."""
        if not self.limits.enabled:
            return
        bucket = self._refilled(bot_id, chat_id, self._clock())
        self._refuse_if_waiting(self._bucket_wait(bucket))
        bucket.tokens -= 1

    def reset(self) -> None:
        self._buckets.clear()
        self._group_windows.clear()
        self._bot_windows.clear()

    @staticmethod
    def _refuse_if_waiting(wait: float) -> None:
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait - 1e-9)))

    def _refilled(self, bot_id: int, chat_id: int, now: float) -> _Bucket:
        capacity = float(self.limits.chat_burst)
        bucket = self._buckets.setdefault((bot_id, chat_id), _Bucket(capacity, now))
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(capacity, bucket.tokens + elapsed * self.limits.chat_refill_per_second)
        bucket.updated = now
        return bucket

    def _bucket_wait(self, bucket: _Bucket) -> float:
        if bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) / self.limits.chat_refill_per_second

    @staticmethod
    def _window_wait(window: deque[float], limit: int, span: float, now: float) -> float:
        while window and window[0] <= now - span:
            window.popleft()
        if len(window) < limit:
            return 0.0
        return window[len(window) - limit] + span - now
