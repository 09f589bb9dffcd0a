"""Operating the bot: webhook mode, /readyz and /metrics, admin /stats and /broadcast,
JSON logs — the real bot against the emulator and the sandboxes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import aiohttp
import pytest

from bot.logs import JsonFormatter, RedactingFilter
from bot.webhook import HEADER, PATH, secret_for
from sandbox.runner import SandboxStack

from .conftest import RunningBot, running_bot

ADMIN = 4242


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def metrics_showing(bot: RunningBot, line: str, timeout: float = 10.0) -> str:
    async with asyncio.timeout(timeout):
        while True:
            _, text = await get(f"{bot.http.url}/metrics")
            if line in text:
                return text
            await asyncio.sleep(0.05)  # an HTTP figure: nothing to wait on but the next read


def bot_texts(bot: RunningBot, chat_id: int) -> list[str]:
    return [
        str(m.get("text") or "")
        for m in bot.stack.telegram.transcript(chat_id)
        if m.get("from_bot")
    ]


async def bot_says(bot: RunningBot, chat_id: int, words: str, timeout: float = 20.0) -> str:
    """Wait for a message from the bot in ``chat_id`` containing ``words``."""
    message = await bot.stack.telegram.wait_for_message(
        chat_id, predicate=lambda m: words in str(m.get("text")), timeout=timeout
    )
    return str(message["text"])


# --- webhook ---------------------------------------------------------------------------------
async def test_webhook_mode_registers_a_secret_and_serves_updates(
    stack: SandboxStack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(stack, tmp_path / "hook.db", webhook=True) as bot:
        calls = [r for r in stack.telegram.requests if r.method == "setWebhook"]
        assert len(calls) == 1
        token = stack.env()["TELEGRAM_BOT_TOKEN"]
        secret = secret_for(token)
        assert calls[0].params["url"] == f"{bot.settings.public_url}{PATH}"
        assert calls[0].params["secret_token"] == secret
        assert not any(r.method == "getUpdates" for r in stack.telegram.requests)
        user = bot.user()
        assert "Hello" in await user.ask("/start") or "Sarraf" in await user.ask("/help")
        # Wrong and missing secrets: 403, logged, and nothing handled.
        update = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "text": "/help",
            },
        }
        url = f"{bot.http.url}{PATH}"
        async with aiohttp.ClientSession() as session:
            for headers in ({HEADER: "wrong"}, {}):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
        assert "refused: wrong secret token" in caplog.text
        assert "refused: missing secret token" in caplog.text
        assert secret not in caplog.text and token not in caplog.text
        status, metrics = await get(f"{bot.http.url}/metrics")
        assert "sarraf_webhook_rejected_total 2.0" in metrics
        status, body = await get(f"{bot.http.url}/readyz")
        assert status == 200, body
        assert json.loads(body)["telegram"]["webhook"] is True


# --- readiness and metrics ----------------------------------------------------------------------
async def test_readyz_and_metrics(bot: RunningBot) -> None:
    status, body = await get(f"{bot.http.url}/readyz")
    detail = json.loads(body)
    assert status == 200, body
    assert detail["database"] == {"ok": True}
    assert detail["telegram"]["ok"] is True
    user = bot.user()
    await user.ask("/price wallex BTC/TMN")
    await user.ask("/help")
    await user.ask("/nosuchcommand")
    status, text = await get(f"{bot.http.url}/metrics")
    assert status == 200
    assert 'sarraf_updates_handled_total{kind="command"} 3.0' in text
    assert 'sarraf_command_latency_seconds_count{command="price"} 1.0' in text
    assert 'sarraf_command_latency_seconds_count{command="unknown"} 1.0' in text
    assert 'sarraf_outbox_depth{state="pending"}' in text
    assert 'sarraf_upstream_errors_total{exchange="wallex"} 0.0' in text
    assert 'sarraf_upstream_calls_total{exchange="wallex"}' in text
    assert "sarraf_alerts_fired_total" in text
    assert "sarraf_alerts_delivered 0.0" in text
    assert "sarraf_stream_reconnects_total" in text
    assert "sarraf_leader 1.0" in text


async def test_readyz_is_503_when_the_database_is_gone(bot: RunningBot) -> None:
    async def broken() -> None:
        raise ConnectionRefusedError("database down")

    bot.http.database_check = broken
    status, body = await get(f"{bot.http.url}/readyz")
    assert status == 503
    assert json.loads(body)["database"] == {"ok": False, "error": "ConnectionRefusedError"}
    status, _ = await get(f"{bot.http.url}/healthz")
    assert status == 200  # alive all the same: restarting would not bring the database back


async def test_an_upstream_down_is_degraded_not_unready(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "deg.db", upstream_timeout=1.0) as bot:
        services = bot.app.bot_data["sarraf.services"]
        services.health.failed("narkasa", TimeoutError())
        services.health.ok("wallex")
        status, body = await get(f"{bot.http.url}/readyz")
        detail = json.loads(body)
        assert status == 200
        assert detail["status"] == "degraded"
        assert "narkasa" in detail["failing"] and "wallex" not in detail["failing"]
        for name in list(services.health.upstreams):
            services.health.failed(name, TimeoutError())
        status, body = await get(f"{bot.http.url}/readyz")
        assert status == 503, body


# --- admin commands ---------------------------------------------------------------------------
async def test_admin_commands_are_unknown_to_everyone_else(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "a.db", admins=frozenset({ADMIN})) as bot:
        user = bot.user(1001)
        unknown = await user.ask("/nosuchcommand")
        for command in ("/stats", "/broadcast hello everyone"):
            answer = await user.ask(command)
            assert answer == unknown.replace("/nosuchcommand", command.split()[0])
        assert "/stats" not in await user.ask("/help")
        assert "/broadcast" not in await user.ask("/help")


async def test_stats_for_an_admin(stack: SandboxStack, tmp_path: Path) -> None:
    async with running_bot(stack, tmp_path / "s.db", admins=frozenset({ADMIN})) as bot:
        await bot.user(1001).ask("/start")
        await bot.user(1002).ask("/alert wallex BTC/TMN above 99999999999999")
        admin = bot.user(ADMIN, name="Op")
        text = await admin.ask("/stats")
        assert "Operator figures" in text
        assert "Users: 3 started the bot (0 blocked it)" in text
        assert "Alerts: active 1" in text
        assert "Outbox:" in text and "Streams:" in text
        assert "This replica leads" in text


async def test_broadcast_confirmed_reaches_every_user_once_and_counts_the_blocked(
    stack: SandboxStack, tmp_path: Path
) -> None:
    emu = stack.telegram
    async with running_bot(stack, tmp_path / "b.db", admins=frozenset({ADMIN})) as bot:
        users = [bot.user(uid) for uid in range(2001, 2006)]
        for user in users:
            await user.ask("/start")
        emu.block_bot(2005)
        admin = bot.user(ADMIN, name="Op")
        await admin.ask("/start")
        preview = await admin.send("/broadcast Maintenance <b>tonight</b> at 23:00")
        assert "Recipients: 6." in preview["text"]
        assert preview["text"].endswith("Maintenance <b>tonight</b> at 23:00")  # as typed
        assert not [t for u in users for t in bot_texts(bot, u.chat_id) if "Maintenance" in t]
        await emu.press_button(ADMIN, ADMIN, preview["message_id"], 1)
        report = await bot_says(bot, ADMIN, "finished")
        for user in users[:4]:
            got = [t for t in bot_texts(bot, user.chat_id) if "Maintenance" in t]
            assert got == ["Maintenance <b>tonight</b> at 23:00"]
        admin_sees = bot_texts(bot, ADMIN)
        started = next(i for i, t in enumerate(admin_sees) if "started. Recipients: 6." in t)
        received = admin_sees.index("Maintenance <b>tonight</b> at 23:00")  # an audience too
        assert started < received < admin_sees.index(report)
        assert "5 delivered, 1 blocked the bot, 0 failed, of 6" in report
        stats = await admin.ask("/stats")
        assert "(1 blocked it)" in stats


async def test_broadcast_started_reaches_the_admin_first_even_when_telegram_holds_it_back(
    stack: SandboxStack, tmp_path: Path
) -> None:
    """Telegram answers the first message after Confirm with a 429 for longer than the
    sender's idle wake-up: the admin still reads "started", then the broadcast (the admin
    is an audience too), then "finished" — the outbox keeps each chat's order."""
    emu = stack.telegram
    async with running_bot(stack, tmp_path / "b.db", admins=frozenset({ADMIN})) as bot:
        for uid in (2101, 2102):
            await bot.user(uid).ask("/start")
        admin = bot.user(ADMIN, name="Op")
        await admin.ask("/start")
        preview = await admin.send("/broadcast Held back hello")
        emu.faults.fail("sendMessage", "429", retry_after=3)
        await emu.press_button(ADMIN, ADMIN, preview["message_id"], 1)
        await bot_says(bot, ADMIN, "finished", 30)
        marks = ("Send this", "started", "Held back hello", "finished")
        admin_sees = [
            next(mark for mark in marks if mark in text)
            for text in bot_texts(bot, ADMIN)
            if any(mark in text for mark in marks)
        ]
        assert admin_sees == list(marks), bot_texts(bot, ADMIN)
        for uid in (2101, 2102):
            assert [t for t in bot_texts(bot, uid) if "Held" in t] == ["Held back hello"]


async def test_broadcast_resumes_after_a_restart(stack: SandboxStack, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    async with running_bot(stack, db, admins=frozenset({ADMIN})) as bot:
        for uid in range(3001, 3011):
            await bot.user(uid).ask("/start")
        services = bot.app.bot_data["sarraf.services"]
        broadcasts = services.ops.broadcasts
        await broadcasts.stop()  # nothing sent before the restart
        broadcasts.rate = 2.0
        admin = bot.user(ADMIN, name="Op")
        preview = await admin.send("/broadcast Resumed hello")
        await stack.telegram.press_button(ADMIN, ADMIN, preview["message_id"], 1)
        await bot_says(bot, ADMIN, "started. Recipients")
        assert await broadcasts.step()  # one pass: two users queued, then "crash"
    async with running_bot(stack, db, admins=frozenset({ADMIN})) as bot:
        await bot_says(bot, ADMIN, "finished", 30)
        for uid in range(3001, 3011):
            got = [t for t in bot_texts(bot, uid) if "Resumed hello" in t]
            assert got == ["Resumed hello"], uid


# --- logs -----------------------------------------------------------------------------------
def test_json_logs_carry_no_secret() -> None:
    token = "123456789:AAH9x_secretPartOfTheTokenThatMustNotLeak"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sarraf.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("calling https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"failed at /bot{token}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["level"] for entry in lines] == ["WARNING", "ERROR"]
    assert lines[0]["logger"] == "sarraf.test.json"
    assert "123456789:***" in lines[0]["message"]
    assert "secretPartOfTheToken" not in stream.getvalue()


async def test_metrics_count_an_alert_fired_and_delivered(bot: RunningBot) -> None:
    from decimal import Decimal

    from .test_bot_alerts import btc_tmn, fired

    user = bot.user()
    level = (btc_tmn(bot.stack) * Decimal("1.01")).quantize(Decimal(1))
    assert "is set" in await user.ask(f"/alert wallex BTC/TMN above {level}")
    bot.stack.market.shift("BTC", 3)
    await bot.stack.servers["wallex"].push("BTCTMN")  # type: ignore[attr-defined]
    await bot.stack.telegram.wait_for_message(user.chat_id, predicate=fired, timeout=15)
    # The notifier records "sent" just after Telegram's answer: read until it shows.
    text = await metrics_showing(bot, "sarraf_alerts_delivered 1.0")
    assert "sarraf_alerts_fired_total 1.0" in text
    assert "sarraf_alerts_delivered 1.0" in text
    assert 'sarraf_outbox_rows{kind="alert",state="sent"} 1.0' in text
    assert 'sarraf_outbox_messages_total{outcome="sent"} 1.0' in text
