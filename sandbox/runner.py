"""Starting every sandbox and the Telegram emulator on free local ports.

Used by ``sarraf demo``, ``sarraf sandbox`` and the integration tests, so the three
see the same upstreams. The product reaches them only through the URLs in ``env()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from aiohttp import web

from sandbox.alp.server import AlpSandbox
from sandbox.harness import Harness, switch
from sandbox.market import SimulatedMarket
from sandbox.narkasa.server import NarkasaSandbox
from sandbox.serving import Served, serve_app
from sandbox.telegram import FloodLimits, TelegramEmulator
from sandbox.wallex.server import WallexSandbox
from sandbox.wallexpay.server import WallexPaySandbox
from sandbox.wex.server import WexSandbox


class SandboxServer(Protocol):
    name: str

    def app(self) -> web.Application: ...

    def env_vars(self, url: str) -> dict[str, str]: ...


def default_sandboxes(market: SimulatedMarket) -> list[SandboxServer]:
    return [
        WallexSandbox(market),
        NarkasaSandbox(market),
        AlpSandbox(market),
        WexSandbox(market),
        WallexPaySandbox(market),
    ]


DEMO_TOKEN = "1234567:SANDBOX-demo-token-not-a-secret"


def demo_credentials() -> dict[str, list[str]]:
    """What to type at /connect for each sandbox's demo account, in the order asked."""
    from sandbox import alp, narkasa, wallex, wallexpay, wex

    return {
        "wallex": [wallex.DEMO_TOKEN],
        "narkasa": [narkasa.DEMO_API_KEY, narkasa.DEMO_API_SECRET],
        "alp": [alp.DEMO_API_KEY, alp.DEMO_API_SECRET],
        "wex": [wex.DEMO_KEY, wex.DEMO_SECRET],
        "wallexpay": [wallexpay.DEMO_KEY, wallexpay.DEMO_SECRET],
    }


@dataclass
class SandboxStack:
    seed: int = 7
    clock: Callable[[], float] = time.time
    flood: bool = True
    host: str = "127.0.0.1"
    token: str = DEMO_TOKEN
    # The emulator's clock (flood windows, message dates); None = real time.
    telegram_clock: Callable[[], float] | None = None
    market: SimulatedMarket = field(init=False)
    telegram: TelegramEmulator = field(init=False)
    servers: dict[str, SandboxServer] = field(init=False, default_factory=dict)
    urls: dict[str, str] = field(init=False, default_factory=dict)
    _served: list[Served] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.market = SimulatedMarket(seed=self.seed, clock=self.clock)
        self.telegram = TelegramEmulator(
            token=self.token,
            bot_username="sarraf_bot",
            flood=FloodLimits(enabled=self.flood),
            clock=self.telegram_clock,
        )

    async def start(self) -> None:
        await self.telegram.start(host=self.host, port=0)
        for server in default_sandboxes(self.market):
            served = await serve_app(server.app(), self.host, 0)
            self._served.append(served)
            self.servers[server.name] = server
            self.urls[server.name] = served.url

    async def stop(self) -> None:
        for served in reversed(self._served):
            await served.stop()
        self._served.clear()
        await self.telegram.stop()

    def env(self) -> dict[str, str]:
        env = {
            "TELEGRAM_API_URL": self.telegram.api_root,
            "TELEGRAM_BOT_TOKEN": self.token,
        }
        for name, server in self.servers.items():
            env.update(server.env_vars(self.urls[name]))
        return env

    def switch_upstream(self, words: list[str]) -> str:
        """The demo's ``!upstream NAME …``: one sandbox's fault switches (``switch``)."""
        name = words[0].lower() if words else ""
        harness: Harness | None = getattr(self.servers.get(name), "harness", None)
        if harness is None:
            return "name one of: " + ", ".join(sorted(self.servers))
        return f"{name} {switch(harness.faults, words[1:])}"

    async def __aenter__(self) -> SandboxStack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
