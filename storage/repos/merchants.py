"""WallexPay merchants: the token of each one's callback URL, and their invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WallexPayHook, WallexPayInvoice, utcnow


async def hook_of(session: AsyncSession, user_id: int) -> WallexPayHook | None:
    return await session.get(WallexPayHook, user_id)


async def create_hook(session: AsyncSession, user_id: int, token: str) -> WallexPayHook:
    row = WallexPayHook(user_id=user_id, token=token, created_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def hook_by_token(session: AsyncSession, token: str) -> WallexPayHook | None:
    found: WallexPayHook | None = await session.scalar(
        select(WallexPayHook).where(WallexPayHook.token == token)
    )
    return found


async def heard_from(session: AsyncSession, user_id: int, at: datetime) -> None:
    await session.execute(
        update(WallexPayHook)
        .where(WallexPayHook.user_id == user_id)
        .values(last_callback_at=at.astimezone(UTC))
    )


async def add_invoice(
    session: AsyncSession,
    *,
    user_id: int,
    invoice_id: str,
    foreign_id: str,
    url: str,
    amount: Decimal,
    currency: str,
    title: str | None,
    status: str,
    release_at: datetime | None,
) -> WallexPayInvoice:
    row = WallexPayInvoice(
        user_id=user_id,
        invoice_id=invoice_id,
        foreign_id=foreign_id,
        url=url,
        amount=str(amount),
        currency=currency,
        title=title,
        status=status,
        release_at=release_at.astimezone(UTC) if release_at else None,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def invoice_of(
    session: AsyncSession, user_id: int, *, foreign_id: str | None, invoice_id: str | None
) -> WallexPayInvoice | None:
    """The user's invoice by our foreign id, else by WallexPay's id."""
    conditions: list[Any] = [WallexPayInvoice.user_id == user_id]
    if foreign_id:
        conditions.append(WallexPayInvoice.foreign_id == foreign_id)
    elif invoice_id:
        conditions.append(WallexPayInvoice.invoice_id == invoice_id)
    else:
        return None
    statement = select(WallexPayInvoice).where(*conditions)
    found: WallexPayInvoice | None = await session.scalar(statement)
    return found


async def set_invoice_status(session: AsyncSession, row_id: int, status: str) -> None:
    await session.execute(
        update(WallexPayInvoice).where(WallexPayInvoice.id == row_id).values(status=status[:32])
    )
