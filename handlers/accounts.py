"""/connect (a conversation), /accounts, /disconnect, /balance, /deposit, /profile.

The /connect conversation deletes every message that carried a credential as soon
as it is read, keeps the values only as masked ``Secret``s in the conversation's
memory until the last one arrives, verifies them upstream and only then stores them
sealed. /cancel or a timeout ends it and forgets what was typed.
"""

from __future__ import annotations

import io
import logging
import re
from html import escape
from typing import Any

import qrcode
from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.buttons import Press
from bot.context import BotContext
from bot.persistence import HeldSecret, SharedConversationHandler
from exchanges.errors import AuthenticationError, ExchangeError
from handlers import margin, payments, texts
from handlers.args import CANNOT_CONNECT, UsageError, clean_args, exchange_arg
from handlers.callbacks import action
from handlers.errors import sentence
from handlers.guards import private_only
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply

log = logging.getLogger(__name__)

ASKING = 0
STATE_KEY = "sarraf.connect"
TIMEOUT_SECONDS = 300
# One word of 24+ characters mixing letters and digits, not a link or a command.
_SECRET_LIKE = re.compile(r"^\s*(?!/)(?!.*://)(?=\S*\d)(?=\S*[A-Za-z])[A-Za-z0-9_\-+/=]{24,}\s*$")


def _exchange_arg(command: str, args: list[str], context: BotContext) -> str:
    return exchange_arg(command, args, context.services.accounts.exchanges, CANNOT_CONNECT)


async def connect_start(update: Update, context: BotContext) -> int:
    chat = update.effective_chat
    lang = await lang_for(update, context)
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(
            update,
            lang(
                "Never share exchange keys in a group. Send /connect to me in a "
                "private chat: open @{bot}.",
                bot=context.bot.username,
            ),
        )
        return ConversationHandler.END
    args = clean_args(context.args)
    exchange = _exchange_arg("connect", args, context)
    fields = context.services.accounts.fields(exchange)
    state: dict[str, Any] = {"exchange": exchange, "values": {}}
    context.chat_data[STATE_KEY] = state  # type: ignore[index]
    names = ", ".join(lang(f.label) for f in fields)
    await reply(
        update,
        "\n".join(
            [
                lang(
                    "Connecting {exchange}. I will ask for: {fields}.",
                    exchange=texts.exchange_title(exchange),
                    fields=escape(names),
                ),
                lang(
                    "I delete each message with a key as soon as I have read it, check the keys "
                    "with {exchange}, and store them encrypted. /cancel stops at any step.",
                    exchange=texts.exchange_title(exchange),
                ),
                lang(
                    "Tip: create a key with read and trade rights only; a key that can withdraw "
                    "is a risk wherever it is stored."
                ),
            ]
        ),
    )
    await _ask(update, context, state)
    return ASKING


async def _ask(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    lang = await lang_for(update, context)
    fields = context.services.accounts.fields(state["exchange"])
    field = fields[len(state["values"])]
    await reply(
        update,
        lang(
            "Send your {exchange} {label}.",
            exchange=texts.exchange_title(state["exchange"]),
            label=escape(lang(field.label)),
        ),
    )


def _forget(context: BotContext) -> None:
    state = context.chat_data.pop(STATE_KEY, None) if context.chat_data is not None else None  # type: ignore[union-attr]
    if isinstance(state, dict):
        state.get("values", {}).clear()


async def connect_value(update: Update, context: BotContext) -> int:
    message = update.effective_message
    state = context.chat_data.get(STATE_KEY) if context.chat_data is not None else None  # type: ignore[union-attr]
    if message is None or not isinstance(state, dict):
        return ConversationHandler.END
    text = message.text or ""
    try:
        await message.delete()
    except TelegramError:
        log.warning("could not delete a message carrying a credential")
    services = context.services
    lang = await lang_for(update, context)
    exchange = state["exchange"]
    fields = services.accounts.fields(exchange)
    field = fields[len(state["values"])]
    if not text.strip() or any(c.isspace() for c in text.strip()):
        await reply(
            update,
            lang(
                "That does not look like a {label}: it should be one word "
                "without spaces. Send it again, or /cancel.",
                label=escape(lang(field.label)),
            ),
        )
        return ASKING
    state["values"][field.name] = HeldSecret(text.strip())  # persisted sealed
    del text
    if len(state["values"]) < len(fields):
        await _ask(update, context, state)
        return ASKING
    values = {name: secret.reveal() for name, secret in state["values"].items()}
    _forget(context)
    await reply(update, lang("Checking with {exchange}…", exchange=texts.exchange_title(exchange)))
    user = update.effective_user
    assert user is not None
    try:
        check = await services.accounts.connect(
            user.id, exchange, values, first_name=user.first_name, language_code=user.language_code
        )
    except AuthenticationError:
        await reply(
            update,
            lang(
                "{exchange} did not accept these credentials, so I stored "
                "nothing. Check them and send /connect {name} again.",
                exchange=texts.exchange_title(exchange),
                name=exchange,
            ),
        )
        return ConversationHandler.END
    except ExchangeError as exc:
        text_error = sentence(lang, exc, "connect") or ""
        await reply(
            update,
            text_error
            + "\n"
            + lang("Nothing was stored. Try /connect {name} again later.", name=exchange),
        )
        return ConversationHandler.END
    finally:
        values.clear()
    await reply(update, texts.connected_text(lang, exchange, check))
    return ConversationHandler.END


async def connect_not_text(update: Update, context: BotContext) -> int:
    lang = await lang_for(update, context)
    await reply(update, lang("Please send the key as a text message, or /cancel."))
    return ASKING


async def connect_cancel(update: Update, context: BotContext) -> int:
    _forget(context)
    lang = await lang_for(update, context)
    await reply(update, lang("Cancelled. Nothing was stored."))
    return ConversationHandler.END


async def connect_timeout(update: Update, context: BotContext) -> int:
    _forget(context)
    lang = await lang_for(update, context)
    await reply(
        update,
        lang("/connect timed out and nothing was stored. Send /connect again when you are ready."),
    )
    return ConversationHandler.END


async def secret_in_group(update: Update, context: BotContext) -> None:
    """Something that looks like an API key was posted in a group: delete it and warn."""
    message = update.effective_message
    if message is None:
        return
    lang = await lang_for(update, context)
    try:
        await message.delete()
        deleted = True
    except TelegramError:
        deleted = False
    text = lang(
        "That looked like an API key or secret. Never post keys in a group; revoke "
        "it at the exchange and use /connect in a private chat with me."
    )
    if not deleted:
        text += "\n" + lang("I could not delete it: please delete it yourself now.")
    await reply(update, text)


@private_only
async def list_accounts(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    found = await context.services.accounts.accounts(user.id)
    await reply(update, texts.accounts_text(await lang_for(update, context), found))


@private_only
async def disconnect(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    exchange = _exchange_arg("disconnect", clean_args(context.args), context)
    lang = await lang_for(update, context)
    if not await context.services.accounts.is_connected(user.id, exchange):
        await reply(
            update,
            lang(
                "You have no {exchange} account connected.", exchange=texts.exchange_title(exchange)
            ),
        )
        return
    markup = await one_time_keyboard(
        context,
        user.id,
        chat.id,
        [
            [
                (lang("Disconnect"), "disconnect", {"exchange": exchange}),
                (lang("Keep it"), "keep", {"exchange": exchange}),
            ]
        ],
    )
    await reply(
        update,
        lang(
            "Remove your {exchange} account and its stored keys?",
            exchange=texts.exchange_title(exchange),
        ),
        markup=markup,
    )


@action("disconnect")
async def on_disconnect(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None and update.callback_query is not None
    exchange = str(press.payload["exchange"])
    removed = await context.services.accounts.disconnect(user.id, exchange)
    lang = await lang_for(update, context)
    text = (
        lang(
            "Disconnected {exchange}; its keys are deleted. Revoke them at the exchange too.",
            exchange=texts.exchange_title(exchange),
        )
        if removed
        else lang("It was already disconnected.")
    )
    await update.callback_query.edit_message_text(text, parse_mode=ParseMode.HTML)


@action("keep")
async def on_keep(update: Update, context: BotContext, press: Press) -> None:
    assert update.callback_query is not None
    lang = await lang_for(update, context)
    await update.callback_query.edit_message_text(lang("Kept. Nothing changed."))


@private_only
async def balance(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    args = clean_args(context.args)
    exchange = _exchange_arg("balance", args, context) if args else None
    found = await context.services.accounts.balances(user.id, exchange)
    text = texts.balances_text(await lang_for(update, context), found)
    wallets = await margin.balance_section(update, context, found)  # ALP.COM's v3 margin
    await reply(update, text + ("\n" + wallets if wallets else ""))


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, box_size=8, border=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@private_only
async def deposit(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    args = clean_args(context.args)
    if len(args) < 2 or len(args) > 3:
        raise UsageError("deposit", "I need an exchange, a currency and optionally a network.")
    exchange = _exchange_arg("deposit", args, context)
    currency = args[1].upper()
    network = args[2] if len(args) == 3 else None
    if exchange == "wallexpay" and network is not None:
        # WallexPay has no networks: its third word is the currency deposits convert to.
        await payments.deposit_converting(update, context, currency, network, qr_png)
        return
    address = await context.services.accounts.deposit_address(user.id, exchange, currency, network)
    lang = await lang_for(update, context)
    await chat.send_photo(
        photo=qr_png(address.address),
        caption=texts.deposit_text(lang, exchange, address),
        parse_mode=ParseMode.HTML,
        filename=f"{currency}-deposit.png",
    )


@private_only
async def profile(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    exchange = _exchange_arg("profile", clean_args(context.args), context)
    found = await context.services.accounts.profile(user.id, exchange)
    await reply(update, texts.profile_text(await lang_for(update, context), exchange, found))


def register(app: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    conversation = SharedConversationHandler(  # its steps live in the database (replicas)
        entry_points=[CommandHandler("connect", connect_start)],
        states={
            ASKING: [
                MessageHandler(filters.TEXT & ~filters.COMMAND & private, connect_value),
                MessageHandler(~filters.TEXT & ~filters.COMMAND & private, connect_not_text),
            ],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, connect_timeout)],
        },
        fallbacks=[CommandHandler("cancel", connect_cancel)],
        conversation_timeout=TIMEOUT_SECONDS,
        # /connect while connecting starts over (else it fell through to "unknown command").
        allow_reentry=True,
        name="connect",
        persistent=True,
        per_chat=True,
        per_user=True,
    )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("accounts", list_accounts))
    app.add_handler(CommandHandler("disconnect", disconnect))
    app.add_handler(CommandHandler("balance", balance))
    app.add_handler(CommandHandler("deposit", deposit))
    app.add_handler(CommandHandler("profile", profile))
    groups = filters.ChatType.GROUPS
    app.add_handler(MessageHandler(groups & filters.Regex(_SECRET_LIKE), secret_in_group))
