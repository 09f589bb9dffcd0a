"""A crash between the exchange accepting an order and the bot recording it.

``sarraf run`` is a real subprocess against the in-process sandboxes. The sandbox is
told to accept the order and then hold its answer back (``Faults.stall_reply``); once
the order is in the sandbox's book the bot is killed with SIGKILL. After a restart the
bot must find the order — by its client order id where the system takes one,
otherwise among the account's open orders — never send it again, and tell the owner.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.matching import MatchingEngine, SimOrder
from sandbox.runner import SandboxStack, demo_credentials

from .conftest import ChatUser
from .test_bot_accounts import connect


@dataclass(frozen=True)
class Venue:
    exchange: str
    symbol: str  # as typed in /buy
    base: str
    quote: str
    amount: str
    order_path: str  # where an order is POSTed (its answer is held back)
    order_body: str  # a fragment of an order request's body ("" when the path says it)
    places: int  # price places


VENUES = [
    # No client order ids: found among the open orders.
    Venue("narkasa", "BTC/USDT", "BTC", "USDT", "0.001", "/v3/api/market/limit-", "", 2),
    Venue("wex", "btc_usd", "BTC", "USD", "0.001", "/tapi", "method=Trade", 3),
    # Client order ids (Wallex ``client_id``): found by it.
    Venue("wallex", "BTC/USDT", "BTC", "USDT", "0.001", "/v1/account/orders", "", 2),
    Venue("alp", "BTC_USDT", "BTC", "USDT", "0.001", "/api/v3/orders", "", 2),  # v3 client_order_id
]


def engine_of(stack: SandboxStack, exchange: str) -> MatchingEngine:
    engine = getattr(stack.servers[exchange], "engine", None)
    assert isinstance(engine, MatchingEngine), f"the {exchange} sandbox has no matching engine"
    return engine


def all_orders(engine: MatchingEngine) -> list[SimOrder]:
    return [o for account in list(engine._books) for o in engine.orders(account)]


@pytest.mark.parametrize("venue", VENUES, ids=lambda v: v.exchange)
async def test_an_order_accepted_just_before_a_crash_is_found_not_resent(
    tmp_path: Path, venue: Venue
) -> None:
    async with SandboxStack(flood=False) as stack:
        emu = stack.telegram
        emu.add_user(user_id=6006, first_name="Crash")
        user = ChatUser(emu, 6006, 6006)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
        env.update(stack.env())
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}",
            SARRAF_MASTER_KEY_FILE=str(tmp_path / "k"),
            SARRAF_HTTP_PORT="0",
        )
        sandbox: Any = stack.servers[venue.exchange]
        engine = engine_of(stack, venue.exchange)

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

        def order_requests() -> int:
            return len(
                [
                    r
                    for r in sandbox.harness.requests
                    if r.method == "POST"
                    and r.path.startswith(venue.order_path)
                    and venue.order_body.encode() in r.body
                ]
            )

        proc = await start_bot()
        try:
            reply = await connect(user, venue.exchange, demo_credentials()[venue.exchange])
            assert "connected" in reply
            price = (engine.last(venue.base, venue.quote) * Decimal("0.97")).quantize(
                Decimal(1).scaleb(-venue.places)
            )
            sent = await emu.send_text(
                user.user_id, f"/buy {venue.exchange} {venue.symbol} {venue.amount} {price}"
            )
            shown = await emu.wait_for_message(
                user.chat_id,
                after_message_id=sent["message_id"],
                predicate=lambda m: bool(m.get("reply_markup")),
                timeout=60,
            )
            before = len(all_orders(engine))
            accepted = asyncio.Event()
            engine.listeners.append(lambda _: accepted.set())
            sandbox.harness.faults.stall_reply = True
            sandbox.harness.faults.only_paths = (venue.order_path,)
            await emu.press_button(user.user_id, user.chat_id, shown["message_id"], 1)
            await asyncio.wait_for(accepted.wait(), 30)
            assert len(all_orders(engine)) == before + 1
            proc.send_signal(signal.SIGKILL)  # accepted upstream, not yet recorded
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            sandbox.harness.faults.clear()
        assert order_requests() == 1
        texts = [str(m.get("text")) for m in emu.transcript(user.chat_id) if m.get("from_bot")]
        assert not any("Order placed" in t for t in texts)

        proc = await start_bot()
        try:
            told = await emu.wait_for_message(
                user.chat_id,
                predicate=lambda m: "After a restart I checked" in str(m.get("text")),
                timeout=60,
            )
            assert "it was placed once" in told["text"]
            listing = await emu.send_text(user.user_id, f"/orders {venue.exchange}")
            listed = await emu.wait_for_message(
                user.chat_id, after_message_id=listing["message_id"], timeout=60
            )
            lines = [
                line for line in listed["text"].splitlines() if f" Buy {venue.amount} " in line
            ]
            assert len(lines) == 1  # one order, the one placed before the crash
            wire_id = lines[0].split()[0]
            assert wire_id in told["text"]  # the owner is told which order it is
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert order_requests() == 1  # never sent twice
        assert len([o for o in all_orders(engine) if o.amount == Decimal(venue.amount)]) == 1
        assert "Traceback" not in err.decode()
