"""Wallex's global stats (``GET /v1/currencies/stats``): the client reads the
document's JSON numbers exactly, and ``/price wallex`` shows a coin's world line —
cached, and never in the way of the price when the stats do not answer."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from exchanges.http import HttpPipeline
from exchanges.wallex.client import WallexClient
from exchanges.wallex.world import world_stats
from sandbox.harness import Harness
from sandbox.wallex import WallexSandbox

from .conftest import RunningBot


def wallex_harness(bot: RunningBot) -> Harness:
    found = bot.stack.servers["wallex"]
    assert isinstance(found, WallexSandbox)
    return found.harness


DOCUMENT_EXAMPLE = """[{"key": "BTC", "name": "بیت کوین", "name_en": "Bitcoin", "rank": 1,
 "dominance": 45.749428044724, "volume_24h": 32181710761.492, "market_cap": 613868313928.44,
 "price": 32750.734991767, "percent_change_24h": 4.59022, "percent_change_7d": -7.3306,
 "max_supply": 21000000, "ath_date": "2021-04-14T11:54:46Z"}]"""


def test_the_documents_example_is_read_exactly() -> None:
    stats = world_stats(json.loads(DOCUMENT_EXAMPLE, parse_float=Decimal))["BTC"]
    assert stats.price_usd == Decimal("32750.734991767")
    assert stats.market_cap_usd == Decimal("613868313928.44")
    assert stats.change_24h_pct == Decimal("4.59022") and stats.rank == 1
    assert stats.change_7d_pct == Decimal("-7.3306") and stats.name == "Bitcoin"


async def test_the_client_reads_the_sandboxs_stats(sim, serve) -> None:  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    served = await serve(sandbox.app())
    client = WallexClient(HttpPipeline("wallex", served.url))
    try:
        found = await client.currency_stats()
    finally:
        await client.http.close()
    assert {"BTC", "ETH", "USDT"} <= set(found)
    assert found["BTC"].rank == 1 and isinstance(found["BTC"].price_usd, Decimal)
    seen = sandbox.harness.last()
    assert (seen.method, seen.path) == ("GET", "/v1/currencies/stats")
    assert "Authorization" not in seen.headers  # a public call


async def test_price_wallex_shows_the_world_line_once_fetched(bot: RunningBot) -> None:
    user = bot.user()
    harness = wallex_harness(bot)
    first = await user.ask("/price wallex BTC/TMN")
    assert "on Wallex" in first and "🌍 World price: $" in first and "rank #1" in first
    second = await user.ask("/price wallex ETH/TMN")
    assert "🌍 World price: $" in second
    assert harness.paths().count("/v1/currencies/stats") == 1  # one list serves every coin
    other = await user.ask("/price narkasa BTC/TRY")
    assert "World price" not in other


async def test_price_wallex_answers_without_the_line_when_stats_fail(bot: RunningBot) -> None:
    user = bot.user()
    harness = wallex_harness(bot)
    harness.faults.status = 502
    harness.faults.only_paths = ("/v1/currencies/stats",)
    answer = await user.ask("/price wallex BTC/TMN")
    assert "BTC/TMN on Wallex" in answer and "Last:" in answer
    assert "World price" not in answer
    assert "/v1/currencies/stats" in harness.paths()


async def test_stalled_stats_hold_the_price_back_two_seconds_at_most(bot: RunningBot) -> None:
    user = bot.user()
    harness = wallex_harness(bot)
    harness.faults.stall = True
    harness.faults.only_paths = ("/v1/currencies/stats",)
    try:
        started = asyncio.get_running_loop().time()
        answer = await user.ask("/price wallex BTC/TMN")
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        harness.faults.clear()
    assert "BTC/TMN on Wallex" in answer and "World price" not in answer
    assert elapsed < 5, elapsed
