"""Wallex bank cards and IBANs: the client against the strict sandbox — what each call
sends (path, method, JSON body, token), what it reads back, and every refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest

from exchanges.credentials import Credentials, Secret
from exchanges.errors import AuthenticationError, RejectedRequest
from exchanges.http import HttpPipeline, RetryPolicy
from exchanges.wallex.account import WallexAccount
from sandbox.wallex import WallexSandbox

from ..conftest import FixedClock

TOKEN = "wx-banks-5e4d3c2b1a0f9e8d7c6b5a4938271605"
OTHER = "wx-banks-other-0a1b2c3d4e5f60718293a4b5c6d7"
CARD = "6037991234567893"
IBAN = "IR820540102680020817909002"

Make = Callable[[str], WallexAccount]


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def wallex(sim, serve, clock: FixedClock) -> AsyncIterator[tuple[WallexSandbox, Make]]:  # type: ignore[no-untyped-def]
    sandbox = WallexSandbox(sim)
    sandbox.add_account(TOKEN, first_name="Ali", last_name="Rezaei")
    sandbox.add_account(OTHER, first_name="Sima", last_name="Karimi")
    served = await serve(sandbox.app())
    made: list[WallexAccount] = []

    def make(token: str) -> WallexAccount:
        http = HttpPipeline(
            "wallex", served.url, timeout=2.0, retry=RetryPolicy(attempts=2), sleep=no_sleep
        )
        account = WallexAccount(http, Credentials(key=None, secret=Secret(token)), clock=clock)
        made.append(account)
        return account

    yield sandbox, make
    for account in made:
        await account.close()


async def test_a_card_is_added_listed_and_deleted(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    account = make(TOKEN)
    assert await account.cards() == []
    added = await account.add_card("6037 9912 3456 7893")
    sent = sandbox.harness.last("/v1/account/card-numbers")
    assert (sent.method, sent.path) == ("POST", "/v1/account/card-numbers")
    assert json.loads(sent.body) == {"card_number": CARD}
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    assert added.number == CARD and added.status == "PENDING"
    assert added.owners == ("Ali Rezaei",) and added.masked == "6037 99** **** 7893"
    [listed] = await account.cards()
    assert listed == added
    assert sandbox.harness.last().method == "GET"
    await account.delete_card(added.id)
    gone = sandbox.harness.last()
    assert (gone.method, gone.path) == ("DELETE", f"/v1/account/card-numbers/{added.id}")
    assert await account.cards() == []


async def test_an_iban_goes_without_ir_and_comes_back_with_its_bank(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    account = make(TOKEN)
    added = await account.add_iban("ir82 0540 1026 8002 0817 9090 02")
    sent = sandbox.harness.last("/v1/account/ibans")
    assert sent.method == "POST" and json.loads(sent.body) == {"iban": IBAN[2:]}
    assert added.number == IBAN and added.bank_name == "بانک پارسیان"
    assert added.status == "ACCEPTED"
    assert [i.id for i in await account.ibans()] == [added.id]
    await account.delete_iban(added.id)
    assert sandbox.harness.last().path == f"/v1/account/ibans/{added.id}"
    assert await account.ibans() == []


async def test_bad_numbers_are_refused_before_anything_is_sent(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    account = make(TOKEN)
    with pytest.raises(RejectedRequest, match="check digit"):
        await account.add_card("6037991234567894")
    with pytest.raises(RejectedRequest, match="check digits"):
        await account.add_iban("IR820540102680020817909003")
    assert not sandbox.harness.requests


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/v1/account/card-numbers", {"card_number": "6037991234567894"}, "is invalid"),
        ("/v1/account/card-numbers", {"card_number": "603799123456789"}, "16 digits"),
        ("/v1/account/card-numbers", {}, "field is required"),
        ("/v1/account/ibans", {"iban": IBAN}, "24 digits"),  # the document: without IR
        ("/v1/account/ibans", {"iban": "520000000000000000000000"}, "is invalid"),
    ],
)
async def test_the_sandbox_refuses_what_a_real_server_would(  # type: ignore[no-untyped-def]
    wallex, path: str, body: dict[str, str], reason: str
) -> None:
    sandbox, make = wallex
    account = make(TOKEN)
    with pytest.raises(RejectedRequest) as caught:
        await account._bank_send("POST", path, body)
    assert reason in str(caught.value) and "The given data was invalid." in str(caught.value)
    assert not sandbox.accounts[TOKEN].banks


async def test_a_number_twice_is_refused(wallex) -> None:  # type: ignore[no-untyped-def]
    _, make = wallex
    account = make(TOKEN)
    await account.add_card(CARD)
    with pytest.raises(RejectedRequest, match="already been taken"):
        await account.add_card(CARD)
    # Another account may hold the same card (a joint account): its own list.
    assert (await make(OTHER).add_card(CARD)).owners == ("Sima Karimi",)


async def test_deleting_another_accounts_entry_is_not_found(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    mine = await make(TOKEN).add_iban(IBAN)
    with pytest.raises(RejectedRequest, match="Not found"):
        await make(OTHER).delete_iban(mine.id)
    with pytest.raises(RejectedRequest, match="Not found"):
        await make(TOKEN).delete_card(mine.id)  # an IBAN's id is no card's
    assert [e.id for e in sandbox.accounts[TOKEN].banks] == [mine.id]


async def test_a_bad_token_is_refused_and_never_shown(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    for call in ("cards", "ibans"):
        with pytest.raises(AuthenticationError) as caught:
            await getattr(make("nope-" + TOKEN), call)()
        assert TOKEN not in str(caught.value)
    with pytest.raises(AuthenticationError):
        await make("nope").add_card(CARD)
    assert not sandbox.accounts[TOKEN].banks


async def test_the_documents_single_object_iban_answer_is_read(wallex) -> None:  # type: ignore[no-untyped-def]
    sandbox, make = wallex
    sandbox.banks.iban_as_object = True
    account = make(TOKEN)
    assert await account.ibans() == []
    added = await account.add_iban(IBAN)
    [listed] = await account.ibans()
    assert listed.id == added.id and listed.bank_name == "بانک پارسیان"
    raw = await account.http.request("GET", "/v1/account/ibans", headers=account._headers())
    assert isinstance(raw.json("wallex")["result"], dict)  # the example's shape indeed
