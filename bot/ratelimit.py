"""Telegram's flood limits as pure bookkeeping: no sleeping, no I/O, the time passed in.

Telegram counts the messages one bot sends: about 30 a second over all chats, about one
a second in any one chat after a short burst, and also no more than 20 a minute in one
group, supergroup or channel (negative chat ids). Going over earns a 429 with ``retry_after``
in whole seconds, so a refused message costs at least a second: cheaper to stay under.

Telegram counts when a request *arrives*; we only see when it leaves and when it is
answered. The bot-wide window (``ArrivalWindow``) counts each send from the latest
moment it may have arrived, judged by how late its answer came; a chat's own limits
need less, as a chat has one request in flight at a time. On top of that every window
is ``slack`` seconds longer, and every refill ``slack`` seconds slower, than the limit
it models. The notifier (``bot/notifier.py``) asks ``wait(chat_id, now)`` and sends only
when it is 0, then calls ``record(chat_id, now)``; a 429 that happens anyway pauses the
chat (``pause_chat``) and, when several chats are refused at once, everything
(``FloodTracker`` → ``pause_all``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """The budget the notifier keeps to. Defaults are Telegram's published limits."""

    global_messages: int = 30
    """At most this many messages in any ``global_window`` seconds, over all chats."""
    global_window: float = 1.0
    global_gap: float = 0.01
    """Seconds between two sends, so a full window leaves as a short stream, not a
    single burst whose requests could overtake each other on the way."""
    group_messages: int = 20
    """At most this many messages in any ``group_window`` seconds in one group/channel."""
    group_window: float = 60.0
    chat_burst: int = 3
    """Any one chat may receive this many at once, then ``chat_per_second``."""
    chat_per_second: float = 1.0
    slack: float = 0.02
    """Seconds added to each window and refill interval for network jitter."""
    max_in_flight: int = 32
    """Sends in progress at once (different chats; one chat never has two)."""
    max_attempts: int = 5
    """Transient failures (timeouts, network errors) before a message is failed."""
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    flood_chats: int = 3
    """This many different chats refused with 429 within ``flood_window`` seconds mean
    the bot-wide limit was hit: every chat then waits for the longest retry_after."""
    flood_window: float = 1.0

    def __post_init__(self) -> None:
        if min(self.global_messages, self.group_messages, self.chat_burst) < 1:
            raise ValueError("message counts must be at least 1")
        if min(self.global_window, self.group_window, self.chat_per_second) <= 0:
            raise ValueError("windows and rates must be positive")
        if self.slack < 0 or self.global_gap < 0:
            raise ValueError("slack and gap cannot be negative")
        if self.max_in_flight < 1 or self.max_attempts < 1:
            raise ValueError("max_in_flight and max_attempts must be at least 1")


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; users' private chats positive."""
    return chat_id < 0


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempt``-th failure (1-based): base, 2·base, 4·base… ≤ cap."""
    if attempt < 1:
        return 0.0
    return float(min(cap, base * 2 ** min(attempt - 1, 30)))


class SlidingWindow:
    """At most ``limit`` events in any span of ``window`` seconds."""

    __slots__ = ("_times", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def _expire(self, now: float) -> None:
        times = self._times
        while times and times[0] <= now - self.window:
            times.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0 if it fits now)."""
        self._expire(now)
        if len(self._times) < self.limit:
            return 0.0
        return max(0.0, self._times[-self.limit] + self.window - now)

    def record(self, now: float) -> None:
        self._times.append(now)
        if len(self._times) > self.limit:
            self._times.popleft()

    def idle(self, now: float) -> bool:
        """Nothing left in the window: forgetting this window changes nothing."""
        self._expire(now)
        return not self._times


class ArrivalWindow:
    """At most ``limit`` *arrivals* in any span of ``window`` seconds, estimated from sends.

    A request left at ``sent``; when it arrived is unknown, but not later than its answer
    less the quickest round trip seen lately. So each send counts from
    ``sent + (round trip - quickest round trip)``, and a send still unanswered from
    ``sent + (time so far - quickest)``: a request held up on its way (a new connection,
    a slow network) is counted when it may have arrived, not when it left. Requests on
    time cost nothing; the delay counted for one request is capped at ``max_late``.
    """

    __slots__ = ("_rtts", "_sends", "limit", "max_late", "window")

    def __init__(
        self, limit: int, window: float, *, max_late: float = 0.5, samples: int = 64
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_late = max_late
        self._sends: deque[list[float]] = deque()  # [sent, round trip or -1 while unanswered]
        self._rtts: deque[float] = deque(maxlen=samples)

    def record(self, now: float) -> list[float]:
        """A request leaves now; pass the handle to ``answered`` when its reply comes."""
        entry = [now, -1.0]
        self._sends.append(entry)
        return entry

    def departs(self, entry: list[float], now: float) -> None:
        """The request really leaves now (later than recorded: work came first)."""
        entry[0] = max(entry[0], now)

    def answered(self, entry: list[float], now: float) -> None:
        entry[1] = max(0.0, now - entry[0])
        self._rtts.append(entry[1])

    def _arrivals(self, now: float) -> list[float]:
        sends = self._sends
        while sends and sends[0][0] <= now - self.window - self.max_late:
            sends.popleft()
        quickest = min(self._rtts) if self._rtts else 0.0
        arrivals = []
        for sent, rtt in sends:
            late = (now - sent) if rtt < 0 else rtt
            arrivals.append(sent + min(self.max_late, max(0.0, late - quickest)))
        return arrivals

    def wait(self, now: float) -> float:
        arrivals = [t for t in self._arrivals(now) if t > now - self.window]
        if len(arrivals) < self.limit:
            return 0.0
        arrivals.sort(reverse=True)
        return max(0.0, arrivals[self.limit - 1] + self.window - now)

    def idle(self, now: float) -> bool:
        return not self._arrivals(now)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second; an event takes one."""

    __slots__ = ("_tokens", "_updated", "capacity", "rate")

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = float(capacity)
        self.rate = rate
        self._tokens = float(capacity)
        self._updated = now

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    def wait(self, now: float) -> float:
        self._refill(now)
        if self._tokens >= 1.0 - 1e-9:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def record(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1.0

    def idle(self, now: float) -> bool:
        """Full again: a new bucket would behave the same."""
        self._refill(now)
        return self._tokens >= self.capacity - 1e-9


class Limiter:
    """Every limit that applies to a message for ``chat_id``, and the pauses 429s ordered."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        slack = limits.slack
        self._global = ArrivalWindow(limits.global_messages, limits.global_window + slack)
        self._last_send: float | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}
        self._paused: dict[int, float] = {}
        self._paused_all = float("-inf")
        # One token per (1/rate + slack) seconds: the refill, slowed by the slack.
        self._chat_rate = 1.0 / (1.0 / limits.chat_per_second + slack)
        self._group_window = limits.group_window + slack

    def global_wait(self, now: float) -> float:
        """Seconds until the bot-wide limits (window, gap, global pause) allow a send."""
        wait = max(self._global.wait(now), self._paused_all - now)
        if self._last_send is not None:
            wait = max(wait, self._last_send + self.limits.global_gap - now)
        return max(0.0, wait)

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds until this chat's own limits (and any pause it was given) allow a send."""
        wait = self._paused.get(chat_id, float("-inf")) - now
        bucket = self._chats.get(chat_id)
        if bucket is not None:
            wait = max(wait, bucket.wait(now))
        if is_group(chat_id):
            window = self._groups.get(chat_id)
            if window is not None:
                wait = max(wait, window.wait(now))
        return max(0.0, wait)

    def wait(self, chat_id: int, now: float) -> float:
        return max(self.global_wait(now), self.chat_wait(chat_id, now))

    def record(self, chat_id: int, now: float) -> list[float]:
        """A message for ``chat_id`` leaves now; the handle goes to ``answered``."""
        handle = self._global.record(now)
        self._last_send = now
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(
                self.limits.chat_burst, self._chat_rate, now
            )
        bucket.record(now)
        if is_group(chat_id):
            window = self._groups.get(chat_id)
            if window is None:
                window = self._groups[chat_id] = SlidingWindow(
                    self.limits.group_messages, self._group_window
                )
            window.record(now)
        return handle

    def departs(self, handle: list[float], now: float) -> None:
        """The send ``handle`` goes on the wire now (after, say, issuing its buttons)."""
        self._global.departs(handle, now)

    def answered(self, handle: list[float], now: float) -> None:
        """Telegram answered the send ``handle`` (accepted or refused) at ``now``."""
        self._global.answered(handle, now)

    def pause_chat(self, chat_id: int, until: float) -> None:
        self._paused[chat_id] = max(until, self._paused.get(chat_id, float("-inf")))

    def pause_all(self, until: float) -> None:
        self._paused_all = max(self._paused_all, until)

    def prune(self, now: float) -> None:
        """Forget chats whose state has decayed to that of a chat never seen (bounds memory)."""
        for chat_id in [c for c, b in self._chats.items() if b.idle(now)]:
            del self._chats[chat_id]
        for chat_id in [c for c, w in self._groups.items() if w.idle(now)]:
            del self._groups[chat_id]
        for chat_id in [c for c, until in self._paused.items() if until <= now]:
            del self._paused[chat_id]

    def tracked_chats(self) -> int:
        return len(self._chats) + len(self._groups) + len(self._paused)


class FloodTracker:
    """Tells a bot-wide 429 from a per-chat one: Telegram's reply does not say which.

    One chat refused is that chat's limit. Several different chats refused within a
    short span means the bot as a whole went over; then every chat must wait.
    """

    def __init__(self, chats: int, window: float) -> None:
        self.chats = chats
        self.window = window
        self._recent: deque[tuple[float, int, float]] = deque()

    def refused(self, chat_id: int, retry_after: float, now: float) -> float | None:
        """Record a 429; the time every chat should wait until, if it looks bot-wide."""
        recent = self._recent
        recent.append((now, chat_id, now + retry_after))
        while recent and recent[0][0] <= now - self.window:
            recent.popleft()
        if len({chat for _, chat, _ in recent}) >= self.chats:
            return max(until for _, _, until in recent)
        return None


class UserRateLimiter:
    """How many commands one user may send: a token bucket per user (``SARRAF_USER_RATE``).

    Telegram delivers a flood from one user to us in order, and python-telegram-bot handles
    updates one at a time, so every command a flooder gets through delays everyone else.
    Refusing costs only this bookkeeping; the flooder is told once per episode (a reply to
    each refused message would be a flood of our own), and the bucket refills steadily.
    """

    def __init__(self, per_minute: int, burst: int | None = None, max_users: int = 100_000) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.burst = burst if burst is not None else max(5, per_minute // 2)
        self.max_users = max_users
        self._rate = per_minute / 60.0
        self._buckets: dict[int, TokenBucket] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int, now: float) -> float:
        """0 and the command counted if it may run; else the seconds until one may."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self.prune(now)
            bucket = self._buckets[user_id] = TokenBucket(self.burst, self._rate, now)
        wait = bucket.wait(now)
        if wait > 0:
            return wait
        bucket.record(now)
        self._warned.discard(user_id)
        return 0.0

    def first_refusal(self, user_id: int) -> bool:
        """True once per run of refused commands: the one that should get the message."""
        if user_id in self._warned:
            return False
        self._warned.add(user_id)
        return True

    def prune(self, now: float) -> None:
        """Forget users whose bucket is full again (they behave like new users)."""
        for user_id in [u for u, b in self._buckets.items() if b.idle(now)]:
            del self._buckets[user_id]
            self._warned.discard(user_id)
