from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.alerts.model import Kind
from handlers.alert_args import DEFAULT_COOLDOWN, DEFAULT_WINDOW, parse_alert
from handlers.args import UsageError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_levels_and_cross() -> None:
    r = parse_alert(["above", "1,234.5"], NOW)
    assert (r.kind, r.price, r.repeat_every, r.until) == (Kind.ABOVE, Decimal("1234.5"), None, None)
    assert parse_alert(["below", "۱۲۳"], NOW).price == Decimal("123")
    assert parse_alert(["CROSS", "0.00012"], NOW).kind is Kind.CROSS


def test_change_with_window_sign_repeat_and_until() -> None:
    r = parse_alert(["change", "-3.5%", "4h", "every", "30m", "until", "2d"], NOW)
    assert r.kind is Kind.CHANGE and r.pct == Decimal("-3.5") and r.window == 4 * 3600
    assert r.repeat_every == 1800 and r.until == NOW + timedelta(days=2)
    assert parse_alert(["change", "+5"], NOW).signed is True
    d = parse_alert(["change", "5"], NOW)
    assert d.signed is False
    assert d.window == DEFAULT_WINDOW and d.repeat_every is None
    assert parse_alert(["above", "10", "every"], NOW).repeat_every == DEFAULT_COOLDOWN
    assert parse_alert(["above", "10", "once", "until", "2026-12-31"], NOW).until == datetime(
        2026, 12, 31, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("words", "fragment"),
    [
        ([], "Say when"),
        (["near", "5"], "is not a condition"),
        (["above"], "give a price"),
        (["above", "cheap"], "is not a price"),
        (["above", "-5"], "is not a price"),
        (["change", "lots"], "percentage"),
        (["change", "0"], "between 0 and 1000"),
        (["change", "5", "30d"], "at most 7d"),
        (["above", "5", "until"], "After until"),
        (["above", "5", "until", "tomorrowish"], "is not a date"),
        (["above", "5", "until", "2020-01-01"], "already passed"),
        (["above", "5", "please"], "did not understand"),
    ],
)
def test_mistakes_get_a_sentence(words: list[str], fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_alert(words, NOW)
    assert fragment in info.value.problem
