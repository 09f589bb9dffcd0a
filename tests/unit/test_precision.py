"""Rounding in the safe direction, minimum checks and wire formatting (exchanges/precision.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.errors import BadPrecision
from exchanges.models import Market, Side
from exchanges.precision import (
    Shortfall,
    amount_fits,
    fits,
    price_fits,
    round_amount,
    round_down,
    round_price,
    round_up,
    safe_price,
    shortfall,
    wire_decimal,
)

BTCTMN = Market(
    "wallex", "BTCTMN", "BTC", "TMN", 0, 6,
    min_amount=Decimal("0.000001"), min_notional=Decimal("100000"),
)  # fmt: skip
STEPPED = Market(
    "x", "ABCUSDT", "ABC", "USDT", 4, 3,
    tick_size=Decimal("0.05"), step_size=Decimal("0.25"),
    min_amount=Decimal("1"), max_amount=Decimal("100"),
)  # fmt: skip


def test_round_down_and_up_by_places_and_by_step() -> None:
    assert round_down(Decimal("1.23456"), 3) == Decimal("1.234")
    assert round_up(Decimal("1.23401"), 3) == Decimal("1.235")
    assert round_up(Decimal("1.234"), 3) == Decimal("1.234")
    assert round_down(Decimal("1.37"), step=Decimal("0.25")) == Decimal("1.25")
    assert round_up(Decimal("1.26"), step=Decimal("0.25")) == Decimal("1.50")
    assert round_down(Decimal("7"), None, None) == Decimal("7")


def test_amount_rounds_down_and_prices_round_by_side() -> None:
    assert round_amount(BTCTMN, Decimal("0.0012349")) == Decimal("0.001234")
    assert round_price(BTCTMN, Decimal("9000000000.7")) == Decimal("9000000000")
    assert safe_price(BTCTMN, Side.BUY, Decimal("9000000000.7")) == Decimal("9000000000")
    assert safe_price(BTCTMN, Side.SELL, Decimal("9000000000.2")) == Decimal("9000000001")
    assert safe_price(STEPPED, Side.BUY, Decimal("1.07")) == Decimal("1.05")
    assert safe_price(STEPPED, Side.SELL, Decimal("1.07")) == Decimal("1.10")
    assert round_amount(STEPPED, Decimal("2.6")) == Decimal("2.50")


def test_fits() -> None:
    assert fits(Decimal("1.50"), 2) and not fits(Decimal("1.505"), 2)
    assert price_fits(STEPPED, Decimal("1.05")) and not price_fits(STEPPED, Decimal("1.07"))
    assert amount_fits(BTCTMN, Decimal("0.000001")) and not amount_fits(BTCTMN, Decimal("1e-7"))


def test_shortfall_names_the_minimum_missed() -> None:
    assert shortfall(BTCTMN, Decimal("0"), Decimal("9e9")) == Shortfall(
        "amount", Decimal("0"), Decimal("0.000001")
    )
    assert shortfall(BTCTMN, Decimal("0.00001"), Decimal("9000000000")) == Shortfall(
        "total", Decimal("90000.00000"), Decimal("100000")
    )
    assert shortfall(BTCTMN, Decimal("0.00002"), Decimal("9000000000")) is None
    assert shortfall(BTCTMN, Decimal("0.00001"), None) is None  # a market order's total is unknown
    assert shortfall(STEPPED, Decimal("0.5"), Decimal("1")) == Shortfall(
        "amount", Decimal("0.5"), Decimal("1")
    )
    assert shortfall(STEPPED, Decimal("101"), Decimal("1")) == Shortfall(
        "max_amount", Decimal("101"), Decimal("100")
    )


def test_wire_decimal_is_plain_text_and_refuses_extra_places() -> None:
    assert wire_decimal("x", Decimal("0.00100"), 6, "amount") == "0.001"
    assert wire_decimal("x", Decimal("1E+2"), 0, "price") == "100"
    assert wire_decimal("x", Decimal("9000000000"), 0, "price") == "9000000000"
    assert wire_decimal("x", Decimal("0.00000001"), 8, "amount") == "0.00000001"
    with pytest.raises(BadPrecision, match="more than 6 decimal places"):
        wire_decimal("x", Decimal("0.0000001"), 6, "amount")
    with pytest.raises(BadPrecision, match="positive"):
        wire_decimal("x", Decimal("0"), 6, "amount")
    with pytest.raises(BadPrecision):
        wire_decimal("x", Decimal("NaN"), 6, "amount")
