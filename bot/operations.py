"""The operator's side of a running bot, grouped for handlers and ``serve``: metrics,
leadership among replicas, broadcasts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.broadcast import Broadcaster
from bot.leader import AlertSync, Leadership
from bot.metrics import Metrics


@dataclass
class Operations:
    metrics: Metrics
    leadership: Leadership
    broadcasts: Broadcaster
    alert_sync: AlertSync
    # Awaited before each /metrics scrape: figures that need a query.
    before_scrape: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
