"""Process faults: SIGKILL at random points of a real ``sarraf run`` (the short version of
``bench/soak.py``), and SIGTERM finishing the work in flight within a bounded time."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from sandbox.runner import SandboxStack
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.soak import soak  # noqa: E402

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="the soak runs on the SQLite file on disk")


async def test_kills_at_random_points_lose_and_double_nothing() -> None:
    report = await soak(kills=5, orders=True, seed=3, alerts_per_user=3)
    print("\n".join(report.lines()))
    assert report.kills == 5
    assert report.due and len(report.due) < len(report.alerts)  # some due, some not
    assert report.problems == []
    assert all(report.delivered[a] >= 1 for a in report.due)


async def test_sigterm_finishes_the_command_in_flight_then_exits(tmp_path: Path) -> None:
    async with SandboxStack(flood=False) as stack:
        emu = stack.telegram
        emu.add_user(user_id=8008, first_name="Term")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
        env.update(stack.env())
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'term.db'}",
            SARRAF_MASTER_KEY_FILE=str(tmp_path / "k"),
            SARRAF_HTTP_PORT="0",
            SARRAF_UPSTREAM_TIMEOUT="3",
        )
        mark = len(emu.requests)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await emu.wait_for_request("getUpdates", after=mark, timeout=60)
            harness = stack.servers["wallex"].harness  # type: ignore[attr-defined]
            harness.faults.stall = True  # the upstream never answers
            asked = len(harness.requests)
            sent = await emu.send_text(8008, "/book wallex BTCTMN")
            async with asyncio.timeout(30):  # the command is in flight, at the upstream
                while len(harness.requests) == asked:  # noqa: ASYNC110 (no event to wait on)
                    await asyncio.sleep(0.05)
            stopped = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
            took = time.monotonic() - stopped
        finally:
            stack.servers["wallex"].harness.faults.clear()  # type: ignore[attr-defined]
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 0, err.decode()[-2000:]
        assert took < 15, f"SIGTERM took {took:.1f} s"
        replies = [
            str(m.get("text"))
            for m in emu.transcript(8008)
            if m.get("from_bot") and m["message_id"] > sent["message_id"]
        ]
        assert replies, "the command in flight at SIGTERM got no reply"
        assert "Traceback" not in err.decode()
