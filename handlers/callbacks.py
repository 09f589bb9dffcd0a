"""Button presses: claim the one-time token, then run the action it was issued for.

Every press is answered (Telegram shows a spinner until then). Callback data is
untrusted: data the bot never issued (any client can send some, with or without our
prefix), a button issued to someone else, one already used and one past its expiry all
get the same "expired or not yours" answer and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.buttons import PREFIX, Press, Refusal
from bot.context import BotContext
from bot.i18n import Lang
from handlers.lang import lang_for

Action = Callable[[Update, BotContext, Press], Awaitable[None]]
ACTIONS: dict[str, Action] = {}
log = logging.getLogger(__name__)


def action(name: str) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return register


def refusal_text(lang: Lang, refusal: Refusal) -> str:
    """One sentence for every refused press, whatever the reason (never issued, someone
    else's, used, expired): the presser learns nothing about a button that is not theirs
    to press, and the reason stays in the log."""
    del refusal
    return lang("This button has expired or is not yours.")


async def on_press(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    result = await context.services.buttons.press(query.data, query.from_user.id)
    if isinstance(result, Refusal):
        log.info("button press refused (%s) for user %s", result.value, query.from_user.id)
        lang = await lang_for(update, context)
        await query.answer(refusal_text(lang, result), show_alert=True)
        return
    handler: Any = ACTIONS.get(result.action)
    if handler is None:
        lang = await lang_for(update, context)
        await query.answer(refusal_text(lang, Refusal.UNKNOWN), show_alert=True)
        return
    await query.answer()
    await handler(update, context, result)


async def on_forged(update: Update, context: BotContext) -> None:
    """Callback data without our prefix: no button of ours carries it."""
    query = update.callback_query
    if query is None:
        return
    lang = await lang_for(update, context)
    await query.answer(refusal_text(lang, Refusal.UNKNOWN), show_alert=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_press, pattern=f"^{PREFIX}"))
    app.add_handler(CallbackQueryHandler(on_forged))
