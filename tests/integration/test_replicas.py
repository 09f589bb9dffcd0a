"""Two ``sarraf run --webhook`` processes (real subprocesses) behind a round-robin load
balancer, against one PostgreSQL database, the Telegram emulator and the sandboxes.

Both serve updates; only the leader listens to the streams and decides alerts; killing
it (SIGKILL) hands the streams to the other within seconds; an alert reaches the user
exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.balancer import RoundRobin
from sandbox.runner import SandboxStack
from storage.secrets import new_master_key

from ..conftest import FixedClock, postgres_database_url
from .conftest import free_port
from .test_bot_alerts import btc_tmn, fired

pytestmark = pytest.mark.postgres


class Replica:
    """One ``sarraf run --webhook`` subprocess and the lines it logs."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**env, "SARRAF_HTTP_PORT": str(self.port)}
        self.cwd = cwd
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--webhook",
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())
            self.changed.set()
        self.changed.set()

    async def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        async with asyncio.timeout(timeout):
            while True:
                self.changed.clear()
                for line in self.lines:
                    if text in line:
                        return line
                if self.proc is not None and self.proc.returncode is not None:
                    raise AssertionError(f"{self.name} exited:\n" + "\n".join(self.lines[-30:]))
                await self.changed.wait()

    async def health(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as s, s.get(self.url + "/healthz") as r:
            return dict(await r.json())

    async def metrics(self) -> str:
        async with aiohttp.ClientSession() as s, s.get(self.url + "/metrics") as r:
            return await r.text()

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc is None:
            return 0
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), 60)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 10)
        return code


async def until(check: Any, timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll an HTTP condition of a replica until it holds (with a deadline)."""
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(every)


async def armed_and_live(replica: Replica) -> bool:
    health = await replica.health()
    wallex = health.get("streams", {}).get("wallex", {})
    metrics = await replica.metrics()
    armed = any(
        line.startswith("sarraf_alerts_active ") and float(line.split()[1]) >= 1
        for line in metrics.splitlines()
    )
    return armed and wallex.get("state") == "live"


@pytest.fixture
async def deployment(
    tmp_path: Path,
) -> AsyncIterator[tuple[SandboxStack, RoundRobin, dict[str, str]]]:
    database = await postgres_database_url(tmp_path / "replicas")
    clock = FixedClock(float(int(time.time())))
    async with SandboxStack(clock=clock, flood=False) as stack:
        balancer = RoundRobin([])
        await balancer.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
        env.update(stack.env())
        env.update(
            DATABASE_URL=database,
            SARRAF_PUBLIC_URL=balancer.url,
            SARRAF_MASTER_KEY=new_master_key(),
            SARRAF_LOG_LEVEL="INFO",
        )
        try:
            yield stack, balancer, env
        finally:
            await balancer.stop()


async def test_two_replicas_serve_one_bot_and_the_leader_fails_over(
    deployment: tuple[SandboxStack, RoundRobin, dict[str, str]], tmp_path: Path
) -> None:
    stack, balancer, env = deployment
    emu = stack.telegram
    user = emu.add_user(user_id=7001, first_name="Replica")
    first, second = Replica("first", env, tmp_path), Replica("second", env, tmp_path)
    balancer.backends = [first.url, second.url]
    try:
        await first.start()
        assert "leader" in await first.wait_for_line("is running")
        await second.start()
        assert "follower" in await second.wait_for_line("is running")
        assert (await first.health())["leader"]["leader"] is True
        assert (await second.health())["leader"]["leader"] is False

        # Updates through the balancer: both replicas answer.
        for _ in range(6):
            sent = await emu.send_text(user.id, "/help")
            reply = await emu.wait_for_message(
                user.id, after_message_id=sent["message_id"], timeout=30
            )
            assert "/price" in reply["text"]
        assert balancer.served[first.url] >= 2 and balancer.served[second.url] >= 2
        handled = [
            sum(
                float(line.split()[1])
                for line in (await r.metrics()).splitlines()
                if line.startswith("sarraf_updates_handled_total")
            )
            for r in (first, second)
        ]
        assert all(n >= 2 for n in handled), handled

        # An alert created on the follower is decided by the leader and sent once.
        level = (btc_tmn(stack) * Decimal("1.01")).quantize(Decimal(1))
        balancer.backends = [second.url]
        sent = await emu.send_text(user.id, f"/alert wallex BTCTMN above {level}")
        reply = await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
        assert "is set" in reply["text"]
        balancer.backends = [first.url, second.url]
        await until(lambda: armed_and_live(first))
        wallex = stack.servers["wallex"]
        stack.market.shift("BTC", 3)
        await wallex.push("BTCTMN")  # type: ignore[attr-defined]
        await emu.wait_for_message(user.id, predicate=fired, timeout=30)
        for _ in range(3):
            await wallex.push("BTCTMN")  # type: ignore[attr-defined]
        for _ in range(2):  # a round trip through each replica after the pushes
            sent = await emu.send_text(user.id, "/help")
            await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
        assert sum(1 for m in emu.transcript(user.id) if fired(m)) == 1

        # The leader dies: the other takes the streams over within seconds.
        killed_at = time.monotonic()
        await first.stop(signal.SIGKILL)
        await second.wait_for_line("this replica leads", timeout=15)
        assert time.monotonic() - killed_at < 10
        level = (btc_tmn(stack) * Decimal("1.01")).quantize(Decimal(1))
        sent = await emu.send_text(user.id, f"/alert wallex BTCTMN above {level}")
        reply = await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
        assert "is set" in reply["text"]
        await until(lambda: armed_and_live(second))
        stack.market.shift("BTC", 3)
        await wallex.push("BTCTMN")  # type: ignore[attr-defined]
        await emu.wait_for_message(
            user.id, after_message_id=sent["message_id"], predicate=fired, timeout=30
        )
        for _ in range(3):
            await wallex.push("BTCTMN")  # type: ignore[attr-defined]
        sent = await emu.send_text(user.id, "/help")
        await emu.wait_for_message(user.id, after_message_id=sent["message_id"], timeout=30)
        assert sum(1 for m in emu.transcript(user.id) if fired(m)) == 2
        assert await second.stop() == 0
    finally:
        for replica in (first, second):
            if replica.proc is not None and replica.proc.returncode is None:
                replica.proc.kill()
                await replica.proc.wait()
