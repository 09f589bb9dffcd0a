"""/history, /deposits, /withdrawals: the caller's own lists, paged, exportable as CSV.

Private chats only, the caller's own account only (every fetch is made with the pressing
user's id, and every button is bound to the user it was shown to). A page carries
◀ Previous / Next ▶ and Export CSV buttons: one-time tokens of ``bot/buttons.py``, issued
as one group, so pressing one spends the page's buttons and the answer brings fresh ones
(the next page's, or after an export the same page's again). What a button means — the
exchange, kind, symbol, page and anchor of ``bot.history.PageState`` — is its server-side
payload; the rows are fetched again on each press (``bot/history.py`` says why).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CommandHandler

from bot.buttons import Press
from bot.context import BotContext
from bot.errors import BotError
from bot.history import History, HistoryNotOffered, HistoryService, Kind, PageState
from bot.history_csv import filename, to_csv
from bot.i18n import Lang
from exchanges.errors import ExchangeError
from handlers import history_texts as ht
from handlers.args import UsageError, clean_args
from handlers.callbacks import action
from handlers.guards import private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply

PAGE_ACTION = "history_page"
CSV_ACTION = "history_csv"
_COMMAND = {Kind.TRADES: "history", Kind.DEPOSITS: "deposits", Kind.WITHDRAWALS: "withdrawals"}


def service(context: BotContext) -> HistoryService:
    """Stateless over the shared services, so built per use (no cache to keep)."""
    s = context.services
    return HistoryService(s.accounts, s.market, s.db)


async def keyboard(
    context: BotContext, user_id: int, chat_id: int, lang: Lang, history: History
) -> InlineKeyboardMarkup | None:
    if not history.rows:
        return None
    state = history.state.at(history.page)
    paging = []
    if history.has_previous:
        paging.append(("◀ " + lang("Previous"), PAGE_ACTION, state.at(history.page - 1)))
    if history.has_next:
        paging.append((lang("Next") + " ▶", PAGE_ACTION, state.at(history.page + 1)))
    rows = [paging] if paging else []
    rows.append([("📄 " + lang("Export CSV"), CSV_ACTION, state)])
    return await one_time_keyboard(
        context,
        user_id,
        chat_id,
        [[(label, name, s.to_payload()) for label, name, s in row] for row in rows],
    )


async def _show(
    update: Update, context: BotContext, exchange: str, kind: Kind, symbol: str | None
) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    lang = await lang_for(update, context)
    try:
        history = await service(context).first(user.id, exchange, kind, symbol)
    except HistoryNotOffered as exc:
        await reply(update, ht.not_offered_text(lang, exc))
        return
    markup = await keyboard(context, user.id, chat.id, lang, history)
    await reply(update, ht.page_text(lang, history), markup=markup)


def _names(context: BotContext) -> str:
    return ", ".join(context.services.accounts.exchanges)


@private_only
async def history(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if not args:
        raise UsageError("history", "Which exchange? One of: {names}.", names=_names(context))
    if len(args) > 2:
        raise UsageError("history", "I need an exchange and optionally a symbol.")
    await _show(update, context, args[0], Kind.TRADES, args[1] if len(args) == 2 else None)


async def _transfers(update: Update, context: BotContext, kind: Kind) -> None:
    command = _COMMAND[kind]
    args = clean_args(context.args)
    if not args:
        raise UsageError(command, "Which exchange? One of: {names}.", names=_names(context))
    if len(args) > 1:
        raise UsageError(command, "I need only the exchange.")
    await _show(update, context, args[0], kind, None)


@private_only
async def deposits(update: Update, context: BotContext) -> None:
    await _transfers(update, context, Kind.DEPOSITS)


@private_only
async def withdrawals(update: Update, context: BotContext) -> None:
    await _transfers(update, context, Kind.WITHDRAWALS)


async def _retry_button(
    update: Update, context: BotContext, press: Press, lang: Lang, name: str
) -> None:
    """After a failed fetch, the spent buttons give way to one that tries the same again."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    markup = await one_time_keyboard(
        context, user.id, press.chat_id, [[("↻ " + lang("Try again"), name, press.payload)]]
    )
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=markup)


async def _fetch(update: Update, context: BotContext, press: Press, name: str) -> History | None:
    user = update.effective_user
    assert user is not None
    lang = await lang_for(update, context)
    try:
        return await service(context).page(user.id, PageState.from_payload(press.payload))
    except HistoryNotOffered as exc:
        await reply(update, ht.not_offered_text(lang, exc))
        return None
    except (ExchangeError, BotError):
        await _retry_button(update, context, press, lang, name)
        raise  # the error handler says what went wrong


@action(PAGE_ACTION)
async def on_page(update: Update, context: BotContext, press: Press) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    found = await _fetch(update, context, press, PAGE_ACTION)
    if found is None:
        return
    lang = await lang_for(update, context)
    markup = await keyboard(context, user.id, press.chat_id, lang, found)
    try:
        await query.edit_message_text(
            ht.page_text(lang, found),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
        )
    except BadRequest as exc:  # the same text again ("not modified"): new buttons only
        if "not modified" not in str(exc).lower():
            raise
        await query.edit_message_reply_markup(reply_markup=markup)


@action(CSV_ACTION)
async def on_csv(update: Update, context: BotContext, press: Press) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query is not None and user is not None and chat is not None
    found = await _fetch(update, context, press, CSV_ACTION)
    if found is None:
        return
    lang = await lang_for(update, context)
    state = found.state
    await chat.send_document(
        document=to_csv(state.kind, found.rows),
        filename=filename(state.exchange, state.kind, state.symbol, datetime.now(UTC)),
        caption=ht.csv_caption(lang, found),
        parse_mode=ParseMode.HTML,
    )
    # The export spent the page's buttons: the page gets fresh ones to go on paging.
    markup = await keyboard(context, user.id, press.chat_id, lang, found)
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=markup)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("history", history))
    app.add_handler(CommandHandler("deposits", deposits))
    app.add_handler(CommandHandler("withdrawals", withdrawals))
