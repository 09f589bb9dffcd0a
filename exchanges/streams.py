"""The contract of a live market stream (Wallex Socket.IO, Narkasa websocket).

A stream is one connection. The bot's supervisor (``bot/streams.py``) owns
reconnecting with backoff, re-subscribing and falling back to polling; a stream only
connects, (un)subscribes native symbols, and yields ``Tick``s until the connection
drops, which it reports by raising ``StreamClosed`` from ``events()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Collection

from exchanges.errors import NetworkError
from exchanges.models import AccountEvent, Tick


class StreamClosed(NetworkError):
    """The connection ended (closed by the server, dropped, or silent too long)."""


class MarketStream(ABC):
    name: str = ""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection; raises a NetworkError when it cannot."""

    @abstractmethod
    async def subscribe(self, symbols: Collection[str]) -> None:
        """Start receiving ticks of these native symbols (idempotent)."""

    @abstractmethod
    async def unsubscribe(self, symbols: Collection[str]) -> None: ...

    @abstractmethod
    def events(self) -> AsyncIterator[Tick]:
        """Ticks as they arrive; raises StreamClosed when the connection ends."""

    @abstractmethod
    async def close(self) -> None: ...


class AccountStream(ABC):
    """One account's private stream (Narkasa ``USER_STREAMS``, Wallex ``stream_key``).

    Built by the account client (it holds the credentials) for one connection; the
    bot's supervisor reconnects the same way as for market streams.
    """

    name: str = ""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection and authenticate/subscribe; NetworkError or
        AuthenticationError when it cannot."""

    @abstractmethod
    def events(self) -> AsyncIterator[AccountEvent]:
        """Account events as they arrive; raises StreamClosed when the connection ends."""

    @abstractmethod
    async def close(self) -> None: ...
