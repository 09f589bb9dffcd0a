"""The outbox and its notifier against the Telegram emulator (flood limits on where it
matters) and a real database: SQLite always, PostgreSQL for the repository when a server
answers at ``SARRAF_TEST_POSTGRES`` (default ``postgresql+asyncpg://postgres@127.0.0.1/test``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import ChatMigrated, TimedOut
from telegram.ext import AIORateLimiter, ExtBot

from bot.buttons import ButtonService
from bot.notifier import Notifier
from bot.ratelimit import Limits
from sandbox.telegram import FloodLimits, TelegramEmulator
from storage.db import Database
from storage.models import Button, OutboxMessage
from storage.repos import outbox

PG_URL = os.environ.get("SARRAF_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1/test")
NO_FLOOD = FloodLimits(enabled=False)
# python-telegram-bot's own RetryAfter() warns about its future retry_after type.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
FAST = Limits(chat_burst=1, chat_per_second=50.0, global_gap=0.0)


# -- fixtures -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sqlite_database(path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.upgrade()
        yield db
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[Database]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need asyncpg, which is not installed")
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"sarraf_outbox_{secrets.token_hex(6)}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # unreachable server, refused login, …
        await admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {type(error).__name__}: {error}")
    db = Database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        await db.upgrade()
        yield db
    finally:
        await db.close()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path / "outbox.db") as db:
        yield db


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        async with sqlite_database(tmp_path / "outbox.db") as db:
            yield db
    else:
        async with postgres_database() as db:
            yield db


Emulators = Callable[..., Awaitable[TelegramEmulator]]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulators]:
    started: list[TelegramEmulator] = []

    async def start(flood: FloodLimits = NO_FLOOD, users: int = 1) -> TelegramEmulator:
        emu = TelegramEmulator(flood=flood)
        for user_id in range(1001, 1001 + users):
            emu.add_user(user_id, f"U{user_id}", started=True)
        await emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        await emu.stop()


def plain_bot(emu: TelegramEmulator) -> Bot:
    return Bot(emu.token, base_url=f"{emu.api_root}/bot", base_file_url=f"{emu.api_root}/file/bot")


def app_bot(emu: TelegramEmulator) -> ExtBot[Any]:
    """A bot as ``bot/app.py`` builds it: with AIORateLimiter retrying 429s itself."""
    return ExtBot(
        emu.token,
        base_url=f"{emu.api_root}/bot",
        base_file_url=f"{emu.api_root}/file/bot",
        rate_limiter=AIORateLimiter(max_retries=5),
    )


@pytest.fixture
async def running() -> AsyncIterator[Callable[[Notifier], Awaitable[Notifier]]]:
    notifiers: list[Notifier] = []

    async def start(notifier: Notifier) -> Notifier:
        await notifier.start()
        notifiers.append(notifier)
        return notifier

    yield start
    for notifier in notifiers:
        await notifier.stop()


async def enqueue_many(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.session() as session:
        for row in rows:
            assert await outbox.enqueue(session, **row)


def message(chat_id: int, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "chat_id": chat_id,
        "user_id": chat_id if chat_id > 0 else None,
        "kind": "alert",
        "dedupe": f"{chat_id}:{n}",
        "text": f"<b>#{n}</b> for {chat_id}",
        **extra,
    }


async def states(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return await outbox.counts(session)


async def settled(db: Database, timeout: float = 30.0, *, pending: int = 0) -> dict[str, int]:
    """Poll the outbox until only ``pending`` rows are left (the test's deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await states(db)
        if found["pending"] == pending:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not settled in {timeout}s: {found}")
        await asyncio.sleep(0.05)


def bot_texts(emu: TelegramEmulator, chat_id: int) -> list[str]:
    return [str(m.get("text")) for m in emu.transcript(chat_id) if m.get("from_bot")]


def sends(emu: TelegramEmulator) -> int:
    return sum(1 for r in emu.requests if r.method == "sendMessage")


# -- the repository, on SQLite and PostgreSQL ---------------------------------------------------


async def test_enqueue_dedupe_keeps_the_callers_transaction(any_db: Database) -> None:
    async with any_db.session() as session:
        assert await outbox.enqueue(session, **message(1001, 1))
        # The same key again inside the same transaction: refused, transaction intact.
        assert not await outbox.enqueue(session, **message(1001, 1, text="other"))
        assert await outbox.enqueue(session, **message(1001, 2))
    async with any_db.session() as session:
        assert not await outbox.enqueue(session, **message(1001, 1))
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.dedupe, r.text, r.state, r.attempts) for r in rows] == [
        ("1001:1", "<b>#1</b> for 1001", "pending", 0),
        ("1001:2", "<b>#2</b> for 1001", "pending", 0),
    ]


async def test_enqueue_rejects_malformed_buttons(any_db: Database) -> None:
    async with any_db.session() as session:
        with pytest.raises(ValueError):
            await outbox.enqueue(session, **message(1, 1, buttons=[[{"action": "x"}]]))
        with pytest.raises(ValueError):
            await outbox.enqueue(session, **message(1, 2, dedupe="k" * 97))
        assert await outbox.pending_count(session) == 0


async def test_due_is_oldest_first_and_a_retry_holds_back_its_chat(any_db: Database) -> None:
    now = datetime.now(UTC)
    await enqueue_many(any_db, [message(c, n) for n in (1, 2, 3) for c in (1001, 1002, -5)])
    async with any_db.session() as session:
        rows = await outbox.due(session, now, 100)
        assert [(r.chat_id, r.text[3:5]) for r in rows][:3] == [
            (1001, "#1"),
            (1002, "#1"),
            (-5, "#1"),
        ]
        assert [r.id for r in rows] == sorted(r.id for r in rows)
        first_of_1001 = rows[0].id
        assert await outbox.mark_retry(
            session, first_of_1001, not_before=now + timedelta(minutes=1), error="TimedOut"
        )
    async with any_db.session() as session:
        rows = await outbox.due(session, now, 100)
        assert all(r.chat_id != 1001 for r in rows)  # its later rows wait for the first
        assert len(await outbox.due(session, now, 100, per_chat=1)) == 2
        assert len(await outbox.due(session, now, 2)) == 2
        later = await outbox.due(session, now + timedelta(minutes=2), 100)
        assert [r.chat_id for r in later].count(1001) == 3
        row = await outbox.get(session, first_of_1001)
        assert row is not None and row.attempts == 1 and row.error == "TimedOut"


async def test_settling_rows(any_db: Database) -> None:
    await enqueue_many(any_db, [message(1001, n) for n in range(4)] + [message(1002, 9)])
    async with any_db.session() as session:
        ids = [r.id for r in await outbox.due(session, datetime.now(UTC), 10)]
        assert await outbox.mark_sent(session, ids[0], message_id=77)
        assert not await outbox.mark_sent(session, ids[0], message_id=78)  # settled once
        assert await outbox.mark_failed(session, ids[1], error="x" * 1000)  # clipped
        assert await outbox.mark_blocked(session, 1001, error="Forbidden: blocked") == 2
        assert await outbox.pending_count(session) == 1
        assert await outbox.counts(session) == {
            "pending": 1,
            "sent": 1,
            "failed": 1,
            "blocked": 2,
        }
        sent = await outbox.get(session, ids[0])
        assert sent is not None and sent.message_id == 77 and sent.sent_at is not None
        failed = await outbox.get(session, ids[1])
        assert failed is not None and failed.error is not None and len(failed.error) == 256
        assert await outbox.retarget(session, 1002, -1002) == 1


# -- the notifier -------------------------------------------------------------------------------


async def test_fifty_messages_for_one_chat_arrive_in_order_through_429s(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    # Telegram here lets a chat have 10 at once, then 20 a second; the notifier is told a
    # looser budget on purpose, so the emulator must refuse it and it must recover. The
    # bot is the Application's kind, with AIORateLimiter: the notifier must still see
    # every 429 itself.
    emu = await emulator(FloodLimits(chat_burst=10, chat_refill_per_second=20.0))
    limits = Limits(chat_burst=20, chat_per_second=100.0, global_gap=0.0)
    notifier = Notifier(sqlite_db, app_bot(emu), ButtonService(sqlite_db), limits=limits)
    await enqueue_many(sqlite_db, [message(1001, n) for n in range(50)])
    await running(notifier)
    found = await settled(sqlite_db, timeout=30)
    assert found == {"pending": 0, "sent": 50, "failed": 0, "blocked": 0}
    assert bot_texts(emu, 1001) == [f"#{n} for 1001" for n in range(50)]
    assert notifier.stats.flood_waits > 0
    assert sends(emu) == 50 + notifier.stats.flood_waits  # every refusal was sent again


async def test_many_chats_interleave_within_the_global_limit(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    chats = 60
    emu = await emulator(FloodLimits(), users=chats)  # Telegram's limits
    notifier = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db))
    await enqueue_many(sqlite_db, [message(1001 + c, n) for n in range(2) for c in range(chats)])
    began = time.monotonic()
    await running(notifier)
    found = await settled(sqlite_db, timeout=30)
    elapsed = time.monotonic() - began
    assert found["sent"] == 2 * chats
    # 120 messages at 30/s: the first 30 at once, the rest a window each → about 3 s.
    assert 2.9 <= elapsed <= 6.0, elapsed
    assert sends(emu) == 2 * chats, "the emulator refused some: the global limit was crossed"
    order = [int(r.params["chat_id"]) for r in emu.requests if r.method == "sendMessage"]
    # Interleaved: every chat's first message before any chat's second.
    assert set(order[:chats]) == {1001 + c for c in range(chats)}
    for c in range(chats):
        assert bot_texts(emu, 1001 + c) == [f"#0 for {1001 + c}", f"#1 for {1001 + c}"]


async def test_many_chats_refused_at_once_pause_the_whole_bot(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    # Telegram here allows 10 a second over all chats; the notifier believes 30.
    emu = await emulator(FloodLimits(bot_messages=10), users=40)
    notifier = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db))
    await enqueue_many(sqlite_db, [message(1001 + c, 0) for c in range(40)])
    await running(notifier)
    found = await settled(sqlite_db, timeout=30)
    assert found == {"pending": 0, "sent": 40, "failed": 0, "blocked": 0}
    assert notifier.stats.global_pauses >= 1
    assert sends(emu) == 40 + notifier.stats.flood_waits  # every refusal sent again
    for c in range(40):
        assert bot_texts(emu, 1001 + c) == [f"#0 for {1001 + c}"]


async def test_a_chats_backlog_does_not_hold_up_other_chats(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator(FloodLimits(), users=6)  # Telegram's limits: 1/s in a chat
    await enqueue_many(sqlite_db, [message(1001, n) for n in range(100)])
    await enqueue_many(sqlite_db, [message(1002 + c, 0) for c in range(5)])
    notifier = await running(
        Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), per_chat=10)
    )
    for c in range(5):
        await emu.wait_for_message(1002 + c, timeout=3)
    assert len(bot_texts(emu, 1001)) <= 5  # a burst of 3 and about one a second
    assert notifier.stats.flood_waits == 0


async def test_rows_from_another_process_are_found_by_the_poll(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    await running(Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), poll_interval=0.2))
    await asyncio.sleep(0.05)  # the first read has found nothing
    await enqueue_many(sqlite_db, [message(1001, 1)])  # no wake(): someone else wrote it
    sent = await emu.wait_for_message(1001, timeout=2)
    assert sent["text"] == "#1 for 1001"


class MigratingBot(Bot):
    """Telegram's answer for a group that became a supergroup: ChatMigrated."""

    def __init__(self, *args: Any, old: int, new: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._old, self._new = old, new

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("chat_id") == self._old:
            raise ChatMigrated(self._new)
        return await super().send_message(*args, **kwargs)


async def test_rows_follow_a_group_that_became_a_supergroup(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    new = emu.add_group("Traders", members=[1001]).id
    bot = MigratingBot(emu.token, base_url=f"{emu.api_root}/bot", old=-42, new=new)
    await enqueue_many(sqlite_db, [message(-42, n) for n in range(3)])
    await running(Notifier(sqlite_db, bot, ButtonService(sqlite_db), limits=FAST))
    await settled(sqlite_db)
    assert bot_texts(emu, new) == [f"#{n} for -42" for n in range(3)]


async def test_group_limit(sqlite_db: Database, emulator: Emulators, running: Any) -> None:
    # The group's window is what binds here, not the per-chat bucket.
    emu = await emulator(
        FloodLimits(
            chat_burst=10, chat_refill_per_second=10, group_messages=4, group_window_seconds=1.0
        )
    )
    group = emu.add_group("Traders", members=[1001]).id
    limits = Limits(chat_burst=10, chat_per_second=10, group_messages=4, group_window=1.0)
    notifier = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), limits=limits)
    await enqueue_many(sqlite_db, [message(group, n) for n in range(10)])
    began = time.monotonic()
    await running(notifier)
    await settled(sqlite_db, timeout=15)
    assert time.monotonic() - began >= 2.0  # 4 + 4 + 2 over three windows
    assert sends(emu) == 10 and notifier.stats.flood_waits == 0
    assert bot_texts(emu, group) == [f"#{n} for {group}" for n in range(10)]


async def test_a_blocked_user_blocks_their_rows_and_is_reported_once(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator(users=2)
    emu.block_bot(1001)
    reported: list[int] = []

    async def on_blocked(chat_id: int) -> None:
        reported.append(chat_id)

    notifier = Notifier(
        sqlite_db, plain_bot(emu), ButtonService(sqlite_db), on_blocked=on_blocked, limits=FAST
    )
    await enqueue_many(sqlite_db, [message(c, n) for n in range(5) for c in (1001, 1002)])
    await running(notifier)
    found = await settled(sqlite_db)
    assert found == {"pending": 0, "sent": 5, "failed": 0, "blocked": 5}
    assert reported == [1001]
    assert [r.params["chat_id"] for r in emu.requests if r.method == "sendMessage"].count(
        1001
    ) == 1  # one refusal, then the chat's other rows are settled without sending
    async with sqlite_db.session() as session:
        errors = set(
            (
                await session.scalars(
                    select(OutboxMessage.error).where(OutboxMessage.chat_id == 1001)
                )
            ).all()
        )
    assert errors == {"Forbidden: bot was blocked by the user"}


async def test_bad_request_fails_the_row_with_the_reason(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    notifier = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), limits=FAST)
    await enqueue_many(
        sqlite_db, [message(1001, 1, text="<b>unclosed"), message(1001, 2), message(77, 1)]
    )
    await running(notifier)
    found = await settled(sqlite_db)
    assert found == {"pending": 0, "sent": 1, "failed": 2, "blocked": 0}
    async with sqlite_db.session() as session:
        failed = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.state == "failed"))
        ).all()
    reasons = {row.dedupe: row.error or "" for row in failed}
    assert reasons["1001:1"].startswith("BadRequest: Can't parse entities")
    assert "chat not found" in reasons["77:1"].lower()
    assert bot_texts(emu, 1001) == ["#2 for 1001"]  # the next message was not held back


async def test_one_dedupe_key_enqueued_twice_is_one_message(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    notifier = await running(Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db)))
    for _ in range(2):
        async with sqlite_db.session() as session:
            await outbox.enqueue(session, **message(1001, 1))
        notifier.wake()
    await settled(sqlite_db)
    assert bot_texts(emu, 1001) == ["#1 for 1001"]
    assert sends(emu) == 1


async def test_wake_reaches_telegram_within_milliseconds(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator(FloodLimits(), users=5)  # one chat each: no chat's limit binds
    # A poll once a minute: only wake() can explain a quick delivery.
    notifier = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), poll_interval=60)
    await running(notifier)
    latencies = []
    for n in range(5):
        after = len(emu.requests)
        began = time.perf_counter()
        async with sqlite_db.session() as session:
            await outbox.enqueue(session, **message(1001 + n, n))
        notifier.wake()
        await emu.wait_for_request("sendMessage", after=after, timeout=2)
        latencies.append(time.perf_counter() - began)
    assert max(latencies) < 0.25, latencies  # a poll tick would be 60 s


async def test_stop_finishes_the_send_in_flight_and_leaves_the_rest_pending(
    sqlite_db: Database, emulator: Emulators
) -> None:
    emu = await emulator()
    limits = Limits(chat_burst=1, chat_per_second=20.0)
    await enqueue_many(sqlite_db, [message(1001, n) for n in range(20)])
    first = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), limits=limits)
    await first.start()
    await emu.wait_for_request("sendMessage", after=0, timeout=5)
    request = await emu.wait_for_request("sendMessage", after=len(emu.requests), timeout=5)
    assert request.method == "sendMessage"  # a send is now on its way back
    await first.stop()
    found = await states(sqlite_db)
    delivered = bot_texts(emu, 1001)
    assert found["sent"] == len(delivered) >= 2  # the in-flight one finished and counted
    assert found["pending"] == 20 - len(delivered) > 0
    second = Notifier(sqlite_db, plain_bot(emu), ButtonService(sqlite_db), limits=limits)
    await second.start()
    try:
        await settled(sqlite_db, timeout=10)
    finally:
        await second.stop()
    assert bot_texts(emu, 1001) == [f"#{n} for 1001" for n in range(20)]  # none twice


async def test_buttons_arrive_as_fresh_one_time_tokens(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    buttons = ButtonService(sqlite_db)
    notifier = await running(Notifier(sqlite_db, plain_bot(emu), buttons))
    rows = [
        [
            {"label": "Pause", "action": "alert.pause", "payload": {"alert": 7}},
            {"label": "Delete", "action": "alert.delete", "payload": {"alert": 7}},
        ],
        [{"label": "Chart", "action": "chart", "payload": {}}],
    ]
    async with sqlite_db.session() as session:
        await outbox.enqueue(session, **message(1001, 1, buttons=rows))
    notifier.wake()
    sent = await emu.wait_for_message(1001)
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [["Pause", "Delete"], ["Chart"]]
    data = [b["callback_data"] for row in keyboard for b in row]
    assert all(d.startswith("b:") for d in data) and len(set(data)) == 3
    async with sqlite_db.session() as session:
        issued = {b.token: b for b in (await session.scalars(select(Button))).all()}
    assert {issued[d[2:]].action for d in data} == {"alert.pause", "alert.delete", "chart"}
    assert all(issued[d[2:]].user_id == 1001 for d in data)
    press = await buttons.press(data[0], 1001)
    assert not isinstance(press, str) and press.payload == {"alert": 7}
    assert await buttons.press(data[1], 1001) == "used"  # one answer per message


class FlakyBot(Bot):
    """Times out the first ``failures`` sends, as a slow network would."""

    def __init__(self, *args: Any, failures: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failures = failures

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        if self._failures > 0:
            self._failures -= 1
            raise TimedOut("simulated")
        return await super().send_message(*args, **kwargs)


async def test_timeouts_are_retried_with_backoff_then_failed(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator()
    limits = Limits(backoff_base=0.05, backoff_cap=0.2, max_attempts=3)
    url = f"{emu.api_root}/bot"
    flaky = FlakyBot(emu.token, base_url=url, failures=2)
    notifier = Notifier(sqlite_db, flaky, ButtonService(sqlite_db), limits=limits)
    await enqueue_many(sqlite_db, [message(1001, 1), message(1001, 2)])
    await notifier.start()
    try:
        await settled(sqlite_db)
    finally:
        await notifier.stop()
    assert bot_texts(emu, 1001) == ["#1 for 1001", "#2 for 1001"]  # order kept
    assert notifier.stats.retried == 2
    async with sqlite_db.session() as session:
        first = (await outbox.due(session, datetime.now(UTC), 1)) or None
        row = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    assert first is None and row is not None and row.attempts == 2 and row.state == "sent"

    always = FlakyBot(emu.token, base_url=url, failures=10**6)
    doomed = await running(Notifier(sqlite_db, always, ButtonService(sqlite_db), limits=limits))
    await enqueue_many(sqlite_db, [message(1001, 3)])
    doomed.wake()
    await settled(sqlite_db)
    async with sqlite_db.session() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe == "1001:3"))
    assert row is not None and row.state == "failed" and row.attempts == 3
    assert row.error == "after 3 attempts: TimedOut: simulated"


# -- leases: several notifiers on one outbox -----------------------------------------------------


async def lease_round(
    db: Database, owner: str, now: datetime, held: set[int], limit: int = 20
) -> set[int]:
    """What one notifier's fetch does: due rows for ``owner`` (past those it holds), then
    lease them."""
    async with db.session() as session:
        await outbox.serialise_leasing(session)
        due = await outbox.due(session, now, limit + len(held), owner=owner, skip=held)
        rows = await outbox.lease(
            session, [r.id for r in due], outbox.Lease(owner, now + timedelta(seconds=30)), now
        )
        return {r.id for r in rows}


async def test_two_owners_never_lease_one_row_and_a_chat_stays_with_one(
    any_db: Database,
) -> None:
    other = Database(any_db.url)  # a second engine: another process, as far as the db knows
    try:
        now = datetime.now(UTC)
        taken: dict[str, set[int]] = {"a": set(), "b": set()}
        for wave in range(4):  # chat by chat, so one round's 20 rows cover a few chats
            await enqueue_many(
                any_db, [message(c, wave * 10 + n) for c in range(1001, 1011) for n in range(5)]
            )
            for _ in range(3):
                a, b = await asyncio.gather(
                    lease_round(any_db, "a", now, taken["a"]),
                    lease_round(other, "b", now, taken["b"]),
                )
                assert not a & taken["b"] and not b & taken["a"]
                taken["a"] |= a
                taken["b"] |= b
        assert not taken["a"] & taken["b"]
        assert taken["a"] and taken["b"]
        assert len(taken["a"] | taken["b"]) == 200
        async with any_db.session() as session:
            rows = list(await session.scalars(select(OutboxMessage)))
        owners_per_chat: dict[int, set[str | None]] = {}
        for row in rows:
            owners_per_chat.setdefault(row.chat_id, set()).add(row.leased_by)
            assert row.leased_by == ("a" if row.id in taken["a"] else "b")
        assert all(len(owners) == 1 for owners in owners_per_chat.values()), owners_per_chat
    finally:
        await other.close()


async def test_a_live_lease_holds_its_chat_and_a_lapsed_one_is_taken_over(
    any_db: Database,
) -> None:
    await enqueue_many(any_db, [message(1001, n) for n in range(3)] + [message(1002, 0)])
    now = datetime.now(UTC)
    async with any_db.session() as session:
        first = (await outbox.due(session, now, 10, owner="a"))[0]
        short = outbox.Lease("a", now + timedelta(seconds=5))
        assert [r.id for r in await outbox.lease(session, [first.id], short, now)] == [first.id]
    async with any_db.session() as session:
        # b sees chat 1001 held behind a's row (its later rows too), and cannot take it.
        assert {r.chat_id for r in await outbox.due(session, now, 10, owner="b")} == {1002}
        assert await outbox.held_chats(session, now, "b") == {1001}
        assert await outbox.held_chats(session, now, "a") == set()
        b_lease = outbox.Lease("b", now + timedelta(seconds=30))
        assert await outbox.lease(session, [first.id], b_lease, now) == []
        assert await outbox.renew(
            session, [first.id], outbox.Lease("a", now + timedelta(seconds=6))
        )
    later = now + timedelta(seconds=7)  # a died: its lease lapsed
    async with any_db.session() as session:
        assert len(await outbox.due(session, later, 10, owner="b")) == 4
        taken = await outbox.lease(
            session, [first.id], outbox.Lease("b", later + timedelta(30)), later
        )
        assert [r.leased_by for r in taken] == ["b"]
        assert await outbox.renew(session, [first.id], outbox.Lease("a", later)) == set()
    async with any_db.session() as session:
        assert await outbox.release(session, "b") == 1
        assert await outbox.held_chats(session, later, "a") == set()


async def test_two_notifiers_on_one_outbox_send_every_row_once_in_order(
    any_db: Database, emulator: Emulators
) -> None:
    emu = await emulator(users=12)
    chats = list(range(1001, 1013))
    limits = Limits(chat_burst=1, chat_per_second=40.0, global_gap=0.0)
    other_db = Database(any_db.url)
    # Small batches, so each fetch takes a few chats and both notifiers get some.
    first, second = (
        Notifier(db, plain_bot(emu), ButtonService(db), limits=limits, poll_interval=0.1, batch=8)
        for db in (any_db, other_db)
    )
    await first.start()
    await second.start()
    try:
        for wave in range(5):  # rows keep coming while both drain
            await enqueue_many(any_db, [message(c, wave * 10 + n) for n in range(4) for c in chats])
            first.wake()
            second.wake()
        await settled(any_db, timeout=60)
    finally:
        await first.stop()
        await second.stop()
        await other_db.close()
    assert first.stats.sent > 0 and second.stats.sent > 0  # both really drained
    assert first.stats.sent + second.stats.sent == sends(emu) == 240
    for chat in chats:
        assert bot_texts(emu, chat) == [
            f"#{w * 10 + n} for {chat}" for w in range(5) for n in range(4)
        ]


async def test_rows_handed_over_are_sent_without_reading_them_back_and_wait_their_turn(
    sqlite_db: Database, emulator: Emulators, running: Any
) -> None:
    emu = await emulator(users=2)
    # An older row of chat 1002 waits out a retry: a handed-over row must not pass it.
    await enqueue_many(sqlite_db, [message(1002, 0)])
    async with sqlite_db.session() as session:
        held = (await outbox.due(session, datetime.now(UTC), 10))[0]
        await outbox.mark_retry(
            session, held.id, not_before=datetime.now(UTC) + timedelta(seconds=1), error="t"
        )
    notifier = await running(
        Notifier(
            sqlite_db, plain_bot(emu), ButtonService(sqlite_db), limits=FAST, poll_interval=0.2
        )
    )
    async with asyncio.timeout(5):
        while not notifier.caught_up:
            notifier.wake()
            await asyncio.sleep(0.05)
    queued = []
    async with sqlite_db.session() as session:
        for row in (message(1001, 1), message(1002, 1)):
            added = await outbox.add(session, **row, lease=notifier.birth_lease())
            assert added is not None
            queued.append(added)
    before = len(emu.requests)
    notifier.wake(queued)
    first = await emu.wait_for_request("sendMessage", after=before, timeout=5)
    assert first.params["chat_id"] in (1001, "1001")
    await settled(sqlite_db, timeout=10)
    assert notifier.stats.handed == 1  # 1001's; 1002's went through a fetch, behind #0
    assert bot_texts(emu, 1002) == ["#0 for 1002", "#1 for 1002"]
    assert bot_texts(emu, 1001) == ["#1 for 1001"]
    async with sqlite_db.session() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [r.state for r in rows] == ["sent"] * 3


async def test_a_restart_takes_back_at_once_the_rows_a_dead_process_of_this_host_held(
    any_db: Database, emulator: Emulators, running: Any
) -> None:
    """A SIGKILLed notifier leaves rows leased for up to ``lease_seconds``; the restarted
    process takes back those of a process of this host that is gone, at once, and leaves
    alone the rows of one that still runs or of another host."""
    emu = await emulator(users=3)
    host = socket.gethostname()[:40]
    finished = await asyncio.create_subprocess_exec("true")
    await finished.wait()  # its pid no longer runs
    owners = {
        1001: f"{host}:{finished.pid}:dead0001",
        1002: f"{host}:{os.getppid()}:alive001",  # pytest's parent still runs
        1003: f"elsewhere:{finished.pid}:other001",  # another host: not ours to judge
    }
    now = datetime.now(UTC)
    async with any_db.session() as session:
        for chat_id, owner in owners.items():
            await outbox.add(
                session,
                **message(chat_id, 1),
                lease=outbox.Lease(owner, now + timedelta(minutes=5)),
            )
    await running(Notifier(any_db, plain_bot(emu), ButtonService(any_db), poll_interval=0.1))
    sent = await emu.wait_for_message(1001, timeout=5)  # not after the 5-minute lease
    assert sent["text"] == "#1 for 1001"
    async with any_db.session() as session:
        held = {
            row.chat_id: row.leased_by
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id.in_([1002, 1003]))
            )
        }
    assert held == {1002: owners[1002], 1003: owners[1003]}
    assert bot_texts(emu, 1002) == [] and bot_texts(emu, 1003) == []
