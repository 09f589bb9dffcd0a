"""WEX's own values beyond the shared models: coupons and per-id cancel results.

A WEX coupon (``CreateCoupon``) is a bearer code worth its amount to whoever redeems
it first, so its repr never shows the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CouponCreated:
    """``CreateCoupon``'s answer: the code, its value and WEX's transaction id."""

    coupon: str = field(repr=False)
    currency: str
    amount: Decimal
    transaction_id: str
    receiver: str | None = None

    def __repr__(self) -> str:
        return (
            f"CouponCreated(currency={self.currency!r}, amount={self.amount!r}, "
            f"transaction_id={self.transaction_id!r}, coupon=***)"
        )


@dataclass(frozen=True, slots=True)
class CouponRedeemed:
    """``RedeemCoupon``'s answer: what the coupon was worth, now in the account."""

    currency: str
    amount: Decimal
    transaction_id: str


@dataclass(frozen=True, slots=True)
class CancelResult:
    """One id of a ``CancelOrders`` call: cancelled, or WEX's reason why not."""

    order_id: str
    cancelled: bool
    error: str | None = None
