"""Alembic migrations on SQLite and PostgreSQL: from an empty database, and from the
previous release's schema (revision 0003) with data in it, to head — the data kept and
usable by this release's code, and the schema equal to the models."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from bot.broadcast import Broadcaster
from bot.chats import ChatPreferences
from bot.i18n import I18n
from storage.db import MIGRATIONS, Database, alembic_config, upgrade_schema
from storage.models import Alert, Base, Chat, OutboxMessage
from storage.repos import outbox

from ..conftest import postgres_database_url

PREVIOUS_RELEASE = "0003"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def empty_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    else:
        yield await postgres_database_url(tmp_path / "m", migrated=False)


KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None and MIGRATIONS.exists()
    return head


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def schema_differences(db: Database) -> list[object]:
    """What the models declare that the migrated schema lacks or has differently.

    An index the migrations add and the models do not declare (``ix_buttons_group``
    of 0002) only speeds queries up; anything else is a real drift."""
    async with db.engine.connect() as conn:
        found = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    return [d for d in found if not (isinstance(d, tuple) and d[0] == "remove_index")]


@pytest.mark.parametrize("kind", KINDS)
async def test_upgrade_from_an_empty_database(kind: str, tmp_path: Path) -> None:
    async with empty_database(kind, tmp_path) as url:
        db = Database(url)
        try:
            await db.upgrade()
            assert await current_revision(db) == head_revision()
            assert await schema_differences(db) == []
            await db.upgrade()  # again: nothing to do
            assert await current_revision(db) == head_revision()
        finally:
            await db.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_upgrade_from_the_previous_release_keeps_the_data(kind: str, tmp_path: Path) -> None:
    async with empty_database(kind, tmp_path) as url:
        import asyncio

        await asyncio.to_thread(upgrade_schema, url, PREVIOUS_RELEASE)
        db = Database(url)
        try:
            assert await current_revision(db) == PREVIOUS_RELEASE
            async with db.session() as session:
                params = {"now": NOW}
                await session.execute(
                    text(
                        "INSERT INTO chats (id, kind, title, language, created_at, updated_at) "
                        "VALUES (5001, 'private', NULL, 'fa', :now, :now), "
                        "(-100123, 'supergroup', 'Traders', 'tr', :now, :now)"
                    ),
                    params,
                )
                await session.execute(
                    text(
                        "INSERT INTO users (id, first_name, language_code, created_at) "
                        "VALUES (5002, 'Old', 'ru', :now)"
                    ),
                    params,
                )
                await session.execute(
                    text(
                        "INSERT INTO alerts (user_id, chat_id, exchange, symbol, pair, kind, "
                        "price, state, fire_count, created_at) VALUES (5001, 5001, 'wallex', "
                        "'BTCTMN', 'BTC/TMN', 'above', '10500000000.5', 'active', 0, :now)"
                    ),
                    params,
                )
                await session.execute(
                    text(
                        "INSERT INTO outbox (chat_id, user_id, kind, dedupe, text, state, "
                        "attempts, created_at) VALUES (5001, 5001, 'alert', 'alert:1:1', "
                        "'hello', 'pending', 0, :now)"
                    ),
                    params,
                )
            await db.upgrade()
            assert await current_revision(db) == head_revision()
            assert await schema_differences(db) == []
            async with db.session() as session:
                alert = (await session.scalars(select(Alert))).one()
                assert (alert.user_id, alert.state, Decimal(alert.price or "0")) == (
                    5001,
                    "active",
                    Decimal("10500000000.5"),
                )
                assert alert.created_at.replace(tzinfo=alert.created_at.tzinfo or UTC) == NOW
                row = (await session.scalars(select(OutboxMessage))).one()
                assert (row.dedupe, row.state, row.text) == ("alert:1:1", "pending", "hello")
                assert await outbox.pending_count(session) == 1
                languages = dict((await session.execute(select(Chat.id, Chat.language))).all())
                assert languages == {5001: "fa", -100123: "tr"}
                # New code writes next to the old rows.
                assert await outbox.enqueue(
                    session,
                    chat_id=5001,
                    user_id=5001,
                    kind="alert",
                    dedupe="alert:1:2",
                    text="again",
                )
            # Users from before the release are a broadcast's audience (private chat + user).
            broadcasts = Broadcaster(db, ChatPreferences(db, I18n()), lambda lang, p: "")
            assert await broadcasts.audience_count() == 2
        finally:
            await db.close()
