"""The futures offer's pure parts: which tier's price applies, the payload kept in a
confirmation row (Decimals exact across the round trip), and the countdown's words."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.i18n import I18n
from bot.payments import FuturesOffer, tier_price
from handlers.payment_texts import duration, futures_text

# futures/rates' tiers as the document's example writes them (same price, so vary them)
TIERS = {
    Decimal("5.00000000"): Decimal("10312.67153000"),
    Decimal("10.00000000"): Decimal("10311.00000000"),
    Decimal("100.00000000"): Decimal("10300.00000000"),
    Decimal("300.00000000"): Decimal("10290.00000000"),
}


def offer(**changes: object) -> FuturesOffer:
    fields: dict[str, object] = {
        "address": "3GQwSBQErsQ863RcuvCkub6SZBPHKuwSV7",
        "tag": None,
        "sender_currency": "BTC",
        "receiver_currency": "USD",
        "receiver_amount": Decimal("30"),
        "price": Decimal("10299.94946000"),
        "fixed_at": datetime.fromtimestamp(1581507311, UTC),
        "release_at": datetime.fromtimestamp(1581513311, UTC),
    }
    fields.update(changes)
    return FuturesOffer(**fields)  # type: ignore[arg-type]


def test_the_largest_tier_not_above_the_amount_applies() -> None:
    assert tier_price(TIERS, Decimal("30")) == Decimal("10311")
    assert tier_price(TIERS, Decimal("100")) == Decimal("10300")
    assert tier_price(TIERS, Decimal("5000")) == Decimal("10290")
    assert tier_price(TIERS, Decimal("1")) == Decimal("10312.67153")  # below every tier
    assert tier_price({}, Decimal("1")) is None


def test_the_payload_round_trip_keeps_every_decimal_exact() -> None:
    original = offer(receiver_amount=Decimal("30.10000001"), tag="memo-1")
    back = FuturesOffer.of_payload(original.payload())
    assert back == original
    assert isinstance(back.price, Decimal) and str(back.receiver_amount) == "30.10000001"


def test_the_estimate_is_the_amount_over_the_price() -> None:
    assert offer().sender_estimate == Decimal("30") / Decimal("10299.94946000")
    assert offer(price=Decimal(0)).sender_estimate is None


def test_time_left_in_words_and_in_the_message() -> None:
    en = I18n().get("en")
    assert duration(en, 6000) == "100 min 0 s"
    assert duration(en, 59) == "59 s"
    text = futures_text(en, offer(), 95)
    assert "It holds for 1 min 35 s more (until 13:15:11 UTC)" in text
    assert "about 0.00291264 BTC before the fee" in text  # rounded up, never under
    lapsed = futures_text(en, offer(), 0)
    assert "lapsed at 13:15:11 UTC" in lapsed and "Confirm" not in lapsed
    fa = futures_text(I18n().get("fa"), offer(), 95)
    assert "۳۰" in fa  # Persian digits in the Persian message
