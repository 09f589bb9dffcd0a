"""/withdraw, /coupon, /withdrawcap, and the one-time-code step they share.

Two steps stand between a command and money leaving: the Confirm button of the
summary (``bot/confirmations.py``: counted once, owner-bound, expiring) and then a
6-digit code sent in a message of its own that the user types back
(``bot/one_time_codes.py``: three wrong codes or two minutes end it). Only a code
accepted for a confirmation still in ``confirmed`` sends anything, and the message
that carried the code is deleted once it is typed back.

The code step is a small state keyed by user, not a ConversationHandler: it starts
from a button press (the Confirm executor) rather than a command, and it must not
survive a restart — a restart forgets the code, the confirmation stays unsent, and
the user simply starts again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from datetime import UTC, datetime
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext, CommandHandler, MessageHandler, filters

from bot.buttons import Press
from bot.caps import CapExceeded
from bot.confirmations import Action, Confirmed, State
from bot.context import SERVICES_KEY, BotContext, Services
from bot.errors import BotError
from bot.i18n import Lang
from bot.money import MoneyServices
from bot.money_recovery import recover
from bot.one_time_codes import Challenge, Outcome
from exchanges.credentials import Secret
from exchanges.errors import ExchangeError
from handlers import money_texts as mt
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.args import exchange_arg as args_exchange
from handlers.callbacks import action
from handlers.confirm import executes, keyboard
from handlers.errors import sentence
from handlers.guards import Handler, private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply

log = logging.getLogger(__name__)

KINDS = ("withdrawal", "coupon", "coupon_redeem")
SWEEP_SECONDS = 10.0
LATE_GRACE_SECONDS = 30.0
_CANCEL_ALONE = re.compile(r"^/cancel(@\w+)?\s*$")
AnyContext = CallbackContext[Any, Any, Any, Any]


def money_of(context: BotContext) -> MoneyServices:
    money = context.services.money
    assert money is not None, "the money services are built with the application"
    return money


def answers_money_errors(handler: Handler) -> Handler:
    """A money error becomes its sentence; anything else goes to the one error handler."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> Any:
        try:
            return await handler(update, context)
        except BotError as exc:
            text = mt.money_error(await lang_for(update, context), exc)
            if text is None:
                raise
            await reply(update, text)
            return None

    return guarded


def exchange_arg(command: str, args: list[str], context: BotContext) -> str:
    return args_exchange(command, args, context.services.accounts.exchanges)


def amount_arg(command: str, text: str) -> Any:
    value = parse_decimal(text)
    if value is None or value <= 0:
        raise UsageError(command, "“{value}” is not an amount.", value=text)
    return value


async def _summary(
    update: Update,
    context: BotContext,
    *,
    kind: str,
    payload: dict[str, Any],
    text_of: Any,
) -> int | None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    store = context.services.confirmations
    pending = await store.create(
        user_id=user.id, chat_id=chat.id, kind=kind, payload=payload, client_ref=True
    )
    lang = await lang_for(update, context)
    seconds = int(store.ttl.total_seconds())
    sent = await reply(update, text_of(lang, seconds), markup=keyboard(lang, pending))
    if sent is not None:
        await store.set_message(pending.id, sent.message_id)
    return pending.id


@private_only
@answers_money_errors
async def withdraw(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    if len(args) < 4:
        raise UsageError("withdraw", "I need an exchange, a currency, an amount and the address.")
    exchange = exchange_arg("withdraw", args, context)
    amount = amount_arg("withdraw", args[2])
    money = money_of(context)
    plan = await money.withdrawals.plan(
        user.id, exchange, args[1], amount, args[3], args[4:6] if len(args) > 4 else ()
    )
    await _summary(
        update,
        context,
        kind="withdrawal",
        payload=plan.payload(),
        text_of=lambda lang, seconds: mt.withdrawal_summary(lang, plan, seconds),
    )


@private_only
@answers_money_errors
async def coupon(update: Update, context: BotContext) -> None:
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    args = clean_args(context.args)
    money = money_of(context)
    what = args[0].lower() if args else ""
    if what == "create" and len(args) == 3:
        amount = amount_arg("coupon", args[2])
        plan = await money.withdrawals.plan_coupon(user.id, "wex", args[1], amount)
        await _summary(
            update,
            context,
            kind="coupon",
            payload=plan.payload(),
            text_of=lambda lang, seconds: mt.coupon_summary(lang, plan, seconds),
        )
        return
    if what == "redeem" and len(args) == 2:
        code = Secret(args[1])
        # The coupon is money to whoever reads it: off the chat at once.
        with contextlib.suppress(TelegramError):
            await message.delete()
        await money.withdrawals.check_coupons(user.id, "wex")
        confirmation_id = await _summary(
            update,
            context,
            kind="coupon_redeem",
            payload={"exchange": "wex"},
            text_of=lambda lang, seconds: mt.redeem_summary(lang, "wex", seconds),
        )
        if confirmation_id is not None:
            money.held.hold(confirmation_id, code)
        return
    raise UsageError("coupon", "Create a coupon or redeem one.")


@private_only
@answers_money_errors
async def withdrawcap(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    caps = money_of(context).caps
    lang = await lang_for(update, context)
    if not args:
        await reply(update, mt.caps_text(lang, await caps.all(user.id)))
        return
    if len(args) != 2:
        raise UsageError("withdrawcap", "I need an amount and a currency, or a currency and off.")
    words = [a.lower() for a in args]
    if "off" in words:
        currency = args[1 - words.index("off")]
        change = await caps.set(user.id, currency, None)
        await reply(update, mt.cap_changed(lang, change, off=True))
        return
    amount, currency = parse_decimal(args[0]), args[1]
    if amount is None:
        amount, currency = parse_decimal(args[1]), args[0]
    if amount is None or amount <= 0 or not currency.isalnum():
        raise UsageError("withdrawcap", "I need an amount and a currency, or a currency and off.")
    change = await caps.set(user.id, currency, amount)
    await reply(update, mt.cap_changed(lang, change, off=False))


# --- the code step ------------------------------------------------------------------
async def _start_code(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    """After Confirm: a fresh code in a message of its own, with a Cancel button."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    act = confirmed.action
    money = money_of(context)
    lang = await lang_for(update, context)
    older = money.codes.cancel(user.id)
    if older is not None:  # one code at a time: the newer Confirm replaces the older one
        await _delete(context, chat.id, older.message_ids)
        await _fail(context.services, int(older.action["id"]), "replaced by a newer confirmation")
        money.held.take(int(older.action["id"]))
    code, challenge = money.codes.issue(
        user.id, {"id": act.id, "kind": act.kind, "chat_id": chat.id}
    )
    markup = await one_time_keyboard(
        context, user.id, chat.id, [[(lang("Cancel"), "code_cancel", {"id": act.id})]]
    )
    sent = await chat.send_message(
        mt.code_message(lang, code, mt.what_text(lang, act.kind, act.payload)),
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )
    del code
    challenge.message_ids.append(sent.message_id)


for _kind in KINDS:
    executes(_kind)(_start_code)


async def _delete(
    context: CallbackContext[Any, Any, Any, Any], chat_id: int, ids: list[int]
) -> None:
    for message_id in ids:
        with contextlib.suppress(TelegramError):
            await context.bot.delete_message(chat_id, message_id)


async def _fail(services: Services, confirmation_id: int, reason: str) -> None:
    await services.confirmations.mark_failed(confirmation_id, reason)


async def on_code(update: Update, context: BotContext) -> None:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None or message.text is None:
        return
    money = money_of(context)
    checked = money.codes.check(user.id, message.text)
    lang = await lang_for(update, context)
    challenge = checked.challenge
    if checked.outcome is Outcome.NONE or challenge is None:
        return
    confirmation_id = int(challenge.action["id"])
    if checked.outcome is Outcome.WRONG:
        await reply(update, mt.wrong_code(lang, checked.attempts_left))
        return
    await _delete(context, chat.id, challenge.message_ids)
    if checked.outcome is Outcome.LOCKED:
        await _fail(context.services, confirmation_id, "three wrong codes")
        money.held.take(confirmation_id)
        await reply(update, mt.locked_text(lang))
        return
    if checked.outcome is Outcome.EXPIRED:
        await _fail(context.services, confirmation_id, "code expired")
        money.held.take(confirmation_id)
        await reply(update, mt.expired_code_text(lang))
        return
    with contextlib.suppress(TelegramError):
        await message.delete()
    await _execute(update, context, lang, confirmation_id)


async def on_code_cancel(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    money = money_of(context)
    challenge = money.codes.cancel(user.id)
    lang = await lang_for(update, context)
    if challenge is not None:
        confirmation_id = int(challenge.action["id"])
        await _delete(context, chat.id, challenge.message_ids)
        await _fail(context.services, confirmation_id, "cancelled at the code")
        money.held.take(confirmation_id)
    await reply(update, mt.code_cancelled_text(lang))


@action("code_cancel")
async def on_code_cancel_button(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    if user is None:
        return
    pending = money_of(context).codes.pending(user.id)
    if pending is None or pending.action.get("id") != press.payload.get("id"):
        lang = await lang_for(update, context)
        await reply(update, lang("This was already answered: nothing more was sent."))
        return
    await on_code_cancel(update, context)


async def _execute(update: Update, context: BotContext, lang: Lang, confirmation_id: int) -> None:
    """The code came back: send it upstream, once, and say what happened."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    store = context.services.confirmations
    act = await store.get(confirmation_id)
    if act is None or act.user_id != user.id or act.state is not State.CONFIRMED:
        await reply(update, lang("This was already answered: nothing more was sent."))
        return
    money = money_of(context)
    secret = money.held.take(act.id) if act.kind == "coupon_redeem" else None
    if act.kind == "coupon_redeem" and secret is None:
        await store.mark_failed(act.id, "coupon code lost in a restart")
        await reply(update, mt.restart_lost_code(lang))
        return
    if not await store.mark_sent(act.id):
        await reply(update, lang("This was already answered: nothing more was sent."))
        return
    reference = act.client_ref or f"c{act.id}"
    try:
        if act.kind == "withdrawal":
            await _send_withdrawal(update, context, lang, act, reference)
        elif act.kind == "coupon":
            made = await money.withdrawals.create_coupon(user.id, chat.id, act.payload, reference)
            await store.mark_done(act.id, {"transaction_id": made.transaction_id})
            await reply(update, mt.coupon_made(lang, made))
            del made
        else:
            assert secret is not None
            redeemed = await money.withdrawals.redeem_coupon(
                user.id, chat.id, str(act.payload["exchange"]), secret.reveal(), reference
            )
            await store.mark_done(
                act.id,
                {
                    "transaction_id": redeemed.transaction_id,
                    "currency": redeemed.currency,
                    "amount": redeemed.amount,
                },
            )
            await reply(update, mt.coupon_redeemed(lang, redeemed))
    except CapExceeded as exc:
        await store.mark_failed(act.id, "daily cap")
        await reply(update, mt.money_error(lang, exc) or "")
    except BotError as exc:
        # Settled here, so a restart does not report it a second time; an unknown
        # outcome stays ``unknown`` in the transfer row (and counts towards the cap).
        await store.mark_failed(act.id, type(exc).__name__)
        text = mt.money_error(lang, exc)
        if text is None:
            raise
        await reply(update, text)
    except ExchangeError as exc:
        await store.mark_failed(act.id, type(exc).__name__)
        command = "withdraw" if act.kind == "withdrawal" else "coupon"
        await reply(update, (sentence(lang, exc, command) or "") + "\n" + mt.nothing_sent(lang))


async def _send_withdrawal(
    update: Update, context: BotContext, lang: Lang, act: Action, reference: str
) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    money = money_of(context)
    payload = act.payload
    done = await money.withdrawals.send(user.id, chat.id, payload, reference)
    await context.services.confirmations.mark_done(
        act.id, {"withdrawal_id": done.withdrawal_id, "status": str(done.status)}
    )
    await reply(update, mt.withdrawal_sent(lang, done))
    saved = await money.book.known(
        user.id,
        str(payload["exchange"]),
        str(payload["currency"]),
        str(payload["address"]),
        network=payload.get("network"),
        memo=payload.get("memo"),
    )
    if saved is None:
        save = {k: payload.get(k) for k in ("exchange", "currency", "address", "network", "memo")}
        markup = await one_time_keyboard(
            context,
            user.id,
            chat.id,
            [[(lang("Save address"), "addr_save", save), (lang("No, thanks"), "addr_skip", {})]],
        )
        await reply(update, mt.offer_to_save(lang), markup=markup)


async def sweep(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Challenges nobody answered: end them, delete their code, tell their owner."""
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services) and services.money is not None
    for challenge in services.money.codes.expired(grace=LATE_GRACE_SECONDS):
        await _expire(context, services, challenge)


async def _expire(
    context: CallbackContext[Any, Any, Any, Any], services: Services, challenge: Challenge
) -> None:
    chat_id = int(challenge.action["chat_id"])
    confirmation_id = int(challenge.action["id"])
    await _delete(context, chat_id, challenge.message_ids)
    await _fail(services, confirmation_id, "code expired")
    assert services.money is not None
    services.money.held.take(confirmation_id)
    lang = await services.chats.language(chat_id, None)
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, mt.expired_code_text(lang))


async def recover_unfinished(context: AnyContext) -> None:
    """Once at start: money actions an earlier process left half done."""
    services = context.application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    await recover(
        services.db,
        services.confirmations,
        services.chats,
        mt.recovery_text,
        started_at=context.job.data
        if context.job and isinstance(context.job.data, datetime)
        else datetime.now(UTC),
        wake=services.notifier.wake if services.notifier else None,
    )


class _AwaitingCode(filters.MessageFilter):
    """Messages of a user who owes the bot a code (looked up live, not cached)."""

    def __init__(self, app: Application) -> None:  # type: ignore[type-arg]
        super().__init__(name="awaiting_code")
        self.app = app

    def filter(self, message: Message) -> bool:
        services = self.app.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services) or services.money is None:
            return False
        user = message.from_user
        return user is not None and services.money.codes.pending(user.id) is not None


def register_code_step(app: Application) -> None:  # type: ignore[type-arg]
    """Before every other text and /cancel handler: a code owed takes the next message."""
    awaiting = _AwaitingCode(app) & filters.ChatType.PRIVATE
    app.add_handler(
        MessageHandler(awaiting & filters.Regex(_CANCEL_ALONE), on_code_cancel), group=0
    )
    app.add_handler(MessageHandler(awaiting & filters.TEXT & ~filters.COMMAND, on_code), group=0)
    if app.job_queue is not None:
        app.job_queue.run_repeating(sweep, interval=SWEEP_SECONDS, first=SWEEP_SECONDS)
        app.job_queue.run_once(recover_unfinished, when=0.5, data=datetime.now(UTC))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("withdraw", withdraw))
    app.add_handler(CommandHandler("coupon", coupon))
    app.add_handler(CommandHandler("withdrawcap", withdrawcap))


__all__ = ["register", "register_code_step"]
