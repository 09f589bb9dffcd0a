"""The method registry and the one place a Bot API call is executed.

Both the HTTP route and a webhook reply (``{"method": ...}`` in the webhook's answer)
run calls through ``dispatch``, so logging and name lookup are the same for both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..bots import BotAccount
from ..errors import not_found
from ..params import Params
from ..state import World


@dataclass
class Call:
    world: World
    bot: BotAccount
    params: Params


@dataclass
class Described:
    """A successful result that Telegram accompanies with a ``description``."""

    result: Any
    description: str


Handler = Callable[[Call], Awaitable[Any]]
_REGISTRY: dict[str, tuple[str, Handler]] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            _REGISTRY[name.lower()] = (name, handler)
        return handler

    return register


def lookup(name: str) -> tuple[str, Handler] | None:
    return _REGISTRY.get(name.lower())


def method_names() -> list[str]:
    return sorted(canonical for canonical, _ in _REGISTRY.values())


async def dispatch(world: World, bot: BotAccount, name: str, params: Params) -> Any:
    """Run one call; raises ApiError (404 for an unknown method, as Telegram answers)."""
    found = lookup(name)
    bot.log_request(found[0] if found else name, params.logged)
    if found is None:
        raise not_found()
    return await found[1](Call(world, bot, params))
