"""Confirm / Cancel buttons of ``bot/confirmations.py``: who executes a confirmed action.

A kind's owner registers its executor with ``@executes("order")``; pressing Confirm
claims the one-time button (``handlers/callbacks.py``), then the confirmation's own
pending → confirmed step, and only the one winner runs the executor. Cancel marks the
row cancelled and says so. ``keyboard`` builds the two buttons for a ``Pending``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.buttons import Press
from bot.confirmations import CONFIRM_ACTION, DECLINE_ACTION, Confirmed, Pending, Refusal
from bot.context import BotContext
from bot.i18n import Lang
from handlers.callbacks import action
from handlers.lang import lang_for
from handlers.reply import reply

Executor = Callable[[Update, BotContext, Confirmed], Awaitable[None]]
EXECUTORS: dict[str, Executor] = {}


def executes(kind: str) -> Callable[[Executor], Executor]:
    def register(fn: Executor) -> Executor:
        EXECUTORS[kind] = fn
        return fn

    return register


def keyboard(lang: Lang, pending: Pending) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ " + lang("Confirm"), callback_data=pending.confirm_data),
                InlineKeyboardButton("✖️ " + lang("Cancel"), callback_data=pending.cancel_data),
            ]
        ]
    )


def refusal_text(lang: Lang, refusal: Refusal) -> str:
    return {
        Refusal.UNKNOWN: lang("This confirmation is no longer valid."),
        Refusal.NOT_YOURS: lang("This confirmation belongs to someone else."),
        Refusal.EXPIRED: lang(
            "This confirmation has expired: nothing was sent. Send the command again."
        ),
        Refusal.ANSWERED: lang("This was already answered: nothing more was sent."),
    }[refusal]


async def _drop_keyboard(update: Update) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        # The message may be gone or unchanged; the reply that follows still goes out.
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)


def _confirmation_id(press: Press) -> int | None:
    raw = press.payload.get("id")
    return raw if isinstance(raw, int) else None


@action(CONFIRM_ACTION)
async def on_confirm(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    confirmation_id = _confirmation_id(press)
    if user is None or confirmation_id is None:
        return
    outcome = await context.services.confirmations.confirm(confirmation_id, user.id)
    await _drop_keyboard(update)
    if isinstance(outcome, Refusal):
        await reply(update, refusal_text(await lang_for(update, context), outcome))
        return
    executor = EXECUTORS.get(outcome.action.kind)
    if executor is None:
        await context.services.confirmations.mark_failed(confirmation_id, "no executor")
        await reply(update, refusal_text(await lang_for(update, context), Refusal.UNKNOWN))
        return
    await executor(update, context, outcome)


@action(DECLINE_ACTION)
async def on_decline(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    confirmation_id = _confirmation_id(press)
    if user is None or confirmation_id is None:
        return
    outcome = await context.services.confirmations.cancel(confirmation_id, user.id)
    await _drop_keyboard(update)
    lang = await lang_for(update, context)
    if isinstance(outcome, Refusal):
        await reply(update, refusal_text(lang, outcome))
        return
    await reply(update, lang("Cancelled: nothing was sent."))
