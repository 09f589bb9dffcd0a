"""The ALP.COM v3 wallet and margin calls against the strict sandbox: what the client
sends (JSON bodies signed field by field), what the sandbox keeps (balances moved
between spot and margin, debts, histories, activity rows) and every refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from exchanges.accounts import MemoryNonces
from exchanges.alp.account import AlpAccount
from exchanges.alp.client import AlpClient
from exchanges.alp.margin import EventKind
from exchanges.credentials import Credentials
from exchanges.errors import AuthenticationError, InsufficientFunds, RejectedRequest
from exchanges.http import HttpPipeline
from exchanges.models import OrderRequest, Side
from sandbox.alp import AlpSandbox, SandboxAccount
from sandbox.market import SimulatedMarket

from ..conftest import FixedClock

KEY = "margin-test-key"
SECRET = "margin%2Ftest-secret"


async def _no_sleep(_: float) -> None:
    return None


def document_sign(payload: dict[str, str]) -> str:
    msg = KEY + urlencode(sorted(payload.items()))
    return hmac.new(SECRET.encode(), msg.encode(), hashlib.sha256).hexdigest()


class Setup:
    def __init__(self, sandbox: AlpSandbox, url: str, account: SandboxAccount) -> None:
        self.sandbox = sandbox
        self.url = url
        self.account = account

    def spot(self, code: str) -> Decimal:
        return self.account.wallets[code].balance

    def cross(self, code: str) -> Decimal:
        return self.account.margin[("CROSS_MARGIN", "")][code].balance


@pytest.fixture
async def alp(
    serve: Any, sim: SimulatedMarket, clock: FixedClock
) -> AsyncIterator[tuple[Setup, AlpAccount]]:
    sandbox = AlpSandbox(sim, private_rate=1000)
    account = sandbox.add_account(
        {"USDT": ("1000", "0"), "BTC": ("0.5", "0")}, key=KEY, secret=SECRET
    )
    served = await serve(sandbox.app())
    creds = Credentials.of(KEY, SECRET)
    assert creds is not None
    client = AlpAccount(
        HttpPipeline("alp", served.url, timeout=5, sleep=_no_sleep),
        creds,
        clock=clock,
        nonces=MemoryNonces(),
    )
    yield Setup(sandbox, served.url, account), client
    await client.close()


def sent_body(setup: Setup, path: str) -> dict[str, Any]:
    request = setup.sandbox.harness.last(path)
    body: dict[str, Any] = json.loads(request.body, parse_float=Decimal)
    as_text = {
        k: ("" if v is None else format(v, "f") if isinstance(v, Decimal) else str(v))
        for k, v in body.items()
    }
    assert request.headers["X-SIGN"] == document_sign(as_text)
    assert request.headers["Content-Type"].startswith("application/json")
    return body


async def test_a_transfer_moves_funds_to_margin_and_v3_balances_show_each_wallet(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, client = alp
    await client.margin_transfer("usdt", Decimal("250.5"), to_margin=True)
    body = sent_body(setup, "/api/v3/margin/transfer")
    assert body == {
        "wallet_type": "CROSS_MARGIN",
        "direction": "ADD",
        "currency": "USDT",
        "amount": Decimal("250.5"),
        "pair": "",
        "note": "Sarraf",
    }
    assert setup.spot("USDT") == Decimal("749.5")
    assert setup.cross("USDT") == Decimal("250.5")
    rows = await client.wallet_balances()
    by_wallet = {(r.wallet_type, r.currency): r for r in rows}
    assert by_wallet[("SPOT", "USDT")].available == Decimal("749.5")
    assert by_wallet[("CROSS_MARGIN", "USDT")].available == Decimal("250.5")
    assert by_wallet[("CROSS_MARGIN", "USDT")].pair is None
    await client.margin_transfer("USDT", Decimal("0.5"), to_margin=False)
    assert setup.cross("USDT") == Decimal("250")
    assert setup.spot("USDT") == Decimal("750")


async def test_borrow_repay_and_the_histories(alp: tuple[Setup, AlpAccount]) -> None:
    setup, client = alp
    await client.margin_transfer("USDT", Decimal("100"), to_margin=True)
    # 100 USDT of own funds may carry 4 × 100 of debt at 5× leverage.
    with pytest.raises(RejectedRequest, match="exceeds the limit: at most 400 USDT"):
        await client.margin_borrow("USDT", Decimal("400.00000001"))
    await client.margin_borrow("USDT", Decimal("300"))
    assert sent_body(setup, "/api/v3/margin/borrow") == {
        "currency": "USDT",
        "pair": "",
        "wallet_type": "CROSS_MARGIN",
        "type": "LOAN_MANUAL",
        "borrow": Decimal("300"),
    }
    assert setup.cross("USDT") == Decimal("400")
    setup.sandbox.charge_interest(setup.account)
    positions = await client.margin_positions()
    assert [(p.wallet_type, p.currency, p.borrowed, p.interest) for p in positions] == [
        ("CROSS_MARGIN", "USDT", Decimal("300"), Decimal("0.03"))
    ]
    assert setup.sandbox.harness.last("/api/v3/margin").query == {
        "isolated_margin": "true",
        "cross_margin": "true",
    }
    with pytest.raises(RejectedRequest, match="exceeds the debt"):
        await client.margin_repay("USDT", Decimal("300.04"))
    await client.margin_repay("USDT", Decimal("100.03"))
    assert sent_body(setup, "/api/v3/margin/repay") == {
        "wallet_type": "CROSS_MARGIN",
        "type": "LOAN_MANUAL",
        "currency": "USDT",
        "amount": Decimal("100.03"),
        "pair": "",
    }
    positions = await client.margin_positions()
    assert [(p.borrowed, p.interest) for p in positions] == [(Decimal("200"), Decimal("0"))]
    events = await client.margin_history()
    kinds = [(e.kind, e.amount, e.extra) for e in events]
    assert (EventKind.REPAY, Decimal("100"), Decimal("0.03")) in kinds
    assert (EventKind.INTEREST, Decimal("0.03"), Decimal("0")) in kinds
    assert (EventKind.TRANSFER_IN, Decimal("100"), None) in kinds
    borrow = next(e for e in events if e.kind is EventKind.BORROW)
    assert (borrow.amount, borrow.still_open) == (Decimal("300"), True)
    setup.sandbox.liquidate(setup.account)
    assert await client.margin_positions() == []
    liquidation = next(e for e in await client.margin_history() if e.kind is EventKind.LIQUIDATION)
    assert (liquidation.amount, liquidation.extra) == (Decimal("200"), Decimal("200"))


async def test_refusals_are_sentences_of_the_error_tree(alp: tuple[Setup, AlpAccount]) -> None:
    setup, client = alp
    with pytest.raises(InsufficientFunds):
        await client.margin_transfer("USDT", Decimal("1000.01"), to_margin=True)
    with pytest.raises(InsufficientFunds):
        await client.margin_transfer("BTC", Decimal("0.1"), to_margin=False)
    with pytest.raises(RejectedRequest, match="Nothing to repay"):
        await client.margin_repay("BTC", Decimal("0.1"))
    with pytest.raises(RejectedRequest, match="precision"):
        await client.margin_borrow("USDT", Decimal("0.000000001"))
    assert setup.spot("USDT") == Decimal("1000")  # nothing moved


async def test_a_transfer_out_may_not_break_the_margin_limit(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, client = alp
    await client.margin_transfer("USDT", Decimal("100"), to_margin=True)
    await client.margin_borrow("USDT", Decimal("200"))
    # Holdings 300, debt 200: debts may be 4/5 of holdings, so 50 may leave.
    with pytest.raises(RejectedRequest, match="at most 50 USDT can leave"):
        await client.margin_transfer("USDT", Decimal("50.01"), to_margin=False)
    await client.margin_transfer("USDT", Decimal("50"), to_margin=False)
    assert setup.cross("USDT") == Decimal("250")


async def test_closing_repays_and_returns_everything_to_spot(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, client = alp
    await client.margin_transfer("USDT", Decimal("100"), to_margin=True)
    await client.margin_borrow("USDT", Decimal("50"))
    await client.margin_close()
    request = setup.sandbox.harness.last("/api/v3/margin")
    assert request.method == "DELETE"
    assert sent_body(setup, "/api/v3/margin") == {"pair": "", "wallet_type": "CROSS_MARGIN"}
    assert await client.margin_positions() == []
    assert setup.cross("USDT") == Decimal("0")
    assert setup.spot("USDT") == Decimal("1000")


async def test_isolated_wallets_hold_their_pairs_currencies(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, client = alp
    await client.margin_transfer("USDT", Decimal("100"), to_margin=True, pair="BTC_USDT")
    assert setup.account.margin[("ISOLATED_MARGIN", "BTC_USDT")]["USDT"].balance == 100
    with pytest.raises(RejectedRequest, match="not a currency of BTC_USDT"):
        await client.margin_borrow("ETH", Decimal("0.01"), pair="BTC_USDT")
    await client.margin_borrow("BTC", Decimal("0.001"), pair="BTC_USDT")
    (position,) = await client.margin_positions()
    assert (position.wallet_type, position.pair, position.currency) == (
        "ISOLATED_MARGIN",
        "BTC_USDT",
        "BTC",
    )


async def test_every_movement_is_a_row_of_the_wallet_activity(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, client = alp
    setup.sandbox.deposit(setup.account, "USDT", "10")
    await client.margin_transfer("USDT", Decimal("100"), to_margin=True)
    await client.margin_borrow("USDT", Decimal("20"))
    market = (await _markets(client))["BTC_USDT"]
    await client.place_order(
        OrderRequest(market=market, side=Side.BUY, amount=Decimal("0.001"), price=Decimal("1"))
    )
    rows = await client.wallet_activity()
    kinds = [(m.kind, m.wallet_type, m.currency, m.balance_delta, m.reserve_delta) for m in rows]
    assert kinds == [
        ("ORDER", "SPOT", "USDT", Decimal("-0.001"), Decimal("0.001")),
        ("BORROW", "CROSS_MARGIN", "USDT", Decimal("20"), Decimal("0")),
        ("TRANSFER", "CROSS_MARGIN", "USDT", Decimal("100"), Decimal("0")),
        ("TRANSFER", "SPOT", "USDT", Decimal("-100"), Decimal("0")),
        ("DEPOSIT", "SPOT", "USDT", Decimal("10"), Decimal("0")),
    ]
    assert rows[-1].balance_end == Decimal("1010")
    only_btc = await client.wallet_activity("btc")
    assert only_btc == []
    assert setup.sandbox.harness.last("/api/v3/wallets/activity").query == {"currency": "BTC"}


async def _markets(client: AlpAccount) -> dict[str, Any]:
    public = AlpClient(HttpPipeline("alp", client.http.base_url, timeout=5))
    try:
        return dict(await public.markets())
    finally:
        await public.close()


async def test_the_sandbox_checks_what_the_document_requires(
    alp: tuple[Setup, AlpAccount],
) -> None:
    setup, _ = alp
    async with aiohttp.ClientSession() as session:
        async with session.get(setup.url + "/api/v3/margin") as resp:
            assert resp.status == 401  # unsigned
        headers = {"X-KEY": KEY, "X-SIGN": document_sign({}), "X-NONCE": "99999999999999"}
        async with session.get(setup.url + "/api/v3/margin", headers=headers) as resp:
            assert resp.status == 400
            assert "isolated_margin or cross_margin" in (await resp.json())["message"]
    with pytest.raises(AuthenticationError):
        bad = Credentials.of(KEY, "wrong")
        assert bad is not None
        other = AlpAccount(HttpPipeline("alp", setup.url, timeout=5), bad, nonces=MemoryNonces())
        try:
            await other.margin_borrow("USDT", Decimal("1"))
        finally:
            await other.close()
    assert ("CROSS_MARGIN", "") not in setup.account.margin or not setup.account.margin[
        ("CROSS_MARGIN", "")
    ]


async def test_several_orders_cancelled_in_one_v3_delete(alp: tuple[Setup, AlpAccount]) -> None:
    setup, client = alp
    market = (await _markets(client))["BTC_USDT"]
    ids = []
    for price in ("1", "2", "3"):
        placed = await client.place_order(
            OrderRequest(
                market=market, side=Side.BUY, amount=Decimal("0.001"), price=Decimal(price)
            )
        )
        ids.append(placed.order_id)
    results = await client.cancel_orders([ids[0], ids[2], "999999"])
    assert [(r.order_id, r.cancelled) for r in results] == [
        (ids[0], True),
        (ids[2], True),
        ("999999", False),
    ]
    (request,) = [r for r in setup.sandbox.harness.requests if r.method == "DELETE"]
    body = json.loads(request.body)
    assert body == {"order_ids": [int(ids[0]), int(ids[2]), 999999], "all": False, "pair": ""}
    expected = document_sign(
        {"order_ids": f"[{ids[0]},{ids[2]},999999]", "all": "false", "pair": ""}
    )
    assert request.headers["X-SIGN"] == expected
    still_open = [o.order_id for o in await client.open_orders()]
    assert still_open == [ids[1]]
    # Nothing left to cancel among these: 204, and each says why not.
    again = await client.cancel_orders([ids[0]])
    assert again[0].cancelled is False and again[0].error == "the order is cancelled"
