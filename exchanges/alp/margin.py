"""ALP.COM v3 margin: positions and the histories of borrows, repayments, transfers,
interest and liquidations, as models (seed 002, "Margin" sections).

Pure parsers; the calls are ``AlpAccount.margin_positions``, ``margin_history``,
``margin_borrow``, ``margin_repay``, ``margin_transfer`` and ``margin_close``.

Choices where the document is silent or contradicts itself:
- The positions example spells the currency ``currecny``; that key is read, and
  ``currency`` as well in case the server spells it right.
- ``GET /api/v3/margin`` needs ``isolated_margin`` or ``cross_margin`` set true; both
  are sent, so one call lists every position.
- ``interest`` of a position is read as interest accrued and not yet paid, in the
  position's currency; ``borrowed`` as the principal still owed.
- Histories are read with their own field names (``borrowed``, ``principal_amount``,
  ``amount``, ``interest_accrued``, ``amount`` of a liquidation) and put into one
  ``MarginEvent`` shape so a list can be shown newest first; ``opened_at`` (or
  ``date``) dates a borrow, ``created_at`` a liquidation.
- Transfer ``direction``: ``ADD`` moves funds from spot into the margin wallet, ``SUB``
  back to spot (the document names only the two words).
- Every history call is left at the server's default window: the last 30 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from exchanges.alp import parse
from exchanges.errors import BadResponse, InsufficientFunds
from exchanges.http import HttpReply
from exchanges.wire import as_list, as_mapping, field, opt_decimal, parse_iso_time, to_decimal

NAME = "alp"
CROSS_MARGIN = "CROSS_MARGIN"
ISOLATED_MARGIN = "ISOLATED_MARGIN"
LOAN_MANUAL = "LOAN_MANUAL"
ADD = "ADD"  # spot → margin
SUB = "SUB"  # margin → spot


@dataclass(frozen=True, slots=True)
class MarginPosition:
    """What is owed in one currency of one margin wallet."""

    position_id: str
    wallet_type: str
    currency: str
    borrowed: Decimal
    interest: Decimal
    pair: str | None = None

    @property
    def owed(self) -> Decimal:
        return self.borrowed + self.interest


class EventKind(StrEnum):
    BORROW = "borrow"
    REPAY = "repay"
    TRANSFER_IN = "transfer_in"  # ADD: spot → margin
    TRANSFER_OUT = "transfer_out"  # SUB: margin → spot
    INTEREST = "interest"
    LIQUIDATION = "liquidation"


@dataclass(frozen=True, slots=True)
class MarginEvent:
    """One row of any margin history. ``amount`` is the principal borrowed or repaid,
    the amount transferred, the interest charged or the amount liquidated; ``extra``
    the interest part of a repayment, or the fund amount of a liquidation."""

    kind: EventKind
    event_id: str
    time: datetime | None
    wallet_type: str
    currency: str
    amount: Decimal
    pair: str | None = None
    extra: Decimal | None = None
    still_open: bool = False  # a borrow not yet closed, a liquidation under way


def _text(raw: Any) -> str | None:
    text = str(raw or "").strip()
    return text or None


def _time(raw: Any, what: str) -> datetime | None:
    if raw in (None, ""):
        return None
    return parse_iso_time(NAME, raw, what)


def _wallet(row: Any) -> str:
    return str(row.get("wallet_type") or CROSS_MARGIN).upper()


def positions(body: Any) -> list[MarginPosition]:
    out = []
    for raw in as_list(NAME, body, "margin positions"):
        row = as_mapping(NAME, raw, "margin position")
        currency = row.get("currecny", row.get("currency"))
        if not currency:
            raise BadResponse(NAME, "a margin position names no currency")
        out.append(
            MarginPosition(
                position_id=str(field(NAME, row, "id")),
                wallet_type=_wallet(row),
                currency=str(currency).upper(),
                borrowed=to_decimal(NAME, row.get("borrowed", 0), "borrowed"),
                interest=to_decimal(NAME, row.get("interest", 0), "interest"),
                pair=_text(row.get("pair")),
            )
        )
    return out


def _events(
    body: Any,
    many: str,
    one: str,
    kind: EventKind,
    amount: str,
    *,
    time: tuple[str, ...] = ("date",),
    extra: str | None = None,
    pair: bool = True,
    still_open: bool = False,
) -> list[MarginEvent]:
    """One of ALP's margin lists as events: the lists differ only in which field holds
    the amount, the time (the first of ``time`` that is set) and the extra figure."""
    out = []
    for raw in as_list(NAME, body, many):
        row = as_mapping(NAME, raw, one)
        when = row.get(time[0])
        for key in time[1:]:
            when = when or row.get(key)
        out.append(
            MarginEvent(
                kind=kind,
                event_id=str(field(NAME, row, "id")),
                time=_time(when, time[0]),
                wallet_type=_wallet(row),
                currency=str(field(NAME, row, "currency")).upper(),
                amount=to_decimal(NAME, field(NAME, row, amount), amount),
                pair=_text(row.get("pair")) if pair else None,
                extra=None if extra is None else opt_decimal(NAME, row.get(extra), extra),
                still_open=still_open and not _text(row.get("closed_at")),
            )
        )
    return out


def borrows(body: Any) -> list[MarginEvent]:
    return _events(
        body,
        "borrows",
        "borrow",
        EventKind.BORROW,
        "borrowed",
        time=("opened_at", "date"),
        extra="repaid",
        still_open=True,
    )


def repayments(body: Any) -> list[MarginEvent]:
    return _events(
        body,
        "repayments",
        "repayment",
        EventKind.REPAY,
        "principal_amount",
        extra="interest_amount",
    )


def transfers(body: Any) -> list[MarginEvent]:
    out = []
    for raw in as_list(NAME, body, "transfers"):
        row = as_mapping(NAME, raw, "transfer")
        direction = str(field(NAME, row, "direction")).upper()
        if direction not in (ADD, SUB):
            raise BadResponse(NAME, f"transfer direction {direction!r} is neither ADD nor SUB")
        kind = EventKind.TRANSFER_IN if direction == ADD else EventKind.TRANSFER_OUT
        out.extend(_events([row], "transfers", "transfer", kind, "amount"))
    return out


def interest(body: Any) -> list[MarginEvent]:
    return _events(
        body,
        "interest",
        "interest charge",
        EventKind.INTEREST,
        "interest_accrued",
        extra="interest_paid",
    )


def liquidations(body: Any) -> list[MarginEvent]:
    return _events(
        body,
        "liquidations",
        "liquidation",
        EventKind.LIQUIDATION,
        "amount",
        time=("created_at",),
        extra="fund_amount",
        pair=False,
        still_open=True,
    )


def newest_first(events: Sequence[MarginEvent]) -> list[MarginEvent]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(events, key=lambda e: e.time or oldest, reverse=True)


# The document shows no refusal text; these phrases in a 400's ``message`` say the
# wallet does not hold enough for a transfer or a repayment. Anything else (a borrow
# over its limit, a repayment over the debt) is shown in the exchange's own words.
_SHORT = ("insufficient", "not enough")


def checked(reply: HttpReply) -> Any:
    """A state-changing margin call's answer (200/202, body unused), or its error: a
    400 whose reason says the wallet is short is ``InsufficientFunds``, any other
    refusal what ``parse.checked`` makes of it."""
    if reply.status == 400:
        try:
            body = reply.json(NAME)
        except BadResponse:
            body = None
        reason = parse.reason_of(body)
        if reason and any(word in reason.lower() for word in _SHORT):
            raise InsufficientFunds(NAME, reason)
    if reply.status >= 400:
        return parse.checked(reply)
    return None
