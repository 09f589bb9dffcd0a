"""The outbox: messages to send, written in the same transaction as what caused them.

A row is ``pending`` until the notifier (``bot/notifier.py``) settles it: ``sent`` (with
Telegram's message id) only after Telegram accepted it, ``failed`` (with the reason) when
Telegram refused it for good or transient errors ran out of attempts, ``blocked`` when
the user blocked the bot or the bot left the chat. Nothing here knows Telegram.

Times are UTC. SQLite keeps ``DateTime(timezone=True)`` as text without an offset, so
every time written here is converted to UTC first and comparisons stay correct there.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
STATES = (PENDING, SENT, FAILED, BLOCKED)

ERROR_MAX = 256  # the column's length; PostgreSQL refuses longer strings
DEDUPE_MAX = 96
KIND_MAX = 16

Buttons = Sequence[Sequence[Mapping[str, Any]]]


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


def _clip(error: str) -> str:
    return error if len(error) <= ERROR_MAX else error[: ERROR_MAX - 1] + "…"


def _check_buttons(buttons: Buttons) -> list[list[dict[str, Any]]]:
    """Rows of {"label", "action", "payload"}; a copy that is plain JSON."""
    rows: list[list[dict[str, Any]]] = []
    for row in buttons:
        if isinstance(row, Mapping) or not row:
            raise ValueError("buttons are rows (non-empty lists) of button dicts")
        checked = []
        for button in row:
            label, action = button.get("label"), button.get("action")
            payload = button.get("payload", {})
            if not isinstance(label, str) or not label:
                raise ValueError("a button needs a non-empty label")
            if not isinstance(action, str) or not action:
                raise ValueError("a button needs an action")
            if not isinstance(payload, Mapping):
                raise ValueError("a button's payload is a dict")
            checked.append({"label": label, "action": action, "payload": dict(payload)})
        rows.append(checked)
    return rows


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int | None,
    kind: str,
    dedupe: str,
    text: str,
    buttons: Buttons | None = None,
) -> bool:
    """Add a pending message; False, and nothing written, if ``dedupe`` exists already.

    A repeated key never fails the caller's transaction (the cause and its message are
    written together): ``INSERT … ON CONFLICT (dedupe) DO NOTHING`` on SQLite and
    PostgreSQL, a savepoint elsewhere. Call ``Notifier.wake()`` after the commit.
    """
    if not dedupe or len(dedupe) > DEDUPE_MAX:
        raise ValueError(f"dedupe must be 1..{DEDUPE_MAX} characters")
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"kind must be 1..{KIND_MAX} characters")
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "user_id": user_id,
        "kind": kind,
        "dedupe": dedupe,
        "text": text,
        "buttons": _check_buttons(buttons) if buttons else None,
        "state": PENDING,
        "attempts": 0,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        make = sqlite_insert if dialect == "sqlite" else pg_insert
        statement = (
            make(OutboxMessage)
            .values(values)
            .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe])
        )
        result: Any = await session.execute(statement)
        return bool(result.rowcount == 1)
    try:  # pragma: no cover - other databases
        async with session.begin_nested():
            await session.execute(insert(OutboxMessage).values(values))
    except IntegrityError:  # pragma: no cover
        return False
    return True  # pragma: no cover


async def due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    per_chat: int | None = None,
    skip: Container[int] = (),
) -> list[OutboxMessage]:
    """Pending rows ready to send at ``now``, oldest first, at most ``limit``.

    A row counts as due only when every older pending row of its chat is due too: a
    message waiting out a retry holds back the later ones of its chat, so a chat's
    messages go in order even across restarts. ``per_chat`` takes at most that many of
    one chat's oldest rows, so one chat's backlog cannot crowd out everyone else.
    ``skip`` holds ids the caller has already (they count towards ``limit``, are not
    returned, and are never loaded: the drain asks again every second).
    """
    now = _utc(now)
    ranked = (
        select(
            OutboxMessage.id,
            func.row_number()
            .over(partition_by=OutboxMessage.chat_id, order_by=OutboxMessage.id)
            .label("rank"),
            func.min(case((OutboxMessage.not_before > now, OutboxMessage.id)))
            .over(partition_by=OutboxMessage.chat_id)
            .label("held_from"),
        )
        .where(OutboxMessage.state == PENDING)
        .subquery()
    )
    conditions = [or_(ranked.c.held_from.is_(None), ranked.c.id < ranked.c.held_from)]
    if per_chat is not None:
        conditions.append(ranked.c.rank <= per_chat)
    statement = select(ranked.c.id).where(and_(*conditions)).order_by(ranked.c.id).limit(limit)
    ids = [i for i in (await session.scalars(statement)).all() if i not in skip]
    rows: list[OutboxMessage] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        load = select(OutboxMessage).where(
            OutboxMessage.id.in_(chunk), OutboxMessage.state == PENDING
        )
        rows.extend((await session.scalars(load)).all())
    rows.sort(key=lambda row: row.id)
    return rows


async def get(session: AsyncSession, row_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, row_id)


async def _settle(session: AsyncSession, row_id: int, **values: Any) -> bool:
    result: Any = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == PENDING)
        .values(**values)
    )
    return bool(result.rowcount == 1)


async def mark_sent(
    session: AsyncSession, row_id: int, *, message_id: int, at: datetime | None = None
) -> bool:
    """Telegram accepted the message; False if the row was not pending."""
    return await _settle(
        session,
        row_id,
        state=SENT,
        message_id=message_id,
        sent_at=_utc(at) if at else utcnow(),
        not_before=None,
        error=None,
    )


async def mark_retry(
    session: AsyncSession, row_id: int, *, not_before: datetime, error: str
) -> bool:
    """A transient failure: one more attempt counted, not to be tried before ``not_before``."""
    result: Any = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.state == PENDING)
        .values(
            attempts=OutboxMessage.attempts + 1,
            not_before=_utc(not_before),
            error=_clip(error),
        )
    )
    return bool(result.rowcount == 1)


async def mark_failed(
    session: AsyncSession, row_id: int, *, error: str, attempts: int | None = None
) -> bool:
    """Given up on this row, with the reason (and the attempts made, if counted)."""
    values: dict[str, Any] = {"state": FAILED, "error": _clip(error)}
    if attempts is not None:
        values["attempts"] = attempts
    return await _settle(session, row_id, **values)


async def mark_blocked(session: AsyncSession, chat_id: int, *, error: str) -> int:
    """The chat refuses the bot: every pending row of it is blocked. Returns how many."""
    result: Any = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.state == PENDING)
        .values(state=BLOCKED, error=_clip(error))
    )
    return int(result.rowcount)


async def retarget(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup with a new id: its pending rows follow it."""
    result: Any = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.state == PENDING)
        .values(chat_id=new_chat_id)
    )
    return int(result.rowcount)


async def pending_count(session: AsyncSession) -> int:
    """Rows still to send (for metrics)."""
    count = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == PENDING)
    )
    return int(count or 0)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per state, every state present (for metrics and benchmarks)."""
    result = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    found = {state: 0 for state in STATES}
    for state, count in result.all():
        found[str(state)] = int(count)
    return found
