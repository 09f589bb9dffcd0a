"""/buy, /sell, /orders, /cancel and what their Confirm buttons do.

Private chats only (``private_only``); every account call is made with the caller's
own user id, so nobody reaches another's account, and every button is bound to the
user it was shown to. A command shows a checked summary with Confirm / Cancel
(``handlers/confirm.py``); only the one winning Confirm reaches the executors here.

The order forms: ``/buy EXCHANGE SYMBOL AMOUNT [PRICE]`` (limit with a price, market
without), ``… AMOUNT PRICE stop STOP`` (stop-limit) and ``/buy EXCHANGE SYMBOL fast
TOTAL`` / ``/sell EXCHANGE SYMBOL fast AMOUNT`` (Narkasa's fast orders, sized the way
its document sizes them: a fast buy by the quote total it spends, a fast sell by the
amount it sells). ``/cancel EXCHANGE ID ID …`` cancels several orders after one
confirmation that lists them all. ``/orders`` gives each order a Cancel and a Details
button; Details shows the exchange's full record of that one order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.buttons import Press
from bot.confirmations import Confirmed
from bot.context import BotContext
from bot.trading import MAX_CANCELS
from exchanges.errors import OrderNotFound
from exchanges.models import Order, Side
from handlers import trading_texts as tt
from handlers.args import CANNOT_TRADE, UsageError, clean_args, exchange_arg, parse_decimal
from handlers.callbacks import action
from handlers.confirm import executes
from handlers.guards import private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.summary import show_summary

ORDER_CANCEL_ACTION = "order_cancel"
ORDER_DETAIL_ACTION = "order_detail"
MAX_LISTED = 30
STOP_WORD = "stop"
FAST_WORD = "fast"


def _exchange(command: str, args: list[str], context: BotContext) -> str:
    market = context.services.market
    names = [n for n in context.services.accounts.exchanges if market.is_exchange(n)]
    return exchange_arg(command, args, names, CANNOT_TRADE)


def _number(command: str, text: str, what: str) -> Decimal:
    value = parse_decimal(text)
    if value is None or value <= 0:
        if what == "price":
            raise UsageError(command, "The price “{value}” is not a positive number.", value=text)
        if what == "stop":
            raise UsageError(
                command, "The stop price “{value}” is not a positive number.", value=text
            )
        if what == "total":
            raise UsageError(command, "The total “{value}” is not a positive number.", value=text)
        raise UsageError(command, "The amount “{value}” is not a positive number.", value=text)
    return value


async def _order(update: Update, context: BotContext, side: Side) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    command = side.value
    args = clean_args(context.args)
    words = [a.lower() for a in args]
    trading = context.services.trading
    if len(args) >= 3 and words[2] == FAST_WORD:
        if len(args) != 4:
            raise UsageError(
                command,
                "A fast order is: /{cmd} EXCHANGE SYMBOL fast {what}.",
                cmd=command,
                what="TOTAL" if side is Side.BUY else "AMOUNT",
            )
        exchange = _exchange(command, args, context)
        value = _number(command, args[3], "total" if side is Side.BUY else "amount")
        preview = await trading.preview_fast(user.id, exchange, args[1], side, value)
    elif STOP_WORD in words:
        if len(args) != 6 or words.index(STOP_WORD) != 4:
            raise UsageError(
                command,
                "A stop-limit order is: /{cmd} EXCHANGE SYMBOL AMOUNT PRICE stop STOP.",
                cmd=command,
            )
        exchange = _exchange(command, args, context)
        amount = _number(command, args[2], "amount")
        limit = _number(command, args[3], "price")
        stop = _number(command, args[5], "stop")
        preview = await trading.preview(user.id, exchange, args[1], side, amount, limit, stop)
    else:
        if len(args) not in (3, 4):
            raise UsageError(
                command, "I need an exchange, a symbol, an amount and optionally a limit price."
            )
        exchange = _exchange(command, args, context)
        amount = _number(command, args[2], "amount")
        price = _number(command, args[3], "price") if len(args) == 4 else None
        preview = await trading.preview(user.id, exchange, args[1], side, amount, price)
    pending = await trading.propose(user.id, chat.id, preview)
    await show_summary(
        update, context, pending, lambda lang, ttl: tt.preview_text(lang, preview, ttl)
    )


@private_only
async def buy(update: Update, context: BotContext) -> None:
    await _order(update, context, Side.BUY)


@private_only
async def sell(update: Update, context: BotContext) -> None:
    await _order(update, context, Side.SELL)


@executes("order")
async def execute_order(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    await reply(update, lang("Sending the order…"))
    order = await context.services.trading.execute(confirmed.action)
    payload = confirmed.action.payload
    if payload.get("fast") and payload.get("side") == Side.BUY.value:
        quote = (await context.services.market.market(order.exchange, order.symbol))[1].quote
        await reply(update, tt.fast_buy_placed_text(lang, order, quote))
        return
    await reply(update, tt.placed_text(lang, order))


@private_only
async def orders(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    args = clean_args(context.args)
    if len(args) not in (1, 2):
        raise UsageError("orders", "I need an exchange and optionally a symbol.")
    exchange = _exchange("orders", args, context)
    symbol = args[1] if len(args) == 2 else None
    found = await context.services.trading.open_orders(user.id, exchange, symbol)
    lang = await lang_for(update, context)
    shown = found[:MAX_LISTED]
    markup = None
    if shown:
        can_cancel = context.services.trading.capabilities(exchange).cancel
        rows: list[list[tuple[str, str, dict[str, Any]]]] = []
        for o in shown:
            short = o.order_id[-12:]
            ref = {"exchange": exchange, "order_id": o.order_id, "symbol": o.symbol}
            row = [("🔎 " + lang("Details {order_id}", order_id=short), ORDER_DETAIL_ACTION, ref)]
            if can_cancel:
                cancel_button = (
                    "✖️ " + lang("Cancel {order_id}", order_id=short),
                    ORDER_CANCEL_ACTION,
                    {"exchange": exchange, "order_id": o.order_id},
                )
                row.insert(0, cancel_button)
            rows.append(row)
        markup = await one_time_keyboard(context, user.id, chat.id, rows, together=False)
    text = tt.orders_text(lang, exchange, shown)
    if len(found) > len(shown):
        text += "\n" + lang(
            "… and {n} more. Name a symbol to narrow the list.", n=len(found) - len(shown)
        )
    await reply(update, text, markup=markup)


async def _ask_cancel(update: Update, context: BotContext, exchange: str, order: Order) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    pending = await context.services.trading.propose_cancel(user.id, chat.id, exchange, order)
    await show_summary(
        update,
        context,
        pending,
        lambda lang, ttl: tt.cancel_preview_text(lang, exchange, order, ttl),
    )


async def _open_order(context: BotContext, user_id: int, exchange: str, order_id: str) -> Order:
    order = await context.services.trading.find_order(user_id, exchange, order_id)
    if order is None:
        raise OrderNotFound(exchange, order_id)
    return order


@private_only
async def cancel(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    if not args:
        lang = await lang_for(update, context)
        await reply(
            update,
            lang(
                "Nothing to stop right now. To cancel an order: /cancel EXCHANGE ORDER_ID "
                "(/orders EXCHANGE lists them)."
            ),
        )
        return
    if len(args) < 2:
        raise UsageError("cancel", "I need an exchange and an order id.")
    exchange = _exchange("cancel", args, context)
    ids = list(dict.fromkeys(args[1:]))  # each id once, in the order typed
    if len(ids) > MAX_CANCELS:
        raise UsageError("cancel", "At most {n} orders at once.", n=str(MAX_CANCELS))
    if len(ids) == 1:
        order = await _open_order(context, user.id, exchange, ids[0])
        await _ask_cancel(update, context, exchange, order)
        return
    await _ask_cancels(update, context, exchange, ids)


async def _ask_cancels(update: Update, context: BotContext, exchange: str, ids: list[str]) -> None:
    """One confirmation for several ids; ids that are not open are named and left out."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    trading = context.services.trading
    open_now = {o.order_id: o for o in await trading.open_orders(user.id, exchange, None)}
    chosen = [open_now[i] for i in ids if i in open_now]
    missing = [i for i in ids if i not in open_now]
    if not chosen:
        raise OrderNotFound(exchange, ", ".join(ids))
    pending = await trading.propose_cancels(user.id, chat.id, exchange, chosen)
    await show_summary(
        update,
        context,
        pending,
        lambda lang, ttl: tt.cancels_preview_text(lang, exchange, chosen, missing, ttl),
    )


@action(ORDER_CANCEL_ACTION)
async def on_order_cancel(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None
    exchange = str(press.payload["exchange"])
    order = await _open_order(context, user.id, exchange, str(press.payload["order_id"]))
    await _ask_cancel(update, context, exchange, order)


@action(ORDER_DETAIL_ACTION)
async def on_order_detail(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None
    p = press.payload
    exchange = str(p["exchange"])
    symbol = str(p["symbol"]) if p.get("symbol") else None
    order = await context.services.trading.order_detail(
        user.id, exchange, str(p["order_id"]), symbol
    )
    lang = await lang_for(update, context)
    await reply(update, tt.order_detail_text(lang, order))


@executes("cancels")
async def execute_cancels(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    exchange = str(confirmed.action.payload["exchange"])
    outcomes = await context.services.trading.execute_cancels(confirmed.action)
    await reply(update, tt.cancels_done_text(lang, exchange, outcomes))


@executes("cancel")
async def execute_cancel(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    payload = confirmed.action.payload
    order = await context.services.trading.execute_cancel(confirmed.action)
    await reply(
        update,
        tt.cancelled_text(lang, str(payload["exchange"]), str(payload["order_id"]), order),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("buy", buy))
    app.add_handler(CommandHandler("sell", sell))
    app.add_handler(CommandHandler("orders", orders))
    app.add_handler(CommandHandler("cancel", cancel))
