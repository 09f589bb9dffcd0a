"""WallexPay's callbacks to a merchant's callback URL, as the sandbox sends them.

The document: "When transaction is sent by a customer - WallexPay sends a callback to
your callback URL with transaction details. It contains status, address, currency,
amount and fees", and "You will receive a callback when transaction status is
updated" for withdrawals. It does not show a body, nor say where the URL is set; the
seed index says callbacks carry the request headers over their body
(``X-Processing-Key``, and ``X-Processing-Signature`` = lowercase hex HMAC-SHA512 of
the raw body under the merchant's secret).

Where the URL lives: the merchant sets it in WallexPay's back office; the sandbox
keeps it per merchant (``Merchant.callback_url``), set with
``WallexPaySandbox.set_callback_url`` or, for a sandbox in another process, ``POST
/_sandbox/callback-url`` ``{"key": …, "url": …}`` (a back-office stand-in, not part of
the API). A merchant without a URL gets no callbacks (they are still recorded).

Bodies follow the CoinsPaid API v2 callbacks WallexPay mirrors: ``id``, ``foreign_id``,
``type`` (``deposit``, ``withdrawal``, ``exchange``, ``invoice``), ``status``,
``crypto_address`` {id, currency, address, tag, foreign_id}, ``currency_sent`` and
``currency_received`` {currency, amount}, ``transactions`` [{id, currency,
transaction_type, type, address, tag, amount, txid, confirmations}], ``fees`` [{type,
currency, amount}], ``error``. Amounts are strings with eight places. An invoice's
callback adds ``url``, ``name``, ``currency`` and ``amount``.

Delivery: every callback is posted until the merchant answers 2xx, one attempt per
sweep at least ``RETRY_SECONDS`` apart (real seconds), at most ``MAX_ATTEMPTS`` times;
each attempt is recorded in ``deliveries``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

RETRY_SECONDS = 1.0
MAX_ATTEMPTS = 10


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


@dataclass
class Callback:
    """One callback to deliver: the merchant's key, the body and where it goes."""

    merchant_key: str
    body: bytes
    headers: dict[str, str]
    url: str | None
    attempts: int = 0
    next_at: float = 0.0
    delivered: bool = False

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


@dataclass(frozen=True, slots=True)
class Delivery:
    url: str
    body: bytes
    status: int | None  # None: the URL could not be reached


@dataclass
class CallbackSender:
    """The sandbox's queue of callbacks and their deliveries."""

    now: Callable[[], float] = time.monotonic
    queued: list[Callback] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None
    _changed: asyncio.Condition | None = None

    def enqueue(self, merchant_key: str, secret: str, url: str | None, payload: Any) -> Callback:
        body = json.dumps(payload, separators=(",", ":")).encode()
        callback = Callback(
            merchant_key=merchant_key,
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Processing-Key": merchant_key,
                "X-Processing-Signature": sign(secret, body),
            },
            url=url,
        )
        self.queued.append(callback)
        return callback

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of every callback made, delivered or not, in order."""
        return [c.payload for c in self.queued]

    async def deliver(self) -> None:
        """One attempt for every callback that is due."""
        now = self.now()
        for callback in list(self.queued):
            if callback.delivered or callback.url is None or callback.next_at > now:
                continue
            if callback.attempts >= MAX_ATTEMPTS:
                continue
            callback.attempts += 1
            callback.next_at = now + RETRY_SECONDS
            status: int | None
            try:
                if self._session is None or self._session.closed:
                    self._session = aiohttp.ClientSession()
                async with self._session.post(
                    callback.url,
                    data=callback.body,
                    headers=callback.headers,
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as reply:
                    status = reply.status
            except (aiohttp.ClientError, TimeoutError):
                status = None
            callback.delivered = status is not None and 200 <= status < 300
            self.deliveries.append(Delivery(callback.url, callback.body, status))
            await self._tell()

    async def _tell(self) -> None:
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            self._changed.notify_all()

    async def wait_delivered(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first delivered callback whose body matches, waiting for it."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for callback in self.queued:
                    if callback.delivered and predicate(callback.payload):
                        return callback.payload
                await self._changed.wait()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Waits until ``condition()`` holds, checked after every delivery attempt."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with asyncio.timeout(timeout), self._changed:
            while not condition():
                await self._changed.wait()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
