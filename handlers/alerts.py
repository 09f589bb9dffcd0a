"""/alert, /alerts, /delalert, and the buttons under alerts (delete, pause, re-arm, chart)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler

from bot.alerts.service import AlertView
from bot.buttons import Press
from bot.context import BotContext
from exchanges.symbols import looks_like_symbol
from handlers import texts
from handlers.alert_args import parse_alert
from handlers.args import UsageError, clean_args
from handlers.callbacks import action
from handlers.commands import N_
from handlers.keyboards import one_time_keyboard
from handlers.lang import lang_for
from handlers.reply import reply


async def create_alert(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if len(args) < 3:
        raise UsageError("alert", "I need an exchange, a symbol and a condition.")
    exchange, symbol = args[0].lower(), args[1]
    context.services.alerts.check_exchange(exchange)
    if not looks_like_symbol(symbol):
        raise UsageError("alert", "“{symbol}” is not a market symbol.", symbol=symbol)
    request = parse_alert(args[2:], datetime.now(UTC))
    alerts = context.services.alerts
    created = await alerts.create(user.id, chat.id, exchange, symbol, request, arm=False)
    try:
        lang = await lang_for(update, context)
        await reply(
            update, texts.alert_created_text(lang, created.alert, created.market, created.current)
        )
    finally:
        await alerts.arm(created.alert.id)


async def list_alerts(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    alerts = await context.services.alerts.list(user.id)
    lang = await lang_for(update, context)
    markup = None
    if alerts:
        rows = []
        for a in alerts[:40]:
            toggle = (
                (lang("⏸ #{id}", id=a.id), "alert_pause", {"id": a.id})
                if a.state == "active"
                else (lang("▶️ #{id}", id=a.id), "alert_resume", {"id": a.id})
            )
            rows.append([toggle, (lang("🗑 #{id}", id=a.id), "alert_delete", {"id": a.id})])
        markup = await one_time_keyboard(context, user.id, chat.id, rows, together=False)
    await reply(update, texts.alerts_list_text(lang, alerts), markup=markup)


async def delete_alert(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    args = clean_args(context.args)
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise UsageError("delalert", "Give the alert's number, as /alerts shows it.")
    view = await context.services.alerts.delete(user.id, int(args[0].lstrip("#")))
    lang = await lang_for(update, context)
    await reply(update, lang("Alert #{id} is deleted.", id=view.id))


async def _on_alert(
    update: Update,
    context: BotContext,
    press: Press,
    operation: Callable[[int, int], Awaitable[AlertView]],
    message: str,
) -> None:
    """A button under an alert: run ``operation`` on it as its owner, then say ``message``."""
    user = update.effective_user
    assert user is not None
    view = await operation(user.id, int(str(press.payload["id"])))
    lang = await lang_for(update, context)
    await reply(update, lang(message, id=view.id))


@action("alert_delete")
async def on_delete(update: Update, context: BotContext, press: Press) -> None:
    alerts = context.services.alerts
    await _on_alert(update, context, press, alerts.delete, N_("Alert #{id} is deleted."))


@action("alert_pause")
async def on_pause(update: Update, context: BotContext, press: Press) -> None:
    alerts = context.services.alerts
    await _on_alert(
        update, context, press, alerts.pause, N_("Alert #{id} is paused. /alerts to resume it.")
    )


@action("alert_resume")
async def on_resume(update: Update, context: BotContext, press: Press) -> None:
    alerts = context.services.alerts
    await _on_alert(update, context, press, alerts.resume, N_("Alert #{id} is on again."))


@action("alert_rearm")
async def on_rearm(update: Update, context: BotContext, press: Press) -> None:
    user = update.effective_user
    assert user is not None
    view = await context.services.alerts.resume(user.id, int(str(press.payload["id"])))
    lang = await lang_for(update, context)
    await reply(
        update,
        lang(
            "Alert #{id} is armed again: {summary}",
            id=view.id,
            summary=texts.alert_summary(lang, view),
        ),
    )


@action("alert_chart")
async def on_chart(update: Update, context: BotContext, press: Press) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    views = [a for a in await context.services.alerts.list(user.id) if a.id == press.payload["id"]]
    if not views:
        lang = await lang_for(update, context)
        await reply(update, lang("That alert no longer exists."))
        return
    view = views[0]
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    result = await context.services.charts.chart(view.exchange, view.symbol)
    if result.png:
        await chat.send_photo(
            photo=result.png,
            caption=f"{view.pair} · {result.interval}",
            filename=f"{view.symbol}.png",
        )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("alert", create_alert))
    app.add_handler(CommandHandler("alerts", list_alerts))
    app.add_handler(CommandHandler("delalert", delete_alert))
