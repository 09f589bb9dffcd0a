"""The last price seen per market, from streams and polls.

When an exchange's REST API does not answer, /price can still show the last streamed
price — saying plainly how old it is — instead of only an error.
"""

from __future__ import annotations

from exchanges.models import Tick


class LastPrices:
    def __init__(self) -> None:
        self._last: dict[tuple[str, str], Tick] = {}

    async def record(self, tick: Tick) -> None:
        self._last[(tick.exchange, tick.symbol)] = tick

    def get(self, exchange: str, symbol: str) -> Tick | None:
        return self._last.get((exchange, symbol))
