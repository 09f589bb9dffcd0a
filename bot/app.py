"""Wiring: settings → services → python-telegram-bot Application, and its lifetime.

The only module that imports ``handlers``. One ``serve`` coroutine runs the bot for
``sarraf run``, ``sarraf demo`` and the tests alike, so what is tested is what runs.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes

import handlers
from bot.account_events import AccountEvents
from bot.accounts import AccountService
from bot.alerts.service import AlertService
from bot.alerts.wallexpay import NAME as WALLEXPAY
from bot.alerts.wallexpay import WallexPayRates
from bot.broadcast import Broadcaster
from bot.buttons import ButtonService
from bot.charts import ChartService
from bot.chats import ChatPreferences
from bot.config import ConfigError, Settings
from bot.confirmations import ConfirmationStore
from bot.context import BotContext, Services, attach
from bot.feeds.quotes import FeedQuotes
from bot.feeds.service import FeedService
from bot.feeds.wants import MarketWants
from bot.health import Health
from bot.http import HttpServer
from bot.i18n import I18n
from bot.leader import AlertSync, Leadership
from bot.logs import quiet_libraries
from bot.market import MarketService
from bot.metrics import HealthCollector, Metrics
from bot.money import build_money
from bot.notifier import Notifier
from bot.operations import Operations
from bot.persistence import DatabasePersistence, SharedApplication
from bot.persistence import register as register_persistence
from bot.prices import LastPrices
from bot.rates import RatesService
from bot.streams import StreamSupervisor
from bot.trading import TradingService
from bot.updates import PerChatUpdates
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import WebhookReceiver, secret_for
from exchanges.http import HttpPipeline
from exchanges.models import Tick
from exchanges.registry import account_factories, build_market_clients, stream_factories
from exchanges.wallexpay.client import WallexPayClient
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import outbox
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
    wants = MarketWants(streams.want)  # alerts and feeds each name their markets
    alerts.watch = wants.part("alerts")
    feeds = FeedService(db, FeedQuotes(market, last_prices), chats, handlers.feed_texts)
    feeds.watch = wants.part("feeds")
    health.sections["feeds"] = feeds.health
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
        feeds=feeds,
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
        .concurrent_updates(PerChatUpdates())  # chats in parallel, each chat in order
        .persistence(DatabasePersistence(services.db, services.accounts.vault))
        .application_class(SharedApplication)  # conversations shared by replicas (issue 9)
        .build()
    )
    attach(app, services)
    handlers.register(app)
    register_persistence(app)
    services.notifier = Notifier(
        services.db, app.bot, services.buttons, on_blocked=services.alerts.pause_chat
    )
    services.alerts.wake = services.notifier.wake
    services.alerts.lease = services.notifier.birth_lease
    services.alerts.rates = WallexPayRates(services.rates)
    services.streams.add_source(WALLEXPAY, services.alerts.rates.prices)
    services.money.callbacks.wake = services.notifier.wake
    services.trading.wake = services.notifier.wake
    if services.feeds is not None:
        services.feeds.notifier = services.notifier
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
    services.ops = build_operations(app, services)
    return app


def build_operations(app: App, services: Services) -> Operations:
    """Metrics, leadership and broadcasts (issue 9)."""
    metrics = Metrics(
        [c.name for c in handlers.commands.COMMANDS] + list(handlers.admin.ADMIN_COMMANDS)
    )
    metrics.attach(app)
    broadcasts = Broadcaster(services.db, services.chats, handlers.admin.report_text)
    assert services.notifier is not None
    broadcasts.wake = services.notifier.wake
    leadership = Leadership(services.db)
    alert_sync = AlertSync(services.alerts)
    depth: dict[str, int] = {}
    rows: dict[tuple[str, str], int] = {}

    async def refresh_depth() -> None:
        async with services.db.session() as session:
            depth.update(await outbox.counts(session))
            found = await session.execute(
                select(OutboxMessage.kind, OutboxMessage.state, func.count()).group_by(
                    OutboxMessage.kind, OutboxMessage.state
                )
            )
            rows.clear()
            rows.update({(str(k), str(s)): int(n) for k, s, n in found.all()})

    metrics.watch(
        HealthCollector(
            services.health, lambda: depth, lambda: leadership.leading, outbox_rows=lambda: rows
        )
    )
    services.health.sections["leader"] = leadership.health
    return Operations(metrics, leadership, broadcasts, alert_sync, before_scrape=[refresh_depth])


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
    webhook: bool = False,
    webhook_secret: str | None = None,
) -> None:
    """Run the bot until ``stop`` is set, then shut down cleanly.

    Updates come by long polling, or with ``webhook`` through the bot's own HTTP server
    (``bot/webhook.py``). Every replica answers updates and drains the outbox; the
    singletons (streams, the alert engine's ticks, account events, recovery passes,
    broadcasts, schedulers) run only while this replica leads (``bot/leader.py``).
    """
    services = services_of(app)
    settings = services.settings
    ops = services.ops
    assert ops is not None
    http = HttpServer(
        services.health,
        settings.http_host,
        settings.http_port,
        metrics=ops.metrics,
        database_check=services.db.ping,
    )
    http.before_scrape.extend(ops.before_scrape)
    money = services.money
    assert money is not None
    http.add_route("POST", "/callbacks/wallexpay/{token}", money.callbacks.handle)
    if webhook:
        if not settings.public_url:
            raise ConfigError("SARRAF_PUBLIC_URL", "is required by --webhook")
        secret = secret_for(settings.require_token(), webhook_secret)
        receiver = WebhookReceiver(app, secret, ops.metrics)
        http.add_route("POST", WEBHOOK_PATH, receiver.handle)
        http.webhook_required = True
    # Leader duties, started in this order and stopped in reverse.
    leadership = ops.leadership
    leadership.add(services.alerts.start, services.alerts.stop)
    if services.feeds is not None:
        leadership.add(services.feeds.start, services.feeds.stop)
    leadership.add(services.trading.start, services.trading.stop)
    leadership.add(services.account_events.start, services.account_events.stop)
    leadership.add(services.streams.start, services.streams.stop)
    leadership.add(ops.broadcasts.start, ops.broadcasts.stop)
    if not services.db.is_sqlite:  # other replicas may change alerts
        leadership.add(ops.alert_sync.start, ops.alert_sync.stop)
    await services.db.upgrade()
    async with app:
        me = app.bot.bot
        services.health.telegram.update({"connected": True, "bot": me.username})
        await app.bot.set_my_commands(handlers.bot_commands())
        await http.start()
        money.payments.local_url = http.url
        assert app.updater is not None
        if webhook:
            assert settings.public_url is not None
            await app.bot.set_webhook(
                settings.public_url + WEBHOOK_PATH,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            )
            services.health.telegram["webhook"] = True
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            services.health.telegram["polling"] = True
        await app.start()
        assert services.notifier is not None
        await services.notifier.start()
        await leadership.start()
        # Everything made so far lives as long as the process: move it out of the
        # collector's reach, so a full collection (tens of milliseconds on this heap,
        # in the middle of an alert's firing) scans only what came after.
        gc.freeze()
        log.info(
            "bot @%s is running (%s, %s)",
            me.username,
            "webhook" if webhook else "long polling",
            "leader" if leadership.leading else "follower",
        )
        try:
            if ready is not None:
                result = ready(http)
                if result is not None:
                    await result
            await stop.wait()
        finally:
            log.info("shutting down")
            services.health.telegram["polling"] = False
            await leadership.stop()
            if services.notifier is not None:
                await services.notifier.stop()
            if app.updater.running:
                await app.updater.stop()
            await app.stop()
            await http.stop()
            await services.close()
