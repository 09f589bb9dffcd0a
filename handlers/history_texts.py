"""History pages (/history, /deposits, /withdrawals) → message text (HTML), translated.

No Telegram calls. Numbers keep the places the exchange sent (trailing zeros dropped);
anything that came from an exchange is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.history import (
    FETCH_LIMIT,
    WALLEXPAY,
    History,
    HistoryNotOffered,
    Kind,
    TradeRow,
    TransferRow,
)
from bot.i18n import Lang
from exchanges.models import Side, TransferStatus
from handlers.money_texts import callback_status, status_text
from handlers.texts import exchange_title

_TRANSFER_STATES = {s.value for s in TransferStatus}


def number(lang: Lang, value: Decimal) -> str:
    return lang.number(value.normalize())


def short(text: str, keep: int = 12) -> str:
    """A long id or address shortened in the middle (the CSV has it whole)."""
    return text if len(text) <= keep + 4 else f"{text[: keep // 2]}…{text[-keep // 2 :]}"


def code(text: str) -> str:
    return "<code>" + escape(short(text)) + "</code>"


def transfer_status(lang: Lang, row: TransferRow) -> str:
    if row.status in _TRANSFER_STATES:
        return status_text(lang, row.status)
    return callback_status(lang, row.status)  # WallexPay's own words


def title(lang: Lang, history: History) -> str:
    exchange = exchange_title(history.state.exchange)
    kind = history.state.kind
    if kind is Kind.TRADES and history.market is not None:
        return lang(
            "<b>Your trades in {pair} on {exchange}</b>",
            pair=escape(history.market.pair),
            exchange=exchange,
        )
    if kind is Kind.TRADES:
        return lang("<b>Your trades on {exchange}</b>", exchange=exchange)
    if kind is Kind.DEPOSITS:
        return lang("<b>Your deposits on {exchange}</b>", exchange=exchange)
    return lang("<b>Your withdrawals on {exchange}</b>", exchange=exchange)


def empty_text(lang: Lang, history: History) -> str:
    exchange = exchange_title(history.state.exchange)
    kind = history.state.kind
    if kind is Kind.TRADES and history.market is not None:
        text = lang(
            "You have no trades in {pair} on {exchange}.",
            pair=escape(history.market.pair),
            exchange=exchange,
        )
    elif kind is Kind.TRADES:
        text = lang("You have no trades on {exchange} yet.", exchange=exchange)
    elif kind is Kind.DEPOSITS:
        text = lang("You have no deposits on {exchange} yet.", exchange=exchange)
    else:
        text = lang("You have no withdrawals on {exchange} yet.", exchange=exchange)
    return "\n".join([text, *_notes(lang, history)])


def _notes(lang: Lang, history: History) -> list[str]:
    notes = []
    if len(history.rows) >= FETCH_LIMIT:
        notes.append(
            lang(
                "Only the latest {n} are listed; the exchange's website has the rest.",
                n=lang.integer(FETCH_LIMIT),
            )
        )
    if history.state.exchange == WALLEXPAY:
        notes.append(
            lang(
                "WallexPay's API has no history call: this is what its callbacks told me "
                "since you connected."
            )
        )
    return notes


def trade_lines(lang: Lang, r: TradeRow) -> list[str]:
    numbers = {
        "amount": number(lang, r.amount),
        "price": number(lang, r.price),
        "total": number(lang, r.total),
    }
    bought = r.side is Side.BUY
    if r.base and r.quote:
        names = {"base": escape(r.base), "quote": escape(r.quote)}
        what = (
            lang("Bought {amount} {base} at {price} = {total} {quote}", **numbers, **names)
            if bought
            else lang("Sold {amount} {base} at {price} = {total} {quote}", **numbers, **names)
        )
    else:
        market = escape(r.market)
        what = (
            lang("Bought {amount} {market} at {price} = {total}", **numbers, market=market)
            if bought
            else lang("Sold {amount} {market} at {price} = {total}", **numbers, market=market)
        )
    detail = [what]
    if r.fee is not None:
        detail.append(
            lang(
                "fee {fee} {currency}",
                fee=number(lang, r.fee),
                currency=escape(r.fee_currency or ""),
            ).rstrip()
        )
    return [f"{lang.time(r.time)} · {escape(r.market)}", "  " + " · ".join(detail)]


def transfer_lines(lang: Lang, r: TransferRow) -> list[str]:
    when = lang.time(r.time) if r.time is not None else "—"
    amount = (
        f"{number(lang, r.amount)} {escape(r.currency)}"
        if r.amount is not None
        else escape(r.currency) or "—"
    )
    head = f"{when} · {amount} · <b>{transfer_status(lang, r)}</b>"
    detail = []
    if r.fee is not None:
        detail.append(
            lang(
                "fee {fee} {currency}",
                fee=number(lang, r.fee),
                currency=escape(r.fee_currency or ""),
            ).rstrip()
        )
    if r.network:
        detail.append(escape(r.network))
    if r.address:
        detail.append(lang("to {address}", address=code(r.address)))
    if r.txid:
        detail.append(lang("tx {txid}", txid=code(r.txid)))
    if not detail and r.transfer_id:
        detail.append(lang("id {id}", id=code(r.transfer_id)))
    return [head, "  " + " · ".join(detail)] if detail else [head]


def page_text(lang: Lang, history: History) -> str:
    """One page of the list, or the sentence that it is empty."""
    if not history.rows:
        return empty_text(lang, history)
    lines = [
        title(lang, history),
        lang(
            "Page {page} of {pages} · {count} in all, newest first",
            page=lang.integer(history.page + 1),
            pages=lang.integer(history.pages),
            count=lang.integer(len(history.rows)),
        ),
    ]
    for row in history.shown:
        lines.append("")
        if isinstance(row, TradeRow):
            lines.extend(trade_lines(lang, row))
        else:
            lines.extend(transfer_lines(lang, row))
    notes = _notes(lang, history)
    if notes:
        lines.extend(["", *notes])
    return "\n".join(lines)


def csv_caption(lang: Lang, history: History) -> str:
    return lang(
        "{title} — {count} in all, newest first, times in UTC.",
        title=title(lang, history),
        count=lang.integer(len(history.rows)),
    )


def not_offered_text(lang: Lang, error: HistoryNotOffered) -> str:
    exchange = exchange_title(error.exchange)
    if error.reason == "no_trading":
        return lang(
            "{exchange} is a payment gateway without trading, so there is no trade history. "
            "/deposits {name} and /withdrawals {name} list your transfers there.",
            exchange=exchange,
            name=error.exchange,
        )
    if error.kind is Kind.DEPOSITS:
        return lang(
            "The {exchange} API document has no call that lists deposits, so I can't show "
            "them; the {exchange} website does.",
            exchange=exchange,
        )
    if error.kind is Kind.WITHDRAWALS:
        return lang(
            "The {exchange} API document has no call that lists withdrawals, so I can't "
            "show them; the {exchange} website does.",
            exchange=exchange,
        )
    return lang(
        "The {exchange} API document has no call that lists your trades, so I can't show "
        "them; the {exchange} website does.",
        exchange=exchange,
    )
