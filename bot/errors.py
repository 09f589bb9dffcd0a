"""Errors of the bot's own use cases (the exchanges have theirs in ``exchanges.errors``).

Each is something the user can fix, so each carries what the reply needs to say how.
"""

from __future__ import annotations

from collections.abc import Sequence


class BotError(Exception):
    """Base of the errors the error handler turns into a sentence."""


class UnknownExchange(BotError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown exchange {name!r}")
        self.name = name
        self.known = tuple(known)


class NotListedAnywhere(BotError):
    def __init__(self, symbol: str, failed: Sequence[str] = ()) -> None:
        super().__init__(f"no exchange lists {symbol!r}")
        self.symbol = symbol
        self.failed = tuple(failed)
