from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.args import ascii_digits, clean_args, parse_decimal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("۱۲۳۴٫۵", Decimal("1234.5")),
        ("١٬٢٣٤٫٥", Decimal("1234.5")),
        ("۰.۰۰۱", Decimal("0.001")),
        (".5", Decimal("0.5")),
        ("12,34", None),
        ("1.2.3", None),
        ("abc", None),
        ("", None),
        ("NaN", None),
        ("1e5", None),
    ],
)
def test_numbers_as_people_type_them(text: str, value: Decimal | None) -> None:
    assert parse_decimal(text) == value


def test_digits_and_blank_arguments() -> None:
    assert ascii_digits("BTC ۱۰ ١٠") == "BTC 10 10"
    assert clean_args(["  wallex ", "", " btc/tmn"]) == ["wallex", "btc/tmn"]
    assert clean_args(None) == []
