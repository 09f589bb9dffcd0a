"""The WallexPay client against its sandbox: every call, its signing, its errors."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeUnavailable,
    RejectedRequest,
    RequestTimeout,
    UnknownSymbol,
)
from exchanges.http import HttpPipeline, HttpReply, RetryPolicy
from exchanges.wallexpay import parse
from exchanges.wallexpay.client import WallexPayClient
from exchanges.wallexpay.models import Currency, CurrencyType
from sandbox.market import SimulatedMarket
from sandbox.serving import Served
from sandbox.wallexpay import DEMO_KEY, DEMO_SECRET, WallexPaySandbox
from tests.conftest import FixedClock

Factory = Callable[..., WallexPayClient]


def hmac512(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


@pytest.fixture
def sandbox(sim: SimulatedMarket) -> WallexPaySandbox:
    return WallexPaySandbox(sim)


@pytest.fixture
async def served(sandbox: WallexPaySandbox, serve: Any) -> Served:
    result: Served = await serve(sandbox.app())
    return result


@pytest.fixture
async def make(served: Served, clock: FixedClock) -> AsyncIterator[Factory]:
    clients: list[WallexPayClient] = []

    def build(
        *,
        key: str | None = DEMO_KEY,
        secret: str | None = DEMO_SECRET,
        timeout: float = 5.0,
        attempts: int = 1,
    ) -> WallexPayClient:
        http = HttpPipeline(
            "wallexpay",
            served.url,
            timeout=timeout,
            retry=RetryPolicy(attempts=attempts, base_delay=0.0, max_delay=0.0),
        )
        client = WallexPayClient(http, key=key, secret=secret, clock=clock)
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.close()


@pytest.fixture
async def raw(served: Served) -> AsyncIterator[Callable[..., Any]]:
    """POST arbitrary bytes and headers, bypassing the client."""
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
            async with session.post(served.url + path, data=body, headers=headers) as resp:
                return resp.status, await resp.text()

        yield post


def signed(body: bytes, *, key: str = DEMO_KEY, secret: str = DEMO_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Processing-Key": key,
        "X-Processing-Signature": hmac512(secret, body),
    }


def assert_signed(sandbox: WallexPaySandbox, path: str, body: bytes) -> None:
    seen = sandbox.harness.last(path)
    assert seen.method == "POST"
    assert seen.path == path
    assert seen.body == body
    assert seen.query == {}
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Processing-Key"] == DEMO_KEY
    assert seen.headers["X-Processing-Signature"] == hmac512(DEMO_SECRET, seen.body)


# --- ping ---------------------------------------------------------------------------


async def test_ping_needs_no_credentials(make: Factory, sandbox: WallexPaySandbox) -> None:
    client = make(key=None, secret=None)
    await client.ping()
    seen = sandbox.harness.last("/api/v2/ping")
    assert (seen.method, seen.path, seen.body) == ("GET", "/api/v2/ping", b"")
    assert "X-Processing-Key" not in seen.headers
    assert "X-Processing-Signature" not in seen.headers


# --- currencies/list ----------------------------------------------------------------


async def test_currencies(make: Factory, sandbox: WallexPaySandbox) -> None:
    currencies = await make().currencies()
    assert_signed(sandbox, "/api/v2/currencies/list", b"{}")
    assert [c.code for c in currencies] == ["BTC", "ETH", "LTC", "TRX", "USDT", "DOGE", "USD"]
    assert currencies[0] == Currency(
        code="BTC",
        type=CurrencyType.CRYPTO,
        precision=8,
        minimum_amount=Decimal("0.0001"),
        deposit_fee_percent=Decimal("0.99"),
        withdrawal_fee_percent=Decimal("0"),
        id=1,
    )
    usd = currencies[-1]
    assert (usd.type, usd.precision, usd.minimum_amount) == (CurrencyType.FIAT, 2, Decimal("10"))
    assert currencies[4].deposit_fee_percent == Decimal("0.5")


async def test_currencies_visible_filter(make: Factory, sandbox: WallexPaySandbox) -> None:
    client = make()
    enabled = await client.currencies(visible=True)
    assert_signed(sandbox, "/api/v2/currencies/list", b'{"visible":true}')
    assert "DOGE" not in [c.code for c in enabled]
    assert len(enabled) == 6
    disabled = await client.currencies(visible=False)
    assert_signed(sandbox, "/api/v2/currencies/list", b'{"visible":false}')
    assert [c.code for c in disabled] == ["DOGE"]


# --- currencies/pairs ---------------------------------------------------------------


async def test_pairs(make: Factory, sandbox: WallexPaySandbox, sim: SimulatedMarket) -> None:
    pairs = await make().pairs()
    assert_signed(sandbox, "/api/v2/currencies/pairs", b"{}")
    assert len(pairs) == 14
    for p in pairs:
        served_pair = sandbox.pair_object(p.currency_from, p.currency_to)
        assert p.rate_from == Decimal("1")
        assert p.rate_to == Decimal(served_pair["rate_to"])
        assert p.min_amount == Decimal(served_pair["currency_from"]["min_amount"])
    by_key = {(p.currency_from, p.currency_to): p for p in pairs}
    sell, buy = by_key["BTC", "USD"], by_key["USD", "BTC"]
    assert sell.min_amount == Decimal("0.0003")
    assert sell.min_amount_deposit_with_exchange == Decimal("0.0001")
    assert buy.min_amount == Decimal("25")
    assert buy.min_amount_deposit_with_exchange is None
    assert (buy.base, buy.quote) == ("BTC", "USD") == (sell.base, sell.quote)
    assert sell.price is not None and buy.price is not None
    market = Decimal(repr(sim.price("BTC", "USD", venue="wallexpay")))
    assert sell.price < market < buy.price
    assert abs(buy.price / market - 1) < Decimal("0.01")


async def test_pairs_filtered(make: Factory, sandbox: WallexPaySandbox) -> None:
    client = make()
    from_btc = await client.pairs("btc")
    assert_signed(sandbox, "/api/v2/currencies/pairs", b'{"currency_from":"BTC"}')
    assert sorted((p.currency_from, p.currency_to) for p in from_btc) == [
        ("BTC", "USD"),
        ("BTC", "USDT"),
    ]
    to_usdt = await client.pairs(currency_to="USDT")
    assert_signed(sandbox, "/api/v2/currencies/pairs", b'{"currency_to":"USDT"}')
    assert sorted(p.currency_from for p in to_usdt) == ["BTC", "ETH", "LTC", "TRX", "USD"]
    both = await client.pairs("ETH", "USDT")
    assert_signed(
        sandbox, "/api/v2/currencies/pairs", b'{"currency_from":"ETH","currency_to":"USDT"}'
    )
    assert len(both) == 1 and both[0].rate_to == Decimal(
        sandbox.pair_object("ETH", "USDT")["rate_to"]
    )
    assert await client.pairs("DOGE") == []


async def test_pairs_unknown_currency(make: Factory) -> None:
    with pytest.raises(UnknownSymbol) as caught:
        await make().pairs("XYZ")
    assert caught.value.symbol == "XYZ"


# --- currencies/rates ---------------------------------------------------------------


async def test_rates(make: Factory, sandbox: WallexPaySandbox, clock: FixedClock) -> None:
    rate = await make().rates("btc", "usd")
    assert_signed(
        sandbox, "/api/v2/currencies/rates", b'{"currency_from":"BTC","currency_to":"USD"}'
    )
    assert rate.rate == Decimal(sandbox.pair_object("BTC", "USD")["rate_to"])
    assert rate.rate == rate.pair.rate_to
    assert (rate.currency_from, rate.currency_to, rate.base, rate.quote) == (
        "BTC",
        "USD",
        "BTC",
        "USD",
    )
    assert rate.time == datetime.fromtimestamp(clock.now, tz=UTC)


async def test_rates_buying_crypto(make: Factory, sandbox: WallexPaySandbox) -> None:
    client = make()
    buy = await client.rates("USD", "ETH")
    sell = await client.rates("ETH", "USD")
    assert buy.rate == Decimal(sandbox.pair_object("USD", "ETH")["rate_to"])
    assert (buy.base, buy.quote) == ("ETH", "USD")
    assert buy.rate > sell.rate


async def test_rates_follow_the_market(
    make: Factory, sandbox: WallexPaySandbox, sim: SimulatedMarket
) -> None:
    client = make()
    before = await client.rates("BTC", "USDT")
    sim.shift("BTC", 10)
    after = await client.rates("BTC", "USDT")
    assert after.rate == Decimal(sandbox.pair_object("BTC", "USDT")["rate_to"])
    assert Decimal("1.09") < after.rate / before.rate < Decimal("1.11")


async def test_rates_of_a_pair_not_offered(make: Factory) -> None:
    with pytest.raises(UnknownSymbol) as caught:
        await make().rates("DOGE", "USD")
    assert caught.value.symbol == "DOGE/USD"


async def test_rates_unknown_currency(make: Factory) -> None:
    with pytest.raises(UnknownSymbol) as caught:
        await make().rates("BTC", "EUR")
    assert caught.value.symbol == "BTC/EUR"


# --- credentials ----------------------------------------------------------------------


async def test_wrong_secret(make: Factory) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make(secret="not-the-secret").currencies()
    assert "Bad signature header" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert DEMO_KEY not in str(caught.value)


async def test_unknown_key(make: Factory) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make(key="who-is-this", secret=DEMO_SECRET).rates("BTC", "USD")
    assert "Bad key header" in str(caught.value)
    assert "who-is-this" not in str(caught.value)
    assert DEMO_SECRET not in str(caught.value)


async def test_added_merchant(make: Factory, sandbox: WallexPaySandbox) -> None:
    sandbox.add_merchant("shop-2-key", "shop-2-secret")
    pairs = await make(key="shop-2-key", secret="shop-2-secret").pairs("LTC")
    assert len(pairs) == 2
    seen = sandbox.harness.last("/api/v2/currencies/pairs")
    assert seen.headers["X-Processing-Key"] == "shop-2-key"
    assert seen.headers["X-Processing-Signature"] == hmac512("shop-2-secret", seen.body)


async def test_signed_call_without_credentials_sends_nothing(
    make: Factory, sandbox: WallexPaySandbox
) -> None:
    with pytest.raises(AuthenticationError):
        await make(key=None, secret=None).currencies()
    assert sandbox.harness.requests == []


# --- the sandbox's refusals, byte for byte --------------------------------------------


async def test_sandbox_refuses_missing_and_bad_headers(raw: Callable[..., Any]) -> None:
    body = b'{"currency_from":"BTC"}'
    path = "/api/v2/currencies/pairs"
    no_key = await raw(path, body, {"Content-Type": "application/json"})
    assert no_key == (403, '{"error": "No key header", "code": "required_header_key"}')
    no_sig = await raw(
        path, body, {"Content-Type": "application/json", "X-Processing-Key": DEMO_KEY}
    )
    assert no_sig == (
        403,
        '{"error": "No signature header", "code": "required_header_signature"}',
    )
    tampered = await raw(path, b'{"currency_from":"ETH"}', signed(body))
    assert tampered == (403, '{"error": "Bad signature header", "code": "bad_header_signature"}')
    reply = HttpReply(tampered[0], {}, tampered[1])
    with pytest.raises(AuthenticationError):
        parse.data(reply)


async def test_sandbox_refuses_bad_content(raw: Callable[..., Any]) -> None:
    path = "/api/v2/currencies/list"
    not_json = b"visible=1"
    status, text = await raw(path, not_json, signed(not_json))
    assert (status, text) == (400, '{"error": "Bad content format", "code": "bad_content_format"}')
    form = {**signed(b"{}"), "Content-Type": "application/x-www-form-urlencoded"}
    assert (await raw(path, b"{}", form))[0] == 400
    array_ok = await raw(path, b"[]", signed(b"[]"))
    assert array_ok[0] == 200


async def test_sandbox_validation_errors_map_to_rejections(raw: Callable[..., Any]) -> None:
    body = b'{"visible":"yes"}'
    status, text = await raw("/api/v2/currencies/list", body, signed(body))
    assert (status, text) == (
        400,
        '{"errors": {"visible": "The visible field must be true or false."}}',
    )
    with pytest.raises(RejectedRequest, match="true or false"):
        parse.data(HttpReply(status, {}, text))
    status, text = await raw("/api/v2/currencies/rates", b"{}", signed(b"{}"))
    assert (status, text) == (
        400,
        '{"errors": {"currency_from": "The currency from field is required.", '
        '"currency_to": "The currency to field is required."}}',
    )
    with pytest.raises(RejectedRequest, match="field is required"):
        parse.data(HttpReply(status, {}, text))
    body = b'{"currency_from":"XBT","currency_to":"EUR"}'
    status, text = await raw("/api/v2/currencies/pairs", body, signed(body))
    assert (status, text) == (
        400,
        '{"errors": {"currency_from": "The selected currency from is invalid.", '
        '"currency_to": "The selected currency to is invalid."}}',
    )


async def test_ping_is_not_signed_by_the_sandbox(served: Served) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(served.url + "/api/v2/ping") as resp,
    ):
        assert (resp.status, await resp.text()) == (200, "OK")


# --- transport faults -----------------------------------------------------------------


async def test_server_error(make: Factory, sandbox: WallexPaySandbox) -> None:
    sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await make(attempts=2).currencies()
    assert sandbox.harness.paths() == ["/api/v2/currencies/list"] * 2
    with pytest.raises(ExchangeUnavailable):
        await make().ping()


async def test_garbage(make: Factory, sandbox: WallexPaySandbox) -> None:
    sandbox.harness.faults.garbage = True
    client = make()
    with pytest.raises(BadResponse):
        await client.rates("BTC", "USD")
    with pytest.raises(BadResponse):
        await client.ping()


async def test_stall(make: Factory, sandbox: WallexPaySandbox) -> None:
    sandbox.harness.faults.stall = True
    try:
        with pytest.raises(RequestTimeout):
            await make(timeout=0.2).pairs()
    finally:
        sandbox.harness.faults.clear()
    assert len(await make().pairs()) == 14
