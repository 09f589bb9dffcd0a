"""/activity as a use case: every movement of the caller's balances, page by page.

Only ALP.COM's document has such a list (v3 ``GET /api/v3/wallets/activity``: orders,
deposits, withdrawals, margin transfers, borrows, repayments, each with its delta and
what it left). Whether a system offers it is read from its account client having a
``wallet_activity`` call, so a system that gains one later is listed without a change
here; every other system gets ``ActivityNotOffered``, and the reply points to the
lists it does have (/deposits, /withdrawals, /history).

Paging, as /history does it: a page's buttons carry the whole page state (exchange,
page, anchor) in their server-side payload and every press fetches the rows again,
so a press works on any replica and after a restart. The anchor is the newest row's
time when the list was first shown: later rows are left out of later pages, so a
movement made meanwhile does not shift every page by one. ALP's list has no paging
parameters; the server's default window (the last 30 days) is fetched each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.accounts import AccountService
from bot.errors import BotError, UnknownExchange
from bot.paging import Paged
from exchanges.alp.wallets import WalletMovement


class ActivityNotOffered(BotError):
    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange} offers no wallet activity")
        self.exchange = exchange


class _ActivityClient(Protocol):
    async def wallet_activity(self, currency: str | None = None) -> list[WalletMovement]: ...


@dataclass(frozen=True, slots=True)
class ActivityState:
    """What a page button carries: everything needed to show that page again."""

    exchange: str
    page: int
    anchor: str | None
    currency: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange,
            "page": self.page,
            "anchor": self.anchor,
            "currency": self.currency,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ActivityState:
        page = payload.get("page")
        anchor = payload.get("anchor")
        currency = payload.get("currency")
        return cls(
            exchange=str(payload.get("exchange", "")),
            page=page if isinstance(page, int) else 0,
            anchor=None if anchor is None else str(anchor),
            currency=None if currency is None else str(currency),
        )

    def at(self, page: int) -> ActivityState:
        return ActivityState(self.exchange, page, self.anchor, self.currency)


@dataclass(frozen=True, slots=True)
class ActivityPage(Paged[WalletMovement]):
    state: ActivityState
    rows: tuple[WalletMovement, ...]


def anchored(rows: Sequence[WalletMovement], anchor: str | None) -> tuple[WalletMovement, ...]:
    if anchor is None:
        return tuple(rows)
    limit = datetime.fromisoformat(anchor)
    return tuple(r for r in rows if r.time <= limit)


def anchor_of(rows: Sequence[WalletMovement]) -> str | None:
    return max(r.time for r in rows).astimezone(UTC).isoformat() if rows else None


class ActivityService:
    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    def check(self, exchange: str) -> str:
        """The exchange as we spell it, or why there is no list (before any call)."""
        name = exchange.strip().lower()
        if name not in self.accounts.factories:
            raise UnknownExchange(exchange, self.accounts.exchanges)
        if not callable(getattr(self.accounts.factories[name][0], "wallet_activity", None)):
            raise ActivityNotOffered(name)
        return name

    async def first(self, user_id: int, exchange: str, currency: str | None = None) -> ActivityPage:
        name = self.check(exchange)
        rows = await self._rows(user_id, name, currency)
        return ActivityPage(ActivityState(name, 0, anchor_of(rows), currency), tuple(rows))

    async def page(self, user_id: int, state: ActivityState) -> ActivityPage:
        name = self.check(state.exchange)
        rows = await self._rows(user_id, name, state.currency)
        return ActivityPage(state, anchored(rows, state.anchor))

    async def _rows(
        self, user_id: int, exchange: str, currency: str | None
    ) -> list[WalletMovement]:
        async with self.accounts.session(user_id, exchange) as client:
            reader: _ActivityClient = client  # type: ignore[assignment]
            rows = await self.accounts.call(exchange, reader.wallet_activity(currency))
        return sorted(rows, key=lambda r: r.time, reverse=True)
