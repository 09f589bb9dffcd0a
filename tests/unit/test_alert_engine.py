"""The alert engine: each kind fires exactly when it should, and the index agrees with a
naive scan of every rule on random rule sets and tick sequences (hypothesis).

Times are injected; nothing sleeps.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Context, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts import engine as engine_module
from bot.alerts.engine import AlertEngine
from bot.alerts.model import AlertRule, Firing, Kind

D = Decimal
EX = "wallex"
SYM = "BTCUSDT"


# --- the reference: the same semantics by scanning every rule -----------------------------
@dataclass
class _NaiveMarket:
    last: Decimal | None = None
    last_t: float | None = None
    history: list[tuple[float, Decimal]] = field(default_factory=list)
    horizon: int = 0


class NaiveEngine:
    """Obviously-correct (and slow) statement of the engine's semantics.

    Every tick looks at every rule of the market; change windows keep every tick and
    take min/max over the window. What it mirrors on purpose (documented engine
    behaviour): a market's state lives while it has rules; the windows keep what the
    longest window of the market's change rules needs; a market without change rules
    keeps only its last point; times are clamped to the latest seen for windows; a rule
    whose condition holds after its ``until`` is dead until ``expire`` reports it.
    """

    def __init__(self) -> None:
        self.rules: dict[int, AlertRule] = {}
        self.dead: set[int] = set()
        self.state: dict[tuple[str, str], _NaiveMarket] = {}

    def _count(self, key: tuple[str, str]) -> tuple[int, int]:
        rules = [r for r in self.rules.values() if (r.exchange, r.symbol) == key]
        return len(rules), sum(r.kind is Kind.CHANGE for r in rules)

    def _settle(self, key: tuple[str, str], nchange_before: int) -> None:
        st_ = self.state.get(key)
        if st_ is None:
            return
        n, nchange = self._count(key)
        if nchange_before and not nchange:
            st_.horizon = 0
            st_.history = st_.history[-1:]
        if n == 0:
            del self.state[key]

    def __len__(self) -> int:
        return len(self.rules)

    def markets(self) -> set[tuple[str, str]]:
        return {(r.exchange, r.symbol) for r in self.rules.values()}

    def get(self, alert_id: int) -> AlertRule | None:
        return self.rules.get(alert_id)

    def add(self, rule: AlertRule) -> None:
        key = (rule.exchange, rule.symbol)
        m = self.state.setdefault(key, _NaiveMarket())
        if rule.kind is Kind.CHANGE:
            assert rule.window is not None
            m.horizon = max(m.horizon, rule.window)
        old = self.rules.get(rule.id)
        self.rules[rule.id] = rule
        self.dead.discard(rule.id)
        if old is not None:
            # The new rule counts before the old one leaves: the old market only loses
            # its windows if no change rule is left there at all.
            old_key = (old.exchange, old.symbol)
            before = self._count(old_key)[1] + (old.kind is Kind.CHANGE)
            self._settle(old_key, before)

    def remove(self, alert_id: int) -> AlertRule | None:
        rule = self.rules.pop(alert_id, None)
        if rule is None:
            return None
        self.dead.discard(alert_id)
        key = (rule.exchange, rule.symbol)
        self._settle(key, self._count(key)[1] + (rule.kind is Kind.CHANGE))
        return rule

    def expire(self, now: float) -> list[int]:
        gone = sorted(r.id for r in self.rules.values() if r.until is not None and r.until < now)
        for rid in gone:
            self.remove(rid)
        return gone

    @staticmethod
    def _push(m: _NaiveMarket, nchange: int, t: float, price: Decimal) -> None:
        if nchange:
            m.history.append((t, price))
            m.history = [p for p in m.history if p[0] + m.horizon >= t]
        else:
            m.history = [(t, price)]

    def seed(self, exchange: str, symbol: str, points: Sequence[tuple[float, Decimal]]) -> None:
        m = self.state.setdefault((exchange, symbol), _NaiveMarket())
        nchange = self._count((exchange, symbol))[1]
        for at, price in sorted(points, key=lambda p: p[0]):
            if m.last_t is not None and at <= m.last_t:
                continue
            if not price.is_finite() or price <= 0:
                continue
            self._push(m, nchange, at, price)
            m.last, m.last_t = price, at

    def on_tick(self, exchange: str, symbol: str, price: Decimal, at: float) -> list[Firing]:
        key = (exchange, symbol)
        m = self.state.get(key)
        if m is None or not price.is_finite() or price <= 0:
            return []
        t = at if m.last_t is None or at > m.last_t else m.last_t
        nchange = self._count(key)[1]
        self._push(m, nchange, t, price)
        fired: list[Firing] = []
        mine = sorted(
            (r for r in self.rules.values() if (r.exchange, r.symbol) == key), key=lambda r: r.id
        )
        for r in mine:
            if r.id in self.dead:
                continue
            cooling_until = (
                r.last_fired_at + r.repeat_every
                if r.repeat_every is not None and r.last_fired_at is not None
                else None
            )
            if cooling_until is not None and at < cooling_until:
                continue
            base: Decimal | None = None
            if r.kind is Kind.ABOVE:
                assert r.price is not None
                cond = price >= r.price
            elif r.kind is Kind.BELOW:
                assert r.price is not None
                cond = price <= r.price
            elif r.kind is Kind.CROSS:
                assert r.price is not None
                prev = m.last if m.last is not None else r.reference_price
                cond = prev is not None and (prev < r.price <= price or prev > r.price >= price)
            else:
                assert r.pct is not None and r.window is not None
                seen = [p for tt, p in m.history if tt + r.window >= t]
                low, high = min(seen), max(seen)
                up = (Fraction(price) - Fraction(low)) * 100 / Fraction(low)
                down = (Fraction(high) - Fraction(price)) * 100 / Fraction(high)
                q = abs(Fraction(r.pct))
                if r.pct < 0:
                    cond, base = down >= q, high
                elif r.signed or up >= down:
                    cond, base = up >= q, low
                else:
                    cond, base = down >= q, high
            if not cond:
                continue
            if r.until is not None and at > r.until:
                self.dead.add(r.id)
                continue
            if base is None:
                fired.append(Firing(r.id, price, at))
            else:
                with localcontext(Context(prec=28)):
                    move = (price - base) * 100 / base
                fired.append(Firing(r.id, price, at, base, move))
            if r.repeat_every is None:
                del self.rules[r.id]
            else:
                self.rules[r.id] = replace(r, last_fired_at=at)
        m.last, m.last_t = price, t
        if any(f.alert_id not in self.rules for f in fired):
            self._settle(key, nchange)  # a once-rule left: the market may be empty now
        return fired


# --- helpers -------------------------------------------------------------------------------
def rule(rid: int, kind: Kind, value: str | None = None, **kw: object) -> AlertRule:
    market = kw.pop("market", (EX, SYM))
    assert isinstance(market, tuple)
    if kind is Kind.CHANGE:
        return AlertRule(rid, market[0], market[1], kind, pct=D(value or "5"), **kw)  # type: ignore[arg-type]
    return AlertRule(rid, market[0], market[1], kind, price=D(value or "100"), **kw)  # type: ignore[arg-type]


def ids(firings: list[Firing]) -> list[int]:
    return sorted(f.alert_id for f in firings)


def ticks(
    engine: AlertEngine, *prices: str, start: float = 0.0, step: float = 1.0
) -> list[list[int]]:
    return [ids(engine.on_tick(EX, SYM, D(p), start + i * step)) for i, p in enumerate(prices)]


@pytest.fixture
def engine() -> AlertEngine:
    return AlertEngine()


# --- above / below ---------------------------------------------------------------------------
def test_above_fires_at_and_beyond_the_level(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100"))
    engine.add(rule(2, Kind.ABOVE, "100.5"))
    engine.add(rule(3, Kind.ABOVE, "101"))
    assert ticks(engine, "99.99", "100", "100.4", "102") == [[], [1], [], [2, 3]]
    assert len(engine) == 0


def test_below_fires_at_and_beyond_the_level(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.BELOW, "90"))
    engine.add(rule(2, Kind.BELOW, "89"))
    assert ticks(engine, "90.01", "90", "89.5", "80") == [[], [1], [], [2]]


def test_a_level_already_reached_fires_on_the_next_tick(engine: AlertEngine) -> None:
    engine.on_tick(EX, SYM, D("50"), 0)
    engine.add(rule(1, Kind.BELOW, "60"))
    assert ticks(engine, "50", start=1) == [[1]]


# --- cross -------------------------------------------------------------------------------------
def test_cross_up_and_down_through(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100", repeat_every=1))
    assert ticks(engine, "99", "101", "102", "98", "97", "103") == [[], [1], [], [1], [], [1]]


def test_cross_landing_exactly_on_the_level(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100", repeat_every=1))
    # Up onto the level fires; leaving the level (either way) is not another cross.
    assert ticks(engine, "99", "100", "101", "100", "99", "100", "99") == [
        [],
        [1],
        [],
        [1],
        [],
        [1],
        [],
    ]


def test_cross_gap_jump_over_the_level(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100"))
    engine.add(rule(2, Kind.CROSS, "150"))
    engine.add(rule(3, Kind.CROSS, "50"))
    assert ticks(engine, "90", "200", "20") == [[], [1, 2], [3]]


def test_cross_staying_on_one_side_never_fires(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100"))
    assert ticks(engine, "99", "95", "99.999", "90", "99") == [[], [], [], [], []]
    assert ticks(engine, "101", "105", "100.001", start=10) == [[1], [], []]


def test_cross_first_tick_uses_the_reference_price(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100", reference_price=D("95")))
    engine.add(rule(2, Kind.CROSS, "110", reference_price=D("95")))
    engine.add(rule(3, Kind.CROSS, "100"))  # no reference: the first tick only places it
    assert ticks(engine, "105", "99") == [[1], [3]]


def test_cross_prefers_the_markets_last_price_to_the_reference(engine: AlertEngine) -> None:
    engine.on_tick(EX, SYM, D("101"), 0)  # no rules yet: the market is unknown, ignored
    engine.add(rule(9, Kind.ABOVE, "1000"))
    engine.on_tick(EX, SYM, D("101"), 1)
    engine.add(rule(1, Kind.CROSS, "100", reference_price=D("95")))
    assert ticks(engine, "102", "99", start=2) == [[], [1]]


def test_cross_while_cooling_down_tracks_the_side(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100", repeat_every=60))
    # Crosses at 1 (fires), back down at 10 and up at 20 within the cooldown: silent.
    # At 70 the cooldown is over but the price stays above: no cross, no firing.
    # Down through at 80: fires.
    got = [
        ids(engine.on_tick(EX, SYM, D(p), t))
        for t, p in [(0, "99"), (1, "101"), (10, "99"), (20, "101"), (70, "102"), (80, "99")]
    ]
    assert got == [[], [1], [], [], [], [1]]


# --- change ------------------------------------------------------------------------------------
def test_change_up_within_the_window(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "5", window=60, signed=True))
    got = [
        ids(engine.on_tick(EX, SYM, D(p), t))
        for t, p in [(0, "100"), (10, "104.99"), (20, "90"), (30, "94.5")]
    ]
    assert got == [[], [], [], [1]]


def test_change_reports_base_and_signed_move(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "-5", window=60))
    engine.on_tick(EX, SYM, D("100"), 0)
    engine.on_tick(EX, SYM, D("102"), 1)
    (f,) = engine.on_tick(EX, SYM, D("96.9"), 2)
    assert (f.base_price, f.move_pct) == (D("102"), D("-5"))


def test_change_signed_directions(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "5", window=60, signed=True))  # +5: up only
    engine.add(rule(2, Kind.CHANGE, "-5", window=60))  # down only
    engine.add(rule(3, Kind.CHANGE, "5", window=60))  # either way
    assert ticks(engine, "100", "105") == [[], [1, 3]]
    down = AlertEngine()
    down.add(rule(1, Kind.CHANGE, "5", window=60, signed=True))
    down.add(rule(2, Kind.CHANGE, "-5", window=60))
    down.add(rule(3, Kind.CHANGE, "5", window=60))
    assert ticks(down, "100", "95") == [[], [2, 3]]


def test_change_either_reports_the_larger_move(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "6", window=60))
    assert ticks(engine, "95", "100") == [[], []]  # +5.26% from the low: not yet
    (f,) = engine.on_tick(EX, SYM, D("90"), 2)  # -10% from 100 beats +5.26% from 95
    assert (f.alert_id, f.base_price, f.move_pct) == (1, D("100"), D("-10"))


def test_change_old_points_leave_the_window(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "5", window=60, signed=True))
    # 100 at 0 is in the window at 60 (inclusive) but not at 61.
    assert [
        ids(engine.on_tick(EX, SYM, D(p), t)) for t, p in [(0, "100"), (30, "103"), (61, "105")]
    ] == [[], [], []]
    engine2 = AlertEngine()
    engine2.add(rule(1, Kind.CHANGE, "5", window=60, signed=True))
    assert [
        ids(engine2.on_tick(EX, SYM, D(p), t)) for t, p in [(0, "100"), (30, "103"), (60, "105")]
    ] == [[], [], [1]]


def test_change_windows_of_different_lengths_share_the_market(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "10", window=3600, signed=True))
    engine.add(rule(2, Kind.CHANGE, "10", window=60, signed=True))
    got = [
        ids(engine.on_tick(EX, SYM, D(p), t)) for t, p in [(0, "100"), (100, "105"), (150, "110")]
    ]
    assert got == [[], [], [1]]  # within 60 s it only moved 105 -> 110


def test_change_pct_exactly_at_the_threshold(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "33.333", window=60, signed=True))
    engine.add(rule(2, Kind.CHANGE, "33.334", window=60, signed=True))
    assert ticks(engine, "3", "3.99999") == [[], [1]]


# --- once / every / until ----------------------------------------------------------------------
def test_once_fires_once(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100"))
    assert ticks(engine, "101", "102", "101") == [[1], [], []]
    assert engine.get(1) is None
    assert engine.markets() == set()


def test_every_fires_again_after_the_cooldown_while_the_condition_holds(
    engine: AlertEngine,
) -> None:
    engine.add(rule(1, Kind.ABOVE, "100", repeat_every=60))
    got = [
        ids(engine.on_tick(EX, SYM, D(p), t))
        for t, p in [
            (0, "101"),
            (30, "102"),
            (59.9, "103"),
            (60, "99"),
            (61, "100"),
            (100, "105"),
            (121, "104"),
        ]
    ]
    assert got == [[1], [], [], [], [1], [], [1]]
    r = engine.get(1)
    assert r is not None and r.last_fired_at == 121


def test_every_added_with_last_fired_at_waits_for_the_cooldown(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.BELOW, "100", repeat_every=60, last_fired_at=1000.0))
    got = [ids(engine.on_tick(EX, SYM, D("90"), t)) for t in (1010, 1059, 1060)]
    assert got == [[], [], [1]]


def test_every_change_fires_again_only_after_the_cooldown(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CHANGE, "5", window=600, repeat_every=100))
    got = [
        ids(engine.on_tick(EX, SYM, D(p), t))
        for t, p in [(0, "100"), (10, "106"), (50, "107"), (110, "106"), (120, "106")]
    ]
    assert got == [[], [1], [], [1], []]


def test_until_passed_never_fires_and_expire_sweeps(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100", until=50.0))
    engine.add(rule(2, Kind.ABOVE, "100", until=500.0))
    engine.add(rule(3, Kind.BELOW, "10", until=60.0))
    assert engine.expire(50.0) == []  # until 50 has not passed at 50
    assert ids(engine.on_tick(EX, SYM, D("101"), 51)) == [2]
    assert len(engine) == 2  # 1 is over but stays until expire() reports it
    assert sorted(engine.expire(61.0)) == [1, 3]
    assert len(engine) == 0 and engine.markets() == set()


def test_until_on_the_tick_itself_still_fires(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100", until=50.0))
    assert ids(engine.on_tick(EX, SYM, D("101"), 50)) == [1]


# --- index operations ----------------------------------------------------------------------------
def test_remove(engine: AlertEngine) -> None:
    r = rule(1, Kind.ABOVE, "100.50", reference_price=D("99.00"))
    engine.add(r)
    engine.add(rule(2, Kind.ABOVE, "100"))
    assert engine.remove(1) == r
    assert engine.remove(1) is None
    assert ticks(engine, "101") == [[2]]


def test_get_gives_back_the_rule_digit_for_digit(engine: AlertEngine) -> None:
    rules = [
        rule(1, Kind.ABOVE, "100.50", reference_price=D("99.00")),
        rule(2, Kind.BELOW, "1E+3"),
        rule(3, Kind.CROSS, "0.000000000123", reference_price=D("-0.5")),
        rule(
            4,
            Kind.CHANGE,
            "-2.50",
            window=300,
            repeat_every=60,
            until=9.5,
            last_fired_at=1.0,
            signed=True,
        ),
        rule(5, Kind.CHANGE, "0.00001", window=300),
    ]
    for r in rules:
        engine.add(r)
    for r in rules:
        got = engine.get(r.id)
        assert got == r and str(got.price) == str(r.price) and str(got.pct) == str(r.pct)


def test_re_add_replaces_the_rule(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100"))
    engine.add(rule(1, Kind.ABOVE, "200"))
    engine.add(rule(1, Kind.BELOW, "50"))
    assert len(engine) == 1
    assert ticks(engine, "150", "250", "50") == [[], [], [1]]


def test_re_add_re_arms_a_fired_once_rule(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100"))
    assert ticks(engine, "101") == [[1]]
    engine.add(rule(1, Kind.ABOVE, "100"))
    assert ticks(engine, "101", start=1) == [[1]]


def test_markets(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "100", market=("wallex", "BTCUSDT")))
    engine.add(rule(2, Kind.ABOVE, "100", market=("wallex", "ETHUSDT")))
    engine.add(rule(3, Kind.ABOVE, "100", market=("narkasa", "BTCUSDT")))
    assert engine.markets() == {
        ("wallex", "BTCUSDT"),
        ("wallex", "ETHUSDT"),
        ("narkasa", "BTCUSDT"),
    }
    engine.remove(2)
    engine.on_tick("narkasa", "BTCUSDT", D("100"), 0)
    assert engine.markets() == {("wallex", "BTCUSDT")}
    assert engine.on_tick("wallex", "ETHUSDT", D("500"), 1) == []


def test_seed_primes_without_firing(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100", reference_price=D("90")))
    engine.add(rule(2, Kind.CHANGE, "5", window=600, signed=True))
    engine.add(rule(3, Kind.ABOVE, "103"))
    engine.seed(EX, SYM, [(20, D("104")), (10, D("97")), (0, D("100")), (5, D("NaN"))])
    assert len(engine) == 3  # nothing fired
    # The seeded price 104 is above the level: going to 102 (from 104, not from 90) is
    # no cross up; the window remembers the 97 low: 102 is +5.15%; above 103 still holds.
    assert ids(engine.on_tick(EX, SYM, D("102"), 30)) == [2]
    assert ids(engine.on_tick(EX, SYM, D("103"), 31)) == [3]
    assert ids(engine.on_tick(EX, SYM, D("99"), 32)) == [1]


def test_seed_ignores_points_older_than_what_ticks_said(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.CROSS, "100"))
    engine.on_tick(EX, SYM, D("99"), 50)
    engine.seed(EX, SYM, [(40, D("101"))])
    assert ticks(engine, "101", start=60) == [[1]]


def test_many_rules_on_one_market_fire_in_one_tick(engine: AlertEngine) -> None:
    for i in range(1000):
        engine.add(rule(i, Kind.ABOVE, str(100 + i)))
        engine.add(rule(10_000 + i, Kind.CROSS, str(100 + i)))
    engine.on_tick(EX, SYM, D("99"), 0)
    fired = engine.on_tick(EX, SYM, D("599.5"), 1)
    assert ids(fired) == [*range(500), *range(10_000, 10_500)]
    assert len(engine) == 1000


def test_decimal_exactness(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.ABOVE, "0.3"))
    engine.add(rule(2, Kind.BELOW, "0.3"))
    engine.add(rule(3, Kind.ABOVE, "0.30000000000000004"))  # 0.1 + 0.2 in floats
    price = D("0.1") + D("0.2")
    assert ids(engine.on_tick(EX, SYM, price, 0)) == [1, 2]
    # A tick with more decimals than the market held raises its scale, exactly.
    assert ids(engine.on_tick(EX, SYM, D("0.300000000000000039"), 1)) == []
    assert ids(engine.on_tick(EX, SYM, D("0.30000000000000004"), 2)) == [3]


def test_bad_ticks_are_ignored(engine: AlertEngine) -> None:
    engine.add(rule(1, Kind.BELOW, "1"))
    for bad in (D("0"), D("-1"), D("NaN"), D("Infinity")):
        assert engine.on_tick(EX, SYM, bad, 0) == []
    assert len(engine) == 1


def test_rules_the_engine_cannot_judge_are_refused(engine: AlertEngine) -> None:
    with pytest.raises(ValueError):
        engine.add(AlertRule(1, EX, SYM, Kind.ABOVE))
    with pytest.raises(ValueError):
        engine.add(AlertRule(1, EX, SYM, Kind.CHANGE, pct=D("0"), window=60))
    with pytest.raises(ValueError):
        engine.add(AlertRule(1, EX, SYM, Kind.CHANGE, pct=D("5")))
    assert len(engine) == 0


def test_removed_rules_are_swept_from_the_heaps(engine: AlertEngine) -> None:
    for i in range(2000):
        engine.add(rule(i, Kind.ABOVE, str(1000 + i)))
    for i in range(1990):
        engine.remove(i)
    m = engine._markets[(EX, SYM)]
    assert len(m.above) < 200
    assert ticks(engine, "5000") == [list(range(1990, 2000))]


def test_rules_survive_a_rise_of_the_market_scale(engine: AlertEngine) -> None:
    rules = [
        rule(1, Kind.ABOVE, "101.5"),
        rule(2, Kind.BELOW, "99.25", repeat_every=10),
        rule(3, Kind.CROSS, "100.125"),
        rule(4, Kind.CHANGE, "1.5", window=60, signed=True),
    ]
    for r in rules:
        engine.add(r)
    engine.on_tick(EX, SYM, D("100"), 0)
    # 13 decimals: every key of the market is multiplied, none is lost or reordered.
    assert ids(engine.on_tick(EX, SYM, D("100.1250000000001"), 1)) == [3]
    assert engine.get(1) == rules[0] and engine.get(4) == rules[3]
    assert str(engine.get(2).price) == "99.25"  # type: ignore[union-attr]
    assert ids(engine.on_tick(EX, SYM, D("101.5"), 2)) == [1, 4]
    assert ids(engine.on_tick(EX, SYM, D("99.2500000000000"), 3)) == [2]


def test_windows_stay_short_on_a_long_trend(engine: AlertEngine) -> None:
    """A steady rise keeps every point as a window low until it ages out: the lists are
    trimmed to the longest window and compacted; quiet ticks wait in the buffer."""
    naive = NaiveEngine()
    for r in (rule(1, Kind.CHANGE, "50", window=10, signed=True),
              rule(2, Kind.CHANGE, "-1", window=10)):  # fmt: skip
        engine.add(r)
        naive.add(r)
    price = D("100")
    for i in range(1000):
        price += D("0.01")
        assert engine.on_tick(EX, SYM, price, i / 10) == naive.on_tick(EX, SYM, price, i / 10)
    m = engine._markets[(EX, SYM)]
    engine._flush(m)
    assert len(m.lo) - m.lo_head <= 102 and len(m.lo) < 300
    # Down 1% from the high of the last 10 s (109.99 -> 108.8899): fires, once.
    drop = D("108.8899")
    (f,) = engine.on_tick(EX, SYM, drop, 100.0)
    assert f == naive.on_tick(EX, SYM, drop, 100.0)[0]
    assert (f.alert_id, f.base_price) == (2, D("110.00"))


def test_ticks_out_of_order(engine: AlertEngine) -> None:
    """A late tick counts for the windows at the latest time seen; cooldowns and ends
    are judged at the tick's own time (the same as the reference)."""
    naive = NaiveEngine()
    rules = [
        rule(1, Kind.ABOVE, "100", repeat_every=10),
        rule(2, Kind.CHANGE, "2", window=20, repeat_every=5),
        rule(3, Kind.CROSS, "101", repeat_every=3),
        rule(4, Kind.BELOW, "98", until=40.0),
    ]
    for r in rules:
        engine.add(r)
        naive.add(r)
    steps = [
        (0, "99"), (10, "101"), (25, "102"), (15, "100.5"), (36, "99"), (30, "101"),
        (31, "97"), (20, "96"), (45, "97.5"), (41, "99"), (60, "103"), (55, "100"),
    ]  # fmt: skip
    for at, p in steps:
        got = engine.on_tick(EX, SYM, D(p), at)
        want = naive.on_tick(EX, SYM, D(p), at)
        assert sorted(got, key=lambda f: f.alert_id) == sorted(want, key=lambda f: f.alert_id)
    assert sorted(engine.expire(60)) == naive.expire(60)


def test_a_long_random_walk_agrees_with_the_naive_scan() -> None:
    """Thousands of ticks: the windows' lists are trimmed and compacted, the buffer is
    flushed many times, rules fire, cool down and are re-added along the way."""
    rng = random.Random(7)
    engine, naive = AlertEngine(), NaiveEngine()
    windows = (15, 40, 90)

    def new_rule(rid: int, price: Decimal) -> AlertRule:
        kind = rng.choice(list(Kind))
        repeat = rng.choice((None, None, 20, 60))
        if kind is Kind.CHANGE:
            pct = D(rng.choice(("0.2", "0.5", "1", "-0.3", "-1")))
            return AlertRule(rid, EX, SYM, kind, pct=pct, window=rng.choice(windows),
                             repeat_every=repeat, signed=rng.random() < 0.5)  # fmt: skip
        level = (price * D(1 + rng.gauss(0, 0.01))).quantize(D("0.01"))
        return AlertRule(rid, EX, SYM, kind, price=level, repeat_every=repeat,
                         reference_price=price)  # fmt: skip

    price = D("100.00")
    for rid in range(40):
        r = new_rule(rid, price)
        engine.add(r)
        naive.add(r)
    at = 0.0
    for i in range(2500):
        at += rng.choice((0.25, 0.5, 1.0, 2.0))
        price = max(D("1.00"), (price * D(1 + rng.gauss(0, 0.002))).quantize(D("0.01")))
        got = engine.on_tick(EX, SYM, price, at)
        want = naive.on_tick(EX, SYM, price, at)
        assert sorted(got, key=lambda f: f.alert_id) == sorted(want, key=lambda f: f.alert_id)
        if i % 50 == 0:  # keep the population up: re-add what fired, replace some
            for rid in range(40):
                if engine.get(rid) is None or rng.random() < 0.05:
                    r = new_rule(rid, price)
                    engine.add(r)
                    naive.add(r)
    assert len(engine) == len(naive)
    m = engine._markets[(EX, SYM)]
    assert len(m.lo) < 400 and len(m.hi) < 400  # trimmed to the longest window


# --- the property: same firings as the naive scan -----------------------------------------
LEVELS = [D("99"), D("99.5"), D("100"), D("100.5"), D("101"), D("102"), D("100.000000001")]
PCTS = [D("0.5"), D("1"), D("1.5"), D("2"), D("-0.5"), D("-1"), D("-2"), D("0.00001")]
MARKETS = [(EX, SYM), (EX, "ETHUSDT")]

kinds = st.sampled_from(list(Kind))
rules_st = st.builds(
    lambda rid, kind, level, pct, signed, window, repeat, until, ref, last, mk: AlertRule(
        rid,
        mk[0],
        mk[1],
        kind,
        price=None if kind is Kind.CHANGE else level,
        pct=pct if kind is Kind.CHANGE else None,
        window=window if kind is Kind.CHANGE else None,
        repeat_every=repeat,
        until=until,
        reference_price=ref,
        last_fired_at=last,
        signed=signed if kind is Kind.CHANGE else False,
    ),
    st.integers(0, 12),
    kinds,
    st.sampled_from(LEVELS),
    st.sampled_from(PCTS),
    st.booleans(),
    st.sampled_from([5, 20, 60]),
    st.sampled_from([None, None, 3, 15]),
    st.sampled_from([None, None, None, 30.0, 80.0]),
    st.sampled_from([None, D("98"), D("101.5")]),
    st.sampled_from([None, None, 0.0, 10.0]),
    st.sampled_from(MARKETS),
)
prices_st = st.sampled_from(
    [
        D("98"),
        D("99"),
        D("99.5"),
        D("100"),
        D("100.5"),
        D("101"),
        D("101.2"),
        D("102"),
        D("103"),
        D("100.000000001"),
        D("99.0000000005"),
    ]
)
ops_st = st.lists(
    st.one_of(
        st.tuples(st.just("add"), rules_st),
        st.tuples(st.just("remove"), st.integers(0, 12)),
        st.tuples(
            st.just("tick"),
            st.sampled_from(MARKETS),
            prices_st,
            st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0, 25.0, -3.0]),
        ),
        st.tuples(
            st.just("seed"),
            st.sampled_from(MARKETS),
            st.lists(st.tuples(st.sampled_from([-5.0, 0.0, 1.0, 3.0]), prices_st), max_size=3),
        ),
        st.tuples(st.just("expire")),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops_st)
def test_engine_agrees_with_a_naive_scan(ops: list[tuple[object, ...]]) -> None:
    run_against_naive(ops)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops_st)
def test_engine_agrees_with_a_naive_scan_when_compacting_all_the_time(
    ops: list[tuple[object, ...]],
) -> None:
    slack = engine_module._COMPACT_SLACK
    engine_module._COMPACT_SLACK = -1  # rebuild the market on every removal
    try:
        run_against_naive(ops)
    finally:
        engine_module._COMPACT_SLACK = slack


def run_against_naive(ops: list[tuple[object, ...]]) -> None:
    engine = AlertEngine()
    naive = NaiveEngine()
    now = 0.0
    for op in ops:
        if op[0] == "add":
            r = op[1]
            assert isinstance(r, AlertRule)
            engine.add(r)
            naive.add(r)
        elif op[0] == "remove":
            rid = op[1]
            assert isinstance(rid, int)
            assert engine.remove(rid) == naive.remove(rid)
        elif op[0] == "tick":
            (ex, sym), price, dt = op[1], op[2], op[3]  # type: ignore[misc]
            now += dt  # type: ignore[operator]
            got = sorted(engine.on_tick(ex, sym, price, now), key=lambda f: f.alert_id)
            want = sorted(naive.on_tick(ex, sym, price, now), key=lambda f: f.alert_id)
            assert got == want
        elif op[0] == "seed":
            (ex, sym), pts = op[1], op[2]  # type: ignore[misc]
            points = [(now + dt, p) for dt, p in pts]  # type: ignore[attr-defined]
            engine.seed(ex, sym, points)
            naive.seed(ex, sym, points)
        else:
            assert sorted(engine.expire(now)) == naive.expire(now)
        assert len(engine) == len(naive)
        assert engine.markets() == naive.markets()
        for rid in range(13):
            assert engine.get(rid) == naive.get(rid)


def test_wallexpay_pairs_are_read_in_any_spelling_and_rounded_as_rates_show() -> None:
    from bot.alerts.wallexpay import rounded, split_symbol, symbol_of

    assert split_symbol("btc/usdt") == ("BTC", "USDT")
    assert split_symbol("BTC-USDT") == split_symbol("BTC_USDT") == ("BTC", "USDT")
    assert split_symbol("BTCUSDT") is None  # joined: looked up among the offered pairs
    assert symbol_of("btc", "usdt") == "BTC-USDT"
    assert rounded(Decimal("86600.01782032")) == Decimal("86600.02")
    assert rounded(Decimal("1.23456789")) == Decimal("1.2346")
    assert rounded(Decimal("0.0000123456789")) == Decimal("0.00001235")
