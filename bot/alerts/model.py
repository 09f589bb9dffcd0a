"""What an alert is, independent of storage and Telegram.

Kinds:
- ``above``/``below``: a level. Fires on a tick at or beyond the price.
- ``cross``: an edge. Fires when the price moves from one side of the level to the
  other (either direction), judged against the previous price of that market (for the
  first tick after creation, the price when the alert was made).
- ``change``: fires when the price has moved by ``pct`` percent within ``window``
  seconds (up or down; a signed ``pct`` restricts the direction: ``+5`` up, ``-5`` down),
  measured against the lowest (for up) or highest (for down) price in the window.
  ``Decimal`` drops a ``+`` sign, so ``signed`` says that a positive ``pct`` was
  written ``+5`` (up only); a bare ``5`` (``signed`` False) fires either way.

``repeat_every`` None means once: the alert fires one time and is done. A number of
seconds means it may fire again, at most once per that cooldown, while its condition
holds (levels) or happens again (cross, change). ``until`` ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    CROSS = "cross"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """An active alert as the engine holds it (all it needs to decide, nothing more)."""

    id: int
    exchange: str
    symbol: str
    kind: Kind
    price: Decimal | None = None
    pct: Decimal | None = None
    window: int | None = None
    repeat_every: int | None = None
    until: float | None = None
    reference_price: Decimal | None = None
    last_fired_at: float | None = None
    # change: the pct was written with a sign ("+5": up only). Decimal("+5") == 5, so the
    # sign of a positive pct must travel here; a negative pct is down only regardless.
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Firing:
    """One alert firing on one tick."""

    alert_id: int
    price: Decimal
    at: float
    # For change alerts: the price the move is measured from and its signed size in %.
    base_price: Decimal | None = None
    move_pct: Decimal | None = None
