"""Orders, cancels, fills, deposits and trading errors → message text (HTML), translated.

No Telegram calls. Every exchange refusal becomes a sentence that names what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from html import escape

from bot.confirmations import Action
from bot.i18n import Lang
from bot.trading import (
    AmountAboveMaximum,
    AmountBelowMinimum,
    BadOrderNumber,
    CancelOutcome,
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
from exchanges.models import (
    Deposit,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TransferStatus,
)
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
    if p.fast:
        return _fast_preview_text(lang, p, expires_in)
    if p.stop_price is not None:
        head = lang(
            "<b>{side} {pair} on {exchange}</b> — stop-limit order",
            side=side_word(lang, p.side),
            pair=pair(m),
            exchange=title,
        )
    elif p.price is None:
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
    if p.stop_price is not None:
        lines.extend(_stop_lines(lang, p))
    elif p.price is not None:
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
    if p.stop_given is not None and p.stop_price is not None:
        lines.append(
            lang(
                "ℹ️ Stop rounded from {given} to {stop}: {exchange} takes steps of {tick} "
                "(a buy rounds down, a sell up, so it never triggers later than you asked).",
                given=_num(lang, p.stop_given),
                stop=_num(lang, p.stop_price),
                exchange=title,
                tick=_num(lang, m.tick_size or Decimal(1).scaleb(-m.price_decimals)),
            )
        )
    lines.append(
        lang("Confirm within {seconds} seconds to send it.", seconds=lang.integer(expires_in))
    )
    return "\n".join(lines)


def _stop_lines(lang: Lang, p: OrderPreview) -> list[str]:
    """The stop, when it triggers and what it then places; a warning if it already has."""
    m = p.market
    quote = escape(m.quote)
    stop = _num(lang, p.stop_price)
    price = _num(lang, p.price)
    if p.side is Side.BUY:
        when = lang(
            "When the price rises to {stop} {quote} or above, a limit order to buy at "
            "{price} {quote} is placed.",
            stop=stop,
            price=price,
            quote=quote,
        )
    else:
        when = lang(
            "When the price falls to {stop} {quote} or below, a limit order to sell at "
            "{price} {quote} is placed.",
            stop=stop,
            price=price,
            quote=quote,
        )
    lines = [
        lang("Stop: {stop} {quote}", stop=stop, quote=quote),
        lang("Limit price: {price} {quote}", price=price, quote=quote),
        when,
    ]
    if p.last_price is not None:
        lines.append(
            lang("Last price: {price} {quote}", price=_num(lang, p.last_price), quote=quote)
        )
    if p.best_bid is not None or p.best_ask is not None:
        lines.append(
            lang(
                "Best bid {bid} · best ask {ask}",
                bid=_num(lang, p.best_bid),
                ask=_num(lang, p.best_ask),
            )
        )
    if p.stop_reached:
        lines.append(
            lang("⚠️ The price is already past the stop: it becomes a limit order at once.")
        )
    return lines


def _fast_preview_text(lang: Lang, p: OrderPreview, expires_in: int) -> str:
    """A fast order: a buy spends a total of the quote, a sell sells an amount."""
    m = p.market
    title = exchange_title(m.exchange)
    quote, base = escape(m.quote), escape(m.base)
    places = Decimal(1).scaleb(-m.price_decimals)
    lines = [
        lang(
            "<b>{side} {pair} on {exchange}</b> — fast order",
            side=side_word(lang, p.side),
            pair=pair(m),
            exchange=title,
        )
    ]
    if p.side is Side.BUY:
        lines += [
            lang("Spend: {total} {quote}", total=_num(lang, p.total), quote=quote),
            lang(
                "Estimated amount: {amount} {base} at about {price} {quote} (from the order "
                "book now)",
                amount=_num(lang, p.amount),
                base=base,
                price=_num(lang, p.estimated_price.quantize(places)),
                quote=quote,
            ),
        ]
    else:
        lines += [
            lang("Sell: {amount} {base}", amount=_num(lang, p.amount), base=base),
            lang(
                "Estimated total: {total} {quote} at about {price} {quote} (from the order "
                "book now)",
                total=_num(lang, p.total.quantize(places)),
                quote=quote,
                price=_num(lang, p.estimated_price.quantize(places)),
            ),
        ]
    lines.append(lang("A fast order fills at once at the best prices of the book."))
    if not p.book_covers:
        lines.append(
            lang("The order book shown does not cover the whole amount: the price may be worse.")
        )
    if p.fee is not None and p.fee_pct is not None:
        lines.append(
            lang(
                "Estimated fee: {fee} {quote} ({pct}%)",
                fee=_num(lang, p.fee.quantize(places)),
                quote=quote,
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
    if p.total_given is not None:
        lines.append(
            lang(
                "ℹ️ Total rounded down from {given} to {total}: the most decimals "
                "{exchange} takes for a total on this market.",
                given=_num(lang, p.total_given),
                total=_num(lang, p.total),
                exchange=title,
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
    line = lang(
        "{side} {amount} {symbol} {price} · filled {filled} · {status}",
        side=side_word(lang, order.side),
        amount=_num(lang, order.amount),
        symbol=escape(order.symbol),
        price=price,
        filled=_num(lang, order.filled),
        status=status_word(lang, order.status),
    )
    if order.stop_price is not None:
        line += " · " + lang("stop {stop}", stop=_num(lang, order.stop_price))
    return line


def type_word(lang: Lang, order_type: OrderType) -> str:
    return {
        OrderType.LIMIT: lang("limit"),
        OrderType.MARKET: lang("market"),
        OrderType.STOP_LIMIT: lang("stop-limit"),
    }[order_type]


def order_detail_text(lang: Lang, order: Order) -> str:
    """One order in full, as the exchange's own record of it gives it."""
    quote_price = _num(lang, order.price) if order.price is not None else lang("at market")
    lines = [
        lang(
            "<b>Order <code>{order_id}</code> on {exchange}</b>",
            order_id=escape(order.order_id),
            exchange=exchange_title(order.exchange),
        ),
        lang("Market: {symbol}", symbol=escape(order.symbol)),
        lang(
            "Type: {type} {side}",
            type=type_word(lang, order.type),
            side=side_word(lang, order.side).lower(),
        ),
        lang("Status: {status}", status=status_word(lang, order.status)),
        lang("Price: {price}", price=quote_price),
    ]
    if order.stop_price is not None:
        lines.append(lang("Stop: {stop}", stop=_num(lang, order.stop_price)))
    lines += [
        lang("Amount: {amount}", amount=_num(lang, order.amount)),
        lang(
            "Filled: {filled} · left {left}",
            filled=_num(lang, order.filled),
            left=_num(lang, order.remaining),
        ),
    ]
    if order.average_price is not None:
        lines.append(lang("Average price: {price}", price=_num(lang, order.average_price)))
    if order.fee is not None:
        lines.append(
            lang(
                "Fee paid: {fee} {currency}",
                fee=_num(lang, order.fee),
                currency=escape(order.fee_currency or ""),
            )
        )
    if order.created_at is not None:
        lines.append(
            lang(
                "Created: {time} UTC",
                time=order.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
    if order.client_order_id:
        lines.append(lang("Client order id: <code>{ref}</code>", ref=escape(order.client_order_id)))
    return "\n".join(lines)


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


def fast_buy_placed_text(lang: Lang, order: Order, quote: str) -> str:
    """A fast buy's answer carries only quote totals (Narkasa's ``total``/``filledTotal``),
    so it is told as what was spent, not as an amount of the base."""
    return lang(
        "✅ Fast buy done on {exchange}: spent {spent} {quote}. Order id: <code>{order_id}</code>",
        exchange=exchange_title(order.exchange),
        spent=_num(lang, order.filled),
        quote=escape(quote),
        order_id=escape(order.order_id),
    )


def orders_text(lang: Lang, exchange: str, orders: Sequence[Order]) -> str:
    title = exchange_title(exchange)
    if not orders:
        return lang("You have no open orders on {exchange}.", exchange=title)
    lines = [lang("<b>Open orders on {exchange}</b>", exchange=title)]
    for order in orders:
        lines.append(f"<code>{escape(order.order_id)}</code> {order_line(lang, order)}")
    lines.append(
        lang("Press ✖️ to cancel an order (you will be asked to confirm), 🔎 for its details.")
    )
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


def cancels_preview_text(
    lang: Lang, exchange: str, orders: Sequence[Order], missing: Sequence[str], expires_in: int
) -> str:
    """One question for several cancels: every order, and the ids left out."""
    lines = [
        lang(
            "<b>Cancel these {n} orders on {exchange}?</b>",
            n=lang.integer(len(orders)),
            exchange=exchange_title(exchange),
        )
    ]
    lines += [f"<code>{escape(o.order_id)}</code> {order_line(lang, o)}" for o in orders]
    if missing:
        lines.append(
            lang(
                "Not among your open orders, left out: {ids}",
                ids=", ".join(f"<code>{escape(i)}</code>" for i in missing),
            )
        )
    lines.append(
        lang("Confirm within {seconds} seconds to send it.", seconds=lang.integer(expires_in))
    )
    return "\n".join(lines)


def cancels_done_text(lang: Lang, exchange: str, outcomes: Sequence[CancelOutcome]) -> str:
    """Each id's outcome of a several-order cancel."""
    done = sum(1 for o in outcomes if o.cancelled)
    lines = [
        lang(
            "Cancelled {done} of {n} orders on {exchange}:",
            done=lang.integer(done),
            n=lang.integer(len(outcomes)),
            exchange=exchange_title(exchange),
        )
    ]
    for o in outcomes:
        ref = f"<code>{escape(o.order_id)}</code>"
        if o.cancelled:
            lines.append("✅ " + lang("{order_id} cancelled", order_id=ref))
        elif o.not_found:
            lines.append(
                "✖️ " + lang("{order_id} was no longer open (filled or cancelled)", order_id=ref)
            )
        elif o.unknown:
            lines.append(
                "⚠️ "
                + lang(
                    "{order_id}: no answer; check /orders {name}",
                    order_id=ref,
                    name=escape(exchange),
                )
            )
        else:
            lines.append(
                "✖️ "
                + lang(
                    "{order_id} not cancelled: {reason}",
                    order_id=ref,
                    reason=escape(o.error or ""),
                )
            )
    return "\n".join(lines)


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
    if action.kind == "cancels":
        return lang(
            "the cancel of {n} orders on {exchange}",
            n=lang.integer(len(payload.get("orders") or [])),
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
    if recovered.action.kind == "cancels":
        if not recovered.still_open:
            return lang(
                "After a restart I checked {what}: none of them is open any more.", what=what
            )
        return lang(
            "After a restart I checked {what}: still open: {ids}. Cancel them again with "
            "/cancel if you still want to.",
            what=what,
            ids=", ".join(f"<code>{escape(i)}</code>" for i in recovered.still_open),
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
        if error.what in ("stop-limit", "fast"):
            names = ", ".join(exchange_title(n) for n in error.offered_on) or "—"
            if error.what == "stop-limit":
                return lang(
                    "{exchange} has no stop-limit orders. They are offered on: {names}.",
                    exchange=title,
                    names=names,
                )
            return lang(
                "{exchange} has no fast orders. They are offered on: {names}.",
                exchange=title,
                names=names,
            )
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
        if error.what == "stop":
            return lang("The stop price must be greater than zero.")
        if error.what == "total":
            return lang("The total must be greater than zero.")
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
