"""The one request pipeline every client sends through: send → decode → map errors.

Why one place: timeouts, bounded retries with backoff, the shared connection pool and
Decimal decoding are the same for five upstreams, and a fix here fixes all of them.
Signing stays in each exchange's ``auth.py`` (pure functions) and is applied by the
client before calling ``request``; mapping of the exchange's own error envelope stays
in its ``parse.py``. This module maps only what HTTP itself says (5xx, 429, timeouts,
refused connections, undecodable bodies).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp

from exchanges.errors import BadResponse, ExchangeUnavailable, RateLimited, RequestTimeout

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so many clients do not retry in step."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self, exchange: str) -> Any:
        return decode_json(exchange, self.text)


def decode_json(exchange: str, text: str) -> Any:
    """JSON with every fractional number as Decimal."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise BadResponse(exchange, "the answer is not JSON") from None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class HttpPipeline:
    """One pooled aiohttp session per client, created lazily inside the running loop."""

    def __init__(
        self,
        exchange: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.exchange = exchange
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._session = session
        self._owns_session = session is None
        self._sleep = sleep

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=32, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | list[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        data: str | bytes | None = None,
        idempotent: bool | None = None,
    ) -> HttpReply:
        """Send once, or up to ``retry.attempts`` times when it is safe to repeat.

        Only idempotent requests (GET by default) are retried: re-sending an order
        after a timeout could place it twice.
        """
        retryable = method.upper() == "GET" if idempotent is None else idempotent
        attempts = self.retry.attempts if retryable else 1
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self.retry.delay(attempt))
            try:
                reply = await self._send_once(method, path, params, headers, data)
            except (ExchangeUnavailable, RequestTimeout) as exc:
                last = exc
                continue
            if reply.status >= 500:
                last = ExchangeUnavailable(self.exchange, f"server error {reply.status}")
                continue
            if reply.status == 429:
                raise RateLimited(
                    self.exchange, "too many requests", retry_after_seconds(reply.headers)
                )
            return reply
        assert last is not None
        raise last

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | list[tuple[str, str]] | None,
        headers: Mapping[str, str] | None,
        data: str | bytes | None,
    ) -> HttpReply:
        session = self._ensure_session()
        url = self.base_url + path
        try:
            async with asyncio.timeout(self.timeout):
                async with session.request(
                    method, url, params=params, headers=headers, data=data
                ) as resp:
                    text = await resp.text(errors="replace")
                    return HttpReply(resp.status, dict(resp.headers), text)
        except TimeoutError:
            log.info("%s %s %s timed out", self.exchange, method, path)
            raise RequestTimeout(self.exchange, "no answer in time") from None
        except aiohttp.ClientError as exc:
            log.info("%s %s %s failed: %s", self.exchange, method, path, type(exc).__name__)
            raise ExchangeUnavailable(self.exchange, "cannot reach the server") from None
