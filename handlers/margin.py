"""/margin: ALP.COM margin positions and history, and borrow, repay, transfer and close
behind Confirm / Cancel.

Private chats only; every call is made with the caller's own user id. A request is
checked by ``bot/margin.py`` before its summary is shown; only the one winning Confirm
reaches the executor here (``@executes``), once.

Forms (an optional leading ``alp`` is accepted, since the command table names the
exchange in every other account command):

- ``/margin`` — positions and margin wallets; ``/margin history``;
- ``/margin borrow CUR AMOUNT [PAIR]``, ``/margin repay CUR AMOUNT [PAIR]``;
- ``/margin transfer CUR AMOUNT to margin|spot [PAIR]`` (``to`` may be left out);
- ``/margin close [PAIR]``.

Without a pair the cross margin wallet is meant; with one, that pair's isolated wallet.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.accounts import ExchangeBalances
from bot.confirmations import Confirmed
from bot.context import BotContext
from bot.margin import EXCHANGE, KINDS, MarginOutcomeUnknown, MarginRefused, MarginService
from exchanges.errors import ExchangeError
from handlers import margin_texts as mt
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.confirm import executes
from handlers.guards import private_only
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.summary import show_summary

OPERATIONS = ("borrow", "repay", "transfer", "close")


def service(context: BotContext) -> MarginService:
    s = context.services
    return MarginService(s.accounts, s.market, s.confirmations)


def _amount(text: str) -> Decimal:
    value = parse_decimal(text)
    if value is None or value <= 0:
        raise UsageError("margin", "The amount “{value}” is not a positive number.", value=text)
    return value


async def _propose(update: Update, context: BotContext, args: list[str]) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    operation = args[0].lower()
    margin = service(context)
    if operation == "close":
        if len(args) > 2:
            raise UsageError("margin", "To close a margin wallet: /margin close [PAIR].")
        preview = await margin.preview(user.id, "close", pair=args[1] if len(args) == 2 else None)
    elif operation == "transfer":
        rest = [a for a in args[3:] if a.lower() != "to"]
        if len(args) < 4 or not rest or rest[0].lower() not in ("margin", "spot") or len(rest) > 2:
            raise UsageError(
                "margin", "To move funds: /margin transfer CURRENCY AMOUNT to margin|spot [PAIR]."
            )
        preview = await margin.preview(
            user.id,
            "transfer",
            args[1],
            _amount(args[2]),
            pair=rest[1] if len(rest) == 2 else None,
            to_margin=rest[0].lower() == "margin",
        )
    else:
        if len(args) not in (3, 4):
            raise UsageError(
                "margin", "I need a currency, an amount and optionally an isolated pair."
            )
        preview = await margin.preview(
            user.id,
            "borrow" if operation == "borrow" else "repay",
            args[1],
            _amount(args[2]),
            pair=args[3] if len(args) == 4 else None,
        )
    pending = await margin.propose(user.id, chat.id, preview)
    await show_summary(
        update, context, pending, lambda lang, ttl: mt.preview_text(lang, preview, ttl)
    )


@private_only
async def margin_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    if args and args[0].lower() == EXCHANGE:
        args = args[1:]
    lang = await lang_for(update, context)
    settled = await service(context).interrupted(user.id)
    if settled:
        await reply(update, mt.interrupted_text(lang, settled))
    if args and context.services.market.is_exchange(args[0].lower()):
        await reply(
            update,
            lang(
                "Margin is offered only on ALP.COM: its API is the only one of the five "
                "with margin calls. Try /margin."
            ),
        )
        return
    try:
        if not args:
            overview = await service(context).overview(user.id)
            await reply(update, mt.overview_text(lang, overview))
        elif args[0].lower() == "history" and len(args) == 1:
            await reply(update, mt.history_text(lang, await service(context).history(user.id)))
        elif args[0].lower() in OPERATIONS:
            await _propose(update, context, args)
        else:
            raise UsageError(
                "margin",
                "I don't know “{word}”. Try history, borrow, repay, transfer or close.",
                word=args[0],
            )
    except MarginRefused as refused:
        await reply(update, mt.refusal_text(lang, refused))


async def execute_margin(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    try:
        request = await service(context).execute(confirmed.action)
    except MarginOutcomeUnknown:
        await reply(update, mt.unknown_outcome_text(lang))
        return
    await reply(update, mt.done_text(lang, request))


for _kind in KINDS:
    executes(_kind)(execute_margin)


async def balance_section(
    update: Update, context: BotContext, found: Sequence[ExchangeBalances]
) -> str:
    """ALP.COM's margin wallets for /balance, when ALP's spot balances were shown; a
    failure here costs only this section (the spot balances are already there)."""
    user = update.effective_user
    if user is None or not any(e.exchange == EXCHANGE and e.balances is not None for e in found):
        return ""
    try:
        wallets = await service(context).margin_wallets(user.id)
    except ExchangeError:
        return ""
    return mt.balance_section(await lang_for(update, context), wallets)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("margin", margin_command))
