"""The outbox: messages to send, written in the same transaction as what caused them.

A row is ``pending`` until the notifier (``bot/notifier.py``) settles it: ``sent`` (with
Telegram's message id) only after Telegram accepted it, ``failed`` (with the reason) when
Telegram refused it for good or transient errors ran out of attempts, ``blocked`` when
the user blocked the bot or the bot left the chat. Nothing here knows Telegram.

**Leases.** Several notifiers (replicas) may drain one outbox; a row is sent only by the
one whose lease on it is live (``leased_by``, ``lease_until``). ``lease`` takes rows with
a conditional UPDATE (on PostgreSQL after ``SELECT … FOR UPDATE SKIP LOCKED``, so two
replicas never wait on, nor both take, one row; on SQLite every transaction already holds
the single write lock), ``renew`` extends them, ``release`` gives them back. A row leased
by another live notifier holds back the later rows of its chat in ``due``, as a retry
does, so one chat is served by one notifier at a time and keeps its order. Leases are
wall-clock times written by the notifiers: replicas need clocks within a few seconds.

Times are UTC. SQLite keeps ``DateTime(timezone=True)`` as text without an offset, so
every time written here is converted to UTC first and comparisons stay correct there.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from storage.models import OutboxMessage, utcnow

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
STATES = (PENDING, SENT, FAILED, BLOCKED)

ERROR_MAX = 256  # the column's length; PostgreSQL refuses longer strings
DEDUPE_MAX = 96
KIND_MAX = 16

OWNER_MAX = 64
ADVISORY_KEY = 0x5A_4F_42_58  # "ZOBX": serialises lease-taking across replicas (PostgreSQL)

Buttons = Sequence[Sequence[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Lease:
    """Who may send a row, and until when (UTC)."""

    owner: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Queued:
    """A row as written by ``add``: what the notifier needs to send it without reading it back."""

    id: int
    chat_id: int
    user_id: int | None
    kind: str
    text: str
    buttons: list[list[dict[str, Any]]] | None


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
    added = await add(
        session,
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        dedupe=dedupe,
        text=text,
        buttons=buttons,
    )
    return added is not None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One row for ``add_many``."""

    chat_id: int
    user_id: int | None
    kind: str
    dedupe: str
    text: str
    buttons: Buttons | None = None


def _values(message: NewMessage, lease: Lease | None, now: datetime) -> dict[str, Any]:
    if not message.dedupe or len(message.dedupe) > DEDUPE_MAX:
        raise ValueError(f"dedupe must be 1..{DEDUPE_MAX} characters")
    if not message.kind or len(message.kind) > KIND_MAX:
        raise ValueError(f"kind must be 1..{KIND_MAX} characters")
    values: dict[str, Any] = {
        "chat_id": message.chat_id,
        "user_id": message.user_id,
        "kind": message.kind,
        "dedupe": message.dedupe,
        "text": message.text,
        "buttons": _check_buttons(message.buttons) if message.buttons else None,
        "state": PENDING,
        "attempts": 0,
        "created_at": now,
        "leased_by": _owner(lease.owner) if lease is not None else None,
        "lease_until": _utc(lease.until) if lease is not None else None,
    }
    return values


def _queued(row_id: int, values: dict[str, Any]) -> Queued:
    return Queued(
        row_id,
        values["chat_id"],
        values["user_id"],
        values["kind"],
        values["text"],
        values["buttons"],
    )


async def add(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int | None,
    kind: str,
    dedupe: str,
    text: str,
    buttons: Buttons | None = None,
    lease: Lease | None = None,
) -> Queued | None:
    """``enqueue``, returning the row written (None for a repeated ``dedupe``).

    With ``lease`` the row is born leased to that notifier, so the writer can hand it
    straight to its own notifier (``Notifier.wake(rows)``) after the commit without
    another replica taking it meanwhile.
    """
    added = await add_many(
        session, [NewMessage(chat_id, user_id, kind, dedupe, text, buttons)], lease=lease
    )
    return added[0] if added else None


async def add_many(
    session: AsyncSession, messages: Sequence[NewMessage], *, lease: Lease | None = None
) -> list[Queued]:
    """Several ``add`` in one statement (see ``insert_many``)."""
    if not messages:
        return []
    connection = await session.connection()
    return await connection.run_sync(insert_many, messages, lease)


@cache
def _insert_ignoring(dialect: str) -> Executable:
    """``INSERT … ON CONFLICT (dedupe) DO NOTHING RETURNING id, dedupe`` for ``dialect``."""
    table = cast(Table, OutboxMessage.__table__)
    make = sqlite_insert if dialect == "sqlite" else pg_insert
    return (
        make(table)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe])
        .returning(table.c.id, table.c.dedupe)
    )


def insert_many(
    connection: Connection, messages: Sequence[NewMessage], lease: Lease | None = None
) -> list[Queued]:
    """Several ``add`` in one statement — one round trip, which is what a firing's
    latency is made of. Synchronous Core, so a hot path can run it inside
    ``Database.write_at_once`` (and ``add_many`` through ``run_sync``).

    A row whose ``dedupe`` exists already (or repeats within ``messages``) is skipped,
    never an error; the rows written come back in the order given.
    """
    now = utcnow()
    values: list[dict[str, Any]] = []
    seen: set[str] = set()
    for message in messages:
        if message.dedupe in seen:
            continue
        seen.add(message.dedupe)
        values.append(_values(message, lease, now))
    if not values:
        return []
    table = cast(Table, OutboxMessage.__table__)
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        # One statement object, built once: its compiled form stays in the cache (a
        # multi-VALUES ``.values([...])`` would be compiled anew on every call), and
        # SQLAlchemy's "insertmanyvalues" sends the rows as one INSERT … RETURNING.
        written = {
            dedupe: row_id
            for row_id, dedupe in connection.execute(_insert_ignoring(dialect), values)
        }
        return [_queued(written[v["dedupe"]], v) for v in values if v["dedupe"] in written]
    queued = []  # pragma: no cover - other databases
    for value in values:  # pragma: no cover
        try:
            with connection.begin_nested():
                row_id = connection.execute(
                    insert(table).values(value).returning(table.c.id)
                ).scalar_one()
                queued.append(_queued(row_id, value))
        except IntegrityError:
            continue
    return queued


def _owner(owner: str) -> str:
    if not owner or len(owner) > OWNER_MAX:
        raise ValueError(f"a lease owner is 1..{OWNER_MAX} characters")
    return owner


def _leased_by_other(owner: str | None, now: datetime) -> Any:
    """A live lease held by someone other than ``owner`` (anyone, when None)."""
    live = and_(OutboxMessage.leased_by.is_not(None), OutboxMessage.lease_until > now)
    if owner is None:
        return live
    return and_(live, OutboxMessage.leased_by != owner)


async def due(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    per_chat: int | None = None,
    skip: Container[int] = (),
    owner: str | None = None,
) -> list[OutboxMessage]:
    """Pending rows ready to send at ``now``, oldest first, at most ``limit``.

    A row counts as due only when every older pending row of its chat is due too: a
    message waiting out a retry (or leased by a notifier other than ``owner``) holds back
    the later ones of its chat, so a chat's messages go in order even across restarts
    and replicas. ``per_chat`` takes at most that many of one chat's oldest rows, so one
    chat's backlog cannot crowd out everyone else. ``skip`` holds ids the caller has
    already (they count towards ``limit``, are not returned, and are never loaded: the
    drain asks again every second). Rows come back unleased: see ``lease``.
    """
    now = _utc(now)
    held = or_(OutboxMessage.not_before > now, _leased_by_other(owner, now))
    ranked = (
        select(
            OutboxMessage.id,
            func.row_number()
            .over(partition_by=OutboxMessage.chat_id, order_by=OutboxMessage.id)
            .label("rank"),
            func.min(case((held, OutboxMessage.id)))
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


async def held_chats(session: AsyncSession, now: datetime, owner: str | None) -> set[int]:
    """Chats whose oldest pending rows ``due`` holds back (a retry waiting, another
    notifier's lease): a row for them must wait its turn behind those."""
    now = _utc(now)
    held = or_(OutboxMessage.not_before > now, _leased_by_other(owner, now))
    found = await session.scalars(
        select(OutboxMessage.chat_id).where(OutboxMessage.state == PENDING, held).distinct()
    )
    return set(found.all())


async def lease(
    session: AsyncSession, ids: Iterable[int], lease: Lease, now: datetime
) -> list[OutboxMessage]:
    """Take the rows of ``ids`` that are pending and not leased by another live notifier.

    Returns the rows taken (now leased to ``lease.owner`` until ``lease.until``), by id.
    Rows another transaction is leasing or settling right now are skipped, not waited
    for; the condition is checked again by the UPDATE itself, so two notifiers never
    both hold a row.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return []
    owner, until, now = _owner(lease.owner), _utc(lease.until), _utc(now)
    free = or_(
        OutboxMessage.leased_by.is_(None),
        OutboxMessage.leased_by == owner,
        OutboxMessage.lease_until.is_(None),
        OutboxMessage.lease_until <= now,
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    taken: list[OutboxMessage] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        if postgres:
            locked = await session.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.id.in_(chunk), OutboxMessage.state == PENDING, free)
                .order_by(OutboxMessage.id)
                .with_for_update(skip_locked=True)
            )
            chunk = list(locked.all())
            if not chunk:
                continue
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chunk), OutboxMessage.state == PENDING, free)
            .values(leased_by=owner, lease_until=until)
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        taken.extend(result.scalars().all())
    taken.sort(key=lambda row: row.id)
    return taken


async def serialise_leasing(session: AsyncSession) -> None:
    """On PostgreSQL, take turns with other replicas' lease-taking until this transaction
    ends, so each ``due`` sees the leases the previous one took (a chat's rows are then
    never split between two notifiers). SQLite's write lock already does this."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(ADVISORY_KEY)))


async def renew(session: AsyncSession, ids: Iterable[int], lease: Lease) -> set[int]:
    """Extend ``lease`` over those of ``ids`` it still holds; returns them (a row missing
    from the answer was settled or taken over, and must not be sent)."""
    wanted = sorted(set(ids))
    owner, until = _owner(lease.owner), _utc(lease.until)
    kept: set[int] = set()
    for start in range(0, len(wanted), 500):
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(wanted[start : start + 500]),
                OutboxMessage.state == PENDING,
                OutboxMessage.leased_by == owner,
            )
            .values(lease_until=until)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        kept.update(result.scalars().all())
    return kept


async def release(session: AsyncSession, owner: str) -> int:
    """Give back every pending row ``owner`` holds (a notifier stopping cleanly)."""
    result: Any = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.leased_by == _owner(owner), OutboxMessage.state == PENDING)
        .values(leased_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def live_holders(session: AsyncSession, now: datetime) -> list[str]:
    """Owners holding a live lease on some pending row."""
    result = await session.scalars(
        select(OutboxMessage.leased_by)
        .where(
            OutboxMessage.state == PENDING,
            OutboxMessage.leased_by.is_not(None),
            OutboxMessage.lease_until > _utc(now),
        )
        .distinct()
    )
    return [owner for owner in result if owner]


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


async def mark_sent_many(session: AsyncSession, sent: Sequence[tuple[int, int, datetime]]) -> int:
    """``mark_sent`` for many (row id, message id, when) at once; returns how many settled."""
    settled = 0
    for row_id, message_id, at in sent:
        settled += await mark_sent(session, row_id, message_id=message_id, at=at)
    return settled


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
