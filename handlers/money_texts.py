"""Messages of the money commands: withdrawal and coupon summaries, the code step,
results, the address book, daily caps, and the errors of ``bot/withdrawals.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from bot.addresses import AddressBookFull, AddressNotFound, BadAddress, SavedAddressView
from bot.callbacks import CallbackNotice
from bot.caps import CapChange, CapExceeded, CapView
from bot.confirmations import Action, State
from bot.i18n import Lang
from bot.money_recovery import CODE_KINDS
from bot.payments import Conversion, InvoiceLink, NotAWallexPayFeature, Quote
from bot.withdrawals import (
    AmountProblem,
    CouponMade,
    CouponPlan,
    CouponRedeemed,
    CouponsNotOffered,
    MemoRequired,
    NotEnoughBalance,
    OutcomeUnknown,
    WithdrawalPlan,
    WithdrawalsNotOffered,
)
from exchanges.models import TransferStatus, Withdrawal
from handlers.commands import N_
from handlers.texts import exchange_title


def money(lang: Lang, value: Decimal, currency: str) -> str:
    return f"{lang.number(value)} {escape(currency)}"


def status_text(lang: Lang, status: TransferStatus | str) -> str:
    names = {
        TransferStatus.PENDING.value: lang("pending"),
        TransferStatus.COMPLETED.value: lang("completed"),
        TransferStatus.CANCELLED.value: lang("cancelled"),
        TransferStatus.FAILED.value: lang("failed"),
    }
    return names.get(str(status), escape(str(status)))


def cap_line(lang: Lang, cap: CapView | None, amount: Decimal) -> str | None:
    if cap is None or cap.amount is None:
        return None
    return lang(
        "Daily cap: {spent} of {cap} used in the last 24 hours; this leaves {left}.",
        spent=money(lang, cap.spent, cap.currency),
        cap=money(lang, cap.amount, cap.currency),
        left=money(lang, max(cap.amount - cap.spent - amount, Decimal(0)), cap.currency),
    )


def withdrawal_summary(lang: Lang, plan: WithdrawalPlan, seconds: int) -> str:
    lines = [
        lang(
            "<b>Withdraw from {exchange}</b>: check every line.",
            exchange=exchange_title(plan.exchange),
        ),
        lang("Amount: {amount}", amount=money(lang, plan.amount, plan.currency)),
    ]
    if plan.fee is not None:
        lines.append(lang("Fee: {fee}", fee=money(lang, plan.fee, plan.currency)))
    else:
        lines.append(lang("Fee: {exchange} does not say", exchange=exchange_title(plan.exchange)))
    if plan.receive is not None:
        lines.append(
            lang("The address receives: {amount}", amount=money(lang, plan.receive, plan.currency))
        )
    elif plan.fee is not None:
        lines.append(
            lang(
                "The address receives {low} to {high}: {exchange} does not say whether the "
                "fee is taken from the amount or added to it.",
                low=money(lang, plan.amount - plan.fee, plan.currency),
                high=money(lang, plan.amount, plan.currency),
                exchange=exchange_title(plan.exchange),
            )
        )
    if plan.debit != plan.amount:
        lines.append(
            lang("Leaves your balance: {amount}", amount=money(lang, plan.debit, plan.currency))
        )
    if plan.network:
        lines.append(lang("Network: {network}", network=escape(plan.network)))
    lines.append(lang("To this address:"))
    lines.append(f"<code>{escape(plan.address)}</code>")
    if plan.memo:
        lines.append(lang("Memo / tag: <code>{memo}</code>", memo=escape(plan.memo)))
    if plan.saved:
        if plan.saved_label:
            lines.append(lang("✔️ Saved address “{label}”.", label=escape(plan.saved_label)))
        else:
            lines.append(lang("✔️ An address from your address book."))
    else:
        lines.append(
            "<b>"
            + lang("⚠️ You never saved this address. Check every character before you confirm.")
            + "</b>"
        )
    line = cap_line(lang, plan.cap, plan.amount)
    if line:
        lines.append(line)
    if plan.available is not None:
        lines.append(lang("Available: {amount}", amount=money(lang, plan.available, plan.currency)))
    lines.append(
        lang(
            "After Confirm I send you a one-time code to type back; only then does it go out. "
            "Confirm within {seconds} seconds.",
            seconds=lang.integer(seconds),
        )
    )
    return "\n".join(lines)


def coupon_summary(lang: Lang, plan: CouponPlan, seconds: int) -> str:
    lines = [
        lang("<b>Create a {exchange} coupon</b>", exchange=exchange_title(plan.exchange)),
        lang("Amount: {amount}", amount=money(lang, plan.amount, plan.currency)),
        lang(
            "Whoever holds the coupon code owns the money. I show it to you once and "
            "never store it."
        ),
    ]
    line = cap_line(lang, plan.cap, plan.amount)
    if line:
        lines.append(line)
    lines.append(lang("Available: {amount}", amount=money(lang, plan.available, plan.currency)))
    lines.append(
        lang(
            "After Confirm I send you a one-time code to type back; only then does it go out. "
            "Confirm within {seconds} seconds.",
            seconds=lang.integer(seconds),
        )
    )
    return "\n".join(lines)


def redeem_summary(lang: Lang, exchange: str, seconds: int) -> str:
    return "\n".join(
        [
            lang("<b>Redeem a {exchange} coupon</b>", exchange=exchange_title(exchange)),
            lang("I deleted your message with the coupon code; I keep it only until you answer."),
            lang(
                "After Confirm I send you a one-time code to type back; only then does it go "
                "out. Confirm within {seconds} seconds.",
                seconds=lang.integer(seconds),
            ),
        ]
    )


def code_message(lang: Lang, code: str, what: str) -> str:
    return "\n".join(
        [
            lang("🔐 Your one-time code: <code>{code}</code>", code=code),
            lang(
                "Type it back here within 2 minutes to {what}. Three wrong codes cancel it; "
                "/cancel stops. Never give this code to anyone.",
                what=what,
            ),
        ]
    )


def what_text(lang: Lang, kind: str, payload: dict[str, object]) -> str:
    currency = str(payload.get("currency") or "")
    amount = payload.get("amount")
    shown = money(lang, Decimal(str(amount)), currency) if amount is not None else ""
    if kind == "withdrawal":
        address = str(payload.get("address") or "")
        return lang("send {amount} to …{tail}", amount=shown, tail=escape(address[-6:]))
    if kind == "coupon":
        return lang("create a coupon of {amount}", amount=shown)
    return lang("redeem the coupon")


def wrong_code(lang: Lang, left: int) -> str:
    return lang("That code is wrong. Tries left: {n}.", n=lang.integer(left))


def locked_text(lang: Lang) -> str:
    return lang("Three wrong codes: it is cancelled and nothing was sent.")


def expired_code_text(lang: Lang) -> str:
    return lang("The code expired (it lives 2 minutes): nothing was sent. Send the command again.")


def code_cancelled_text(lang: Lang) -> str:
    return lang("Cancelled: nothing was sent.")


def withdrawal_sent(lang: Lang, done: Withdrawal) -> str:
    if done.withdrawal_id:
        head = lang(
            "✅ {exchange} accepted the withdrawal: id <code>{id}</code>, status {status}.",
            exchange=exchange_title(done.exchange),
            id=escape(done.withdrawal_id),
            status=status_text(lang, done.status),
        )
    else:
        head = lang(
            "✅ {exchange} accepted the withdrawal (it has not given it an id yet), "
            "status {status}.",
            exchange=exchange_title(done.exchange),
            status=status_text(lang, done.status),
        )
    lines = [
        head,
        lang("Amount: {amount}", amount=money(lang, done.amount, done.currency)),
    ]
    if done.fee is not None:
        lines.append(lang("Fee: {fee}", fee=money(lang, done.fee, done.currency)))
    if done.txid:
        lines.append(lang("Transaction: <code>{txid}</code>", txid=escape(done.txid)))
    return "\n".join(lines)


def offer_to_save(lang: Lang) -> str:
    return lang("Save this address to your address book, so next time it is not flagged?")


def coupon_made(lang: Lang, made: CouponMade) -> str:
    lines = [
        lang("✅ Coupon created: {amount}.", amount=money(lang, made.amount, made.currency)),
        f"<code>{escape(made.code)}</code>",
        lang(
            "This is the only time I show it and I do not keep it: copy it somewhere safe. "
            "Whoever has it can redeem it."
        ),
    ]
    if made.transaction_id:
        lines.append(lang("Transaction id: {id}", id=escape(made.transaction_id)))
    return "\n".join(lines)


def coupon_redeemed(lang: Lang, done: CouponRedeemed) -> str:
    text = lang(
        "✅ Coupon redeemed: {amount} added to your balance.",
        amount=money(lang, done.amount, done.currency),
    )
    if done.transaction_id:
        text += "\n" + lang("Transaction id: {id}", id=escape(done.transaction_id))
    return text


def nothing_sent(lang: Lang) -> str:
    return lang("Nothing was sent.")


def restart_lost_code(lang: Lang) -> str:
    return lang(
        "I restarted before you typed the code back, so nothing was sent. "
        "Send the command again if you still want it."
    )


# --- address book -----------------------------------------------------------------
def address_line(lang: Lang, a: SavedAddressView) -> str:
    head = f"{exchange_title(a.exchange)} {escape(a.currency)}"
    if a.network:
        head += f" ({escape(a.network)})"
    if a.label:
        head += f" “{escape(a.label)}”"
    text = f"{head}\n<code>{escape(a.address)}</code>"
    if a.memo:
        text += "\n" + lang("Memo / tag: <code>{memo}</code>", memo=escape(a.memo))
    return text


def addresses_text(lang: Lang, found: Sequence[SavedAddressView]) -> str:
    if not found:
        return lang(
            "Your address book is empty. Add one with "
            "/addresses add EXCHANGE CURRENCY ADDRESS [NETWORK|MEMO] [LABEL]."
        )
    lines = [lang("<b>Your saved addresses</b>")]
    for i, a in enumerate(found, 1):
        lines.append(f"{lang.integer(i)}. " + address_line(lang, a))
    lines.append(lang("A withdrawal to any other address is flagged in its summary."))
    return "\n".join(lines)


def address_added(lang: Lang, a: SavedAddressView | None, added: bool) -> str:
    if not added:
        return lang("That address is in your address book already.")
    text = lang("Saved to your address book.")
    if a is not None:
        text += "\n" + address_line(lang, a)
    return text


# --- caps -------------------------------------------------------------------------
def when(lang: Lang, moment: datetime | None) -> str:
    return "—" if moment is None else lang.time(moment)


def caps_text(lang: Lang, caps: Sequence[CapView]) -> str:
    if not caps:
        return "\n".join(
            [
                lang("You have no daily withdrawal cap."),
                lang(
                    "Set one with /withdrawcap AMOUNT CURRENCY, e.g. /withdrawcap 0.5 BTC: "
                    "withdrawals and coupons in that currency, on every exchange, then stay "
                    "within it over any 24 hours."
                ),
            ]
        )
    lines = [lang("<b>Your daily withdrawal caps</b>")]
    for cap in caps:
        lines.append(cap_view_line(lang, cap))
    lines.append(
        lang("Lowering a cap applies at once; raising or removing one applies 24 hours later.")
    )
    return "\n".join(lines)


def cap_view_line(lang: Lang, cap: CapView) -> str:
    if cap.amount is None:
        line = lang("{currency}: no cap", currency=escape(cap.currency))
    else:
        line = lang(
            "{currency}: {cap} per 24 hours, {spent} used",
            currency=escape(cap.currency),
            cap=money(lang, cap.amount, cap.currency),
            spent=money(lang, cap.spent, cap.currency),
        )
    if cap.next_from is not None:
        if cap.next_off:
            line += " · " + lang("removed from {when}", when=when(lang, cap.next_from))
        elif cap.next_amount is not None:
            line += " · " + lang(
                "{cap} from {when}",
                cap=money(lang, cap.next_amount, cap.currency),
                when=when(lang, cap.next_from),
            )
    return line


def cap_changed(lang: Lang, change: CapChange, off: bool) -> str:
    view = change.view
    if change.immediate:
        if view.amount is None:
            return lang("You had no cap on {currency}.", currency=escape(view.currency))
        return lang(
            "Done: at most {cap} in withdrawals and coupons per 24 hours, from now.",
            cap=money(lang, view.amount, view.currency),
        )
    current = money(lang, view.amount or Decimal(0), view.currency)
    if off:
        return lang(
            "Removing a cap takes 24 hours, so a stolen session cannot lift it at once: "
            "{current} stays in force until {when}.",
            current=current,
            when=when(lang, change.applies_at),
        )
    return lang(
        "Raising a cap takes 24 hours, so a stolen session cannot lift it at once: "
        "{current} stays in force until {when}, then {new}.",
        current=current,
        when=when(lang, change.applies_at),
        new=money(lang, view.next_amount or Decimal(0), view.currency),
    )


# --- errors -----------------------------------------------------------------------
def money_error(lang: Lang, error: BaseException) -> str | None:
    """The sentence for an error of the money commands, or None if not one of theirs."""
    if isinstance(error, WithdrawalsNotOffered):
        return lang(
            "{exchange} offers no withdrawals through its API, so I cannot send one. "
            "Withdraw on its website.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, CouponsNotOffered):
        return lang(
            "I cannot create or redeem {exchange} coupons: its client here does not offer them.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, AmountProblem):
        currency = escape(error.currency)
        limit = error.limit
        if error.kind == "places" and isinstance(limit, int):
            return lang(
                "{currency} takes at most {places} decimal places. Round the amount.",
                currency=currency,
                places=lang.integer(limit),
            )
        if error.kind == "minimum" and isinstance(limit, Decimal):
            return lang(
                "The least you can withdraw is {amount}.", amount=money(lang, limit, currency)
            )
        if error.kind == "maximum" and isinstance(limit, Decimal):
            return lang(
                "The most you can withdraw at once is {amount}.",
                amount=money(lang, limit, currency),
            )
        if error.kind == "fee" and isinstance(limit, Decimal):
            return lang(
                "The fee is {fee}: the amount must be larger than that.",
                fee=money(lang, limit, currency),
            )
        return lang("The amount must be more than zero.")
    if isinstance(error, NotEnoughBalance):
        return lang(
            "You have {available} available on {exchange}; {needed} is needed. Lower the amount.",
            available=money(lang, error.available, error.currency),
            exchange=exchange_title(error.exchange),
            needed=money(lang, error.needed, error.currency),
        )
    if isinstance(error, MemoRequired):
        return lang(
            "{currency} needs a memo (tag): add it after the address, as memo=YOUR_MEMO.",
            currency=escape(error.currency),
        )
    if isinstance(error, BadAddress):
        return lang(error.reason, currency=escape(error.currency))
    if isinstance(error, CapExceeded):
        return lang(
            "This passes your daily cap of {cap}: {spent} went out in the last 24 hours, "
            "so at most {left} more can go now. Nothing was sent.",
            cap=money(lang, error.cap, error.currency),
            spent=money(lang, error.spent, error.currency),
            left=money(lang, error.left, error.currency),
        )
    if isinstance(error, OutcomeUnknown):
        return lang(
            "{exchange} did not answer after the request left, so I cannot tell whether it "
            "went through. Check your {exchange} history before you try again "
            "(reference {reference}).",
            exchange=exchange_title(error.exchange),
            reference=escape(error.reference),
        )
    if isinstance(error, AddressBookFull):
        return lang(
            "Your address book holds at most {limit} addresses. Delete some in /addresses.",
            limit=lang.integer(error.limit),
        )
    if isinstance(error, NotAWallexPayFeature):
        return lang("This WallexPay call is not available in this bot's WallexPay client yet.")
    if isinstance(error, AddressNotFound):
        return lang("That address is no longer in your address book.")
    return None


# --- WallexPay: conversion, invoices, callbacks -------------------------------------
def quote_text(lang: Lang, quote: Quote, seconds_left: int) -> str:
    lines = [
        lang("<b>Exchange on WallexPay</b>"),
        lang(
            "You give: {amount}",
            amount=money(lang, quote.sender_amount, quote.sender_currency),
        ),
        lang(
            "You get: {amount}",
            amount=money(lang, quote.receiver_amount, quote.receiver_currency),
        ),
        lang(
            "Rate: {price}",
            price=escape(format(quote.price.normalize(), "f")),
        ),
    ]
    if quote.fee_amount is not None and quote.fee_currency:
        lines.append(lang("Fee: {fee}", fee=money(lang, quote.fee_amount, quote.fee_currency)))
    if seconds_left > 0:
        lines.append(
            lang(
                "⏳ This rate holds for {seconds} more seconds (until {time}).",
                seconds=lang.integer(seconds_left),
                time=lang.clock(quote.release_at) + " UTC",
            )
        )
        lines.append(lang("Confirm sends the exchange at this rate."))
    else:
        lines.append(quote_expired_text(lang, quote))
    return "\n".join(lines)


def quote_expired_text(lang: Lang, quote: Quote) -> str:
    return lang(
        "⌛ This rate expired at {time}: nothing was exchanged. Ask for a fresh quote.",
        time=lang.clock(quote.release_at) + " UTC",
    )


def converted_text(lang: Lang, done: Conversion) -> str:
    lines = [
        lang(
            "✅ WallexPay accepted the exchange: id <code>{id}</code>, status {status}.",
            id=escape(done.id),
            status=escape(done.status),
        ),
        lang(
            "{given} → {got}",
            given=money(lang, done.sender_amount, done.sender_currency),
            got=money(lang, done.receiver_amount, done.receiver_currency),
        ),
    ]
    if done.fee_amount is not None and done.fee_currency:
        lines.append(lang("Fee: {fee}", fee=money(lang, done.fee_amount, done.fee_currency)))
    return "\n".join(lines)


def callback_url_lines(lang: Lang, url: str | None, heard: bool) -> list[str]:
    if heard:
        return []
    if url is None:
        return [
            lang(
                "I cannot hear from WallexPay yet: the operator has not set SARRAF_PUBLIC_URL, "
                "so you will not be told when it is paid."
            )
        ]
    return [
        lang(
            "To be told here when it is paid or expires, set this callback URL in your "
            "WallexPay merchant settings:"
        ),
        f"<code>{escape(url)}</code>",
    ]


def invoice_text(lang: Lang, link: InvoiceLink) -> str:
    lines = [
        lang(
            "🧾 Invoice <code>{id}</code> for {amount}",
            id=escape(link.id),
            amount=money(lang, link.amount, link.currency),
        )
    ]
    if link.title:
        lines.append(lang("Title: {title}", title=escape(link.title)))
    lines.append(lang("Payment link: {url}", url=escape(link.url)))
    if link.release_at is not None:
        lines.append(lang("Pay by: {time}", time=lang.time(link.release_at)))
    lines.append(lang("I will tell you here when it is paid or expires."))
    lines.extend(callback_url_lines(lang, link.callback_url, link.callbacks_heard))
    return "\n".join(lines)


_CALLBACK_STATUS = {
    "confirmed": N_("confirmed"),
    "not_confirmed": N_("not yet confirmed"),
    "cancelled": N_("cancelled"),
    "pending": N_("waiting for your approval in the WallexPay back office"),
    "processing": N_("processing"),
    "paid": N_("paid"),
    "expired": N_("expired"),
    "created": N_("created"),
}


def callback_status(lang: Lang, status: str) -> str:
    known = _CALLBACK_STATUS.get(status)
    return lang(known) if known else escape(status)


def callback_text(lang: Lang, n: CallbackNotice) -> str:
    """The merchant's message for one WallexPay callback (rendered into the outbox)."""
    amount = money(lang, n.amount, n.currency or "") if n.amount is not None else ""
    status = callback_status(lang, n.status)
    if n.kind == "invoice":
        title = f" “{escape(n.invoice_title)}”" if n.invoice_title else ""
        if n.status in ("confirmed", "paid"):
            head = lang("💰 Invoice{title} is paid: {amount}.", title=title, amount=amount)
        elif n.status in ("cancelled", "expired"):
            head = lang(
                "⌛ Invoice{title} was not paid in time: {status}.", title=title, status=status
            )
        else:
            head = lang("🧾 Invoice{title}: {status}.", title=title, status=status)
    elif n.kind == "deposit":
        head = lang("📥 WallexPay deposit of {amount}: {status}.", amount=amount, status=status)
    elif n.kind == "withdrawal":
        head = lang("📤 WallexPay withdrawal of {amount}: {status}.", amount=amount, status=status)
    elif n.kind == "exchange":
        head = lang("🔁 WallexPay exchange of {amount}: {status}.", amount=amount, status=status)
    else:
        head = lang("WallexPay transaction: {status}.", status=status)
    lines = [head]
    if n.receiver_amount is not None and n.receiver_currency and n.kind != "invoice":
        lines.append(
            lang("Received: {amount}", amount=money(lang, n.receiver_amount, n.receiver_currency))
        )
    fee_currency = n.fee_currency or n.currency
    if n.fee is not None and fee_currency:
        lines.append(lang("Fee: {fee}", fee=money(lang, n.fee, fee_currency)))
    if n.address:
        lines.append(lang("Address: <code>{address}</code>", address=escape(n.address)))
    if n.txid:
        lines.append(lang("Transaction: <code>{txid}</code>", txid=escape(n.txid)))
    if n.transaction_id:
        lines.append(lang("WallexPay id: {id}", id=escape(n.transaction_id)))
    return "\n".join(lines)


def recovery_text(lang: Lang, act: Action) -> str:
    """For a money action an earlier process left unfinished (``bot/money_recovery.py``)."""
    if act.state is State.CONFIRMED:
        if act.kind in CODE_KINDS:
            return restart_lost_code(lang)
        return lang(
            "I restarted before your confirmed request left, so nothing was sent. "
            "Send the command again if you still want it."
        )
    # A futures fixation carries no reference of ours: its deposit address names it.
    reference = act.client_ref or str(act.payload.get("address") or act.id)
    return lang(
        "I restarted while a request of yours was on its way, so I cannot tell whether it "
        "went through. It will not be sent again. Check the history on the exchange "
        "(reference {reference}).",
        reference=escape(reference),
    )
