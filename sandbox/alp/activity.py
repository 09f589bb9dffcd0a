"""ALP.COM's wallet activity (v3 ``GET /api/v3/wallets/activity``), as the sandbox keeps it.

Every change of a wallet the sandbox makes is one row: an order locking, filling or
being cancelled (the matching engine writes through ``WalletFunds``), a deposit, a
withdrawal and its refund, a margin transfer (a row for each of the two wallets), a
borrow, a repayment, a liquidation.

Where the document is silent or contradicts itself:
- Its one example does not add up (``balance`` 10000 + ``balance_delta`` 1500 ≠
  ``balance_end`` 9500). Here ``balance``/``reserve`` are the amounts before the
  movement, ``balance_end``/``reserve_end`` after it, and each delta is end − before.
- ``type``: the document shows ``MOTION_TYPE_ORDER`` only. The sandbox also writes
  ``MOTION_TYPE_DEPOSIT``, ``MOTION_TYPE_WITHDRAW``, ``MOTION_TYPE_TRANSFER``,
  ``MOTION_TYPE_BORROW``, ``MOTION_TYPE_REPAY`` and ``MOTION_TYPE_LIQUIDATION``.
- ``pair``: the example writes ``USDT_BTC`` for a USDT row; rows of an order name the
  order's pair when known, an isolated margin wallet its pair, others are empty.
- ``side`` (``BUY``/``SELL``) has no stated meaning for a movement; it is read as its
  direction: ``BUY`` keeps rows whose total (balance + reserve) grew, ``SELL`` those
  whose total shrank.
- ``wallet_id``: a number per account, wallet type, pair and currency, stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.alp.catalogue import Positional
from sandbox.wire import json_response

ORDER = "MOTION_TYPE_ORDER"
DEPOSIT = "MOTION_TYPE_DEPOSIT"
WITHDRAW = "MOTION_TYPE_WITHDRAW"
TRANSFER = "MOTION_TYPE_TRANSFER"
BORROW = "MOTION_TYPE_BORROW"
REPAY = "MOTION_TYPE_REPAY"
LIQUIDATION = "MOTION_TYPE_LIQUIDATION"


@dataclass(frozen=True, slots=True)
class Motion:
    id: int
    account_id: int
    currency: str
    pair: str
    wallet_id: int
    at: float
    type: str
    balance: Decimal
    reserve: Decimal
    balance_end: Decimal
    reserve_end: Decimal
    wallet_type: str

    @property
    def grew(self) -> bool:
        return self.balance_end + self.reserve_end > self.balance + self.reserve


def _number(value: Decimal) -> Decimal:
    """Written as in the v3 examples: ``10000.0``, ``-1500.0``, ``0.05``."""
    exact = value.normalize()
    if exact == exact.to_integral_value():
        return Positional(value.quantize(Decimal("0.0")))
    return Positional(exact)


class ActivityLedger:
    """Every account's movements, in the order they happened."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.rows: dict[int, list[Motion]] = {}
        self._wallet_ids: dict[tuple[int, str, str, str], int] = {}
        self._next_id = 12  # the document's example id

    def wallet_id(self, account_id: int, wallet_type: str, pair: str, currency: str) -> int:
        key = (account_id, wallet_type, pair, currency)
        if key not in self._wallet_ids:
            self._wallet_ids[key] = len(self._wallet_ids) + 3  # the example's wallet 3 first
        return self._wallet_ids[key]

    def record(
        self,
        account_id: int,
        currency: str,
        kind: str,
        before: tuple[Decimal, Decimal],
        after: tuple[Decimal, Decimal],
        *,
        wallet_type: str = "SPOT",
        pair: str = "",
    ) -> Motion | None:
        """One movement (nothing when the wallet did not change)."""
        if before == after:
            return None
        motion = Motion(
            id=self._next_id,
            account_id=account_id,
            currency=currency.upper(),
            pair=pair,
            wallet_id=self.wallet_id(account_id, wallet_type, pair, currency.upper()),
            at=self.now(),
            type=kind,
            balance=before[0],
            reserve=before[1],
            balance_end=after[0],
            reserve_end=after[1],
            wallet_type=wallet_type,
        )
        self._next_id += 1
        self.rows.setdefault(account_id, []).append(motion)
        return motion

    def of(self, account_id: int) -> list[Motion]:
        return list(self.rows.get(account_id, []))

    @staticmethod
    def to_json(motion: Motion) -> dict[str, Any]:
        return {
            "id": motion.id,
            "account_id": motion.account_id,
            "currency": motion.currency,
            "pair": motion.pair,
            "wallet_id": motion.wallet_id,
            "date": datetime.fromtimestamp(motion.at, tz=UTC).isoformat(timespec="microseconds"),
            "type": motion.type,
            "balance": _number(motion.balance),
            "balance_delta": _number(motion.balance_end - motion.balance),
            "reserve": _number(motion.reserve),
            "reserve_delta": _number(motion.reserve_end - motion.reserve),
            "balance_end": _number(motion.balance_end),
            "reserve_end": _number(motion.reserve_end),
            "wallet_type": motion.wallet_type,
        }

    def answer(
        self,
        account_id: int,
        *,
        currency: str | None,
        side: str | None,
        start: float,
        end: float,
    ) -> web.Response:
        """The activity list, newest first, filtered as the query asked."""
        rows = [
            self.to_json(m)
            for m in reversed(self.rows.get(account_id, []))
            if (currency is None or m.currency == currency)
            and (side is None or (side == "BUY") == m.grew)
            and start <= m.at < end
        ]
        return json_response(rows)
