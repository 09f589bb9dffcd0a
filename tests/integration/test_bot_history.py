"""/history, /deposits and /withdrawals through the real bot, the emulator and the sandboxes.

Each test asserts on what the user sees (the page, its buttons, the CSV file) and on what
reached the sandbox (its request log), and compares the CSV row by row with what the
sandbox holds.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.i18n import I18n
from exchanges.models import OrderRequest, Side
from sandbox import alp, narkasa, wallexpay, wex
from sandbox.narkasa.trading import TradeRow, Transfer
from sandbox.runner import demo_credentials

from ..conftest import FixedClock
from .conftest import ChatUser, RunningBot
from .test_bot_accounts import connect
from .test_wallexpay_callbacks_bot import deposit as wallexpay_deposit
from .test_wallexpay_callbacks_bot import post, signed, wallexpay_user

PLAIN = re.compile(r"^\d+(\.\d+)?$")  # an exact decimal: no exponent, no grouping


def services(bot: RunningBot) -> Any:
    from bot.app import services_of

    return services_of(bot.app)


def requests(bot: RunningBot, exchange: str, path: str) -> list[Any]:
    server: Any = bot.stack.servers[exchange]
    return [r for r in server.harness.requests if r.path.startswith(path)]


async def connected(bot: RunningBot, exchange: str, user_id: int = 1001) -> ChatUser:
    user = bot.user(user_id)
    assert "connected" in await connect(user, exchange, demo_credentials()[exchange])
    return user


async def command(user: ChatUser, text: str) -> dict[str, Any]:
    """The bot's reply to ``text``, once the update is fully handled."""
    sent = await user.emu.send_text(user.user_id, text)
    first = await user.emu.wait_for_message(
        user.chat_id, after_message_id=sent["message_id"], timeout=15
    )
    assert user.handled is not None
    await asyncio.wait_for(user.handled.wait(f"m:{user.chat_id}:{sent['message_id']}"), 15)
    return first


def message(user: ChatUser, message_id: int) -> dict[str, Any]:
    """The message as the chat shows it now (edits applied)."""
    [found] = [m for m in user.emu.transcript(user.chat_id) if m["message_id"] == message_id]
    return found


def buttons(msg: dict[str, Any]) -> list[str]:
    markup = msg.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def button_data(msg: dict[str, Any], label: str) -> str:
    markup = msg.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for b in row:
            if label in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} in {buttons(msg)}")


async def press(user: ChatUser, msg: dict[str, Any], label: str, by: int | None = None) -> str:
    """Press the button whose label holds ``label``; the callback answer's text."""
    return await press_data(user, msg, button_data(msg, label), by)


async def press_data(user: ChatUser, msg: dict[str, Any], data: str, by: int | None = None) -> str:
    emu = user.emu
    assert user.handled is not None
    query = await emu.press_forged(by or user.user_id, user.chat_id, msg["message_id"], data)
    await asyncio.wait_for(user.handled.wait(f"q:{query}"), 20)
    answers = [a for a in emu.callback_answers if a.get("callback_query_id") == query]
    return "\n".join(str(a.get("text") or "") for a in answers)


def documents_after(user: ChatUser, message_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in user.emu.transcript(user.chat_id)
        if m.get("from_bot") and m["message_id"] > message_id and m.get("document")
    ]


def csv_rows(user: ChatUser, doc: dict[str, Any]) -> list[dict[str, str]]:
    data = user.emu.file_bytes(doc["document"]["file_id"])
    assert data is not None
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with its mark, for spreadsheets
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def exact(text: str) -> Decimal:
    assert PLAIN.match(text), text
    return Decimal(text)


def iso_ms(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z")


# --- Narkasa: twelve trades, two pages, both ways, CSV row by row ------------------------------
def narkasa_trades(bot: RunningBot, clock: FixedClock) -> list[TradeRow]:
    """Twelve fills of the demo account, a second apart, with many-place numbers."""
    server: Any = bot.stack.servers["narkasa"]
    ledger = server.trading.ledger(narkasa.DEMO_API_KEY)
    start = int(clock() * 1000) - 60_000
    for i in range(12):
        symbol = "ETHTRY" if i == 5 else "BTCTRY"
        ledger.trades.append(
            TradeRow(
                symbol=symbol,
                price=Decimal("4012345.67") + i,
                amount=Decimal("0.00012345") * (i + 1),
                side=i % 2,
                order_type=1,
                commission=Decimal("0.0000002469") * (i + 1),
                commission_symbol="BTC" if i % 2 == 0 else "TRY",
                time=start + i * 1000,
            )
        )
    return sorted(ledger.trades, key=lambda t: t.time, reverse=True)


async def test_trades_page_both_ways_and_export_csv_row_by_row(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await connected(bot, "narkasa")
    held = narkasa_trades(bot, market_clock)
    before = len(requests(bot, "narkasa", "/v3/api/market/user-trades"))

    first = await command(user, "/history narkasa")
    text = first["text"]
    assert "Your trades on Narkasa" in text and "Page 1 of 2 · 12 in all, newest first" in text
    assert f"Sold {held[0].amount.normalize()} BTC at 4,012,356.67" in text
    assert "fee 0.0000029628 TRY" in text  # the newest fill's commission, exactly
    assert "ETH/TRY" in text  # the seventh newest is on another market
    assert "4,012,346.67" not in text and "4,012,345.67" not in text  # the two oldest
    assert buttons(first) == ["Next ▶", "📄 Export CSV"]

    # Next: the same message, edited in place, shows the two oldest.
    assert await press(user, first, "Next") == ""
    second = message(user, first["message_id"])
    assert "Page 2 of 2" in second["text"]
    assert "4,012,346.67" in second["text"] and "4,012,345.67" in second["text"]
    assert "4,012,356.67" not in second["text"]
    assert buttons(second) == ["◀ Previous", "📄 Export CSV"]
    # The pressed button is spent; so is its neighbour of the same page.
    assert "expired or is not yours" in await press_data(user, first, button_data(first, "Next"))
    assert "expired or is not yours" in await press_data(user, first, button_data(first, "Export"))

    # Another user cannot page through it, nor export it.
    bot.user(2002, name="Mallory")
    assert "expired or is not yours" in await press(user, second, "Previous", by=2002)
    assert "expired or is not yours" in await press(user, second, "Export", by=2002)
    assert message(user, first["message_id"])["text"] == second["text"]
    assert documents_after(user, first["message_id"]) == []

    # Previous: back to page one, in place.
    await press(user, second, "Previous")
    back = message(user, first["message_id"])
    assert "Page 1 of 2" in back["text"] and "4,012,356.67" in back["text"]
    assert buttons(back) == ["Next ▶", "📄 Export CSV"]

    # Export: every fetched row, in the order shown, each field as the sandbox holds it.
    await press(user, back, "Export")
    [doc] = documents_after(user, first["message_id"])
    assert doc["document"]["file_name"].startswith("narkasa-trades-")
    assert doc["document"]["file_name"].endswith(".csv")
    assert "Your trades on Narkasa" in doc["caption"] and "12 in all" in doc["caption"]
    rows = csv_rows(user, doc)
    assert list(rows[0]) == [
        "time",
        "market",
        "side",
        "price",
        "amount",
        "total",
        "fee",
        "fee currency",
        "order id",
        "trade id",
    ]
    assert len(rows) == len(held) == 12
    for row, t in zip(rows, held, strict=True):
        assert row["time"] == iso_ms(t.time)
        assert row["market"] == ("ETH/TRY" if t.symbol == "ETHTRY" else "BTC/TRY")
        assert row["side"] == ("buy" if t.side == 0 else "sell")
        assert exact(row["price"]) == t.price
        assert exact(row["amount"]) == t.amount
        assert exact(row["total"]) == t.price * t.amount
        assert exact(row["fee"]) == t.commission
        assert row["fee currency"] == t.commission_symbol
        assert row["order id"] == "" and row["trade id"] == ""  # Narkasa's rows carry none
    # The page keeps fresh buttons after the export, and they work.
    after = message(user, first["message_id"])
    assert buttons(after) == ["Next ▶", "📄 Export CSV"]
    await press(user, after, "Next")
    assert "Page 2 of 2" in message(user, first["message_id"])["text"]

    # Every page and the export were fetched again from the sandbox, signed.
    fetched = requests(bot, "narkasa", "/v3/api/market/user-trades")[before:]
    assert len(fetched) == 5
    assert all(r.query.get("signature") and r.query.get("timestamp") for r in fetched)


async def test_one_market_and_a_market_without_trades(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await connected(bot, "narkasa")
    narkasa_trades(bot, market_clock)
    one = await command(user, "/history narkasa eth/try")
    assert "Your trades in ETH/TRY on Narkasa" in one["text"]
    assert "Page 1 of 1 · 1 in all" in one["text"] and "BTC/TRY" not in one["text"]
    assert buttons(one) == ["📄 Export CSV"]  # one page: nothing to page to
    none = await command(user, "/history narkasa USDT/TRY")
    assert none["text"] == "You have no trades in USDT/TRY on Narkasa."
    assert not none.get("reply_markup")
    unknown = await command(user, "/history narkasa XYZTRY")
    assert "Narkasa has no market “XYZTRY”" in unknown["text"]


# --- Narkasa transfers: statuses, translated; CSV row by row -----------------------------------
async def test_deposits_and_withdrawals_with_their_statuses(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await connected(bot, "narkasa")
    server: Any = bot.stack.servers["narkasa"]
    account = server.accounts[narkasa.DEMO_API_KEY]
    done = server.credit_deposit(account, "USDT", "25.500000")
    market_clock.advance(2)
    waiting = server.credit_deposit(account, "ETH", "0.12345678", pending=True)
    ledger = server.trading.ledger(narkasa.DEMO_API_KEY)
    now = int(market_clock() * 1000)
    ledger.withdrawals.extend(
        [
            Transfer("w" * 72, account.key, "BTC", Decimal("0.005"), now - 5000, 14, "ab" * 32),
            Transfer("v" * 72, account.key, "TRY", Decimal("100"), now - 4000, 98),
        ]
    )

    shown = await command(user, "/deposits narkasa")
    text = shown["text"]
    assert "Your deposits on Narkasa" in text and "Page 1 of 1 · 2 in all" in text
    assert "0.12345678 ETH · pending" in text and "25.5 USDT · completed" in text
    assert text.index("ETH") < text.index("USDT")  # newest first
    await press(user, shown, "Export")
    [doc] = documents_after(user, shown["message_id"])
    rows = csv_rows(user, doc)
    assert [r["id"] for r in rows] == [waiting.id, done.id]
    assert [r["status"] for r in rows] == ["pending", "completed"]
    assert [exact(r["amount"]) for r in rows] == [waiting.amount, done.amount]
    assert [r["txid"] for r in rows] == [waiting.txid, done.txid]
    assert [r["type"] for r in rows] == ["deposit", "deposit"]
    assert rows[1]["time"] == iso_ms(done.time)

    out = await command(user, "/withdrawals narkasa")
    assert "Your withdrawals on Narkasa" in out["text"]
    assert "100 TRY · failed" in out["text"] and "0.005 BTC · completed" in out["text"]
    assert requests(bot, "narkasa", "/v3/api/balance/withdraw-history")

    # The status words in the chat's language.
    ru = I18n().get("ru")
    await command(user, "/lang ru")
    translated = await command(user, "/withdrawals narkasa")
    assert ru("failed") != "failed" and ru("failed") in translated["text"]
    assert ru("completed") in translated["text"]


# --- WEX, ALP.COM, Wallex: a real fill each, the call that reached the sandbox ----------------
async def place(
    bot: RunningBot, exchange: str, symbol: str, side: Side, amount: str, **kw: Any
) -> None:
    s = services(bot)
    _, market = await s.market.market(exchange, symbol)
    price = Decimal(kw["price"]) if "price" in kw else None
    async with s.accounts.session(1001, exchange) as client:
        await client.place_order(OrderRequest(market, side, Decimal(amount), price))


async def test_wex_trade_history_and_a_pair_without_trades(bot: RunningBot) -> None:
    user = await connected(bot, "wex")
    empty = await command(user, "/history wex")
    assert empty["text"] == "You have no trades on WEX yet."
    await place(bot, "wex", "btc_usd", Side.SELL, "0.001", price="60000")
    shown = await command(user, "/history wex BTC/USD")
    assert "Your trades in BTC/USD on WEX" in shown["text"]
    assert "Sold 0.001 BTC at" in shown["text"]
    server: Any = bot.stack.servers["wex"]
    bodies = [r.body.decode() for r in server.harness.requests if r.path == "/tapi"]
    history = [b for b in bodies if "method=TradeHistory" in b]
    assert "pair=btc_usd" in history[-1] and "order=DESC" in history[-1]
    none = await command(user, "/history wex ltc_usd")
    assert none["text"] == "You have no trades in LTC/USD on WEX."
    bodies = [r.body.decode() for r in server.harness.requests if r.path == "/tapi"]
    assert "pair=ltc_usd" in [b for b in bodies if "method=TradeHistory" in b][-1]
    # Transfers come from TransHistory with its statuses.
    holder = server.tapi.keys[wex.DEMO_KEY]
    server.deposit(holder, "BTC", "0.5")
    server.deposit(holder, "LTC", "3", status=1)
    deposits = await command(user, "/deposits wex")
    assert "0.5 BTC · completed" in deposits["text"] and "3 LTC · pending" in deposits["text"]
    bodies = [r.body.decode() for r in server.harness.requests if r.path == "/tapi"]
    assert any("method=TransHistory" in b for b in bodies)


async def test_alp_own_exchanges_and_withdraws(bot: RunningBot, market_clock: FixedClock) -> None:
    user = await connected(bot, "alp")
    await place(bot, "alp", "BTC/USDT", Side.SELL, "0.001")
    shown = await command(user, "/history alp")
    assert "Your trades on ALP.COM" in shown["text"] and "Sold 0.001 BTC at" in shown["text"]
    own = requests(bot, "alp", "/api/v1/exchanges/own")
    assert own and own[-1].headers.get("X-KEY") == alp.DEMO_API_KEY and own[-1].headers["X-SIGN"]
    await press(user, shown, "Export")
    [doc] = documents_after(user, shown["message_id"])
    [row] = csv_rows(user, doc)
    assert row["market"] == "BTC/USDT" and row["side"] == "sell" and row["trade id"]
    assert exact(row["total"]) == exact(row["price"]) * Decimal("0.001")
    # The v1 list has the trade id, the v3 one the fee: both reached the sandbox.
    v3 = requests(bot, "alp", "/api/v3/accounts/trades")
    assert v3 and v3[-1].headers.get("X-KEY") == alp.DEMO_API_KEY
    async with services(bot).accounts.session(1001, "alp") as client:
        [priced] = await client.account_trades()
    assert priced.fee is not None and priced.fee > 0
    assert exact(row["fee"]) == priced.fee and row["fee currency"] == priced.fee_currency
    assert f"fee {priced.fee.normalize()} {priced.fee_currency}" in shown["text"]

    server: Any = bot.stack.servers["alp"]
    made = server.withdrawal(server.demo, "BTC", "0.2")
    refused = server.withdrawal(server.demo, "USDT", "100")
    server.trading.settle_withdrawal(server.demo, refused.id, 40)
    listed = await command(user, "/withdrawals alp")
    assert "0.2 BTC · pending" in listed["text"] and "100 USDT · failed" in listed["text"]
    assert made.id != refused.id
    assert requests(bot, "alp", "/api/v1/withdraws")


async def test_wallex_own_trades_and_no_deposit_history(bot: RunningBot) -> None:
    user = await connected(bot, "wallex")
    await place(bot, "wallex", "USDT/TMN", Side.BUY, "10")
    shown = await command(user, "/history wallex USDT/TMN")
    assert "Your trades in USDT/TMN on Wallex" in shown["text"]
    assert "Bought 10 USDT at" in shown["text"]
    asked = requests(bot, "wallex", "/v1/account/trades")
    assert asked[-1].query.get("symbol") == "USDTTMN"
    assert asked[-1].headers.get("Authorization", "").startswith("Bearer ")
    before = len(requests(bot, "wallex", "/"))
    for kind in ("deposits", "withdrawals"):
        said = await command(user, f"/{kind} wallex")
        assert f"The Wallex API document has no call that lists {kind}" in said["text"]
    assert len(requests(bot, "wallex", "/")) == before  # nothing was asked for it


# --- WallexPay: its ledger, filled by a signed callback to the bot's HTTP endpoint -------------
async def test_wallexpay_deposits_from_its_callbacks(bot: RunningBot) -> None:
    user, url = await wallexpay_user(bot)
    empty = await command(user, "/deposits wallexpay")
    assert "You have no deposits on WallexPay yet." in empty["text"]
    assert "what its callbacks told me" in empty["text"]
    body = wallexpay_deposit("not_confirmed", tx=777)
    assert await post(url, body, signed(body)) == 200
    body = wallexpay_deposit("confirmed", tx=777)
    assert await post(url, body, signed(body)) == 200
    for told in ("0.01 BTC: not yet confirmed", "0.01 BTC: confirmed"):
        await user.emu.wait_for_message(  # its notices first, so the next reply is the list
            user.chat_id, predicate=lambda m, t=told: t in str(m.get("text")), timeout=10
        )
    shown = await command(user, "/deposits wallexpay")
    assert "Your deposits on WallexPay" in shown["text"]
    assert "0.01 BTC · confirmed" in shown["text"]  # the latest status, once
    assert "Page 1 of 1 · 1 in all" in shown["text"]
    await press(user, shown, "Export")
    [doc] = documents_after(user, shown["message_id"])
    [row] = csv_rows(user, doc)
    assert row["id"] == "777" and row["status"] == "confirmed" and row["currency"] == "BTC"
    assert exact(row["amount"]) == Decimal("0.01") and exact(row["fee"]) == Decimal("0.0001")
    assert row["address"] == "bc1qdemo" and row["txid"] == "3a4b5c"
    none = await command(user, "/withdrawals wallexpay")
    assert "You have no withdrawals on WallexPay yet." in none["text"]
    trades = await command(user, "/history wallexpay")
    assert "payment gateway without trading" in trades["text"]
    assert "/deposits wallexpay" in trades["text"]
    assert wallexpay.DEMO_SECRET not in shown["text"]


# --- where and for whom, and what goes wrong ---------------------------------------------------
async def test_private_only_connected_only_and_usage(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(3001)
    group = emu.add_group("Traders", members=[3001], admins=[3001])
    before = {n: len(s.harness.requests) for n, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    for text in ("/history narkasa", "/deposits wex", "/withdrawals alp"):
        sent = await emu.send_text(3001, text, chat_id=group.id)
        answer = await emu.wait_for_message(
            group.id, after_message_id=sent["message_id"], timeout=10
        )
        assert "only in a private chat" in answer["text"], text
    user = bot.user(1001)
    said = await command(user, "/history narkasa")
    assert (
        "You have no Narkasa account connected. Connect it with /connect narkasa." in said["text"]
    )
    said = await command(user, "/deposits wallexpay")
    assert "Connect it with /connect wallexpay" in said["text"]
    after = {n: len(s.harness.requests) for n, s in bot.stack.servers.items()}  # type: ignore[attr-defined]
    assert after == before  # nothing reached any exchange
    usage = await command(user, "/deposits")
    assert "Which exchange?" in usage["text"] and "Usage: /deposits EXCHANGE" in usage["text"]
    usage = await command(user, "/withdrawals wex btc")
    assert "I need only the exchange." in usage["text"]
    usage = await command(user, "/history binance")
    assert "I don't know the exchange “binance”" in usage["text"]


async def test_an_upstream_failure_is_a_sentence_and_a_try_again_button(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await connected(bot, "narkasa")
    narkasa_trades(bot, market_clock)
    first = await command(user, "/history narkasa")
    server: Any = bot.stack.servers["narkasa"]
    server.harness.faults.status = 503
    server.harness.faults.only_paths = ("/v3/api/market/user-trades",)
    try:
        await press(user, first, "Next")
        said = user.emu.last_bot_message(user.chat_id)
        assert said is not None and "Narkasa" in said["text"]
        assert "Traceback" not in said["text"] and "try again" in said["text"].lower()
        page = message(user, first["message_id"])
        assert buttons(page) == ["↻ Try again"] and "Page 1 of 2" in page["text"]
    finally:
        server.harness.faults.clear()
    await press(user, page, "Try again")
    assert "Page 2 of 2" in message(user, first["message_id"])["text"]


async def test_a_page_button_expires_and_then_fetches_nothing(
    bot: RunningBot, market_clock: FixedClock
) -> None:
    user = await connected(bot, "narkasa")
    narkasa_trades(bot, market_clock)
    services(bot).buttons.ttl = timedelta(seconds=-1)  # issued already past their expiry
    shown = await command(user, "/history narkasa")
    before = len(requests(bot, "narkasa", "/v3/api/market/user-trades"))
    assert "expired" in await press(user, shown, "Next")
    assert "expired" in await press(user, shown, "Export")
    assert message(user, shown["message_id"])["text"] == shown["text"]
    assert documents_after(user, shown["message_id"]) == []
    assert len(requests(bot, "narkasa", "/v3/api/market/user-trades")) == before
