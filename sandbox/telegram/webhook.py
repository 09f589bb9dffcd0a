"""Pushing updates to a bot's webhook, as Telegram does once setWebhook is called.

Updates go out one at a time in order, each as a JSON POST carrying the
``X-Telegram-Bot-Api-Secret-Token`` header; anything but a 2xx answer is recorded as the
``last_error_message`` of getWebhookInfo and retried after a growing pause.  A 2xx answer
whose body is a Bot API call (``{"method": ...}``) is executed, as Telegram allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .clock import Clock
from .updates import UpdateQueue

ReplyHandler = Callable[[dict[str, Any]], Awaitable[None]]
DEFAULT_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    allowed_updates: list[str] = field(default_factory=list)


class WebhookSender:
    def __init__(
        self,
        queue: UpdateQueue,
        config: WebhookConfig,
        clock: Clock,
        on_reply: ReplyHandler,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        request_timeout: float = 10.0,
    ) -> None:
        self.queue = queue
        self.config = config
        self._clock = clock
        self._on_reply = on_reply
        self._retry_delays = retry_delays or DEFAULT_RETRY_DELAYS
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.config.secret_token
        failures = 0
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while True:
                change = self.queue.signal.snapshot()
                if not self.queue.pending:
                    await change.wait()
                    continue
                update = self.queue.pending[0]
                error = await self._post(session, headers, update.to_api())
                if error is None:
                    failures = 0
                    self.config.delivered += 1
                    if self.queue.pending and self.queue.pending[0] is update:
                        self.queue.pending.pop(0)
                    continue
                self.config.last_error_date = int(self._clock())
                self.config.last_error_message = error
                delay = self._retry_delays[min(failures, len(self._retry_delays) - 1)]
                failures += 1
                await asyncio.sleep(delay)

    async def _post(
        self, session: aiohttp.ClientSession, headers: dict[str, str], payload: dict[str, Any]
    ) -> str | None:
        try:
            async with session.post(
                self.config.url, data=json.dumps(payload), headers=headers
            ) as response:
                body = await response.read()
                if not 200 <= response.status < 300:
                    return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc}"
        await self._maybe_execute(body)
        return None

    async def _maybe_execute(self, body: bytes) -> None:
        if not body.strip():
            return
        try:
            reply = json.loads(body)
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            await self._on_reply(reply)
