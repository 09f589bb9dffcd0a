"""End to end: the real Application against the emulator and the Wallex sandbox."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp

from bot.i18n import I18n
from handlers.commands import COMMANDS

from .conftest import RunningBot


def wallex_stats(bot: RunningBot, symbol: str) -> dict[str, str]:
    sandbox = bot.stack.servers["wallex"]
    return sandbox._stats(sandbox.markets[symbol])  # type: ignore[attr-defined, no-any-return]


async def test_start_and_help_list_every_command(bot: RunningBot) -> None:
    user = bot.user()
    start = await user.ask("/start")
    assert "Hello Ali" in start
    help_text = await user.ask("/help")
    for command in COMMANDS:  # every command, in one message
        assert f"/{command.name} — " in help_text
    assert "wallex" in help_text
    assert len(help_text) <= 4096
    detail = await user.ask("/help buy")
    assert "/buy EXCHANGE SYMBOL AMOUNT" in detail and "e.g. /buy" in detail
    assert "I don't know the command nosuch" in await user.ask("/help nosuch")
    commands = [p for m, p in bot.stack.telegram.requests if m == "setMyCommands"]
    assert commands, "the command list was not registered with setMyCommands"
    names = (
        {
            c["command"]
            for c in json.loads(commands[-1]["commands"])
            if isinstance(commands[-1]["commands"], str)
        }
        if isinstance(commands[-1]["commands"], str)
        else {c["command"] for c in commands[-1]["commands"]}
    )
    assert {"price", "book", "trades", "help", "start"} <= names


async def test_price_shows_last_bid_ask_change_and_volume(bot: RunningBot) -> None:
    user = bot.user()
    text = await user.ask("/price wallex BTC/TMN")
    stats = wallex_stats(bot, "BTCTMN")
    en = I18n().get("en")
    assert "BTC/TMN on Wallex" in text
    assert f"Last: {en.number(Decimal(stats['lastPrice']), 0)} TMN" in text
    assert f"Bid: {en.number(Decimal(stats['bidPrice']), 0)}" in text
    assert f"Ask: {en.number(Decimal(stats['askPrice']), 0)}" in text
    assert f"24h change: {en.number(Decimal(stats['24h_ch']), 2, sign=True)}%" in text
    assert f"24h volume: {en.number(Decimal(stats['24h_volume']), 6)} BTC" in text
    paths = bot.stack.servers["wallex"].harness.paths()  # type: ignore[attr-defined]
    # The ticker is the markets' stats; the world-price line reads currencies/stats.
    assert [p for p in paths if p != "/v1/currencies/stats"][-1] == "/v1/markets"


async def test_every_spelling_of_the_symbol_answers_the_same_market(bot: RunningBot) -> None:
    user = bot.user()
    for spelling in ("BTCTMN", "btctmn", "btc/tmn", "BTC/TMN"):
        assert "BTC/TMN on Wallex" in await user.ask(f"/price wallex {spelling}")


async def test_book_and_trades(bot: RunningBot) -> None:
    user = bot.user()
    book = await user.ask("/book wallex btctmn")
    assert "BTC/TMN order book on Wallex" in book
    assert "Asks (sellers)" in book and "Bids (buyers)" in book and "spread" in book
    depth = bot.stack.servers["wallex"].harness.last("/v1/depth")  # type: ignore[attr-defined]
    assert depth.query == {"symbol": "BTCTMN"}
    trades = await user.ask("/trades wallex BTCTMN")
    assert "BTC/TMN latest trades on Wallex" in trades
    assert trades.count("\n") >= 10


async def test_price_without_exchange_answers_from_every_exchange_listing_it(
    bot: RunningBot,
) -> None:
    user = bot.user()
    text = await user.ask("/price BTC/TMN")
    assert "BTC/TMN across exchanges" in text and "Wallex" in text


async def test_bad_input_gets_a_sentence_and_the_right_form(bot: RunningBot) -> None:
    user = bot.user()
    cases = {
        "/price nope": ["No exchange lists a market “NOPE”", "Usage: /price"],
        "/price wallex": ["Which market of wallex?", "Usage: /price EXCHANGE SYMBOL"],
        "/book wallex XYZ": ["Wallex has no market “XYZ”", "Usage: /book EXCHANGE SYMBOL"],
        "/book": ["I need an exchange and a symbol", "Usage: /book"],
        "/trades kraken BTCUSD": ["I don't know the exchange “kraken”", "wallex", "Usage: /trades"],
        "/price wallex BTC/TMN extra": ["Too many words", "Usage: /price"],
        "/price wallex <b>": ["is not a market symbol", "Usage: /price"],
        "/frobnicate": ["I don't know the command /frobnicate", "/help"],
    }
    for command, fragments in cases.items():
        text = await user.ask(command)
        for fragment in fragments:
            assert fragment in text, (command, text)
        assert "Traceback" not in text


async def test_a_suggestion_follows_a_near_miss(bot: RunningBot) -> None:
    text = await bot.user().ask("/price wallex BTC/TRY")
    assert "Did you mean" in text and "BTC/TMN" in text


async def test_an_exchange_that_fails_gets_a_sentence(bot: RunningBot) -> None:
    user = bot.user()
    harness = bot.stack.servers["wallex"].harness  # type: ignore[attr-defined]
    harness.faults.status = 503
    text = await user.ask("/book wallex BTCTMN", timeout=20)
    assert "Wallex is not reachable right now" in text
    harness.faults.clear()
    harness.faults.garbage = True
    text = await user.ask("/trades wallex BTCTMN", timeout=20)
    assert "could not read" in text
    harness.faults.clear()


async def test_healthz_reports_telegram_and_each_upstream(bot: RunningBot) -> None:
    user = bot.user()
    await user.ask("/price wallex BTCTMN")
    async with aiohttp.ClientSession() as session, session.get(f"{bot.http.url}/healthz") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["status"] == "ok"
    assert body["telegram"]["connected"] is True and body["telegram"]["bot"] == "sarraf_bot"
    assert body["upstreams"]["wallex"]["healthy"] is True
