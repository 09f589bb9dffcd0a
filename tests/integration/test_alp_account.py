"""The ALP.COM account client against its sandbox: signing, nonces, balances, profile.

Signatures in these tests are recomputed here from the document's recipe (HMAC-SHA256
of key + sorted url-encoded POST data, ``{}`` for a GET), not with the client's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from exchanges.accounts import MemoryNonces
from exchanges.alp.account import AlpAccount
from exchanges.credentials import Credentials
from exchanges.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailable,
    NotSupported,
    RateLimited,
)
from exchanges.http import HttpPipeline
from exchanges.models import AccountCheck, Balance, Fee
from sandbox.alp import DEMO_API_KEY, DEMO_API_SECRET, AlpSandbox, FeeRule, SandboxAccount
from sandbox.alp.private import (
    BAD_NONCE,
    BAD_SIGNATURE,
    NO_CREDENTIALS,
    STALE_NONCE,
    UNKNOWN_KEY,
)
from sandbox.market import SimulatedMarket

from ..conftest import FIXED_NOW, FixedClock

KEY = "7f3a-91c2-alp-test-key"
SECRET = "Z%2Fs3cr3t-alp-test-value"  # the document's secrets may hold "%"
FIRST_NONCE = int(FIXED_NOW * 1000) + 1  # clock in ms, then strictly increasing
HOLDINGS = {
    "BTC": ("1.23456789", "0.1"),
    "USDT": ("2000.5", "500"),
    "ETH": ("0", "0.25"),
    "XRP": ("42", "0"),  # held, though no pair lists it
}
FEES = (
    FeeRule(Decimal("0.002"), Decimal("0.001"), priority=3),
    FeeRule(Decimal("0.5"), Decimal("0.5"), pair="ETH_USDT", priority=0, is_active=False),
    FeeRule(Decimal("0.0012"), Decimal("0"), pair="BTC_USDT", priority=1, fee_currency="BTC"),
    FeeRule(Decimal("0.0015"), Decimal("0.0005"), currency="TRX", priority=2),
)


async def _no_sleep(_: float) -> None:
    return None


class MonotonicStub:
    """The sandbox throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FixedNonces:
    """A broken NonceSource that hands out the same nonce twice and more."""

    def __init__(self, value: int) -> None:
        self.value = value

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        return self.value


class SlowNonces(MemoryNonces):
    """A nonce source that answers later the earlier it is asked (as a busy database
    might): unless signed calls take turns, a smaller nonce would reach the server
    after a larger one."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        value = await super().next_nonce(scope, at_least)
        self.asked += 1
        for _ in range(max(0, 40 - 2 * self.asked)):
            await asyncio.sleep(0)  # yield to the other callers, no waiting on time
        return value


def document_sign(key: str, secret: str, payload: dict[str, str]) -> str:
    msg = key + urlencode(sorted(payload.items()))
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


@dataclass
class Alp:
    sandbox: AlpSandbox
    url: str
    account: SandboxAccount
    clock: FixedClock
    opened: list[AlpAccount]

    def client(
        self,
        key: str = KEY,
        secret: str = SECRET,
        nonces: Any = None,
        clock: FixedClock | None = None,
    ) -> AlpAccount:
        creds = Credentials.of(key, secret)
        assert creds is not None
        client = AlpAccount(
            HttpPipeline("alp", self.url, timeout=5, sleep=_no_sleep),
            creds,
            clock=clock or self.clock,
            nonces=nonces or MemoryNonces(),
        )
        self.opened.append(client)
        return client

    async def raw(
        self, path: str, headers: dict[str, str], params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url + path, headers=headers, params=params) as resp,
        ):
            return resp.status, json.loads(await resp.text(), parse_float=Decimal)

    def headers(self, nonce: int, key: str = KEY, secret: str = SECRET) -> dict[str, str]:
        return {"X-KEY": key, "X-SIGN": document_sign(key, secret, {}), "X-NONCE": str(nonce)}


async def _start(
    serve: Any, sandbox: AlpSandbox, clock: FixedClock
) -> tuple[Alp, list[AlpAccount]]:
    account = sandbox.add_account(
        HOLDINGS, key=KEY, secret=SECRET, name="Test trader", email="t@alp.test", fees=FEES
    )
    served = await serve(sandbox.app())
    opened: list[AlpAccount] = []
    return Alp(sandbox, served.url, account, clock, opened), opened


@pytest.fixture
async def alp(serve: Any, sim: SimulatedMarket, clock: FixedClock) -> AsyncIterator[Alp]:
    # The documented 2 calls a second is tested on its own below.
    setup, opened = await _start(serve, AlpSandbox(sim, private_rate=1000), clock)
    yield setup
    for client in opened:
        await client.close()


# --- verify and the strictness of the sandbox ----------------------------------------


async def test_verify_with_good_credentials(alp: Alp) -> None:
    check = await alp.client().verify()
    assert check == AccountCheck(account_label=None, rights=None)
    sent = alp.sandbox.harness.last("/api/v1/wallets/")
    assert sent.method == "GET"
    assert sent.query == {}
    assert sent.headers["X-KEY"] == KEY
    assert sent.headers["X-SIGN"] == document_sign(KEY, SECRET, {})
    assert sent.headers["X-NONCE"] == str(FIRST_NONCE)
    assert alp.account.nonces == [FIRST_NONCE]


async def test_wrong_secret_is_a_bad_signature(alp: Alp) -> None:
    with pytest.raises(AuthenticationError) as raised:
        await alp.client(secret="not-the-secret").verify()
    assert BAD_SIGNATURE in str(raised.value)
    assert alp.account.nonces == []  # a refused call does not move the nonce
    assert alp.account.last_nonce == 0


async def test_unknown_key(alp: Alp) -> None:
    with pytest.raises(AuthenticationError) as raised:
        await alp.client(key="no-such-key").balances()
    assert UNKNOWN_KEY in str(raised.value)


async def test_reused_nonce_is_refused(alp: Alp) -> None:
    client = alp.client(nonces=FixedNonces(FIRST_NONCE + 10))
    await client.balances()
    with pytest.raises(AuthenticationError) as raised:
        await client.balances()
    assert STALE_NONCE in str(raised.value)
    assert alp.account.nonces == [FIRST_NONCE + 10]


async def test_lower_nonce_than_another_program_used_is_refused(alp: Alp) -> None:
    status, _ = await alp.raw("/api/v1/wallets/", alp.headers(FIRST_NONCE + 5000))
    assert status == 200
    with pytest.raises(AuthenticationError) as raised:
        await alp.client().verify()
    assert STALE_NONCE in str(raised.value)
    assert alp.account.nonces == [FIRST_NONCE + 5000]


async def test_nonce_source_moves_past_what_it_was_told(alp: Alp) -> None:
    """``at_least`` from the clock: a key last used at a later ms still works after a
    restart with a persisted nonce source whose clock runs behind."""
    shared = MemoryNonces()
    await alp.client(nonces=shared).verify()
    await alp.client(nonces=shared).verify()  # a "restarted" client, same store
    behind = FixedClock(FIXED_NOW - 60)  # a clock a minute slow after the restart
    await alp.client(nonces=shared, clock=behind).verify()
    assert alp.account.nonces == [FIRST_NONCE, FIRST_NONCE + 1, FIRST_NONCE + 2]


async def test_sandbox_refusals_have_the_documented_shapes(alp: Alp) -> None:
    nonce = FIRST_NONCE
    assert await alp.raw("/api/v1/wallets/", {}) == (401, {"detail": NO_CREDENTIALS})
    bad_nonce = {**alp.headers(nonce), "X-NONCE": "12ab"}
    assert await alp.raw("/api/v1/wallets/", bad_nonce) == (401, {"detail": BAD_NONCE})
    plus = {**alp.headers(nonce), "X-NONCE": "+12"}
    assert await alp.raw("/api/v1/wallets/", plus) == (401, {"detail": BAD_NONCE})
    wrong = alp.headers(nonce, secret="other")
    assert await alp.raw("/api/v3/feeinfo", wrong) == (
        401,
        {"code": "UNAUTHORIZED", "message": BAD_SIGNATURE},
    )
    unknown = alp.headers(nonce, key="nobody")
    assert await alp.raw("/api/v3/accounts", unknown) == (
        401,
        {"code": "UNAUTHORIZED", "message": UNKNOWN_KEY},
    )
    assert alp.account.nonces == []
    # One nonce sequence per key serves v1 and v3.
    assert (await alp.raw("/api/v3/accounts", alp.headers(nonce)))[0] == 200
    assert await alp.raw("/api/v1/wallets/", alp.headers(nonce)) == (
        401,
        {"detail": STALE_NONCE},
    )


async def test_wallet_filter_and_v3_balances_agree(alp: Alp) -> None:
    status, body = await alp.raw(
        "/api/v1/wallets/", alp.headers(FIRST_NONCE), params={"currency_id": "BTC"}
    )
    assert (status, body) == (
        200,
        [{"currency": "BTC", "balance": Decimal("1.23456789"), "reserve": Decimal("0.1")}],
    )
    status, body = await alp.raw(
        "/api/v1/wallets/", alp.headers(FIRST_NONCE + 1), params={"currency_id": "NOPE"}
    )
    assert status == 400 and list(body) == ["currency_id"]
    status, v3 = await alp.raw("/api/v3/accounts/balances", alp.headers(FIRST_NONCE + 2))
    assert status == 200
    assert {row["currency"]: (row["balance"], row["reserve"]) for row in v3} == {
        code: (Decimal(avail), Decimal(locked)) for code, (avail, locked) in HOLDINGS.items()
    }
    assert {row["wallet_type"] for row in v3} == {"SPOT"}
    assert {row["account_id"] for row in v3} == {alp.account.id}


# --- balances, deposit address, profile ----------------------------------------------


async def test_balances_are_exactly_what_the_sandbox_holds(alp: Alp) -> None:
    balances = await alp.client().balances()
    listed = sorted(set(alp.sandbox.public.currencies) | set(HOLDINGS))
    assert [b.currency for b in balances] == listed
    zero = Decimal(0)
    for b in balances:
        held = alp.account.wallets.get(b.currency)
        assert b.available == (held.balance if held else zero)
        assert b.locked == (held.reserve if held else zero)
    by_code = {b.currency: b for b in balances}
    assert by_code["BTC"] == Balance("BTC", Decimal("1.23456789"), Decimal("0.1"))
    assert by_code["BTC"].total == Decimal("1.33456789")
    assert by_code["USDT"] == Balance("USDT", Decimal("2000.5"), Decimal("500"))
    assert by_code["ETH"] == Balance("ETH", Decimal(0), Decimal("0.25"))
    assert by_code["XRP"] == Balance("XRP", Decimal(42), Decimal(0))
    assert by_code["SOL"] == Balance("SOL", zero, zero)
    for b in balances:  # the wire carried exact numbers, not floats
        assert isinstance(b.available, Decimal) and isinstance(b.locked, Decimal)


async def test_deposit_address_is_not_offered(alp: Alp) -> None:
    before = len(alp.sandbox.harness.requests)
    with pytest.raises(NotSupported) as raised:
        await alp.client().deposit_address("BTC")
    assert "deposit address" in str(raised.value)
    with pytest.raises(NotSupported):
        await alp.client().deposit_address("USDT", "TRC20")
    assert len(alp.sandbox.harness.requests) == before  # nothing was sent


async def test_profile_has_account_and_fees(alp: Alp) -> None:
    profile = await alp.client().profile()
    assert profile.lines == (
        ("Account", "Test trader"),
        ("Account ID", str(alp.account.id)),
        ("Email", "t@alp.test"),
        ("Fees charged in", "BTC, USDT"),
    )
    assert profile.fees == (
        Fee(maker_pct=Decimal(0), taker_pct=Decimal("0.12"), market="BTC_USDT"),
        Fee(maker_pct=Decimal("0.05"), taker_pct=Decimal("0.15"), market="TRX"),
        Fee(maker_pct=Decimal("0.1"), taker_pct=Decimal("0.2"), market=None),
    )
    assert alp.sandbox.harness.paths()[-2:] == ["/api/v3/accounts", "/api/v3/feeinfo"]
    v3 = [r for r in alp.sandbox.harness.requests if r.path.startswith("/api/v3/")]
    assert [r.headers["X-NONCE"] for r in v3] == [str(FIRST_NONCE), str(FIRST_NONCE + 1)]
    assert all(r.headers["X-SIGN"] == document_sign(KEY, SECRET, {}) for r in v3)


async def test_demo_account(alp: Alp) -> None:
    client = alp.client(key=DEMO_API_KEY, secret=DEMO_API_SECRET)
    await client.verify()
    held = {b.currency: b for b in await client.balances() if b.total}
    assert held == {
        "BTC": Balance("BTC", Decimal("0.5231"), Decimal("0.015")),
        "ETH": Balance("ETH", Decimal("3.2"), Decimal(0)),
        "TRX": Balance("TRX", Decimal(12000), Decimal(0)),
        "USDT": Balance("USDT", Decimal("1520.75"), Decimal(250)),
    }
    profile = await client.profile()
    assert profile.fees == (
        Fee(maker_pct=Decimal("0.08"), taker_pct=Decimal("0.15"), market="BTC_USDT"),
        Fee(maker_pct=Decimal("0.1"), taker_pct=Decimal("0.2"), market=None),
    )
    assert ("Account", "Sarraf demo") in profile.lines


# --- concurrency, rate limit, faults --------------------------------------------------


async def test_twenty_concurrent_calls_on_one_key(alp: Alp) -> None:
    client = alp.client(nonces=SlowNonces())
    results = await asyncio.wait_for(
        asyncio.gather(*(client.balances() for _ in range(20))), timeout=30
    )
    assert len(results) == 20
    assert all(r == results[0] for r in results)
    assert alp.account.nonces == list(range(FIRST_NONCE, FIRST_NONCE + 20))
    arrived = [int(r.headers["X-NONCE"]) for r in alp.sandbox.harness.requests]
    assert len(arrived) == 20
    assert all(a < b for a, b in itertools.pairwise(arrived))


async def test_concurrent_clients_of_one_key_share_the_turn(alp: Alp) -> None:
    """Two clients of one key, each with its own (process-local) nonce source."""
    first, second = alp.client(nonces=SlowNonces()), alp.client(nonces=SlowNonces())
    calls = [c.balances() for _ in range(6) for c in (first, second)]
    await asyncio.wait_for(asyncio.gather(*calls), timeout=30)
    assert len(alp.account.nonces) == 12
    assert all(a < b for a, b in itertools.pairwise(alp.account.nonces))


async def test_documented_rate_limit(serve: Any, sim: SimulatedMarket, clock: FixedClock) -> None:
    monotonic = MonotonicStub()
    setup, opened = await _start(serve, AlpSandbox(sim, monotonic=monotonic), clock)
    client = setup.client()
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    client.throttle_sleep = wait  # type: ignore[method-assign]
    try:
        await client.balances()
        await client.balances()
        with pytest.raises(RateLimited) as raised:
            await client.balances()
        assert raised.value.retry_after == 1.0
        assert waits == [1.0, 1.0]  # waited out twice, then given up
        assert len(setup.sandbox.harness.paths()) == 5
        monotonic.now += 1.0
        await client.balances()
    finally:
        for c in opened:
            await c.close()


async def test_a_throttled_call_is_sent_again_after_the_wait(
    serve: Any, sim: SimulatedMarket, clock: FixedClock
) -> None:
    monotonic = MonotonicStub()
    setup, opened = await _start(serve, AlpSandbox(sim, monotonic=monotonic), clock)
    client = setup.client()

    async def wait(seconds: float) -> None:
        monotonic.now += seconds

    client.throttle_sleep = wait  # type: ignore[method-assign]
    try:
        for _ in range(3):
            await client.balances()
        assert len(setup.sandbox.harness.paths()) == 4  # one throttled, sent again
        nonces = setup.account.nonces
        assert len(nonces) == 4 and all(a < b for a, b in itertools.pairwise(nonces))
    finally:
        for c in opened:
            await c.close()


async def test_server_error_is_not_resent(alp: Alp) -> None:
    alp.sandbox.harness.faults.status = 502
    client = alp.client()
    with pytest.raises(ExchangeUnavailable):
        await client.balances()
    assert alp.sandbox.harness.paths() == ["/api/v1/wallets/"]
    alp.sandbox.harness.faults.clear()
    assert await client.balances()
    assert alp.account.nonces == [FIRST_NONCE + 1]


# --- the secret never leaks ----------------------------------------------------------


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


async def test_secret_never_appears(alp: Alp, debug_logs: pytest.LogCaptureFixture) -> None:
    client = alp.client()
    await client.verify()
    await client.balances()
    await client.profile()
    errors: list[ExchangeError] = []
    for failing in (
        alp.client(secret=SECRET + "x").verify(),
        alp.client(key="nobody").balances(),
        alp.client(nonces=FixedNonces(1)).profile(),
        client.deposit_address("BTC"),
    ):
        with pytest.raises(ExchangeError) as raised:
            await failing
        errors.append(raised.value)
    alp.sandbox.harness.faults.status = 500
    with pytest.raises(ExchangeError) as unavailable:
        await client.balances()
    errors.append(unavailable.value)
    alp.sandbox.harness.faults.clear()

    for exc in errors:
        assert SECRET not in str(exc)
        assert SECRET not in repr(exc)
        assert all(SECRET not in str(arg) for arg in exc.args)
    for c in alp.opened:
        assert SECRET not in repr(c)
        assert SECRET not in repr(c.credentials)
    assert any(r.levelno == logging.DEBUG for r in debug_logs.records)
    assert SECRET not in debug_logs.text
    for record in debug_logs.records:
        assert SECRET not in record.getMessage()
    # It never travels either: only its signature does.
    for req in alp.sandbox.harness.requests:
        assert SECRET not in repr(req.headers)
        assert SECRET not in repr(req.query)
        assert SECRET.encode() not in req.body
