"""The services handed to handlers, typed, instead of strings looked up in ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.account_events import AccountEvents
from bot.accounts import AccountService
from bot.alerts.service import AlertService
from bot.buttons import ButtonService
from bot.charts import ChartService
from bot.chats import ChatPreferences
from bot.config import Settings
from bot.confirmations import ConfirmationStore
from bot.feeds.service import FeedService
from bot.health import Health
from bot.i18n import I18n
from bot.market import MarketService
from bot.money import MoneyServices
from bot.notifier import Notifier
from bot.operations import Operations
from bot.rates import RatesService
from bot.streams import StreamSupervisor
from bot.trading import TradingService
from storage.db import Database

SERVICES_KEY = "sarraf.services"


@dataclass
class Services:
    settings: Settings
    market: MarketService
    i18n: I18n
    health: Health
    db: Database
    chats: ChatPreferences
    charts: ChartService
    rates: RatesService
    accounts: AccountService
    buttons: ButtonService
    alerts: AlertService
    streams: StreamSupervisor
    confirmations: ConfirmationStore
    trading: TradingService
    account_events: AccountEvents
    notifier: Notifier | None = None
    money: MoneyServices | None = None
    # Operations (issue 9): metrics, leadership, broadcasts; set by bot.app.
    ops: Operations | None = None
    feeds: FeedService | None = None  # price feeds (issue 8); set by bot.app

    async def close(self) -> None:
        self.charts.close()
        await self.rates.close()
        await self.market.close()
        await self.db.close()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """python-telegram-bot's context with a typed ``services`` property."""

    @property
    def services(self) -> Services:
        services = self.application.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services


def attach(application: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    application.bot_data[SERVICES_KEY] = services
