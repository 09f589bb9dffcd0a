"""/addresses: the user's address book, with a delete button per address; ``add`` saves
one; ``/addresses EXCHANGE [CURRENCY]`` shows the exchange's own address book where its
API gives one (Narkasa); and the "Save address" offer after a withdrawal to an unsaved
address."""

from __future__ import annotations

import re
from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.addresses import ExchangeBook, NoExchangeBook, exchange_book
from bot.buttons import Press
from bot.context import BotContext
from bot.i18n import Lang
from exchanges.errors import UnknownSymbol
from handlers import money_texts as mt
from handlers.args import UsageError, clean_args
from handlers.callbacks import action
from handlers.guards import private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import exchange_title
from handlers.withdrawals import answers_money_errors, exchange_arg, money_of

_NETWORK = re.compile(r"^[A-Z][A-Z0-9_\-]{1,15}$")
_DIGITS = re.compile(r"^\d{1,32}$")


def split_add_extras(extras: list[str]) -> tuple[str | None, str | None, str | None]:
    """(network, memo, label) from what follows the address: ``network=``/``memo=``/
    ``label=`` say it outright; a word in capitals (``TRC20``) is a network, a number a
    memo, and the remaining words are the label."""
    network = memo = None
    label_words: list[str] = []
    for extra in extras:
        key, sep, value = extra.partition("=")
        key = key.lower()
        if sep and key == "network":
            network = value.upper()
        elif sep and key in ("memo", "tag"):
            memo = value
        elif sep and key == "label":
            label_words.append(value)
        elif not label_words and network is None and _NETWORK.match(extra):
            network = extra
        elif not label_words and memo is None and _DIGITS.match(extra):
            memo = extra
        else:
            label_words.append(extra)
    return network, memo, " ".join(label_words) or None


@private_only
@answers_money_errors
async def addresses(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    args = clean_args(context.args)
    book = money_of(context).book
    lang = await lang_for(update, context)
    if args and args[0].lower() == "add":
        if len(args) < 4:
            raise UsageError("addresses", "I need an exchange, a currency and the address.")
        exchange = exchange_arg("addresses", args[1:], context)
        currency, address = args[2].upper(), args[3]
        network, memo, label = split_add_extras(args[4:])
        added = await book.add(
            user.id, exchange, currency, address, network=network, memo=memo, label=label
        )
        saved = await book.known(user.id, exchange, currency, address, network=network, memo=memo)
        await reply(update, mt.address_added(lang, saved, added))
        return
    if args and args[0].lower() in context.services.accounts.exchanges and len(args) <= 2:
        there = args[0].lower()
        wanted = args[1] if len(args) == 2 else None
        try:
            book_there = await exchange_book(context.services.accounts, user.id, there, wanted)
        except NoExchangeBook:
            await reply(update, no_exchange_book_text(lang, there))
            return
        except UnknownSymbol:
            await reply(
                update,
                lang(
                    "{exchange} has no currency “{currency}”.",
                    exchange=exchange_title(there),
                    currency=escape((wanted or "").upper()),
                ),
            )
            return
        await reply(update, exchange_book_text(lang, book_there))
        return
    if args:
        raise UsageError("addresses", "To add one: /addresses add EXCHANGE CURRENCY ADDRESS.")
    found = await book.list(user.id)
    if not found:
        await reply(update, mt.addresses_text(lang, found))
        return
    rows = [[(f"🗑 {lang.integer(i)}", "addr_del", {"id": a.id})] for i, a in enumerate(found, 1)]
    markup = await one_time_keyboard(context, user.id, chat.id, rows, together=False)
    await reply(update, mt.addresses_text(lang, found), markup=markup)


def no_exchange_book_text(lang: Lang, exchange: str) -> str:
    return lang(
        "{exchange} keeps no address book that its API gives out. /addresses shows yours.",
        exchange=exchange_title(exchange),
    )


def exchange_book_text(lang: Lang, found: ExchangeBook) -> str:
    """The exchange's own saved addresses, per currency asked."""
    title = exchange_title(found.exchange)
    name = escape(found.exchange)
    if not found.asked:
        return lang(
            "You hold no currency on {exchange}. Name one: /addresses {name} CURRENCY.",
            exchange=title,
            name=name,
        )
    lines = [lang("<b>Addresses saved on {exchange}</b>", exchange=title)]
    for code in found.asked:
        label = escape(code)
        if code in found.names and found.names[code] != code:
            label += f" ({escape(found.names[code])})"
        entries = [e for e in found.entries if e.currency == code]
        refusal = next((reason for c, reason in found.refused if c == code), None)
        if refusal is not None:
            lines.append(f"<b>{label}</b>: " + escape(refusal))
            continue
        if not entries:
            lines.append(f"<b>{label}</b>: " + lang("none saved"))
            continue
        lines.append(f"<b>{label}</b>")
        for e in entries:
            parts = [f"<code>{escape(e.address)}</code>"]
            if e.network:
                parts.append(lang("network {network}", network=escape(e.network)))
            if e.label:
                parts.append(f"“{escape(e.label)}”")
            lines.append("• " + " · ".join(parts))
    if found.unread:
        lines.append(
            lang(
                "Also held, not shown: {codes}. Ask for one: /addresses {name} CURRENCY.",
                codes=", ".join(escape(c) for c in found.unread),
                name=name,
            )
        )
    lines.append(
        lang(
            "A withdrawal to one of these is not marked as unsaved. They are added and removed "
            "on {exchange}'s site.",
            exchange=title,
        )
    )
    return "\n".join(lines)


@action("addr_del")
async def on_delete(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None
    lang = await lang_for(update, context)
    address_id = press.payload.get("id")
    removed = isinstance(address_id, int) and await money_of(context).book.remove(
        user.id, address_id
    )
    await reply(
        update,
        lang("Deleted from your address book.")
        if removed
        else lang("That address is no longer in your address book."),
    )


@action("addr_save")
async def on_save(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None and update.callback_query is not None
    p = press.payload
    book = money_of(context).book
    lang = await lang_for(update, context)
    exchange, currency, address = str(p["exchange"]), str(p["currency"]), str(p["address"])
    network = str(p["network"]) if p.get("network") else None
    memo = str(p["memo"]) if p.get("memo") else None
    added = await book.add(user.id, exchange, currency, address, network=network, memo=memo)
    saved = await book.known(user.id, exchange, currency, address, network=network, memo=memo)
    await update.callback_query.edit_message_text(
        mt.address_added(lang, saved, added), parse_mode="HTML"
    )


@action("addr_skip")
async def on_skip(update: Update, context: BotContext, press: Press) -> None:
    assert update.callback_query is not None
    lang = await lang_for(update, context)
    await update.callback_query.edit_message_text(lang("Not saved."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("addresses", addresses))
