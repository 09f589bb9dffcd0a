"""/connect across replicas and restarts (``bot/persistence.py``).

Two bots share one database behind the round-robin balancer, so each message of a
conversation reaches the other replica than the one before; a bot stopped mid-way and
started again picks the conversation up; the half-typed secret is never in clear in the
database; and a conversation older than its timeout ends even when the replica whose
timer would have ended it is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.handled import HandledUpdates
from bot.persistence import SharedApplication, SharedConversationHandler
from sandbox import wex
from sandbox.balancer import RoundRobin
from sandbox.runner import SandboxStack
from storage.models import ConversationState, utcnow

from .conftest import RunningBot, free_port, running_bot
from .test_bot_accounts import _step, assert_not_in_database_files


def _flushed(bot: RunningBot) -> HandledUpdates:
    """Updates whose state the bot has written to the database."""
    flushed = HandledUpdates()
    assert isinstance(bot.app, SharedApplication)
    bot.app.on_flushed.append(flushed.record)
    return flushed


@contextlib.asynccontextmanager
async def two_replicas(
    stack: SandboxStack, db: Path
) -> AsyncIterator[tuple[RunningBot, RunningBot, RoundRobin]]:
    balancer = RoundRobin([])
    await balancer.start()
    try:
        ports = free_port(), free_port()
        async with (
            running_bot(
                stack, db, webhook=True, http_port=ports[0], public_url=balancer.url
            ) as first,
            running_bot(
                stack, db, webhook=True, http_port=ports[1], public_url=balancer.url
            ) as second,
        ):
            balancer.backends = [f"http://127.0.0.1:{p}" for p in ports]
            yield first, second, balancer
    finally:
        await balancer.stop()


async def _say(
    bot: RunningBot, flushed: list[HandledUpdates], user_id: int, text: str
) -> dict[str, Any]:
    """Send ``text``; return the bot's first reply once the update is in the database."""
    emu = bot.stack.telegram
    sent = await emu.send_text(user_id, text)
    reply = await emu.wait_for_message(
        user_id, after_message_id=sent["message_id"], predicate=_step, timeout=20
    )
    key = f"m:{user_id}:{sent['message_id']}"
    done = [asyncio.create_task(f.wait(key)) for f in flushed]
    finished, pending = await asyncio.wait(done, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    assert finished, "no replica wrote the update's state"
    return reply


async def test_connect_started_on_one_replica_finishes_on_the_other(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with two_replicas(stack, tmp_path / "bot.db") as (first, second, balancer):
        flushed = [_flushed(first), _flushed(second)]
        emu = stack.telegram
        emu.add_user(user_id=1001, first_name="Ali", language_code="en")
        before = dict(balancer.served)
        prompt = await _say(first, flushed, 1001, "/connect wex")
        assert "Send your WEX API key (Key)" in str(prompt["text"]), prompt
        prompt = await _say(first, flushed, 1001, wex.DEMO_KEY)
        assert "Send your WEX API key secret" in str(prompt["text"]), prompt
        # The half-typed key is in the database now, and only sealed.
        assert_not_in_database_files(first, [wex.DEMO_KEY])
        sent = await emu.send_text(1001, wex.DEMO_SECRET)
        done = await emu.wait_for_message(
            1001,
            after_message_id=sent["message_id"],
            predicate=lambda m: "is connected" in str(m.get("text")),
            timeout=20,
        )
        assert "WEX is connected" in str(done["text"])
        # Each replica served part of the conversation.
        served = {url: balancer.served[url] - before.get(url, 0) for url in balancer.backends}
        assert all(n >= 1 for n in served.values()), served
        for m in emu.transcript(1001):
            if not m.get("from_bot") and m.get("text") in (wex.DEMO_KEY, wex.DEMO_SECRET):
                assert m["deleted"], m
        # The account is stored and usable whichever replica answers.
        for _ in balancer.backends:
            assert "WEX: key DEMO…" in await _answer(emu, "/accounts", "WEX: key")
        assert "BTC: 23.998 available" in await _answer(emu, "/balance wex", "BTC:")
        assert_not_in_database_files(first, [wex.DEMO_KEY, wex.DEMO_SECRET])


async def _answer(emu: Any, text: str, contains: str) -> str:
    sent = await emu.send_text(1001, text)
    found = await emu.wait_for_message(
        1001,
        after_message_id=sent["message_id"],
        predicate=lambda m: contains in str(m.get("text")),
        timeout=20,
    )
    return str(found["text"])


async def test_a_restart_mid_conversation_continues_it(stack: SandboxStack, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(stack, db) as bot:
        flushed = [_flushed(bot)]
        bot.user()
        prompt = await _say(bot, flushed, 1001, "/connect wex")
        assert "API key (Key)" in str(prompt["text"])
        prompt = await _say(bot, flushed, 1001, wex.DEMO_KEY)
        assert "API key secret" in str(prompt["text"])
    async with running_bot(stack, db) as bot:
        assert_not_in_database_files(bot, [wex.DEMO_KEY])
        reply = await bot.user().ask(wex.DEMO_SECRET, timeout=20)
        assert "WEX is connected" in reply
        assert "WEX: key DEMO…" in await bot.user().ask("/accounts")
        assert_not_in_database_files(bot, [wex.DEMO_KEY, wex.DEMO_SECRET])


async def test_a_conversation_past_its_timeout_ends_after_a_restart(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(stack, db) as bot:
        flushed = [_flushed(bot)]
        bot.user()
        await _say(bot, flushed, 1001, "/connect wex")
        await _say(bot, flushed, 1001, wex.DEMO_KEY)
    async with running_bot(stack, db) as bot:
        # Six minutes pass while no replica holds the conversation's timer.
        async with bot.app.bot_data["sarraf.services"].db.session() as session:
            await session.execute(
                update(ConversationState).values(updated_at=utcnow() - timedelta(minutes=6))
            )
        reply = await _answer(stack.telegram, wex.DEMO_SECRET, "timed out")
        assert "timed out and nothing was stored" in reply
        for m in stack.telegram.transcript(1001):
            assert "is connected" not in str(m.get("text"))
            if not m.get("from_bot") and m.get("text") == wex.DEMO_SECRET:
                assert m["deleted"], m
        assert "No account connected yet" in await bot.user().ask("/accounts")
        async with bot.app.bot_data["sarraf.services"].db.session() as session:
            left = (await session.execute(ConversationState.__table__.select())).all()
        assert left == []


def _timer(bot: RunningBot) -> Any:
    """The /connect timeout job this replica holds for user 1001, if any."""
    for group in bot.app.handlers.values():
        for handler in group:
            if isinstance(handler, SharedConversationHandler):
                return handler.timeout_jobs.get((1001, 1001))
    return None


async def test_a_replicas_stale_timer_stands_down_and_a_due_one_fires(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with two_replicas(stack, tmp_path / "bot.db") as (first, second, _):
        flushed = [_flushed(first), _flushed(second)]
        emu = stack.telegram
        emu.add_user(user_id=1001, first_name="Ali", language_code="en")
        await _say(first, flushed, 1001, "/connect wex")
        await _say(first, flushed, 1001, wex.DEMO_KEY)
        timers = [(bot, _timer(bot)) for bot in (first, second)]
        assert all(job is not None for _, job in timers), "each replica served one step"
        # The timer of the replica that served /connect is older than the last step,
        # which the other replica wrote: when it fires, it must stay silent.
        (old_bot, old_job), (new_bot, new_job) = sorted(
            timers, key=lambda t: t[1].next_t.timestamp()
        )
        await old_job.run(old_bot.app)
        texts = [str(m.get("text")) for m in emu.transcript(1001)]
        assert not any("timed out" in t for t in texts), texts
        # The timer of the replica that wrote the last step is the due one: it fires
        # (PTB runs it at the timeout; running it here is the same call).
        await new_job.run(new_bot.app)
        texts = [str(m.get("text")) for m in emu.transcript(1001)]
        assert sum("timed out and nothing was stored" in t for t in texts) == 1, texts
        async with new_bot.app.bot_data["sarraf.services"].db.session() as session:
            left = (await session.execute(ConversationState.__table__.select())).all()
        assert left == []
