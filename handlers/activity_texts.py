"""/activity's pages → message text (HTML), translated. No Telegram calls."""

from __future__ import annotations

from html import escape

from bot.activity import ActivityPage
from bot.i18n import Lang
from exchanges.alp.wallets import WalletMovement
from handlers.margin_texts import wallet_name
from handlers.texts import exchange_title


def kind_word(lang: Lang, kind: str) -> str:
    """ALP's ``MOTION_TYPE_…`` in words; an unknown one as written."""
    words = {
        "ORDER": lang("Order"),
        "DEPOSIT": lang("Deposit"),
        "WITHDRAW": lang("Withdrawal"),
        "TRANSFER": lang("Transfer"),
        "BORROW": lang("Borrow"),
        "REPAY": lang("Repayment"),
        "LIQUIDATION": lang("Liquidation"),
    }
    return words.get(kind, escape(kind.replace("_", " ").capitalize()))


def movement_line(lang: Lang, m: WalletMovement) -> str:
    line = lang(
        "{time} · {kind} · {amount} {currency} · {wallet}",
        time=lang.time(m.time),
        kind=kind_word(lang, m.kind),
        amount=lang.number(m.balance_delta.normalize(), sign=True),
        currency=escape(m.currency),
        wallet=wallet_name(lang, m.wallet_type, m.pair),
    )
    if m.reserve_delta:
        line += lang(
            " (locked {amount})", amount=lang.number(m.reserve_delta.normalize(), sign=True)
        )
    return line


def page_text(lang: Lang, page: ActivityPage) -> str:
    title = exchange_title(page.state.exchange)
    if not page.rows:
        return lang("No movements on your {exchange} wallets in the last 30 days.", exchange=title)
    lines = [
        lang(
            "<b>{exchange} wallet activity</b> · page {page} of {pages}",
            exchange=title,
            page=lang.integer(page.page + 1),
            pages=lang.integer(page.pages),
        )
    ]
    lines.extend(movement_line(lang, m) for m in page.shown)
    lines.append(lang("Amounts: change of the available balance; newest first, last 30 days."))
    return "\n".join(lines)


def not_offered_text(lang: Lang, exchange: str) -> str:
    return lang(
        "{exchange}'s API offers no wallet activity. Its deposits and withdrawals are in "
        "/deposits {name} and /withdrawals {name}, its trades in /history {name}.",
        exchange=exchange_title(exchange),
        name=exchange,
    )
