"""Turning what a user types into one exchange market.

Users write ``BTC/TMN``, ``btctmn``, ``BTC_USDT`` or ``btc-usd``; exchanges spell
their symbols differently. Comparing the separator-free upper-case form of both
sides resolves every spelling without a table per exchange.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from exchanges.models import Market

_SEPARATORS = re.compile(r"[/_\-\s:]")
_VALID = re.compile(r"^[A-Za-z0-9]+([/_\-:][A-Za-z0-9]+)?$")


def compact(text: str) -> str:
    """``btc_usd`` → ``BTCUSD``."""
    return _SEPARATORS.sub("", text).upper()


def looks_like_symbol(text: str) -> bool:
    return bool(_VALID.match(text.strip())) and len(text.strip()) <= 24


def split_pair(text: str) -> tuple[str, str] | None:
    """``BTC/TMN`` → (``BTC``, ``TMN``); None when the text has no separator."""
    parts = [p for p in _SEPARATORS.split(text.strip().upper()) if p]
    if len(parts) == 2:
        return parts[0], parts[1]
    return None


def find_market(markets: Mapping[str, Market], text: str) -> Market | None:
    """The market the user meant, or None."""
    wanted = compact(text)
    if not wanted:
        return None
    pair = split_pair(text)
    for market in markets.values():
        if pair is not None:
            if (market.base, market.quote) == pair:
                return market
            continue
        if compact(market.symbol) == wanted or market.base + market.quote == wanted:
            return market
    return None


def suggest(markets: Iterable[Market], text: str, limit: int = 5) -> list[str]:
    """Markets sharing the typed base or quote, to help after a typo."""
    wanted = compact(text)
    pair = split_pair(text)
    scored: list[tuple[int, str]] = []
    for m in markets:
        score = 0
        if pair is not None:
            score += 2 * (m.base == pair[0]) + (m.quote == pair[1])
        else:
            score += 2 * wanted.startswith(m.base) + wanted.endswith(m.quote)
        if score:
            scored.append((-score, m.pair))
    return [name for _, name in sorted(scored)[:limit]]
