"""What a feed is, and the plain rules that decide when it posts (no I/O here).

**Schedule.** A feed with interval ``EVERY`` is due at the multiples of ``EVERY`` since
the Unix epoch (a 5-minute board posts at :00, :05, :10 …), so boards of one chat keep
their rhythm across restarts. A run that was missed while the bot was down happens once,
as soon as the bot is back, never as a backlog.

**Budget.** Telegram lets a bot post about 20 messages a minute in one group or channel.
A chat's feeds together may use at most ``FEED_POSTS_PER_MINUTE`` (15) of them, leaving
room for answers to commands; a feed counts ``60 / EVERY`` posts a minute whatever its
mode (an edit of a pinned board and an on-move check that may post count the same),
and no feed runs more often than every ``MIN_EVERY`` seconds.

**On move.** An on-move feed checks every ``EVERY`` (default 1 minute) and posts only
when some market's price moved by at least ``PCT`` percent since the board it last
posted (its first check always posts, to set the reference).

**Pin.** A pinned board is edited only when what it shows (prices and changes) changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

DEFAULT_EVERY = 5 * 60
DEFAULT_MOVE_EVERY = 60
MIN_EVERY = 30
MAX_EVERY = 7 * 86400
FEED_POSTS_PER_MINUTE = 15
"""Of Telegram's 20 messages a minute per group or channel; the rest is for replies."""
MAX_MARKETS = 12

ACTIVE = "active"
PAUSED = "paused"

Market = tuple[str, str]
"""(exchange, the exchange's own symbol)."""


class FeedError(Exception):
    """Base of what a feed request may be refused for; each says what the reply needs."""


@dataclass
class TooFrequent(FeedError):
    """The chat's feeds would post more than the budget: ``smallest`` seconds would fit."""

    every: int
    used_per_minute: Decimal
    smallest: int | None


@dataclass
class FeedNotFound(FeedError):
    feed_id: int


@dataclass
class NotAdmin(FeedError):
    """The user may not manage feeds of that chat (``chat`` is how to name it)."""

    chat: str


@dataclass
class ChannelProblem(FeedError):
    """What stops a feed in a channel: ``problem`` is one of the ``CHANNEL_*`` codes."""

    channel: str
    problem: str
    rights: tuple[str, ...] = ()


CHANNEL_NOT_FOUND = "not_found"
CHANNEL_NOT_A_CHANNEL = "not_a_channel"
CHANNEL_USER_NOT_ADMIN = "user_not_admin"
CHANNEL_BOT_NOT_ADMIN = "bot_not_admin"
CHANNEL_BOT_RIGHTS = "bot_rights"

ANONYMOUS_ADMIN = 1087968824
"""The user Telegram shows for a group admin who posts as the group (GroupAnonymousBot)."""

REASON_REMOVED = "removed"
"""The bot was removed from the chat (or it does not exist any more)."""
REASON_NO_RIGHTS = "no_rights"
"""The bot is there but may not post (restricted, or no 'Post messages' right)."""
REASON_NO_PIN = "no_pin"
"""Pin mode, and the bot may not pin (or, in a channel, edit) messages."""
REASON_BY_ADMIN = "by_admin"


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """A parsed ``/feed``: ``markets`` as typed (resolved by the service)."""

    markets: tuple[tuple[str, str], ...]
    every: int
    pin: bool = False
    move_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FeedView:
    id: int
    chat_id: int
    chat_kind: str
    chat_title: str | None
    creator_id: int
    markets: tuple[Market, ...]
    pairs: tuple[str, ...]
    every: int
    pin: bool
    move_pct: Decimal | None
    state: str
    paused_reason: str | None
    next_at: datetime
    last_post_at: datetime | None
    posts: int


@dataclass(frozen=True, slots=True)
class Quote:
    """One line of a board: a market's price now and its change over 24 hours."""

    exchange: str
    symbol: str
    pair: str
    price: Decimal
    change_pct: Decimal | None
    price_decimals: int
    at: datetime
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Board:
    """What a feed posts: one quote per market (None where no price is known)."""

    feed_id: int
    lines: tuple[tuple[str, str, Quote | None], ...]
    """(exchange, pair, quote)."""
    at: datetime
    moved: Decimal | None = None
    """On-move boards: the largest move since the last board, in percent."""


@dataclass
class RunResult:
    """What a scheduler run did, for tests and the benchmark."""

    posted: int = 0
    edited: int = 0
    unchanged: int = 0
    not_moved: int = 0
    paused: int = 0
    retried: int = 0
    failed: int = 0
    feeds: list[int] = field(default_factory=list)

    def add(self, other: RunResult) -> None:
        for name in ("posted", "edited", "unchanged", "not_moved", "paused", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.feeds.extend(other.feeds)


def first_due(every: int, now: datetime) -> datetime:
    """The next multiple of ``every`` seconds since the epoch, strictly after ``now``."""
    stamp = now.timestamp()
    slot = math.floor(stamp / every) + 1
    return datetime.fromtimestamp(slot * every, UTC)


def next_due(every: int, ran_at: datetime) -> datetime:
    return first_due(every, ran_at)


def per_minute(every: int) -> Decimal:
    return Decimal(60) / Decimal(every)


def budget_check(every: int, others: Iterable[int]) -> TooFrequent | None:
    """None when a feed every ``every`` seconds fits beside feeds every ``others``."""
    used = sum((per_minute(e) for e in others), Decimal(0))
    if used + per_minute(every) <= FEED_POSTS_PER_MINUTE:
        return None
    left = Decimal(FEED_POSTS_PER_MINUTE) - used
    smallest = None if left <= 0 else max(MIN_EVERY, math.ceil(Decimal(60) / left))
    if smallest is not None and smallest > MAX_EVERY:
        smallest = None
    return TooFrequent(every, used, smallest)


def key(prices: dict[str, str], changes: dict[str, str]) -> str:
    """What a board shows, minus its time: equal keys mean nothing to edit."""
    return "|".join(f"{m}={prices[m]}/{changes.get(m, '')}" for m in sorted(prices))


def market_key(exchange: str, symbol: str) -> str:
    return f"{exchange}:{symbol}"


def largest_move(reference: dict[str, str] | None, now: dict[str, Decimal]) -> Decimal | None:
    """The largest absolute move in percent from ``reference`` (None: no reference yet)."""
    if not reference:
        return None
    moves = []
    for name, price in now.items():
        before = reference.get(name)
        if before is None:
            return None  # a market without a reference: post, to set one
        base = Decimal(before)
        if base == 0:
            continue
        moves.append(abs(price / base - 1) * 100)
    return max(moves, default=Decimal(0))


def should_post(move_pct: Decimal | None, moved: Decimal | None) -> bool:
    if move_pct is None or moved is None:
        return True
    return moved >= move_pct


def describe_every(seconds: int) -> tuple[int, str]:
    """(amount, unit) with unit ``h``, ``m`` or ``s``: the largest that divides evenly."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return seconds // size, unit
    return seconds, "s"


def retry_at(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=max(1.0, seconds))


def as_markets(rows: Sequence[Sequence[str]]) -> tuple[Market, ...]:
    return tuple((str(r[0]), str(r[1])) for r in rows)
