"""Reading the WallexPay invoices a merchant made through the bot: the list shown by
``/invoice`` without arguments, and those past their pay-by time still ``created`` —
the document promises no callback when an invoice expires, so the bot tells it itself
(``bot/callbacks.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WallexPayInvoice

#: Statuses after which nothing more is waited for.
UNSETTLED = ("created",)


async def of_user(
    session: AsyncSession, user_id: int, limit: int = 20
) -> Sequence[WallexPayInvoice]:
    """The user's invoices, newest first."""
    query = (
        select(WallexPayInvoice)
        .where(WallexPayInvoice.user_id == user_id)
        .order_by(WallexPayInvoice.created_at.desc(), WallexPayInvoice.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def overdue(
    session: AsyncSession, before: datetime, limit: int = 200
) -> Sequence[WallexPayInvoice]:
    """Invoices still unsettled whose pay-by time (``release_at``) is before ``before``."""
    query = (
        select(WallexPayInvoice)
        .where(
            WallexPayInvoice.status.in_(UNSETTLED),
            WallexPayInvoice.release_at.is_not(None),
            WallexPayInvoice.release_at < before.astimezone(UTC),
        )
        .order_by(WallexPayInvoice.release_at, WallexPayInvoice.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()
