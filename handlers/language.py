"""/lang: the language of the bot's replies in this chat."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from bot.i18n import LANGUAGES
from handlers.args import UsageError, clean_args
from handlers.lang import lang_for
from handlers.reply import reply

NAMES = {"en": "English", "fa": "فارسی", "tr": "Türkçe", "ru": "Русский"}


async def set_language(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None:
        return
    if len(args) != 1 or args[0].lower() not in LANGUAGES:
        current = await lang_for(update, context)
        choices = ", ".join(f"{code} ({NAMES[code]})" for code in LANGUAGES)
        if args:
            raise UsageError("lang", "Choose one of: {choices}.", choices=choices)
        raise UsageError(
            "lang",
            "The language now is {name}. Choose one of: {choices}.",
            name=NAMES[current.code],
            choices=choices,
        )
    if chat.type != ChatType.PRIVATE and user is not None:
        member = await chat.get_member(user.id)
        if member.status not in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR):
            lang = await lang_for(update, context)
            await reply(update, lang("Only an admin of this group can change its language."))
            return
    code = args[0].lower()
    lang = await context.services.chats.set_language(chat.id, chat.type, code, chat.title)
    await reply(update, lang("From now on I answer in English in this chat."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("lang", set_language))
