"""Issue 11's trading extras through the real bot, the emulator and the strict sandboxes:
Narkasa stop-limit and fast orders, several ids cancelled after one confirmation (WEX
``CancelOrders`` in one call, one call per id elsewhere), and the exchange's own
address book (Narkasa ``balance/withdraw``) in /addresses and /withdraw.

Each test asserts on what the user sees and on what reached the sandbox.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bot.confirmations import Refusal
from sandbox import narkasa
from sandbox.matching import MatchingEngine
from sandbox.runner import SandboxStack

from .conftest import ChatUser, RunningBot, running_bot
from .test_bot_trading import (
    SYSTEMS,
    System,
    posts,
    press,
    real_trader,
    services,
    shown_num,
    summary,
)

NARKASA = next(s for s in SYSTEMS if s.exchange == "narkasa")
WEX = next(s for s in SYSTEMS if s.exchange == "wex")
BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def narkasa_sent(bot: RunningBot, endpoint: str) -> list[dict[str, str]]:
    """The query parameters of every call to one Narkasa endpoint."""
    harness = bot.stack.servers["narkasa"].harness  # type: ignore[attr-defined]
    return [dict(r.query) for r in harness.requests if r.path == f"/v3/api/{endpoint}"]


def wire(value: Decimal) -> str:
    """How the clients write a number: plain digits, no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def last_price(engine: MatchingEngine, system: System) -> Decimal:
    return engine.last(system.base, system.quote)


def requests_now(bot: RunningBot) -> dict[str, int]:
    return {name: len(s.harness.requests) for name, s in bot.stack.servers.items()}  # type: ignore[attr-defined]


async def place(user: ChatUser, command: str, title: str) -> str:
    answer = await press(user, await summary(user, command), 1)
    assert f"Order placed on {title}" in answer, answer
    return answer


# --- stop-limit -----------------------------------------------------------------------
async def test_a_narkasa_stop_limit_sell_is_rounded_summarised_and_sent_once(
    bot: RunningBot,
) -> None:
    user, engine = await real_trader(bot, NARKASA)
    last = last_price(engine, NARKASA)
    stop_given = (last * Decimal("0.9")).quantize(Decimal("0.01")) + Decimal("0.004")
    stop = stop_given.quantize(Decimal("0.01")) + Decimal("0.01")  # a sell rounds up
    limit = (last * Decimal("0.89")).quantize(Decimal("0.01"))
    shown = await summary(user, f"/sell narkasa BTC/USDT 0.001 {limit} stop {stop_given}")
    text = shown["text"]
    assert "Sell BTC/USDT on Narkasa — stop-limit order" in text
    assert (
        f"Stop: {shown_num(stop)} USDT" in text and f"Limit price: {shown_num(limit)} USDT" in text
    )
    assert (
        f"When the price falls to {shown_num(stop)} USDT or below, a limit order to sell at "
        f"{shown_num(limit)} USDT is placed." in text
    )
    assert f"Stop rounded from {shown_num(stop_given)} to {shown_num(stop)}" in text
    assert "already past the stop" not in text
    # The top of the book beside the stop, from Narkasa's one-level orderbook call.
    bid, ask = engine.bid_ask("BTC", "USDT")
    assert f"Best bid {shown_num(bid)} · best ask {shown_num(ask)}" in text
    assert [q["symbol"] for q in narkasa_sent(bot, "market/orderbook")] == ["BTCUSDT"]
    assert narkasa_sent(bot, "market/stop-limit-sell") == []  # nothing before Confirm
    await press(user, shown, 1)
    [sent] = narkasa_sent(bot, "market/stop-limit-sell")
    # On the wire as plain digits without trailing zeros (80792.4, not 80792.40).
    assert (sent["symbol"], sent["price"], sent["target"], sent["amount"]) == (
        "BTCUSDT",
        wire(limit),
        wire(stop),
        "0.001",
    )
    [order] = [o for a in list(engine._books) for o in engine.orders(a) if o.stop_price == stop]
    assert order.status == "waiting" and order.price == limit and order.side == "sell"
    listing = await summary(user, "/orders narkasa")
    assert f"stop {shown_num(stop)}" in listing["text"]


async def test_a_stop_buy_triggers_when_the_price_rises_and_its_fill_is_told(
    bot: RunningBot,
) -> None:
    user, engine = await real_trader(bot, NARKASA)
    last = last_price(engine, NARKASA)
    stop = (last * Decimal("1.01")).quantize(Decimal("0.01"))
    limit = (last * Decimal("1.05")).quantize(Decimal("0.01"))
    shown = await summary(user, f"/buy narkasa BTC/USDT 0.001 {limit} stop {stop}")
    assert "already past the stop" not in shown["text"]
    await press(user, shown, 1)
    [order] = [o for a in list(engine._books) for o in engine.orders(a) if o.stop_price == stop]
    assert order.status == "waiting"
    assert NARKASA.ready is not None
    await NARKASA.ready(bot.stack.servers["narkasa"])  # the private stream listens
    bot.stack.market.shift("BTC", 2)  # the price rises through the stop, under the limit
    filled = await user.emu.wait_for_message(
        user.chat_id, predicate=lambda m: "is filled" in str(m.get("text")), timeout=30
    )
    assert "Narkasa" in filled["text"] and f"stop {shown_num(stop)}" in filled["text"]
    assert order.status == "filled" and order.filled == Decimal("0.001")


async def test_a_stop_the_price_has_passed_is_warned_of(bot: RunningBot) -> None:
    user, engine = await real_trader(bot, NARKASA)
    last = last_price(engine, NARKASA)
    stop = (last * Decimal("0.95")).quantize(Decimal("0.01"))  # a buy stop below the price
    limit = (last * Decimal("0.9")).quantize(Decimal("0.01"))
    shown = await summary(user, f"/buy narkasa BTC/USDT 0.001 {limit} stop {stop}")
    assert "When the price rises to" in shown["text"]
    assert "already past the stop: it becomes a limit order at once" in shown["text"]
    assert f"Last price: {shown_num(last.quantize(Decimal('0.01')))}" in shown["text"]
    await press(user, shown, 2)  # Cancel: nothing goes out
    assert narkasa_sent(bot, "market/stop-limit-buy") == []


async def test_stop_and_fast_elsewhere_name_the_systems_that_have_them(bot: RunningBot) -> None:
    user = bot.user()
    before = requests_now(bot)
    assert "WEX has no stop-limit orders. They are offered on: Narkasa." in await user.ask(
        "/buy wex btc_usd 0.001 100 stop 90"
    )
    assert "Wallex has no fast orders. They are offered on: Narkasa." in await user.ask(
        "/buy wallex BTC/USDT fast 10"
    )
    assert "ALP.COM has no fast orders. They are offered on: Narkasa." in await user.ask(
        "/sell alp BTC_USDT fast 0.001"
    )
    assert "A stop-limit order is: /buy EXCHANGE SYMBOL AMOUNT PRICE stop STOP." in (
        await user.ask("/buy narkasa BTC/USDT 0.001 stop 100")
    )
    assert "A fast order is: /sell EXCHANGE SYMBOL fast AMOUNT." in (
        await user.ask("/sell narkasa BTC/USDT fast")
    )
    assert "The stop price “zero” is not a positive number." in (
        await user.ask("/sell narkasa BTC/USDT 0.001 100 stop zero")
    )
    assert "The total “-3” is not a positive number." in (
        await user.ask("/buy narkasa BTC/USDT fast -3")
    )
    assert requests_now(bot) == before  # nothing reached any exchange


# --- fast orders ----------------------------------------------------------------------
async def test_a_narkasa_fast_buy_spends_a_total_and_a_fast_sell_an_amount(
    bot: RunningBot,
) -> None:
    user, _ = await real_trader(bot, NARKASA)
    shown = await summary(user, "/buy narkasa BTC/USDT fast 150")
    text = shown["text"]
    assert "Buy BTC/USDT on Narkasa — fast order" in text
    assert "Spend: 150 USDT" in text and "Estimated amount: 0.00" in text
    assert "Available: 1,250.5 USDT" in text
    assert narkasa_sent(bot, "market/fast-buy") == []
    answer = await press(user, shown, 1)
    assert "Fast buy done on Narkasa: spent 149." in answer and " USDT. Order id: " in answer
    [sent] = narkasa_sent(bot, "market/fast-buy")
    assert sent["symbol"] == "BTCUSDT" and sent["total"] == "150" and "amount" not in sent
    sold = await summary(user, "/sell narkasa BTC/USDT fast 0.0012345")
    assert "Sell BTC/USDT on Narkasa — fast order" in sold["text"]
    assert "Sell: 0.001234 BTC" in sold["text"]  # six places on BTCUSDT: rounded down, said
    assert "Amount rounded down from 0.0012345 to 0.001234" in sold["text"]
    assert "Order placed on Narkasa" in await press(user, sold, 1)
    [sent_sell] = narkasa_sent(bot, "market/fast-sell")
    assert sent_sell["amount"] == "0.001234" and "total" not in sent_sell
    account: Any = bot.stack.servers["narkasa"].accounts[narkasa.DEMO_API_KEY]  # type: ignore[attr-defined]
    assert account.balances["USDT"][0] < Decimal("1250.5")


async def test_a_fast_buys_total_is_rounded_to_the_markets_total_places(
    bot: RunningBot,
) -> None:
    user, _ = await real_trader(bot, NARKASA)
    shown = await summary(user, "/buy narkasa TRX/TRY fast 20.125")
    assert "Spend: 20.12 TRY" in shown["text"]
    assert "Total rounded down from 20.125 to 20.12" in shown["text"]
    assert "Fast buy done on Narkasa" in await press(user, shown, 1)
    [sent] = narkasa_sent(bot, "market/fast-buy")
    assert sent["total"] == "20.12"
    under = await user.ask("/buy narkasa TRX/TRY fast 5")
    assert "under the minimum of 10 TRY" in under
    assert len(narkasa_sent(bot, "market/fast-buy")) == 1


# --- several cancels at once ----------------------------------------------------------
def ours_at(listing: dict[str, Any], prices: list[Decimal]) -> list[str]:
    """The wire ids of the listed orders at ``prices``, in that order."""
    lines = [line for line in listing["text"].splitlines() if " · filled " in line]
    return [
        next(line.split()[0] for line in lines if f"at {shown_num(p)} " in line) for p in prices
    ]


async def test_wex_cancels_several_ids_in_one_cancelorders_call(bot: RunningBot) -> None:
    user, engine = await real_trader(bot, WEX)
    last = last_price(engine, WEX)
    prices = [(last * Decimal(f)).quantize(Decimal("0.001")) for f in ("0.95", "0.94")]
    for price in prices:
        await place(user, f"/buy wex btc_usd 0.001 {price}", "WEX")
    first, second = ours_at(await summary(user, "/orders wex"), prices)
    question = await summary(user, f"/cancel wex {first} {second} 424242 {first}")
    text = question["text"]
    assert "Cancel these 2 orders on WEX?" in text
    assert first in text and second in text
    assert "Not among your open orders, left out: 424242" in text
    cancels = ("POST", "/tapi", "method=CancelOrders")
    assert posts(bot, "wex", cancels) == []  # asked first
    answer = await press(user, question, 1)
    assert "Cancelled 2 of 2 orders on WEX:" in answer
    assert f"{first} cancelled" in answer and f"{second} cancelled" in answer
    [request] = posts(bot, "wex", cancels)
    form = parse_qs(request.body.decode())
    assert form["order_id"] == [f"{first},{second}"]
    assert posts(bot, "wex", ("POST", "/tapi", "method=CancelOrder&")) == []
    left = await user.ask("/orders wex")
    assert first not in left and second not in left
    # An id that stops being open between the question and the Confirm: WEX's own
    # per-id refusal is told, the other one is cancelled.
    more = [(last * Decimal(f)).quantize(Decimal("0.001")) for f in ("0.93", "0.92")]
    for price in more:
        await place(user, f"/buy wex btc_usd 0.001 {price}", "WEX")
    third, fourth = ours_at(await summary(user, "/orders wex"), more)
    question = await summary(user, f"/cancel wex {third} {fourth}")
    account = next(a for a in engine._books if any(o.order_id == fourth for o in engine.orders(a)))
    engine.cancel(account, fourth)
    answer = await press(user, question, 1)
    assert "Cancelled 1 of 2 orders on WEX:" in answer
    assert f"{third} cancelled" in answer and f"{fourth} not cancelled: " in answer
    assert len(posts(bot, "wex", cancels)) == 2


async def test_narkasa_cancels_several_ids_one_call_each_and_tells_each_outcome(
    bot: RunningBot,
) -> None:
    user, engine = await real_trader(bot, NARKASA)
    last = last_price(engine, NARKASA)
    prices = [(last * Decimal(f)).quantize(Decimal("0.01")) for f in ("0.95", "0.94")]
    for price in prices:
        await place(user, f"/buy narkasa BTC/USDT 0.001 {price}", "Narkasa")
    first, second = ours_at(await summary(user, "/orders narkasa"), prices)
    question = await summary(user, f"/cancel narkasa {first} {second}")
    assert "Cancel these 2 orders on Narkasa?" in question["text"]
    # One of them is cancelled elsewhere before the Confirm.
    server: Any = bot.stack.servers["narkasa"]
    internal = server.trading._int[second]
    engine.cancel(narkasa.DEMO_API_KEY, internal)
    answer = await press(user, question, 1)
    assert "Cancelled 1 of 2 orders on Narkasa:" in answer
    assert f"{first} cancelled" in answer
    assert f"{second} was no longer open (filled or cancelled)" in answer
    sent = [q["orderId"] for q in narkasa_sent(bot, "market/cancel-order")]
    assert sent == [first, second]  # one call per id, in the order asked


async def test_several_cancels_cut_off_by_a_crash_are_checked_not_resent(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(stack, db) as bot:
        user, engine = await real_trader(bot, WEX)
        price = (last_price(engine, WEX) * Decimal("0.95")).quantize(Decimal("0.001"))
        await place(user, f"/buy wex btc_usd 0.001 {price}", "WEX")
        [ours] = ours_at(await summary(user, "/orders wex"), [price])
        store = services(bot).confirmations
        pending = await store.create(
            user_id=1001,
            chat_id=1001,
            kind="cancels",
            payload={
                "exchange": "wex",
                "orders": [
                    {"order_id": ours, "symbol": "btc_usd"},
                    {"order_id": "343153", "symbol": "eth_btc"},
                ],
            },
        )
        # As if the process died after the request left: only one id was cancelled.
        assert not isinstance(await store.confirm(pending.id, 1001), Refusal)
        assert await store.mark_sent(pending.id)
        account = next(
            a for a in engine._books if any(o.order_id == ours for o in engine.orders(a))
        )
        engine.cancel(account, ours)
    before = len(posts(bot, "wex", ("POST", "/tapi", "method=Cancel")))
    async with running_bot(stack, db) as bot:
        told = await user.emu.wait_for_message(
            1001, predicate=lambda m: "After a restart I checked" in str(m.get("text")), timeout=30
        )
        assert "the cancel of 2 orders on WEX" in told["text"]
        assert "still open: 343153" in told["text"] and ours not in told["text"]
        action = await services(bot).confirmations.get(pending.id)
        assert action is not None and action.state == "done"
        # Looked up, never sent again.
        assert len(posts(bot, "wex", ("POST", "/tapi", "method=Cancel"))) == before


# --- the exchange's own address book -------------------------------------------------
async def test_addresses_saved_on_narkasa_are_shown_and_count_as_saved(bot: RunningBot) -> None:
    user, _ = await real_trader(bot, NARKASA)
    account: Any = bot.stack.servers["narkasa"].accounts[narkasa.DEMO_API_KEY]  # type: ignore[attr-defined]
    account.withdraw_addresses["BTC"] = [("Ledger", BTC_ADDRESS)]
    one = await user.ask("/addresses narkasa btc")
    assert "Addresses saved on Narkasa" in one
    assert "BTC (Bitcoin)" in one and BTC_ADDRESS in one and "“Ledger”" in one
    assert [q["symbol"] for q in narkasa_sent(bot, "balance/withdraw")] == ["BTC"]
    every = await user.ask("/addresses narkasa")
    assert BTC_ADDRESS in every and "USDT (Tether): none saved" in every
    assert len(narkasa_sent(bot, "balance/currencies")) == 2
    # /withdraw to it: not marked as an address never saved.
    summary_text = await user.ask(f"/withdraw narkasa BTC 0.001 {BTC_ADDRESS}")
    assert "Saved address “Ledger”" in summary_text
    assert "You never saved this address" not in summary_text
    other = await user.ask("/withdraw narkasa BTC 0.001 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    assert "You never saved this address" in other
    assert narkasa_sent(bot, "balance/create-withdraw") == []
    assert "WEX keeps no address book that its API gives out." in await user.ask("/addresses wex")
    assert "Narkasa has no currency “XYZ”." in await user.ask("/addresses narkasa xyz")
