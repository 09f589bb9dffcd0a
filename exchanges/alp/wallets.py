"""ALP.COM v3 wallets: balances per wallet type and the wallet activity (seed 002).

Pure models and parsers of ``GET /api/v3/accounts/balances`` and ``GET
/api/v3/wallets/activity``; the calls themselves are ``AlpAccount.wallet_balances`` and
``AlpAccount.wallet_activity``.

Why a model of its own instead of ``exchanges.models.Balance``: v3 lists one row per
account, wallet type (``SPOT``, ``CROSS_MARGIN``, ``ISOLATED_MARGIN``) and, for an
isolated wallet, pair. ``Balance`` is one row per currency, which is what every other
use (order checks, withdrawals) needs; folding margin wallets into it would let a
margin balance pass for a spot one.

Choices where the document is silent or contradicts itself:
- ``balance`` is the available amount and ``reserve`` the part "locked in orders", as
  for v1 ``wallets/``.
- An activity row's ``balance``/``reserve`` are read as the amounts *before* the
  movement, ``balance_end``/``reserve_end`` after it, and the deltas as end − before.
  The document's one example does not add up (10000 + 1500 ≠ 9500); the deltas and the
  ``*_end`` values are what is shown, so a server that means otherwise still shows the
  movement and where it left the wallet.
- ``type``: the document shows only ``MOTION_TYPE_ORDER``; any ``MOTION_TYPE_…`` is
  accepted and shown in words when known (``motion_word``), as written otherwise.
- The list has no paging parameters: the 30 days the server returns by default are
  fetched and paged by the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from exchanges.wire import as_list, as_mapping, field, opt_decimal, parse_iso_time, to_decimal

NAME = "alp"
SPOT = "SPOT"
CROSS_MARGIN = "CROSS_MARGIN"
ISOLATED_MARGIN = "ISOLATED_MARGIN"
WALLET_TYPES = (SPOT, CROSS_MARGIN, ISOLATED_MARGIN)


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """One v3 wallet: a currency in one wallet type of one account (and pair, isolated)."""

    account_id: int
    wallet_type: str
    currency: str
    available: Decimal
    locked: Decimal
    pair: str | None = None
    updated_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        return self.available + self.locked


@dataclass(frozen=True, slots=True)
class WalletMovement:
    """One row of the wallet activity: what moved, by how much, and what was left."""

    movement_id: str
    time: datetime
    type: str
    currency: str
    wallet_type: str
    balance_delta: Decimal
    reserve_delta: Decimal
    balance_end: Decimal | None
    reserve_end: Decimal | None
    pair: str | None = None

    @property
    def kind(self) -> str:
        """``MOTION_TYPE_ORDER`` → ``ORDER``."""
        return self.type.removeprefix("MOTION_TYPE_")


def _optional_text(raw: Any) -> str | None:
    text = str(raw or "").strip()
    return text or None


def _time(raw: Any, what: str) -> datetime | None:
    if raw in (None, ""):
        return None
    return parse_iso_time(NAME, raw, what)


def _number_of(text: str) -> int:
    return int(text) if text.isdigit() else 0


def wallet_balances(body: Any) -> list[WalletBalance]:
    """``accounts/balances`` rows, in the order listed."""
    out = []
    for raw in as_list(NAME, body, "balances"):
        row = as_mapping(NAME, raw, "balance")
        out.append(
            WalletBalance(
                account_id=int(to_decimal(NAME, field(NAME, row, "account_id"), "account_id")),
                wallet_type=str(row.get("wallet_type") or SPOT).upper(),
                currency=str(field(NAME, row, "currency")).upper(),
                available=to_decimal(NAME, field(NAME, row, "balance"), "balance"),
                locked=to_decimal(NAME, row.get("reserve", 0), "reserve"),
                pair=_optional_text(row.get("pair")),
                updated_at=_time(row.get("last_update_at"), "last_update_at"),
            )
        )
    return out


def wallet_activity(body: Any) -> list[WalletMovement]:
    """``wallets/activity`` rows, newest first."""
    out = []
    for raw in as_list(NAME, body, "activity"):
        row = as_mapping(NAME, raw, "movement")
        when = parse_iso_time(NAME, field(NAME, row, "date"), "date")
        out.append(
            WalletMovement(
                movement_id=str(field(NAME, row, "id")),
                time=when,
                type=str(row.get("type") or "").upper(),
                currency=str(field(NAME, row, "currency")).upper(),
                wallet_type=str(row.get("wallet_type") or SPOT).upper(),
                balance_delta=to_decimal(NAME, row.get("balance_delta", 0), "balance_delta"),
                reserve_delta=to_decimal(NAME, row.get("reserve_delta", 0), "reserve_delta"),
                balance_end=opt_decimal(NAME, row.get("balance_end"), "balance_end"),
                reserve_end=opt_decimal(NAME, row.get("reserve_end"), "reserve_end"),
                pair=_optional_text(row.get("pair")),
            )
        )
    out.sort(key=lambda m: (m.time, _number_of(m.movement_id)), reverse=True)
    return out
