"""The WEX account client against the WEX sandbox's Trade API: what the user gets, what
reached the sandbox, and the sandbox's own strictness."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web

from exchanges.accounts import MemoryNonces, NonceSource
from exchanges.credentials import Credentials, Secret
from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeError,
    NotSupported,
    RejectedRequest,
)
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import KeyRights
from exchanges.wex.account import WexAccount
from exchanges.wex.auth import NonceExhausted
from sandbox.harness import RecordedRequest
from sandbox.market import SimulatedMarket
from sandbox.wex import DEMO_KEY, DEMO_SECRET
from sandbox.wex.server import WexSandbox
from sandbox.wex.tapi import ApiKey

from ..conftest import FixedClock

FORM = "application/x-www-form-urlencoded"


async def no_sleep(_: float) -> None:
    return None


class JitteryPipeline(HttpPipeline):
    """A pipeline whose sends leave in a scrambled order, as they may on a real network:
    each yields to the event loop a different number of times before sending."""

    sent = 0

    async def request(self, method: str, path: str, **kw: Any) -> Any:
        JitteryPipeline.sent += 1
        for _ in range(JitteryPipeline.sent * 7 % 5):
            await asyncio.sleep(0)
        return await super().request(method, path, **kw)


class Wex:
    def __init__(self, sandbox: WexSandbox, url: str, clock: FixedClock) -> None:
        self.sandbox = sandbox
        self.url = url
        self.clock = clock
        self.clients: list[WexAccount] = []

    def account(self, key: str, secret: str, nonces: NonceSource | None = None) -> WexAccount:
        http = JitteryPipeline(
            "wex", self.url, timeout=5.0, retry=RetryPolicy(attempts=3), sleep=no_sleep
        )
        client = WexAccount(
            http, Credentials(key=key, secret=Secret(secret)), clock=self.clock, nonces=nonces
        )
        self.clients.append(client)
        return client

    def of(self, api_key: ApiKey, nonces: NonceSource | None = None) -> WexAccount:
        return self.account(api_key.key, api_key.secret, nonces)

    def tapi(self) -> list[RecordedRequest]:
        return [r for r in self.sandbox.harness.requests if r.path == "/tapi"]

    async def post(
        self, body: bytes, key: str = DEMO_KEY, secret: str = DEMO_SECRET, **headers: str
    ) -> Any:
        """A hand-made Trade API call, signed here (not by the client) unless told."""
        sent = {
            "Content-Type": FORM,
            "Key": key,
            "Sign": hmac.new(secret.encode(), body, hashlib.sha512).hexdigest(),
        }
        sent.update(headers)
        sent = {name: value for name, value in sent.items() if value != "-"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url + "/tapi", data=body, headers=sent) as resp,
        ):
            text = await resp.text()
        try:
            return json.loads(text, parse_float=Decimal)
        except ValueError:
            return text


def form(request: RecordedRequest) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode()))


@pytest.fixture
async def wex(sim: SimulatedMarket, serve: Any, clock: FixedClock) -> AsyncIterator[Wex]:
    sandbox = WexSandbox(sim)
    served = await serve(sandbox.app())
    env = Wex(sandbox, served.url, clock)
    yield env
    for client in env.clients:
        await client.close()


# --- verify ---------------------------------------------------------------------------
async def test_verify_signs_get_info_and_reports_the_rights(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, DEMO_SECRET)
    check = await client.verify()
    assert check.rights == KeyRights(info=True, trade=True, withdraw=False)
    assert check.account_label is None
    (request,) = wex.tapi()
    assert request.method == "POST"
    assert request.body == b"method=getInfo&nonce=1"
    assert request.headers["Key"] == DEMO_KEY
    assert request.headers["Content-Type"] == FORM
    expected = hmac.new(DEMO_SECRET.encode(), request.body, hashlib.sha512).hexdigest()
    assert request.headers["Sign"] == expected
    assert wex.sandbox.tapi.demo.accepted == [1]


async def test_a_withdraw_capable_key_is_reported_as_such(wex: Wex) -> None:
    risky = wex.sandbox.add_account(funds={"btc": "1"}, trade=True, withdraw=True)
    check = await wex.of(risky).verify()
    assert check.rights == KeyRights(info=True, trade=True, withdraw=True)
    read_only = wex.sandbox.add_account()
    assert (await wex.of(read_only).verify()).rights == KeyRights(True, False, False)


async def test_a_key_without_the_info_right_cannot_verify(wex: Wex) -> None:
    blind = wex.sandbox.add_account(info=False, trade=True)
    with pytest.raises(AuthenticationError) as info:
        await wex.of(blind).verify()
    assert "info right" in info.value.message
    assert blind.accepted == [1]  # the nonce was spent: the key and signature were good


async def test_a_wrong_secret_is_an_authentication_error(wex: Wex) -> None:
    with pytest.raises(AuthenticationError) as info:
        await wex.account(DEMO_KEY, "not-the-secret").verify()
    assert "invalid sign" in info.value.message
    assert len(wex.tapi()) == 1
    assert wex.sandbox.tapi.demo.nonce == 0  # a refused signature spends no nonce


async def test_an_unknown_key_is_an_authentication_error(wex: Wex) -> None:
    with pytest.raises(AuthenticationError) as info:
        await wex.account("NOPE0000-NOPE0000-NOPE0000-NOPE0000-NOPE0000", "x").verify()
    assert "does not know this API key" in info.value.message
    assert len(wex.tapi()) == 1


# --- the nonce ---------------------------------------------------------------------------
async def test_fifty_concurrent_calls_on_one_key_all_succeed_in_nonce_order(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "10"})
    client = wex.of(key)
    checks = await asyncio.gather(*(client.verify() for _ in range(50)))
    assert all(c.rights == KeyRights(True, False, False) for c in checks)
    arrived = [int(form(r)["nonce"]) for r in wex.tapi()]
    assert arrived == list(range(1, 51))
    assert key.accepted == arrived
    assert all(a < b for a, b in itertools.pairwise(arrived))


async def test_clients_sharing_a_key_and_its_nonces_do_not_collide(wex: Wex) -> None:
    key = wex.sandbox.add_account()
    nonces = MemoryNonces()
    first, second = wex.of(key, nonces), wex.of(key, nonces)
    await asyncio.gather(*(c.balances() for _ in range(10) for c in (first, second)))
    assert key.accepted == list(range(1, 21))
    assert len(wex.tapi()) == 20


async def test_after_a_restart_the_invalid_nonce_is_recovered_with_one_retry(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"btc": "2"}, nonce=4000000)
    restarted = wex.of(key, MemoryNonces())
    check = await restarted.verify()
    assert check.rights == KeyRights(True, False, False)
    first, retry = wex.tapi()
    assert form(first) == {"method": "getInfo", "nonce": "1"}
    assert form(retry) == {"method": "getInfo", "nonce": "4000001"}
    assert key.accepted == [4000001]
    await restarted.verify()
    assert form(wex.tapi()[-1])["nonce"] == "4000002"
    assert len(wex.tapi()) == 3


async def test_a_second_invalid_nonce_is_not_retried_again(serve: Any, clock: FixedClock) -> None:
    seen: list[bytes] = []

    async def always_refused(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.json_response(
            {"success": 0, "error": "invalid nonce parameter; on key:7, you sent:'1'"}
        )

    app = web.Application()
    app.router.add_post("/tapi", always_refused)
    served = await serve(app)
    client = WexAccount(
        HttpPipeline("wex", served.url, timeout=2.0),
        Credentials(key="K", secret=Secret("S")),
        clock=clock,
    )
    try:
        with pytest.raises(AuthenticationError) as info:
            await client.verify()
    finally:
        await client.close()
    assert "another program" in info.value.message
    assert [dict(parse_qsl(b.decode()))["nonce"] for b in seen] == ["1", "8"]


async def test_an_exhausted_key_asks_for_a_new_key(wex: Wex) -> None:
    spent = wex.sandbox.add_account(nonce=4294967294)
    with pytest.raises(NonceExhausted) as info:
        await wex.of(spent).verify()
    assert isinstance(info.value, AuthenticationError)
    assert "create a new API key" in str(info.value)
    assert len(wex.tapi()) == 1  # the refused first try; the retry is never sent

    with pytest.raises(NonceExhausted):
        await wex.of(spent, MemoryNonces(start=4294967294)).verify()
    assert len(wex.tapi()) == 1  # nothing sent at all


# --- balances -------------------------------------------------------------------------
async def test_balances_are_free_funds_plus_what_open_orders_lock(wex: Wex) -> None:
    balances = await wex.account(DEMO_KEY, DEMO_SECRET).balances()
    assert [(b.currency, b.available, b.locked) for b in balances] == [
        ("USD", Decimal("325"), Decimal("0")),
        ("BTC", Decimal("23.998"), Decimal("0.56")),  # buy 500 LTC at 0.001; 2 ETH at 0.03
        ("ETH", Decimal("4.5"), Decimal("0")),
        ("LTC", Decimal("0"), Decimal("0")),
        ("USDT", Decimal("0"), Decimal("0")),
    ]
    assert [form(r)["method"] for r in wex.tapi()] == ["getInfo", "ActiveOrders"]
    assert [form(r)["nonce"] for r in wex.tapi()] == ["1", "2"]


async def test_without_open_orders_only_get_info_is_asked(wex: Wex) -> None:
    key = wex.sandbox.add_account(funds={"usd": "12.5", "ltc": "0.00000001", "doge": "7"})
    balances = {b.currency: b for b in await wex.of(key).balances()}
    assert (balances["USD"].available, balances["USD"].locked) == (Decimal("12.5"), Decimal(0))
    assert balances["LTC"].available == Decimal("0.00000001")
    assert balances["DOGE"].total == Decimal(7)
    assert [form(r)["method"] for r in wex.tapi()] == ["getInfo"]


async def test_get_info_is_cached_for_sixty_seconds(wex: Wex, clock: FixedClock) -> None:
    key = wex.sandbox.add_account(funds={"usd": "100"})
    order = wex.sandbox.tapi.add_order(key, "btc_usd", "buy", "0.25", "200")
    client = wex.of(key)
    first = {b.currency: b for b in await client.balances()}
    assert (first["USD"].available, first["USD"].locked) == (Decimal(100), Decimal(50))

    key.user.funds["usd"] = Decimal("150")
    del key.user.orders[order.order_id]
    clock.advance(59)
    stale = {b.currency: b for b in await client.balances()}
    # getInfo still says 100 and one open order; ActiveOrders, live, answers "no orders".
    assert (stale["USD"].available, stale["USD"].locked) == (Decimal(100), Decimal(0))
    clock.advance(1)
    fresh = {b.currency: b for b in await client.balances()}
    assert (fresh["USD"].available, fresh["USD"].locked) == (Decimal(150), Decimal(0))
    assert [form(r)["method"] for r in wex.tapi()] == [
        "getInfo",
        "ActiveOrders",
        "getInfo",
        "ActiveOrders",
        "getInfo",
    ]


# --- deposit addresses ----------------------------------------------------------------
async def test_deposit_address_of_a_generated_currency(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, DEMO_SECRET)
    address = await client.deposit_address("btc")
    assert (address.currency, address.address) == ("BTC", "1BARCQAEjxqp1sKneiFtBVTZzhTHBTYcN5")
    assert (address.network, address.memo) == (None, None)
    assert form(wex.tapi()[-1]) == {"method": "CoinDepositAddress", "nonce": "1", "coinName": "BTC"}
    eth = await client.deposit_address("ETH")
    assert eth.address == "0x52908400098527886E0F7030069857D2E4169EE7"


async def test_deposit_address_never_generated_or_unknown(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, DEMO_SECRET)
    with pytest.raises(RejectedRequest) as info:
        await client.deposit_address("USDT")
    assert "Deposit address for USDT is not generated" in info.value.message
    assert "create one on the WEX site" in info.value.message
    with pytest.raises(RejectedRequest) as info:
        await client.deposit_address("XYZ")
    assert "Invalid coinName" in info.value.message
    before = len(wex.tapi())
    with pytest.raises(NotSupported):
        await client.deposit_address("BTC", "ERC20")
    assert len(wex.tapi()) == before


async def test_profile_is_not_offered(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, DEMO_SECRET)
    with pytest.raises(NotSupported):
        await client.profile()
    assert [f.name for f in client.credential_fields] == ["key", "secret"]
    assert not wex.tapi()


# --- non-JSON answers ---------------------------------------------------------------------
async def test_a_non_json_answer_is_a_bad_response(wex: Wex) -> None:
    client = wex.account(DEMO_KEY, DEMO_SECRET)
    wex.sandbox.tapi.non_json = "<html>503 Service Temporarily Unavailable</html>"
    with pytest.raises(BadResponse):
        await client.verify()
    assert len(wex.tapi()) == 1  # a body with a nonce is never resent by the pipeline
    wex.sandbox.tapi.non_json = None
    await client.verify()
    assert form(wex.tapi()[-1])["nonce"] == "2"


# --- the sandbox's own strictness (calls made by hand) -----------------------------------
async def test_the_sandbox_enforces_the_documented_nonce_sequence(wex: Wex) -> None:
    def body(nonce: str) -> bytes:
        return f"method=getInfo&nonce={nonce}".encode()

    answers = [await wex.post(body(n)) for n in ("1", "2", "10", "10", "11", "9")]
    assert [a["success"] for a in answers] == [1, 1, 1, 0, 1, 0]
    assert answers[3]["error"] == (
        "invalid nonce parameter; on key:10, you sent:'10', you should send:11"
    )
    assert answers[5]["error"] == (
        "invalid nonce parameter; on key:11, you sent:'9', you should send:12"
    )
    for bad in ("0", "4294967295", "abc", ""):
        answer = await wex.post(body(bad))
        assert answer["error"] == (
            f"invalid nonce parameter; on key:11, you sent:'{bad}', you should send:12"
        )
    assert (await wex.post(body("4294967294")))["success"] == 1
    assert (await wex.post(b"method=getInfo"))["error"].startswith(
        "invalid nonce parameter; on key:4294967294, you sent:''"
    )


async def test_the_sandbox_answers_each_refusal_in_wexs_words(wex: Wex) -> None:
    ok = b"method=getInfo&nonce=1"
    assert await wex.post(ok, Key="-") == {"success": 0, "error": "api key not specified"}
    assert await wex.post(ok, key="UNKNOWN0-KEY00000-00000000-00000000-00000000") == {
        "success": 0,
        "error": "invalid api key",
    }
    assert await wex.post(ok, Sign="0" * 128) == {"success": 0, "error": "invalid sign"}
    assert await wex.post(ok, Sign="-") == {"success": 0, "error": "invalid sign"}
    assert await wex.post(b"nonce=1") == {"success": 0, "error": "Invalid method"}
    assert await wex.post(b"method=Withdraw&nonce=2") == {"success": 0, "error": "Invalid method"}
    # Not a form: PHP sees no POST parameters, so no nonce either.
    not_form = await wex.post(b"method=getInfo&nonce=3", **{"Content-Type": "text/plain"})
    assert not_form["error"].startswith("invalid nonce parameter; on key:2, you sent:''")
    orders = await wex.post(b"method=ActiveOrders&nonce=3&pair=eth_btc")
    assert orders["success"] == 1
    assert [o["pair"] for o in orders["return"].values()] == ["eth_btc"]
    assert (await wex.post(b"method=ActiveOrders&nonce=4&pair=ltc_usd"))["error"] == "no orders"
    blind = wex.sandbox.add_account(info=False)
    refused = await wex.post(b"method=getInfo&nonce=1", key=blind.key, secret=blind.secret)
    assert refused == {"success": 0, "error": "api key dont have info permission"}


async def test_get_info_answers_in_the_documented_shape(wex: Wex) -> None:
    answer = await wex.post(b"method=getInfo&nonce=1")
    assert answer == {
        "success": 1,
        "return": {
            "funds": {
                "usd": 325,
                "btc": Decimal("23.998"),
                "eth": Decimal("4.5"),
                "ltc": 0,
                "usdt": 0,
            },
            "rights": {"info": 1, "trade": 1, "withdraw": 0},
            "transaction_count": 0,
            "open_orders": 2,
            "server_time": int(wex.clock()),
        },
    }


# --- secrets ------------------------------------------------------------------------------
async def test_the_secret_never_shows(wex: Wex, caplog: pytest.LogCaptureFixture) -> None:
    secret = "S3CRET-never-to-be-seen-0123456789abcdef"
    key = wex.sandbox.add_account(secret=secret, funds={"btc": "1"}, addresses={"BTC": "1abc"})
    good = wex.account(key.key, secret)
    bad = wex.account(key.key, secret + "-wrong")
    unknown = wex.account("UNKNOWN0-KEY00000-00000000-00000000-00000000", secret)
    errors: list[ExchangeError] = []
    with caplog.at_level(logging.DEBUG):
        await good.verify()
        await good.balances()
        await good.deposit_address("BTC")
        for attempt in (
            bad.verify(),
            unknown.balances(),
            good.deposit_address("LTC"),
            good.deposit_address("BTC", "BEP20"),
        ):
            with pytest.raises(ExchangeError) as info:
                await attempt
            errors.append(info.value)
        wex.sandbox.tapi.non_json = "<html>limits</html>"
        with pytest.raises(BadResponse) as bad_info:
            await good.verify()
        errors.append(bad_info.value)
    assert len(errors) == 5
    for error in errors:
        assert secret not in str(error) and secret not in repr(error)
        assert secret not in str(error.__cause__) and secret not in str(error.__context__)
    for client in (good, bad, unknown):
        assert secret not in repr(client) and secret not in repr(client.credentials)
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)
    sent = [r for r in wex.tapi() if r.headers.get("Key") == key.key]
    assert sent and all(secret not in r.headers.get("Sign", "") for r in sent)
    assert all(secret.encode() not in r.body for r in sent)
