"""Operator commands for the ids in ``SARRAF_ADMINS``, in a private chat: ``/stats`` and
``/broadcast TEXT``.

Anyone else — or an admin in a group — gets exactly what an unknown command gets, so
the commands are not advertised to users (nor listed in /help or the menu).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, TypeHandler

from bot.broadcast import Progress
from bot.confirmations import Confirmed
from bot.context import BotContext
from bot.i18n import Lang
from bot.stats import Stats, collect
from handlers.confirm import executes, keyboard
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.start import unknown_command

ADMIN_COMMANDS = ("stats", "broadcast")
SEEN_GROUP = -10  # before the real handlers; records users for the broadcast audience


def _is_admin(update: Update, context: BotContext) -> bool:
    user = update.effective_user
    chat = update.effective_chat
    return (
        user is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and user.id in context.services.settings.admins
    )


async def _as_unknown(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        await unknown_command(update, context)


def _pairs(lang: Lang, counts: dict[str, int]) -> str:
    shown = [f"{escape(k)} {lang.digits(str(v))}" for k, v in sorted(counts.items()) if v]
    return " · ".join(shown) if shown else lang("none")


def stats_text(lang: Lang, stats: Stats) -> str:
    n = lang.digits
    lines = [
        "📊 <b>" + lang("Operator figures") + "</b>",
        lang(
            "Users: {started} started the bot ({blocked} blocked it) · {connected} with a "
            "connected account",
            started=n(str(stats.users_started)),
            blocked=n(str(stats.users_blocked)),
            connected=n(str(stats.users_connected)),
        ),
        lang("Chats with a chosen language: {counts}", counts=_pairs(lang, stats.chats)),
        lang("Alerts: {counts}", counts=_pairs(lang, stats.alerts)),
    ]
    if stats.feeds is not None:
        lines.append(lang("Feeds: {counts}", counts=_pairs(lang, stats.feeds)))
    lines += [
        lang("Outbox: {counts}", counts=_pairs(lang, stats.outbox)),
        lang("Connected accounts: {counts}", counts=_pairs(lang, stats.accounts)),
        lang("Broadcasts in progress: {count}", count=n(str(stats.broadcasts_running))),
    ]
    streams = [
        lang(
            "{exchange} {state} ({reconnects} reconnects)",
            exchange=escape(name),
            state=escape(str(entry.get("state", "?"))),
            reconnects=n(str(entry.get("reconnects", 0))),
        )
        for name, entry in sorted(stats.streams.items())
    ]
    lines.append(lang("Streams: {streams}", streams=" · ".join(streams) or lang("none")))
    if stats.leader is not None:
        lines.append(
            lang("This replica leads: it runs the streams and schedulers.")
            if stats.leader
            else lang("This replica follows: another one runs the streams and schedulers.")
        )
    return "\n".join(lines)


def report_text(lang: Lang, progress: Progress) -> str:
    n = lang.digits
    figures = {
        "id": n(str(progress.id)),
        "sent": n(str(progress.sent)),
        "blocked": n(str(progress.blocked)),
        "failed": n(str(progress.failed)),
        "total": n(str(progress.total)),
        "done": n(str(progress.done)),
    }
    if progress.finished:
        return lang(
            "📣 Broadcast #{id} finished: {sent} delivered, {blocked} blocked the bot, "
            "{failed} failed, of {total}.",
            **figures,
        )
    return lang(
        "📣 Broadcast #{id}: {done} of {total} done ({sent} delivered, {blocked} blocked "
        "the bot, {failed} failed).",
        **figures,
    )


async def stats(update: Update, context: BotContext) -> None:
    if not _is_admin(update, context):
        await _as_unknown(update, context)
        return
    services = context.services
    ops = services.ops
    figures = await collect(
        services.db,
        streams=services.streams.health,
        leader=(lambda: ops.leadership.leading) if ops is not None else None,
    )
    await reply(update, stats_text(await lang_for(update, context), figures))


def _body(update: Update) -> str:
    """The HTML of the message after its command word (keeps the operator's formatting)."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    match = re.match(r"^/\S+\s*(.*)$", message.text_html, re.DOTALL)
    return match.group(1).strip() if match else ""


async def broadcast(update: Update, context: BotContext) -> None:
    if not _is_admin(update, context):
        await _as_unknown(update, context)
        return
    lang = await lang_for(update, context)
    ops = context.services.ops
    user, chat = update.effective_user, update.effective_chat
    assert ops is not None and user is not None and chat is not None
    body = _body(update)
    if not body:
        await reply(
            update,
            lang(
                "Usage: /broadcast TEXT — the text goes to every user who started the bot, "
                "after you confirm."
            ),
        )
        return
    if len(body) > 4000:
        await reply(update, lang("That text is too long for one message: keep it under 4,000."))
        return
    count = await ops.broadcasts.audience_count()
    pending = await context.services.confirmations.create(
        user_id=user.id, chat_id=chat.id, kind="broadcast", payload={"text": body}
    )
    await reply(
        update,
        lang(
            "📣 Send this to every user who started the bot? Recipients: {count}. They "
            "receive it at a limited rate; you get progress reports.",
            count=lang.digits(str(count)),
        )
        + "\n\n"
        + body,
        markup=keyboard(lang, pending),
    )


@executes("broadcast")
async def execute_broadcast(update: Update, context: BotContext, confirmed: Confirmed) -> None:
    lang = await lang_for(update, context)
    ops = context.services.ops
    assert ops is not None
    action = confirmed.action
    progress = await ops.broadcasts.create(
        action.user_id,
        action.chat_id,
        str(action.payload["text"]),
        announce=lambda progress: started_text(lang, progress),
    )
    await context.services.confirmations.mark_done(action.id, {"broadcast": progress.id})
    ops.broadcasts.poke()  # "started" is queued ahead of everything the sender queues


def started_text(lang: Lang, progress: Progress) -> str:
    return lang(
        "📣 Broadcast #{id} started. Recipients: {total}.",
        id=lang.digits(str(progress.id)),
        total=lang.digits(str(progress.total)),
    )


async def remember_user(update: object, context: Any) -> None:
    """A user in a private chat is part of the broadcast audience."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    ops = context.services.ops
    if chat is None or user is None or ops is None or chat.type != ChatType.PRIVATE:
        return
    await ops.broadcasts.seen(user.id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, remember_user), group=SEEN_GROUP)
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CommandHandler("broadcast", broadcast))
