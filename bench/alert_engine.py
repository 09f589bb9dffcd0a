"""How many ticks per second the alert engine matches, against a scan of every rule.

Run: ``python bench/alert_engine.py`` (``--quick``: a tenth of the rules and ticks;
``--uniform``: every market equally popular). Prints the figures; about a minute.

The population is built to look like a user base: 1,000,000 active rules over 1,000
markets, market popularity Zipf-like (a few markets such as BTC/USDT hold most rules and
get most ticks); 40% above and 35% below levels, 12% crosses, at a half-normal distance
from the price (sigma 8%); 13% change alerts over 5 minutes to a day (bigger moves for
longer windows; either way, down, or up only); 15% repeating, 10% with an end; every
rule with the reference price the service gives it. Each market is seeded with its price
and a day of 5-minute points before it (as the service seeds after a restart, so the
windows start full), then a random walk of ticks (about 1% an hour) visits the markets
by the same popularity.

The engine's ticks are timed over the whole stream, and apart over its first tenth: the
burst of rules that were already true at the start (a day of history makes many change
alerts true at once). The baseline is the obvious code: per tick, look at every rule of
that market (with per-window min/max deques for the change rules, so only the scan
itself is naive); it is timed on a prefix of the same stream and must produce exactly
the engine's firings there. Memory is the growth of the resident set while the rules are
added (one rule object at a time, as the service loads them: the engine keeps none).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.alerts.engine import AlertEngine, move_pct
from bot.alerts.model import AlertRule, Firing, Kind

# Window lengths and the moves people ask about for each (bigger for longer windows).
PCTS_BY_WINDOW = {
    300: ("0.5", "1", "2"),
    900: ("1", "1.5", "2", "3"),
    3600: ("1", "2", "3", "5"),
    14_400: ("2", "3", "5", "10"),
    86_400: ("3", "5", "10", "20"),
}
WINDOWS = tuple(PCTS_BY_WINDOW)
COOLDOWNS = (900, 3600, 14_400)
DISTANCE = 0.08  # levels: a half-normal distance from the price, this wide
TICKS_PER_SECOND = 200.0  # of simulated time, over all markets
HISTORY_POINTS = 288  # a day of 5-minute candles
HOURLY_VOLATILITY = 0.01


@dataclass
class Market:
    exchange: str
    symbol: str
    price: Decimal
    places: int  # decimals of the price (the exchange's tick size)
    weight: float


def make_markets(n: int, rng: random.Random, uniform: bool = False) -> list[Market]:
    markets = []
    exchanges = ("wallex", "narkasa", "alp", "wex", "wallexpay")
    for i in range(n):
        magnitude = rng.choice((-4, -2, 0, 1, 2, 3, 4, 5, 9))  # IRT prices are large
        base = rng.uniform(1, 10) * 10.0**magnitude
        places = max(0, 4 - magnitude) if magnitude < 6 else 0
        price = Decimal(f"{base:.{places}f}")
        weight = 1.0 if uniform else 1.0 / (i + 1)  # Zipf: BTC first
        markets.append(Market(exchanges[i % 5], f"C{i}USDT", price, places, weight))
    return markets


def make_rules(markets: list[Market], n: int, duration: float, seed: int) -> Iterator[AlertRule]:
    """The same rules every time for the same seed (the baseline rebuilds them)."""
    rng = random.Random(seed)
    weights = [m.weight for m in markets]
    chosen = rng.choices(range(len(markets)), weights=weights, k=n)
    for rid, mi in enumerate(chosen, start=1):
        m = markets[mi]
        p = float(m.price)
        roll = rng.random()
        repeat = rng.choice(COOLDOWNS) if rng.random() < 0.15 else None
        until = rng.uniform(0, 2 * duration) if rng.random() < 0.10 else None
        level_places = m.places + 1
        distance = min(0.9, abs(rng.gauss(0, DISTANCE)))
        if roll < 0.40:
            kind = Kind.ABOVE
            level = p * (1 + distance)
        elif roll < 0.75:
            kind = Kind.BELOW
            level = p * (1 - distance)
        elif roll < 0.87:
            kind = Kind.CROSS
            level = p * (1 + distance if rng.random() < 0.5 else 1 - distance)
        else:
            window = rng.choice(WINDOWS)
            pct = rng.choice(PCTS_BY_WINDOW[window])
            sign = rng.random()
            yield AlertRule(
                rid,
                m.exchange,
                m.symbol,
                Kind.CHANGE,
                pct=Decimal(("-" if sign < 0.3 else "") + pct),
                window=window,
                repeat_every=repeat,
                until=until,
                reference_price=Decimal(str(m.price)),
                signed=0.3 <= sign < 0.5,
            )
            continue
        price = Decimal(f"{max(level, 10.0**-level_places):.{level_places}f}")
        yield AlertRule(
            rid,
            m.exchange,
            m.symbol,
            kind,
            price=price,
            repeat_every=repeat,
            until=until,
            reference_price=Decimal(str(m.price)),
        )


def make_history(markets: list[Market], seed: int) -> list[list[tuple[float, Decimal]]]:
    """A day of 5-minute points before the start, ending at each market's price: what the
    service seeds from candles after a restart, so windows start full, not empty."""
    rng = random.Random(seed)
    out = []
    for m in markets:
        p = float(m.price)
        points = [(0.0, m.price)]
        for i in range(1, HISTORY_POINTS):
            p *= 1 + rng.gauss(0, HOURLY_VOLATILITY / 12**0.5)
            points.append((-300.0 * i, Decimal(f"{p:.{m.places}f}")))
        out.append(points[::-1])
    return out


def make_ticks(markets: list[Market], n: int, seed: int) -> list[tuple[str, str, Decimal, float]]:
    rng = random.Random(seed)
    weights = [m.weight for m in markets]
    total = sum(weights)
    # ~1% an hour whatever the market's tick rate: sigma per tick scales with its interval
    sigma = [HOURLY_VOLATILITY * (total / (w * TICKS_PER_SECOND * 3600)) ** 0.5 for w in weights]
    chosen = rng.choices(range(len(markets)), weights=weights, k=n)
    walk = [float(m.price) for m in markets]
    out = []
    for i, mi in enumerate(chosen):
        m = markets[mi]
        walk[mi] *= 1 + rng.gauss(0, sigma[mi])
        price = Decimal(f"{walk[mi]:.{m.places}f}")
        if price <= 0:
            price = m.price
        out.append((m.exchange, m.symbol, price, 1.0 + i / TICKS_PER_SECOND))
    return out


# --- the baseline: scan every rule of the market ------------------------------------------------
@dataclass
class _Window:
    lo: deque[tuple[float, Decimal]] = field(default_factory=deque)
    hi: deque[tuple[float, Decimal]] = field(default_factory=deque)


@dataclass
class _ScanMarket:
    rules: dict[int, AlertRule] = field(default_factory=dict)
    last: Decimal | None = None
    windows: dict[int, _Window] = field(default_factory=dict)


class Scan:
    """The obvious matcher: same semantics, every rule of the market looked at per tick."""

    def __init__(self) -> None:
        self.markets: dict[tuple[str, str], _ScanMarket] = {}

    def add(self, rule: AlertRule) -> None:
        m = self.markets.setdefault((rule.exchange, rule.symbol), _ScanMarket())
        m.rules[rule.id] = rule
        if rule.window is not None:
            m.windows.setdefault(rule.window, _Window())

    def seed(self, key: tuple[str, str], points: list[tuple[float, Decimal]]) -> None:
        m = self.markets[key]
        for at, price in points:
            self._push(m, at, price)
            m.last = price

    @staticmethod
    def _push(m: _ScanMarket, at: float, price: Decimal) -> None:
        for length, w in m.windows.items():
            lo, hi = w.lo, w.hi
            while lo and lo[-1][1] >= price:
                lo.pop()
            lo.append((at, price))
            while lo[0][0] + length < at:
                lo.popleft()
            while hi and hi[-1][1] <= price:
                hi.pop()
            hi.append((at, price))
            while hi[0][0] + length < at:
                hi.popleft()

    def on_tick(self, exchange: str, symbol: str, price: Decimal, at: float) -> list[Firing]:
        m = self.markets.get((exchange, symbol))
        if m is None:
            return []
        self._push(m, at, price)
        prev = m.last
        fired: list[Firing] = []
        done: list[int] = []
        for r in m.rules.values():
            if (
                r.repeat_every is not None
                and r.last_fired_at is not None
                and at < r.last_fired_at + r.repeat_every
            ):
                continue
            kind = r.kind
            base = None
            if kind is Kind.ABOVE:
                hit = price >= r.price  # type: ignore[operator]
            elif kind is Kind.BELOW:
                hit = price <= r.price  # type: ignore[operator]
            elif kind is Kind.CROSS:
                level = r.price
                assert level is not None and prev is not None
                hit = prev < level <= price or prev > level >= price
            else:
                assert r.window is not None and r.pct is not None
                w = m.windows[r.window]
                low, high = w.lo[0][1], w.hi[0][1]
                q = abs(r.pct)
                # exact: (price - low) / low * 100 >= q without dividing
                up = (price - low) * 100 >= q * low
                down = (high - price) * 100 >= q * high
                if r.pct < 0:
                    hit, base = down, high
                elif r.signed or (price - low) * high >= (high - price) * low:
                    hit, base = up, low
                else:
                    hit, base = down, high
            if not hit:
                continue
            if r.until is not None and at > r.until:
                done.append(r.id)
                continue
            fired.append(
                Firing(r.id, price, at)
                if base is None
                else Firing(r.id, price, at, base, move_pct(price, base))
            )
            if r.repeat_every is None:
                done.append(r.id)
            else:
                m.rules[r.id] = AlertRule(
                    r.id,
                    r.exchange,
                    r.symbol,
                    r.kind,
                    r.price,
                    r.pct,
                    r.window,
                    r.repeat_every,
                    r.until,
                    r.reference_price,
                    at,
                    r.signed,
                )
        for rid in done:
            del m.rules[rid]
        m.last = price
        return fired


def current_rss() -> int:
    """Resident bytes now (Linux); the engine's memory is the growth while adding."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the rules and ticks")
    parser.add_argument(
        "--uniform", action="store_true", help="every market equally popular (rules and ticks)"
    )
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_rules = 1_000_000 // scale
    n_ticks = 1_000_000 // scale
    n_scan = 300 if args.quick else 1_000
    n_markets = 1_000
    duration = n_ticks / TICKS_PER_SECOND

    markets = make_markets(n_markets, random.Random(1), uniform=args.uniform)
    stream = make_ticks(markets, n_ticks, seed=3)
    history = make_history(markets, seed=4)

    gc.collect()
    before = current_rss()
    start = time.perf_counter()
    engine = AlertEngine()
    for r in make_rules(markets, n_rules, duration, seed=2):  # one rule object at a time
        engine.add(r)
    for m, points in zip(markets, history, strict=True):
        engine.seed(m.exchange, m.symbol, points)
    build = time.perf_counter() - start
    gc.collect()
    held = current_rss() - before
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    in_markets = len(engine.markets())

    gc.disable()  # as a long-running service would see it: no cycles are made here
    on_tick = engine.on_tick
    prefix: list[tuple[int, Firing]] = []
    n_warm = n_ticks // 10
    fired = [0, 0]
    seconds = [0.0, 0.0]
    for part, ticks in enumerate((stream[:n_warm], stream[n_warm:])):
        count = 0
        offset = 0 if part == 0 else n_warm
        start = time.perf_counter()
        for i, (ex, sym, price, at) in enumerate(ticks, offset):
            got = on_tick(ex, sym, price, at)
            if got:
                count += len(got)
                if i < n_scan:
                    prefix.extend((i, f) for f in got)
        seconds[part] = time.perf_counter() - start
        fired[part] = count
    engine_s = sum(seconds)
    gc.enable()
    left = len(engine)
    del engine
    gc.collect()

    scan = Scan()
    for r in make_rules(markets, n_rules, duration, seed=2):
        scan.add(r)
    for m, points in zip(markets, history, strict=True):
        scan.seed((m.exchange, m.symbol), points)
    scanned = sum(len(scan.markets[(ex, sym)].rules) for ex, sym, _, _ in stream[:n_scan])
    want: list[tuple[int, Firing]] = []
    start = time.perf_counter()
    for i, (ex, sym, price, at) in enumerate(stream[:n_scan]):
        got = scan.on_tick(ex, sym, price, at)
        if got:
            want.extend((i, f) for f in got)
    scan_s = time.perf_counter() - start

    def key(item: tuple[int, Firing]) -> tuple[int, int]:
        return item[0], item[1].alert_id

    same = sorted(prefix, key=key) == sorted(want, key=key)
    engine_rate = n_ticks / engine_s
    warm_rate = n_warm / seconds[0]
    steady_rate = (n_ticks - n_warm) / seconds[1]
    scan_rate = n_scan / scan_s
    print(
        f"rules: {n_rules:,} over {in_markets:,} markets; ticks: {n_ticks:,} "
        f"({duration:,.0f} s of market time)"
    )
    print(f"build (add + seed): {build:.1f} s ({build / n_rules * 1e6:.1f} µs per rule)")
    print(f"{'':34} {'ticks/s':>10} {'µs/tick':>8} {'firings':>9}")
    rows = [
        ("engine, all ticks", engine_rate, sum(fired)),
        (f"  first {n_warm:,} (catch-up burst)", warm_rate, fired[0]),
        (f"  next {n_ticks - n_warm:,}", steady_rate, fired[1]),
    ]
    for label, rate, count in rows:
        print(f"{label:34} {rate:>10,.0f} {1e6 / rate:>8.2f} {count:>9,}")
    print(
        f"{'scan of the market':34} {scan_rate:>10,.0f} {1e6 / scan_rate:>8.0f}"
        f"   ({n_scan:,} ticks, {scanned / n_scan:,.0f} rules looked at per tick)"
    )
    print(
        f"speed-up per tick: {engine_rate / scan_rate:,.0f}x over all ticks, "
        f"{steady_rate / scan_rate:,.0f}x after the catch-up"
    )
    print(
        f"{left:,} rules left; the engine's firings on the first {n_scan:,} ticks are the "
        f"scan's: {'yes' if same else 'NO'}"
    )
    print(
        f"memory: adding the {n_rules:,} rules grew the process by {held / 2**20:,.0f} MiB "
        f"({held / n_rules:.0f} B/rule); the whole process, with the {n_ticks:,} ticks "
        f"made beforehand, peaked at {peak_rss / 2**20:,.0f} MiB by then"
    )
    if not same:
        raise SystemExit("the engine and the scan disagree")


if __name__ == "__main__":
    main()
