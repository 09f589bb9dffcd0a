"""Rounding to what an exchange accepts.

Prices and amounts are rounded *down* to the market's increment (never up: rounding
an amount up could exceed a balance; rounding a buy price up could overpay), then
checked against the market's minimums before anything is sent.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from exchanges.models import Market


def quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def round_down(value: Decimal, decimals: int | None = None, step: Decimal | None = None) -> Decimal:
    """Round toward zero to a step size, or else to a number of decimal places."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=ROUND_DOWN) * step
    if decimals is not None:
        return value.quantize(quantum(decimals), rounding=ROUND_DOWN)
    return value


def round_price(market: Market, price: Decimal) -> Decimal:
    return round_down(price, market.price_decimals, market.tick_size)


def round_amount(market: Market, amount: Decimal) -> Decimal:
    return round_down(amount, market.amount_decimals, market.step_size)


def to_display(value: Decimal, decimals: int) -> Decimal:
    """A value shown with exactly the market's places (trailing zeros kept)."""
    return value.quantize(quantum(decimals), rounding=ROUND_DOWN) if decimals >= 0 else value
