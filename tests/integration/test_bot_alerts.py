"""Price alerts through the real bot: from a sandbox stream tick to the user's chat."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.app import services_of
from sandbox.runner import SandboxStack
from sandbox.telegram import ManualClock

from .conftest import RunningBot, running_bot

ROOT = Path(__file__).resolve().parents[2]


def btc_tmn(stack: SandboxStack) -> Decimal:
    sandbox = stack.servers["wallex"]
    return Decimal(sandbox._stats(sandbox.markets["BTCTMN"])["lastPrice"])  # type: ignore[attr-defined]


def fired(m: dict[str, Any]) -> bool:
    return (
        bool(m.get("from_bot"))
        and ": above" in str(m.get("text", ""))
        and "Price:" in str(m.get("text", ""))
    )


async def test_an_alert_fires_once_from_the_stream_with_buttons(bot: RunningBot) -> None:
    user = bot.user()
    stack = bot.stack
    price = btc_tmn(stack)
    level = (price * Decimal("1.01")).quantize(Decimal(1))
    created = await user.ask(f"/alert wallex BTC/TMN above {level}")
    assert "Alert #" in created and "is set" in created and "above" in created
    wallex = stack.servers["wallex"]
    stack.market.shift("BTC", 3)  # the price jumps 3 % …
    await wallex.push("BTCTMN")  # … and the stream tells the bot
    message = await stack.telegram.wait_for_message(user.chat_id, predicate=fired, timeout=10)
    text = message["text"]
    assert "BTC/TMN on Wallex: above" in text and "Price:" in text and "is done" in text
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Re-arm", "Delete", "Chart"]
    for _ in range(3):  # more ticks above the level: still one message
        await wallex.push("BTCTMN")
    await user.ask("/help")
    assert sum(1 for m in stack.telegram.transcript(user.chat_id) if fired(m)) == 1
    listing = await user.ask("/alerts")
    assert "fired" in listing


async def test_alerts_list_pause_and_delete(bot: RunningBot) -> None:
    user = bot.user()
    created = await user.ask("/alert narkasa BTCTRY below 1000")
    alert_id = created.split("Alert #", 1)[1].split(" ", 1)[0]
    listing = await user.send("/alerts")
    assert f"#{alert_id}" in listing["text"] and "active" in listing["text"]
    await bot.stack.telegram.press_button(user.user_id, user.chat_id, listing["message_id"], 1)
    paused = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "is paused" in str(m.get("text")), timeout=10
    )
    assert f"#{alert_id}" in paused["text"]
    assert f"Alert #{alert_id} is deleted" in await user.ask(f"/delalert {alert_id}")
    assert "You have no alerts" in await user.ask("/alerts")
    assert "You have no alert #999" in await user.ask("/delalert 999")


async def test_bad_alert_input_and_the_per_user_limit(stack: SandboxStack, tmp_path: Path) -> None:
    async with running_bot(stack, tmp_path / "limit.db", max_alerts_per_user=1) as bot:
        user = bot.user()
        assert "is not a condition" in await user.ask("/alert wallex BTCTMN near 5")
        assert "Usage: /alert" in await user.ask("/alert wallex")
        assert "has no market" in await user.ask("/alert wallex NOPE above 5")
        assert "is set" in await user.ask("/alert wallex BTCTMN above 99999999999999")
        assert "the most allowed" in await user.ask("/alert wallex BTCTMN above 2")


async def test_a_crossing_while_the_bot_was_down_fires_once_after_restart(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    async with running_bot(stack, db) as bot:
        user = bot.user()
        level = (btc_tmn(stack) * Decimal("1.01")).quantize(Decimal(1))
        assert "is set" in await user.ask(f"/alert wallex BTCTMN cross {level}")
    stack.market.shift("BTC", 3)  # crosses while no bot is running
    async with running_bot(stack, db) as bot:
        user = bot.user()
        message = await stack.telegram.wait_for_message(
            user.chat_id,
            predicate=lambda m: "crossing" in str(m.get("text")) and "Price:" in str(m.get("text")),
            timeout=15,
        )
        assert "is done" in message["text"]
        await user.ask("/help")
    async with running_bot(stack, db) as bot:  # and not again after another restart
        await bot.user().ask("/help")
    crossings = [
        m
        for m in stack.telegram.transcript(1001)
        if m.get("from_bot") and "Price:" in str(m.get("text"))
    ]
    assert len(crossings) == 1


def outbox_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT state, dedupe FROM outbox"))


async def test_killed_between_firing_and_sending_the_user_gets_the_alert_exactly_once(
    tmp_path: Path, market_clock: Any
) -> None:
    telegram_clock = ManualClock(start=float(market_clock()))
    async with SandboxStack(clock=market_clock, flood=True, telegram_clock=telegram_clock) as stack:
        emu = stack.telegram
        user = emu.add_user(user_id=5005, first_name="Crash")
        db = tmp_path / "crash.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
        env.update(stack.env())
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{db}",
            SARRAF_MASTER_KEY_FILE=str(tmp_path / "k"),
            SARRAF_HTTP_PORT="0",
        )

        async def start_bot() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )

        proc = await start_bot()
        try:
            level = (btc_tmn(stack) * Decimal("1.01")).quantize(Decimal(1))
            sent = await emu.send_text(user.id, f"/alert wallex BTCTMN above {level}")
            await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=60)
            # Spend the chat's flood allowance; with Telegram's clock standing still it does
            # not refill, so the alert will fire but cannot be delivered (429).
            for _ in range(2):  # with the /alert reply: the chat's burst of 3
                sent = await emu.send_text(user.id, "/help")
                await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
            before = len(emu.requests)
            stack.market.shift("BTC", 3)
            await stack.servers["wallex"].push("BTCTMN")  # type: ignore[attr-defined]
            async with asyncio.timeout(30):
                while not any(state == "pending" for state, _ in outbox_rows(db)):
                    await emu.wait_for_request("sendMessage", after=before, timeout=30)
                    before = len(emu.requests)
            proc.send_signal(signal.SIGKILL)  # fired and committed, not yet delivered
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert [m for m in emu.transcript(user.id) if fired(m)] == []
        telegram_clock.advance(60)  # Telegram lets the chat send again
        proc = await start_bot()
        try:
            message = await emu.wait_for_message(user.id, predicate=fired, timeout=60)
            assert "above" in message["text"]
            sent = await emu.send_text(user.id, "/help")
            await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)
        assert len([m for m in emu.transcript(user.id) if fired(m)]) == 1
        assert [state for state, _ in outbox_rows(db)] == ["sent"]


async def test_price_falls_back_to_the_last_streamed_price_marked_stale(bot: RunningBot) -> None:
    from bot.app import services_of

    user = bot.user()
    assert "is set" in await user.ask("/alert wallex BTCTMN above 99999999999999")
    wallex = bot.stack.servers["wallex"]
    last_prices = services_of(bot.app).market.last_prices
    assert last_prices is not None
    async with asyncio.timeout(10):
        while last_prices.get("wallex", "BTCTMN") is None:
            await wallex.push("BTCTMN")  # type: ignore[attr-defined]
            await asyncio.sleep(0.05)
    wallex.harness.faults.status = 503  # type: ignore[attr-defined]
    wallex.harness.faults.only_paths = ("/v1/markets",)  # type: ignore[attr-defined]
    try:
        text = await user.ask("/price wallex BTCTMN", timeout=20)
    finally:
        wallex.harness.faults.clear()  # type: ignore[attr-defined]
    assert "BTC/TMN on Wallex" in text and "Stale: Wallex is not answering" in text


def rate_fired(m: dict[str, Any]) -> bool:
    return bool(m.get("from_bot")) and "on WallexPay: above" in str(m.get("text", ""))


async def test_a_wallexpay_rate_alert_fires_from_polling_without_a_chart_button(
    bot: RunningBot,
) -> None:
    user = bot.user()
    stack = bot.stack
    wallexpay = stack.servers["wallexpay"]
    probe = await user.ask("/alert wallexpay BTC/USDT above 1000000000")
    assert "BTC/USDT on WallexPay" in probe and "Price now:" in probe
    now = Decimal(probe.split("Price now: ", 1)[1].split(" ", 1)[0].replace(",", ""))
    level = (now * Decimal("1.01")).quantize(Decimal("0.01"))
    created = await user.ask(f"/alert wallexpay btc-usdt above {level}")
    assert "is set" in created and "USDT" in created
    rate_calls = [r for r in wallexpay.harness.requests if r.path.endswith("/currencies/rates")]  # type: ignore[attr-defined]
    assert rate_calls and all(r.headers.get("X-Processing-Signature") for r in rate_calls)
    assert not any(rate_fired(m) for m in stack.telegram.transcript(user.chat_id))
    stack.market.shift("BTC", 3)  # the rate follows the market; the poller sees it
    message = await stack.telegram.wait_for_message(user.chat_id, predicate=rate_fired, timeout=30)
    assert "BTC/USDT on WallexPay: above" in message["text"] and "USDT at" in message["text"]
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Re-arm", "Delete"]  # rates only: nothing to chart
    await user.ask("/help")
    assert sum(1 for m in stack.telegram.transcript(user.chat_id) if rate_fired(m)) == 1
    health = services_of(bot.app).streams.health()["wallexpay"]
    assert health["polling"] is True


async def test_a_wallexpay_alert_without_the_operators_key_gets_a_sentence(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(
        stack,
        tmp_path / "nokey.db",
        wallexpay_processing_key=None,
        wallexpay_processing_secret=None,
    ) as bot:
        user = bot.user()
        answer = await user.ask("/alert wallexpay BTC/USDT above 100000")
        assert "WallexPay rates are not set up on this bot" in answer
        assert "WALLEXPAY_PROCESSING_KEY" in answer
        assert "You have no alerts" in await user.ask("/alerts")


async def test_a_wallexpay_alert_crossed_while_the_bot_was_down_fires_once_after_restart(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "rates-restart.db"
    async with running_bot(stack, db) as bot:
        user = bot.user()
        probe = await user.ask("/alert wallexpay BTC/USDT below 1")
        now = Decimal(probe.split("Price now: ", 1)[1].split(" ", 1)[0].replace(",", ""))
        level = (now * Decimal("1.01")).quantize(Decimal("0.01"))
        assert "is set" in await user.ask(f"/alert wallexpay BTC/USDT above {level}")
    stack.market.shift("BTC", 3)  # crosses while no bot is running
    async with running_bot(stack, db) as bot:
        user = bot.user()
        await stack.telegram.wait_for_message(user.chat_id, predicate=rate_fired, timeout=30)
        await user.ask("/help")
    assert sum(1 for m in stack.telegram.transcript(1001) if rate_fired(m)) == 1
