"""Simulated users sending commands through the Telegram emulator to ``sarraf run
--webhook`` replicas (real subprocesses) on one PostgreSQL: updates per second, p50/p99
command latency, errors — with one replica, then two behind a round-robin balancer.

Run: ``python bench/load.py`` (10,000 users; ``--quick`` for 1,000). Needs PostgreSQL
(``SARRAF_BENCH_POSTGRES``, default ``postgresql+asyncpg://postgres@127.0.0.1/test``: a
fresh database is created and dropped per run).

Each user sends one command (``/help``, ``/price wallex BTC/TMN``, ``/alerts``,
``/start`` in turn) and waits for the bot's first reply; ``--concurrency`` users are in
flight at once. Latency is from the user's message entering the emulator to the bot's
reply reaching it, so it includes the webhook delivery, the balancer, the handler and
any upstream call. Errors: no reply within 60 s, or a reply saying something went wrong.
The emulator's flood limits are off (the load is many users, each within their limit;
the global 30 messages/s of a real bot would cap the replies, not the bot).
Everything — emulator, sandboxes, balancer, replicas — shares this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy.engine import make_url

from sandbox.balancer import RoundRobin
from sandbox.runner import SandboxStack
from storage.secrets import new_master_key

PG_URL = os.environ.get("SARRAF_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1/test")
COMMANDS = ("/help", "/price wallex BTC/TMN", "/alerts", "/start")
ERROR_WORDS = ("went wrong", "did not answer", "try again")
_drains: set[asyncio.Task[None]] = set()


@dataclass
class Result:
    replicas: int
    users: int
    seconds: float
    latencies: list[float]
    errors: int

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        return (
            f"{self.replicas} replica(s): {self.users:,} users in {self.seconds:.1f} s — "
            f"{self.users / self.seconds:,.0f} updates/s · p50 {p50 * 1000:.0f} ms · "
            f"p99 {p99 * 1000:.0f} ms · errors {self.errors}"
        )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(
        make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _start_replica(
    env: dict[str, str], port: int, workdir: str, procs: list[asyncio.subprocess.Process]
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--webhook",
        cwd=workdir,
        env={**env, "SARRAF_HTTP_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    procs.append(proc)  # stopped by the caller whatever happens next
    assert proc.stderr is not None
    async with asyncio.timeout(60):
        async for raw in proc.stderr:
            if b"is running" in raw:
                break
        else:
            raise RuntimeError("a replica exited before it was running")
    # Keep draining its log so it never blocks on a full pipe.
    stderr = proc.stderr

    async def drain() -> None:
        async for _ in stderr:
            pass

    _drains.add(asyncio.get_running_loop().create_task(drain()))


async def run(replicas: int, users: int, concurrency: int, first_user: int) -> Result:
    name = f"sarraf_bench_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    database = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    workdir = tempfile.mkdtemp(prefix="sarraf-load-")
    procs: list[asyncio.subprocess.Process] = []
    frozen = float(int(time.time()))
    try:
        async with SandboxStack(flood=False, clock=lambda: frozen) as stack:
            emu = stack.telegram
            ports = [_free_port() for _ in range(replicas)]
            balancer = RoundRobin([f"http://127.0.0.1:{p}" for p in ports])
            await balancer.start()
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))
            }
            env.update(stack.env())
            env.update(
                DATABASE_URL=database,
                SARRAF_PUBLIC_URL=balancer.url,
                SARRAF_MASTER_KEY=new_master_key(),
                SARRAF_LOG_LEVEL="INFO",  # "is running" marks a replica ready
            )
            for port in ports:
                await _start_replica(env, port, workdir, procs)
            ids = list(range(first_user, first_user + users))
            for user_id in ids:
                emu.add_user(user_id=user_id, first_name=f"U{user_id}", started=True)
            latencies: list[float] = []
            errors = 0
            gate = asyncio.Semaphore(concurrency)

            async def one(i: int, user_id: int) -> None:
                nonlocal errors
                async with gate:
                    began = time.perf_counter()
                    sent = await emu.send_text(user_id, COMMANDS[i % len(COMMANDS)])
                    try:
                        reply = await emu.wait_for_message(
                            user_id, after_message_id=sent["message_id"], timeout=60
                        )
                    except Exception:
                        errors += 1
                        return
                    latencies.append(time.perf_counter() - began)
                    text = str(reply.get("text") or reply.get("caption") or "").lower()
                    if any(word in text for word in ERROR_WORDS):
                        errors += 1

            began = time.perf_counter()
            await asyncio.gather(*(one(i, uid) for i, uid in enumerate(ids)))
            seconds = time.perf_counter() - began
            await balancer.stop()
            return Result(replicas, users, seconds, latencies, errors)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main(users: int, concurrency: int, replica_counts: list[int]) -> None:
    results = []
    for n, replicas in enumerate(replica_counts):
        result = await run(replicas, users, concurrency, first_user=100_000 + n * users)
        print(result.line(), flush=True)
        results.append(result)
    print("target: zero errors")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 users instead of 10,000")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--replicas", default="1,2", help="comma-separated replica counts")
    args = parser.parse_args()
    users = args.users or (1_000 if args.quick else 10_000)
    counts = [int(x) for x in args.replicas.split(",")]
    asyncio.run(main(users, args.concurrency, counts))
