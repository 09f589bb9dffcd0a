"""Upstream faults, injected by the sandboxes (``sandbox/harness.py``): a stalled answer,
5xx with an HTML error page, an HTML page with 200, truncated JSON, a body that is not
JSON at all (WEX documents that this happens), fields missing or extra, numbers as
strings and strings as numbers, and a server clock beyond Narkasa's ``windowSize``
(the client learns the server's clock and signs once more: a retried call).

Each ends in a sentence naming the exchange (never a traceback or an incident id),
``/healthz`` names the upstream that failed, the next call after the fault works, and an
alert still fires from the stream while the exchange's REST side is down.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.runner import SandboxStack, demo_credentials
from tests.conftest import FixedClock
from tests.integration.conftest import RunningBot, running_bot
from tests.integration.test_bot_accounts import connect

VENUES = [
    ("wallex", "Wallex", "BTC/TMN"),
    ("narkasa", "Narkasa", "BTCTRY"),
    ("alp", "ALP.COM", "BTC_USDT"),
    ("wex", "WEX", "btc_usd"),
]
UNREADABLE = "sent an answer I could not read"
UNREACHABLE = "is not reachable right now"
NO_ANSWER = "did not answer in time"


def truncated(text: str) -> str:
    return text[: max(1, len(text) // 2)]


def extra_fields(text: str) -> str:
    return text.replace("{", '{"x_unexpected": [1, {"y": null}], ', 1) if "{" in text else text


def numbers_as_strings(text: str) -> str:
    return re.sub(r"(?<=[:\[,])\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,}\]])", r'"\1"', text)


def strings_as_numbers(text: str) -> str:
    return re.sub(r'"(-?\d+(?:\.\d+)?)"', r"\1", text)


def fields_missing(text: str) -> str:
    """Every price-like field gone."""
    return re.sub(
        r'"(last[A-Za-z]*|price|close|bid[A-Za-z]*|ask[A-Za-z]*|c|last|sell|buy)"\s*:',
        '"gone_\\1":',
        text,
    )


REWRITES: dict[str, Callable[[str], str]] = {
    "truncated JSON": truncated,
    "not JSON": lambda _: "Invalid method\n",
    "empty body": lambda _: "",
    "fields missing": fields_missing,
}
TOLERATED: dict[str, Callable[[str], str]] = {  # a book, or at worst UNREADABLE
    "extra fields": extra_fields,
    "numbers as strings": numbers_as_strings,
    "strings as numbers": strings_as_numbers,
}


def assert_sentence(text: str, title: str) -> None:
    assert text.strip(), "no reply"
    assert "Traceback" not in text and "incident" not in text, text
    assert title in text, text


async def health(bot: RunningBot) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.http.url}/healthz") as r:
        body: dict[str, Any] = await r.json()
        return body


@pytest.mark.parametrize(("exchange", "title", "symbol"), VENUES, ids=[v[0] for v in VENUES])
async def test_broken_answers_end_in_a_sentence_and_health_names_the_upstream(
    bot: RunningBot, exchange: str, title: str, symbol: str
) -> None:
    user = bot.user()
    harness = bot.stack.servers[exchange].harness  # type: ignore[attr-defined]
    assert title in await user.ask(f"/price {exchange} {symbol}", timeout=30)  # markets known
    harness.faults.status = 502  # an HTML error page from a gateway
    text = await user.ask(f"/book {exchange} {symbol}", timeout=30)
    assert_sentence(text, title)
    assert UNREACHABLE in text
    state = (await health(bot))["upstreams"][exchange]
    assert state["healthy"] is False and state["last_error_kind"]
    harness.faults.clear()
    harness.faults.garbage = True  # an HTML page with 200
    assert UNREADABLE in await user.ask(f"/book {exchange} {symbol}", timeout=30)
    harness.faults.clear()
    for name, rewrite in REWRITES.items():
        harness.faults.rewrite = rewrite
        text = await user.ask(f"/book {exchange} {symbol}", timeout=30)
        harness.faults.clear()
        assert_sentence(text, title)
        if name != "fields missing":  # a book without prices may still be a book
            assert UNREADABLE in text, (name, text)
    for name, rewrite in TOLERATED.items():
        harness.faults.rewrite = rewrite
        text = await user.ask(f"/book {exchange} {symbol}", timeout=30)
        harness.faults.clear()
        assert_sentence(text, title)
        if name == "extra fields":  # what a document does not name is ignored
            assert UNREADABLE not in text, text
        # A number where the document shows a string (or the reverse) is read, or
        # refused with the same sentence (Narkasa's parser refuses unquoted numbers).
    # The fault is over: the next call works and health says so.
    assert UNREADABLE not in await user.ask(f"/book {exchange} {symbol}", timeout=30)
    assert (await health(bot))["upstreams"][exchange]["healthy"] is True


async def test_a_stalled_upstream_gets_a_sentence_within_the_timeout(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "stall.db", upstream_timeout=1.0) as bot:
        user = bot.user()
        assert "Narkasa" in await user.ask("/price narkasa BTCTRY", timeout=30)
        harness = stack.servers["narkasa"].harness  # type: ignore[attr-defined]
        harness.faults.stall = True
        try:
            text = await user.ask("/book narkasa BTCTRY", timeout=30)
        finally:
            harness.faults.clear()
        assert_sentence(text, "Narkasa")
        assert NO_ANSWER in text or UNREACHABLE in text
        state = (await health(bot))["upstreams"]["narkasa"]
        assert state["healthy"] is False


async def test_a_server_clock_beyond_narkasas_window_is_learnt_and_the_call_retried(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = bot.user()
    assert "is connected" in await connect(user, "narkasa", demo_credentials()["narkasa"])
    harness = bot.stack.servers["narkasa"].harness  # type: ignore[attr-defined]
    market_clock.advance(120)  # the server's clock runs two minutes ahead of ours
    try:
        before = len(harness.requests)
        text = await user.ask("/balance narkasa", timeout=30)
        paths = [r.path for r in harness.requests[before:]]
    finally:
        market_clock.advance(-120)
    assert_sentence(text, "Narkasa")
    assert "TRY" in text  # the balance, after one refusal (20004), the time, and a retry
    assert any(p.endswith("/time") for p in paths), paths
    balance_calls = [p for p in paths if not p.endswith("/time")]
    assert len(balance_calls) == 2, paths


async def test_an_alert_fires_from_the_stream_while_rest_is_down(bot: RunningBot) -> None:
    user = bot.user()
    wallex: Any = bot.stack.servers["wallex"]
    price = Decimal(wallex._stats(wallex.markets["BTCTMN"])["lastPrice"])
    level = (price * Decimal("1.01")).quantize(Decimal(1))
    assert "is set" in await user.ask(f"/alert wallex BTCTMN above {level}")
    wallex.harness.faults.status = 503  # every REST call fails from now on
    try:
        bot.stack.market.shift("BTC", 3)
        await wallex.push("BTCTMN")
        message = await bot.stack.telegram.wait_for_message(
            user.chat_id,
            predicate=lambda m: "Price:" in str(m.get("text")) and "Alert #" in str(m.get("text")),
            timeout=20,
        )
    finally:
        wallex.harness.faults.clear()
    assert "is done" in message["text"]
