"""The bot's own HTTP server: ``/healthz``, ``/readyz``, ``/metrics``, the Telegram
webhook and the routes others add (WallexPay callbacks) with ``add_route``.

Liveness answers 200 whenever the process can serve at all, with the last known state
of Telegram and of each upstream in the body, so an orchestrator restarts only a dead
process while an operator still sees which exchange is failing.

Readiness (``/readyz``) answers 200 only when this replica can do its work: the
database answers, Telegram accepted the bot (and, in webhook mode, the webhook), and
the upstreams are not all failing. One exchange being down leaves the bot ready — the
other four still serve, and taking every replica out of the load balancer would make
the outage total — but it shows as ``degraded`` in the JSON with the failing names.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.health import Health
from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Check = Callable[[], Awaitable[Any]]


class HttpServer:
    def __init__(
        self,
        health: Health,
        host: str,
        port: int,
        *,
        metrics: Metrics | None = None,
        database_check: Check | None = None,
    ) -> None:
        self.health = health
        self.host = host
        self.port = port
        self.metrics = metrics
        self.database_check = database_check
        # Awaited before each scrape: figures that need a query (the outbox depth).
        self.before_scrape: list[Check] = []
        self.webhook_required = False
        self._runner: web.AppRunner | None = None
        self._routes: list[tuple[str, str, RouteHandler]] = []

    def add_route(
        self,
        method: str,
        path: str,
        handler: RouteHandler,
    ) -> None:
        """Serve ``handler`` at ``path`` too (added before ``start``)."""
        self._routes.append((method, path, handler))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_page)
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", **self.health.snapshot()})

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        detail: dict[str, Any] = {}
        database_ok = True
        if self.database_check is not None:
            try:
                await asyncio.wait_for(self.database_check(), 5)
                detail["database"] = {"ok": True}
            except Exception as error:
                database_ok = False
                detail["database"] = {"ok": False, "error": type(error).__name__}
        telegram = dict(self.health.telegram)
        telegram_ok = bool(telegram.get("connected")) and (
            not self.webhook_required or bool(telegram.get("webhook"))
        )
        detail["telegram"] = {"ok": telegram_ok, **telegram}
        upstreams = {
            name: {"ok": up.healthy is not False, "last_error_kind": up.last_error_kind}
            for name, up in sorted(self.health.upstreams.items())
        }
        failing = sorted(name for name, up in upstreams.items() if not up["ok"])
        all_failing = bool(upstreams) and len(failing) == len(upstreams)
        detail["upstreams"] = upstreams
        ready = database_ok and telegram_ok and not all_failing
        detail["status"] = ("degraded" if failing else "ready") if ready else "not ready"
        if failing:
            detail["failing"] = failing
        return ready, detail

    async def readyz(self, request: web.Request) -> web.Response:
        ready, detail = await self.readiness()
        return web.json_response(detail, status=200 if ready else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        if self.metrics is None:
            raise web.HTTPNotFound()
        for refresh in self.before_scrape:
            try:
                await asyncio.wait_for(refresh(), 5)
            except Exception:
                log.exception("a metrics refresh failed")
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("HTTP server on http://%s:%s", self.host, self.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
