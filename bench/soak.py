"""Kill-and-restart soak: SIGKILL a real ``sarraf run`` at random points while alerts
fire and orders are confirmed, restart it each time, then check nothing was lost or doubled.

Run: ``python bench/soak.py`` (50 kills), ``--kills N``, ``--minutes M`` (keep killing
until M minutes have passed and at least N kills were made), ``--quick`` (5 kills).

The sandboxes and the Telegram emulator run in this process (as ``sarraf sandbox``
serves them), the bot is a real subprocess on a SQLite database on disk. The market
stands still except when the soak moves it: each cycle raises BTC a little and pushes
the Wallex stream, so a ladder of ``above`` alerts becomes due one after another, some
while the bot is down, starting or in the middle of firing. Some cycles send ``/buy``
on Narkasa, WEX and ALP.COM in turn and press Confirm just before the kill. A kill lands
at a random moment: while the process starts, while it answers, or right after a Confirm.

Checked at the end, after one last clean run:

- every alert whose level the price passed was delivered, and no other (counted at the
  emulator by the fired message's own "Alert #N is done."), exactly once — except where
  the process was killed within ``RECORD_WINDOW`` after Telegram accepted the message:
  the Bot API takes no idempotency key, so a message sent but not yet recorded as sent
  is sent again after the restart (at least once, ``bot/notifier.py``). Those repeats
  are counted and listed apart; any other repeat is a failure;
- no outbox row is left pending, and none failed;
- every confirmed order reached the sandbox exactly once, and one that was not confirmed,
  or that the bot settled as not sent, never did (counted in the sandbox's order book
  by the order's unique amount);
- no traceback on the bot's stderr.

Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.runner import SandboxStack, demo_credentials

ROOT = Path(__file__).resolve().parents[1]
STEP_PCT = 0.3  # how far BTC rises per cycle
USERS = (7001, 7002, 7003)
ALERTS_PER_USER = 6
TRADER = 7001
ORDER_BASE = Decimal("0.0010")
ORDER_STEP = Decimal("0.0001")
# Where the trader's orders go, in turn: (exchange, symbol as typed, base, quote).
VENUES = (
    ("narkasa", "BTC/USDT", "BTC", "USDT"),
    ("wex", "btc_usd", "BTC", "USD"),
    ("alp", "BTC_USDT", "BTC", "USDT"),
)
# Seconds from Telegram accepting a message to its "sent" commit (usually milliseconds).
RECORD_WINDOW = 1.0
DONE = re.compile(r"Alert #(\d+) is done\.")
SET = re.compile(r"Alert #(\d+) is set")


def is_order_summary(message: dict[str, Any]) -> bool:
    """The reply to /buy: its summary with Confirm, or a refusal (never an alert that
    happens to arrive meanwhile, whose buttons are Re-arm / Delete / Chart)."""
    text = str(message.get("text") or "")
    if "Price:" in text and "Alert #" in text:
        return False
    markup = message.get("reply_markup") or {}
    labels = [b.get("text") for row in markup.get("inline_keyboard", []) for b in row]
    return "✅ Confirm" in labels or not markup


class FrozenClock:
    """The market's clock: it stands still, so only the soak's shifts move prices."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@dataclass
class Report:
    kills: int = 0
    kills_while_starting: int = 0
    kills_after_confirm: int = 0
    restarts: int = 0
    ticks: int = 0
    alerts: dict[int, tuple[int, Decimal]] = field(default_factory=dict)  # id → (chat, level)
    due: set[int] = field(default_factory=set)
    delivered: Counter[int] = field(default_factory=Counter)
    resent_after_kill: list[int] = field(default_factory=list)
    orders_proposed: int = 0
    orders_pressed: int = 0
    order_states: Counter[str] = field(default_factory=Counter)
    orders_at_sandbox: int = 0
    orders_per_venue: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        twice = sum(1 for n in self.delivered.values() if n > 1)
        return [
            f"kills: {self.kills} (while starting: {self.kills_while_starting}, "
            f"right after a Confirm: {self.kills_after_confirm}), restarts: {self.restarts}, "
            f"{self.seconds:.0f} s",
            f"alerts: {len(self.alerts)} created, {len(self.due)} due, "
            f"{sum(1 for a in self.due if self.delivered[a] == 1)} delivered exactly once, "
            f"{twice} twice or more ({len(self.resent_after_kill)} of them killed within "
            f"{RECORD_WINDOW:.0f} s of Telegram accepting the first copy), "
            f"{sum(1 for a in self.alerts if a not in self.due and self.delivered[a])} "
            "delivered though not due",
            f"orders: {self.orders_proposed} proposed, {self.orders_pressed} Confirm presses, "
            f"states {dict(sorted(self.order_states.items()))}, "
            f"{self.orders_at_sandbox} at the sandboxes "
            f"({', '.join(f'{k} {n}' for k, n in sorted(self.orders_per_venue.items()))})",
            "result: " + ("OK" if not self.problems else f"{len(self.problems)} problem(s)"),
            *(f"  - {p}" for p in self.problems),
        ]


class Soak:
    def __init__(
        self,
        stack: SandboxStack,
        workdir: Path,
        rng: random.Random,
        alerts_per_user: int = ALERTS_PER_USER,
    ) -> None:
        self.alerts_per_user = alerts_per_user
        self.stack = stack
        self.emu = stack.telegram
        self.workdir = workdir
        self.rng = rng
        self.db = workdir / "soak.db"
        self.stderr = workdir / "stderr.log"
        self.report = Report()
        self.proc: asyncio.subprocess.Process | None = None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
        env.update(stack.env())
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{self.db}",
            SARRAF_MASTER_KEY_FILE=str(workdir / "soak.key"),
            SARRAF_HTTP_PORT="0",
            SARRAF_LOG_LEVEL="WARNING",
            SARRAF_CONFIRM_TTL="30",
            PYTHONFAULTHANDLER="1",  # a stuck start dumps its threads on SIGABRT
        )
        self.env = env
        self.amounts: list[Decimal] = []
        self.kill_times: list[float] = []
        self.sent_at: dict[int, list[float]] = {}  # alert id → when each copy reached Telegram
        self.started = time.monotonic()
        self.emu.on_request(self._seen)

    def _seen(self, request: Any) -> None:
        if request.method == "sendMessage":
            found = DONE.search(str(request.params.get("text", "")))
            if found:
                self.sent_at.setdefault(int(found.group(1)), []).append(time.monotonic())

    # -- the process -------------------------------------------------------------------

    async def start(self) -> int:
        """Start ``sarraf run``; the index in the emulator's request log at the start."""
        mark = len(self.emu.requests)
        with self.stderr.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                cwd=self.workdir,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
            )
        return mark

    async def ready(self, mark: int, timeout: float = 90) -> bool:
        """Polling for updates: the bot answers from now on. A start that never gets
        there is a problem (its threads go to stderr); the soak goes on with a new one."""
        try:
            await self.emu.wait_for_request("getUpdates", after=mark, timeout=timeout)
            return True
        except TimeoutError:
            assert self.proc is not None
            size = self.stderr.stat().st_size
            self.proc.send_signal(signal.SIGABRT)
            await self.proc.wait()
            self.proc = None
            dump = self.stderr.read_bytes()[size:].decode(errors="replace")
            self.report.problems.append(
                f"a start did not poll within {timeout:.0f} s; its stacks:\n{dump[-3000:]}"
            )
            return False

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.kill_times.append(time.monotonic())
        await self.proc.wait()
        self.proc = None
        self.report.kills += 1

    async def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 60)
        self.proc = None

    # -- what users do -----------------------------------------------------------------

    def price(self) -> Decimal:
        wallex: Any = self.stack.servers["wallex"]
        return Decimal(wallex._stats(wallex.markets["BTCTMN"])["lastPrice"])

    async def say(self, user: int, text: str, timeout: float = 60) -> str:
        sent = await self.emu.send_text(user, text, chat_id=user)
        reply = await self.emu.wait_for_message(
            user, after_message_id=sent["message_id"], timeout=timeout
        )
        return str(reply.get("text") or "")

    async def create_alerts(self, kills: int) -> None:
        """A ladder of levels over the whole rise the soak will make, and a few beyond."""
        start = self.price()
        total = STEP_PCT * kills
        count = len(USERS) * self.alerts_per_user
        for k in range(count):
            user = USERS[k % len(USERS)]
            fraction = Decimal(k + 1) / Decimal(count - 2)  # the last two are never reached
            level = (start * (1 + Decimal(str(total)) / 100 * fraction)).quantize(Decimal(1))
            text = await self.say(user, f"/alert wallex BTCTMN above {level}")
            found = SET.search(text)
            if found is None:
                raise RuntimeError(f"the alert was not set: {text!r}")
            self.report.alerts[int(found.group(1))] = (user, level)

    async def connect_trader(self) -> None:
        """The trader connects every venue of ``VENUES``, each through ``/connect``."""
        for exchange, *_ in VENUES:
            sent = await self.emu.send_text(TRADER, f"/connect {exchange}", chat_id=TRADER)
            last = sent["message_id"]
            for value in demo_credentials()[exchange]:
                asked = await self.emu.wait_for_message(
                    TRADER,
                    after_message_id=last,
                    predicate=lambda m: "Send your" in str(m.get("text")),
                    timeout=60,
                )
                typed = await self.emu.send_text(TRADER, value, chat_id=TRADER)
                last = max(asked["message_id"], typed["message_id"])
            done = await self.emu.wait_for_message(
                TRADER,
                after_message_id=last,
                predicate=lambda m: "is connected" in str(m.get("text")),
                timeout=60,
            )
            assert "is connected" in str(done.get("text"))

    def order_price(self, exchange: str, base: str, quote: str) -> Decimal:
        """A buy under the market (so the order rests), in the market's own places."""
        engine: Any = self.stack.servers[exchange].engine  # type: ignore[attr-defined]
        last = Decimal(str(engine.last(base, quote)))
        step = Decimal(1).scaleb(-int(engine.price_decimals(base, quote)))
        return (last * Decimal("0.97")).quantize(step)

    async def order_then_kill(self) -> None:
        """Propose a buy, press Confirm, and kill soon after (often mid-order)."""
        exchange, symbol, base, quote = VENUES[len(self.amounts) % len(VENUES)]
        amount = ORDER_BASE + ORDER_STEP * len(self.amounts)
        self.amounts.append(amount)
        price = self.order_price(exchange, base, quote)
        sent = await self.emu.send_text(
            TRADER, f"/buy {exchange} {symbol} {amount} {price}", chat_id=TRADER
        )
        self.report.orders_proposed += 1
        shown = await self.emu.wait_for_message(
            TRADER,
            after_message_id=sent["message_id"],
            predicate=is_order_summary,
            timeout=30,
        )
        venue: Any = self.stack.servers[exchange]
        accepted = asyncio.Event()
        venue.engine.listeners.append(lambda _: accepted.set())
        if shown.get("reply_markup"):  # (a refusal comes without buttons)
            await self.emu.press_button(TRADER, TRADER, shown["message_id"], 1)  # Confirm
            self.report.orders_pressed += 1
        if self.rng.random() < 0.5:  # just after the exchange took the order
            with contextlib.suppress(TimeoutError):  # refused or slow: kill all the same
                await asyncio.wait_for(accepted.wait(), 10)
            await asyncio.sleep(self.rng.uniform(0.0, 0.3))
        else:  # anywhere between the press and the outcome
            await asyncio.sleep(self.rng.uniform(0.0, 1.5))
        self.report.kills_after_confirm += 1
        await self.kill()

    async def tick(self) -> None:
        self.stack.market.shift("BTC", STEP_PCT)
        wallex: Any = self.stack.servers["wallex"]
        await wallex.push("BTCTMN")
        self.report.ticks += 1

    # -- the run -----------------------------------------------------------------------

    async def cycle(self, orders: bool) -> None:
        mark = await self.start()
        self.report.restarts += 1
        roll = self.rng.random()
        if roll < 0.25:  # while it starts: migrations, recovery, the first poll
            await self.tick()
            await asyncio.sleep(self.rng.uniform(0.1, 2.5))
            self.report.kills_while_starting += 1
            await self.kill()
            return
        if not await self.ready(mark):
            return
        await self.tick()
        if orders and roll < 0.55:
            await self.order_then_kill()
            return
        # While alerts fire and users talk to it.
        await self.emu.send_text(USERS[1], "/alerts", chat_id=USERS[1])
        await asyncio.sleep(self.rng.uniform(0.0, 1.5))
        await self.kill()

    async def run(self, kills: int, minutes: float | None, orders: bool) -> Report:
        started = self.started = time.monotonic()
        for user in USERS:
            self.emu.add_user(user_id=user, first_name=f"Soak{user}")
        mark = await self.start()
        if not await self.ready(mark):
            raise RuntimeError("the bot did not start: " + self.report.problems[-1])
        await self.create_alerts(kills)
        if orders:
            await self.connect_trader()
        await self.stop()
        deadline = started + 60 * minutes if minutes else None
        while self.report.kills < kills or (deadline is not None and time.monotonic() < deadline):
            await self.cycle(orders)
        await self.settle()
        self.report.seconds = time.monotonic() - started
        return self.report

    async def settle(self) -> None:
        """One clean run: recovery, one more tick, every due alert out; then SIGTERM."""
        final = self.price()
        self.report.due = {a for a, (_, level) in self.report.alerts.items() if level < final}
        mark = await self.start()
        if not await self.ready(mark):
            raise RuntimeError("the bot did not start: " + self.report.problems[-1])
        wallex: Any = self.stack.servers["wallex"]
        await wallex.push("BTCTMN")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while loop.time() < deadline:
            self.count_deliveries()
            if all(self.report.delivered[a] >= 1 for a in self.report.due) and self.outbox_idle():
                break
            await asyncio.sleep(0.5)
        for user in USERS:  # the bot still answers, and has nothing more to send
            await self.say(user, "/help")
        await self.stop()
        self.count_deliveries()
        self.check()

    # -- the checks --------------------------------------------------------------------

    def count_deliveries(self) -> None:
        delivered: Counter[int] = Counter()
        for user in USERS:
            for message in self.emu.transcript(user):
                text = str(message.get("text") or "")
                if message.get("from_bot") and "Price:" in text:
                    found = DONE.search(text)
                    if found:
                        delivered[int(found.group(1))] += 1
        self.report.delivered = delivered

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql))

    def outbox_idle(self) -> bool:
        return not self.rows("SELECT id FROM outbox WHERE state = 'pending'")

    def check(self) -> None:
        report = self.report
        for alert in sorted(report.alerts):
            n = report.delivered[alert]
            if alert in report.due and n > 1 and self.killed_while_recording(alert):
                report.resent_after_kill.append(alert)
            elif alert in report.due and n != 1:
                report.problems.append(
                    f"alert #{alert} was due and delivered {n} times (copies sent at "
                    f"{self.moments(self.sent_at.get(alert, []))}, kills at "
                    f"{self.moments(self.kill_times)})"
                )
            if alert not in report.due and n:
                report.problems.append(f"alert #{alert} was not due but delivered {n} times")
        for state, count in self.rows("SELECT state, count(*) FROM outbox GROUP BY state"):
            if state in ("pending", "failed"):
                report.problems.append(f"{count} outbox row(s) left {state}")
        self.check_orders()
        err = self.stderr.read_text(errors="replace")
        if "Traceback" in err:
            report.problems.append("a traceback on the bot's stderr: " + err[-600:])

    def killed_while_recording(self, alert: int) -> bool:
        """Each copy but the last was followed by a kill before it could be recorded."""
        copies = self.sent_at.get(alert, [])
        return bool(copies) and all(
            any(sent <= t <= sent + RECORD_WINDOW for t in self.kill_times) for sent in copies[:-1]
        )

    def moments(self, times: list[float]) -> str:
        return ", ".join(f"{t - self.started:.2f}" for t in times)

    def check_orders(self) -> None:
        report = self.report
        placed: Counter[Decimal] = Counter()
        for exchange, *_ in VENUES:  # amounts are unique over all venues
            engine: Any = self.stack.servers[exchange].engine  # type: ignore[attr-defined]
            mine = [o.amount for account in list(engine._books) for o in engine.orders(account)]
            placed.update(mine)
            self.report.orders_per_venue[exchange] += sum(1 for a in mine if a in self.amounts)
        report.orders_at_sandbox = sum(placed[a] for a in self.amounts)
        orders = "SELECT state, payload FROM confirmations WHERE kind = 'order'"
        for state, payload in self.rows(orders):
            report.order_states[state] += 1
            amount = Decimal(str(json.loads(payload)["amount"]))
            n = placed[amount]
            if n > 1:
                report.problems.append(f"the order of {amount} reached the sandbox {n} times")
            if state == "done" and n != 1:
                report.problems.append(f"the order of {amount} is done, at the sandbox {n} times")
            if state in ("pending", "cancelled", "expired") and n:
                report.problems.append(f"the order of {amount} was never confirmed but was placed")
            if state in ("confirmed", "sent"):
                report.problems.append(f"the order of {amount} was left {state}, never settled")


async def soak(
    kills: int,
    minutes: float | None = None,
    *,
    orders: bool = True,
    seed: int = 1,
    alerts_per_user: int = ALERTS_PER_USER,
) -> Report:
    workdir = Path(tempfile.mkdtemp(prefix="sarraf-soak-"))
    clock = FrozenClock()
    async with SandboxStack(clock=clock, flood=False) as stack:
        runner = Soak(stack, workdir, random.Random(seed), alerts_per_user)
        try:
            return await runner.run(kills, minutes, orders)
        finally:
            if runner.proc is not None and runner.proc.returncode is None:
                runner.proc.kill()
                await runner.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=50, help="SIGKILLs at least (default 50)")
    parser.add_argument("--minutes", type=float, help="keep going for this long as well")
    parser.add_argument("--quick", action="store_true", help="5 kills")
    parser.add_argument("--no-orders", action="store_true", help="alerts only")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    kills = 5 if args.quick else args.kills
    report = asyncio.run(soak(kills, args.minutes, orders=not args.no_orders, seed=args.seed))
    print("\n".join(report.lines()))
    return 0 if not report.problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
