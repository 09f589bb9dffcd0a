"""The second step of a money movement: a one-time code the user must type back.

After Confirm, the bot sends a 6-digit code (``secrets``) in a message of its own and
waits for it to be typed back: a deliberate pause between "yes" and money leaving,
which a stray tap cannot pass. Three wrong codes or two minutes end the challenge.

The code is kept only as an HMAC under a per-challenge random key (never in clear,
never logged), in this process's memory: a restart forgets every challenge, which is
safe, since nothing was sent before the code came back, and the user starts again.
A challenge is consumed synchronously (no ``await`` between look-up and removal), so
a code typed twice, or two messages handled at once, release the action once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

CODE_DIGITS = 6
LIFETIME_SECONDS = 120.0
MAX_ATTEMPTS = 3

_DIGIT_MAP = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def normalise(typed: str) -> str:
    """What the user typed, as ASCII digits without spaces (``۱۲۳ ۴۵۶`` → ``123456``)."""
    return "".join(typed.translate(_DIGIT_MAP).split()).replace("-", "")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # attempts left
    LOCKED = "locked"  # the last attempt was wrong: the challenge is over
    EXPIRED = "expired"
    NONE = "none"  # no challenge for this user


@dataclass(slots=True)
class Challenge:
    """One pending code. ``action`` is what it releases; ``message_ids`` the messages
    to delete when it ends (the one that carried the code)."""

    user_id: int
    digest: bytes = field(repr=False)
    key: bytes = field(repr=False)
    expires_at: float
    action: dict[str, Any]
    attempts_left: int = MAX_ATTEMPTS
    message_ids: list[int] = field(default_factory=list)

    def matches(self, typed: str) -> bool:
        candidate = hmac.new(self.key, normalise(typed).encode(), hashlib.sha256).digest()
        return hmac.compare_digest(candidate, self.digest)


@dataclass(frozen=True, slots=True)
class Check:
    outcome: Outcome
    challenge: Challenge | None = None
    attempts_left: int = 0


class OneTimeCodes:
    """Challenges by Telegram user id: at most one at a time per user (a new one
    replaces the old, whose action is then never released)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        lifetime: float = LIFETIME_SECONDS,
        attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.attempts = attempts
        self._by_user: dict[int, Challenge] = {}

    def issue(self, user_id: int, action: dict[str, Any]) -> tuple[str, Challenge]:
        """A new code for ``action``; the code is returned once, to be sent, and not kept."""
        code = new_code()
        key = secrets.token_bytes(32)
        challenge = Challenge(
            user_id=user_id,
            digest=hmac.new(key, code.encode(), hashlib.sha256).digest(),
            key=key,
            expires_at=self.clock() + self.lifetime,
            action=action,
            attempts_left=self.attempts,
        )
        self._by_user[user_id] = challenge
        return code, challenge

    def pending(self, user_id: int) -> Challenge | None:
        """The user's live challenge (an expired one still counts until it is answered,
        so the user hears that it expired instead of their code falling through)."""
        return self._by_user.get(user_id)

    def check(self, user_id: int, typed: str) -> Check:
        challenge = self._by_user.get(user_id)
        if challenge is None:
            return Check(Outcome.NONE)
        if self.clock() >= challenge.expires_at:
            del self._by_user[user_id]
            return Check(Outcome.EXPIRED, challenge)
        if challenge.matches(typed):
            del self._by_user[user_id]
            return Check(Outcome.ACCEPTED, challenge)
        challenge.attempts_left -= 1
        if challenge.attempts_left <= 0:
            del self._by_user[user_id]
            return Check(Outcome.LOCKED, challenge)
        return Check(Outcome.WRONG, challenge, challenge.attempts_left)

    def cancel(self, user_id: int) -> Challenge | None:
        return self._by_user.pop(user_id, None)

    def expired(self, grace: float = 0.0) -> list[Challenge]:
        """Remove and return every challenge ``grace`` seconds past its time (to tidy up
        their messages; within the grace a late code still hears that it expired)."""
        now = self.clock()
        gone = [c for c in self._by_user.values() if now >= c.expires_at + grace]
        for challenge in gone:
            del self._by_user[challenge.user_id]
        return gone
