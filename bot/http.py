"""The bot's own HTTP server: ``/healthz`` now; WallexPay callbacks and the webhook join it.

Liveness answers 200 whenever the process can serve at all, with the last known state
of Telegram and of each upstream in the body, so an orchestrator restarts only a dead
process while an operator still sees which exchange is failing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.health import Health

log = logging.getLogger(__name__)
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpServer:
    def __init__(self, health: Health, host: str, port: int) -> None:
        self.health = health
        self.host = host
        self.port = port
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
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", **self.health.snapshot()})

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
