"""The WallexPay transaction ledger fed by callbacks (see ``WallexPayTransaction``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WallexPayTransaction


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


async def record(
    session: AsyncSession,
    *,
    user_id: int,
    transaction_id: str,
    kind: str,
    status: str,
    at: datetime,
    currency: str | None = None,
    amount: Decimal | None = None,
    fee: Decimal | None = None,
    fee_currency: str | None = None,
    address: str | None = None,
    txid: str | None = None,
    foreign_id: str | None = None,
) -> WallexPayTransaction:
    """Insert the transaction or bring its status (and any newly known field) up to date.

    Callbacks may repeat and arrive out of order; the latest one heard sets the status,
    and a field a later callback leaves out keeps what an earlier one said."""
    at = at.astimezone(UTC)
    row: WallexPayTransaction | None = await session.scalar(
        select(WallexPayTransaction).where(
            WallexPayTransaction.user_id == user_id,
            WallexPayTransaction.transaction_id == transaction_id,
        )
    )
    if row is None:
        row = WallexPayTransaction(
            user_id=user_id,
            transaction_id=transaction_id,
            kind=kind,
            status=status,
            created_at=at,
            updated_at=at,
        )
        session.add(row)
    row.status = status
    row.updated_at = at
    if kind != "other":
        row.kind = kind
    for name, value in (
        ("currency", currency),
        ("amount", _text(amount)),
        ("fee", _text(fee)),
        ("fee_currency", fee_currency),
        ("address", address),
        ("txid", txid),
        ("foreign_id", foreign_id),
    ):
        if value is not None:
            setattr(row, name, value)
    await session.flush()
    return row


async def transactions(
    session: AsyncSession, user_id: int, kind: str | None = None, limit: int = 500
) -> Sequence[WallexPayTransaction]:
    """The merchant's transactions, newest first; ``kind`` narrows to one kind."""
    query = select(WallexPayTransaction).where(WallexPayTransaction.user_id == user_id)
    if kind is not None:
        query = query.where(WallexPayTransaction.kind == kind)
    query = query.order_by(WallexPayTransaction.created_at.desc(), WallexPayTransaction.id.desc())
    return (await session.scalars(query.limit(limit))).all()
