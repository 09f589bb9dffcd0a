"""Orders, cancels, fills, deposits and trading errors → message text (HTML), translated.

No Telegram calls. Every exchange refusal becomes a sentence that names what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from bot.confirmations import Action
from bot.i18n import Lang
from bot.trading import (
    AmountAboveMaximum,
    AmountBelowMinimum,
    BadOrderNumber,
    MarketNotTrading,
    NoLiquidity,
    NotEnoughBalance,
    OrderPreview,
    OutcomeUnknown,
    Recovered,
    TotalBelowMinimum,
    TradingNotOffered,
)
from exchanges.errors import (
    BadPrecision,
    BelowMinimum,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
)
from exchanges.models import Deposit, Market, Order, OrderStatus, Side, TransferStatus
from handlers.texts import exchange_title


def pair(market: Market) -> str:
    return f"{escape(market.base)}/{escape(market.quote)}"


def _num(lang: Lang, value: Decimal | None) -> str:
    return "—" if value is None else lang.number(value.normalize())


def side_word(lang: Lang, side: Side) -> str:
    return lang("Buy") if side is Side.BUY else lang("Sell")


def status_word(lang: Lang, status: OrderStatus) -> str:
    return {
        OrderStatus.OPEN: lang("open"),
        OrderStatus.PARTIALLY_FILLED: lang("partly filled"),
        OrderStatus.FILLED: lang("filled"),
        OrderStatus.CANCELLED: lang("cancelled"),
        OrderStatus.REJECTED: lang("rejected"),
    }[status]


def preview_text(lang: Lang, p: OrderPreview, expires_in: int) -> str:
    m = p.market
    title = exchange_title(m.exchange)
    if p.price is None:
        head = lang(
            "<b>{side} {pair} on {exchange}</b> — market order",
            side=side_word(lang, p.side),
            pair=pair(m),
            exchange=title,
        )
    else:
        head = lang(
            "<b>{side} {pair} on {exchange}</b> — limit order",
            side=side_word(lang, p.side),
            pair=pair(m),
            exchange=title,
        )
    lines = [
        head,
        lang("Amount: {amount} {base}", amount=_num(lang, p.amount), base=escape(m.base)),
    ]
    if p.price is not None:
        lines.append(
            lang("Price: {price} {quote}", price=_num(lang, p.price), quote=escape(m.quote))
        )
    else:
        lines.append(
            lang(
                "Estimated price: {price} {quote} (from the order book now)",
                price=_num(lang, p.estimated_price.quantize(Decimal(1).scaleb(-m.price_decimals))),
                quote=escape(m.quote),
            )
        )
        if not p.book_covers:
            lines.append(
                lang(
                    "The order book shown does not cover the whole amount: the price may be worse."
                )
            )
    total = p.total.quantize(Decimal(1).scaleb(-m.price_decimals))
    label = (
        lang("Total: {total} {quote}")
        if p.price is not None
        else lang("Estimated total: {total} {quote}")
    )
    lines.append(label.format(total=_num(lang, total), quote=escape(m.quote)))
    if p.fee is not None and p.fee_pct is not None:
        lines.append(
            lang(
                "Estimated fee: {fee} {quote} ({pct}%)",
                fee=_num(lang, p.fee.quantize(Decimal(1).scaleb(-m.price_decimals))),
                quote=escape(m.quote),
                pct=_num(lang, p.fee_pct),
            )
        )
    else:
        lines.append(lang("Fee: as the exchange charges (not published for this account)."))
    lines.append(
        lang(
            "Available: {available} {currency}",
            available=_num(lang, p.available),
            currency=escape(p.spend_currency),
        )
    )
    if p.amount_given is not None:
        lines.append(
            lang(
                "ℹ️ Amount rounded down from {given} to {amount}: {exchange} takes steps of {step}.",
                given=_num(lang, p.amount_given),
                amount=_num(lang, p.amount),
                exchange=title,
                step=_num(lang, m.step_size or Decimal(1).scaleb(-m.amount_decimals)),
            )
        )
    if p.price_given is not None:
        lines.append(
            lang(
                "ℹ️ Price rounded from {given} to {price}: {exchange} takes steps of {tick} "
                "(a buy rounds down, a sell up, never against you).",
                given=_num(lang, p.price_given),
                price=_num(lang, p.price) if p.price is not None else "—",
                exchange=title,
                tick=_num(lang, m.tick_size or Decimal(1).scaleb(-m.price_decimals)),
            )
        )
    lines.append(
        lang("Confirm within {seconds} seconds to send it.", seconds=lang.integer(expires_in))
    )
    return "\n".join(lines)


def order_line(lang: Lang, order: Order) -> str:
    price = (
        lang("at {price}", price=_num(lang, order.price))
        if order.price is not None
        else lang("at market")
    )
    return lang(
        "{side} {amount} {symbol} {price} · filled {filled} · {status}",
        side=side_word(lang, order.side),
        amount=_num(lang, order.amount),
        symbol=escape(order.symbol),
        price=price,
        filled=_num(lang, order.filled),
        status=status_word(lang, order.status),
    )


def placed_text(lang: Lang, order: Order) -> str:
    lines = [
        lang(
            "✅ Order placed on {exchange}. Order id: <code>{order_id}</code>",
            exchange=exchange_title(order.exchange),
            order_id=escape(order.order_id),
        ),
        order_line(lang, order),
    ]
    if order.average_price is not None and order.filled > 0:
        lines.append(lang("Average price: {price}", price=_num(lang, order.average_price)))
    if not order.status.is_final:
        lines.append(
            lang(
                "I will tell you when it fills. /orders {exchange} lists your open orders.",
                exchange=escape(order.exchange),
            )
        )
    return "\n".join(lines)


def orders_text(lang: Lang, exchange: str, orders: Sequence[Order]) -> str:
    title = exchange_title(exchange)
    if not orders:
        return lang("You have no open orders on {exchange}.", exchange=title)
    lines = [lang("<b>Open orders on {exchange}</b>", exchange=title)]
    for order in orders:
        lines.append(f"<code>{escape(order.order_id)}</code> {order_line(lang, order)}")
    lines.append(lang("Press a button to cancel that order (you will be asked to confirm)."))
    return "\n".join(lines)


def cancel_preview_text(lang: Lang, exchange: str, order: Order, expires_in: int) -> str:
    return "\n".join(
        [
            lang(
                "<b>Cancel this order on {exchange}?</b>",
                exchange=exchange_title(exchange),
            ),
            f"<code>{escape(order.order_id)}</code> {order_line(lang, order)}",
            lang("Confirm within {seconds} seconds to send it.", seconds=lang.integer(expires_in)),
        ]
    )


def cancelled_text(lang: Lang, exchange: str, order_id: str, order: Order | None) -> str:
    text = lang(
        "✅ Order <code>{order_id}</code> on {exchange} is cancelled.",
        order_id=escape(order_id),
        exchange=exchange_title(exchange),
    )
    if order is not None and order.filled > 0:
        text += "\n" + lang(
            "{filled} of {amount} had filled before.",
            filled=_num(lang, order.filled),
            amount=_num(lang, order.amount),
        )
    return text


def order_event_text(lang: Lang, order: Order, previous_filled: Decimal) -> str:
    title = exchange_title(order.exchange)
    if order.filled == previous_filled and order.status is OrderStatus.CANCELLED:
        return lang(
            "✖️ Your {exchange} order <code>{order_id}</code> was cancelled: {line}",
            exchange=title,
            order_id=escape(order.order_id),
            line=order_line(lang, order),
        )
    if order.status is OrderStatus.FILLED or order.filled >= order.amount:
        head = lang(
            "✅ Your {exchange} order <code>{order_id}</code> is filled.",
            exchange=title,
            order_id=escape(order.order_id),
        )
    else:
        head = lang(
            "◐ Your {exchange} order <code>{order_id}</code> is partly filled.",
            exchange=title,
            order_id=escape(order.order_id),
        )
    lines = [head, order_line(lang, order)]
    if order.average_price is not None:
        lines.append(lang("Average price: {price}", price=_num(lang, order.average_price)))
    return "\n".join(lines)


def deposit_text(lang: Lang, deposit: Deposit) -> str:
    title = exchange_title(deposit.exchange)
    if deposit.status is TransferStatus.COMPLETED:
        text = lang(
            "💰 Deposit credited on {exchange}: {amount} {currency}",
            exchange=title,
            amount=_num(lang, deposit.amount),
            currency=escape(deposit.currency),
        )
    elif deposit.status is TransferStatus.CANCELLED:
        text = lang(
            "Deposit cancelled on {exchange}: {amount} {currency}",
            exchange=title,
            amount=_num(lang, deposit.amount),
            currency=escape(deposit.currency),
        )
    else:
        text = lang(
            "⏳ Incoming deposit on {exchange}: {amount} {currency} (not credited yet)",
            exchange=title,
            amount=_num(lang, deposit.amount),
            currency=escape(deposit.currency),
        )
    if deposit.txid:
        text += "\n" + lang("Transaction: <code>{txid}</code>", txid=escape(deposit.txid))
    return text


def _what(lang: Lang, action: Action) -> str:
    payload = action.payload
    exchange = exchange_title(str(payload.get("exchange", "")))
    if action.kind == "cancel":
        return lang(
            "the cancel of order {order_id} on {exchange}",
            order_id=escape(str(payload.get("order_id"))),
            exchange=exchange,
        )
    side = Side(str(payload["side"]))
    price = payload.get("price")
    return lang(
        "your order to {side} {amount} {symbol} on {exchange} ({price})",
        side=side_word(lang, side).lower(),
        amount=escape(str(payload["amount"])),
        symbol=escape(str(payload["symbol"])),
        exchange=exchange,
        price=escape(str(price)) if price is not None else lang("at market"),
    )


def recovered_text(lang: Lang, recovered: Recovered) -> str:
    """After a restart: what became of an action confirmed just before the bot stopped."""
    what = _what(lang, recovered.action)
    order = recovered.order
    if not recovered.sent:
        return lang(
            "⚠️ The bot restarted after you confirmed {what}, before sending it: nothing "
            "was sent. Send the command again if you still want it.",
            what=what,
        )
    if recovered.action.kind == "cancel":
        if order is None or order.status.is_final:
            return lang(
                "After a restart I checked {what}: the order is no longer open.",
                what=what,
            )
        return lang(
            "After a restart I checked {what}: the order is still open. Cancel it again "
            "with /cancel if you still want to.",
            what=what,
        )
    if order is None:
        return lang(
            "After a restart I checked {what}: the exchange has no such order, so it was "
            "not placed. Send it again if you still want it.",
            what=what,
        )
    return "\n".join(
        [
            lang(
                "After a restart I checked {what}: it was placed once. Order id: "
                "<code>{order_id}</code>",
                what=what,
                order_id=escape(order.order_id),
            ),
            order_line(lang, order),
        ]
    )


def trading_sentence(lang: Lang, error: BaseException) -> str | None:
    """The sentence for a trading error (ours or the exchange's), or None."""
    if isinstance(error, TradingNotOffered):
        title = exchange_title(error.exchange)
        if error.what == "market":
            return lang(
                "{exchange} has no market orders. Give a price to place a limit order: "
                "/buy {name} SYMBOL AMOUNT PRICE.",
                exchange=title,
                name=error.exchange,
            )
        if error.what == "cancel":
            return lang("{exchange} does not let me cancel orders.", exchange=title)
        if error.what == "open-orders":
            return lang("{exchange} does not list open orders.", exchange=title)
        return lang("I can't place orders on {exchange}.", exchange=title)
    if isinstance(error, MarketNotTrading):
        return lang(
            "{pair} on {exchange} is not trading right now. Try again when the market reopens.",
            pair=pair(error.market),
            exchange=exchange_title(error.market.exchange),
        )
    if isinstance(error, AmountBelowMinimum):
        return lang(
            "The amount is too small: {exchange} needs at least {minimum} {base} on {pair}. "
            "Increase the amount.",
            exchange=exchange_title(error.market.exchange),
            minimum=_num(lang, error.minimum),
            base=escape(error.market.base),
            pair=pair(error.market),
        )
    if isinstance(error, AmountAboveMaximum):
        return lang(
            "The amount is too large: {exchange} takes at most {maximum} {base} on {pair}. "
            "Decrease the amount.",
            exchange=exchange_title(error.market.exchange),
            maximum=_num(lang, error.maximum),
            base=escape(error.market.base),
            pair=pair(error.market),
        )
    if isinstance(error, TotalBelowMinimum):
        return lang(
            "The order is worth {total} {quote}, under the minimum of {minimum} {quote} on "
            "{exchange}. Increase the amount or the price.",
            total=_num(lang, error.total.quantize(Decimal(1).scaleb(-error.market.price_decimals))),
            minimum=_num(lang, error.minimum),
            quote=escape(error.market.quote),
            exchange=exchange_title(error.market.exchange),
        )
    if isinstance(error, NotEnoughBalance):
        return lang(
            "Not enough {currency} on {exchange}: the order needs {needed}, you have "
            "{available} available. Lower the amount or deposit first.",
            currency=escape(error.currency),
            exchange=exchange_title(error.exchange),
            needed=_num(lang, error.needed),
            available=_num(lang, error.available),
        )
    if isinstance(error, NoLiquidity):
        return lang(
            "Nobody is offering on {pair} right now, so a market order cannot be priced. "
            "Give a price to place a limit order.",
            pair=pair(error.market),
        )
    if isinstance(error, BadOrderNumber):
        if error.what == "price":
            return lang("The price must be greater than zero.")
        return lang("The amount must be greater than zero.")
    if isinstance(error, OutcomeUnknown):
        return lang(
            "{exchange} did not answer, and I could not check yet whether the order "
            "arrived. I will check and tell you; do not send it again meanwhile.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, InsufficientFunds):
        return lang(
            "{exchange} says the balance is not enough for this. Lower the amount, or "
            "check /balance {name}: open orders lock funds.",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    if isinstance(error, BelowMinimum):
        return lang(
            "{exchange} says the amount or total is under its minimum. Increase the amount.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, BadPrecision):
        return lang(
            "{exchange} refused the number of decimals of the price or amount. Use fewer "
            "decimals (see /markets {name}).",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    if isinstance(error, MarketClosed):
        return lang(
            "{exchange} says the market is closed for trading now. Try again later.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, InvalidOrder):
        return lang(
            "{exchange} refused the order: {reason}. Change it and send it again.",
            exchange=exchange_title(error.exchange),
            reason=escape(error.message),
        )
    if isinstance(error, InvalidNonce):
        return lang(
            "{exchange} refused the request's nonce (the clock of this server or a reused "
            "key?). Nothing was done; send the command again in a moment.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, OrderNotFound):
        return lang(
            "{exchange} has no open order with that id. /orders {name} lists yours.",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    return None
