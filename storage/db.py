"""The async database: engine, sessions and schema upgrades.

SQLite (aiosqlite) by default and PostgreSQL (asyncpg) by URL, through the same code.
The schema is owned by Alembic migrations (``storage/migrations``), applied by
``sarraf db upgrade`` and at start; nothing calls ``create_all``, so a database made
here is the same as one an operator upgrades.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # The driver's own implicit BEGIN is switched off; ``_sqlite_begin`` starts every
    # transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; NORMAL sync is durable across a
    # process crash (only an OS crash may lose the last commits); foreign keys are off
    # by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction starts, not when it first writes.

    A deferred transaction that read first and writes later fails at once with
    "database is locked" when another connection committed in between (waiting cannot
    help: its snapshot is stale). BEGIN IMMEDIATE queues behind the busy timeout
    instead, so concurrent handlers, the alert firing and the outbox simply take turns.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if make_url(url).get_backend_name() == "sqlite":
            kwargs = {}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and every transaction here takes the write lock
        # up front; waiting for it inside SQLite means its busy handler's sleeps (up to
        # 100 ms each). Queueing on an asyncio lock instead hands the database over the
        # moment it is free. PostgreSQL needs no such thing.
        self._sqlite_turn: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self._sync_engine: Engine | None = None

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error.

        Never open a session inside another: on SQLite the inner one would wait for the
        outer one's lock forever.
        """
        if self._sqlite_turn is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._sqlite_turn, self.sessions() as session, session.begin():
            yield session

    async def write_at_once(self, work: Callable[[Connection], T]) -> T:
        """One transaction of synchronous Core statements, run in a single hop.

        Through aiosqlite every statement is several trips through its worker thread
        (cursor, execute, fetch, close: about a millisecond at rest), so a hot path that
        commits a few statements (an alert firing) pays several milliseconds for them.
        On SQLite this runs the whole transaction in one trip through a thread instead,
        on a synchronous pysqlite engine over the same file with the same pragmas, in
        the same turn as every async session. On PostgreSQL the statements are simply
        awaited (``run_sync``). Committed when ``work`` returns, rolled back if it raises.
        """
        if self._sqlite_turn is None:
            async with self.engine.begin() as connection:
                return await connection.run_sync(work)
        async with self._sqlite_turn:
            task = asyncio.ensure_future(asyncio.to_thread(self._write_in_thread, work))
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                # The thread cannot be stopped: keep the turn until its commit is done.
                await asyncio.wait([task])
                raise

    def _write_in_thread(self, work: Callable[[Connection], T]) -> T:
        if self._sync_engine is None:
            self._sync_engine = create_engine(
                make_url(self.url).set(drivername="sqlite"),
                connect_args={"check_same_thread": False},
            )
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            event.listen(self._sync_engine, "begin", _sqlite_begin)
        with self._sync_engine.begin() as connection:
            return work(connection)

    async def ping(self) -> None:
        """One round trip (for readiness); raises when the database does not answer."""
        from sqlalchemy import text

        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def upgrade(self) -> None:
        await asyncio.to_thread(upgrade_schema, self.url)

    async def close(self) -> None:
        await self.engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Apply migrations (blocking; run it in a thread from async code)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
