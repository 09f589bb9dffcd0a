"""Abuse: a per-user command rate limit with one clear message, caps on alerts and on the
/connect conversation, and a flooding user who does not slow others down (measured)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ConversationHandler

from bot.ratelimit import UserRateLimiter
from sandbox.runner import SandboxStack
from tests.conftest import ON_POSTGRES
from tests.integration.conftest import RunningBot, running_bot

SLOW_DOWN = "You are sending commands faster than I answer them."


def test_the_limiter_allows_a_burst_then_the_rate_and_warns_once() -> None:
    limiter = UserRateLimiter(per_minute=60, burst=3)
    now = 1000.0
    assert [limiter.check(7, now) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check(7, now)
    assert 0.9 < wait <= 1.0
    assert limiter.first_refusal(7) and not limiter.first_refusal(7)
    assert limiter.check(8, now) == 0.0  # another user has a bucket of their own
    assert limiter.check(7, now + 1.0) == 0.0  # one second later one more fits
    assert limiter.first_refusal(7)  # an allowed command starts a new episode
    limiter.prune(now + 100)
    assert limiter._buckets == {}


def bot_texts(bot: RunningBot, chat_id: int) -> list[str]:
    return [
        str(m.get("text") or "")
        for m in bot.stack.telegram.transcript(chat_id)
        if m.get("from_bot")
    ]


async def latency(bot: RunningBot, user_id: int) -> float:
    user = bot.user(user_id)
    started = time.monotonic()
    reply = await user.send("/help", timeout=30)
    assert "/price" in str(reply.get("text"))
    return time.monotonic() - started


async def flood_and_measure(bot: RunningBot, flood: int) -> float:
    """One user sends ``flood`` commands at once; the worst reply time another user saw
    while the bot worked through them."""
    emu = bot.stack.telegram
    bot.user(2001, name="Flooder")
    bot.user(2002, name="Patient")
    await latency(bot, 2002)  # warm: the patient user's chat and language are known
    for _ in range(flood):
        await emu.send_text(2001, "/help", chat_id=2001)
    return max([await latency(bot, 2002) for _ in range(3)])


async def test_a_flooder_gets_one_warning_and_does_not_slow_others(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "baseline.db", user_rate=100_000) as bot:
        unlimited = await flood_and_measure(bot, 150)
    seen = len(stack.telegram.transcript(2001))
    async with running_bot(stack, tmp_path / "flood.db", user_rate=20) as bot:
        limited = await flood_and_measure(bot, 150)
        texts = [
            str(m.get("text") or "")
            for m in stack.telegram.transcript(2001)[seen:]
            if m.get("from_bot")
        ]
        # 10 commands of the burst (20 a minute, half a minute's worth at once), one warning.
        warnings = [t for t in texts if SLOW_DOWN in t]
        assert len(warnings) == 1, texts[-3:]
        helps = [t for t in texts if "/price" in t]
        assert 10 <= len(helps) <= 12  # the burst, and what refilled while flooding
        # A warned user who keeps flooding is not warned again.
        for _ in range(20):
            await stack.telegram.send_text(2001, "/help", chat_id=2001)
        await latency(bot, 2002)
        assert sum(SLOW_DOWN in t for t in bot_texts(bot, 2001)[-40:]) == 1
    print(
        f"another user's worst reply during a 150-command flood: {limited:.2f} s "
        f"with the limit, {unlimited:.2f} s without"
    )
    assert limited < 2.0, f"another user waited {limited:.2f} s while one flooded"
    assert limited < unlimited / 2


def alert_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])


@pytest.mark.skipif(ON_POSTGRES, reason="counts rows in the SQLite file")
async def test_the_alert_cap_holds_under_a_burst(stack: SandboxStack, tmp_path: Path) -> None:
    db = tmp_path / "cap.db"
    async with running_bot(stack, db, max_alerts_per_user=3) as bot:
        emu = stack.telegram
        bot.user(1001)
        for i in range(8):
            await emu.send_text(1001, f"/alert narkasa BTCTRY below {1000 + i}", chat_id=1001)
        replies = await wait_replies(bot, 1001, 8)
        assert sum("is set" in t for t in replies) == 3
        assert sum("the most allowed" in t for t in replies) == 5
    assert alert_rows(db) == 3


async def wait_replies(bot: RunningBot, chat_id: int, count: int, timeout: float = 20) -> list[str]:
    emu = bot.stack.telegram

    def enough(_: Any) -> bool:
        return len(bot_texts(bot, chat_id)) >= count

    if not enough(None):
        await emu.wait_for_message(chat_id, predicate=enough, timeout=timeout)
    return bot_texts(bot, chat_id)


async def test_connect_ends_after_its_timeout_and_stores_nothing(bot: RunningBot) -> None:
    [conversation] = [
        h
        for handlers in bot.app.handlers.values()
        for h in handlers
        if isinstance(h, ConversationHandler) and h.name == "connect"
    ]
    conversation._conversation_timeout = 1.0  # five minutes in production
    user = bot.user()
    assert "Send your Wallex" in await user.ask("/connect wallex")
    ended = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "timed out" in str(m.get("text")), timeout=15
    )
    assert "nothing was stored" in ended["text"]
    # The conversation is over: a key-like text now is an ordinary message, not a key.
    assert "I answer commands" in await user.ask("A" * 20 + "1234")
    assert "no" in (await user.ask("/accounts")).lower()
