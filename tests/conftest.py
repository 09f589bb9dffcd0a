"""Shared fixtures. Everything listens on 127.0.0.1 and ephemeral ports; no test reaches
the internet (``no_network`` below turns any other connection into a failure)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sandbox.market import SimulatedMarket
from sandbox.serving import Served, serve_app

FIXED_NOW = 1_790_000_000.0  # a fixed moment so simulated prices repeat exactly


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sim(clock: FixedClock) -> SimulatedMarket:
    return SimulatedMarket(seed=7, clock=clock)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    """``await serve(app)`` → Served(url=...); everything started is stopped afterwards."""
    started: list[Served] = []

    async def start(app: Any) -> Served:
        served = await serve_app(app)
        started.append(served)
        return served

    yield start
    for s in reversed(started):
        await s.stop()
