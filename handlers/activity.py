"""/activity EXCHANGE: every movement of the caller's balances, ten to a page.

Private chats only. The ◀ ▶ buttons are one-time tokens bound to the caller
(``bot/buttons.py``): both of a page are spent by either press, and each press shows
the page it names in the same message, with fresh buttons. A button carries the page
state in its server-side payload, so it works on any replica and after a restart.
"""

from __future__ import annotations

import contextlib
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler

from bot.activity import ActivityNotOffered, ActivityPage, ActivityService, ActivityState
from bot.buttons import Press
from bot.context import BotContext
from bot.i18n import Lang
from handlers import activity_texts as at
from handlers.args import UsageError, clean_args
from handlers.callbacks import action
from handlers.guards import private_only
from handlers.lang import lang_for
from handlers.reply import reply

PAGE_ACTION = "activity_page"
CURRENCY = re.compile(r"[A-Z0-9]{1,16}")


def service(context: BotContext) -> ActivityService:
    return ActivityService(context.services.accounts)


async def _markup(
    context: BotContext, user_id: int, chat_id: int, lang: Lang, page: ActivityPage
) -> InlineKeyboardMarkup | None:
    choices: list[tuple[str, str, int]] = []
    if page.has_previous:
        choices.append(("◀ " + lang("Newer"), PAGE_ACTION, page.page - 1))
    if page.has_next:
        choices.append((lang("Older") + " ▶", PAGE_ACTION, page.page + 1))
    if not choices:
        return None
    tokens = await context.services.buttons.issue(
        user_id, chat_id, [(name, page.state.at(n).to_payload()) for _, name, n in choices]
    )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=token)
                for (label, _, _), token in zip(choices, tokens, strict=True)
            ]
        ]
    )


@private_only
async def activity_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    args = clean_args(context.args)
    if len(args) not in (1, 2):
        raise UsageError("activity", "Which exchange? For example: /activity alp")
    lang = await lang_for(update, context)
    currency = args[1].upper() if len(args) == 2 else None
    if currency is not None and not CURRENCY.fullmatch(currency):
        raise UsageError(
            "activity", "“{code}” is not a currency code such as BTC or USDT.", code=args[1]
        )
    try:
        page = await service(context).first(user.id, args[0], currency)
    except ActivityNotOffered as missing:
        await reply(update, at.not_offered_text(lang, missing.exchange))
        return
    markup = await _markup(context, user.id, chat.id, lang, page)
    await reply(update, at.page_text(lang, page), markup=markup)


@action(PAGE_ACTION)
async def on_page(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    query = update.callback_query
    assert user is not None and query is not None
    lang = await lang_for(update, context)
    page = await service(context).page(user.id, ActivityState.from_payload(press.payload))
    markup = await _markup(context, user.id, press.chat_id, lang, page)
    text = at.page_text(lang, page)
    if query.message is None:
        await reply(update, text, markup=markup)
        return
    with contextlib.suppress(BadRequest):  # "message is not modified": nothing to change
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("activity", activity_command))
