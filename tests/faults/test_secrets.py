"""Secrets: a representative run (every exchange connected, balances, a refused key, an
upstream that fails mid-call) leaves no test secret in the logs at DEBUG (with every
traceback), in the raw database file and its WAL, in any message or request the bot sent
to Telegram. The key file is 0600 and a key file others can read stops the start."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import RedactingFilter
from sandbox.runner import SandboxStack, demo_credentials
from storage.secrets import SecretsError, load_master_keys
from tests.integration.conftest import RunningBot, running_bot
from tests.integration.test_bot_accounts import assert_not_in_database_files, connect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, formatted (tracebacks included) as ``sarraf run`` would."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def stack_secrets() -> list[str]:
    return [value for values in demo_credentials().values() for value in values]


async def test_a_representative_run_leaks_no_secret(
    stack: SandboxStack, tmp_path: Path, debug_log: io.StringIO, stack_secrets: list[str]
) -> None:
    async with running_bot(stack, tmp_path / "secrets.db") as bot:
        user = bot.user()
        for exchange, values in demo_credentials().items():
            done = await connect(user, exchange, values)
            assert "is connected" in done, (exchange, done)
        # A refused key: the secret typed is wrong; the error must not echo it.
        wrong = "WRONG" + demo_credentials()["wex"][1][5:]
        stack_secrets.append(wrong)
        await user.ask("/disconnect wex")
        refused = await connect(user, "wex", [demo_credentials()["wex"][0], wrong])
        assert "did not accept" in refused or "Nothing was" in refused
        assert "connected" in await user.ask("/accounts")
        assert await user.ask("/balance", timeout=30)
        # An upstream failing in the middle of a signed call.
        harness = stack.servers["narkasa"].harness  # type: ignore[attr-defined]
        harness.faults.status = 500
        assert await user.ask("/balance narkasa", timeout=30)
        harness.faults.clear()
        harness.faults.garbage = True
        assert await user.ask("/profile narkasa", timeout=30)
        harness.faults.clear()
        scan(bot, stack_secrets, debug_log.getvalue())


def scan(bot: RunningBot, secrets: list[str], log_text: str) -> None:
    emu = bot.stack.telegram
    token = bot.settings.telegram_bot_token
    assert token and token not in log_text, "the bot token is in the log"
    assert "DEBUG" in log_text, "the log was not captured at DEBUG"
    sent_by_bot = json.dumps(
        [
            {"method": r.method, "params": {k: str(v) for k, v in r.params.items()}}
            for r in emu.requests
        ],
        ensure_ascii=False,
        default=str,
    )
    transcript = json.dumps(
        [m for m in emu.transcript(1001) if m.get("from_bot")], ensure_ascii=False, default=str
    )
    for secret in secrets:
        assert secret not in log_text, "a secret is in the DEBUG log"
        assert secret not in sent_by_bot, "a secret went to Telegram"
        assert secret not in transcript, "a secret is in a bot message"
    assert_not_in_database_files(bot, secrets)
    assert stat.S_IMODE(os.stat(bot.settings.master_key_file).st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_key_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "sarraf.key"
    load_master_keys(None, str(path))  # created 0600
    path.chmod(mode)
    with pytest.raises(SecretsError) as info:
        load_master_keys(None, str(path))
    assert "chmod 600" in str(info.value)
    assert path.read_text().strip() not in str(info.value)
    path.chmod(0o600)
    assert load_master_keys(None, str(path))


def test_sarraf_run_refuses_to_start_with_a_world_readable_key_file(tmp_path: Path) -> None:
    key = tmp_path / "sarraf.key"
    load_master_keys(None, str(key))
    key.chmod(0o644)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "SARRAF_MASTER_KEY_FILE": str(key),
        "SARRAF_HTTP_PORT": "0",
    }
    env.pop("SARRAF_MASTER_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "chmod 600" in done.stderr and "Traceback" not in done.stderr
    assert key.read_text().strip() not in done.stderr + done.stdout
