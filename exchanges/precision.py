"""Rounding to what an exchange accepts, checking its minimums, writing numbers for the wire.

Rounding goes in the direction that cannot hurt the user: an amount *down* (rounding it
up could exceed a balance), a buy price *down* (never pay more than asked) and a sell
price *up* (never sell for less than asked). ``round_price`` alone rounds down, as it
always has; ``safe_price`` picks the direction by side. ``shortfall`` then says which
of the market's minimums (amount, total) an order misses, before anything is sent;
``wire_decimal`` writes a value exactly as a client sends it and refuses one with more
places than the market allows (``BadPrecision``), so rounding never happens silently on
the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from exchanges.errors import BadPrecision
from exchanges.models import Market, Side


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_down(value: Decimal, decimals: int | None = None, step: Decimal | None = None) -> Decimal:
    """Round toward zero to a step size, or else to a number of decimal places."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=ROUND_DOWN) * step
    if decimals is not None:
        return value.quantize(quantum(decimals), rounding=ROUND_DOWN)
    return value


def round_up(value: Decimal, decimals: int | None = None, step: Decimal | None = None) -> Decimal:
    """Round toward +infinity to a step size, or else to a number of decimal places."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=ROUND_CEILING) * step
    if decimals is not None:
        return value.quantize(quantum(decimals), rounding=ROUND_CEILING)
    return value


def round_price(market: Market, price: Decimal) -> Decimal:
    return round_down(price, market.price_decimals, market.tick_size)


def round_amount(market: Market, amount: Decimal) -> Decimal:
    return round_down(amount, market.amount_decimals, market.step_size)


def safe_price(market: Market, side: Side, price: Decimal) -> Decimal:
    """A limit price on the market's tick: a buy rounds down, a sell up."""
    if side is Side.BUY:
        return round_price(market, price)
    return round_up(price, market.price_decimals, market.tick_size)


def fits(value: Decimal, decimals: int | None = None, step: Decimal | None = None) -> bool:
    """Whether ``value`` is already on the step (or within the places)."""
    return round_down(value, decimals, step) == value


def price_fits(market: Market, price: Decimal) -> bool:
    return fits(price, market.price_decimals, market.tick_size)


def amount_fits(market: Market, amount: Decimal) -> bool:
    return fits(amount, market.amount_decimals, market.step_size)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Which minimum an order misses: ``what`` is "amount" (base) or "total" (quote)."""

    what: str
    value: Decimal
    minimum: Decimal


def shortfall(market: Market, amount: Decimal, price: Decimal | None) -> Shortfall | None:
    """The first minimum (or maximum, as ``what="max_amount"``) of ``market`` that an
    order of ``amount`` at ``price`` misses; None when it meets them all. Without a
    price (a market order) the total cannot be known and is not checked here."""
    step = market.step_size or quantum(market.amount_decimals)
    least = max(market.min_amount or Decimal(0), step)
    if amount < least:
        return Shortfall("amount", amount, least)
    if market.max_amount is not None and amount > market.max_amount:
        return Shortfall("max_amount", amount, market.max_amount)
    if price is not None and market.min_notional is not None:
        total = amount * price
        if total < market.min_notional:
            return Shortfall("total", total, market.min_notional)
    return None


def to_display(value: Decimal, decimals: int) -> Decimal:
    """A value shown with exactly the market's places (trailing zeros kept)."""
    return value.quantize(quantum(decimals), rounding=ROUND_DOWN) if decimals >= 0 else value


def wire_decimal(exchange: str, value: Decimal, decimals: int, what: str) -> str:
    """``value`` as plain decimal text (no exponent, trailing zeros dropped) with at
    most ``decimals`` places; ``BadPrecision`` when it is not positive or has more."""
    if not value.is_finite() or value <= 0:
        raise BadPrecision(exchange, f"the {what} must be a positive number")
    if not fits(value, max(decimals, 0)):
        raise BadPrecision(exchange, f"the {what} {value} has more than {decimals} decimal places")
    text = format(value.normalize(), "f")
    return text
