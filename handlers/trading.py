"""/buy, /sell, /orders, /cancel and what their Confirm buttons do.

Private chats only (``private_only``); every account call is made with the caller's
own user id, so nobody reaches another's account, and every button is bound to the
user it was shown to. A command shows a checked summary with Confirm / Cancel
(``handlers/confirm.py``); only the one winning Confirm reaches the executors here.
"""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.buttons import Press
from bot.confirmations import Confirmed
from bot.context import BotContext
from exchanges.errors import OrderNotFound
from exchanges.models import Order, Side
from handlers import trading_texts as tt
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.callbacks import action
from handlers.confirm import executes, keyboard
from handlers.guards import private_only
from handlers.lang import lang_for
from handlers.reply import reply

ORDER_CANCEL_ACTION = "order_cancel"
MAX_LISTED = 30


def _exchange(command: str, args: list[str], context: BotContext) -> str:
    names = [
        n for n in context.services.accounts.exchanges if context.services.market.is_exchange(n)
    ]
    if not args:
        raise UsageError(command, "Which exchange? One of: {names}.", names=", ".join(names))
    name = args[0].lower()
    if not context.services.market.is_exchange(name) or name not in names:
        raise UsageError(
            command,
            "I can't trade on “{name}”. I can trade on: {names}.",
            name=args[0],
            names=", ".join(names),
        )
    return name


def _number(command: str, text: str, what: str) -> Decimal:
    value = parse_decimal(text)
    if value is None or value <= 0:
        if what == "price":
            raise UsageError(command, "The price “{value}” is not a positive number.", value=text)
        raise UsageError(command, "The amount “{value}” is not a positive number.", value=text)
    return value


async def _order(update: Update, context: BotContext, side: Side) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    command = side.value
    args = clean_args(context.args)
    if len(args) not in (3, 4):
        raise UsageError(
            command, "I need an exchange, a symbol, an amount and optionally a limit price."
        )
    exchange = _exchange(command, args, context)
    amount = _number(command, args[2], "amount")
    price = _number(command, args[3], "price") if len(args) == 4 else None
    trading = context.services.trading
    preview = await trading.preview(user.id, exchange, args[1], side, amount, price)
    pending = await trading.propose(user.id, chat.id, preview)
    lang = await lang_for(update, context)
    ttl = int(context.services.confirmations.ttl.total_seconds())
    message = await reply(
        update, tt.preview_text(lang, preview, ttl), markup=keyboard(lang, pending)
    )
    if message is not None:
        await context.services.confirmations.set_message(pending.id, message.message_id)


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
    if shown and context.services.trading.capabilities(exchange).cancel:
        tokens = [
            (
                await context.services.buttons.issue(
                    user.id,
                    chat.id,
                    [(ORDER_CANCEL_ACTION, {"exchange": exchange, "order_id": o.order_id})],
                )
            )[0]
            for o in shown
        ]
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "✖️ " + lang("Cancel {order_id}", order_id=o.order_id[-12:]),
                        callback_data=token,
                    )
                ]
                for o, token in zip(shown, tokens, strict=True)
            ]
        )
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
    lang = await lang_for(update, context)
    ttl = int(context.services.confirmations.ttl.total_seconds())
    message = await reply(
        update, tt.cancel_preview_text(lang, exchange, order, ttl), markup=keyboard(lang, pending)
    )
    if message is not None:
        await context.services.confirmations.set_message(pending.id, message.message_id)


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
    if len(args) != 2:
        raise UsageError("cancel", "I need an exchange and an order id.")
    exchange = _exchange("cancel", args, context)
    order = await _open_order(context, user.id, exchange, args[1])
    await _ask_cancel(update, context, exchange, order)


@action(ORDER_CANCEL_ACTION)
async def on_order_cancel(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None
    exchange = str(press.payload["exchange"])
    order = await _open_order(context, user.id, exchange, str(press.payload["order_id"]))
    await _ask_cancel(update, context, exchange, order)


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
