"""Wiring: settings → services → python-telegram-bot Application, and its lifetime.

The only module that imports ``handlers``. One ``serve`` coroutine runs the bot for
``sarraf run``, ``sarraf demo`` and the tests alike, so what is tested is what runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes

import handlers
from bot.account_events import AccountEvents
from bot.accounts import AccountService
from bot.alerts.service import AlertService
from bot.buttons import ButtonService
from bot.charts import ChartService
from bot.chats import ChatPreferences
from bot.config import Settings
from bot.confirmations import ConfirmationStore
from bot.context import BotContext, Services, attach
from bot.health import Health
from bot.http import HttpServer
from bot.i18n import I18n
from bot.logs import quiet_libraries
from bot.market import MarketService
from bot.money import build_money
from bot.notifier import Notifier
from bot.prices import LastPrices
from bot.rates import RatesService
from bot.streams import StreamSupervisor
from bot.trading import TradingService
from exchanges.http import HttpPipeline
from exchanges.models import Tick
from exchanges.registry import account_factories, build_market_clients, stream_factories
from exchanges.wallexpay.client import WallexPayClient
from storage.db import Database
from storage.secrets import Vault, load_master_keys

log = logging.getLogger(__name__)

App = Application[Any, BotContext, Any, Any, Any, Any]


def build_services(settings: Settings) -> Services:
    health = Health()
    clients = build_market_clients(settings.exchange_urls(), timeout=settings.upstream_timeout)
    market = MarketService(clients, health, timeout=settings.upstream_timeout)
    i18n = I18n()
    db = Database(settings.database_url)
    chats = ChatPreferences(db, i18n)
    alerts = AlertService(
        db,
        market,
        chats,
        handlers.texts.alert_fired_text,
        max_per_user=settings.max_alerts_per_user,
    )
    last_prices = LastPrices()
    market.last_prices = last_prices

    async def on_tick(tick: Tick) -> None:
        await last_prices.record(tick)
        await alerts.on_tick(tick)

    streams = StreamSupervisor(
        stream_factories(settings.stream_urls()),
        market,
        on_tick,
        on_gap=alerts.on_gap,
        silence_after=settings.stream_silence,
    )
    alerts.watch = streams.want
    buttons = ButtonService(db)
    alerts.buttons = buttons
    health.sections["streams"] = streams.health
    wallexpay = WallexPayClient(
        HttpPipeline("wallexpay", settings.wallexpay_api_url, timeout=settings.upstream_timeout),
        key=settings.wallexpay_processing_key,
        secret=settings.wallexpay_processing_secret,
    )
    accounts = AccountService(
        db,
        Vault(load_master_keys(settings.master_key, settings.master_key_file)),
        health,
        factories=account_factories(settings.exchange_urls()),
        timeout=max(settings.upstream_timeout, 10.0),
    )
    confirmations = ConfirmationStore(db, buttons, ttl=timedelta(seconds=settings.confirm_ttl))
    account_events = AccountEvents(
        db, accounts, chats, handlers.trading_texts, stream_urls=settings.stream_urls()
    )
    trading = TradingService(
        db,
        market,
        accounts,
        confirmations,
        chats,
        handlers.trading_texts,
        on_order=account_events.poke,
    )
    return Services(
        settings=settings,
        market=market,
        i18n=i18n,
        health=health,
        db=db,
        chats=chats,
        charts=ChartService(market),
        rates=RatesService(wallexpay, health, timeout=settings.upstream_timeout),
        accounts=accounts,
        buttons=buttons,
        alerts=alerts,
        streams=streams,
        confirmations=confirmations,
        trading=trading,
        account_events=account_events,
    )


def build_application(settings: Settings, services: Services | None = None) -> App:
    quiet_libraries()
    services = services or build_services(settings)
    if services.money is None:
        services.money = build_money(
            services.db,
            services.accounts,
            services.chats,
            handlers.money_texts.callback_text,
            public_url=settings.public_url,
        )
    root = settings.telegram_api_url
    app: App = (
        Application.builder()
        .token(settings.require_token())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(AIORateLimiter(max_retries=5))
        .build()
    )
    attach(app, services)
    handlers.register(app)
    services.notifier = Notifier(
        services.db, app.bot, services.buttons, on_blocked=services.alerts.pause_chat
    )
    services.alerts.wake = services.notifier.wake
    services.money.callbacks.wake = services.notifier.wake
    services.trading.wake = services.notifier.wake
    services.account_events.wake = services.notifier.wake
    notifier = services.notifier
    services.health.sections["outbox"] = lambda: {
        "sent": notifier.stats.sent,
        "failed": notifier.stats.failed,
        "blocked": notifier.stats.blocked,
        "retried": notifier.stats.retried,
    }
    services.health.sections["alerts"] = lambda: {
        "active": len(services.alerts.engine),
        "fired": services.alerts.fired_total,
    }
    return app


def services_of(app: App) -> Services:
    from bot.context import SERVICES_KEY

    services = app.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


async def serve(
    app: App,
    stop: asyncio.Event,
    *,
    ready: Callable[[HttpServer], Awaitable[None] | None] | None = None,
) -> None:
    """Run the bot by long polling until ``stop`` is set, then shut down cleanly."""
    services = services_of(app)
    settings = services.settings
    http = HttpServer(services.health, settings.http_host, settings.http_port)
    money = services.money
    assert money is not None
    http.add_route("POST", "/callbacks/wallexpay/{token}", money.callbacks.handle)
    await services.db.upgrade()
    async with app:
        me = app.bot.bot
        services.health.telegram.update({"connected": True, "bot": me.username})
        await app.bot.set_my_commands(handlers.bot_commands())
        await http.start()
        money.payments.local_url = http.url
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        services.health.telegram["polling"] = True
        await app.start()
        assert services.notifier is not None
        await services.notifier.start()
        await services.alerts.start()
        await services.trading.start()
        await services.account_events.start()
        await services.streams.start()
        log.info("bot @%s is running", me.username)
        try:
            if ready is not None:
                result = ready(http)
                if result is not None:
                    await result
            await stop.wait()
        finally:
            log.info("shutting down")
            services.health.telegram["polling"] = False
            await services.streams.stop()
            await services.alerts.stop()
            await services.account_events.stop()
            await services.trading.stop()
            if services.notifier is not None:
                await services.notifier.stop()
            await app.updater.stop()
            await app.stop()
            await http.stop()
            await services.close()
