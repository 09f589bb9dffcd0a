"""Showing the summary of a proposed action with its Confirm / Cancel buttons.

Every state-changing command ends the same way: the summary (which states how long
the buttons live) goes out with the confirmation's keyboard, and its message id is
remembered so an outcome found later (recovery, a sweep) can refer to that message.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update

from bot.confirmations import Pending
from bot.context import BotContext
from bot.i18n import Lang
from handlers.confirm import keyboard
from handlers.lang import lang_for
from handlers.reply import reply


async def show_summary(
    update: Update, context: BotContext, pending: Pending, text: Callable[[Lang, int], str]
) -> None:
    """Send ``text(lang, ttl_seconds)`` with ``pending``'s keyboard and remember the message."""
    confirmations = context.services.confirmations
    lang = await lang_for(update, context)
    ttl = int(confirmations.ttl.total_seconds())
    message = await reply(update, text(lang, ttl), markup=keyboard(lang, pending))
    if message is not None:
        await confirmations.set_message(pending.id, message.message_id)
