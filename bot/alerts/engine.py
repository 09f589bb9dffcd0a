"""The in-memory index that decides, on each tick, which alerts fire.

Why it exists: a tick must not scan the rules of its market. With a million rules a
scan costs milliseconds per tick; here a tick costs O(log n + fired), and a tick that
fires nothing is a handful of integer comparisons.

How (per market, see ``_Market``):

- Prices are exact integers: ``price * 10**k`` for a per-market ``k`` that only grows
  (it starts at 8 and is raised, rebuilding the market's index once, by a rule or tick
  with more decimals). Percentages likewise with their own ``kq``. Comparisons and the
  change test are integer arithmetic, so ``Decimal`` exactness is kept without paying
  for ``Decimal`` in the hot path.
- Every threshold lives in a binary heap of packed keys ``level << 64 | id`` (one int,
  no tuple): ``level <= x`` is ``key <= ((x + 1) << 64) - 1``, a single comparison of
  the heap top on a tick that fires nothing.
- ``above``: min-heap of levels, pop while ``level <= price``. ``below``: the same over
  negated levels. ``cross``: the levels above the last price in one min-heap, those
  below in a (negated) other, those exactly at it in a list; a move pops from the side
  it moves into (the range between the previous and the new price) and the crossed
  rules change side. ``change``: per window length three heaps of ``|pct|`` (up, down,
  either) whose fired rules are a prefix; the window's low and high come from
  monotonic lists (suffix minima / maxima) shared by every window length of the market:
  the low of the last ``w`` seconds is the first kept point not older than ``w``.
- Repeating rules that fired wait in a cooldown heap keyed by the time they may fire
  again; cross rules keep tracking their side while cooling down.
- Most ticks change nothing: each market keeps a band of prices (between the nearest
  above/below/cross levels) and a time (the next cooldown end) inside which a tick only
  records the price; change rules keep their own two trigger prices, exact when last
  worked out and moved only by a new running low/high since (points leaving a window
  only shrink the moves, so the bounds stay safe). A tick inside all of them costs a
  dictionary lookup, a Decimal-to-int conversion and a few comparisons; its point waits
  in a short buffer and joins the monotonic lists in batches.
- Deletion is lazy: a heap entry is live only if the rule's record still says it sits
  in that structure under that key; stale entries are skipped when popped and swept
  (one rebuild of the market) once they outnumber the live rules.
- Memory: a rule is one ``__slots__`` record holding integers (the packed key is the
  same int object as the heap entry), not the ``AlertRule`` and its ``Decimal``\\ s;
  :meth:`AlertEngine.get` rebuilds the rule, digit for digit.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from heapq import heapify, heappop, heappush
from operator import itemgetter

from bot.alerts.model import AlertRule, Firing, Kind

__all__ = ["AlertEngine", "move_pct"]

_SHIFT = 64
_MASK = (1 << _SHIFT) - 1
_MIN_K = 8  # price decimals every market starts with (satoshi-sized prices need no rebuild)
_MIN_KQ = 4  # percentage decimals
_COMPACT_SLACK = 64

# Exact arithmetic for splitting and rebuilding Decimals (never rounds).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
# The reported move of a change alert: a quotient, so rounded, always the same way.
_REPORT = Context(prec=28)
_HUNDRED = Decimal(100)
_TIME = itemgetter(0)
_HUGE = 1 << 512  # above any scaled price
_INF = math.inf

Point = tuple[float, int, Decimal]  # (time, scaled price, the price as it came)
# Index 0 of the low/high lists: never dominated, so the pop loops need no bound check.
_LO_END: Point = (-_INF, -1, Decimal(-1))
_HI_END: Point = (-_INF, _HUGE, Decimal(0))
_BUFFERED = 64  # quiet ticks' points wait at most this many before joining the windows

# Where a rule's live entry is (a record's ``where``).
_DEAD = 0  # in no structure: expired on a tick, waits for expire(); or forgotten
_ABOVE = 1
_BELOW = 2
_UP = 3  # cross, level above the last price
_DOWN = 4  # cross, level below the last price (the heap holds the negated key)
_LEVEL = 5  # cross, level exactly at the last price
_PENDING = 6  # cross, the market has no price yet: judged from the reference price
_COOL = 7  # above/below/change waiting for its cooldown to end
_CHG_UP = 8
_CHG_DOWN = 9
_CHG_EITHER = 10


def move_pct(price: Decimal, base: Decimal) -> Decimal:
    """The signed move from ``base`` to ``price`` in %, as reported in a change Firing."""
    return _REPORT.divide(_REPORT.multiply(_REPORT.subtract(price, base), _HUNDRED), base)


# Exponents below -5 are not cached by CPython: share them (two per rule otherwise).
_EXPONENTS = {e: e for e in range(-64, 65)}


def _split(value: Decimal) -> tuple[int, int]:
    """(coefficient, exponent) of a finite Decimal, exactly (``1.50`` -> ``(150, -2)``)."""
    exp = value.as_tuple().exponent
    assert isinstance(exp, int)
    return int(value.scaleb(-exp, _EXACT)), _EXPONENTS.get(exp, exp)


def _join(coef: int, exp: int) -> Decimal:
    return Decimal(coef).scaleb(exp, _EXACT)


def _decimals(den: int) -> int:
    """Decimals needed for a fraction with denominator ``den`` (a product of 2s and 5s)."""
    twos = (den & -den).bit_length() - 1
    fives = 0
    den >>= twos
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:  # pragma: no cover - a Decimal's denominator is always 2^a 5^b
        raise ValueError("not a decimal fraction")
    return max(twos, fives)


def _first_in(points: list[Point], head: int, t: float, window: int) -> int:
    """Index of the first point from ``head`` in the window: ``time + window >= t``
    (bisect on time, then made exact for that very float expression)."""
    i = bisect_left(points, t - window, head, key=_TIME)
    while i > head and points[i - 1][0] + window >= t:
        i -= 1
    while points[i][0] + window < t:
        i += 1
    return i


def _easiest(g: _Group) -> tuple[int, int]:
    """The smallest |pct| key levels of a group's armed rules, up and down (-1: none);
    an either-way rule counts for both."""
    q_up = q_down = -1
    if g.either:
        q_up = q_down = g.either[0] >> _SHIFT
    if g.up and (q_up < 0 or g.up[0] >> _SHIFT < q_up):
        q_up = g.up[0] >> _SHIFT
    if g.down and (q_down < 0 or g.down[0] >> _SHIFT < q_down):
        q_down = g.down[0] >> _SHIFT
    return q_up, q_down


def _neg(key: int) -> int:
    """The key with the same id and the negated level (for max-heaps)."""
    return (-(key >> _SHIFT) << _SHIFT) | (key & _MASK)


class _Rec:
    """One rule as the engine keeps it: integers and shared references only.

    ``key`` is the packed heap key (level or |pct| at scale ``rk``, negated level for
    below); ``pe`` the exponent of the written price or pct (``key`` and ``pe`` rebuild
    the Decimal exactly); ``rc``/``re`` the reference price as coefficient/exponent.
    """

    __slots__ = ("key", "kind", "market", "pe", "rc", "re", "rk", "where")

    def __init__(
        self, key: int, kind: Kind, market: _Market, rk: int, pe: int, rc: int | None, re: int
    ) -> None:
        self.key = key
        self.kind = kind
        self.market = market
        self.where = _DEAD
        self.rk = rk
        self.pe = pe
        self.rc = rc
        self.re = re


class _RecX(_Rec):
    """A rule with more than a level: change window, repetition, end, sign."""

    __slots__ = ("last", "neg", "repeat", "signed", "until", "window")

    def __init__(
        self,
        key: int,
        kind: Kind,
        market: _Market,
        rk: int,
        pe: int,
        rc: int | None,
        re: int,
        rule: AlertRule,
    ) -> None:
        super().__init__(key, kind, market, rk, pe, rc, re)
        self.window = rule.window
        self.signed = rule.signed
        self.neg = rule.pct is not None and rule.pct < 0
        self.repeat = rule.repeat_every
        self.until = rule.until
        self.last = rule.last_fired_at


class _Group:
    """The change rules of one window length, in three heaps of |pct| keys (up only,
    down only, either way): the rules a move fires are a prefix of each."""

    __slots__ = ("down", "either", "up", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.up: list[int] = []
        self.down: list[int] = []
        self.either: list[int] = []


class _Market:
    """Everything the engine knows about one (exchange, symbol)."""

    __slots__ = (
        "above",
        "below",
        "buf",
        "ch_bot",
        "ch_top",
        "cool",
        "down",
        "exchange",
        "garbage",
        "groups",
        "hi",
        "hi_head",
        "horizon",
        "hq",
        "k",
        "kq",
        "last_p",
        "last_s",
        "last_t",
        "level",
        "lo",
        "lo_head",
        "n",
        "nchange",
        "pending",
        "q_hi",
        "q_lo",
        "q_until",
        "qd_min",
        "qu_min",
        "run_hi",
        "run_lo",
        "scale",
        "symbol",
        "up",
    )

    def __init__(self, exchange: str, symbol: str) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.n = 0  # rules (any state) of this market
        self.nchange = 0
        self.garbage = 0  # an upper bound of stale entries in the structures
        self.k = _MIN_K
        self.scale: int = 10**_MIN_K
        self.kq = _MIN_KQ
        self.hq: int = 100 * 10**_MIN_KQ
        self.last_s: int | None = None
        self.last_p: Decimal | None = None
        self.last_t: float | None = None
        self.above: list[int] = []
        self.below: list[int] = []
        self.up: list[int] = []
        self.down: list[int] = []
        self.level: list[int] = []
        self.pending: list[int] = []
        self.cool: list[tuple[float, int]] = []
        self.groups: dict[int, _Group] = {}
        # Change rules can only fire on a tick above ch_top or below ch_bot. Those are
        # worked out exactly at a visit (_fire_change), then only move by the running
        # low/high since then (run_lo/run_hi) with the easiest pct up/down (qu_min/qd_min,
        # -1: none): a window's low can only be lower than the one seen at the visit by
        # a point that came since. Points leaving a window only shrink the moves, so the
        # bounds stay safe, just looser, until the next visit. ch_top -1: visit next tick.
        self.ch_top = _HUGE
        self.ch_bot = 0
        self.run_lo = _HUGE
        self.run_hi = -1
        self.qu_min = -1
        self.qd_min = -1
        self.horizon = 0  # the longest window: points older than that are dropped
        # A tick strictly between q_lo and q_hi before q_until changes nothing but the
        # last price and the windows: the quiet path. An empty band: look at everything.
        self.q_lo = 0
        self.q_hi = 0
        self.q_until = -_INF
        self.buf: list[Point] = []  # points not yet in lo/hi (quiet ticks only append)
        self.lo: list[Point] = [_LO_END]  # suffix minima from lo_head on
        self.hi: list[Point] = [_HI_END]  # suffix maxima from hi_head on
        self.lo_head = 1
        self.hi_head = 1


class AlertEngine:
    """Decides which alerts fire on a tick. Pure: no I/O, no clock, no asyncio.

    Not thread-safe; the service calls it from one event loop. Ticks with a price that
    is not a positive finite number are ignored. A market's state (last price, windows)
    lives while it has rules (or was seeded): when its last rule goes, it is dropped,
    so a stream that stopped cannot leave a stale last price behind. To re-arm a
    changed rule call :meth:`add` with the same id (no :meth:`remove` first).
    """

    def __init__(self) -> None:
        self._rules: dict[int, _Rec] = {}
        self._markets: dict[tuple[str, str], _Market] = {}
        self._expiry: list[tuple[float, int]] = []
        self._nuntil = 0

    # --- the index ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._rules)

    def markets(self) -> set[tuple[str, str]]:
        """The (exchange, symbol) pairs with at least one rule: what streams must follow."""
        return {key for key, m in self._markets.items() if m.n > 0}

    def get(self, alert_id: int) -> AlertRule | None:
        rec = self._rules.get(alert_id)
        return None if rec is None else self._rule_of(alert_id, rec)

    def add(self, rule: AlertRule) -> None:
        """Index ``rule``; an existing rule with its id is replaced (re-armed)."""
        kind = Kind(rule.kind)
        _validate(rule, kind)
        key = (rule.exchange, rule.symbol)
        m = self._markets.get(key)
        if m is None:
            m = self._markets[key] = _Market(rule.exchange, rule.symbol)
        rid = rule.id
        rc: int | None = None
        re = 0
        if rule.reference_price is not None:
            rc, re = _split(rule.reference_price)
        if kind is Kind.CHANGE:
            assert rule.pct is not None and rule.window is not None
            coef, pe = _split(rule.pct)
            if -pe > m.kq:
                self._rebuild(m, qk=-pe)
            level = abs(coef) * 10 ** (m.kq + pe)
            rk = m.kq
        else:
            assert rule.price is not None
            coef, pe = _split(rule.price)
            if -pe > m.k:
                self._rebuild(m, k=-pe)
            level = coef * 10 ** (m.k + pe)
            if kind is Kind.BELOW:
                level = -level
            rk = m.k
        packed = (level << _SHIFT) | rid
        plain = (
            kind is not Kind.CHANGE
            and rule.repeat_every is None
            and rule.until is None
            and rule.last_fired_at is None
            and not rule.signed
            and rule.pct is None
            and rule.window is None
        )
        rec: _Rec
        if plain:
            rec = _Rec(packed, kind, m, rk, pe, rc, re)
        else:
            rec = _RecX(packed, kind, m, rk, pe, rc, re, rule)
        old = self._rules.get(rid)
        self._rules[rid] = rec
        m.n += 1
        if kind is Kind.CHANGE:
            assert rule.window is not None
            if m.nchange == 0 and m.last_t is not None:
                assert m.last_s is not None and m.last_p is not None
                m.lo = [_LO_END, (m.last_t, m.last_s, m.last_p)]
                m.hi = [_HI_END, (m.last_t, m.last_s, m.last_p)]
                m.lo_head = m.hi_head = 1
            m.nchange += 1
            if rule.window > m.horizon:
                self._flush(m)  # the points so far were trimmed to the old horizon
                m.horizon = rule.window
        if isinstance(rec, _RecX) and rec.until is not None:
            self._nuntil += 1
            heappush(self._expiry, (rec.until, rid))
        self._place(m, rid, rec)
        m.q_lo = m.q_hi = 0
        if old is not None:
            self._forget(old)
            self._maybe_compact(old.market)
        self._maybe_compact(m)

    def remove(self, alert_id: int) -> AlertRule | None:
        rec = self._rules.pop(alert_id, None)
        if rec is None:
            return None
        rule = self._rule_of(alert_id, rec)
        self._forget(rec)
        self._maybe_compact(rec.market)
        return rule

    def expire(self, now: float) -> list[int]:
        """Remove the rules whose ``until`` is before ``now``; return their ids."""
        heap = self._expiry
        gone: list[int] = []
        while heap and heap[0][0] < now:
            until, rid = heappop(heap)
            rec = self._rules.get(rid)
            if rec is None or not isinstance(rec, _RecX) or rec.until != until:
                continue
            del self._rules[rid]
            self._forget(rec)
            self._maybe_compact(rec.market)
            gone.append(rid)
        if len(heap) > 2 * self._nuntil + _COMPACT_SLACK:
            live = []
            for until, rid in heap:
                rec = self._rules.get(rid)
                if isinstance(rec, _RecX) and rec.until == until:
                    live.append((until, rid))
            self._expiry = sorted(set(live))
        return gone

    def seed(self, exchange: str, symbol: str, points: Sequence[tuple[float, Decimal]]) -> None:
        """Prime the last price and the change windows without firing anything.

        Call it after adding the rules (the windows of change rules added later start
        from the last price only). Points at or before the market's latest time are
        ignored: a seed never rewrites what ticks already said. Cross rules take the
        side of the seeded price silently.
        """
        key = (exchange, symbol)
        m = self._markets.get(key)
        if m is None:
            m = self._markets[key] = _Market(exchange, symbol)
        for at, price in sorted(points, key=_TIME):
            if m.last_t is not None and at <= m.last_t:
                continue
            s = self._scaled(m, price)
            if s is None:
                continue
            if m.nchange:
                m.buf.append((at, s, price))
            if m.last_s is not None and s != m.last_s:
                self._cross_move(m, m.last_s, s, price, at, None)
            m.last_s, m.last_p, m.last_t = s, price, at
        self._flush(m)
        if m.pending and m.last_s is not None:
            self._settle_pending(m, m.last_s, m.last_p, 0.0, None)
        if m.groups:  # the windows took points nobody compared: visit on the next tick
            m.ch_top = -1
        m.q_lo = m.q_hi = 0

    # --- the tick ------------------------------------------------------------------------
    def on_tick(self, exchange: str, symbol: str, price: Decimal, at: float) -> list[Firing]:
        """The alerts that fire on this price at this time (once-rules are removed)."""
        m = self._markets.get((exchange, symbol))
        if m is None:
            return []
        try:
            num, den = price.as_integer_ratio()
        except (ValueError, OverflowError):
            return []
        scale = m.scale
        if scale % den:
            rescaled = self._scaled(m, price)
            if rescaled is None:
                return []
            s = rescaled
        else:
            s = num * (scale // den)
        if s <= 0:
            return []
        last_t = m.last_t
        t = at if last_t is None or at > last_t else last_t
        if m.q_lo < s < m.q_hi and t < m.q_until:
            # No level, cross or cooldown bound is reached: only change rules may act.
            fired: list[Firing] = []
            if m.nchange:  # _change_tick, inlined: this runs on most ticks
                point = (t, s, price)
                buf = m.buf
                buf.append(point)
                if len(buf) > _BUFFERED:
                    self._flush(m)
                if s < m.run_lo:
                    m.run_lo = s
                    q = m.qu_min
                    if q >= 0:  # the up trigger from this new low
                        x = -((-s * (m.hq + q)) // m.hq) - 1
                        if x < m.ch_top:
                            m.ch_top = x
                elif s > m.run_hi:
                    m.run_hi = s
                    q = m.qd_min
                    if q >= 0:
                        x = s * (m.hq - q) // m.hq + 1
                        if x > m.ch_bot:
                            m.ch_bot = x
                if s > m.ch_top or s < m.ch_bot:
                    self._fire_change(m, point, price, at, fired)
            m.last_s = s
            m.last_p = price
            m.last_t = t
            return fired
        return self._busy_tick(m, s, price, at, t)

    def _busy_tick(self, m: _Market, s: int, price: Decimal, at: float, t: float) -> list[Firing]:
        """A tick that reaches a level, cross or cooldown bound of the market: do
        everything, then recompute the band."""
        fired: list[Firing] = []
        cool = m.cool
        if cool and cool[0][0] <= at:
            self._rearm(m, at)
        if m.nchange:
            self._change_tick(m, (t, s, price), price, at, fired)
        up_lim = ((s + 1) << _SHIFT) - 1  # keys of levels <= s
        down_lim = ((1 - s) << _SHIFT) - 1  # negated keys of levels >= s
        heap = m.above
        if heap and heap[0] <= up_lim:
            self._fire_heap(m, heap, up_lim, _ABOVE, price, at, fired)
        heap = m.below
        if heap and heap[0] <= down_lim:
            self._fire_heap(m, heap, down_lim, _BELOW, price, at, fired)
        last_s = m.last_s
        if last_s is None:
            if m.pending:
                self._settle_pending(m, s, price, at, fired)
        elif s > last_s:
            if m.level or (m.up and m.up[0] <= up_lim):
                self._cross_move(m, last_s, s, price, at, fired)
        elif s < last_s and (m.level or (m.down and m.down[0] <= down_lim)):
            self._cross_move(m, last_s, s, price, at, fired)
        m.last_s = s
        m.last_p = price
        m.last_t = t
        self._band(m)
        return fired

    def _change_tick(
        self, m: _Market, point: Point, price: Decimal, at: float, fired: list[Firing]
    ) -> None:
        """A tick of a market with change rules: buffer the point for the windows, move
        the bounds by a new running low/high, visit if the price is beyond them."""
        s = point[1]
        buf = m.buf
        buf.append(point)
        if len(buf) > _BUFFERED:
            self._flush(m)
        if s < m.run_lo:
            m.run_lo = s
            q = m.qu_min
            if q >= 0:  # the up trigger from this new low
                x = -((-s * (m.hq + q)) // m.hq) - 1
                if x < m.ch_top:
                    m.ch_top = x
        elif s > m.run_hi:
            m.run_hi = s
            q = m.qd_min
            if q >= 0:
                x = s * (m.hq - q) // m.hq + 1
                if x > m.ch_bot:
                    m.ch_bot = x
        if s > m.ch_top or s < m.ch_bot:
            self._fire_change(m, point, price, at, fired)

    @staticmethod
    def _band(m: _Market) -> None:
        """The band of prices and times in which no level, cross or cooldown rule acts,
        from the tops of their structures (a stale top only narrows it: still correct).
        Change rules keep their own bounds (``ch_*``)."""
        lo = 0
        hi = _HUGE
        until = _INF
        if m.above:
            hi = m.above[0] >> _SHIFT  # quiet below the lowest above level
        if m.below:
            lo = -(m.below[0] >> _SHIFT)  # and above the highest below level
        last_s = m.last_s  # set: this runs after a tick (pending cross rules are settled)
        assert last_s is not None
        if m.level:  # rules at the last price change side on any move
            lo = max(lo, last_s - 1)
            hi = min(hi, last_s + 1)
        if m.up:
            hi = min(hi, m.up[0] >> _SHIFT)
        if m.down:
            lo = max(lo, -(m.down[0] >> _SHIFT))
        if m.cool:
            until = m.cool[0][0]
        m.q_lo = lo
        m.q_hi = hi
        m.q_until = until

    # --- firing --------------------------------------------------------------------------
    def _hit(
        self,
        m: _Market,
        rid: int,
        rec: _Rec,
        price: Decimal,
        at: float,
        fired: list[Firing],
        base: Decimal | None = None,
    ) -> bool:
        """The condition of ``rec`` holds on this tick: fire it unless it is cooling down
        or over. Returns whether the rule stays indexed (repeating or cooling); the caller
        re-files it (cross) or it goes to the cooldown heap here (the others)."""
        if isinstance(rec, _RecX):
            repeat = rec.repeat
            last = rec.last
            if repeat is not None and last is not None and at < last + repeat:
                if rec.kind is not Kind.CROSS:
                    rec.where = _COOL
                    heappush(m.cool, (last + repeat, rid))
                    if last + repeat < m.q_until:
                        m.q_until = last + repeat
                return True
            if rec.until is not None and at > rec.until:
                rec.where = _DEAD  # expire() reports it
                return False
            fired.append(
                Firing(rid, price, at)
                if base is None
                else Firing(rid, price, at, base, move_pct(price, base))
            )
            if repeat is not None:
                rec.last = at
                if rec.kind is not Kind.CROSS:
                    rec.where = _COOL
                    heappush(m.cool, (at + repeat, rid))
                    if at + repeat < m.q_until:
                        m.q_until = at + repeat
                return True
        else:  # a plain record: once, a level (change rules are always _RecX)
            fired.append(Firing(rid, price, at))
        rec.where = _DEAD
        del self._rules[rid]
        self._forget(rec)
        return False

    def _fire_heap(
        self,
        m: _Market,
        heap: list[int],
        lim: int,
        where: int,
        price: Decimal,
        at: float,
        fired: list[Firing],
    ) -> None:
        rules = self._rules
        while heap and heap[0] <= lim:
            e = heappop(heap)
            rid = e & _MASK
            rec = rules.get(rid)
            if rec is None or rec.where != where or rec.key != e or rec.market is not m:
                continue
            if rec.__class__ is _Rec:  # once, no end: _hit and _forget, inlined
                fired.append(Firing(rid, price, at))
                rec.where = _DEAD
                del rules[rid]
                m.n -= 1
                if not m.n:
                    self._drop(m)
            else:
                self._hit(m, rid, rec, price, at, fired)

    def _cross_move(
        self, m: _Market, prev: int, s: int, price: Decimal, at: float, fired: list[Firing] | None
    ) -> None:
        """The price moved from ``prev`` to ``s``: fire the cross rules in between (none
        when ``fired`` is None: a seed) and move every crossed rule to its new side."""
        rules = self._rules
        if s > prev:
            for e in m.level:  # they were at prev; now below the price
                rec = rules.get(e & _MASK)
                if rec is not None and rec.where == _LEVEL and rec.key == e and rec.market is m:
                    rec.where = _DOWN
                    heappush(m.down, _neg(e))
            m.level = []
            heap = m.up
            lim = ((s + 1) << _SHIFT) - 1
            while heap and heap[0] <= lim:
                e = heappop(heap)
                rid = e & _MASK
                rec = rules.get(rid)
                if rec is None or rec.where != _UP or rec.key != e or rec.market is not m:
                    continue
                if fired is None or self._hit(m, rid, rec, price, at, fired):
                    if e >> _SHIFT == s:
                        rec.where = _LEVEL
                        m.level.append(e)
                    else:
                        rec.where = _DOWN
                        heappush(m.down, _neg(e))
        else:
            for e in m.level:
                rec = rules.get(e & _MASK)
                if rec is not None and rec.where == _LEVEL and rec.key == e and rec.market is m:
                    rec.where = _UP
                    heappush(m.up, e)
            m.level = []
            heap = m.down
            lim = ((1 - s) << _SHIFT) - 1
            while heap and heap[0] <= lim:
                ne = heappop(heap)
                e = _neg(ne)
                rid = e & _MASK
                rec = rules.get(rid)
                if rec is None or rec.where != _DOWN or rec.key != e or rec.market is not m:
                    continue
                if fired is None or self._hit(m, rid, rec, price, at, fired):
                    if e >> _SHIFT == s:
                        rec.where = _LEVEL
                        m.level.append(e)
                    else:
                        rec.where = _UP
                        heappush(m.up, e)

    def _settle_pending(
        self, m: _Market, s: int, price: Decimal | None, at: float, fired: list[Firing] | None
    ) -> None:
        """The first price of a market: judge the cross rules made before it against
        their reference price (when ``fired`` is given), then file them by side."""
        rules = self._rules
        pending, m.pending = m.pending, []
        for e in pending:
            rid = e & _MASK
            rec = rules.get(rid)
            if rec is None or rec.where != _PENDING or rec.key != e or rec.market is not m:
                continue
            rec.where = _DEAD  # a duplicate entry is now stale
            if fired is not None and rec.rc is not None:
                assert price is not None
                ref = _join(rec.rc, rec.re)
                level = _join(e >> _SHIFT, -m.k)
                if (ref < level <= price or ref > level >= price) and not self._hit(
                    m, rid, rec, price, at, fired
                ):
                    continue
            self._file_cross(m, rec, e, s)

    def _fire_change(
        self, m: _Market, point: Point, price: Decimal, at: float, fired: list[Firing]
    ) -> None:
        """A visit: some change rule may fire. For each window length find its exact low
        and high, fire the prefix of its heaps that the move reaches, and take its
        trigger prices; the market's bounds become the nearest of those. O(window
        lengths × log(points) + log n + fired); only ticks at a bound get here."""
        self._flush(m)
        t = point[0]
        s = point[1]
        hq = m.hq
        lo, hi = m.lo, m.hi
        top = _HUGE
        bot = 0
        qu_min = qd_min = -1
        for g in list(m.groups.values()):
            window = g.window
            lp = lo[_first_in(lo, m.lo_head, t, window)]
            hp = hi[_first_in(hi, m.hi_head, t, window)]
            lo_s = lp[1]
            hi_s = hp[1]
            q_up, q_down = _easiest(g)
            # up fires when (p - lo) * hq >= q * lo; down when (hi - p) * hq >= q * hi
            if (q_up >= 0 and (s - lo_s) * hq >= q_up * lo_s) or (
                q_down >= 0 and (hi_s - s) * hq >= q_down * hi_s
            ):
                self._fire_group(m, g, lp, hp, s, price, at, fired)
                q_up, q_down = _easiest(g)
            if q_up < 0 and q_down < 0:
                if m.groups.get(window) is g:
                    del m.groups[window]  # all fired or cooling: re-created when re-armed
                continue
            if q_up >= 0:
                x = -((-lo_s * (hq + q_up)) // hq) - 1
                if x < top:
                    top = x
                if qu_min < 0 or q_up < qu_min:
                    qu_min = q_up
            if q_down >= 0:
                x = hi_s * (hq - q_down) // hq + 1
                if x > bot:
                    bot = x
                if qd_min < 0 or q_down < qd_min:
                    qd_min = q_down
        if m.nchange:
            m.ch_top, m.ch_bot = top, bot
            m.run_lo = m.run_hi = s
            m.qu_min, m.qd_min = qu_min, qd_min
        else:
            self._change_idle(m)

    @staticmethod
    def _change_idle(m: _Market) -> None:
        m.ch_top, m.ch_bot = _HUGE, 0
        m.run_lo, m.run_hi = _HUGE, -1
        m.qu_min = m.qd_min = -1

    def _fire_group(
        self,
        m: _Market,
        g: _Group,
        lp: Point,
        hp: Point,
        s: int,
        price: Decimal,
        at: float,
        fired: list[Firing],
    ) -> None:
        """Fire the prefix of each of the group's heaps that the move from the window's
        low (up) or high (down) reaches (an either-way rule: the larger of the two)."""
        rules = self._rules
        window = g.window
        lo_s = lp[1]
        hi_s = hp[1]
        hq = m.hq
        xu = (s - lo_s) * hq // lo_s
        xd = (hi_s - s) * hq // hi_s
        up_wins = (s - lo_s) * hi_s >= (hi_s - s) * lo_s
        for heap, x, where, base in (
            (g.up, xu, _CHG_UP, lp[2]),
            (g.down, xd, _CHG_DOWN, hp[2]),
            (g.either, xu if up_wins else xd, _CHG_EITHER, lp[2] if up_wins else hp[2]),
        ):
            lim = ((x + 1) << _SHIFT) - 1
            while heap and heap[0] <= lim:
                e = heappop(heap)
                rid = e & _MASK
                rec = rules.get(rid)
                if (
                    rec is None
                    or rec.where != where
                    or rec.key != e
                    or rec.market is not m
                    or not isinstance(rec, _RecX)
                    or rec.window != window
                ):
                    continue
                self._hit(m, rid, rec, price, at, fired, base)

    def _rearm(self, m: _Market, at: float) -> None:
        """Cooldowns that ended by ``at``: their rules go back to their heaps."""
        rules = self._rules
        cool = m.cool
        while cool and cool[0][0] <= at:
            ready, rid = heappop(cool)
            rec = rules.get(rid)
            if (
                rec is None
                or rec.where != _COOL
                or rec.market is not m
                or not isinstance(rec, _RecX)
                or rec.last is None
                or rec.repeat is None
                or rec.last + rec.repeat != ready
            ):
                continue
            self._arm(m, rid, rec)

    # --- filing rules --------------------------------------------------------------------
    def _place(self, m: _Market, rid: int, rec: _Rec) -> None:
        """File a freshly added rule."""
        if rec.kind is Kind.CROSS:
            if m.last_s is None:
                rec.where = _PENDING
                m.pending.append(rec.key)
            else:
                self._file_cross(m, rec, rec.key, m.last_s)
            return
        if isinstance(rec, _RecX) and rec.repeat is not None and rec.last is not None:
            rec.where = _COOL
            heappush(m.cool, (rec.last + rec.repeat, rid))
            return
        self._arm(m, rid, rec)

    def _arm(self, m: _Market, rid: int, rec: _Rec) -> None:
        kind = rec.kind
        if kind is Kind.ABOVE:
            rec.where = _ABOVE
            heappush(m.above, rec.key)
        elif kind is Kind.BELOW:
            rec.where = _BELOW
            heappush(m.below, rec.key)
        else:
            assert isinstance(rec, _RecX) and rec.window is not None
            g = m.groups.get(rec.window)
            if g is None:
                g = m.groups[rec.window] = _Group(rec.window)
            if rec.neg:
                rec.where, heap = _CHG_DOWN, g.down
            elif rec.signed:
                rec.where, heap = _CHG_UP, g.up
            else:
                rec.where, heap = _CHG_EITHER, g.either
            heappush(heap, rec.key)
            m.ch_top = -1  # visit on the next tick

    def _file_cross(self, m: _Market, rec: _Rec, e: int, s: int) -> None:
        level = e >> _SHIFT
        if level > s:
            rec.where = _UP
            heappush(m.up, e)
        elif level < s:
            rec.where = _DOWN
            heappush(m.down, _neg(e))
        else:
            rec.where = _LEVEL
            m.level.append(e)

    def _forget(self, rec: _Rec) -> None:
        """Bookkeeping for a rule that left ``_rules`` (its entries become stale)."""
        m = rec.market
        if rec.where != _DEAD:
            m.garbage += 1
        rec.where = _DEAD
        if isinstance(rec, _RecX) and rec.until is not None:
            self._nuntil -= 1
        m.n -= 1
        if rec.kind is Kind.CHANGE:
            m.nchange -= 1
            if m.nchange == 0:
                m.groups = {}
                self._change_idle(m)
                m.horizon = 0
                m.lo, m.hi = [_LO_END], [_HI_END]
                m.buf = []
                m.lo_head = m.hi_head = 1
        if m.n == 0:
            self._drop(m)

    def _drop(self, m: _Market) -> None:
        """The market's last rule left: forget its state (a stream that stops cannot
        leave a stale last price behind)."""
        key = (m.exchange, m.symbol)
        if self._markets.get(key) is m:
            del self._markets[key]

    def _maybe_compact(self, m: _Market) -> None:
        if m.garbage > m.n + _COMPACT_SLACK and self._markets.get((m.exchange, m.symbol)) is m:
            self._rebuild(m)

    # --- windows -------------------------------------------------------------------------
    def _flush(self, m: _Market) -> None:
        """Move the buffered points into the monotonic lists and drop what the longest
        window no longer sees. One right-to-left pass finds the buffer's own suffix
        minima and maxima; the lists lose their tails that those dominate. O(1) amortised
        per point (each is appended and removed at most once)."""
        buf = m.buf
        if not buf:
            return
        m.buf = []
        mins: list[Point] = []
        maxs: list[Point] = []
        low = _HUGE
        high = -1
        for point in reversed(buf):
            v = point[1]
            if v < low:  # strictly below every later point: a suffix minimum
                mins.append(point)
                low = v
            if v > high:
                maxs.append(point)
                high = v
        mins.reverse()
        maxs.reverse()
        t = buf[-1][0]
        horizon = m.horizon
        lo = m.lo
        while lo[-1][1] >= low:  # dominated by a buffered point; the sentinel at 0 stays
            lo.pop()
        head = m.lo_head if m.lo_head < len(lo) else len(lo)
        lo += mins
        while lo[head][0] + horizon < t:
            head += 1
        if head > 32 and 2 * head > len(lo):
            del lo[1:head]
            head = 1
        m.lo_head = head
        hi = m.hi
        while hi[-1][1] <= high:
            hi.pop()
        head = m.hi_head if m.hi_head < len(hi) else len(hi)
        hi += maxs
        while hi[head][0] + horizon < t:
            head += 1
        if head > 32 and 2 * head > len(hi):
            del hi[1:head]
            head = 1
        m.hi_head = head

    # --- scale and rebuild -----------------------------------------------------------------
    def _scaled(self, m: _Market, price: Decimal) -> int | None:
        """``price`` as an integer at the market's scale, raising the scale if needed;
        None for a price that is not positive and finite."""
        try:
            num: int
            den: int
            num, den = price.as_integer_ratio()
        except (ValueError, OverflowError):
            return None
        if num <= 0:
            return None
        if m.scale % den:
            self._rebuild(m, k=_decimals(den))
        return num * (m.scale // den)

    def _rebuild(self, m: _Market, k: int | None = None, qk: int | None = None) -> None:
        """Rebuild the market's structures from its live entries: drops stale entries,
        and raises the price scale to ``k`` / the percentage scale to ``qk`` decimals
        (every key is multiplied, order is kept). O(entries of the market)."""
        self._flush(m)
        rules = self._rules
        f = 1 if k is None or k <= m.k else 10 ** (k - m.k)
        fq = 1 if qk is None or qk <= m.kq else 10 ** (qk - m.kq)
        live: dict[int, _Rec] = {}

        def take(e: int, where: int) -> None:
            rid = e & _MASK
            rec = rules.get(rid)
            if rec is not None and rec.where == where and rec.key == e and rec.market is m:
                live[rid] = rec

        for e in m.above:
            take(e, _ABOVE)
        for e in m.below:
            take(e, _BELOW)
        for e in m.up:
            take(e, _UP)
        for e in m.down:
            take(_neg(e), _DOWN)
        for e in m.level:
            take(e, _LEVEL)
        for e in m.pending:
            take(e, _PENDING)
        for g in m.groups.values():
            for e in g.up:
                take(e, _CHG_UP)
            for e in g.down:
                take(e, _CHG_DOWN)
            for e in g.either:
                take(e, _CHG_EITHER)
        cooling: list[tuple[float, int]] = []
        for ready, rid in set(m.cool):
            rec = rules.get(rid)
            if (
                isinstance(rec, _RecX)
                and rec.where == _COOL
                and rec.market is m
                and rec.last is not None
                and rec.repeat is not None
                and rec.last + rec.repeat == ready
            ):
                live[rid] = rec
                cooling.append((ready, rid))
        if f != 1:
            m.k = k if k is not None else m.k
            m.scale = 10**m.k
            if m.last_s is not None:
                m.last_s *= f
            m.lo = [(pt[0], pt[1] * f, pt[2]) for pt in m.lo]
            m.hi = [(pt[0], pt[1] * f, pt[2]) for pt in m.hi]
        if fq != 1:
            m.kq = qk if qk is not None else m.kq
            m.hq = 100 * 10**m.kq
        above: list[int] = []
        below: list[int] = []
        up: list[int] = []
        down: list[int] = []
        level: list[int] = []
        pending: list[int] = []
        groups: dict[int, _Group] = {}
        for rid, rec in live.items():
            factor = fq if rec.kind is Kind.CHANGE else f
            if factor != 1:
                rec.key = (((rec.key >> _SHIFT) * factor) << _SHIFT) | rid
                rec.rk = m.kq if rec.kind is Kind.CHANGE else m.k
            where = rec.where
            key = rec.key
            if where == _ABOVE:
                above.append(key)
            elif where == _BELOW:
                below.append(key)
            elif where == _UP:
                up.append(key)
            elif where == _DOWN:
                down.append(_neg(key))
            elif where == _LEVEL:
                level.append(key)
            elif where == _PENDING:
                pending.append(key)
            elif where != _COOL:
                assert isinstance(rec, _RecX) and rec.window is not None
                group = groups.get(rec.window)
                if group is None:
                    group = groups[rec.window] = _Group(rec.window)
                if where == _CHG_UP:
                    group.up.append(key)
                elif where == _CHG_DOWN:
                    group.down.append(key)
                else:
                    group.either.append(key)
        for heap in (above, below, up, down):
            heapify(heap)
        for g in groups.values():
            for heap in (g.up, g.down, g.either):
                heapify(heap)
        m.above, m.below, m.up, m.down, m.level, m.pending = above, below, up, down, level, pending
        m.groups = groups
        m.ch_top = -1
        m.run_lo, m.run_hi = _HUGE, -1
        m.q_lo = m.q_hi = 0
        m.cool = cooling
        heapify(cooling)
        m.garbage = 0

    # --- rebuilding the rule --------------------------------------------------------------
    def _rule_of(self, rid: int, rec: _Rec) -> AlertRule:
        m = rec.market
        magnitude = abs(rec.key >> _SHIFT)
        value = _join(magnitude // 10 ** (rec.rk + rec.pe), rec.pe)
        ref = None if rec.rc is None else _join(rec.rc, rec.re)
        if not isinstance(rec, _RecX):
            return AlertRule(rid, m.exchange, m.symbol, rec.kind, price=value, reference_price=ref)
        change = rec.kind is Kind.CHANGE
        return AlertRule(
            rid,
            m.exchange,
            m.symbol,
            rec.kind,
            price=None if change else value,
            pct=(-value if rec.neg else value) if change else None,
            window=rec.window,
            repeat_every=rec.repeat,
            until=rec.until,
            reference_price=ref,
            last_fired_at=rec.last,
            signed=rec.signed,
        )


def _validate(rule: AlertRule, kind: Kind) -> None:
    """Refuse what the engine could not judge exactly (the service validates for users)."""
    if not 0 <= rule.id <= _MASK:
        raise ValueError(f"alert id {rule.id} is not an unsigned 64-bit integer")
    if kind is Kind.CHANGE:
        if rule.pct is None or not rule.pct.is_finite() or rule.pct == 0:
            raise ValueError(f"alert {rule.id}: a change needs a non-zero pct")
        if rule.window is None or rule.window <= 0:
            raise ValueError(f"alert {rule.id}: a change needs a positive window")
    elif rule.price is None or not rule.price.is_finite() or rule.price <= 0:
        raise ValueError(f"alert {rule.id}: {kind} needs a positive price")
    if rule.repeat_every is not None and rule.repeat_every <= 0:
        raise ValueError(f"alert {rule.id}: repeat_every must be positive")
    if rule.reference_price is not None and not rule.reference_price.is_finite():
        raise ValueError(f"alert {rule.id}: the reference price must be finite")
