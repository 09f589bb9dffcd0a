"""/banks: the caller's Wallex bank cards and IBANs, a Delete button each; ``/banks add
CARD|IBAN`` and ``/banks delete [card|iban] ID`` through Confirm / Cancel.

Private chats only, on the caller's own connected Wallex account. A message carrying a
full number is deleted as soon as it is read (the reply says whether that worked), the
number is checked before anything is sent, and only the one winning Confirm sends the
change (``bot/banking.py`` seals the number in the pending row).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.banking import BankService
from bot.buttons import Press
from bot.confirmations import Confirmed, Pending
from bot.context import BotContext
from bot.errors import BotError
from exchanges.errors import ExchangeError, NetworkError
from exchanges.wallex.bank_numbers import BankNumberError, Kind, plain_digits
from handlers import bank_texts as bt
from handlers.args import UsageError, ascii_digits
from handlers.callbacks import action
from handlers.confirm import executes, keyboard
from handlers.errors import sentence
from handlers.guards import Handler, private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply

log = logging.getLogger(__name__)

DELETE_ACTION = "bank_del"
KINDS: dict[str, Kind] = {"card": "card", "iban": "iban", "sheba": "iban", "شبا": "iban"}


def service(context: BotContext) -> BankService:
    return BankService(context.services.accounts, context.services.confirmations)


def answers_bank_errors(handler: Handler) -> Handler:
    """A /banks error becomes its sentence; anything else goes to the one error handler."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> Any:
        try:
            return await handler(update, context)
        except BotError as exc:
            text = bt.problem_text(await lang_for(update, context), exc)
            if text is None:
                raise
            await reply(update, text)
            return None

    return guarded


async def _show(update: Update, context: BotContext, text: str, pending: Pending) -> None:
    lang = await lang_for(update, context)
    message = await reply(update, text, markup=keyboard(lang, pending))
    if message is not None:
        await context.services.confirmations.set_message(pending.id, message.message_id)


def _ttl(context: BotContext) -> int:
    return int(context.services.confirmations.ttl.total_seconds())


async def _delete_typed(update: Update) -> bool:
    """Delete the user's message that carried a full number; True when it is gone."""
    message = update.effective_message
    if message is None:
        return False
    try:
        await message.delete()
    except TelegramError:
        log.warning("could not delete a message carrying a bank number")
        return False
    return True


async def _add(update: Update, context: BotContext, typed: str) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    deleted = await _delete_typed(update)
    lang = await lang_for(update, context)
    try:
        proposal = await service(context).propose_add(user.id, chat.id, typed)
    except BankNumberError as exc:
        iban_like = plain_digits(typed).upper().startswith("IR") or len(plain_digits(typed)) > 20
        text = bt.number_problem(lang, exc, looks_like_iban=iban_like)
        await reply(update, text + "\n" + bt.deleted_notice(lang, deleted))
        return
    except (BotError, ExchangeError) as exc:
        # Not connected, Wallex down …: the sentence, and still what became of the message.
        problem = bt.problem_text(lang, exc) or sentence(lang, exc, "banks")
        if problem is None:
            raise
        await reply(update, problem + "\n" + bt.deleted_notice(lang, deleted))
        return
    await _show(
        update, context, bt.add_preview(lang, proposal, _ttl(context), deleted), proposal.pending
    )


async def _ask_delete(
    update: Update, context: BotContext, entry_id: int, kind: Kind | None
) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    banks = service(context)
    entry = await banks.find(user.id, entry_id, kind)
    proposal = await banks.propose_delete(user.id, chat.id, entry)
    lang = await lang_for(update, context)
    await _show(update, context, bt.delete_preview(lang, proposal, _ttl(context)), proposal.pending)


@private_only
@answers_bank_errors
async def banks(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    args = [a for a in (context.args or []) if a.strip()]
    verb = args[0].lower() if args else ""
    if verb == "add":
        if len(args) < 2:
            raise UsageError("banks", "Give the card number or the IBAN to add.")
        await _add(update, context, " ".join(args[1:]))
        return
    if verb in ("delete", "del", "remove"):
        rest = [ascii_digits(a) for a in args[1:]]
        kind = KINDS.get(rest[0].lower()) if rest else None
        if kind is not None:
            rest = rest[1:]
        if len(rest) != 1 or not rest[0].lstrip("#").isdigit():
            raise UsageError("banks", "Give the number after # in /banks, e.g. /banks delete 12.")
        await _ask_delete(update, context, int(rest[0].lstrip("#")), kind)
        return
    if args:
        if plain_digits(" ".join(args)).isdigit() or verb.startswith("ir"):
            # A number without "add": still sensitive, so off the chat first.
            deleted = await _delete_typed(update)
            lang = await lang_for(update, context)
            text = lang("To add a card or an IBAN, write /banks add before the number.")
            await reply(update, text + "\n" + bt.deleted_notice(lang, deleted))
            return
        raise UsageError("banks", "I know /banks, /banks add and /banks delete.")
    bank_service = service(context)
    cut_off = await bank_service.interrupted(user.id)
    held = await bank_service.held(user.id)
    lang = await lang_for(update, context)
    text = "".join(bt.interrupted_text(lang, at) + "\n" for at in cut_off)
    text += bt.list_text(lang, held)
    if not held.all:
        await reply(update, text)
        return
    rows = [
        [(bt.delete_button(lang, e), DELETE_ACTION, {"kind": e.kind, "id": e.id})] for e in held.all
    ]
    markup = await one_time_keyboard(context, user.id, chat.id, rows, together=False)
    await reply(update, text, markup=markup)


@action(DELETE_ACTION)
async def on_delete(update: Update, context: BotContext, press: Press) -> None:
    raw_id, raw_kind = press.payload.get("id"), press.payload.get("kind")
    if not isinstance(raw_id, int) or raw_kind not in ("card", "iban"):
        return
    kind: Kind = "card" if raw_kind == "card" else "iban"
    try:
        await _ask_delete(update, context, raw_id, kind)
    except BotError as exc:
        text = bt.problem_text(await lang_for(update, context), exc)
        if text is None:
            raise
        await reply(update, text)


async def _execute(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    try:
        outcome = await service(context).execute(confirmed.action)
    except NetworkError:
        await reply(update, bt.unknown_outcome(lang))
        return
    await reply(update, bt.outcome_text(lang, outcome))


@executes("bank_add")
async def execute_add(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    await _execute(update, context, confirmed)


@executes("bank_delete")
async def execute_delete(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    await _execute(update, context, confirmed)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("banks", banks))
