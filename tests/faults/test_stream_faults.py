"""Stream faults, injected by the sandboxes: a market stream that stays open but stops
sending, and one cut in the middle of a message. Each time the bot notices, says in
``/healthz`` which stream is affected, covers the prices (REST polling, or the candles it
missed once back), and an alert crossed meanwhile reaches its user exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import services_of
from sandbox.runner import SandboxStack
from tests.integration.conftest import RunningBot, running_bot


def fired(m: dict[str, Any]) -> bool:
    text = str(m.get("text"))
    return bool(m.get("from_bot")) and "Price:" in text and "Alert #" in text


@pytest.fixture
async def quick_bot(stack: SandboxStack, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot with a one-second silence threshold (30 s by default)."""
    async with running_bot(stack, tmp_path / "streams.db", stream_silence=1.0) as bot:
        yield bot


async def narkasa_alert(bot: RunningBot) -> None:
    services = services_of(bot.app)
    last = (await services.market.ticker("narkasa", "BTCTRY")).last
    level = (last * Decimal("1.01")).quantize(Decimal(1))
    user = bot.user()
    assert "is set" in await user.ask(f"/alert narkasa BTCTRY above {level}")
    await services.streams.wait_for(
        lambda: services.streams.health()["narkasa"]["state"] == "live", 15
    )


async def stream_health(bot: RunningBot) -> dict[str, Any]:
    url = f"{bot.http.url}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body: dict[str, Any] = await response.json()
    return dict(body["streams"]["narkasa"])


async def one_alert_arrives(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    await emu.wait_for_message(1001, predicate=fired, timeout=30)
    # Whatever the stream says once it is back, the alert is not told twice.
    await bot.stack.servers["narkasa"].push("BTCTRY")  # type: ignore[attr-defined]
    assert "/price" in await bot.user().ask("/help")
    assert sum(1 for m in emu.transcript(1001) if fired(m)) == 1


async def test_a_stream_that_goes_silent_is_reported_polled_and_its_alert_fires_once(
    quick_bot: RunningBot,
) -> None:
    bot = quick_bot
    streams = services_of(bot.app).streams
    await narkasa_alert(bot)
    hub = bot.stack.servers["narkasa"].stream  # type: ignore[attr-defined]
    hub.silent = True  # the socket stays open; no market data comes
    await streams.wait_for(lambda: streams.health()["narkasa"]["state"] == "silent", 15)
    assert (await stream_health(bot))["state"] == "silent"
    bot.stack.market.shift("BTC", 3)  # crosses while the stream says nothing
    await one_alert_arrives(bot)
    hub.silent = False


async def test_a_stream_cut_mid_message_reconnects_and_the_crossing_fires_once(
    quick_bot: RunningBot,
) -> None:
    bot = quick_bot
    streams = services_of(bot.app).streams
    await narkasa_alert(bot)
    hub = bot.stack.servers["narkasa"].stream  # type: ignore[attr-defined]
    assert await hub.break_mid_message("BTCTRY") >= 1
    bot.stack.market.shift("BTC", 3)  # crosses while the bot reconnects
    await streams.wait_for(lambda: streams.health()["narkasa"]["reconnects"] >= 1, 15)
    await one_alert_arrives(bot)
    assert (await stream_health(bot))["reconnects"] >= 1


async def test_a_silent_wallex_socket_io_stream_is_reported_polled_and_its_alert_fires_once(
    quick_bot: RunningBot,
) -> None:
    bot = quick_bot
    services = services_of(bot.app)
    streams = services.streams
    last = (await services.market.ticker("wallex", "BTCTMN")).last
    level = (last * Decimal("1.01")).quantize(Decimal(1))
    assert "is set" in await bot.user().ask(f"/alert wallex BTCTMN above {level}")
    await streams.wait_for(lambda: streams.health()["wallex"]["state"] == "live", 15)
    wallex = bot.stack.servers["wallex"]
    wallex.silent = True  # type: ignore[attr-defined]  # Socket.IO stays connected, mute
    await streams.wait_for(lambda: streams.health()["wallex"]["state"] == "silent", 15)
    bot.stack.market.shift("BTC", 3)  # crosses while the stream says nothing
    emu = bot.stack.telegram
    await emu.wait_for_message(1001, predicate=fired, timeout=30)
    wallex.silent = False  # type: ignore[attr-defined]
    await wallex.push("BTCTMN")  # type: ignore[attr-defined]
    assert "/price" in await bot.user().ask("/help")
    assert sum(1 for m in emu.transcript(1001) if fired(m)) == 1
