"""ALP.COM sandbox, written from the ALP.COM API document (seed 002), not from our client.

The app is assembled from route groups that share one simulated market and one
request harness: the public HTTP API v1 (``sandbox.alp.public``), the signed v1 and
v3 methods (``sandbox.alp.private``: ``X-KEY``/``X-SIGN``/``X-NONCE``, with the accounts
the sandbox holds and their own throttle keyed by account), trading and transfers
(``sandbox.alp.trading``), the v3 margin methods (``sandbox.alp.margin``) and the
wallet activity every movement is written to (``sandbox.alp.activity``). Error answers and rate
limits are in ``sandbox.alp.replies``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from aiohttp import web

from sandbox.alp.activity import ActivityLedger
from sandbox.alp.catalogue import PAIRS, VENUE
from sandbox.alp.margin import CROSS, MarginApi
from sandbox.alp.private import FeeRule, PrivateApi, SandboxAccount
from sandbox.alp.public import PublicApi
from sandbox.alp.replies import Throttle
from sandbox.alp.trading import AlpTrading, Transfer
from sandbox.harness import Harness
from sandbox.market import SimulatedMarket
from sandbox.matching import MatchingEngine

PUBLIC_RATE = 100  # calls per second per IP address, from the document
PRIVATE_RATE = 2  # authorised calls per second per account, from the document


class AlpSandbox:
    name = "alp"

    def __init__(
        self,
        market: SimulatedMarket,
        *,
        public_rate: int = PUBLIC_RATE,
        private_rate: int = PRIVATE_RATE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.market = market
        self.harness = Harness()
        self.public = PublicApi(market, Throttle(public_rate, monotonic))
        self.private = PrivateApi(market, self.public.currencies, Throttle(private_rate, monotonic))
        pairs = {p.name: p for p in PAIRS}
        self.engine = MatchingEngine(
            market,
            VENUE,
            price_decimals=lambda b, q: pairs[f"{b}_{q}"].price_precision,
            first_id=11268,
        )
        self.ledger = ActivityLedger(market.now)
        self.trading = AlpTrading(self.private, self.engine, pairs, self.ledger)
        self.margin = MarginApi(self.private, self.engine, pairs, self.ledger, self.trading.window)
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def demo(self) -> SandboxAccount:
        """The account whose credentials are ``DEMO_API_KEY``/``DEMO_API_SECRET``."""
        return self.private.demo

    def add_account(
        self,
        balances: Mapping[str, tuple[Decimal | str, Decimal | str]] | None = None,
        *,
        key: str | None = None,
        secret: str | None = None,
        name: str = "",
        email: str = "",
        fees: Sequence[FeeRule] | None = None,
    ) -> SandboxAccount:
        """An account holding ``balances`` (currency → (available, locked)); credentials
        are generated unless given, and the returned account carries them."""
        return self.private.add_account(
            balances, key=key, secret=secret, name=name, email=email, fees=fees
        )

    def env_vars(self, url: str) -> dict[str, str]:
        return {"ALP_API_URL": url}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware])
        app.add_routes(self.public.routes())
        app.add_routes(self.private.routes())
        app.add_routes(self.trading.routes())
        app.add_routes(self.margin.routes())
        app.on_startup.append(self._start_matching)
        app.on_cleanup.append(self._stop_matching)
        return app

    async def _start_matching(self, app: web.Application) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="alp-sandbox-matching")

    async def _sweep_forever(self) -> None:
        while True:
            self.trading.sweep()
            await asyncio.sleep(0.2)

    async def _stop_matching(self, app: web.Application) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    # --- transfers (the API only lists them) -------------------------------------------
    def deposit(self, account: SandboxAccount, currency: str, amount: str | Decimal) -> int:
        return self.trading.deposit(account, currency, amount)

    def withdrawal(
        self, account: SandboxAccount, currency: str, amount: str | Decimal, status: int = 10
    ) -> Transfer:
        return self.trading.withdrawal(account, currency, amount, status)

    def charge_interest(self, account: SandboxAccount) -> None:
        """One interest period on every open margin loan of ``account``."""
        self.margin.charge_interest(account)

    def liquidate(self, account: SandboxAccount, pair: str = "") -> None:
        """Liquidate the cross margin wallet (or the isolated one of ``pair``)."""
        self.margin.liquidate(account, ("ISOLATED_MARGIN", pair) if pair else (CROSS, ""))

    def halt(self, pair: str) -> None:
        """Stop trading on a pair (it stays listed): orders on it are refused."""
        self.trading.halted.add(pair)
