"""Prometheus metrics for ``/metrics``.

Each process has its own registry (not prometheus_client's global one), so the tests can
run several bots in one process and each ``/metrics`` shows only its own figures.

Two kinds of figures:
- counted where they happen: updates handled and command latency (two handlers around
  every real handler group), broadcast deliveries;
- read at scrape time from what the services already keep (``Health`` sections, the
  alert service's counters, the notifier's stats, the outbox table), so the stream
  supervisor and the notifier need no metric calls of their own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.health import Health

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    FIRST_GROUP = -1_000_000  # before every real handler group
    LAST_GROUP = 1_000_001  # after every real group (and after ``HandledUpdates``)

    def __init__(self, commands: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.commands = frozenset(commands)
        self.updates = Counter(
            "sarraf_updates_handled",
            "Telegram updates this process handled, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sarraf_command_latency_seconds",
            "From an update reaching the bot to its handlers finishing, by command",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.webhook_rejected = Counter(
            "sarraf_webhook_rejected",
            "Webhook requests refused for a wrong or missing secret token",
            registry=self.registry,
        )
        self.broadcast_messages = Counter(
            "sarraf_broadcast_messages",
            "Broadcast deliveries, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._started: dict[int, tuple[float, str, str]] = {}

    # --- updates ---------------------------------------------------------------------------
    def attach(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(TypeHandler(Update, self._begin), group=self.FIRST_GROUP)
        app.add_handler(TypeHandler(Update, self._end), group=self.LAST_GROUP)

    def label(self, update: Update) -> tuple[str, str]:
        """(kind, command) of an update; unknown commands share one label."""
        if update.callback_query is not None:
            return "callback", "button"
        message = update.effective_message
        if message is None:
            return "other", "other"
        text = message.text or ""
        if text.startswith("/"):
            name = text.split()[0][1:].split("@")[0].lower()
            return "command", name if name in self.commands else "unknown"
        return "message", "message"

    async def _begin(self, update: object, _: object) -> None:
        if isinstance(update, Update):
            kind, command = self.label(update)
            self._started[update.update_id] = (time.monotonic(), kind, command)
            if len(self._started) > 10_000:  # a handler stopped the chain: forget stale ones
                cutoff = time.monotonic() - 300
                for key in [k for k, v in self._started.items() if v[0] < cutoff]:
                    del self._started[key]

    async def _end(self, update: object, _: object) -> None:
        if not isinstance(update, Update):
            return
        started = self._started.pop(update.update_id, None)
        if started is None:
            return
        at, kind, command = started
        self.updates.labels(kind).inc()
        self.latency.labels(command).observe(time.monotonic() - at)

    # --- figures read at scrape time ---------------------------------------------------------
    def watch(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HealthCollector(Collector):
    """Alerts, outbox, streams and upstream errors from what the services already count."""

    def __init__(
        self,
        health: Health,
        outbox_depth: Callable[[], dict[str, int]] | None = None,
        leader: Callable[[], bool] | None = None,
        outbox_rows: Callable[[], dict[tuple[str, str], int]] | None = None,
    ) -> None:
        self.health = health
        self.outbox_depth = outbox_depth
        self.leader = leader
        self.outbox_rows = outbox_rows

    def collect(self) -> Iterator[Any]:
        sections = self.health.sections
        alerts = _safe(sections.get("alerts"))
        if isinstance(alerts, dict):
            fired = CounterMetricFamily("sarraf_alerts_fired", "Alert firings recorded")
            fired.add_metric([], float(alerts.get("fired", 0)))
            yield fired
            active = GaugeMetricFamily("sarraf_alerts_active", "Alerts armed in this process")
            active.add_metric([], float(alerts.get("active", 0)))
            yield active
        outbox = _safe(sections.get("outbox"))
        if isinstance(outbox, dict):
            delivered = CounterMetricFamily(
                "sarraf_outbox_messages",
                "Outbox rows this process settled, by outcome (sent = delivered)",
                labels=["outcome"],
            )
            for outcome in ("sent", "failed", "blocked", "retried"):
                if outcome in outbox:
                    delivered.add_metric([outcome], float(outbox[outcome]))
            yield delivered
        if self.outbox_depth is not None:
            depth = GaugeMetricFamily(
                "sarraf_outbox_depth", "Outbox rows by state (whole database)", labels=["state"]
            )
            for state, count in sorted(self.outbox_depth().items()):
                depth.add_metric([state], float(count))
            yield depth
        if self.outbox_rows is not None:
            rows = self.outbox_rows()
            by_kind = GaugeMetricFamily(
                "sarraf_outbox_rows",
                "Outbox rows by kind and state (whole database, every replica)",
                labels=["kind", "state"],
            )
            for (kind, state), count in sorted(rows.items()):
                by_kind.add_metric([kind, state], float(count))
            yield by_kind
            alerts_sent = GaugeMetricFamily(
                "sarraf_alerts_delivered",
                "Alert messages Telegram accepted (whole database, every replica)",
            )
            alerts_sent.add_metric([], float(rows.get(("alert", "sent"), 0)))
            yield alerts_sent
        streams = _safe(sections.get("streams"))
        if isinstance(streams, dict):
            reconnects = CounterMetricFamily(
                "sarraf_stream_reconnects", "Stream reconnects, by exchange", labels=["exchange"]
            )
            live = GaugeMetricFamily(
                "sarraf_stream_live", "1 when the exchange's stream is live", labels=["exchange"]
            )
            for name, entry in sorted(streams.items()):
                if isinstance(entry, dict):
                    reconnects.add_metric([name], float(entry.get("reconnects", 0)))
                    live.add_metric([name], 1.0 if entry.get("state") == "live" else 0.0)
            yield reconnects
            yield live
        errors = CounterMetricFamily(
            "sarraf_upstream_errors", "Failed upstream calls, by exchange", labels=["exchange"]
        )
        calls = CounterMetricFamily(
            "sarraf_upstream_calls", "Upstream calls, by exchange", labels=["exchange"]
        )
        for name, up in sorted(self.health.upstreams.items()):
            errors.add_metric([name], float(up.errors))
            calls.add_metric([name], float(up.calls))
        yield errors
        yield calls
        if self.leader is not None:
            leading = GaugeMetricFamily(
                "sarraf_leader", "1 while this replica runs the streams and schedulers"
            )
            leading.add_metric([], 1.0 if self.leader() else 0.0)
            yield leading


def _safe(compute: Callable[[], Any] | None) -> Any:
    if compute is None:
        return None
    try:
        return compute()
    except Exception:
        log.exception("a health section failed while scraping metrics")
        return None
