"""Markets the streams should watch, from several owners.

``StreamSupervisor.want`` takes the complete set of markets to watch. Alerts and feeds
each know their own part; this keeps the parts and hands the streams their union, so
neither forgets the other's markets when its own change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Market = tuple[str, str]


class MarketWants:
    def __init__(self, want: Callable[[set[Market]], None]) -> None:
        self._want = want
        self._parts: dict[str, set[Market]] = {}

    def part(self, owner: str) -> Callable[[set[Market]], None]:
        """The ``watch`` callback for one owner: it replaces that owner's markets."""

        def watch(markets: Iterable[Market]) -> None:
            self._parts[owner] = {(str(e), str(s)) for e, s in markets}
            self._want(set().union(*self._parts.values()))

        return watch
