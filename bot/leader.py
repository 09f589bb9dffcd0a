"""Which replica runs the singletons: the stream listeners, the alert engine's tick
processing, the account-event listener, recovery passes and the schedulers.

Several ``sarraf run --webhook`` processes may serve one bot behind a load balancer;
every one answers updates and drains the outbox (rows are leased), but ticks must be
read and alerts decided once, or each firing would be decided by every replica.

**PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) taken on a
dedicated connection held for as long as the replica leads. The server releases it the
moment that connection dies — a killed process, a lost network — so a follower, trying
every ``retry`` seconds, takes over within about that long. The leader pings its
connection at the same pace; when the ping fails it steps down at once (it cannot know
whether the lock is still its own).

**SQLite**: one file is one machine, and normally one process. A lease row
(``leader_lease``) renewed every ``retry`` seconds and taken over once it is ``ttl``
seconds old keeps a second process on the same file (started by mistake, or an old one
not yet gone) from duplicating the singletons.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.alerts import service as alert_states
from bot.alerts.service import AlertService
from storage.db import Database
from storage.models import Alert, LeaderLease

log = logging.getLogger(__name__)

# The advisory lock key: any 64-bit number the operator's other applications do not use
# on the same database ("sarraf" in ASCII).
LOCK_KEY = 0x736172726166
LEASE_NAME = "singletons"

Duty = Callable[[], Awaitable[None]]


class Leadership:
    """Runs ``duties`` (start, stop pairs) while this replica leads, and only then."""

    def __init__(
        self,
        db: Database,
        duties: Sequence[tuple[Duty, Duty]] = (),
        *,
        retry: float = 1.0,
        ttl: float = 10.0,
        key: int = LOCK_KEY,
    ) -> None:
        self.db = db
        self.duties = list(duties)
        self.retry = retry
        self.ttl = ttl
        self.key = key
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        self.elected = asyncio.Event()
        self.since: float | None = None
        self.terms = 0
        self._task: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None
        self._started: list[Duty] = []

    def add(self, start: Duty, stop: Duty) -> None:
        """Another duty (before ``start``)."""
        self.duties.append((start, stop))

    def health(self) -> dict[str, Any]:
        return {
            "leader": self.leading,
            "holder": self.holder,
            "mechanism": "sqlite lease" if self.db.is_sqlite else "pg_advisory_lock",
            "terms": self.terms,
        }

    # --- lifetime --------------------------------------------------------------------------
    async def start(self) -> None:
        """Try once now (so a lone process leads before it reports ready), then keep
        trying, or keep renewing, in the background."""
        if self._task is not None:
            return
        _LIVE.add(self.holder)
        try:
            if await self._acquire():
                await self._step_up()
        except Exception:
            log.exception("first leadership attempt failed; retrying")
            await self._release()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._step_down()
        await self._release()
        _LIVE.discard(self.holder)

    async def _run(self) -> None:
        while True:
            try:
                if self.leading:
                    still = await self._renew()
                    if not still:
                        log.warning("lost leadership (%s); stopping the singletons", self.holder)
                        await self._step_down()
                        await self._release()
                elif await self._acquire():
                    await self._step_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leadership check failed")
                if self.leading:
                    await self._step_down()
                await self._release()
            await asyncio.sleep(self.retry)

    async def _step_up(self) -> None:
        self.leading = True
        self.terms += 1
        self.since = asyncio.get_running_loop().time()
        log.info("this replica leads (%s): starting streams and schedulers", self.holder)
        for start, stop in self.duties:
            try:
                await start()
            except Exception:
                log.exception("a leader duty failed to start")
                continue
            self._started.append(stop)
        self.elected.set()

    async def _step_down(self) -> None:
        self.leading = False
        self.elected.clear()
        stops, self._started = self._started, []
        for stop in reversed(stops):
            try:
                await stop()
            except Exception:
                log.exception("a leader duty failed to stop")

    # --- the mechanisms --------------------------------------------------------------------
    async def _acquire(self) -> bool:
        if self.db.is_sqlite:
            return await self._lease(take=True)
        if self._conn is None:
            conn = await self.db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        return bool(got)

    async def _renew(self) -> bool:
        if self.db.is_sqlite:
            return await self._lease(take=False)
        if self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.scalar(text("SELECT 1")), self.retry * 5)
        except Exception as error:
            log.warning("leader connection failed: %s", type(error).__name__)
            return False
        return True

    async def _release(self) -> None:
        if self.db.is_sqlite:
            with contextlib.suppress(Exception):
                async with self.db.session() as session:
                    await session.execute(
                        delete(LeaderLease).where(
                            LeaderLease.name == LEASE_NAME, LeaderLease.holder == self.holder
                        )
                    )
            return
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            with contextlib.suppress(Exception):
                await conn.close()

    async def _lease(self, *, take: bool) -> bool:
        """Take (when free, stale or its holder is gone) or renew the lease; True when ours."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.ttl)
        async with self.db.session() as session:
            await session.execute(
                sqlite_insert(LeaderLease)
                .values(name=LEASE_NAME, holder=self.holder, expires_at=expires)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            current = await session.scalar(
                select(LeaderLease.holder).where(LeaderLease.name == LEASE_NAME)
            )
            condition = LeaderLease.holder == self.holder
            if take:
                condition = condition | (LeaderLease.expires_at < now)
                if current is not None and _gone(current):
                    condition = condition | (LeaderLease.holder == current)
            await session.execute(
                update(LeaderLease)
                .where(LeaderLease.name == LEASE_NAME, condition)
                .values(holder=self.holder, expires_at=expires)
            )
            holder = await session.scalar(
                select(LeaderLease.holder).where(LeaderLease.name == LEASE_NAME)
            )
        return holder == self.holder


# Holders of the Leadership objects running in this process.
_LIVE: set[str] = set()


def _gone(holder: str) -> bool:
    """A lease holder on this machine whose process (or object, in this process) is gone:
    its lease need not run out before another takes over."""
    host, _, rest = holder.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return holder not in _LIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class AlertSync:
    """Alerts other replicas changed reach the leader's engine within ``every`` seconds.

    A follower answers ``/alert``, ``/delalert`` and the pause/resume buttons itself and
    writes the database; only the leader's engine sees ticks. So while leading on a
    shared database, this pass compares the engine with the ``alerts`` table:
    an active alert the engine never knew is armed; an armed alert the table says is no
    longer active (deleted, paused, fired elsewhere) is dropped; an alert this pass saw
    inactive and now finds active again (resumed elsewhere) is re-armed. An alert the
    engine just fired is not re-armed while its firing is being written, because it was
    never seen inactive.
    """

    def __init__(self, alerts: AlertService, every: float = 1.0) -> None:
        self.alerts = alerts
        self.every = every
        self._dormant: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._dormant.clear()
            self._task = asyncio.create_task(self._loop(), name="alert-sync")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.sync_once()
            except Exception:
                log.exception("alert sync pass failed")

    async def sync_once(self) -> None:
        service = self.alerts
        async with service.db.session() as session:
            rows = (
                await session.execute(
                    select(Alert.id, Alert.state).where(Alert.state != alert_states.DELETED)
                )
            ).all()
        state_of = {int(alert_id): str(state) for alert_id, state in rows}
        # The service's own index (this module reads it rather than widen its API).
        known = set(service._chats)
        armed = {alert_id for alert_id in known if service.engine.get(alert_id) is not None}
        firing = {f.alert_id for f in service._pending}
        to_arm: list[int] = []
        to_drop: list[int] = []
        for alert_id, state in state_of.items():
            if state != alert_states.ACTIVE:
                if alert_id in known:
                    self._dormant.add(alert_id)
                continue
            if alert_id in armed or alert_id in firing:
                continue
            if alert_id not in known or alert_id in self._dormant:
                to_arm.append(alert_id)
                self._dormant.discard(alert_id)
        for alert_id in armed:
            if state_of.get(alert_id, alert_states.DELETED) != alert_states.ACTIVE:
                to_drop.append(alert_id)
        if to_arm:
            await service._reload(to_arm)
        for alert_id in to_drop:
            service.engine.remove(alert_id)
        if to_arm or to_drop:
            service._publish_markets()
            log.info("alert sync: armed %s, dropped %s", len(to_arm), len(to_drop))
