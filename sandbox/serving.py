"""Starting an aiohttp application on a free local port (sandboxes, emulator, tests)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class Served:
    runner: web.AppRunner
    url: str
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def serve_app(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> Served:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    if sockets:
        bound = sockets[0].getsockname()[1]
    return Served(runner=runner, url=f"http://{host}:{bound}", port=bound)
