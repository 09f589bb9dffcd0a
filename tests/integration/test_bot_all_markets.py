"""Market data from every system, charts, rates and languages through the real bot."""

from __future__ import annotations

import struct
from pathlib import Path

from sandbox.runner import SandboxStack

from .conftest import RunningBot, running_bot


async def test_price_book_trades_on_every_exchange_in_its_own_symbol_form(bot: RunningBot) -> None:
    user = bot.user()
    for exchange, symbol, pair, title in (
        ("narkasa", "BTCTRY", "BTC/TRY", "Narkasa"),
        ("alp", "BTC_USDT", "BTC/USDT", "ALP.COM"),
        ("wex", "btc_usd", "BTC/USD", "WEX"),
    ):
        for spelling in (symbol, pair):
            assert f"{pair} on {title}" in await user.ask(f"/price {exchange} {spelling}")
        assert f"{pair} order book on {title}" in await user.ask(f"/book {exchange} {symbol}")
        assert f"{pair} latest trades on {title}" in await user.ask(f"/trades {exchange} {pair}")


async def test_price_across_exchanges_with_spread_and_implied_rates(bot: RunningBot) -> None:
    text = await bot.user().ask("/price BTC/USDT")
    for title in ("Wallex", "Narkasa", "ALP.COM"):
        assert f"{title} BTC/USDT:" in text
    assert "WEX" not in text  # WEX has BTC/USD, not BTC/USDT
    assert "Best bid" in text and "best ask" in text and "spread" in text
    assert "Implied USDT rate:" in text and "TMN (via BTC on Wallex)" in text
    assert "TRY (via BTC on Narkasa)" in text


async def test_a_stalled_exchange_is_named_and_does_not_hang_the_answer(
    stack: SandboxStack, tmp_path: Path
) -> None:
    async with running_bot(stack, tmp_path / "b.db", upstream_timeout=1.5) as bot:
        stack.servers["narkasa"].harness.faults.stall = True  # type: ignore[attr-defined]
        try:
            text = await bot.user().ask("/price BTC/USDT", timeout=8)
        finally:
            stack.servers["narkasa"].harness.faults.clear()  # type: ignore[attr-defined]
        assert "Narkasa: no answer (timed out)" in text
        assert "Wallex BTC/USDT:" in text and "ALP.COM BTC/USDT:" in text


async def test_markets_lists_minimums_and_precision(bot: RunningBot) -> None:
    text = await bot.user().ask("/markets wallex TMN")
    assert "Wallex markets in TMN" in text
    assert (
        "BTC/TMN BTCTMN · price 0 dp · amount 6 dp · min 0.000001 BTC · min total 100,000 TMN"
        in text
    )
    assert "BTC/USDT" not in text and "ETH/USDT" not in text
    assert "I need an exchange" in await bot.user(7).ask("/markets")


async def test_rates_from_wallexpay(bot: RunningBot) -> None:
    user = bot.user()
    listing = await user.ask("/rates")
    assert "WallexPay exchangeable pairs" in listing and "BTC → USDT" in listing
    one = await user.ask("/rates btc usdt")
    assert "WallexPay BTC → USDT" in one and "1 BTC = " in one and "Least amount" in one
    received = bot.stack.servers["wallexpay"].harness.last("/api/v2/currencies/rates")  # type: ignore[attr-defined]
    assert b'"currency_from":"BTC"' in received.body
    assert "X-Processing-Signature" in received.headers
    assert "not a currency code" in await user.ask("/rates <b>")
    assert "WallexPay has no market" in await user.ask("/rates BTC XYZ") or "no pair" in (
        await user.ask("/rates BTC XYZ")
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_chart_arrives_as_a_png_picture(bot: RunningBot) -> None:
    user = bot.user()
    reply = await user.send("/chart wallex BTC/TMN 1h", timeout=60)
    assert reply.get("photo"), reply
    data = bot.stack.telegram.file_bytes(reply["photo"][-1]["file_id"])
    assert data is not None and 10_000 < len(data) < 2_000_000
    width, height = png_size(data)
    assert width >= 600 and height >= 400
    assert "BTC/TMN on Wallex, 120 candles of 1h" in reply["caption"]
    query = bot.stack.servers["wallex"].harness.last("/v1/udf/history").query  # type: ignore[attr-defined]
    assert query["resolution"] == "60"


async def test_wex_chart_says_it_is_built_from_trades(bot: RunningBot) -> None:
    reply = await bot.user().send("/chart wex btc_usd 15m", timeout=60)
    assert reply.get("photo") and "built from its latest trades" in reply["caption"]


async def test_an_interval_not_offered_gets_the_list(bot: RunningBot) -> None:
    user = bot.user()
    text = await user.ask("/chart narkasa BTCTRY 7m")
    assert "does not offer the interval “7m”" in text and "1m, 3m, 5m" in text
    assert "is not an interval" in await user.ask("/chart wallex BTCTMN soon")


async def test_lang_switches_and_persists_per_chat(stack: SandboxStack, tmp_path: Path) -> None:
    async with running_bot(stack, tmp_path / "lang.db") as bot:
        user = bot.user()
        await user.ask("/lang fa")
        text = await user.ask("/price wallex BTC/TMN")
        assert "۰" in text or "۱" in text  # Persian digits
        assert "Usage: /lang" in await user.ask("/lang xx") or "/lang" in await user.ask("/lang xx")
    async with running_bot(stack, tmp_path / "lang.db") as bot:  # a restart keeps it
        text = await bot.user().ask("/price wallex BTC/TMN")
        assert "۱" in text or "۲" in text


async def test_a_new_chat_starts_in_the_client_language(bot: RunningBot) -> None:
    text = await bot.user(2002, language_code="fa").ask("/price wallex BTC/TMN")
    assert any(d in text for d in "۰۱۲۳۴۵۶۷۸۹")
    text = await bot.user(2003, language_code="de").ask("/price wallex BTC/TMN")
    assert "BTC/TMN on Wallex" in text
