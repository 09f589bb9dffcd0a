"""/convert (a WallexPay exchange at a quoted rate, or ``now`` at the market rate),
/futures (a rate fixed for deposits to an exchange address) and /invoice (a payment
link; without arguments, the merchant's invoices and their statuses).

The quote's message counts down: every few seconds its text says how long the rate
still holds, and when it is over the Confirm button gives way to "Fresh quote". A
Confirm pressed in time sends ``exchange/fixed``; one pressed too late says the
quote expired and offers a fresh one — nothing is exchanged at a stale rate.

Futures work the same way over the rates' own window (``ts_fixed`` … ``ts_release``,
100 minutes in the document's example): the message counts down (every
``COUNTDOWN_SECONDS`` in the last ten minutes, every minute before, and once more at
the end), its Confirm/Cancel buttons expire when the rates do, and at the end "Fresh
rates" replaces them. A Confirm that WallexPay or our clock finds too late says the
rates lapsed and offers fresh ones.

Invoices left unpaid are told expired by a job every ``EXPIRY_EVERY`` seconds
(``WallexPayCallbacks.expire_overdue``; why: ``bot/callbacks.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
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
from bot.payments import FuturesOffer, NoFuturesRate, Quote
from bot.withdrawals import OutcomeUnknown
from exchanges.errors import ExchangeError, NetworkError, QuoteExpired
from handlers import money_texts as mt
from handlers import payment_texts as pt
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.callbacks import action
from handlers.confirm import executes, keyboard
from handlers.errors import sentence
from handlers.guards import private_only
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.withdrawals import answers_money_errors, money_of

COUNTDOWN_SECONDS = 10.0
SLOW_COUNTDOWN_SECONDS = 60.0  # futures windows run 100 minutes: a minute is enough
FAST_COUNTDOWN_LEFT = 600  # seconds left below which the countdown goes per 10 s
EXPIRY_EVERY = 60.0
# A Confirm pressed after the quote ran out must still reach the executor, which then
# says so and offers a fresh quote, rather than a bare "expired".
AFTER_QUOTE = timedelta(minutes=2)


def _currency(command: str, text: str) -> str:
    if not text.isalnum() or len(text) > 10:
        raise UsageError(command, "“{value}” is not a currency code.", value=text)
    return text.upper()


async def _again_markup(
    services: Services, user_id: int, chat_id: int, kind: str, label: str, payload: dict[str, str]
) -> InlineKeyboardMarkup:
    """One button that asks again (a fresh quote, fresh rates) for the same figures."""
    [data] = await services.buttons.issue(user_id, chat_id, [(kind, payload)])
    return InlineKeyboardMarkup([[InlineKeyboardButton("🔄 " + label, callback_data=data)]])


async def _fresh_quote_markup(
    services: Services, user_id: int, chat_id: int, lang: Lang, quote: Quote
) -> InlineKeyboardMarkup:
    payload = {
        "amount": str(quote.sender_amount),
        "from": quote.sender_currency,
        "to": quote.receiver_currency,
    }
    return await _again_markup(
        services, user_id, chat_id, "convert_again", lang("Fresh quote"), payload
    )


async def _refused(
    update: Update,
    context: BotContext,
    act_id: int,
    exc: ExchangeError,
    command: str,
    nothing: str,
    reference: str,
) -> None:
    """WallexPay refused a confirmed action: recorded as failed, the user told why and
    that nothing happened (``nothing``, already translated). No answer at all (a network
    error once the request left) is not a refusal: it may have gone through, so the
    user is told to check before trying again, with the reference it carried."""
    store = context.services.confirmations
    lang = await lang_for(update, context)
    if isinstance(exc, NetworkError):
        await store.mark_failed(act_id, "no answer: outcome unknown")
        await reply(update, mt.money_error(lang, OutcomeUnknown(exc.exchange, reference)) or "")
        return
    await store.mark_failed(act_id, type(exc).__name__)
    await reply(update, (sentence(lang, exc, command) or "") + "\n" + nothing)


def _asks_again(
    ask: Callable[[Update, BotContext, Decimal, str, str], Coroutine[Any, Any, None]],
) -> Callable[[Update, BotContext, Press], Awaitable[None]]:
    """A "fresh quote/rates" press: the same request again, with its errors answered."""

    async def on_press(update: Update, context: BotContext, press: Press) -> None:
        p = press.payload
        await answers_money_errors(
            lambda u, c: ask(u, c, Decimal(str(p["amount"])), str(p["from"]), str(p["to"]))
        )(update, context)

    return on_press


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
    if len(args) not in (3, 4):
        raise UsageError("convert", "I need an amount and two currencies.")
    if len(args) == 4 and args[3].lower() != "now":
        raise UsageError(
            "convert", "After the currencies I only understand “now”, not “{value}”.", value=args[3]
        )
    amount = parse_decimal(args[0])
    if amount is None or amount <= 0:
        raise UsageError("convert", "“{value}” is not an amount.", value=args[0])
    sender, receiver = _currency("convert", args[1]), _currency("convert", args[2])
    if len(args) == 4:
        await ask_convert_now(update, context, amount, sender, receiver)
        return
    await quote_and_ask(update, context, amount, sender, receiver)


async def ask_convert_now(
    update: Update, context: BotContext, amount: Decimal, sender: str, receiver: str
) -> None:
    """``exchange/now`` after Confirm; the summary's figure is an indication from a
    fresh ``exchange/calculate``, and the price is not fixed."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    payments = money_of(context).payments
    quote = await payments.quote(user.id, amount, sender, receiver)
    lang = await lang_for(update, context)
    pending = await context.services.confirmations.create(
        user_id=user.id,
        chat_id=chat.id,
        kind="convert_now",
        payload={"amount": str(amount), "from": sender, "to": receiver},
        client_ref=True,
    )
    sent = await chat.send_message(
        pt.convert_now_text(lang, amount, sender, receiver, quote.receiver_amount or None),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(lang, pending),
    )
    await context.services.confirmations.set_message(pending.id, sent.message_id)


@executes("convert_now")
async def on_convert_now_confirmed(
    update: Update, context: BotContext, confirmed: Confirmed
) -> None:
    user = update.effective_user
    assert user is not None
    act = confirmed.action
    store = context.services.confirmations
    p = act.payload
    lang = await lang_for(update, context)
    reference = act.client_ref or f"n{act.id}"
    try:
        await store.mark_sent(act.id)
        done = await money_of(context).payments.convert_now(
            user.id,
            Decimal(str(p["amount"])),
            str(p["from"]),
            str(p["to"]),
            reference,
        )
    except ExchangeError as exc:
        nothing = lang("Nothing was exchanged.")
        await _refused(update, context, act.id, exc, "convert", nothing, reference)
        return
    await store.mark_done(act.id, {"id": done.id, "status": done.status})
    await reply(update, mt.converted_text(lang, done))


on_convert_again = action("convert_again")(_asks_again(quote_and_ask))


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
    reference = act.client_ref or f"c{act.id}"
    try:
        if not payments.quote_holds(quote):
            raise QuoteExpired("wallexpay", "the quote's time is over")
        await store.mark_sent(act.id)
        done = await payments.convert(user.id, quote, reference)
    except QuoteExpired:
        await store.mark_failed(act.id, "quote expired")
        markup = await _fresh_quote_markup(services, user.id, chat.id, lang, quote)
        await reply(update, mt.quote_expired_text(lang, quote), markup=markup)
        return
    except ExchangeError as exc:
        nothing = lang("Nothing was exchanged.")
        await _refused(update, context, act.id, exc, "convert", nothing, reference)
        return
    await store.mark_done(act.id, {"id": done.id, "status": done.status})
    await reply(update, mt.converted_text(lang, done))


@private_only
@answers_money_errors
async def invoice(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    if not args:
        found = await money_of(context).payments.invoices(user.id)
        await reply(update, pt.invoices_text(await lang_for(update, context), found))
        return
    if len(args) < 2:
        raise UsageError("invoice", "I need an amount and a currency.")
    amount = parse_decimal(args[0])
    if amount is None or amount <= 0:
        raise UsageError("invoice", "“{value}” is not an amount.", value=args[0])
    currency = _currency("invoice", args[1])
    title = " ".join((context.args or [])[2:]).strip() or None
    link = await money_of(context).payments.invoice(user.id, amount, currency, title)
    await reply(update, mt.invoice_text(await lang_for(update, context), link))


# --- deposit with exchange ---------------------------------------------------------------
async def deposit_converting(
    update: Update,
    context: BotContext,
    currency: str,
    target: str,
    qr: Callable[[str], bytes],
) -> None:
    """``/deposit wallexpay CURRENCY TO`` (the document's "deposit with exchange flow"):
    an address whose every deposit WallexPay converts to TO on arrival, with its QR
    picture (``qr``, from the /deposit handler that owns it)."""

    async def send(u: Update, c: BotContext) -> None:
        chat, user = u.effective_chat, u.effective_user
        assert chat is not None and user is not None
        to = _currency("deposit", target)
        taken = await money_of(c).payments.deposit_converting(user.id, currency, to)
        await chat.send_photo(
            photo=qr(taken.address),
            caption=pt.converting_deposit_text(await lang_for(u, c), taken),
            parse_mode=ParseMode.HTML,
            filename=f"{taken.currency}-deposit.png",
        )

    await answers_money_errors(send)(update, context)


# --- futures ------------------------------------------------------------------------------
async def _fresh_futures_markup(
    services: Services, user_id: int, chat_id: int, lang: Lang, offer: FuturesOffer
) -> InlineKeyboardMarkup:
    payload = {
        "amount": str(offer.receiver_amount),
        "from": offer.sender_currency,
        "to": offer.receiver_currency,
    }
    return await _again_markup(
        services, user_id, chat_id, "futures_again", lang("Fresh rates"), payload
    )


async def futures_and_ask(
    update: Update, context: BotContext, amount: Decimal, sender: str, receiver: str
) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    services = context.services
    payments = money_of(context).payments
    lang = await lang_for(update, context)
    try:
        offer = await payments.futures_offer(user.id, amount, sender, receiver)
    except NoFuturesRate as exc:
        await reply(update, pt.no_futures_rate_text(lang, exc))
        return
    left = payments.futures_seconds_left(offer)
    if left <= 0:
        markup = await _fresh_futures_markup(services, user.id, chat.id, lang, offer)
        await chat.send_message(
            pt.futures_text(lang, offer, 0), parse_mode=ParseMode.HTML, reply_markup=markup
        )
        return
    store = services.confirmations
    # The buttons die with the rates: no Confirm outlives the fixation.
    pending = await store.create(
        user_id=user.id,
        chat_id=chat.id,
        kind="futures",
        payload=offer.payload(),
        ttl=timedelta(seconds=left),
    )
    sent = await chat.send_message(
        pt.futures_text(lang, offer, left),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(lang, pending),
    )
    await store.set_message(pending.id, sent.message_id)
    data = {
        "pending": pending,
        "message_id": sent.message_id,
        "chat_id": chat.id,
        "fast": left <= FAST_COUNTDOWN_LEFT,
    }
    _schedule_futures_countdown(context, data, left)


def _schedule_futures_countdown(
    context: CallbackContext[Any, Any, Any, Any], data: dict[str, Any], left: int
) -> None:
    """Repeating edits (per 10 s when ``data["fast"]``, else per minute) and one at the
    end, all under one name so that either can stop the others."""
    if context.job_queue is None:
        return
    name = f"futures:{data['pending'].id}"
    interval = COUNTDOWN_SECONDS if data["fast"] else SLOW_COUNTDOWN_SECONDS
    context.job_queue.run_repeating(
        futures_countdown, interval=interval, first=interval, data=data, name=name
    )
    context.job_queue.run_once(futures_countdown, when=left + 1, data=data, name=name)


async def futures_countdown(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Keep the futures' time left true in its text; at the end, offer fresh rates."""
    job = context.job
    assert job is not None and isinstance(job.data, dict)
    pending: Pending = job.data["pending"]
    chat_id, message_id = int(job.data["chat_id"]), int(job.data["message_id"])
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services) and services.money is not None

    def stop() -> None:
        queue = context.job_queue
        for one in [job, *(queue.get_jobs_by_name(str(job.name)) if queue else ())]:
            with contextlib.suppress(LookupError):  # a one-off job is gone once it ran
                one.schedule_removal()

    act = await services.confirmations.get(pending.id)
    if act is None or act.state is not State.PENDING:
        stop()
        return
    offer = FuturesOffer.of_payload(act.payload)
    left = services.money.payments.futures_seconds_left(offer)
    lang = await services.chats.language(chat_id, None)
    if left > 0:
        if left <= FAST_COUNTDOWN_LEFT and not job.data.get("fast"):
            # the last ten minutes: count every 10 s from now on
            stop()
            _schedule_futures_countdown(context, {**job.data, "fast": True}, left)
        markup = keyboard(lang, pending)
    else:
        stop()
        markup = await _fresh_futures_markup(services, act.user_id, chat_id, lang, offer)
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_text(
            pt.futures_text(lang, offer, left),
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )


@private_only
@answers_money_errors
async def futures(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if len(args) != 3:
        raise UsageError(
            "futures",
            "I need the amount you receive, the currency your customer pays in and the "
            "currency you receive.",
        )
    amount = parse_decimal(args[0])
    if amount is None or amount <= 0:
        raise UsageError("futures", "“{value}” is not an amount.", value=args[0])
    sender, receiver = _currency("futures", args[1]), _currency("futures", args[2])
    if sender == receiver:
        raise UsageError("futures", "The two currencies must differ.")
    await futures_and_ask(update, context, amount, sender, receiver)


on_futures_again = action("futures_again")(_asks_again(futures_and_ask))


@executes("futures")
async def on_futures_confirmed(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    act = confirmed.action
    services = context.services
    store = services.confirmations
    payments = money_of(context).payments
    offer = FuturesOffer.of_payload(act.payload)
    lang = await lang_for(update, context)
    try:
        if not payments.futures_hold(offer):
            raise QuoteExpired("wallexpay", "the futures rates' time is over")
        await store.mark_sent(act.id)
        done = await payments.futures_confirm(user.id, offer)
    except QuoteExpired:
        await store.mark_failed(act.id, "futures rates lapsed")
        markup = await _fresh_futures_markup(services, user.id, chat.id, lang, offer)
        await reply(update, pt.futures_lapsed_text(lang, offer), markup=markup)
        return
    except ExchangeError as exc:
        nothing = lang("Nothing was fixed.")
        await _refused(update, context, act.id, exc, "futures", nothing, offer.address)
        return
    await store.mark_done(act.id, {"id": done.id})
    await reply(update, pt.futures_fixed_text(lang, done))


# --- invoices that run out without a callback -------------------------------------------
async def expire_invoices(context: CallbackContext[Any, Any, Any, Any]) -> None:
    services = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services) or services.money is None:
        return
    money = services.money
    await money.callbacks.expire_overdue(money.payments.now())


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("convert", convert))
    app.add_handler(CommandHandler("invoice", invoice))
    app.add_handler(CommandHandler("futures", futures))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            expire_invoices, interval=EXPIRY_EVERY, first=EXPIRY_EVERY, name="invoice-expiry"
        )
