"""Price feeds at Telegram's limits: 500 group feeds due in the same minute.

Run: ``python bench/feeds.py`` (``--quick``: 100 feeds; ``--feeds N`` any number).
Prints the figures; the README keeps the latest.

Everything is local: the sandbox exchanges, and the Telegram emulator with Telegram's
flood limits on (30 messages a second per bot, 20 a minute per group). Each group has
one feed of three markets (two Wallex, one Narkasa). The prices come from the streams'
``LastPrices`` as in the bot (seeded here as fresh ticks), so the upstream calls are only
the one markets list per exchange and one 24-hour reference per market (fetched
before the clock starts, as a bot that has been running knows them), whatever the
number of feeds. All feeds are due at the same moment; ``FeedService.run_due`` runs them
and the clock stops when the last board is accepted. Telegram's bot-wide limit makes
``N / 30`` seconds the theoretical minimum. A board refused with 429 is not lost: its
feed is rescheduled ``retry_after`` later, and the benchmark runs those too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot

from bot.buttons import ButtonService
from bot.chats import ChatPreferences
from bot.feeds.model import FeedRequest, RunResult
from bot.feeds.quotes import FeedQuotes
from bot.feeds.service import FeedService
from bot.health import Health
from bot.i18n import I18n
from bot.market import MarketService
from bot.notifier import Notifier
from bot.prices import LastPrices
from exchanges.models import Tick
from exchanges.registry import build_market_clients
from handlers import feed_texts
from sandbox.runner import SandboxStack
from storage.db import Database

TELEGRAM_RATE = 30.0
ADMIN = 1001
MARKETS = (("wallex", "BTC/TMN"), ("wallex", "ETH/TMN"), ("narkasa", "BTCTRY"))


class TimedBot(Bot):
    """Notes when Telegram accepted each board (the benchmark's only instrument)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accepted: list[float] = []

    @property
    def accepted(self) -> list[float]:
        return self._accepted

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        message = await super().send_message(*args, **kwargs)
        self._accepted.append(time.monotonic())
        return message


def busiest_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(count: int) -> None:
    async with SandboxStack(flood=True) as stack:
        emu = stack.telegram
        emu.add_user(user_id=ADMIN, first_name="Admin", started=True)
        groups = [emu.add_group(f"Board {n}", admins=[ADMIN]).id for n in range(count)]
        folder = tempfile.TemporaryDirectory(prefix="sarraf-bench-")
        db = Database(f"sqlite+aiosqlite:///{Path(folder.name) / 'feeds.db'}")
        await db.upgrade()
        env = stack.env()
        urls = {
            name: env[var]
            for name, var in (("wallex", "WALLEX_API_URL"), ("narkasa", "NARKASA_API_URL"))
        }
        market = MarketService(build_market_clients(urls), Health())
        last = LastPrices()
        quotes = FeedQuotes(market, last)
        fixed = datetime.fromtimestamp((int(time.time()) // 300) * 300 + 1, UTC)
        feeds = FeedService(
            db, quotes, ChatPreferences(db, I18n()), feed_texts, clock=lambda: fixed
        )
        bot = TimedBot(emu.token, base_url=f"{emu.api_root}/bot")
        notifier = Notifier(db, bot, ButtonService(db))
        feeds.notifier = notifier
        for chat in groups:
            await feeds.create(
                chat_id=chat,
                chat_kind="supergroup",
                chat_title=None,
                creator_id=ADMIN,
                request=FeedRequest(MARKETS, 300),
            )
        # What the stream listener would have recorded: a fresh price per market.
        for exchange, text in MARKETS:
            found = await quotes.market(exchange, text)
            ticker = await market.ticker(exchange, found.symbol)
            await last.record(Tick(exchange, found.symbol, ticker.last, datetime.now(UTC)))
            await quotes.quote(exchange, found.symbol)  # its 24-hour reference, as a
            # bot that has been running a while knows it (refreshed every 10 minutes)
        upstream_before = quotes.upstream_calls

        began = time.monotonic()
        total = await feeds.run_due(fixed)
        rounds = 1
        while total.retried and rounds < 20:  # boards refused with 429 come back later
            waiting = [feeds.due_at(g) for g in range(1, count + 1)]
            soon = [at for at in waiting if at is not None and at < fixed + timedelta(minutes=4)]
            if not soon:
                break
            await asyncio.sleep(max(0.0, (max(soon) - datetime.now(UTC)).total_seconds()))
            again = await feeds.run_due(max(soon))
            total.add(RunResult(**{**again.__dict__, "feeds": []}))
            total.retried = again.retried
            rounds += 1
        finished = bot.accepted[-1] if bot.accepted else time.monotonic()
        elapsed = finished - began

        per_group = {g: sum(1 for m in emu.transcript(g) if m.get("from_bot")) for g in groups}
        delivered = sum(1 for g in groups if per_group[g] >= 1)
        twice = sum(1 for g in groups if per_group[g] > 1)
        requests = sum(1 for r in emu.requests if r.method == "sendMessage")
        refused = requests - sum(per_group.values())
        ideal = count / TELEGRAM_RATE
        print(f"feeds: {count} groups, one board of {len(MARKETS)} markets each, all due at once")
        print(f"delivered: {delivered}; lost: {count - delivered}; posted twice: {twice}")
        print(
            f"time to post all: {elapsed:.2f} s; theoretical minimum at {TELEGRAM_RATE:.0f}/s: "
            f"{ideal:.2f} s; ratio {elapsed / ideal:.3f} ({(elapsed / ideal - 1) * 100:+.1f}%)"
        )
        print(
            f"throughput: {count / elapsed:.2f} boards/s; busiest second: "
            f"{busiest_second(bot.accepted)} boards (limit {TELEGRAM_RATE:.0f})"
        )
        if bot.accepted:
            print(
                f"first board after {(bot.accepted[0] - began) * 1000:.0f} ms; last after "
                f"{elapsed:.2f} s"
            )
        print(
            f"429s from Telegram: {refused} (each rescheduled and posted later; rounds: {rounds})"
        )
        print(
            f"upstream calls during the run: {quotes.upstream_calls - upstream_before} "
            f"(prices from the streams; 24-hour references fetched before: {upstream_before})"
        )
        verdict = delivered == count and twice == 0 and elapsed <= ideal * 1.10
        print(f"target (within 10% of the minimum, 0 lost): {'met' if verdict else 'MISSED'}")
        await market.close()
        await db.close()
        folder.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100 feeds instead of 500")
    parser.add_argument("--feeds", type=int, help="any other number of feeds")
    args = parser.parse_args()
    count = args.feeds or (100 if args.quick else 500)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(count))


if __name__ == "__main__":
    main()
