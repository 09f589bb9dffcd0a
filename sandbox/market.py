"""A deterministic simulated market that every sandbox serves from.

Prices are a function of time, not of a mutable random walk: each asset's dollar
value is a sum of seeded sine waves over several periods (a week down to a minute)
plus seeded piecewise-linear noise. So any moment — now, yesterday, the 120th daily
candle back — has one price, the same in every run with the same seed and clock, and
all venues agree on cross rates (BTC/TMN ≈ BTC/USDT × USDT/TMN) up to a small
per-venue premium that makes cross-exchange spreads visible.

Tests move prices with ``shift`` (a persistent step in one asset's value) and freeze
time with an injected clock. This module imports nothing of Sarraf.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal

Clock = Callable[[], float]

# Dollar value of one unit of each asset at the reference moment.
USD_VALUE: dict[str, float] = {
    "BTC": 95_000.0,
    "ETH": 3_400.0,
    "LTC": 90.0,
    "SOL": 180.0,
    "TRX": 0.25,
    "DOGE": 0.18,
    "USDT": 1.0,
    "USD": 1.0,
    "TMN": 1 / 105_000.0,
    "TRY": 1 / 41.2,
}
# How much each asset swings (fraction of log-price per wave amplitude).
VOLATILITY: dict[str, float] = {
    "BTC": 1.0,
    "ETH": 1.3,
    "LTC": 1.4,
    "SOL": 1.8,
    "TRX": 1.2,
    "DOGE": 2.0,
    "USDT": 0.02,
    "USD": 0.0,
    "TMN": 0.35,
    "TRY": 0.15,
}
_WAVES = (  # (period seconds, amplitude of log price)
    (7 * 86400, 0.06),
    (86400, 0.025),
    (4 * 3600, 0.01),
    (3600, 0.005),
    (600, 0.0025),
    (60, 0.001),
)
_MASK = (1 << 64) - 1


def _mix(*parts: int) -> int:
    """splitmix64 over the parts: a cheap, well-spread deterministic hash."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = (x ^ (p & _MASK)) & _MASK
        x = (x + 0x9E3779B97F4A7C15) & _MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        x = z ^ (z >> 31)
    return x


def _unit(*parts: int) -> float:
    """A deterministic number in [0, 1)."""
    return (_mix(*parts) >> 11) / float(1 << 53)


def _code(text: str) -> int:
    return int.from_bytes(text.encode()[:16].ljust(16, b"\0"), "big") & _MASK


WIDE = Context(prec=60)


def quantize(value: float | Decimal, decimals: int) -> Decimal:
    """Round to ``decimals`` places without hitting the default 28-digit precision."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN, context=WIDE)


@dataclass(frozen=True, slots=True)
class SimTrade:
    trade_id: int
    time: float
    price: float
    amount: float
    is_buy: bool


@dataclass(frozen=True, slots=True)
class SimCandle:
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class SimTicker:
    last: float
    bid: float
    ask: float
    open_24h: float
    high_24h: float
    low_24h: float
    change_24h_pct: float
    volume_24h: float
    quote_volume_24h: float
    last_amount: float


@dataclass
class SimulatedMarket:
    """Prices of every asset pair at any moment, per venue."""

    seed: int = 7
    clock: Clock = time.time
    trade_gap: int = 7
    _shifts: dict[str, float] = field(default_factory=dict)

    def now(self) -> float:
        return self.clock()

    # --- prices -------------------------------------------------------------------
    def usd_value(self, asset: str, t: float) -> float:
        asset = asset.upper()
        if asset not in USD_VALUE:
            raise KeyError(asset)
        vol = VOLATILITY.get(asset, 1.0)
        code = _code(asset)
        log_p = math.log(USD_VALUE[asset]) + self._shifts.get(asset, 0.0)
        if vol:
            for i, (period, amp) in enumerate(_WAVES):
                phase = 2 * math.pi * _unit(self.seed, code, i)
                log_p += vol * amp * math.sin(2 * math.pi * t / period + phase)
            log_p += vol * 0.0008 * self._noise(code, t)
        return math.exp(log_p)

    def _noise(self, code: int, t: float) -> float:
        """Piecewise-linear noise on a 5-second grid, in [-1, 1]."""
        step = 5.0
        k = math.floor(t / step)
        frac = t / step - k
        a = _unit(self.seed, code, 99, k) * 2 - 1
        b = _unit(self.seed, code, 99, k + 1) * 2 - 1
        return a + (b - a) * frac

    def price(self, base: str, quote: str, t: float | None = None, venue: str = "") -> float:
        at = self.now() if t is None else t
        raw = self.usd_value(base, at) / self.usd_value(quote, at)
        return raw * self._premium(venue, base, quote, at)

    def _premium(self, venue: str, base: str, quote: str, t: float) -> float:
        if not venue:
            return 1.0
        code = _code(venue + base + quote)
        phase = 2 * math.pi * _unit(self.seed, code, 5)
        return 1.0 + 0.002 * math.sin(2 * math.pi * t / 5400 + phase)

    def shift(self, asset: str, pct: float) -> None:
        """Move one asset's value by ``pct`` percent from now on (tests, demos)."""
        self._shifts[asset.upper()] = self._shifts.get(asset.upper(), 0.0) + math.log1p(pct / 100)

    # --- derived views --------------------------------------------------------------
    def ticker(self, base: str, quote: str, venue: str = "") -> SimTicker:
        now = self.now()
        last = self.price(base, quote, now, venue)
        open_24h = self.price(base, quote, now - 86400, venue)
        samples = [self.price(base, quote, now - 86400 + i * 1800, venue) for i in range(49)]
        samples.append(last)
        spread = self.spread(base, quote)
        volume = self.volume(base, quote, now - 86400, now, venue)
        return SimTicker(
            last=last,
            bid=last * (1 - spread / 2),
            ask=last * (1 + spread / 2),
            open_24h=open_24h,
            high_24h=max(samples),
            low_24h=min(samples),
            change_24h_pct=(last / open_24h - 1) * 100,
            volume_24h=volume,
            quote_volume_24h=volume * (last + open_24h) / 2,
            last_amount=self._trade_amount(base, quote, venue, math.floor(now / self.trade_gap)),
        )

    def spread(self, base: str, quote: str) -> float:
        return 0.0006 + 0.0004 * VOLATILITY.get(base.upper(), 1.0) / 2

    def _typical_amount(self, base: str) -> float:
        """Roughly $2,000 a trade."""
        return 2_000.0 / USD_VALUE.get(base.upper(), 1.0)

    def _trade_amount(self, base: str, quote: str, venue: str, slot: int) -> float:
        u = _unit(self.seed, _code(venue + base + quote), 7, slot)
        return self._typical_amount(base) * (0.05 + 2.5 * u * u)

    def volume(self, base: str, quote: str, start: float, end: float, venue: str = "") -> float:
        """Traded base amount in [start, end): mean trade size × trade count, varied per hour."""
        if end <= start:
            return 0.0
        code = _code(venue + base + quote)
        total = 0.0
        hour = math.floor(start / 3600)
        while hour * 3600 < end:
            lo = max(start, hour * 3600)
            hi = min(end, (hour + 1) * 3600)
            rate = 0.6 + 0.8 * _unit(self.seed, code, 11, hour)
            total += (hi - lo) / self.trade_gap * self._typical_amount(base) * 0.88 * rate
            hour += 1
        return total

    def trades(
        self, base: str, quote: str, limit: int = 20, venue: str = "", until: float | None = None
    ) -> list[SimTrade]:
        """The latest ``limit`` trades, newest first: one per ``trade_gap`` seconds."""
        end = self.now() if until is None else until
        slot = math.floor(end / self.trade_gap)
        code = _code(venue + base + quote)
        out: list[SimTrade] = []
        while len(out) < limit:
            at = slot * self.trade_gap + _unit(self.seed, code, 3, slot) * (self.trade_gap - 1)
            if at <= end:
                price = self.price(base, quote, at, venue)
                is_buy = _unit(self.seed, code, 4, slot) < 0.5
                spread = self.spread(base, quote)
                price *= (1 + spread / 2) if is_buy else (1 - spread / 2)
                out.append(
                    SimTrade(
                        trade_id=slot,
                        time=at,
                        price=price,
                        amount=self._trade_amount(base, quote, venue, slot),
                        is_buy=is_buy,
                    )
                )
            slot -= 1
        return out

    def book(
        self, base: str, quote: str, depth: int = 20, venue: str = ""
    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(bids best-first, asks best-first) around the current price."""
        now = self.now()
        last = self.price(base, quote, now, venue)
        spread = self.spread(base, quote)
        code = _code(venue + base + quote)
        epoch = math.floor(now / 5)
        bids: list[tuple[float, float]] = []
        asks: list[tuple[float, float]] = []
        for i in range(depth):
            gap = spread / 2 + i * 0.0004
            amount_b = self._typical_amount(base) * (0.1 + 3 * _unit(self.seed, code, 21, epoch, i))
            amount_a = self._typical_amount(base) * (0.1 + 3 * _unit(self.seed, code, 22, epoch, i))
            bids.append((last * (1 - gap), amount_b))
            asks.append((last * (1 + gap), amount_a))
        return bids, asks

    def candles(
        self, base: str, quote: str, interval: int, start: float, end: float, venue: str = ""
    ) -> list[SimCandle]:
        """Candles of ``interval`` seconds whose open time lies in [start, end]."""
        first = math.ceil(start / interval) * interval
        now = self.now()
        samples = max(2, min(60, interval // 60))
        out: list[SimCandle] = []
        t0 = first
        while t0 <= end and t0 <= now:
            t1 = min(t0 + interval, now)
            points = [
                self.price(base, quote, t0 + (t1 - t0) * k / (samples - 1), venue)
                for k in range(samples)
            ]
            out.append(
                SimCandle(
                    time=int(t0),
                    open=points[0],
                    high=max(points),
                    low=min(points),
                    close=points[-1],
                    volume=self.volume(base, quote, t0, t1, venue),
                )
            )
            t0 += interval
        return out


def pairs_of(symbols: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{b}/{q}" for b, q in symbols]
