"""The `sarraf` command as an operator and a new user run it: real subprocesses."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from sandbox.runner import SandboxStack

ROOT = Path(__file__).resolve().parents[2]
SARRAF = [sys.executable, "-m", "bot.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARRAF_", "TELEGRAM_"))}
    env.update(
        {"SARRAF_LOG_LEVEL": "INFO", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    )
    env.update(extra)
    return env


async def test_demo_script_prints_the_transcript_and_exits_0(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "demo",
        "--script",
        str(ROOT / "examples" / "market.txt"),
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "you  /price wallex BTC/TMN" in text
    assert "BTC/TMN on Wallex" in text and "Last:" in text
    assert "order book on Wallex" in text and "latest trades on Wallex" in text
    assert "No exchange lists a market “NOPE”" in text
    assert "Wallex has no market “XYZ”" in text
    assert "(no reply)" not in text
    assert "Traceback" not in text + err.decode()


async def test_demo_script_exits_1_when_a_line_gets_no_reply(tmp_path: Path) -> None:
    script = tmp_path / "silent.txt"
    script.write_text("/price wallex BTC/TMN\n!press 1\n", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "demo",
        "--script",
        str(script),
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1
    assert "there is no such button" in out.decode()


async def test_demo_refuses_a_missing_script(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "demo",
        "--script",
        "nope.txt",
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and "no such script file" in err.decode()


async def test_run_without_a_token_names_the_variable(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "run",
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in err.decode() and "Traceback" not in err.decode()


async def test_run_with_a_bad_setting_names_the_variable(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "run",
        cwd=tmp_path,
        env=env_for(tmp_path, SARRAF_HTTP_PORT="eighty"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and "SARRAF_HTTP_PORT" in err.decode()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_polls_the_emulator_and_exits_cleanly_on_a_signal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    async with SandboxStack(flood=False) as stack:
        user = stack.telegram.add_user(user_id=42, first_name="Op")
        env = env_for(tmp_path, **stack.env(), SARRAF_HTTP_PORT="0")
        proc = await asyncio.create_subprocess_exec(
            *SARRAF,
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            sent = await stack.telegram.send_text(user.id, "/price wallex BTCTMN")
            reply = await stack.telegram.wait_for_message(
                user.id, after_message_id=sent["message_id"], timeout=60
            )
            assert "BTC/TMN on Wallex" in reply["text"]
        finally:
            proc.send_signal(sig)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-2000:]
        log = err.decode()
        assert "shutting down" in log and "Traceback" not in log
        assert stack.token.split(":")[1] not in log  # the token never reaches the log


async def test_sandbox_prints_the_contract_variables_and_serves(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "sandbox",
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    try:
        while "WALLEXPAY_API_URL" not in lines or "TELEGRAM_API_URL" not in lines or len(lines) < 8:
            raw = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert raw, "sarraf sandbox ended early"
            line = raw.decode().strip()
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                lines[key] = value
        for name in (
            "TELEGRAM_API_URL",
            "TELEGRAM_BOT_TOKEN",
            "WALLEX_API_URL",
            "NARKASA_API_URL",
            "ALP_API_URL",
            "WEX_API_URL",
            "WALLEXPAY_API_URL",
        ):
            assert name in lines
        async with aiohttp.ClientSession() as session:
            url = f"{lines['WALLEX_API_URL']}/v1/markets"
            async with session.get(url) as resp:
                assert resp.status == 200 and (await resp.json())["success"] is True
            url = f"{lines['TELEGRAM_API_URL']}/bot{lines['TELEGRAM_BOT_TOKEN']}/getMe"
            async with session.get(url) as resp:
                assert (await resp.json())["result"]["is_bot"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({}, "SARRAF_PUBLIC_URL"),
        (
            {"SARRAF_PUBLIC_URL": "https://bot.example.com", "SARRAF_WEBHOOK_SECRET": "no spaces!"},
            "SARRAF_WEBHOOK_SECRET",
        ),
    ],
)
async def test_run_webhook_names_a_missing_or_bad_setting(
    tmp_path: Path, extra: dict[str, str], variable: str
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *SARRAF,
        "run",
        "--webhook",
        cwd=tmp_path,
        env=env_for(tmp_path, TELEGRAM_BOT_TOKEN="123456:" + "A" * 30, **extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and variable in err.decode(), err.decode()
    assert "Traceback" not in err.decode()


async def test_run_webhook_json_logs_and_a_wrong_secret(tmp_path: Path) -> None:
    """`sarraf run --webhook` as an operator runs it: JSON logs, the webhook registered,
    a request with a wrong secret refused and logged, a clean exit on SIGTERM."""
    async with SandboxStack(flood=False) as stack:
        user = stack.telegram.add_user(user_id=42, first_name="Op")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = env_for(
            tmp_path,
            **stack.env(),
            SARRAF_HTTP_PORT=str(port),
            SARRAF_PUBLIC_URL=f"http://127.0.0.1:{port}",
            SARRAF_WEBHOOK_SECRET="operator-chosen_secret",
            SARRAF_LOG_FORMAT="json",
        )
        proc = await asyncio.create_subprocess_exec(
            *SARRAF,
            "run",
            "--webhook",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            sent = await stack.telegram.send_text(user.id, "/price wallex BTCTMN")
            reply = await stack.telegram.wait_for_message(
                user.id, after_message_id=sent["message_id"], timeout=60
            )
            assert "BTC/TMN on Wallex" in reply["text"]
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{port}/telegram/webhook",
                    json={"update_id": 1},
                    headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                ) as response,
            ):
                assert response.status == 403
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-2000:]
        entries = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
        messages = [e["message"] for e in entries]
        assert any("webhook" in m and "running" in m for m in messages)
        assert any("refused: wrong secret token" in m for m in messages)
        text = err.decode()
        assert stack.token.split(":")[1] not in text and "operator-chosen_secret" not in text


@pytest.mark.postgres
async def test_db_upgrade_on_postgresql(tmp_path: Path) -> None:
    from ..conftest import postgres_database_url

    url = await postgres_database_url(tmp_path / "cli-pg", migrated=False)
    for _ in range(2):  # the second run finds nothing to do
        proc = await asyncio.create_subprocess_exec(
            *SARRAF,
            "db",
            "upgrade",
            cwd=tmp_path,
            env=env_for(tmp_path, DATABASE_URL=url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert "database schema is up to date" in out.decode()
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
    finally:
        await conn.close()
    assert {"alerts", "outbox", "broadcasts", "leader_lease", "alembic_version"} <= tables
