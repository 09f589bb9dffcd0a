"""The contract of a signed, per-user account client, and the nonce source it may need.

An account client holds one user's ``Credentials`` for as long as one command needs
them; the bot builds it, makes its calls and closes it. ``credential_fields`` tells
/connect exactly what to ask for on that system.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Protocol

from exchanges.credentials import CredentialField, Credentials
from exchanges.errors import NotSupported
from exchanges.http import HttpPipeline
from exchanges.models import AccountCheck, AccountProfile, Balance, DepositAddress


class NonceSource(Protocol):
    """Strictly increasing integers per scope (one API key), across restarts and
    concurrent calls; ``at_least`` moves the sequence past a value the upstream says
    it has already seen."""

    async def next_nonce(self, scope: str, at_least: int = 0) -> int: ...


class MemoryNonces:
    """A process-local NonceSource (tests, and systems that accept time-based nonces)."""

    def __init__(self, start: int = 0) -> None:
        self._last: dict[str, int] = {}
        self._start = start

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        value = max(self._last.get(scope, self._start), at_least) + 1
        self._last[scope] = value
        return value


class AccountClient(ABC):
    name: str = ""
    title: str = ""
    credential_fields: tuple[CredentialField, ...] = ()

    def __init__(
        self,
        http: HttpPipeline,
        credentials: Credentials,
        *,
        clock: Callable[[], float] = time.time,
        nonces: NonceSource | None = None,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.clock = clock
        self.nonces = nonces or MemoryNonces()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.http.base_url!r})"

    @abstractmethod
    async def verify(self) -> AccountCheck:
        """A harmless signed call proving the credentials; AuthenticationError if not."""

    @abstractmethod
    async def balances(self) -> Sequence[Balance]: ...

    @abstractmethod
    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        """``owner`` is a stable, opaque reference to the end user, for systems that tag
        addresses per customer (WallexPay's ``foreign_id``); others ignore it."""

    async def profile(self) -> AccountProfile:
        raise NotSupported(self.name, "no account profile")

    async def close(self) -> None:
        await self.http.close()
