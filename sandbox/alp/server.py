"""ALP.COM sandbox, written from the ALP.COM API document (seed 002), not from our client.

The app is assembled from route groups that share one simulated market and one
request harness: today the public HTTP API v1 (``sandbox.alp.public``); the signed v1
methods (``X-KEY``/``X-SIGN``/``X-NONCE``) and the v3 private API join as further
groups with their own throttle keyed by account. Error answers and rate limits are in
``sandbox.alp.replies``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from sandbox.alp.public import PublicApi
from sandbox.alp.replies import Throttle
from sandbox.harness import Harness
from sandbox.market import SimulatedMarket

PUBLIC_RATE = 100  # calls per second per IP address, from the document


class AlpSandbox:
    name = "alp"

    def __init__(
        self,
        market: SimulatedMarket,
        *,
        public_rate: int = PUBLIC_RATE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.market = market
        self.harness = Harness()
        self.public = PublicApi(market, Throttle(public_rate, monotonic))

    def env_vars(self, url: str) -> dict[str, str]:
        return {"ALP_API_URL": url}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware])
        app.add_routes(self.public.routes())
        return app
