"""What each upstream did last, for ``/healthz`` and for operators.

Recorded as a side effect of real traffic (no extra probing calls), so the figures
describe what users actually experienced.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from exchanges.errors import BadResponse, NetworkError


@dataclass
class UpstreamHealth:
    last_ok: float | None = None
    last_error: float | None = None
    last_error_kind: str | None = None
    errors: int = 0
    calls: int = 0

    @property
    def healthy(self) -> bool | None:
        if self.last_ok is None and self.last_error is None:
            return None
        return (self.last_error or 0) <= (self.last_ok or 0)


class Health:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.upstreams: dict[str, UpstreamHealth] = {}
        self.telegram: dict[str, Any] = {"connected": False}
        # Named sections computed when asked (stream states, outbox depth, ...).
        self.sections: dict[str, Callable[[], Any]] = {}

    def _entry(self, name: str) -> UpstreamHealth:
        return self.upstreams.setdefault(name, UpstreamHealth())

    def ok(self, name: str) -> None:
        entry = self._entry(name)
        entry.calls += 1
        entry.last_ok = self.clock()

    def failed(self, name: str, error: BaseException) -> None:
        entry = self._entry(name)
        entry.calls += 1
        entry.errors += 1
        entry.last_error = self.clock()
        entry.last_error_kind = type(error).__name__

    @asynccontextmanager
    async def track(self, name: str) -> AsyncIterator[None]:
        """Count a call as failed only when the upstream itself misbehaved."""
        try:
            yield
        except (NetworkError, BadResponse, TimeoutError) as exc:
            self.failed(name, exc)
            raise
        except BaseException:
            self.ok(name)
            raise
        else:
            self.ok(name)

    def snapshot(self) -> dict[str, Any]:
        extra = {name: compute() for name, compute in self.sections.items()}
        return {
            **extra,
            "telegram": dict(self.telegram),
            "upstreams": {
                name: {
                    "healthy": h.healthy,
                    "last_ok": h.last_ok,
                    "last_error": h.last_error,
                    "last_error_kind": h.last_error_kind,
                    "calls": h.calls,
                    "errors": h.errors,
                }
                for name, h in sorted(self.upstreams.items())
            },
        }
