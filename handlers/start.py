"""/start, /help, and a hint for commands the bot does not know."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import command_help_text, help_text, start_text


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    name = user.first_name if user else ""
    await reply(
        update, start_text(await lang_for(update, context), name, context.services.market.names)
    )


async def help_command(update: Update, context: BotContext) -> None:
    lang = await lang_for(update, context)
    if context.args:
        detail = command_help_text(lang, context.args[0])
        if detail is None:
            detail = lang(
                "I don't know the command {command}. Send /help for the list.",
                command=escape(context.args[0][:64]),
            )
        await reply(update, detail)
        return
    await reply(update, help_text(lang, context.services.market.names))


async def unknown_command(update: Update, context: BotContext) -> None:
    lang = await lang_for(update, context)
    text = update.effective_message.text if update.effective_message else ""
    word = (text or "").split()[0] if text else ""
    await reply(
        update,
        lang("I don't know the command {command}. Send /help for the list.", command=escape(word)),
    )


async def plain_text(update: Update, context: BotContext) -> None:
    lang = await lang_for(update, context)
    await reply(
        update, lang("I answer commands, such as /price wallex BTC/TMN. Send /help for the list.")
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last in the default group: within a group only the first matching
    handler runs, so these answer only what no real command took."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, plain_text))
