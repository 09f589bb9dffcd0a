"""getUpdates and the webhook methods."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import urlsplit

from ..errors import ApiError, bad_request
from ..params import Params
from ..updates import DEFAULT_ALLOWED, parse_allowed
from ..webhook import WebhookConfig, WebhookSender
from .base import Call, Described, dispatch, method

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@method("getUpdates")
async def get_updates(call: Call) -> list[dict[str, Any]]:
    p = call.params
    updates = await call.bot.updates.get_updates(
        offset=p.get_int("offset") or 0,
        limit=p.get_int("limit") or 100,
        poll_seconds=float(p.get_int("timeout") or 0),
        allowed=parse_allowed(p.get_json("allowed_updates")),
    )
    return [u.to_api() for u in updates]


@method("setWebhook")
async def set_webhook(call: Call) -> Described:
    p, bot = call.params, call.bot
    url = (p.get_str("url") or "").strip()
    if not url:
        return await _delete(call, p.get_bool("drop_pending_updates"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = parse_allowed(p.get_json("allowed_updates"))
    if allowed is not None:
        bot.updates.allowed = allowed
    if p.get_bool("drop_pending_updates"):
        bot.updates.drop_all()
    await bot.stop_webhook()
    bot.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        ip_address=p.get_str("ip_address"),
        allowed_updates=sorted(bot.updates.allowed),
    )
    bot.updates.webhook_active = True
    bot.updates.wake_all()
    world = call.world

    async def execute_reply(reply: dict[str, Any]) -> None:
        values = {k: v for k, v in reply.items() if k != "method"}
        with contextlib.suppress(ApiError):
            await dispatch(world, bot, str(reply["method"]), Params(values))

    bot.sender = WebhookSender(
        bot.updates, bot.webhook, world.clock, execute_reply, world.webhook_retry_delays
    )
    bot.sender.start()
    return Described(True, "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Described:
    return await _delete(call, call.params.get_bool("drop_pending_updates"))


async def _delete(call: Call, drop_pending: bool) -> Described:
    bot = call.bot
    was_set = bot.webhook is not None
    await bot.stop_webhook()
    bot.webhook = None
    bot.updates.webhook_active = False
    if drop_pending:
        bot.updates.drop_all()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> dict[str, Any]:
    bot = call.bot
    info: dict[str, Any] = {
        "url": bot.webhook.url if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates.pending),
    }
    if bot.webhook is None:
        return info
    hook = bot.webhook
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    info["max_connections"] = hook.max_connections
    if hook.ip_address:
        info["ip_address"] = hook.ip_address
    if frozenset(hook.allowed_updates) != DEFAULT_ALLOWED:
        info["allowed_updates"] = list(hook.allowed_updates)
    return info
