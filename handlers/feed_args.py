"""Reading ``/feed`` into a FeedRequest, with a sentence for every mistake.

Form: ``/feed [@CHANNEL] MARKETS [EVERY] [pin] [on move PCT]``, options in any order.
MARKETS is ``EXCHANGE SYMBOL[,SYMBOL…]`` or a list of ``EXCHANGE:SYMBOL`` items, which
may mix exchanges (``wallex:BTC/TMN,narkasa:BTCTRY``); after ``EXCHANGE`` an item with its
own ``OTHER:`` prefix uses that exchange (``wallex BTC/TMN,narkasa:BTCTRY``). Spaces
around the commas are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.feeds import model
from bot.feeds.model import FeedRequest
from exchanges.symbols import looks_like_symbol
from handlers.args import UsageError, parse_decimal

_EVERY = re.compile(r"^(\d+)(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PCT = re.compile(r"^\+?(\d+(?:\.\d+)?)%?$")


@dataclass(frozen=True, slots=True)
class FeedArgs:
    channel: str | None
    request: FeedRequest


def every_seconds(text: str) -> int | None:
    """``30s``, ``5m``, ``1h``, ``1d`` → seconds; None when it is not such a duration."""
    match = _EVERY.match(text.strip().lower())
    return int(match.group(1)) * _UNITS[match.group(2)] if match else None


def _market_words(words: list[str]) -> tuple[str, list[str]]:
    """The comma list starting at ``words[0]`` (joined), and the words after it."""
    text, rest = words[0], words[1:]
    while rest and (text.endswith(",") or rest[0].startswith(",")):
        text += rest.pop(0)
    return text, rest


def parse_feed(words: list[str]) -> FeedArgs:
    words = list(words)
    channel = None
    if words and words[0].startswith("@"):
        channel = words.pop(0)
        if len(channel) < 2:
            raise UsageError("feed", "Name the channel as @username.")
    if not words:
        raise UsageError("feed", "I need an exchange and at least one symbol.")
    default: str | None = None
    if ":" not in words[0]:
        default = words.pop(0).lower()
        if not words:
            raise UsageError("feed", "I need at least one symbol after the exchange.")
    listed, options = _market_words(words)
    markets: list[tuple[str, str]] = []
    for item in filter(None, (part.strip() for part in listed.split(","))):
        exchange, _, symbol = item.rpartition(":")
        exchange = exchange.lower() or (default or "")
        if not exchange:
            raise UsageError("feed", "“{item}” needs an exchange: EXCHANGE:SYMBOL.", item=item)
        if not looks_like_symbol(symbol):
            raise UsageError("feed", "“{symbol}” is not a market symbol.", symbol=symbol)
        markets.append((exchange, symbol))
    if not markets:
        raise UsageError("feed", "I need at least one symbol after the exchange.")
    if len(markets) > model.MAX_MARKETS:
        raise UsageError("feed", "A board shows at most {n} markets.", n=str(model.MAX_MARKETS))
    every: int | None = None
    pin = False
    move = None
    i = 0
    while i < len(options):
        word = options[i].lower()
        if word == "pin":
            pin = True
        elif word in ("on", "move"):
            if word == "on":
                i += 1
                if i >= len(options) or options[i].lower() != "move":
                    raise UsageError("feed", "Write “on move PCT”, for example “on move 2%”.")
            i += 1
            match = _PCT.match(options[i]) if i < len(options) else None
            value = parse_decimal(match.group(1)) if match else None
            if value is None or value <= 0 or value >= 100:
                raise UsageError(
                    "feed", "“on move” needs a percentage above 0, for example “on move 2%”."
                )
            move = value
        elif _EVERY.match(word):
            every = every_seconds(word)
        else:
            raise UsageError(
                "feed",
                "“{word}” is not an interval (30s, 5m, 1h), “pin” or “on move PCT”.",
                word=options[i],
            )
        i += 1
    if every is None:
        every = model.DEFAULT_MOVE_EVERY if move is not None else model.DEFAULT_EVERY
    if every < model.MIN_EVERY:
        raise UsageError("feed", "A feed posts at most every {n} seconds.", n=str(model.MIN_EVERY))
    if every > model.MAX_EVERY:
        raise UsageError("feed", "A feed posts at least once a week.")
    return FeedArgs(channel, FeedRequest(tuple(markets), every, pin, move))
