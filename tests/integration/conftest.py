"""The real bot against the emulator and the sandboxes, on ephemeral local ports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_application, serve
from bot.config import Settings
from bot.handled import HandledUpdates
from bot.http import HttpServer
from sandbox.runner import SandboxStack
from sandbox.telegram import TelegramEmulator

from ..conftest import FixedClock, test_database_url


@dataclass
class ChatUser:
    """A Telegram user in their private chat with the bot."""

    emu: TelegramEmulator
    user_id: int
    chat_id: int
    handled: HandledUpdates | None = None

    async def send(self, text: str, timeout: float = 10.0) -> dict[str, Any]:
        """Send ``text`` and return the bot's first reply after it."""
        sent = await self.emu.send_text(self.user_id, text, chat_id=self.chat_id)
        return await self.emu.wait_for_message(
            self.chat_id, after_message_id=sent["message_id"], timeout=timeout
        )

    async def ask(self, text: str, timeout: float = 10.0) -> str:
        """Send ``text``; once the bot has handled it, every reply it sent, joined."""
        sent = await self.emu.send_text(self.user_id, text, chat_id=self.chat_id)
        first = await self.emu.wait_for_message(
            self.chat_id, after_message_id=sent["message_id"], timeout=timeout
        )
        if self.handled is None:
            return str(first.get("text") or first.get("caption"))
        await asyncio.wait_for(self.handled.wait(f"m:{self.chat_id}:{sent['message_id']}"), timeout)
        replies = [
            str(m.get("text") or m.get("caption") or "")
            for m in self.emu.transcript(self.chat_id)
            if m.get("from_bot") and m["message_id"] > sent["message_id"]
        ]
        return "\n".join(replies)


@dataclass
class RunningBot:
    stack: SandboxStack
    app: App
    http: HttpServer
    settings: Settings
    handled: HandledUpdates

    def user(self, user_id: int = 1001, language_code: str = "en", name: str = "Ali") -> ChatUser:
        emu = self.stack.telegram
        try:
            emu.user(user_id)
        except (KeyError, LookupError, ValueError):
            emu.add_user(user_id=user_id, first_name=name, language_code=language_code)
        return ChatUser(self.stack.telegram, user_id, user_id, self.handled)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running_bot(
    stack: SandboxStack, db_path: Path, *, webhook: bool = False, **overrides: Any
) -> AsyncIterator[RunningBot]:
    """The bot on ``db_path``'s database; ``webhook=True`` serves updates by webhook on a
    port chosen up front (its public URL must be known before it starts)."""
    env = stack.env()
    env["DATABASE_URL"] = await test_database_url(db_path)
    env["SARRAF_MASTER_KEY_FILE"] = str(db_path) + ".key"
    if webhook:
        port = free_port()
        overrides.setdefault("http_port", port)
        overrides.setdefault("public_url", f"http://127.0.0.1:{overrides['http_port']}")
    settings = replace(Settings.from_env(env), **{"http_port": 0, **overrides})
    app = build_application(settings)
    handled = HandledUpdates.attach(app)
    stop = asyncio.Event()
    started: asyncio.Future[HttpServer] = asyncio.get_running_loop().create_future()

    def on_ready(http: HttpServer) -> None:
        started.set_result(http)

    task = asyncio.create_task(serve(app, stop, ready=on_ready, webhook=webhook))
    done, _ = await asyncio.wait({task, started}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()
    assert started in done, "the bot did not start within 30 s"
    try:
        yield RunningBot(stack, app, started.result(), settings, handled)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
def market_clock() -> FixedClock:
    """The simulated market frozen at the real "now": prices hold still while a test
    compares what the bot showed with what the sandbox served, and the bot's own
    clock (real time, for candle ranges) stays seconds from the market's."""
    return FixedClock(float(int(time.time())))


@pytest.fixture
async def stack(market_clock: FixedClock) -> AsyncIterator[SandboxStack]:
    async with SandboxStack(clock=market_clock, flood=False) as s:
        yield s


@pytest.fixture
async def bot(stack: SandboxStack, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(stack, tmp_path / "bot.db") as running:
        yield running
