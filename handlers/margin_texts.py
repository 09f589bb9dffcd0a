"""/margin's replies and the margin wallets of /balance alp → message text (HTML), translated.

No Telegram calls. A wallet is named in words (spot, cross margin, isolated margin of a
pair) because ALP's wallet types (``CROSS_MARGIN``…) mean nothing to most readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from bot.i18n import Lang
from bot.margin import MarginOverview, MarginPreview, MarginRefused, MarginRequest
from exchanges.alp.margin import EventKind, MarginEvent, MarginPosition
from exchanges.alp.wallets import WalletBalance

HISTORY_SHOWN = 20


def _num(lang: Lang, value: Decimal | None) -> str:
    return "—" if value is None else lang.number(value.normalize())


def pair_text(symbol: str | None) -> str:
    return escape((symbol or "").replace("_", "/"))


def wallet_name(lang: Lang, wallet_type: str, pair: str | None) -> str:
    if wallet_type == "ISOLATED_MARGIN":
        return lang("isolated margin {pair}", pair=pair_text(pair))
    if wallet_type == "CROSS_MARGIN":
        return lang("cross margin")
    if wallet_type == "SPOT":
        return lang("spot")
    return escape(wallet_type.lower().replace("_", " "))


def _wallet_lines(lang: Lang, wallets: Sequence[WalletBalance]) -> list[str]:
    lines: list[str] = []
    groups: dict[tuple[int, str, str], list[WalletBalance]] = {}
    for w in wallets:
        groups.setdefault((w.account_id, w.wallet_type, w.pair or ""), []).append(w)
    accounts = {key[0] for key in groups}
    for (account_id, wallet_type, pair), rows in sorted(groups.items()):
        name = wallet_name(lang, wallet_type, pair)
        if len(accounts) > 1:
            lines.append(
                lang("<b>{wallet}</b> (account {account})", wallet=name, account=str(account_id))
            )
        else:
            lines.append(f"<b>{name}</b>")
        for w in sorted(rows, key=lambda r: r.currency):
            lines.append(
                lang(
                    "   {currency}: {available} available · {locked} locked",
                    currency=escape(w.currency),
                    available=lang.number(w.available),
                    locked=lang.number(w.locked),
                )
            )
    return lines


def balance_section(lang: Lang, wallets: Sequence[WalletBalance]) -> str:
    """The margin wallets under /balance alp's spot balances (empty when none)."""
    if not wallets:
        return ""
    return "\n".join([lang("ALP.COM margin wallets (API v3):"), *_wallet_lines(lang, wallets)])


def _position_line(lang: Lang, p: MarginPosition) -> str:
    return lang(
        "   {currency} in {wallet}: {borrowed} borrowed + {interest} interest",
        currency=escape(p.currency),
        wallet=wallet_name(lang, p.wallet_type, p.pair),
        borrowed=_num(lang, p.borrowed),
        interest=_num(lang, p.interest),
    )


def overview_text(lang: Lang, overview: MarginOverview) -> str:
    lines = [lang("<b>ALP.COM margin</b>")]
    if overview.positions:
        lines.append(lang("Borrowed:"))
        lines.extend(_position_line(lang, p) for p in overview.positions)
    else:
        lines.append(lang("Nothing borrowed."))
    if overview.wallets:
        lines.append(lang("Margin wallets:"))
        lines.extend(_wallet_lines(lang, overview.wallets))
    else:
        lines.append(
            lang(
                "No funds in a margin wallet. Move some there first: "
                "/margin transfer USDT 100 to margin"
            )
        )
    lines.append(lang("History: /margin history"))
    return "\n".join(lines)


def _event_word(lang: Lang, kind: EventKind) -> str:
    return {
        EventKind.BORROW: lang("Borrowed"),
        EventKind.REPAY: lang("Repaid"),
        EventKind.TRANSFER_IN: lang("Moved to margin"),
        EventKind.TRANSFER_OUT: lang("Moved to spot"),
        EventKind.INTEREST: lang("Interest charged"),
        EventKind.LIQUIDATION: lang("Liquidated"),
    }[kind]


def _event_line(lang: Lang, e: MarginEvent) -> str:
    when = lang.time(e.time) if e.time is not None else "—"
    line = lang(
        "{time} · {what} {amount} {currency} · {wallet}",
        time=when,
        what=_event_word(lang, e.kind),
        amount=_num(lang, e.amount),
        currency=escape(e.currency),
        wallet=wallet_name(lang, e.wallet_type, e.pair),
    )
    if e.kind is EventKind.REPAY and e.extra:
        line += lang(" (+{interest} interest)", interest=_num(lang, e.extra))
    if e.kind is EventKind.BORROW and e.still_open:
        line += lang(" (open)")
    if e.kind is EventKind.LIQUIDATION and e.extra is not None:
        line += lang(" (covered {fund})", fund=_num(lang, e.extra))
    return line


def history_text(lang: Lang, events: Sequence[MarginEvent]) -> str:
    if not events:
        return lang(
            "No margin borrows, repayments, transfers, interest or liquidations on "
            "ALP.COM in the last 30 days."
        )
    lines = [lang("<b>ALP.COM margin history</b> (last 30 days, newest first)")]
    lines.extend(_event_line(lang, e) for e in events[:HISTORY_SHOWN])
    if len(events) > HISTORY_SHOWN:
        lines.append(lang("… and {n} older.", n=lang.integer(len(events) - HISTORY_SHOWN)))
    return "\n".join(lines)


def _operation_line(lang: Lang, r: MarginRequest) -> str:
    wallet = wallet_name(lang, r.wallet_type, r.pair)
    amount = _num(lang, r.amount)
    currency = escape(r.currency)
    if r.operation == "borrow":
        return lang(
            "Borrow {amount} {currency} into {wallet}",
            amount=amount,
            currency=currency,
            wallet=wallet,
        )
    if r.operation == "repay":
        return lang(
            "Repay {amount} {currency} from {wallet}",
            amount=amount,
            currency=currency,
            wallet=wallet,
        )
    if r.operation == "transfer" and r.to_margin:
        return lang(
            "Move {amount} {currency} from spot to {wallet}",
            amount=amount,
            currency=currency,
            wallet=wallet,
        )
    if r.operation == "transfer":
        return lang(
            "Move {amount} {currency} from {wallet} to spot",
            amount=amount,
            currency=currency,
            wallet=wallet,
        )
    return lang("Close {wallet}: repay what it owes and move the rest to spot", wallet=wallet)


def preview_text(lang: Lang, preview: MarginPreview, ttl: int) -> str:
    r = preview.request
    lines = [lang("<b>ALP.COM margin</b>"), _operation_line(lang, r)]
    if r.operation == "transfer":
        source = lang("spot") if r.to_margin else wallet_name(lang, r.wallet_type, r.pair)
        lines.append(
            lang(
                "Available in {wallet}: {available} {currency} → {after} after",
                wallet=source,
                available=_num(lang, preview.available),
                currency=escape(r.currency),
                after=_num(lang, (preview.available or Decimal(0)) - r.amount),
            )
        )
    elif r.operation == "repay":
        lines.append(
            lang(
                "Owed: {owed} {currency} (principal and interest) → {after} after",
                owed=_num(lang, preview.owed),
                currency=escape(r.currency),
                after=_num(lang, (preview.owed or Decimal(0)) - r.amount),
            )
        )
    elif r.operation == "borrow":
        if preview.owed:
            lines.append(
                lang(
                    "Already borrowed: {owed} {currency}",
                    owed=_num(lang, preview.owed),
                    currency=escape(r.currency),
                )
            )
        lines.append(lang("Collateral in the wallet:"))
        lines.extend(
            lang("   {currency}: {total}", currency=escape(w.currency), total=_num(lang, w.total))
            for w in preview.collateral
        )
        lines.append(
            lang(
                "ALP.COM sets how much you may borrow against it and charges interest "
                "until you repay (/margin repay)."
            )
        )
    else:
        for debt in preview.debts:
            lines.append(
                lang(
                    "Repays {owed} {currency}",
                    owed=_num(lang, debt.owed),
                    currency=escape(debt.currency),
                )
            )
        for w in preview.collateral:
            lines.append(
                lang(
                    "Then moves what is left of {currency} ({total} now) to spot",
                    currency=escape(w.currency),
                    total=_num(lang, w.total),
                )
            )
    lines.append(lang("Confirm within {seconds} s; nothing is sent before.", seconds=ttl))
    return "\n".join(lines)


def done_text(lang: Lang, r: MarginRequest) -> str:
    return lang("Done: {what}. /margin shows where it stands.", what=_operation_line(lang, r))


def unknown_outcome_text(lang: Lang) -> str:
    return lang(
        "ALP.COM did not answer, so I cannot tell whether it was carried out. Check "
        "/margin history before sending it again."
    )


def interrupted_text(lang: Lang, settled: Sequence[tuple[datetime, bool]]) -> str:
    """What became of margin requests cut off between Confirm and their answer."""
    lines = []
    for when, maybe_sent in settled:
        if maybe_sent:
            lines.append(
                lang(
                    "The margin request you confirmed at {time} got no answer: it may have "
                    "been carried out. Check /margin history before repeating it.",
                    time=lang.time(when),
                )
            )
        else:
            lines.append(
                lang(
                    "The margin request you confirmed at {time} was interrupted before it "
                    "was sent: nothing went out. Send it again if you still want it.",
                    time=lang.time(when),
                )
            )
    return "\n".join(lines)


def refusal_text(lang: Lang, error: MarginRefused) -> str:
    p = error.params
    currency = escape(str(p.get("currency", "")))
    if error.reason == "amount":
        return lang("The amount must be a number greater than zero.")
    if error.reason == "places":
        return lang(
            "ALP.COM takes at most {places} decimal places in an amount.", places=p["places"]
        )
    if error.reason == "currency":
        return lang("ALP.COM lists no currency “{currency}”.", currency=currency)
    if error.reason == "pair_currency":
        return lang(
            "The isolated wallet of {pair} holds only its two currencies, not {currency}.",
            pair=escape(str(p["pair"])),
            currency=currency,
        )
    if error.reason == "spot_short":
        return lang(
            "Not enough {currency} in your spot wallet: {available} available, {needed} needed.",
            currency=currency,
            available=_num(lang, p["available"]),
            needed=_num(lang, p["needed"]),
        )
    if error.reason == "margin_short":
        return lang(
            "Not enough {currency} in the margin wallet: {available} available, {needed} needed.",
            currency=currency,
            available=_num(lang, p["available"]),
            needed=_num(lang, p["needed"]),
        )
    if error.reason == "nothing_owed":
        return lang("You owe no {currency} in that margin wallet.", currency=currency)
    if error.reason == "over_debt":
        return lang(
            "You owe {owed} {currency} there (principal and interest); repay at most that.",
            owed=_num(lang, p["owed"]),
            currency=currency,
        )
    if error.reason == "no_collateral":
        return lang(
            "That margin wallet holds nothing to borrow against. Move funds there first: "
            "/margin transfer USDT 100 to margin"
        )
    return lang("That margin wallet is empty and owes nothing: nothing to close.")
