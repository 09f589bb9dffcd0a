from __future__ import annotations

import pytest

from exchanges.models import Market
from exchanges.symbols import find_market, looks_like_symbol, suggest


def m(exchange: str, symbol: str, base: str, quote: str) -> Market:
    return Market(exchange, symbol, base, quote, 2, 6)


MARKETS = {
    x.symbol: x
    for x in (
        m("wallex", "BTCTMN", "BTC", "TMN"),
        m("wallex", "USDTTMN", "USDT", "TMN"),
        m("alp", "BTC_USDT", "BTC", "USDT"),
        m("wex", "btc_usd", "BTC", "USD"),
    )
}


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("BTCTMN", "BTCTMN"),
        ("btctmn", "BTCTMN"),
        ("BTC/TMN", "BTCTMN"),
        ("btc/tmn", "BTCTMN"),
        ("usdt/tmn", "USDTTMN"),
        ("BTC_USDT", "BTC_USDT"),
        ("btc_usdt", "BTC_USDT"),
        ("BTC/USDT", "BTC_USDT"),
        ("btc_usd", "btc_usd"),
        ("BTC-USD", "btc_usd"),
    ],
)
def test_every_spelling_finds_the_market(text: str, symbol: str) -> None:
    found = find_market(MARKETS, text)
    assert found is not None and found.symbol == symbol


@pytest.mark.parametrize("text", ["XYZ", "BTC/XYZ", "TMN/BTC", "", "/"])
def test_unknown_markets_are_none(text: str) -> None:
    assert find_market(MARKETS, text) is None


def test_suggestions_share_base_or_quote() -> None:
    assert "BTC/TMN" in suggest(MARKETS.values(), "BTC/TRY")
    assert suggest(MARKETS.values(), "QQQ") == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [("BTCTMN", True), ("btc/tmn", True), ("btc_usd", True), ("<b>", False), ("a/b/c", False)],
)
def test_symbol_shape(text: str, ok: bool) -> None:
    assert looks_like_symbol(text) is ok
