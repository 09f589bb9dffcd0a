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


async def set_alert(bot: RunningBot, exchange: str, symbol: str) -> None:
    """An alert 1% above the last price, once the market's stream is live."""
    services = services_of(bot.app)
    last = (await services.market.ticker(exchange, symbol)).last
    level = (last * Decimal("1.01")).quantize(Decimal(1))
    assert "is set" in await bot.user().ask(f"/alert {exchange} {symbol} above {level}")
    await services.streams.wait_for(
        lambda: services.streams.health()[exchange]["state"] == "live", 15
    )


async def stream_health(bot: RunningBot, exchange: str) -> dict[str, Any]:
    url = f"{bot.http.url}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body: dict[str, Any] = await response.json()
    return dict(body["streams"][exchange])


async def one_alert_arrives(bot: RunningBot, exchange: str, symbol: str) -> None:
    emu = bot.stack.telegram
    await emu.wait_for_message(1001, predicate=fired, timeout=30)
    # Whatever the stream says once it is back, the alert is not told twice.
    await bot.stack.servers[exchange].push(symbol)  # type: ignore[attr-defined]
    assert "/price" in await bot.user().ask("/help")
    assert sum(1 for m in emu.transcript(1001) if fired(m)) == 1


async def silent_stream_is_covered(bot: RunningBot, exchange: str, symbol: str) -> None:
    """The stream stays connected but mute: the bot says so in /healthz, polls, and
    the crossing made meanwhile is told once."""
    streams = services_of(bot.app).streams
    await set_alert(bot, exchange, symbol)
    server: Any = bot.stack.servers[exchange]
    hub = server.stream if exchange == "narkasa" else server
    hub.silent = True
    await streams.wait_for(lambda: streams.health()[exchange]["state"] == "silent", 15)
    assert (await stream_health(bot, exchange))["state"] == "silent"
    bot.stack.market.shift("BTC", 3)  # crosses while the stream says nothing
    await bot.stack.telegram.wait_for_message(1001, predicate=fired, timeout=30)
    hub.silent = False
    await one_alert_arrives(bot, exchange, symbol)


async def cut_stream_is_covered(bot: RunningBot, exchange: str, symbol: str) -> None:
    """The connection dies in the middle of a message: the bot reconnects, counts it in
    /healthz, catches up on the crossing made meanwhile and tells it once."""
    streams = services_of(bot.app).streams
    await set_alert(bot, exchange, symbol)
    server: Any = bot.stack.servers[exchange]
    if exchange == "narkasa":
        assert await server.stream.break_mid_message(symbol) >= 1
    else:
        assert server.break_mid_message(symbol) >= 1
    bot.stack.market.shift("BTC", 3)  # crosses while the bot reconnects
    await streams.wait_for(lambda: streams.health()[exchange]["reconnects"] >= 1, 15)
    await one_alert_arrives(bot, exchange, symbol)
    assert (await stream_health(bot, exchange))["reconnects"] >= 1


async def test_a_stream_that_goes_silent_is_reported_polled_and_its_alert_fires_once(
    quick_bot: RunningBot,
) -> None:
    await silent_stream_is_covered(quick_bot, "narkasa", "BTCTRY")


async def test_a_stream_cut_mid_message_reconnects_and_the_crossing_fires_once(
    quick_bot: RunningBot,
) -> None:
    await cut_stream_is_covered(quick_bot, "narkasa", "BTCTRY")


async def test_a_silent_wallex_socket_io_stream_is_reported_polled_and_its_alert_fires_once(
    quick_bot: RunningBot,
) -> None:
    await silent_stream_is_covered(quick_bot, "wallex", "BTCTMN")


async def test_a_wallex_socket_io_stream_cut_mid_frame_reconnects_and_the_crossing_fires_once(
    quick_bot: RunningBot,
) -> None:
    await cut_stream_is_covered(quick_bot, "wallex", "BTCTMN")
