"""Telegram webhook mode on the bot's own HTTP server (``sarraf run --webhook``).

Telegram POSTs each update to ``{SARRAF_PUBLIC_URL}/telegram/webhook`` with the secret
token given to ``setWebhook`` in the ``X-Telegram-Bot-Api-Secret-Token`` header. Every
request is checked (constant-time) before its body is even parsed: a missing or wrong
token gets 403 and a warning in the log (with the peer address, never the token).

The secret is ``SARRAF_WEBHOOK_SECRET`` when set, else derived from the bot token
(HMAC-SHA256): every replica of one bot computes the same value with no extra
configuration, and it changes when the token is rotated. A good update is put on the
Application's queue and answered 200 at once, so Telegram's next update is not held
back by a slow command.

Several replicas each call ``setWebhook`` with the same URL and secret at start (the
call is idempotent), and none deletes the webhook when it stops: the others still serve.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.metrics import Metrics

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookSecretError(ValueError):
    pass


def secret_for(token: str, configured: str | None = None) -> str:
    """The secret token: the configured one (checked against Telegram's alphabet) or one
    derived from the bot token."""
    if configured:
        if not _ALLOWED.match(configured):
            raise WebhookSecretError(
                "SARRAF_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        return configured
    return hmac.new(token.encode(), b"sarraf telegram webhook", hashlib.sha256).hexdigest()


class WebhookReceiver:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        secret: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self._secret = secret.encode()
        self.metrics = metrics
        self.received = 0
        self.refused = 0

    def __repr__(self) -> str:
        return f"WebhookReceiver(received={self.received}, refused={self.refused})"

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret):
            self.refused += 1
            if self.metrics is not None:
                self.metrics.webhook_rejected.inc()
            log.warning(
                "webhook request from %s refused: %s secret token",
                request.remote,
                "wrong" if given else "missing",
            )
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            log.warning("webhook request from %s carried no update", request.remote)
            return web.Response(status=400, text="not an update")
        self.received += 1
        await self.app.update_queue.put(update)
        return web.Response(status=200)
