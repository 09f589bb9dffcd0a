"""Orders through the real bot, the emulator and the strict sandboxes.

Each test asserts on what the user sees and on what reached the sandbox (its request
log and its matching engine), never on what the bot meant to send.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.confirmations import Refusal
from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    RequestTimeout,
)
from sandbox import narkasa
from sandbox.matching import MatchingEngine
from sandbox.runner import SandboxStack, demo_credentials
from sandbox.wallex.private import DEMO_STREAM_KEY

from .conftest import ChatUser, RunningBot, running_bot
from .test_bot_accounts import connect
from .trading_double import Venue, install


def shown_num(value: Decimal) -> str:
    """A price as the bot shows it: grouped, without trailing zeros (84,000 not 8.4E+4)."""
    exact = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return f"{exact:,}"


async def test_trading_commands_only_in_private_chats(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Traders", members=[3001], admins=[3001])
    before = {name: len(s.harness.requests) for name, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    for command in (
        "/buy wallex BTCTMN 0.001 1000000000",
        "/sell alp BTC_USDT 0.001",
        "/orders wallex",
        "/cancel wallex 123",
    ):
        sent = await emu.send_text(3001, command, chat_id=group.id)
        answer = await emu.wait_for_message(
            group.id, after_message_id=sent["message_id"], timeout=10
        )
        assert "only in a private chat" in answer["text"], command
    after = {name: len(s.harness.requests) for name, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    assert after == before  # nothing reached any exchange


async def test_usage_and_bad_numbers_get_a_sentence(bot: RunningBot) -> None:
    user = bot.user()
    reply = await user.ask("/buy wallex BTCTMN")
    assert "I need an exchange, a symbol, an amount and optionally a limit price." in reply
    assert "Usage: /buy EXCHANGE SYMBOL AMOUNT [PRICE]" in reply
    assert "The amount “lots” is not a positive number." in await user.ask(
        "/sell wallex BTCTMN lots"
    )
    assert "The price “-5” is not a positive number." in await user.ask("/buy wallex BTCTMN 1 -5")
    assert "I can't trade on “binance”" in await user.ask("/buy binance BTCUSDT 1")
    assert "Nothing to stop right now" in await user.ask("/cancel")
    assert "no Wallex account connected" in await user.ask("/orders wallex")


# --- the confirmation rules, on a venue served by the sandbox's matching engine ---------
FUNDS = {"USD": (Decimal("10000"), Decimal(0)), "BTC": (Decimal("1"), Decimal(0))}


def services(bot: RunningBot) -> Any:
    from bot.app import services_of

    return services_of(bot.app)


async def trader(
    bot: RunningBot, user_id: int = 1001, *, venue: Venue | None = None, **caps: Any
) -> tuple[ChatUser, Venue]:
    venue = install(services(bot), bot.stack.market, "wex", FUNDS, venue=venue, **caps)
    user = bot.user(user_id)
    key, secret = demo_credentials()["wex"]
    assert "connected" in await connect(user, "wex", [key, secret])
    return user, venue


def below(venue: Venue, pct: str = "0.95") -> Decimal:
    """A buy price under the market, so the order rests."""
    return (venue.engine.last("BTC", "USD") * Decimal(pct)).quantize(Decimal("0.001"))


async def summary(user: ChatUser, command: str) -> dict[str, Any]:
    """Send an order command; the summary message that carries Confirm / Cancel."""
    sent = await user.emu.send_text(user.user_id, command)
    return await user.emu.wait_for_message(
        user.chat_id,
        after_message_id=sent["message_id"],
        predicate=lambda m: bool(m.get("reply_markup")),
        timeout=15,
    )


async def press(user: ChatUser, message: dict[str, Any], button: int, by: int | None = None) -> str:
    """Press a button; the bot's answer to the press (its callback answer or next message)."""
    emu = user.emu
    assert user.handled is not None
    query = await emu.press_button(by or user.user_id, user.chat_id, message["message_id"], button)
    await asyncio.wait_for(user.handled.wait(f"q:{query}"), 20)
    answers = [a for a in emu.callback_answers if a.get("callback_query_id") == query]
    texts = [str(a.get("text") or "") for a in answers]
    later = [
        str(m.get("text") or "")
        for m in emu.transcript(user.chat_id)
        if m.get("from_bot") and m["message_id"] > message["message_id"]
    ]
    return "\n".join(texts + later)


async def test_a_limit_buy_is_checked_summarised_and_sent_once_on_confirm(
    bot: RunningBot,
) -> None:
    user, venue = await trader(bot)
    price = below(venue)
    shown = await summary(user, f"/buy wex BTC/USD 0.0012345678 {price}9")
    text = shown["text"]
    assert "Buy BTC/USD on WEX — limit order" in text
    assert "Amount: 0.00123456 BTC" in text  # WEX takes 8 places: rounded down, and said
    assert "Amount rounded down from 0.0012345678 to 0.00123456" in text
    assert f"Price rounded from {price:,}9 to {shown_num(price)}" in text  # buys round down
    assert "Estimated fee:" in text and "Available: 10,000 USD" in text
    assert "Confirm within 60 seconds" in text
    assert venue.placed() == []  # nothing reaches the exchange before Confirm
    answer = await press(user, shown, 1)
    assert "Order placed on WEX. Order id:" in answer
    [placed] = venue.placed()
    assert placed["amount"] == Decimal("0.00123456") and placed["price"] == price
    [order] = venue.orders()
    assert order.status == "open" and order.amount == Decimal("0.00123456")
    assert order.order_id in answer
    assert user.emu.last_bot_message(user.chat_id) is not None
    spent = [m for m in user.emu.transcript(user.chat_id) if m["message_id"] == shown["message_id"]]
    assert not spent[0].get("reply_markup")  # the answered summary keeps no buttons
    listed = await user.ask("/orders wex")
    assert order.order_id in listed and "Open orders on WEX" in listed


async def test_confirm_pressed_fifty_times_at_once_sends_one_order(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    emu = user.emu
    assert user.handled is not None
    queries = await asyncio.gather(*(_press_raw(user, shown) for _ in range(50)))
    await asyncio.gather(*(asyncio.wait_for(user.handled.wait(f"q:{q}"), 30) for q in queries))
    assert len(venue.placed()) == 1
    assert len(venue.orders()) == 1
    answers = [a for a in emu.callback_answers if a.get("callback_query_id") in set(queries)]
    assert len(answers) == 50  # every press answered
    assert sum("expired or is not yours" in str(a.get("text")) for a in answers) == 49


async def _press_raw(user: ChatUser, message: dict[str, Any]) -> str:
    return await user.emu.press_button(user.user_id, user.chat_id, message["message_id"], 1)


async def test_a_button_works_only_for_its_user(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    bot.user(2002, name="Mallory")
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    answer = await press(user, shown, 1, by=2002)
    assert "expired or is not yours" in answer
    assert venue.placed() == []
    assert "Order placed" in await press(user, shown, 1)
    assert len(venue.placed()) == 1


async def test_cancel_button_sends_nothing(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/sell wex btc_usd 0.01 {below(venue, '1.05')}")
    assert "Cancelled: nothing was sent." in await press(user, shown, 2)
    assert venue.placed() == []


async def test_a_button_works_only_until_it_expires(stack: SandboxStack, tmp_path: Path) -> None:
    async with running_bot(stack, tmp_path / "bot.db", confirm_ttl=1.0) as bot:
        user, venue = await trader(bot)
        shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
        assert "Confirm within 1 seconds" in shown["text"]
        await asyncio.sleep(1.2)  # the passage of time is what is tested here
        assert "expired" in await press(user, shown, 1)
        assert venue.placed() == []


async def test_a_button_from_before_a_restart_works_once_or_says_expired(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(stack, db, confirm_ttl=6.0) as bot:
        user, venue = await trader(bot)
        kept = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
        lapsing = await summary(user, f"/buy wex btc_usd 0.002 {below(venue)}")
        created = asyncio.get_running_loop().time()
    async with running_bot(stack, db) as bot:
        install(services(bot), stack.market, "wex", FUNDS, venue=venue)
        user = bot.user(1001)
        assert "Order placed on WEX" in await press(user, kept, 1)
        assert [p["amount"] for p in venue.placed()] == [Decimal("0.001")]
        await asyncio.sleep(max(0.0, created + 6.2 - asyncio.get_running_loop().time()))
        assert "expired" in await press(user, lapsing, 1)
    assert len(venue.placed()) == 1 and len(venue.orders()) == 1


async def test_a_market_order_is_priced_from_the_book_and_fills(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, "/sell wex btc_usd 0.01")
    assert "Sell BTC/USD on WEX — market order" in shown["text"]
    assert "Estimated price:" in shown["text"] and "Estimated total:" in shown["text"]
    answer = await press(user, shown, 1)
    assert "Order placed on WEX" in answer and "filled" in answer
    [placed] = venue.placed()
    assert placed["price"] is None and placed["side"] == "sell"
    [order] = venue.orders()
    assert order.status == "filled"


async def test_market_orders_where_the_system_has_none_get_a_sentence(bot: RunningBot) -> None:
    user, venue = await trader(bot, market_orders=False)
    reply = await user.ask("/buy wex btc_usd 0.01")
    assert "WEX has no market orders. Give a price to place a limit order" in reply
    assert venue.calls == []


async def test_orders_lists_with_cancel_buttons_and_cancel_asks_first(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    for amount in ("0.001", "0.002"):
        assert "Order placed" in await press(
            user, await summary(user, f"/buy wex btc_usd {amount} {below(venue)}"), 1
        )
    first, second = sorted(venue.orders(), key=lambda o: int(o.order_id))
    listing = await summary(user, "/orders wex")
    assert first.order_id in listing["text"] and second.order_id in listing["text"]
    question = await press(user, listing, 1)
    assert "Cancel this order on WEX?" in question
    asking = user.emu.last_bot_message(user.chat_id)
    assert asking is not None
    assert not [c for c, _ in venue.calls if c == "cancel_order"]  # asked, not sent
    assert "is cancelled" in await press(user, asking, 1)
    cancelled = [args for c, args in venue.calls if c == "cancel_order"]
    assert len(cancelled) == 1 and cancelled[0]["order_id"] in (first.order_id, second.order_id)
    assert sorted(o.status for o in venue.orders()) == ["cancelled", "open"]
    # /cancel EXCHANGE ORDER_ID asks too, and an unknown id gets a sentence.
    still = next(o for o in venue.orders() if o.status == "open")
    question2 = await summary(user, f"/cancel wex {still.order_id}")
    assert "Cancel this order on WEX?" in question2["text"]
    assert "is cancelled" in await press(user, question2, 1)
    assert "WEX has no open order with that id" in await user.ask("/cancel wex 999999")
    assert [o.status for o in venue.orders()] == ["cancelled", "cancelled"]
    # A cancel the owner confirmed here is not announced again as an alert.
    assert await services(bot).account_events.poll_once(1001, "wex") == 0
    texts = [str(m.get("text")) for m in user.emu.transcript(user.chat_id) if m.get("from_bot")]
    assert not [t for t in texts if "was cancelled" in t]


async def test_local_checks_name_what_to_change_and_send_nothing(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    price = below(venue)
    assert "The amount is too small: WEX needs at least" in await user.ask(
        f"/buy wex btc_usd 0.00000001 {price}"
    )
    reply = await user.ask(f"/buy wex btc_usd 1 {price}")
    assert "Not enough USD on WEX: the order needs" in reply and "10,000 available" in reply
    assert "Not enough BTC on WEX" in await user.ask(f"/sell wex btc_usd 2 {price}")
    assert "WEX has no market “doge_usd”" in await user.ask("/buy wex doge_usd 1 1")
    assert venue.placed() == []


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (InsufficientFunds("wex", "no funds"), "WEX says the balance is not enough for this."),
        (BelowMinimum("wex", "min"), "WEX says the amount or total is under its minimum."),
        (BadPrecision("wex", "places"), "WEX refused the number of decimals"),
        (MarketClosed("wex", "halted"), "WEX says the market is closed for trading now."),
        (InvalidNonce("wex", "nonce"), "WEX refused the request's nonce"),
        (AuthenticationError("wex", "key"), "WEX no longer accepts your key"),
        (InvalidOrder("wex", "odd order"), "WEX refused the order: odd order."),
    ],
)
async def test_every_exchange_refusal_reaches_the_user_as_a_sentence(
    bot: RunningBot, error: Exception, sentence: str
) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    venue.fail_with = error
    answer = await press(user, shown, 1)
    assert sentence in answer
    assert "Traceback" not in answer and "incident" not in answer
    assert len(venue.placed()) == 1 and venue.orders() == []
    action = await services(bot).confirmations.get(1)
    assert action is not None and action.state == "failed"


async def test_insufficient_funds_at_the_exchange_after_the_summary(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/buy wex btc_usd 0.01 {below(venue)}")
    venue.engine.balances("demo")["USD"] = (Decimal("1"), Decimal(0))  # spent elsewhere
    assert "WEX says the balance is not enough for this." in await press(user, shown, 1)
    assert venue.orders() == []


async def test_fills_and_cancels_are_told_once_each(bot: RunningBot) -> None:
    from bot.account_events import PollRates

    services(bot).account_events.rates = PollRates(fast=0.1, slow=0.2, rescan=0.5)
    user, venue = await trader(bot)
    venue.engine.max_fill = Decimal("0.001")  # two sweeps to fill 0.002
    above = (venue.engine.last("BTC", "USD") * Decimal("1.01")).quantize(Decimal("0.001"))
    assert "Order placed" in await press(
        user, await summary(user, f"/buy wex btc_usd 0.002 {above}"), 1
    )
    emu = user.emu
    done = await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "is filled" in str(m.get("text")), timeout=20
    )
    assert "0.002" in done["text"]
    texts = [str(m.get("text")) for m in emu.transcript(user.chat_id) if m.get("from_bot")]
    assert len([t for t in texts if "is partly filled" in t]) <= 1
    assert len([t for t in texts if "is filled" in t]) == 1
    # A cancel made elsewhere (the exchange's own site) is told as well.
    rest = await press(user, await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}"), 1)
    assert "Order placed" in rest
    resting = next(o for o in venue.orders() if o.status == "open")
    venue.engine.cancel("demo", resting.order_id)
    told = await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "was cancelled" in str(m.get("text")), timeout=20
    )
    assert resting.order_id in told["text"]
    await user.ask("/help")
    texts = [str(m.get("text")) for m in emu.transcript(user.chat_id) if m.get("from_bot")]
    assert len([t for t in texts if "is filled" in t]) == 1
    assert len([t for t in texts if "was cancelled" in t]) == 1


async def test_new_deposits_are_told_once_and_old_ones_never(bot: RunningBot) -> None:
    from bot.account_events import PollRates
    from exchanges.models import Deposit, TransferStatus

    services(bot).account_events.rates = PollRates(fast=0.1, slow=0.1, rescan=0.2)
    old = Deposit("wex", "d1", "BTC", Decimal("0.5"), TransferStatus.COMPLETED, txid="aa")
    user, venue = await trader(bot)
    venue.deposit_list.append(old)
    events = services(bot).account_events
    await events.rescan()
    assert await events.poll_once(1001, "wex") == 0  # the history before watching: silent
    venue.deposit_list.append(
        Deposit("wex", "d2", "BTC", Decimal("0.25"), TransferStatus.PENDING, txid="bb")
    )
    incoming = await user.emu.wait_for_message(
        user.chat_id, predicate=lambda m: "Incoming deposit" in str(m.get("text")), timeout=20
    )
    assert "0.25 BTC" in incoming["text"] and "bb" in incoming["text"]
    venue.deposit_list[1] = Deposit("wex", "d2", "BTC", Decimal("0.25"), TransferStatus.COMPLETED)
    credited = await user.emu.wait_for_message(
        user.chat_id, predicate=lambda m: "Deposit credited" in str(m.get("text")), timeout=20
    )
    assert "0.25 BTC" in credited["text"]
    assert await events.poll_once(1001, "wex") == 0
    texts = [str(m.get("text")) for m in user.emu.transcript(user.chat_id) if m.get("from_bot")]
    assert sum("Incoming deposit" in t or "Deposit credited" in t for t in texts) == 2
    assert not any("0.5 BTC" in t for t in texts)


# --- each system with trading, end to end through its real client and sandbox ----------
Call = tuple[str, str, str]  # method, path prefix, a fragment of the body


@dataclass(frozen=True)
class System:
    exchange: str
    title: str
    symbol: str
    base: str
    quote: str
    amount: str
    places: int  # price places
    buy: Call  # how a limit buy reaches the sandbox
    market_sell: Call | None  # how a market sell does (None: no market orders)
    cancel: Call
    # Waits until the account's private stream is listening (None: the system is polled).
    ready: Callable[[Any], Awaitable[None]] | None = None


SYSTEMS = [
    System(
        "narkasa",
        "Narkasa",
        "BTC/USDT",
        "BTC",
        "USDT",
        "0.001",
        2,
        ("POST", "/v3/api/market/limit-buy", ""),
        ("POST", "/v3/api/market/market-sell", ""),
        ("POST", "/v3/api/market/cancel-order", ""),
        lambda server: server.stream.wait_user_bound(narkasa.DEMO_API_KEY, timeout=20),
    ),
    System(
        "wallex",
        "Wallex",
        "BTC/USDT",
        "BTC",
        "USDT",
        "0.001",
        2,
        ("POST", "/v1/account/orders", ""),
        ("POST", "/v1/account/orders", ""),
        ("DELETE", "/v1/account/orders", ""),
        lambda server: server.socket.wait_subscribed(DEMO_STREAM_KEY, timeout=20),
    ),
    System(
        "alp",
        "ALP.COM",
        "BTC_USDT",
        "BTC",
        "USDT",
        "0.001",
        2,
        ("POST", "/api/v3/orders", ""),
        ("POST", "/api/v3/orders", ""),
        ("POST", "/api/v1/order-cancel/", ""),
    ),
    System(
        "wex",
        "WEX",
        "btc_usd",
        "BTC",
        "USD",
        "0.001",
        3,
        ("POST", "/tapi", "method=Trade"),
        None,
        ("POST", "/tapi", "method=CancelOrder"),
    ),
]


def posts(bot: RunningBot, exchange: str, call: Call) -> list[Any]:
    """The requests of one kind the sandbox received."""
    method, path, fragment = call
    harness = bot.stack.servers[exchange].harness  # type: ignore[attr-defined]
    return [
        r
        for r in harness.requests
        if r.method == method and r.path.startswith(path) and fragment.encode() in r.body
    ]


def sent_numbers(request: Any) -> set[Decimal]:
    """Every number a request carried (query and form or JSON body), as Decimals."""
    text = " ".join([*request.query.values(), request.body.decode(errors="replace")])
    return {Decimal(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text)}


async def real_trader(bot: RunningBot, system: System) -> tuple[ChatUser, MatchingEngine]:
    user = bot.user()
    reply = await connect(user, system.exchange, demo_credentials()[system.exchange])
    assert "connected" in reply
    engine = bot.stack.servers[system.exchange].engine  # type: ignore[attr-defined]
    assert isinstance(engine, MatchingEngine)
    return user, engine


def market_price(engine: MatchingEngine, system: System, factor: str) -> Decimal:
    last = engine.last(system.base, system.quote)
    return (last * Decimal(factor)).quantize(Decimal(1).scaleb(-system.places))


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.exchange)
async def test_limit_order_listed_and_cancelled_end_to_end(bot: RunningBot, system: System) -> None:
    user, engine = await real_trader(bot, system)
    price = market_price(engine, system, "0.97")
    shown = await summary(user, f"/buy {system.exchange} {system.symbol} {system.amount} {price}")
    assert f"Buy {system.base}/{system.quote} on {system.title} — limit order" in shown["text"]
    assert posts(bot, system.exchange, system.buy) == []
    answer = await press(user, shown, 1)
    assert f"Order placed on {system.title}" in answer
    [request] = posts(bot, system.exchange, system.buy)
    carried = sent_numbers(request)
    assert Decimal(system.amount) in carried and price in carried
    [order] = [
        o
        for account in list(engine._books)
        for o in engine.orders(account)
        if o.is_open and o.amount == Decimal(system.amount) and o.price == price
    ]
    listing = await summary(user, f"/orders {system.exchange}")
    assert f"Open orders on {system.title}" in listing["text"]
    # A Cancel and a Details button per order line, in the same order: press ours.
    lines = [line for line in listing["text"].splitlines() if " · filled " in line]
    ours = [i for i, line in enumerate(lines) if f"{shown_num(price)}" in line]
    assert len(ours) == 1, lines
    question = await press(user, listing, 2 * ours[0] + 1)
    assert f"Cancel this order on {system.title}?" in question
    asking = user.emu.last_bot_message(user.chat_id)
    assert asking is not None
    assert posts(bot, system.exchange, system.cancel) == []  # asked first
    assert "is cancelled" in await press(user, asking, 1)
    assert len(posts(bot, system.exchange, system.cancel)) == 1
    assert order.status == "cancelled"


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.exchange)
async def test_an_orders_details_button_shows_the_exchanges_record(
    bot: RunningBot, system: System
) -> None:
    user, engine = await real_trader(bot, system)
    price = market_price(engine, system, "0.96")
    shown = await summary(user, f"/buy {system.exchange} {system.symbol} {system.amount} {price}")
    assert f"Order placed on {system.title}" in await press(user, shown, 1)
    [order] = [
        o
        for account in list(engine._books)
        for o in engine.orders(account)
        if o.is_open and o.amount == Decimal(system.amount) and o.price == price
    ]
    listing = await summary(user, f"/orders {system.exchange}")
    lines = [line for line in listing["text"].splitlines() if " · filled " in line]
    [ours] = [i for i, line in enumerate(lines) if f"{shown_num(price)}" in line]
    wire_id = lines[ours].split()[0]
    bot.user(2002, name="Mallory")
    refused = await press(user, listing, 2 * ours + 2, by=2002)  # someone else's press
    assert f"Order {wire_id}" not in refused and "Type:" not in refused
    detail = await press(user, listing, 2 * ours + 2)  # Cancel, then Details, per line
    assert f"Order {wire_id} on {system.title}" in detail
    assert "Type: limit buy" in detail and "Status: open" in detail
    assert f"Price: {shown_num(price)}" in detail
    assert f"Amount: {shown_num(Decimal(system.amount))}" in detail
    assert f"Filled: 0 · left {shown_num(Decimal(system.amount))}" in detail
    if system.exchange != "wallex":  # Wallex's order record carries no creation time
        assert "Created: " in detail
    assert order.status == "open"  # a look only: nothing was cancelled
    if system.exchange == "wex":  # WEX's own record of one order: OrderInfo, once
        [info] = posts(bot, "wex", ("POST", "/tapi", "method=OrderInfo"))
        assert f"order_id={wire_id}".encode() in info.body
    # The same button, pressed again, is spent: the detail is not shown twice.
    await press(user, listing, 2 * ours + 2)
    shown_details = [
        m
        for m in user.emu.transcript(user.chat_id)
        if m.get("from_bot") and f"Order {wire_id} on" in str(m.get("text"))
    ]
    assert len(shown_details) == 1


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.exchange)
async def test_market_order_end_to_end(bot: RunningBot, system: System) -> None:
    user, _ = await real_trader(bot, system)
    command = f"/sell {system.exchange} {system.symbol} {system.amount}"
    if system.market_sell is None:
        assert "has no market orders" in await user.ask(command)
        return
    reply = await summary(user, command)
    assert "market order" in reply["text"] and "Estimated price:" in reply["text"]
    answer = await press(user, reply, 1)
    assert f"Order placed on {system.title}" in answer
    [request] = posts(bot, system.exchange, system.market_sell)
    assert Decimal(system.amount) in sent_numbers(request)


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.exchange)
async def test_a_fill_is_told_end_to_end(bot: RunningBot, system: System) -> None:
    user, engine = await real_trader(bot, system)
    price = market_price(engine, system, "0.995")
    shown = await summary(user, f"/buy {system.exchange} {system.symbol} {system.amount} {price}")
    assert f"Order placed on {system.title}" in await press(user, shown, 1)
    if system.ready is not None:  # a private stream: let it be listening first
        await system.ready(bot.stack.servers[system.exchange])
    bot.stack.market.shift(system.base, -2)  # the price falls through the order's limit
    filled = await user.emu.wait_for_message(
        user.chat_id, predicate=lambda m: "is filled" in str(m.get("text")), timeout=30
    )
    assert system.title in filled["text"]
    await user.ask("/help")
    texts = [str(m.get("text")) for m in user.emu.transcript(user.chat_id) if m.get("from_bot")]
    assert len([t for t in texts if "is filled" in t]) == 1


async def test_a_narkasa_deposit_is_told_once_from_its_user_stream(bot: RunningBot) -> None:
    key, secret = demo_credentials()["narkasa"]
    user = bot.user()
    assert "connected" in await connect(user, "narkasa", [key, secret])
    server: Any = bot.stack.servers["narkasa"]
    await services(bot).account_events.rescan()  # what /connect's next rescan would do
    await server.stream.wait_user_bound(key, timeout=20)
    # The history before watching began is never announced; a new deposit is, once.
    assert await services(bot).account_events.poll_once(1001, "narkasa") == 0
    server.credit_deposit(key, "USDT", "50")
    told = await user.emu.wait_for_message(
        user.chat_id, predicate=lambda m: "Deposit credited" in str(m.get("text")), timeout=30
    )
    assert "Narkasa" in told["text"] and "50 USDT" in told["text"]
    assert await services(bot).account_events.poll_once(1001, "narkasa") == 0
    await user.ask("/help")
    texts = [str(m.get("text")) for m in user.emu.transcript(user.chat_id) if m.get("from_bot")]
    assert len([t for t in texts if "Deposit credited" in t]) == 1


async def test_an_unanswered_order_is_looked_up_not_resent(bot: RunningBot) -> None:
    user, venue = await trader(bot)
    shown = await summary(user, f"/buy wex btc_usd 0.001 {below(venue)}")
    venue.lost_answer = RequestTimeout("wex", "no answer in time")  # accepted, answer lost
    answer = await press(user, shown, 1)
    assert "Order placed on WEX" in answer
    assert len(venue.placed()) == 1 and len(venue.orders()) == 1
    assert [name for name, _ in venue.calls].count("open_orders") >= 1  # it looked


async def test_a_confirmation_stopped_before_sending_is_reported_not_sent(
    stack: SandboxStack, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    async with running_bot(stack, db) as bot:
        user, venue = await trader(bot)
        store = services(bot).confirmations
        pending = await store.create(
            user_id=1001,
            chat_id=1001,
            kind="order",
            payload={
                "exchange": "wex",
                "symbol": "btc_usd",
                "side": "buy",
                "amount": "0.001",
                "price": str(below(venue)),
            },
        )
        # As if the process died right after the Confirm was counted.
        assert not isinstance(await store.confirm(pending.id, 1001), Refusal)
    async with running_bot(stack, db) as bot:
        install(services(bot), stack.market, "wex", FUNDS, venue=venue)
        told = await user.emu.wait_for_message(
            1001, predicate=lambda m: "before sending it" in str(m.get("text")), timeout=30
        )
        assert "nothing was sent" in told["text"]
        action = await services(bot).confirmations.get(pending.id)
        assert action is not None and action.state == "failed"
    assert venue.placed() == []


def demo_balances(bot: RunningBot, exchange: str) -> dict[str, tuple[Decimal, Decimal]]:
    """The demo account's balance map in its sandbox (the engine works on the same map)."""
    server: Any = bot.stack.servers[exchange]
    if exchange == "narkasa":
        return server.accounts[narkasa.DEMO_API_KEY].balances  # type: ignore[no-any-return]
    return server.private.demo.balances  # type: ignore[no-any-return]


@pytest.mark.parametrize("exchange", ["narkasa", "wallex"])
async def test_the_exchanges_own_insufficient_funds_is_a_sentence(
    bot: RunningBot, exchange: str
) -> None:
    system = next(s for s in SYSTEMS if s.exchange == exchange)
    user, engine = await real_trader(bot, system)
    price = market_price(engine, system, "0.97")
    shown = await summary(user, f"/buy {exchange} {system.symbol} {system.amount} {price}")
    demo_balances(bot, exchange)[system.quote] = (Decimal("1"), Decimal(0))  # spent elsewhere
    answer = await press(user, shown, 1)
    assert f"{system.title} says the balance is not enough for this." in answer
    assert "incident" not in answer
    assert len(posts(bot, exchange, system.buy)) == 1  # it reached the exchange, which said no
