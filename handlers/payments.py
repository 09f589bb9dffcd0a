"""/convert (a WallexPay exchange at a quoted rate) and /invoice (a payment link).

The quote's message counts down: every few seconds its text says how long the rate
still holds, and when it is over the Confirm button gives way to "Fresh quote". A
Confirm pressed in time sends ``exchange/fixed``; one pressed too late says the
quote expired and offers a fresh one — nothing is exchanged at a stale rate.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext, CommandHandler

from bot.buttons import Press
from bot.confirmations import Confirmed, Pending, State
from bot.context import SERVICES_KEY, BotContext, Services
from bot.i18n import Lang
from bot.payments import Quote
from exchanges.errors import ExchangeError, QuoteExpired
from handlers import money_texts as mt
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.callbacks import action
from handlers.confirm import executes, keyboard
from handlers.errors import sentence
from handlers.guards import private_only
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.withdrawals import answers_money_errors, money_of

COUNTDOWN_SECONDS = 10.0
# A Confirm pressed after the quote ran out must still reach the executor, which then
# says so and offers a fresh quote, rather than a bare "expired".
AFTER_QUOTE = timedelta(minutes=2)


def _currency(command: str, text: str) -> str:
    if not text.isalnum() or len(text) > 10:
        raise UsageError(command, "“{value}” is not a currency code.", value=text)
    return text.upper()


async def _fresh_quote_markup(
    services: Services, user_id: int, chat_id: int, lang: Lang, quote: Quote
) -> InlineKeyboardMarkup:
    payload = {
        "amount": str(quote.sender_amount),
        "from": quote.sender_currency,
        "to": quote.receiver_currency,
    }
    [data] = await services.buttons.issue(user_id, chat_id, [("convert_again", payload)])
    button = InlineKeyboardButton("🔄 " + lang("Fresh quote"), callback_data=data)
    return InlineKeyboardMarkup([[button]])


async def quote_and_ask(
    update: Update, context: BotContext, amount: Decimal, sender: str, receiver: str
) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    services = context.services
    payments = money_of(context).payments
    quote = await payments.quote(user.id, amount, sender, receiver)
    lang = await lang_for(update, context)
    left = payments.seconds_left(quote)
    store = services.confirmations
    pending = await store.create(
        user_id=user.id,
        chat_id=chat.id,
        kind="convert",
        payload=quote.payload(),
        client_ref=True,
        ttl=timedelta(seconds=left) + AFTER_QUOTE,
    )
    sent = await chat.send_message(
        mt.quote_text(lang, quote, left),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(lang, pending),
    )
    await store.set_message(pending.id, sent.message_id)
    if context.job_queue is not None and left > 0:
        context.job_queue.run_repeating(
            countdown,
            interval=COUNTDOWN_SECONDS,
            first=COUNTDOWN_SECONDS,
            data={"pending": pending, "message_id": sent.message_id, "chat_id": chat.id},
            name=f"quote:{pending.id}",
        )


async def countdown(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Keep the quote's time left true in its text; at the end, offer a fresh quote."""
    job = context.job
    assert job is not None and isinstance(job.data, dict)
    pending: Pending = job.data["pending"]
    chat_id, message_id = int(job.data["chat_id"]), int(job.data["message_id"])
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services) and services.money is not None
    act = await services.confirmations.get(pending.id)
    if act is None or act.state is not State.PENDING:
        job.schedule_removal()
        return
    quote = Quote.of_payload(act.payload)
    left = services.money.payments.seconds_left(quote)
    lang = await services.chats.language(chat_id, None)
    if left > 0:
        markup = keyboard(lang, pending)
    else:
        job.schedule_removal()
        markup = await _fresh_quote_markup(services, act.user_id, chat_id, lang, quote)
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(
            mt.quote_text(lang, quote, left),
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )


@private_only
@answers_money_errors
async def convert(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if len(args) != 3:
        raise UsageError("convert", "I need an amount and two currencies.")
    amount = parse_decimal(args[0])
    if amount is None or amount <= 0:
        raise UsageError("convert", "“{value}” is not an amount.", value=args[0])
    await quote_and_ask(
        update, context, amount, _currency("convert", args[1]), _currency("convert", args[2])
    )


@action("convert_again")
async def on_convert_again(update: Update, context: BotContext, press: Press) -> None:
    p = press.payload
    await answers_money_errors(
        lambda u, c: quote_and_ask(u, c, Decimal(str(p["amount"])), str(p["from"]), str(p["to"]))
    )(update, context)


@executes("convert")
async def on_convert_confirmed(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    act = confirmed.action
    services = context.services
    store = services.confirmations
    payments = money_of(context).payments
    quote = Quote.of_payload(act.payload)
    lang = await lang_for(update, context)
    try:
        if not payments.quote_holds(quote):
            raise QuoteExpired("wallexpay", "the quote's time is over")
        await store.mark_sent(act.id)
        done = await payments.convert(user.id, quote, act.client_ref or f"c{act.id}")
    except QuoteExpired:
        await store.mark_failed(act.id, "quote expired")
        markup = await _fresh_quote_markup(services, user.id, chat.id, lang, quote)
        await reply(update, mt.quote_expired_text(lang, quote), markup=markup)
        return
    except ExchangeError as exc:
        await store.mark_failed(act.id, type(exc).__name__)
        await reply(
            update, (sentence(lang, exc, "convert") or "") + "\n" + lang("Nothing was exchanged.")
        )
        return
    await store.mark_done(act.id, {"id": done.id, "status": done.status})
    await reply(update, mt.converted_text(lang, done))


@private_only
@answers_money_errors
async def invoice(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    if len(args) < 2:
        raise UsageError("invoice", "I need an amount and a currency.")
    amount = parse_decimal(args[0])
    if amount is None or amount <= 0:
        raise UsageError("invoice", "“{value}” is not an amount.", value=args[0])
    currency = _currency("invoice", args[1])
    title = " ".join((context.args or [])[2:]).strip() or None
    link = await money_of(context).payments.invoice(user.id, amount, currency, title)
    await reply(update, mt.invoice_text(await lang_for(update, context), link))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("convert", convert))
    app.add_handler(CommandHandler("invoice", invoice))
