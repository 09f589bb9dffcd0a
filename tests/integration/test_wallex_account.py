"""The Wallex account client against the Wallex sandbox: what the user gets, what
reached the sandbox, and that the API token never shows anywhere."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from exchanges.credentials import Credentials, Secret
from exchanges.errors import AuthenticationError, RejectedRequest
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.models import Balance, Fee
from exchanges.wallex import parse
from exchanges.wallex.account import WallexAccount
from sandbox.wallex import DEMO_TOKEN, WallexSandbox
from sandbox.wallex.private import WalletNetwork

from ..conftest import FixedClock

SECRET_TOKEN = "wx-9f8e7d6c5b4a39281706f5e4d3c2b1a0-private"


async def no_sleep(_: float) -> None:
    return None


Make = Callable[[str], WallexAccount]


@pytest.fixture
async def wallex(sim, serve, clock: FixedClock) -> AsyncIterator[tuple[WallexSandbox, Make, str]]:  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    sandbox.add_account(
        SECRET_TOKEN,
        first_name="Ali",
        last_name="Rezaei",
        email="ali.rezaei@example.com",
        mobile_number="09121234567",
        balances={
            "TMN": ("21051348", "21000000"),
            "BTC": ("0.00000045", "0"),
            "USDT": ("562.479462", "10.5"),
        },
    )
    served = await serve(sandbox.app())
    made: list[WallexAccount] = []

    def make(token: str) -> WallexAccount:
        http = HttpPipeline(
            "wallex", served.url, timeout=2.0, retry=RetryPolicy(attempts=2), sleep=no_sleep
        )
        account = WallexAccount(http, Credentials(key=None, secret=Secret(token)), clock=clock)
        made.append(account)
        return account

    yield sandbox, make, served.url
    for account in made:
        await account.close()


async def test_verify_with_a_good_token(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    check = await make(SECRET_TOKEN).verify()
    assert check.account_label == "Ali R."
    assert check.rights is None  # Wallex does not say what a token may do
    seen = sandbox.harness.last("/v1/account/profile")
    assert seen.method == "GET"
    assert seen.headers["Authorization"] == f"Bearer {SECRET_TOKEN}"
    assert "x-api-key" not in {k.lower() for k in seen.headers}


async def test_verify_with_the_demo_token() -> None:
    from sandbox.market import SimulatedMarket
    from sandbox.serving import serve_app

    sandbox = WallexSandbox(SimulatedMarket())
    served = await serve_app(sandbox.app())
    account = WallexAccount(
        HttpPipeline("wallex", served.url), Credentials(key=None, secret=Secret(DEMO_TOKEN))
    )
    try:
        assert (await account.verify()).account_label == "Sara D."
        held = await account.balances()
        assert {b.currency for b in held if b.total > 0} >= {"TMN", "BTC", "USDT", "ETH"}
        address = await account.deposit_address("USDT", "TRC20")
        assert address.address.startswith("T")
    finally:
        await account.close()
        await served.stop()


@pytest.mark.parametrize("token", ["not-a-known-token", SECRET_TOKEN + "x", SECRET_TOKEN.upper()])
async def test_an_unknown_token_is_refused(wallex, token: str) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    with pytest.raises(AuthenticationError) as info:
        await make(token).verify()
    assert "Unauthenticated." in str(info.value)
    assert token not in str(info.value) and SECRET_TOKEN not in str(info.value)
    assert sandbox.harness.last("/v1/account/profile").headers["Authorization"] == f"Bearer {token}"


async def test_a_revoked_token_is_refused(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    account = make(SECRET_TOKEN)
    await account.verify()
    sandbox.private.revoke(SECRET_TOKEN)
    with pytest.raises(AuthenticationError):
        await account.balances()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": SECRET_TOKEN},
        {"Authorization": SECRET_TOKEN},
        {"Authorization": f"Token {SECRET_TOKEN}"},
        {"Authorization": f"Bearer  {SECRET_TOKEN}"},
        {"Authorization": "Bearer "},
    ],
)
async def test_the_sandbox_accepts_only_the_documented_header(
    wallex, headers: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    _, _, url = wallex
    async with aiohttp.ClientSession() as session:
        for path in ("/v1/account/profile", "/v1/account/balances", "/v1/account/fee"):
            async with session.get(url + path, headers=headers) as resp:
                assert resp.status == 401
                assert json.loads(await resp.text()) == {
                    "success": False,
                    "message": "Unauthenticated.",
                    "result": [],
                }


async def test_balances_are_exactly_what_the_sandbox_holds(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    got = await make(SECRET_TOKEN).balances()
    held = sandbox.accounts[SECRET_TOKEN].balances
    assert {b.currency for b in got} == set(held)  # every currency, zero ones too
    for b in got:
        available, locked = held[b.currency]
        assert (b.available, b.locked) == (available, locked)
    by = {b.currency: b for b in got}
    assert by["TMN"] == Balance("TMN", Decimal("21051348"), Decimal("21000000"))
    assert by["USDT"].available == Decimal("562.479462") and by["USDT"].locked == Decimal("10.5")
    assert by["BTC"].available == Decimal("0.00000045")
    assert by["ETH"].total == 0
    # The wire carried Wallex's total, not the available part.
    assert sandbox.harness.last("/v1/account/balances").path == "/v1/account/balances"


async def test_deposit_address_per_network(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    account = make(SECRET_TOKEN)
    wallets = sandbox.accounts[SECRET_TOKEN].wallets["USDT"]

    first = await account.deposit_address("USDT")
    assert sandbox.harness.last("/v1/account/wallets").path == "/v1/account/wallets/usdt"
    assert (first.currency, first.network, first.address) == ("USDT", "ERC20", wallets[0].address)
    assert first.memo is None

    tron = await account.deposit_address("usdt", "trc20")
    assert (tron.network, tron.address) == ("TRC20", wallets[1].address)

    with pytest.raises(RejectedRequest) as info:
        await account.deposit_address("USDT", "BEP20")
    assert "ERC20" in str(info.value) and "TRC20" in str(info.value)

    with pytest.raises(RejectedRequest):
        await account.deposit_address("NOPE")
    assert sandbox.harness.last("/v1/account/wallets").path == "/v1/account/wallets/nope"


async def test_deposit_address_respects_closed_networks_and_memos(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    state = sandbox.accounts[SECRET_TOKEN]
    state.wallets["USDT"][0].deposit = False
    state.wallets["XLM"] = [WalletNetwork("XLM", "GABCDEF", memo="123456")]
    account = make(SECRET_TOKEN)
    # With none asked, the first network open for deposits.
    assert (await account.deposit_address("USDT")).network == "TRC20"
    with pytest.raises(RejectedRequest, match="disabled"):
        await account.deposit_address("USDT", "ERC20")
    stellar = await account.deposit_address("XLM")
    assert (stellar.address, stellar.memo) == ("GABCDEF", "123456")
    state.coin_deposit["BTC"] = False
    with pytest.raises(RejectedRequest, match="disabled"):
        await account.deposit_address("BTC")
    state.wallets["ETH"][0].address = None
    with pytest.raises(RejectedRequest, match="no ETH deposit address"):
        await account.deposit_address("ETH")


async def test_profile_and_fee_levels(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    profile = await make(SECRET_TOKEN).profile()
    lines = dict(profile.lines)
    assert lines["Name"] == "Ali Rezaei"
    assert lines["Email"] == "al***@example.com"
    assert lines["Mobile"] == "0912*****67"
    assert lines["Verification"] == "VERIFIED"
    assert lines["Member since"] == "2020-11-22"
    assert lines["Recent trade value (TMN)"] == "240448"
    assert not any("0123456789" in value for value in lines.values())  # no national code
    fees = {f.market: f for f in profile.fees}
    assert set(fees) == set(sandbox.markets)
    assert fees["BTCTMN"] == Fee(Decimal("0.3"), Decimal("0.4"), level="1", market="BTCTMN")
    assert fees["BTCUSDT"] == Fee(Decimal("0.2"), Decimal("0.2"), level="1", market="BTCUSDT")
    assert sandbox.harness.paths()[-2:] == ["/v1/account/profile", "/v1/account/fee"]


async def test_fee_level_follows_the_recent_trade_value(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    state = sandbox.accounts[SECRET_TOKEN]
    state.recent_days_sum_tmn = Decimal("25000000")  # past 0, 5M and 20M
    state.tmn_fees = (Decimal("0.0025"), Decimal("0.0035"))
    fees = {f.market: f for f in (await make(SECRET_TOKEN).profile()).fees}
    assert fees["ETHTMN"] == Fee(Decimal("0.25"), Decimal("0.35"), level="3", market="ETHTMN")


async def test_the_token_never_leaks(wallex, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    sandbox, make, _ = wallex
    good = make(SECRET_TOKEN)
    wrong_token = "wx-wrong-" + SECRET_TOKEN[-12:]
    wrong = make(wrong_token)
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        await good.verify()
        await good.balances()
        await good.profile()
        await good.deposit_address("BTC")
        for call in (
            wrong.verify(),
            wrong.balances(),
            good.deposit_address("USDT", "NOPE"),
            good.deposit_address("ZZZ"),
        ):
            try:
                await call
            except Exception as exc:
                errors.append(exc)
        sandbox.harness.faults.garbage = True
        try:
            await good.balances()
        except Exception as exc:
            errors.append(exc)
    assert len(errors) == 5
    for secret in (SECRET_TOKEN, wrong_token):
        for exc in errors:
            assert secret not in str(exc) and secret not in repr(exc)
            assert secret not in repr(exc.args)
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)
        for account in (good, wrong):
            assert secret not in repr(account)
            assert secret not in repr(account.credentials)
            assert secret not in str(account.credentials.secret)


async def test_a_pasted_token_is_cleaned(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, url = wallex
    account = WallexAccount.from_token(HttpPipeline("wallex", url), f"  Bearer {SECRET_TOKEN}\n")
    try:
        await account.verify()
    finally:
        await account.close()
    assert (
        sandbox.harness.last("/v1/account/profile").headers["Authorization"]
        == f"Bearer {SECRET_TOKEN}"
    )
    with pytest.raises(AuthenticationError) as info:
        WallexAccount.from_token(HttpPipeline("wallex", url), "two words")
    assert "two" not in str(info.value)


def test_credential_fields_name_the_api_token() -> None:
    fields = WallexAccount.credential_fields
    assert [(f.name, f.label, f.secret) for f in fields] == [("token", "API token", True)]


# --- the document's own examples, read by the pure parse functions --------------------

DOC_BALANCES: dict[str, Any] = {
    "balances": {
        "BTC": {
            "asset": "BTC",
            "faName": "بیت کوین",
            "fiat": False,
            "value": "0.00000045",
            "locked": "0.00000000",
        },
        "TMN": {
            "asset": "TMN",
            "faName": "تومان",
            "fiat": True,
            "value": "21051348",
            "locked": "21000000",
        },
        "USDT": {
            "asset": "USDT",
            "faName": "تتر",
            "fiat": False,
            "value": "562.47946200",
            "locked": "0.00000000",
        },
    }
}


def test_the_documents_balance_example() -> None:
    got = {b.currency: b for b in parse.balances(DOC_BALANCES)}
    assert got["TMN"].available == Decimal("51348") and got["TMN"].locked == Decimal("21000000")
    assert got["USDT"].available == Decimal("562.479462")
    assert got["BTC"].total == Decimal("0.00000045")


def test_the_documents_fee_example() -> None:
    result = {
        "BTCTMN": {
            "makerFeeRate": "0.00300000",
            "takerFeeRate": "0.00400000",
            "recent_days_sum": 240448,
        },
        "BTCUSDT": {
            "makerFeeRate": "0.00200000",
            "takerFeeRate": "0.00200000",
            "recent_days_sum": 0,
        },
        "default": [],
        "metaData": {
            "levels": [
                0,
                5000000,
                20000000,
                50000000,
                100000000,
                500000000,
                2000000000,
                10000000000,
                50000000000,
                100000000000,
            ],
            "coin_levels": [0, 1000, 3000, 10000, 50000, 100000, 500000, 1000000],
            "latestTradesSum": 240448,
        },
    }
    assert parse.fees(result) == (
        Fee(Decimal("0.3"), Decimal("0.4"), level="1", market="BTCTMN"),
        Fee(Decimal("0.2"), Decimal("0.2"), level="1", market="BTCUSDT"),
    )


def test_the_documents_wallet_example() -> None:
    result = {
        "wallets": {
            "ERC20": {
                "network": {
                    "name": "ERC20",
                    "message": None,
                    "deposit_availability": "ENABLE",
                    "withdrawal_availability": "ENABLE",
                },
                "address": "0xeee8b3730b0032354c88d59b379d7dad40fb1b3e",
                "memo": None,
                "min_confirmation": 10,
                "transaction_fee": 20,
                "min_withdrawal_value": 40,
                "min_deposit_value": 2,
            },
            "TRC20": {
                "network": {
                    "name": "TRC20",
                    "message": None,
                    "deposit_availability": "ENABLE",
                    "withdrawal_availability": "ENABLE",
                },
                "address": "TMuywP2Xxam9ZMW93LfqzPaPUqSfrPXtap",
                "memo": None,
                "min_confirmation": 1,
                "transaction_fee": Decimal("1.5"),
                "min_withdrawal_value": 5,
                "min_deposit_value": 2,
            },
        },
        "coin_type": {
            "key": "USDT",
            "name": "تتر",
            "name_en": "Tether",
            "type": "ADDRESS",
            "deposit_availability": "ENABLE",
            "withdrawal_availability": "ENABLE",
        },
    }
    trc = parse.deposit_address(result, "usdt", "TRC20")
    assert (trc.currency, trc.network, trc.address) == (
        "USDT",
        "TRC20",
        "TMuywP2Xxam9ZMW93LfqzPaPUqSfrPXtap",
    )
    assert parse.deposit_address(result, "usdt", None).network == "ERC20"


def test_the_documents_profile_example_gives_a_masked_label() -> None:
    doc = {
        "client_id": 123,
        "first_name": "محمد",
        "last_name": "محمدی",
        "email": "something@something.com",
    }
    assert parse.account_label(doc) == "محمد م."
    assert (
        parse.account_label({"client_id": 123, "email": "something@something.com"})
        == "so***@something.com"
    )
    assert parse.account_label({"client_id": 123}) == "#123"
