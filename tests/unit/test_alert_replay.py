"""Prices seen while a stream was away fire only the alerts that existed by then.

The replay after a gap (``AlertService._replay``) feeds the engine candles from before
a rule was created; an alert made during the gap must sit those out, or it would fire on
a crossing that happened before the user asked for it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from bot.alerts.model import AlertRule, Kind
from bot.alerts.service import AlertService

EX, SYM = "wallex", "BTCTMN"


def service(armed: dict[int, float]) -> AlertService:
    none = cast(Any, None)
    alerts = AlertService(none, none, none, none)
    for alert_id, at in armed.items():
        alerts.engine.add(AlertRule(alert_id, EX, SYM, Kind.ABOVE, price=Decimal(100)))
        alerts._armed_at[alert_id] = at
    return alerts


def fired(alerts: AlertService, points: list[tuple[float, Decimal]], since: float) -> set[int]:
    return {f.alert_id for f in alerts._replay(EX, SYM, points, since)}


def test_an_alert_made_during_the_gap_ignores_a_crossing_from_before_it() -> None:
    alerts = service({1: 0.0, 2: 50.0})  # 1 from before the gap, 2 made at t=50
    points = [(10.0, Decimal(90)), (20.0, Decimal(110)), (30.0, Decimal(95)), (70.0, Decimal(97))]
    assert fired(alerts, points, since=5.0) == {1}
    assert alerts.engine.get(2) is not None  # still armed, for the live ticks to come


def test_it_fires_on_a_crossing_after_it_was_made() -> None:
    alerts = service({2: 50.0})
    points = [(20.0, Decimal(110)), (30.0, Decimal(95)), (60.0, Decimal(105))]
    assert fired(alerts, points, since=5.0) == {2}


def test_every_rule_is_back_in_the_engine_when_no_point_reached_its_arming() -> None:
    alerts = service({3: 500.0})
    assert fired(alerts, [(10.0, Decimal(150))], since=5.0) == set()
    assert alerts.engine.get(3) is not None
    assert alerts.engine.on_tick(EX, SYM, Decimal(150), 600.0)[0].alert_id == 3
