"""``/broadcast``: an operator's message to every user who started the bot.

Rate-limited and resumable because everything lives in the database: a broadcast row
and one recipient row per user (``waiting → queued → sent | blocked | failed``). The
sender tops the queue up to ``rate`` messages each second by writing outbox rows
(``bc:<id>:<user>``, so a row is never queued twice, whatever restarts) and lets the
notifier deliver them — within Telegram's limits, in order with the user's other
messages, marking a user who blocked the bot as ``blocked`` once instead of retrying.
Small batches keep alerts flowing: an alert waits behind at most one batch, not behind
ten thousand broadcast rows.

Only the leader replica runs the sender (a leader duty), so after a restart or a
failover the new leader resumes the same rows; progress and the final figures reach the
operator through the outbox too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Subquery, func, insert, literal, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chats import ChatPreferences
from bot.i18n import Lang
from storage.db import Database
from storage.models import (
    BotUser,
    Broadcast,
    BroadcastRecipient,
    Chat,
    OutboxMessage,
    User,
)
from storage.repos import outbox

log = logging.getLogger(__name__)

RUNNING, DONE = "running", "done"
WAITING, QUEUED, SENT, BLOCKED, FAILED = "waiting", "queued", "sent", "blocked", "failed"
SETTLED = {outbox.SENT: SENT, outbox.BLOCKED: BLOCKED, outbox.FAILED: FAILED}
KIND = "broadcast"


@dataclass(frozen=True, slots=True)
class Progress:
    id: int
    total: int
    sent: int
    blocked: int
    failed: int
    finished: bool

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed


ReportText = Callable[[Lang, Progress], str]


def dedupe(broadcast_id: int, user_id: int) -> str:
    return f"bc:{broadcast_id}:{user_id}"


class Broadcaster:
    def __init__(
        self,
        db: Database,
        chats: ChatPreferences,
        report_text: ReportText,
        *,
        rate: float = 20.0,
        every: float = 1.0,
        idle: float = 2.0,
    ) -> None:
        self.db = db
        self.chats = chats
        self.report_text = report_text
        self.rate = rate
        self.every = every
        self.idle = idle
        self.wake: Callable[[], None] = lambda: None
        self._poke = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._seen: set[int] = set()

    # --- the audience ------------------------------------------------------------------------
    async def seen(self, user_id: int) -> None:
        """Remember a user who talked to the bot in private (once per process)."""
        if user_id in self._seen:
            return
        self._seen.add(user_id)
        async with self.db.session() as session:
            if await session.get(BotUser, user_id) is None:
                session.add(BotUser(id=user_id))

    def _audience(self) -> Subquery:
        # Users seen in private since this release, plus those known from before it:
        # private chats with a chosen language and users with a connected account.
        return union(
            select(BotUser.id.label("id")),
            select(Chat.id.label("id")).where(Chat.kind == "private"),
            select(User.id.label("id")),
        ).subquery()

    async def audience_count(self) -> int:
        audience = self._audience()
        async with self.db.session() as session:
            count = await session.scalar(select(func.count()).select_from(audience))
        return int(count or 0)

    # --- creating ----------------------------------------------------------------------------
    async def create(
        self,
        admin_id: int,
        chat_id: int,
        text: str,
        announce: Callable[[Progress], str] | None = None,
    ) -> Progress:
        """Store the broadcast and its recipients in one commit; the sender takes it up.

        ``announce`` is the admin's "started" message, queued in the same commit: the
        outbox keeps each chat's order, so it reaches the admin before the broadcast
        itself (the admin is an audience too) and before any progress report, however
        soon the sender wakes."""
        audience = self._audience()
        async with self.db.session() as session:
            row = Broadcast(
                admin_id=admin_id, chat_id=chat_id, text=text, state=RUNNING, total=0, reported=0
            )
            session.add(row)
            await session.flush()
            await session.execute(
                insert(BroadcastRecipient).from_select(
                    ["user_id", "broadcast_id", "state"],
                    select(audience.c.id, literal(row.id), literal(WAITING)),
                )
            )
            total = await session.scalar(
                select(func.count()).where(BroadcastRecipient.broadcast_id == row.id)
            )
            row.total = int(total or 0)
            progress = Progress(row.id, row.total, 0, 0, 0, False)
            if announce is not None:
                await outbox.enqueue(
                    session,
                    chat_id=chat_id,
                    user_id=admin_id,
                    kind=KIND,
                    dedupe=f"bc:{row.id}:started",
                    text=announce(progress),
                )
        if announce is not None:
            self.wake()
        log.info("broadcast %s created for %s recipient(s)", progress.id, progress.total)
        return progress

    def poke(self) -> None:
        """Look at the broadcasts now (the leader also looks every ``idle`` seconds, so one
        created on another replica starts within that long)."""
        self._poke.set()

    # --- sending (a leader duty) ---------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="broadcasts")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                busy = await self.step()
            except Exception:
                log.exception("broadcast pass failed; retrying")
                busy = True
            self._poke.clear()
            if busy:
                await asyncio.sleep(self.every)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poke.wait(), self.idle)

    async def step(self) -> bool:
        """One pass over the running broadcasts; True while any is unfinished."""
        async with self.db.session() as session:
            running = list(
                await session.scalars(
                    select(Broadcast.id).where(Broadcast.state == RUNNING).order_by(Broadcast.id)
                )
            )
        for broadcast_id in running:
            await self._advance(broadcast_id)
        return bool(running)

    async def _advance(self, broadcast_id: int) -> None:
        window = max(1, int(self.rate * self.every))
        queued_any = False
        async with self.db.session() as session:
            admin_chat = await session.scalar(
                select(Broadcast.chat_id).where(Broadcast.id == broadcast_id)
            )
        if admin_chat is None:
            return
        # Before the transaction: a session opened inside another waits on it (SQLite).
        lang = await self._lang(admin_chat)
        async with self.db.session() as session:
            row = await session.get(Broadcast, broadcast_id)
            if row is None or row.state != RUNNING:
                return
            queued = list(
                await session.scalars(
                    select(BroadcastRecipient.user_id).where(
                        BroadcastRecipient.broadcast_id == broadcast_id,
                        BroadcastRecipient.state == QUEUED,
                    )
                )
            )
            still = await self._settle(session, broadcast_id, queued)
            room = window - still
            if room > 0:
                nxt = list(
                    await session.scalars(
                        select(BroadcastRecipient.user_id)
                        .where(
                            BroadcastRecipient.broadcast_id == broadcast_id,
                            BroadcastRecipient.state == WAITING,
                        )
                        .order_by(BroadcastRecipient.user_id)
                        .limit(room)
                    )
                )
                for user_id in nxt:
                    await outbox.enqueue(
                        session,
                        chat_id=user_id,
                        user_id=user_id,
                        kind=KIND,
                        dedupe=dedupe(broadcast_id, user_id),
                        text=row.text,
                    )
                if nxt:
                    queued_any = True
                    await session.execute(
                        update(BroadcastRecipient)
                        .where(
                            BroadcastRecipient.broadcast_id == broadcast_id,
                            BroadcastRecipient.user_id.in_(nxt),
                        )
                        .values(state=QUEUED)
                    )
            progress = await self._progress(session, row)
            report = self._should_report(row, progress)
            if progress.finished:
                row.state = DONE
                row.finished_at = datetime.now(UTC)
            if report:
                row.reported = progress.done
                key = f"bc:{broadcast_id}:" + ("done" if progress.finished else f"p{progress.done}")
                await outbox.enqueue(
                    session,
                    chat_id=row.chat_id,
                    user_id=row.admin_id,
                    kind=KIND,
                    dedupe=key,
                    text=self.report_text(lang, progress),
                )
                queued_any = True
        if progress.finished:
            log.info(
                "broadcast %s finished: %s sent, %s blocked, %s failed of %s",
                broadcast_id,
                progress.sent,
                progress.blocked,
                progress.failed,
                progress.total,
            )
        if queued_any:
            self.wake()

    async def _settle(self, session: AsyncSession, broadcast_id: int, queued: Sequence[int]) -> int:
        """Copy what the notifier decided onto the queued recipients; how many still wait."""
        if not queued:
            return 0
        keys = {dedupe(broadcast_id, user_id): user_id for user_id in queued}
        found = await session.execute(
            select(OutboxMessage.dedupe, OutboxMessage.state).where(
                OutboxMessage.dedupe.in_(list(keys))
            )
        )
        by_state: dict[str, list[int]] = {}
        for key, state in found.all():
            settled = SETTLED.get(str(state))
            if settled is not None:
                by_state.setdefault(settled, []).append(keys[key])
        for state, users in by_state.items():
            await session.execute(
                update(BroadcastRecipient)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.user_id.in_(users),
                )
                .values(state=state)
            )
            if state == BLOCKED:
                await session.execute(
                    update(BotUser)
                    .where(BotUser.id.in_(users), BotUser.blocked_at.is_(None))
                    .values(blocked_at=datetime.now(UTC))
                )
        return len(queued) - sum(len(u) for u in by_state.values())

    async def _progress(self, session: AsyncSession, row: Broadcast) -> Progress:
        result = await session.execute(
            select(BroadcastRecipient.state, func.count())
            .where(BroadcastRecipient.broadcast_id == row.id)
            .group_by(BroadcastRecipient.state)
        )
        counts = {str(state): int(n) for state, n in result.all()}
        open_ = counts.get(WAITING, 0) + counts.get(QUEUED, 0)
        return Progress(
            row.id,
            row.total,
            counts.get(SENT, 0),
            counts.get(BLOCKED, 0),
            counts.get(FAILED, 0),
            finished=open_ == 0,
        )

    @staticmethod
    def _should_report(row: Broadcast, progress: Progress) -> bool:
        if progress.finished:
            return True
        step = max(100, row.total // 10)
        return progress.done - row.reported >= step

    async def _lang(self, chat_id: int) -> Lang:
        return await self.chats.language(chat_id, None)

    async def progress(self, broadcast_id: int) -> Progress | None:
        async with self.db.session() as session:
            row = await session.get(Broadcast, broadcast_id)
            if row is None:
                return None
            return await self._progress(session, row)
