"""Wallex's "global market stats" (``GET /v1/currencies/stats``): each coin's world
price in US dollars, its rank, 24h and 7d change and market cap, as Wallex gathers
them from the world's markets (not Wallex's own order books).

The document gives the numbers as JSON numbers (``"price": 32750.734991767``); they
are read as ``Decimal`` (the pipeline decodes floats so) and never pass through
``float``. Every field but ``key`` may be missing or ``null`` on a young coin; a
missing one is None. ``price`` is in USD: the document does not name the currency,
but its BTC example (32,750 in June 2021, beside ``market_cap`` 613 billion) is the
dollar price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exchanges.errors import BadResponse
from exchanges.wire import opt_decimal

NAME = "wallex"


@dataclass(frozen=True, slots=True)
class WorldStats:
    asset: str
    name: str | None
    rank: int | None
    price_usd: Decimal | None
    change_24h_pct: Decimal | None
    change_7d_pct: Decimal | None
    market_cap_usd: Decimal | None
    volume_24h_usd: Decimal | None


def _opt(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    return opt_decimal(NAME, value, key)


def world_stats(result: Any) -> dict[str, WorldStats]:
    """Asset code → its stats; entries without a ``key`` are skipped."""
    if not isinstance(result, list):
        raise BadResponse(NAME, "currencies/stats is not a list")
    found: dict[str, WorldStats] = {}
    for raw in result:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str):
            continue
        rank = raw.get("rank")
        key = str(raw["key"]).upper()
        found[key] = WorldStats(
            asset=key,
            name=str(raw["name_en"]) if isinstance(raw.get("name_en"), str) else None,
            rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
            price_usd=_opt(raw, "price"),
            change_24h_pct=_opt(raw, "percent_change_24h"),
            change_7d_pct=_opt(raw, "percent_change_7d"),
            market_cap_usd=_opt(raw, "market_cap"),
            volume_24h_usd=_opt(raw, "volume_24h"),
        )
    return found
