"""WallexPayAccount against the WallexPay sandbox: credentials, balances, deposit
addresses, fees, the sandbox's refusals, and that no secret leaks anywhere."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.credentials import Credentials, Secret
from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeError,
    ExchangeUnavailable,
    NotSupported,
    RejectedRequest,
    UnknownSymbol,
)
from exchanges.http import HttpPipeline, HttpReply, RetryPolicy
from exchanges.models import AccountCheck, Balance, DepositAddress
from exchanges.wallexpay import parse
from exchanges.wallexpay.account import DEFAULT_FOREIGN_ID, WallexPayAccount
from exchanges.wallexpay.models import Address
from sandbox.market import SimulatedMarket
from sandbox.serving import Served
from sandbox.wallexpay import (
    DEMO_BALANCES,
    DEMO_FOREIGN_ID,
    DEMO_KEY,
    DEMO_SECRET,
    Merchant,
    WallexPaySandbox,
)
from tests.conftest import FixedClock

SHOP_KEY = "shop-public-key-7f3a"
SHOP_SECRET = "shop-secret-key-9b1c-do-not-show"
SHOP_BALANCES = {"BTC": "0.12345678", "USD": "1000.5", "TRX": "250"}

Factory = Callable[..., WallexPayAccount]


def hmac512(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


@pytest.fixture
def sandbox(sim: SimulatedMarket) -> WallexPaySandbox:
    return WallexPaySandbox(sim)


@pytest.fixture
def shop(sandbox: WallexPaySandbox) -> Merchant:
    return sandbox.add_account(SHOP_KEY, SHOP_SECRET, balances=SHOP_BALANCES)


@pytest.fixture
async def served(sandbox: WallexPaySandbox, serve: Any) -> Served:
    result: Served = await serve(sandbox.app())
    return result


@pytest.fixture
async def make(served: Served, clock: FixedClock) -> AsyncIterator[Factory]:
    accounts: list[WallexPayAccount] = []

    def build(
        key: str | None = SHOP_KEY, secret: str = SHOP_SECRET, *, attempts: int = 1
    ) -> WallexPayAccount:
        http = HttpPipeline(
            "wallexpay",
            served.url,
            timeout=5.0,
            retry=RetryPolicy(attempts=attempts, base_delay=0.0, max_delay=0.0),
        )
        account = WallexPayAccount(http, Credentials(key, Secret(secret)), clock=clock)
        accounts.append(account)
        return account

    yield build
    for account in accounts:
        await account.close()


@pytest.fixture
async def raw(served: Served) -> AsyncIterator[Callable[..., Any]]:
    """POST arbitrary bytes and headers, bypassing the client."""
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
            async with session.post(served.url + path, data=body, headers=headers) as resp:
                return resp.status, await resp.text()

        yield post


def signed(body: bytes, key: str = SHOP_KEY, secret: str = SHOP_SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Processing-Key": key,
        "X-Processing-Signature": hmac512(secret, body),
    }


def assert_signed_call(
    sandbox: WallexPaySandbox,
    path: str,
    body: bytes,
    key: str = SHOP_KEY,
    secret: str = SHOP_SECRET,
) -> None:
    seen = sandbox.harness.last(path)
    assert (seen.method, seen.path, seen.body, seen.query) == ("POST", path, body, {})
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Processing-Key"] == key
    assert seen.headers["X-Processing-Signature"] == hmac512(secret, body)


# --- the contract ---------------------------------------------------------------------


def test_credential_fields_and_names() -> None:
    assert WallexPayAccount.name == "wallexpay"
    assert WallexPayAccount.title == "WallexPay"
    fields = WallexPayAccount.credential_fields
    assert [f.name for f in fields] == ["key", "secret"]
    assert [f.label for f in fields] == ["Public key (X-Processing-Key)", "Secret key"]
    assert all(f.secret for f in fields)


# --- verify ---------------------------------------------------------------------------


async def test_verify_with_good_credentials(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    check = await make().verify()
    assert check == AccountCheck(account_label=None, rights=None)
    assert_signed_call(sandbox, "/api/v2/accounts/list", b"{}")
    assert sandbox.harness.paths() == ["/api/v2/accounts/list"]


async def test_verify_with_a_wrong_secret(make: Factory, shop: Merchant) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make(secret="wrong-secret-value").verify()
    assert "Bad signature header" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value)
    assert SHOP_KEY not in str(caught.value)


async def test_verify_with_an_unknown_key(make: Factory, shop: Merchant) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make(key="nobody-knows-this-key").verify()
    assert "Bad key header" in str(caught.value)
    assert "nobody-knows-this-key" not in str(caught.value)
    assert SHOP_SECRET not in str(caught.value)


async def test_another_merchants_secret_is_a_bad_signature(make: Factory, shop: Merchant) -> None:
    with pytest.raises(AuthenticationError, match="Bad signature header"):
        await make(key=SHOP_KEY, secret=DEMO_SECRET).balances()


async def test_no_key_sends_nothing(make: Factory, sandbox: WallexPaySandbox) -> None:
    with pytest.raises(AuthenticationError):
        await make(key=None).verify()
    assert sandbox.harness.requests == []


async def test_sandbox_refuses_a_tampered_body_and_missing_headers(
    raw: Callable[..., Any], shop: Merchant
) -> None:
    path = "/api/v2/addresses/take"
    body = b'{"currency":"BTC","foreign_id":"user-1"}'
    tampered = await raw(path, b'{"currency":"ETH","foreign_id":"user-1"}', signed(body))
    assert tampered == (403, '{"error": "Bad signature header", "code": "bad_header_signature"}')
    with pytest.raises(AuthenticationError):
        parse.data(HttpReply(tampered[0], {}, tampered[1]))
    no_key = await raw("/api/v2/accounts/list", b"{}", {"Content-Type": "application/json"})
    assert no_key == (403, '{"error": "No key header", "code": "required_header_key"}')
    unknown = await raw("/api/v2/accounts/list", b"{}", signed(b"{}", key="stranger"))
    assert unknown == (403, '{"error": "Bad key header", "code": "bad_header_key"}')
    unsigned = {"Content-Type": "application/json", "X-Processing-Key": SHOP_KEY}
    assert (await raw("/api/v2/accounts/list", b"{}", unsigned)) == (
        403,
        '{"error": "No signature header", "code": "required_header_signature"}',
    )
    # Nothing was taken by the refused calls.
    assert shop.addresses == []


async def test_a_replayed_request_is_accepted_as_the_scheme_has_no_nonce(
    raw: Callable[..., Any], shop: Merchant
) -> None:
    # The document's scheme signs the body only (no timestamp, no nonce): the same
    # signed bytes are valid again, so there is no stale/reused error to answer.
    headers = signed(b"{}")
    first = await raw("/api/v2/accounts/list", b"{}", headers)
    again = await raw("/api/v2/accounts/list", b"{}", headers)
    assert first[0] == again[0] == 200
    assert first == again


# --- balances -------------------------------------------------------------------------


async def test_balances_are_exact_and_include_zero(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    balances = await make().balances()
    assert_signed_call(sandbox, "/api/v2/accounts/list", b"{}")
    assert list(balances) == [
        Balance("BTC", Decimal("0.12345678"), Decimal(0)),
        Balance("ETH", Decimal("0"), Decimal(0)),
        Balance("LTC", Decimal("0"), Decimal(0)),
        Balance("TRX", Decimal("250"), Decimal(0)),
        Balance("USDT", Decimal("0"), Decimal(0)),
        Balance("DOGE", Decimal("0"), Decimal(0)),
        Balance("USD", Decimal("1000.5"), Decimal(0)),
    ]
    by_code = {b.currency: b for b in balances}
    for code, amount in SHOP_BALANCES.items():
        assert by_code[code].available == shop.balances[code] == Decimal(amount)
        assert by_code[code].total == Decimal(amount)
    # Eight decimals on the wire, as in the document's example.
    text = (await _raw_accounts(make))["USD"]
    assert text == "1000.50000000"


async def _raw_accounts(make: Factory) -> dict[str, str]:
    account = make()
    reply = await account.http.request(
        "POST", "/api/v2/accounts/list", headers=signed(b"{}"), data=b"{}"
    )
    return {row["currency"]: row["balance"] for row in reply.json("wallexpay")["data"]}


async def test_balances_follow_the_sandbox(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    account = make()
    shop.balances["ETH"] = Decimal("1.00000001")
    shop.balances["BTC"] = Decimal("0")
    by_code = {b.currency: b.available for b in await account.balances()}
    assert by_code["ETH"] == Decimal("1.00000001")
    assert by_code["BTC"] == Decimal("0")


async def test_demo_merchant(make: Factory, sandbox: WallexPaySandbox) -> None:
    account = make(DEMO_KEY, DEMO_SECRET)
    assert await account.verify() == AccountCheck()
    held = {b.currency: b.available for b in await account.balances() if b.available}
    assert held == {code: Decimal(v) for code, v in DEMO_BALANCES.items()}
    assert len(held) >= 3
    demo = sandbox.merchants[DEMO_KEY]
    assert [a.currency for a in demo.addresses_for(DEMO_FOREIGN_ID)] == ["BTC", "USDT"]
    taken = await account.deposit_address("BTC", foreign_id=DEMO_FOREIGN_ID)
    assert taken.address == demo.addresses[-1].address
    assert len(demo.addresses_for(DEMO_FOREIGN_ID)) == 3


async def test_balances_are_retried_as_a_pure_read(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    sandbox.harness.faults.status = 502
    with pytest.raises(ExchangeUnavailable):
        await make(attempts=3).balances()
    assert sandbox.harness.paths() == ["/api/v2/accounts/list"] * 3


# --- deposit addresses ----------------------------------------------------------------


async def test_deposit_address(make: Factory, sandbox: WallexPaySandbox, shop: Merchant) -> None:
    address = await make().deposit_address("btc", foreign_id="user-id:2048")
    assert_signed_call(
        sandbox, "/api/v2/addresses/take", b'{"currency":"BTC","foreign_id":"user-id:2048"}'
    )
    issued = shop.addresses[-1]
    assert (issued.currency, issued.foreign_id, issued.convert_to) == ("BTC", "user-id:2048", None)
    assert address == DepositAddress(
        currency="BTC", address=issued.address, network=None, memo=None
    )
    assert address.address.startswith("3")


async def test_deposit_address_default_foreign_id(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    address = await make().deposit_address("ETH")
    assert_signed_call(
        sandbox,
        "/api/v2/addresses/take",
        f'{{"currency":"ETH","foreign_id":"{DEFAULT_FOREIGN_ID}"}}'.encode(),
    )
    assert shop.addresses_for(DEFAULT_FOREIGN_ID)[0].address == address.address
    assert address.address.startswith("0x") and len(address.address) == 42


async def test_deposit_address_with_conversion(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    taken = await make().take_address("LTC", foreign_id="user-7", convert_to="usd")
    assert_signed_call(
        sandbox,
        "/api/v2/addresses/take",
        b'{"currency":"LTC","foreign_id":"user-7","convert_to":"USD"}',
    )
    issued = shop.addresses[-1]
    assert taken == Address(
        id=issued.id,
        currency="LTC",
        address=issued.address,
        foreign_id="user-7",
        convert_to="USD",
        tag=None,
    )
    assert sandbox.harness.last("/api/v2/addresses/take").method == "POST"


async def test_convert_to_the_same_currency_is_no_conversion(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    await make().deposit_address("TRX", foreign_id="u", convert_to="TRX")
    assert_signed_call(sandbox, "/api/v2/addresses/take", b'{"currency":"TRX","foreign_id":"u"}')
    assert shop.addresses[-1].address.startswith("T")


async def test_every_take_gives_a_new_address_and_keeps_the_old(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    account = make()
    first = await account.deposit_address("BTC", foreign_id="user-1")
    second = await account.deposit_address("BTC", foreign_id="user-1")
    other = await account.deposit_address("BTC", foreign_id="user-2")
    assert len({first.address, second.address, other.address}) == 3
    assert [a.address for a in shop.addresses_for("user-1")] == [first.address, second.address]
    # Addresses belong to the merchant that took them.
    assert sandbox.merchants[DEMO_KEY].addresses_for("user-1") == []


async def test_address_take_is_never_retried(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    sandbox.harness.faults.status = 503
    with pytest.raises(ExchangeUnavailable):
        await make(attempts=3).deposit_address("BTC", foreign_id="user-1")
    assert sandbox.harness.paths() == ["/api/v2/addresses/take"]


async def test_deposit_address_unknown_currency(make: Factory, shop: Merchant) -> None:
    account = make()
    with pytest.raises(UnknownSymbol) as unknown:
        await account.deposit_address("XYZ", foreign_id="u")
    assert unknown.value.symbol == "XYZ"
    with pytest.raises(UnknownSymbol) as fiat:
        await account.deposit_address("USD", foreign_id="u")
    assert fiat.value.symbol == "USD"
    with pytest.raises(UnknownSymbol) as disabled:
        await account.deposit_address("DOGE", foreign_id="u")
    assert disabled.value.symbol == "DOGE"
    with pytest.raises(UnknownSymbol) as target:
        await account.deposit_address("BTC", foreign_id="u", convert_to="EUR")
    assert target.value.symbol == "EUR"
    assert shop.addresses == []


async def test_deposit_address_pair_not_offered(make: Factory, shop: Merchant) -> None:
    with pytest.raises(RejectedRequest, match="Exchange is unavailable for given currencies"):
        await make().deposit_address("ETH", foreign_id="u", convert_to="LTC")
    assert shop.addresses == []


async def test_network_is_not_a_wallexpay_parameter(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    with pytest.raises(NotSupported):
        await make().deposit_address("USDT", "TRC20")
    assert sandbox.harness.requests == []


async def test_empty_foreign_id_is_refused_before_sending(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    with pytest.raises(ValueError):
        await make().deposit_address("BTC", foreign_id="  ")
    assert sandbox.harness.requests == []


async def test_sandbox_address_validation_errors(raw: Callable[..., Any], shop: Merchant) -> None:
    path = "/api/v2/addresses/take"
    body = b'{"currency":"BTC"}'
    status, text = await raw(path, body, signed(body))
    assert (status, text) == (
        400,
        '{"errors": {"foreign_id": "The foreign id field is required."}}',
    )
    with pytest.raises(RejectedRequest, match=r"The foreign id field is required\."):
        parse.data(HttpReply(status, {}, text))
    body = b'{"foreign_id":42,"currency":"BTC","convert_to":"XBT"}'
    status, text = await raw(path, body, signed(body))
    assert (status, text) == (
        400,
        '{"errors": {"foreign_id": "The foreign id must be a string.", '
        '"convert_to": "The selected convert to is invalid."}}',
    )
    body = b"{}"
    status, text = await raw(path, body, signed(body))
    assert (status, text) == (
        400,
        '{"errors": {"foreign_id": "The foreign id field is required.", '
        '"currency": "The currency field is required."}}',
    )
    body = b'{"currency":"BTC","foreign_id":"user-id:2048","convert_to":"USD"}'
    status, text = await raw(path, body, signed(body))
    assert status == 201
    issued = shop.addresses[-1]
    assert text == (
        f'{{"data": {{"id": {issued.id}, "currency": "BTC", "convert_to": "USD", '
        f'"address": "{issued.address}", "tag": null, "foreign_id": "user-id:2048"}}}}'
    )
    assert shop.addresses[-1].convert_to == "USD"


async def test_an_answer_for_another_currency_is_refused(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_issue = sandbox.issue_address

    def wrong_currency(
        merchant: Merchant, currency: str, foreign_id: str, convert_to: str | None = None
    ) -> Any:
        return real_issue(merchant, "ETH", foreign_id, None)

    monkeypatch.setattr(sandbox, "issue_address", wrong_currency)
    account = make()
    with pytest.raises(BadResponse, match="ETH"):
        await account.deposit_address("BTC", foreign_id="u")
    with pytest.raises(BadResponse, match="convert"):
        await account.deposit_address("ETH", foreign_id="u", convert_to="USD")


# --- profile --------------------------------------------------------------------------


async def test_profile_lists_the_fees_of_enabled_currencies(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant
) -> None:
    profile = await make().profile()
    assert_signed_call(sandbox, "/api/v2/currencies/list", b'{"visible":true}')
    assert profile.fees == ()
    assert profile.lines == (
        ("BTC", "deposit 0.99 %, withdrawal 0 %, minimum 0.0001"),
        ("ETH", "deposit 0.99 %, withdrawal 0 %, minimum 0.005"),
        ("LTC", "deposit 0.99 %, withdrawal 0 %, minimum 0.05"),
        ("TRX", "deposit 0.99 %, withdrawal 0 %, minimum 20"),
        ("USDT", "deposit 0.5 %, withdrawal 0 %, minimum 5"),
        ("USD", "deposit 0 %, withdrawal 0 %, minimum 10"),
    )


# --- secrets never leak ---------------------------------------------------------------


async def test_secret_never_leaks(
    make: Factory, sandbox: WallexPaySandbox, shop: Merchant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = make()
    bad_secret = make(secret="leaky-wrong-secret-123")
    errors: list[ExchangeError] = []
    await good.verify()
    await good.balances()
    await good.deposit_address("BTC", foreign_id="user-1")
    await good.profile()
    for call in (
        bad_secret.verify(),
        good.deposit_address("XYZ", foreign_id="user-1"),
        make(key="unknown-key-xyz").balances(),
    ):
        with pytest.raises(ExchangeError) as caught:
            await call
        errors.append(caught.value)
    sandbox.harness.faults.status = 500
    with pytest.raises(ExchangeUnavailable) as down:
        await good.balances()
    errors.append(down.value)
    sandbox.harness.faults.clear()

    secrets = (SHOP_SECRET, "leaky-wrong-secret-123")
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [repr(good), str(good), repr(bad_secret), repr(good.credentials)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(r.args) for r in caplog.records]
    texts += [caplog.text]
    for text in texts:
        for secret in secrets:
            assert secret not in text
        assert SHOP_KEY not in text
    # The secret did reach the sandbox only as a signature, never in clear.
    for seen in sandbox.harness.requests:
        assert SHOP_SECRET.encode() not in seen.body
        assert all(SHOP_SECRET not in v for v in seen.headers.values())
