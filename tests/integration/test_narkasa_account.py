"""The Narkasa account client against the Narkasa sandbox: signed calls, what reached
the sandbox, each refusal of the document's "Security" rules, balances, deposit
addresses, fees, and that the secret shows up nowhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from yarl import URL

from exchanges.credentials import Credentials, Secret
from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeError,
    InvalidNonce,
    RejectedRequest,
    UnknownSymbol,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import AccountCheck, Balance, DepositAddress, Fee, KeyRights, Market
from exchanges.narkasa import parse
from exchanges.narkasa.account import NarkasaAccount
from sandbox.market import SimulatedMarket
from sandbox.narkasa import DEMO_API_KEY, DEMO_API_SECRET, DEMO_BALANCES
from sandbox.narkasa.accounts import CURRENCIES, Account, generated_address
from sandbox.narkasa.server import MARKETS, NarkasaSandbox

from ..conftest import FIXED_NOW, FixedClock

NOW_MS = int(FIXED_NOW * 1000)
WALLET = "/v3/api/balance/wallet"
DEPOSIT = "/v3/api/balance/deposit"


async def no_sleep(_: float) -> None:
    return None


class Env:
    def __init__(self, sandbox: NarkasaSandbox, url: str, clock: FixedClock) -> None:
        self.sandbox = sandbox
        self.url = url
        self.clock = clock
        self.clients: list[NarkasaAccount] = []

    def client(
        self,
        key: str | None,
        secret: str,
        *,
        clock: Any = None,
        window_ms: int | None = None,
        resync_clock: bool = True,
    ) -> NarkasaAccount:
        http = HttpPipeline("narkasa", self.url, timeout=2.0, retry=RetryPolicy(), sleep=no_sleep)
        client = NarkasaAccount(
            http,
            Credentials(key, Secret(secret)),
            clock=clock or self.clock,
            window_ms=window_ms,
            resync_clock=resync_clock,
        )
        self.clients.append(client)
        return client

    def of(self, account: Account, **kwargs: Any) -> NarkasaAccount:
        return self.client(account.key, account.secret, **kwargs)


@pytest.fixture
async def env(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Env]:
    sandbox = NarkasaSandbox(sim)
    served = await serve(sandbox.app())
    e = Env(sandbox, served.url, clock)
    yield e
    for client in e.clients:
        await client.close()


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


async def raw_call(
    url: str, method: str, path_and_query: str, headers: dict[str, str] | None = None
) -> Any:
    """A request sent exactly as written (query included), and its decoded body."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, URL(url + path_and_query, encoded=True), headers=headers) as r,
    ):
        return json.loads(await r.text(), parse_float=Decimal)


# --- verify --------------------------------------------------------------------------


async def test_verify_signs_the_exact_query_it_sends(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET)
    assert await client.verify() == AccountCheck(account_label=None, rights=KeyRights(info=True))
    seen = env.sandbox.harness.last(WALLET)
    assert seen.method == "POST"  # the document's API Authentication Test
    assert seen.headers["X-APNK-APIKEY"] == DEMO_API_KEY
    assert list(seen.query) == ["timestamp", "signature"]
    assert seen.query["timestamp"] == str(NOW_MS)
    assert seen.query["signature"] == hmac_hex(DEMO_API_SECRET, f"timestamp={NOW_MS}")
    assert seen.body == b""


async def test_window_size_is_sent_and_signed_when_set(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET, window_ms=5000)
    await client.verify()
    seen = env.sandbox.harness.last(WALLET)
    assert list(seen.query) == ["timestamp", "windowSize", "signature"]
    assert seen.query["windowSize"] == "5000"
    payload = f"timestamp={NOW_MS}&windowSize=5000"
    assert seen.query["signature"] == hmac_hex(DEMO_API_SECRET, payload)


async def test_wrong_secret_is_refused_with_20001(env: Env) -> None:
    client = env.client(DEMO_API_KEY, "not-the-secret")
    with pytest.raises(AuthenticationError) as info:
        await client.verify()
    assert info.value.message == "Invalid API key or secret"


async def test_unknown_key_is_refused_with_20001(env: Env) -> None:
    client = env.client("no-such-key", DEMO_API_SECRET)
    with pytest.raises(AuthenticationError) as info:
        await client.verify()
    assert info.value.message == "Invalid API key or secret"


async def test_stale_timestamp_is_refused_with_20004(env: Env) -> None:
    behind = FixedClock(FIXED_NOW - 10.001)  # 10001 ms behind: one past the default
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET, clock=behind, resync_clock=False)
    with pytest.raises(InvalidNonce) as info:
        await client.verify()
    assert info.value.message == "Timestamp difference limit exceeded"
    assert env.sandbox.harness.paths() == [WALLET]

    at_edge = FixedClock(FIXED_NOW - 10.0)  # exactly the window: accepted
    await env.client(DEMO_API_KEY, DEMO_API_SECRET, clock=at_edge, resync_clock=False).verify()


async def test_window_size_widens_and_narrows_the_window(env: Env) -> None:
    behind = FixedClock(FIXED_NOW - 15)
    wide = env.client(DEMO_API_KEY, DEMO_API_SECRET, clock=behind, window_ms=20_000)
    await wide.verify()
    narrow = env.client(
        DEMO_API_KEY, DEMO_API_SECRET, clock=FixedClock(FIXED_NOW - 1.5), window_ms=1000
    )
    narrow.resync_clock = False
    with pytest.raises(InvalidNonce, match="Timestamp difference"):
        await narrow.verify()


async def test_timestamp_from_the_future_is_refused_too(env: Env) -> None:
    ahead = FixedClock(FIXED_NOW + 11)
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET, clock=ahead, resync_clock=False)
    with pytest.raises(InvalidNonce, match="Timestamp difference"):
        await client.verify()


async def test_a_skewed_clock_is_corrected_from_the_servers_time(env: Env) -> None:
    behind = FixedClock(FIXED_NOW - 60)
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET, clock=behind)
    balances = await client.balances()
    assert balances
    assert env.sandbox.harness.paths() == [WALLET, "/v3/api/time", WALLET]
    assert client.offset_ms == 60_000
    assert env.sandbox.harness.last(WALLET).query["timestamp"] == str(NOW_MS)
    await client.verify()  # the offset is kept: no second resync
    assert env.sandbox.harness.paths()[-1] == WALLET
    assert env.sandbox.harness.paths().count("/v3/api/time") == 1


async def test_unauthorized_ip_and_unregistered_account(env: Env) -> None:
    elsewhere = env.sandbox.add_account(allowed_ips=["10.1.2.3"])
    with pytest.raises(AuthenticationError) as info:
        await env.of(elsewhere).verify()
    assert info.value.message == "Unauthorized IP"

    here = env.sandbox.add_account(allowed_ips=["127.0.0.1"])
    await env.of(here).verify()

    closed = env.sandbox.add_account(registered=False)
    with pytest.raises(AuthenticationError) as info:
        await env.of(closed).verify()
    assert info.value.message == "Account not registered"


async def test_sandbox_refusals_of_malformed_signed_requests(env: Env) -> None:
    """Each rule, sent by hand so the client's own care cannot hide a lax sandbox."""
    url, key, secret = env.url, DEMO_API_KEY, DEMO_API_SECRET
    header = {"X-APNK-APIKEY": key}

    def signed(payload: str) -> str:
        return f"{WALLET}?{payload}&signature={hmac_hex(secret, payload)}"

    good = f"timestamp={NOW_MS}"
    assert (await raw_call(url, "GET", signed(good), header))["code"] == "00000"
    # POST, as the document's example sends it.
    assert (await raw_call(url, "POST", signed(good), header))["code"] == "00000"
    # No key header, no signature: 20000.
    assert (await raw_call(url, "GET", signed(good)))["code"] == 20000
    assert (await raw_call(url, "GET", f"{WALLET}?{good}", header))["code"] == 20000
    # No timestamp: 20003.
    assert (await raw_call(url, "GET", signed("windowSize=1000"), header))["code"] == 20003
    # A timestamp that is not a whole number, a parameter twice: 90001.
    bad_number = f"timestamp={NOW_MS}.5"
    assert (await raw_call(url, "GET", signed(bad_number), header))["code"] == 90001
    twice = f"timestamp={NOW_MS}&timestamp={NOW_MS}"
    assert (await raw_call(url, "GET", signed(twice), header))["code"] == 90001
    zero_window = f"timestamp={NOW_MS}&windowSize=0"
    assert (await raw_call(url, "GET", signed(zero_window), header))["code"] == 90001
    # The signature covers the query as sent: the same parameters reordered fail.
    sig = hmac_hex(secret, f"timestamp={NOW_MS}&windowSize=1000")
    reordered = f"{WALLET}?windowSize=1000&timestamp={NOW_MS}&signature={sig}"
    assert (await raw_call(url, "GET", reordered, header))["code"] == 20001
    # The document's vector signs timestamp alone; sent with windowSize=1000 as in the
    # document's curl line, it does not sign that query.
    doc = f"{WALLET}?timestamp={NOW_MS}&windowSize=1000&signature={hmac_hex(secret, good)}"
    body = await raw_call(url, "POST", doc, header)
    assert body == {"code": 20001, "msg": "Invalid API key or secret"}


# --- balances ------------------------------------------------------------------------


async def test_balances_are_exactly_what_the_sandbox_holds(env: Env) -> None:
    account = env.sandbox.add_account(
        balances={"BTC": ("0.12345678", "0.00100000"), "TRY": ("1000.50", "250.25")}
    )
    balances = {b.currency: b for b in await env.of(account).balances()}
    assert balances["BTC"] == Balance("BTC", Decimal("0.12345678"), Decimal("0.00100000"))
    assert balances["TRY"] == Balance("TRY", Decimal("1000.50"), Decimal("250.25"))
    assert balances["TRY"].total == Decimal("1250.75")
    assert set(balances) == {c.symbol for c in CURRENCIES}
    assert balances["ETH"] == Balance("ETH", Decimal(0), Decimal(0))
    assert env.sandbox.harness.last(WALLET).method == "GET"


async def test_demo_account_balances(env: Env) -> None:
    balances = {b.currency: b for b in await env.client(DEMO_API_KEY, DEMO_API_SECRET).balances()}
    for currency, (available, reserved) in DEMO_BALANCES.items():
        assert balances[currency] == Balance(currency, available, reserved)
        assert balances[currency].total > 0


# --- deposit addresses -----------------------------------------------------------------


async def test_deposit_address_of_the_first_channel(env: Env) -> None:
    account = env.sandbox.add_account()
    address = await env.of(account).deposit_address("btc")
    expected = generated_address(account.key, "BTC", "BTC")
    assert address == DepositAddress("BTC", expected, network="BTC", memo=None)
    seen = env.sandbox.harness.last(DEPOSIT)
    assert seen.method == "POST"
    assert list(seen.query) == ["symbol", "timestamp", "signature"]
    assert seen.query["symbol"] == "BTC"
    payload = f"symbol=BTC&timestamp={NOW_MS}"
    assert seen.query["signature"] == hmac_hex(account.secret, payload)


async def test_deposit_address_of_a_named_network(env: Env) -> None:
    account = env.sandbox.add_account(addresses={("USDT", "TRC20"): "TXexplicitAddress0001"})
    client = env.of(account)
    trc = await client.deposit_address("USDT", "trc20")
    assert trc == DepositAddress("USDT", "TXexplicitAddress0001", network="TRC20")
    erc = await client.deposit_address("USDT", "ERC20")
    assert erc.address == generated_address(account.key, "USDT", "ERC20")
    assert erc.address.startswith("0x") and len(erc.address) == 42
    with pytest.raises(RejectedRequest) as info:
        await client.deposit_address("USDT", "BEP20")
    assert "ERC20, TRC20" in info.value.message


async def test_try_deposits_go_to_the_bank_account(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET)
    address = await client.deposit_address("TRY")
    assert address == DepositAddress("TRY", "TR 34 0001 5001 5800 7308 8132 39", "VAKIFBANK")


async def test_deposit_refusals(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET)
    with pytest.raises(RejectedRequest, match="Deposit disabled"):
        await client.deposit_address("SOL")  # 10027 from the server
    with pytest.raises(RejectedRequest, match="Deposit disabled"):
        await client.deposit_address("DOGE")  # its only channel is disabled
    with pytest.raises(UnknownSymbol) as info:
        await client.deposit_address("XYZ")
    assert info.value.symbol == "XYZ"
    sent = len(env.sandbox.harness.requests)
    with pytest.raises(UnknownSymbol):
        await client.deposit_address("BT C&x=1")
    assert len(env.sandbox.harness.requests) == sent  # refused before sending

    unverified = env.sandbox.add_account(verified=False)
    with pytest.raises(RejectedRequest, match="Identity verification required"):
        await env.of(unverified).deposit_address("BTC")


async def test_deposit_needs_a_symbol(env: Env) -> None:
    payload = f"timestamp={NOW_MS}"
    path = f"{DEPOSIT}?{payload}&signature={hmac_hex(DEMO_API_SECRET, payload)}"
    body = await raw_call(env.url, "POST", path, {"X-APNK-APIKEY": DEMO_API_KEY})
    assert body == {"code": 20005, "msg": "Missing parameters"}


def test_deposit_parse_rejects_an_empty_address() -> None:
    body = {"currency": {"symbol": "BTC", "enable": True, "channels": [{"name": "BTC"}]}}
    with pytest.raises(BadResponse):
        parse.deposit_address(body)
    body = {"currency": {"symbol": "BTC", "channels": [{"name": "BTC", "address": " "}]}}
    with pytest.raises(BadResponse):
        parse.deposit_address(body)


def test_wallet_parse_refuses_a_missing_field() -> None:
    with pytest.raises(BadResponse):
        parse.wallet({"wallet": [{"symbol": "TRY", "available": 1}]})


# --- profile (fees) --------------------------------------------------------------------


async def test_profile_lists_each_markets_commission(env: Env) -> None:
    profile = await env.client(DEMO_API_KEY, DEMO_API_SECRET).profile()
    fees = {f.market: f for f in profile.fees}
    assert set(fees) == {m.symbol for m in MARKETS}
    assert fees["BTCTRY"] == Fee(Decimal("0.2"), Decimal("0.2"), level=None, market="BTCTRY")


def test_fee_parse_skips_fixed_commissions_and_falls_back_to_commission() -> None:
    fixed = {"info": {"symbol": "X", "commission": 1, "commissionPercentage": False}}
    assert parse.market_fee(fixed) is None
    single = {"info": {"symbol": "Y", "commission": Decimal("0.15"), "commissionTierBased": True}}
    assert parse.market_fee(single) == Fee(
        Decimal("0.15"), Decimal("0.15"), level="tier-based", market="Y"
    )


# --- credentials -----------------------------------------------------------------------


def test_credential_fields_are_the_documents_two() -> None:
    fields = NarkasaAccount.credential_fields
    assert [(f.name, f.secret) for f in fields] == [("key", False), ("secret", True)]
    assert "apiKey" in fields[0].label and "apiSecret" in fields[1].label


def test_a_key_is_required() -> None:
    http = HttpPipeline("narkasa", "http://127.0.0.1:1")
    with pytest.raises(ValueError) as info:
        NarkasaAccount(http, Credentials(None, Secret("lonely-secret-value")))
    assert "lonely-secret-value" not in str(info.value)


async def test_the_secret_never_shows(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    secret = "SuperSecretNarkasaValue0123456789abcdefABCDEF0123456789abcdefXYZ"
    account = env.sandbox.add_account(secret=secret, balances={"BTC": ("1", "0")})
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        good = env.of(account)
        texts += [repr(good), str(good), repr(good.credentials), repr(vars(good))]
        await good.verify()
        await good.balances()
        await good.deposit_address("BTC")
        skewed = env.of(account, clock=FixedClock(FIXED_NOW - 100))
        await skewed.verify()
        failing = [
            env.client(account.key, secret + "x").verify(),
            env.of(account, clock=FixedClock(FIXED_NOW - 100), resync_clock=False).verify(),
            good.deposit_address("XYZ"),
            good.deposit_address("SOL"),
        ]
        for call in failing:
            with pytest.raises(ExchangeError) as info:
                await call
            texts += [str(info.value), repr(info.value), repr(info.value.args)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    for text in texts:
        assert secret not in text
        assert (secret + "x") not in text
    # And it never travelled: only signatures did.
    for req in env.sandbox.harness.requests:
        assert secret not in str(req.query) + str(req.headers) + req.body.decode()


# --- currencies, a fast buy's total places ----------------------------------------------


async def test_currencies_are_every_listed_code_with_its_name(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET)
    found = await client.currencies()
    assert found == {c.symbol: c.name for c in CURRENCIES}
    assert found["TRY"] == "Türk Lirası"
    seen = env.sandbox.harness.last("/v3/api/balance/currencies")
    assert seen.method == "GET" and set(seen.query) == {"timestamp", "signature"}
    with pytest.raises(AuthenticationError):
        await env.client(DEMO_API_KEY, "not-the-secret").currencies()


async def test_a_fast_buys_total_places_come_from_market_info(env: Env) -> None:
    client = env.client(DEMO_API_KEY, DEMO_API_SECRET)
    by_symbol = {m.base + m.quote: m for m in MARKETS}
    for symbol in ("TRXTRY", "BTCTRY", "BTCUSDT"):
        m = by_symbol[symbol]
        market = Market("narkasa", symbol, m.base, m.quote, m.price_places, m.amount_places)
        assert await client.fast_total_decimals(market) == m.total_places
    assert env.sandbox.harness.last("/v3/api/market/info").query == {"symbol": "BTCUSDT"}
