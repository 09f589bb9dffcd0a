"""A history list as a CSV file: what the "Export CSV" button sends.

One row per fetched row, in the order shown (newest first), with a header line. The
file is for spreadsheets and scripts, so nothing in it is translated or grouped:
times are ISO 8601 in UTC, sides and statuses the plain English words, and every
amount the exact ``Decimal`` the exchange sent, written in plain digits (never through
float, never with an exponent, trailing zeros dropped: ``0.0010000000`` is ``0.001``).
A text cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``) is
prefixed with ``'``: ids and addresses come from the exchange, not from us.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from bot.history import Kind, Row, TradeRow, TransferRow

TRADE_COLUMNS = (
    "time",
    "market",
    "side",
    "price",
    "amount",
    "total",
    "fee",
    "fee currency",
    "order id",
    "trade id",
)
TRANSFER_COLUMNS = (
    "time",
    "type",
    "currency",
    "amount",
    "fee",
    "fee currency",
    "status",
    "network",
    "address",
    "txid",
    "id",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Decimal | None) -> str:
    """``Decimal`` → its exact value in plain digits; empty when unknown."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cell(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA) else text


def trade_line(r: TradeRow) -> list[str]:
    return [
        iso(r.time),
        cell(r.market),
        r.side.value,
        plain(r.price),
        plain(r.amount),
        plain(r.total),
        plain(r.fee),
        cell(r.fee_currency),
        cell(r.order_id),
        cell(r.trade_id),
    ]


def transfer_line(r: TransferRow) -> list[str]:
    return [
        iso(r.time),
        "deposit" if r.kind is Kind.DEPOSITS else "withdrawal",
        cell(r.currency),
        plain(r.amount),
        plain(r.fee),
        cell(r.fee_currency),
        cell(r.status),
        cell(r.network),
        cell(r.address),
        cell(r.txid),
        cell(r.transfer_id),
    ]


def to_csv(kind: Kind, rows: Sequence[Row]) -> bytes:
    """UTF-8 CSV (with a BOM, so spreadsheet programs read it as UTF-8), CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if kind is Kind.TRADES:
        writer.writerow(TRADE_COLUMNS)
        writer.writerows(trade_line(r) for r in rows if isinstance(r, TradeRow))
    else:
        writer.writerow(TRANSFER_COLUMNS)
        writer.writerows(transfer_line(r) for r in rows if isinstance(r, TransferRow))
    return out.getvalue().encode("utf-8-sig")


def filename(exchange: str, kind: Kind, symbol: str | None, now: datetime) -> str:
    market = f"-{''.join(c for c in symbol if c.isalnum())}" if symbol else ""
    return f"{exchange}-{kind.value}{market}-{now.astimezone(UTC):%Y%m%d-%H%M%S}.csv"
