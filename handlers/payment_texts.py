"""Messages of WallexPay's futures, exchange at the market rate and the invoice list.

Kept apart from ``money_texts.py`` (withdrawals, coupons, quotes and callbacks) so each
module holds one family of messages; amounts and statuses are written the same way
(``money``, ``callback_status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_UP, Decimal
from html import escape

from bot.i18n import Lang
from bot.payments import FuturesFixed, FuturesOffer, InvoiceView, NoFuturesRate
from exchanges.wallexpay.models import Address
from handlers.money_texts import callback_status, money

ESTIMATE_PLACES = Decimal("0.00000001")


def _plain(value: Decimal) -> str:
    return escape(format(value.normalize(), "f"))


def duration(lang: Lang, seconds: int) -> str:
    """``95`` → "1 min 35 s"; under a minute "35 s"."""
    minutes, rest = divmod(max(seconds, 0), 60)
    if minutes:
        return lang(
            "{minutes} min {seconds} s",
            minutes=lang.integer(minutes),
            seconds=lang.integer(rest),
        )
    return lang("{seconds} s", seconds=lang.integer(rest))


# --- futures ----------------------------------------------------------------------------
def futures_text(lang: Lang, offer: FuturesOffer, seconds_left: int) -> str:
    lines = [
        lang("<b>Futures on WallexPay</b>"),
        lang(
            "You receive: {amount}",
            amount=money(lang, offer.receiver_amount, offer.receiver_currency),
        ),
    ]
    estimate = offer.sender_estimate
    if estimate is not None:
        lines.append(
            lang(
                "Your customer pays in {currency}: about {amount} before the fee.",
                currency=escape(offer.sender_currency),
                amount=money(
                    lang,
                    estimate.quantize(ESTIMATE_PLACES, rounding=ROUND_UP).normalize(),
                    offer.sender_currency,
                ),
            )
        )
    lines.append(lang("Rate: {price}", price=_plain(offer.price)))
    address = escape(offer.address)
    lines.append(lang("Address: <code>{address}</code>", address=address))
    if offer.tag:
        lines.append(lang("Tag: <code>{tag}</code>", tag=escape(offer.tag)))
    lines.append(lang("Rate fixed at {time}.", time=lang.clock(offer.fixed_at) + " UTC"))
    if seconds_left > 0:
        lines.append(
            lang(
                "⏳ It holds for {left} more (until {time}).",
                left=duration(lang, seconds_left),
                time=lang.clock(offer.release_at) + " UTC",
            )
        )
        lines.append(lang("Confirm fixes this rate for deposits to this address."))
    else:
        lines.append(futures_lapsed_text(lang, offer))
    return "\n".join(lines)


def futures_lapsed_text(lang: Lang, offer: FuturesOffer) -> str:
    return lang(
        "⌛ These futures rates lapsed at {time}: nothing was fixed. Ask for fresh rates.",
        time=lang.clock(offer.release_at) + " UTC",
    )


def futures_fixed_text(lang: Lang, done: FuturesFixed) -> str:
    lines = [
        lang(
            "✅ WallexPay fixed futures {id}: {got} for {given} at {price}.",
            id=escape(done.id),
            got=money(lang, done.receiver_amount, done.receiver_currency),
            given=money(lang, done.sender_amount, done.sender_currency),
            price=_plain(done.price),
        ),
        lang(
            "Have your customer send exactly {amount} to <code>{address}</code> by {time}.",
            amount=money(lang, done.sender_amount, done.sender_currency),
            address=escape(done.address),
            time=lang.time(done.release_at),
        ),
    ]
    if done.tag:
        lines.append(lang("Tag: <code>{tag}</code>", tag=escape(done.tag)))
    if done.fee_amount is not None and done.fee_currency:
        lines.append(lang("Fee: {fee}", fee=money(lang, done.fee_amount, done.fee_currency)))
    lines.append(
        lang("I will tell you here when a deposit to this address arrives (from the callbacks).")
    )
    return "\n".join(lines)


def no_futures_rate_text(lang: Lang, error: NoFuturesRate) -> str:
    return lang(
        "WallexPay gave no futures rate for {sender} → {receiver}. See /rates for the pairs "
        "it offers.",
        sender=escape(error.sender),
        receiver=escape(error.receiver),
    )


# --- deposit with exchange --------------------------------------------------------------
def converting_deposit_text(lang: Lang, taken: Address) -> str:
    lines = [
        lang(
            "Deposit {currency} to your WallexPay account:",
            currency=escape(taken.currency),
        ),
        f"<code>{escape(taken.address)}</code>",
    ]
    if taken.tag:
        lines.append(lang("Memo / tag (required): <code>{memo}</code>", memo=escape(taken.tag)))
    if taken.convert_to:
        lines.append(
            lang(
                "Every deposit is converted to {target} on arrival, at WallexPay's rate then "
                "(/futures fixes a rate in advance).",
                target=escape(taken.convert_to),
            )
        )
    lines.append(
        lang(
            "Send only {currency} on this network to this address.",
            currency=escape(taken.currency),
        )
    )
    return "\n".join(lines)


# --- exchange at the market rate --------------------------------------------------------
def convert_now_text(
    lang: Lang, amount: Decimal, sender: str, receiver: str, estimate: Decimal | None
) -> str:
    lines = [
        lang("<b>Exchange on WallexPay at the market rate</b>"),
        lang("You give: {amount}", amount=money(lang, amount, sender)),
    ]
    if estimate is not None:
        lines.append(
            lang("You get about: {amount} at today's rate", amount=money(lang, estimate, receiver))
        )
    lines.append(
        lang(
            "No price is fixed: WallexPay uses its rate when the request arrives. "
            "Confirm sends the exchange."
        )
    )
    return "\n".join(lines)


# --- invoices ---------------------------------------------------------------------------
def invoices_text(lang: Lang, found: Sequence[InvoiceView]) -> str:
    if not found:
        return lang(
            "You have no WallexPay invoices made here yet. Make one with "
            "/invoice AMOUNT CURRENCY [TITLE]."
        )
    lines = [lang("<b>Your WallexPay invoices</b> (newest first)")]
    for inv in found:
        title = f" “{escape(inv.title)}”" if inv.title else ""
        line = lang(
            "• <code>{id}</code> {amount}{title}: {status}",
            id=escape(inv.id),
            amount=money(lang, inv.amount, inv.currency),
            title=title,
            status=callback_status(lang, inv.status),
        )
        if inv.status == "created" and inv.release_at is not None:
            line += " " + lang("(pay by {time})", time=lang.time(inv.release_at))
        lines.append(line)
        lines.append("  " + escape(inv.url))
    return "\n".join(lines)
