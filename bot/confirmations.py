"""Actions that wait for their owner's Confirm, and count it exactly once.

Anything that moves money (an order, a cancel, a withdrawal, a coupon, a conversion) is
first written here as a *pending* row with its owner, chat, kind, payload and expiry,
and shown with Confirm / Cancel buttons (one-time tokens of ``bot/buttons.py``, bound
to the owner, spent together, expiring with the row). A row's states only move forward::

    pending ──confirm──▶ confirmed ──mark_sent──▶ sent ──▶ done | failed
       │                     └──────mark_failed──────────▶ failed
       └──▶ cancelled | expired

``confirm`` is one conditional UPDATE (pending, this user, unexpired → confirmed): the
single place "exactly once" is decided. Fifty concurrent presses, a press from before a
restart, a press after expiry — exactly one caller ever gets ``Confirmed``; every other
gets a ``Refusal`` and must do nothing.

API (``ConfirmationStore``):

- ``create(user_id=, chat_id=, kind=, payload=, client_ref=False, ttl=None) -> Pending``:
  the row plus its buttons' callback data (``Pending.confirm_data``/``cancel_data``,
  actions ``CONFIRM_ACTION``/``DECLINE_ACTION`` with payload ``{"id": row id}``).
  ``payload`` may hold Decimals (stored as strings; read back with ``decimal_of``).
  ``client_ref=True`` draws an idempotency reference (alphanumeric, 21 characters) to
  send upstream as a client order id / foreign id; a string is used as given.
- ``confirm(id, user_id) -> Confirmed | Refusal`` and ``cancel(id, user_id) -> Action |
  Refusal``.
- ``mark_sent(id)`` *before* the upstream call (from then on the outcome is unknown
  until recorded), ``mark_done(id, result)``, ``mark_failed(id, reason, result=None)``.
- ``unfinished(kinds)``: rows a crash left ``confirmed`` (never sent: safe to report
  as not sent) or ``sent`` (may have reached the exchange: reconcile, never resend).
- ``expire_stale()``, ``get(id)``, ``set_message(id, message_id)``.

Executing a confirmed action and recovering it is the kind's owner's job
(``bot/trading.py`` for ``order``/``cancel``); this module only keeps the states.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.buttons import ButtonService
from storage.db import Database
from storage.models import Confirmation
from storage.repos import confirmations as repo

CONFIRM_ACTION = "confirm"
DECLINE_ACTION = "confirm_no"
DEFAULT_TTL = timedelta(seconds=60)


class State(StrEnum):
    PENDING = repo.PENDING
    CONFIRMED = repo.CONFIRMED
    SENT = repo.SENT
    DONE = repo.DONE
    FAILED = repo.FAILED
    CANCELLED = repo.CANCELLED
    EXPIRED = repo.EXPIRED


class Refusal(StrEnum):
    """Why a Confirm or Cancel does nothing."""

    UNKNOWN = "unknown"
    NOT_YOURS = "not_yours"
    EXPIRED = "expired"
    ANSWERED = "answered"  # confirmed, cancelled or finished already


@dataclass(frozen=True, slots=True)
class Action:
    """A snapshot of one row."""

    id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    state: State
    client_ref: str | None
    result: dict[str, Any] | None
    error: str | None
    message_id: int | None
    created_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The one winning Confirm: the caller now executes ``action``."""

    action: Action


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    confirm_data: str
    cancel_data: str
    expires_at: datetime
    client_ref: str | None


def to_json(value: Any) -> Any:
    """Payload values as JSON: Decimals become strings (exact), containers recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def decimal_of(payload: Mapping[str, Any], key: str) -> Decimal | None:
    raw = payload.get(key)
    return None if raw is None else Decimal(str(raw))


def new_client_ref() -> str:
    """Alphanumeric, 21 characters: accepted as a client order id everywhere one is."""
    return "s" + secrets.token_hex(10)


def _snapshot(row: Confirmation) -> Action:
    return Action(
        id=row.id,
        user_id=row.user_id,
        chat_id=row.chat_id,
        kind=row.kind,
        payload=dict(row.payload),
        state=State(row.state),
        client_ref=row.client_ref,
        result=dict(row.result) if row.result is not None else None,
        error=row.error,
        message_id=row.message_id,
        created_at=repo.utc(row.created_at),
        expires_at=repo.utc(row.expires_at),
        confirmed_at=repo.utc(row.confirmed_at) if row.confirmed_at else None,
    )


class ConfirmationStore:
    def __init__(
        self,
        db: Database,
        buttons: ButtonService,
        *,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.buttons = buttons
        self.ttl = ttl
        self.clock = clock

    async def create(
        self,
        *,
        user_id: int,
        chat_id: int,
        kind: str,
        payload: Mapping[str, Any],
        client_ref: bool | str = False,
        ttl: timedelta | None = None,
    ) -> Pending:
        """A pending row and its Confirm/Cancel buttons, in one commit."""
        now = self.clock()
        lifetime = ttl or self.ttl
        ref = new_client_ref() if client_ref is True else (client_ref or None)
        async with self.db.session() as session:
            row = await repo.create(
                session,
                user_id=user_id,
                chat_id=chat_id,
                kind=kind,
                payload=to_json(payload),
                client_ref=ref,
                now=now,
                expires_at=now + lifetime,
            )
            confirm_data, cancel_data = await self.buttons.issue_in(
                session,
                user_id,
                chat_id,
                [(CONFIRM_ACTION, {"id": row.id}), (DECLINE_ACTION, {"id": row.id})],
                ttl=lifetime,
            )
            return Pending(row.id, confirm_data, cancel_data, now + lifetime, ref)

    async def get(self, confirmation_id: int) -> Action | None:
        async with self.db.session() as session:
            row = await repo.get(session, confirmation_id)
            return _snapshot(row) if row is not None else None

    async def _refusal(self, confirmation_id: int, user_id: int) -> Refusal:
        async with self.db.session() as session:
            row = await repo.get(session, confirmation_id)
            if row is None:
                return Refusal.UNKNOWN
            if row.user_id != user_id:
                return Refusal.NOT_YOURS
            if row.state == repo.PENDING or row.state == repo.EXPIRED:
                return Refusal.EXPIRED
            return Refusal.ANSWERED

    async def confirm(self, confirmation_id: int, user_id: int) -> Confirmed | Refusal:
        """The atomic pending → confirmed step; ``Confirmed`` for exactly one caller."""
        async with self.db.session() as session:
            won = await repo.confirm(session, confirmation_id, user_id, self.clock())
            row = await repo.get(session, confirmation_id) if won else None
            if row is not None:
                return Confirmed(_snapshot(row))
        return await self._refusal(confirmation_id, user_id)

    async def cancel(self, confirmation_id: int, user_id: int) -> Action | Refusal:
        async with self.db.session() as session:
            won = await repo.cancel(session, confirmation_id, user_id, self.clock())
            row = await repo.get(session, confirmation_id) if won else None
            if row is not None:
                return _snapshot(row)
        return await self._refusal(confirmation_id, user_id)

    async def _move(
        self,
        confirmation_id: int,
        from_states: Collection[str],
        to_state: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        async with self.db.session() as session:
            return await repo.move(
                session,
                confirmation_id,
                from_states,
                to_state,
                self.clock(),
                result=to_json(result) if result is not None else None,
                error=error,
            )

    async def mark_sent(self, confirmation_id: int) -> bool:
        """confirmed → sent; call it before the upstream request leaves."""
        return await self._move(confirmation_id, (repo.CONFIRMED,), repo.SENT)

    async def mark_done(self, confirmation_id: int, result: Mapping[str, Any]) -> bool:
        return await self._move(
            confirmation_id, (repo.CONFIRMED, repo.SENT), repo.DONE, result=result
        )

    async def mark_failed(
        self, confirmation_id: int, reason: str, result: Mapping[str, Any] | None = None
    ) -> bool:
        return await self._move(
            confirmation_id,
            (repo.CONFIRMED, repo.SENT),
            repo.FAILED,
            result=result,
            error=reason,
        )

    async def set_message(self, confirmation_id: int, message_id: int) -> None:
        """Remember the summary message, so an outcome found later can refer to it."""
        async with self.db.session() as session:
            await repo.set_message(session, confirmation_id, message_id)

    async def expire_stale(self) -> int:
        async with self.db.session() as session:
            return await repo.expire(session, self.clock())

    async def settle_interrupted(
        self, user_id: int, kinds: Collection[str], stale_after: timedelta
    ) -> list[Action]:
        """Fail the user's rows of ``kinds`` confirmed over ``stale_after`` ago and never
        finished — a crash (or a lost answer) cut them off, so the outcome is unknown and
        they are never resent. Returns the rows this call settled, as they were before."""
        now = self.clock()
        settled = []
        for act in await self.unfinished(kinds):
            if act.user_id != user_id or act.confirmed_at is None:
                continue
            if now - act.confirmed_at < stale_after:
                continue  # perhaps still on its way
            if await self.mark_failed(act.id, "interrupted; outcome unknown"):
                settled.append(act)
        return settled

    async def unfinished(self, kinds: Collection[str] | None = None) -> list[Action]:
        """Rows a crash left between Confirm and their recorded outcome (recovery scan)."""
        async with self.db.session() as session:
            rows = await repo.in_states(session, repo.UNFINISHED, kinds)
            return [_snapshot(row) for row in rows]
