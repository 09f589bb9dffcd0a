"""Outbox delivery at Telegram's limits: 3,000 messages for 3,000 private chats.

Run: ``python bench/delivery.py`` (``--quick``: 300 messages; ``--buttons``: each
message carries two one-time buttons). Prints the figures; the README keeps the latest.

Everything is local: the Telegram emulator with its flood limits on (30 messages a
second per bot, a burst of 3 then 1 a second per chat, 20 a minute per group) and a
SQLite outbox. All rows are committed in one transaction, as a burst of fired alerts
would be, then ``wake()`` starts the clock. Telegram's limit makes ``N / 30`` seconds the
ideal; the target is within 10% of it, with no message lost and no 429 left unhandled.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Bot

from bot.buttons import ButtonService
from bot.notifier import Notifier
from sandbox.telegram import FloodLimits, TelegramEmulator
from storage.db import Database
from storage.repos import outbox

FIRST_CHAT = 10_000_001
TELEGRAM_RATE = 30.0


class TimedBot(Bot):
    """Notes when Telegram accepted each message (the benchmark's only instrument)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accepted: list[float] = []  # Bot is frozen except for private names

    @property
    def accepted(self) -> list[float]:
        return self._accepted

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        message = await super().send_message(*args, **kwargs)
        self._accepted.append(time.monotonic())
        return message


def busiest_second(times: list[float]) -> int:
    """Most acceptances in any one-second span (as the client saw them)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(count: int, with_buttons: bool) -> None:
    emu = TelegramEmulator(flood=FloodLimits())  # Telegram's limits, on
    chats = list(range(FIRST_CHAT, FIRST_CHAT + count))
    for chat in chats:
        emu.add_user(chat, f"U{chat}", started=True)
    await emu.start()
    folder = tempfile.TemporaryDirectory(prefix="sarraf-bench-")
    db = Database(f"sqlite+aiosqlite:///{Path(folder.name) / 'bench.db'}")
    await db.upgrade()
    buttons = [
        [
            {"label": "Pause", "action": "alert.pause", "payload": {"alert": 1}},
            {"label": "Delete", "action": "alert.delete", "payload": {"alert": 1}},
        ]
    ]
    async with db.session() as session:
        for n, chat in enumerate(chats):
            await outbox.enqueue(
                session,
                chat_id=chat,
                user_id=chat,
                kind="alert",
                dedupe=f"bench:{n}",
                text=f"<b>BTC/USDT</b> crossed 65,000 (alert {n})",
                buttons=buttons if with_buttons else None,
            )
    bot = TimedBot(emu.token, base_url=f"{emu.api_root}/bot")
    notifier = Notifier(db, bot, ButtonService(db))
    began = time.monotonic()
    await notifier.start()
    notifier.wake()
    stats = notifier.stats
    deadline = began + count / TELEGRAM_RATE * 3 + 30
    while stats.sent + stats.failed + stats.blocked < count and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    finished = bot.accepted[-1] if bot.accepted else time.monotonic()
    await notifier.stop()

    async with db.session() as session:
        states = await outbox.counts(session)
    per_chat = Counter(
        {chat: sum(1 for m in emu.transcript(chat) if m.get("from_bot")) for chat in chats}
    )
    delivered = sum(1 for chat in chats if per_chat[chat] >= 1)
    duplicated = sum(1 for chat in chats if per_chat[chat] > 1)
    requests = sum(1 for r in emu.requests if r.method == "sendMessage")
    refused = requests - sum(per_chat.values())
    unhandled = refused - stats.flood_waits + states["failed"] + states["pending"]
    elapsed = finished - began
    ideal = count / TELEGRAM_RATE
    latencies = sorted(t - began for t in bot.accepted)

    print(f"messages: {count} for {count} private chats (buttons: {with_buttons})")
    print(f"delivered: {delivered}; lost: {count - delivered}; sent twice: {duplicated}")
    print(f"outbox rows: {states}")
    print(
        f"time to deliver all: {elapsed:.2f} s; ideal at {TELEGRAM_RATE:.0f}/s: {ideal:.2f} s; "
        f"ratio {elapsed / ideal:.3f} ({(elapsed / ideal - 1) * 100:+.1f}%)"
    )
    print(
        f"throughput: {count / elapsed:.2f} messages/s; busiest second: "
        f"{busiest_second(bot.accepted)} messages"
    )
    if latencies:
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"first delivery after {latencies[0] * 1000:.1f} ms; p50 {p50:.2f} s; p99 {p99:.2f} s"
        )
    print(
        f"429s from Telegram: {refused} (waited out and resent: {stats.flood_waits}); "
        f"left unhandled: {unhandled}"
    )
    verdict = elapsed <= ideal * 1.10 and delivered == count and unhandled == 0
    print(f"target (within 10% of ideal, 0 lost, 0 unhandled): {'met' if verdict else 'MISSED'}")

    await db.close()
    await emu.stop()
    folder.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="300 messages instead of 3,000")
    parser.add_argument("--messages", type=int, help="any other number of messages")
    parser.add_argument("--buttons", action="store_true", help="two one-time buttons each")
    args = parser.parse_args()
    count = args.messages or (300 if args.quick else 3000)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(count, args.buttons))


if __name__ == "__main__":
    main()
