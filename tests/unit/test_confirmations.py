"""The confirmation store: one winner per Confirm, owner-bound, expiring, crash-visible."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.buttons import ButtonService
from bot.confirmations import (
    ConfirmationStore,
    Confirmed,
    Refusal,
    State,
    decimal_of,
    new_client_ref,
)
from storage.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> ConfirmationStore:
    return ConfirmationStore(db, ButtonService(db), ttl=timedelta(seconds=60), clock=clock)


async def _pending(store: ConfirmationStore) -> int:
    pending = await store.create(
        user_id=7,
        chat_id=7,
        kind="order",
        payload={"amount": Decimal("0.00100000"), "nested": [Decimal("1.5")]},
        client_ref=True,
    )
    return pending.id


async def test_payload_keeps_decimals_exactly(store: ConfirmationStore) -> None:
    action = await store.get(await _pending(store))
    assert action is not None
    assert action.state is State.PENDING
    assert action.payload["amount"] == "0.00100000"
    assert decimal_of(action.payload, "amount") == Decimal("0.00100000")
    assert action.payload["nested"] == ["1.5"]
    assert action.client_ref is not None and action.client_ref.isalnum()


async def test_fifty_concurrent_confirms_have_one_winner(store: ConfirmationStore) -> None:
    cid = await _pending(store)
    outcomes = await asyncio.gather(*(store.confirm(cid, 7) for _ in range(50)))
    winners = [o for o in outcomes if isinstance(o, Confirmed)]
    assert len(winners) == 1
    assert winners[0].action.state is State.CONFIRMED
    assert all(o is Refusal.ANSWERED for o in outcomes if not isinstance(o, Confirmed))


async def test_only_the_owner_confirms(store: ConfirmationStore) -> None:
    cid = await _pending(store)
    assert await store.confirm(cid, 8) is Refusal.NOT_YOURS
    assert await store.cancel(cid, 8) is Refusal.NOT_YOURS
    assert isinstance(await store.confirm(cid, 7), Confirmed)


async def test_expired_confirm_is_refused(store: ConfirmationStore, clock: Clock) -> None:
    cid = await _pending(store)
    clock.now += timedelta(seconds=61)
    assert await store.confirm(cid, 7) is Refusal.EXPIRED
    assert await store.expire_stale() == 1
    action = await store.get(cid)
    assert action is not None and action.state is State.EXPIRED
    assert await store.confirm(cid, 7) is Refusal.EXPIRED


async def test_cancelled_cannot_be_confirmed(store: ConfirmationStore) -> None:
    cid = await _pending(store)
    cancelled = await store.cancel(cid, 7)
    assert not isinstance(cancelled, Refusal) and cancelled.state is State.CANCELLED
    assert await store.confirm(cid, 7) is Refusal.ANSWERED
    assert await store.confirm(10_000, 7) is Refusal.UNKNOWN


async def test_states_only_move_forward_and_unfinished_rows_are_found(
    store: ConfirmationStore,
) -> None:
    first, second, third = [await _pending(store) for _ in range(3)]
    for cid in (first, second, third):
        assert isinstance(await store.confirm(cid, 7), Confirmed)
    assert await store.mark_sent(second)
    assert await store.mark_sent(third)
    assert await store.mark_done(third, {"order_id": "42", "filled": Decimal("0.5")})
    assert not await store.mark_sent(third)  # done is final
    assert not await store.mark_failed(third, "late")
    unfinished = {a.id: a.state for a in await store.unfinished(["order"])}
    assert unfinished == {first: State.CONFIRMED, second: State.SENT}
    assert await store.unfinished(["withdrawal"]) == []
    done = await store.get(third)
    assert done is not None and done.result == {"order_id": "42", "filled": "0.5"}
    assert await store.mark_failed(first, "x" * 600)
    failed = await store.get(first)
    assert failed is not None and failed.state is State.FAILED
    assert failed.error is not None and len(failed.error) == 512


def test_client_refs_are_unique_and_alphanumeric() -> None:
    refs = {new_client_ref() for _ in range(1000)}
    assert len(refs) == 1000
    assert all(r.isalnum() and len(r) == 21 for r in refs)
