"""Shared fixtures. Everything listens on 127.0.0.1 and ephemeral ports; no test reaches
the internet (``no_network`` below turns any other connection into a failure).

``SARRAF_TEST_DATABASE=postgres`` runs the bot fixtures on PostgreSQL instead of SQLite:
``test_database_url(path)`` then names a fresh database on the server at
``SARRAF_TEST_POSTGRES`` (default ``postgresql+asyncpg://postgres@127.0.0.1/test``),
cloned from a migrated template made once per session, and drops it when the test ends.
The same path gives the same database within a test, so restart tests keep their data.
A test that needs a server skips with the reason when none answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.market import SimulatedMarket
from sandbox.serving import Served, serve_app

FIXED_NOW = 1_790_000_000.0  # a fixed moment so simulated prices repeat exactly


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


TEST_DATABASE = os.environ.get("SARRAF_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
PG_URL = os.environ.get("SARRAF_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1/test")
if TEST_DATABASE not in ("sqlite", "postgres", "postgresql"):
    raise RuntimeError(f"SARRAF_TEST_DATABASE must be sqlite or postgres, got {TEST_DATABASE!r}")
ON_POSTGRES = TEST_DATABASE != "sqlite"


class _PostgresDatabases:
    """Fresh PostgreSQL databases for tests, from one migrated template per session."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.template: str | None = None
        self.unreachable: str | None = None
        self.created: set[str] = set()

    def url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(self.admin_url).set(drivername="postgresql")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def _make_template(self) -> str:
        from storage.db import upgrade_schema

        name = f"sarraf_template_{os.getpid()}"
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{name}"')
        self.created.add(name)
        await asyncio.to_thread(upgrade_schema, self.url(name))
        return name

    async def database_for(self, path: Path) -> str:
        name = "sarraf_t_" + hashlib.sha1(str(path).encode()).hexdigest()[:20]
        if self.unreachable is not None:
            pytest.skip(self.unreachable)
        if name in self.created:
            return self.url(name)
        try:
            if self.template is None:
                self.template = await self._make_template()
            await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        except Exception as error:  # unreachable server, refused login, no asyncpg, ...
            self.unreachable = (
                f"PostgreSQL not reachable at {self.admin_url}: {type(error).__name__}: {error}"
            )
            pytest.skip(self.unreachable)
        self.created.add(name)
        _in_this_test.add(name)
        return self.url(name)

    async def empty_database_for(self, path: Path) -> str:
        name = "sarraf_e_" + hashlib.sha1(str(path).encode()).hexdigest()[:20]
        if self.unreachable is not None:
            pytest.skip(self.unreachable)
        if name not in self.created:
            try:
                await self._admin(f'CREATE DATABASE "{name}"')
            except Exception as error:
                self.unreachable = (
                    f"PostgreSQL not reachable at {self.admin_url}: {type(error).__name__}: {error}"
                )
                pytest.skip(self.unreachable)
            self.created.add(name)
            _in_this_test.add(name)
        return self.url(name)

    def drop(self, names: set[str]) -> None:
        """Drop ``names`` (from synchronous teardown, on a loop of its own)."""
        if not names:
            return

        async def drop_all() -> None:
            for name in names:
                await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.created.discard(name)

        def run() -> None:
            asyncio.run(drop_all())

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)


_postgres = _PostgresDatabases(PG_URL)
_in_this_test: set[str] = set()


async def test_database_url(path: Path) -> str:
    """The database URL a test should use for "the database at ``path``"."""
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{path}"
    return await _postgres.database_for(path)


async def postgres_database_url(path: Path, *, migrated: bool = True) -> str:
    """A fresh PostgreSQL database for ``path`` whatever the mode (skips when no server
    answers); ``migrated=False`` gives an empty one."""
    if migrated:
        return await _postgres.database_for(path)
    return await _postgres.empty_database_for(path)


postgres_database_url.__test__ = False  # type: ignore[attr-defined]


test_database_url.__test__ = False  # type: ignore[attr-defined]  # not a test function


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    if _in_this_test:
        names = set(_in_this_test)
        _in_this_test.clear()
        _postgres.drop(names)


@pytest.fixture(scope="session", autouse=True)
def _drop_template() -> Iterator[None]:
    yield
    _postgres.drop(set(_postgres.created))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sim(clock: FixedClock) -> SimulatedMarket:
    return SimulatedMarket(seed=7, clock=clock)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    """``await serve(app)`` → Served(url=...); everything started is stopped afterwards."""
    started: list[Served] = []

    async def start(app: Any) -> Served:
        served = await serve_app(app)
        started.append(served)
        return served

    yield start
    for s in reversed(started):
        await s.stop()
