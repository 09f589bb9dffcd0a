"""The one error handler: a domain error becomes a sentence, anything else an incident id.

Whatever went wrong, the user gets a reply (never silence, never a traceback), and
an unexpected failure is logged with an id the user can quote to the operator.
"""

from __future__ import annotations

import logging
import secrets
from html import escape

from telegram import Update
from telegram.error import Forbidden, RetryAfter
from telegram.error import NetworkError as TelegramNetworkError

from bot.accounts import NoAccounts, NoAccountSupport, NotConnected, StoredSecretUnreadable
from bot.alerts.service import AlertNotFound, TooManyAlerts
from bot.context import BotContext
from bot.errors import NotListedAnywhere, UnknownExchange
from bot.i18n import Lang
from bot.rates import RatesNotConfigured
from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeError,
    NetworkError,
    NotSupported,
    RateLimited,
    RejectedRequest,
    RequestTimeout,
    UnknownSymbol,
    UnsupportedInterval,
)
from handlers.args import UsageError
from handlers.commands import usage
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import exchange_title, usage_text
from handlers.trading_texts import trading_sentence

log = logging.getLogger(__name__)


def command_of(update: object) -> str:
    if isinstance(update, Update) and update.effective_message and update.effective_message.text:
        first = update.effective_message.text.split()[0]
        if first.startswith("/"):
            return first[1:].split("@")[0].lower()
    return ""


def sentence(lang: Lang, error: BaseException, command: str) -> str | None:
    """The reply for a known error, or None for an unexpected one."""
    if isinstance(error, UsageError):
        return usage_text(lang, error.problem, usage(error.command), **error.params)
    trading = trading_sentence(lang, error)
    if trading is not None:
        return trading
    if isinstance(error, UnknownExchange):
        text = lang(
            "I don't know the exchange “{name}”. I know: {known}.",
            name=escape(error.name),
            known=", ".join(error.known),
        )
        return text + (
            "\n" + lang("Usage: {usage}", usage=escape(usage(command))) if command else ""
        )
    if isinstance(error, NotListedAnywhere):
        text = lang("No exchange lists a market “{symbol}”.", symbol=escape(error.symbol.upper()))
        if error.failed:
            text += "\n" + lang(
                "These did not answer: {names}.",
                names=", ".join(exchange_title(n) for n in error.failed),
            )
        return text + (
            "\n" + lang("Usage: {usage}", usage=escape(usage(command))) if command else ""
        )
    if isinstance(error, TooManyAlerts):
        return lang(
            "You have {limit} alerts, the most allowed. Delete some with /alerts first.",
            limit=error.limit,
        )
    if isinstance(error, AlertNotFound):
        return lang("You have no alert #{id}. /alerts lists yours.", id=error.alert_id)
    if isinstance(error, NotConnected):
        return lang(
            "You have no {exchange} account connected. Connect it with /connect {name}.",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    if isinstance(error, NoAccounts):
        return lang("No account connected yet. Connect one with /connect EXCHANGE.")
    if isinstance(error, NoAccountSupport):
        return lang(
            "I can't connect accounts on {exchange}.", exchange=exchange_title(error.exchange)
        )
    if isinstance(error, StoredSecretUnreadable):
        return lang(
            "I can't open your stored {exchange} keys (the operator changed the master "
            "key). Please /disconnect {name} and /connect {name} again.",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    if isinstance(error, AuthenticationError):
        return lang(
            "{exchange} no longer accepts your key (revoked or expired?). "
            "Connect it again with /connect {name}.",
            exchange=exchange_title(error.exchange),
            name=error.exchange,
        )
    if isinstance(error, RatesNotConfigured):
        return lang(
            "WallexPay rates are not set up on this bot: the operator needs to set "
            "WALLEXPAY_PROCESSING_KEY and WALLEXPAY_PROCESSING_SECRET."
        )
    if isinstance(error, UnknownSymbol):
        text = lang(
            "{exchange} has no market “{symbol}”.",
            exchange=exchange_title(error.exchange),
            symbol=escape(error.symbol),
        )
        if error.suggestions:
            text += "\n" + lang(
                "Did you mean: {names}?", names=", ".join(escape(s) for s in error.suggestions)
            )
        return text + (
            "\n" + lang("Usage: {usage}", usage=escape(usage(command))) if command else ""
        )
    if isinstance(error, UnsupportedInterval):
        return lang(
            "{exchange} does not offer the interval “{interval}”. It offers: {supported}.",
            exchange=exchange_title(error.exchange),
            interval=escape(error.interval),
            supported=", ".join(error.supported),
        )
    if isinstance(error, RateLimited):
        return lang(
            "{exchange} asks us to slow down. Please try again in a minute.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, RequestTimeout):
        return lang(
            "{exchange} did not answer in time. Please try again shortly.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, NetworkError):
        return lang(
            "{exchange} is not reachable right now. Please try again shortly.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, BadResponse):
        return lang(
            "{exchange} sent an answer I could not read. Please try again later.",
            exchange=exchange_title(error.exchange),
        )
    if isinstance(error, NotSupported):
        return lang("{exchange} does not offer that.", exchange=exchange_title(error.exchange))
    if isinstance(error, RejectedRequest):
        return lang(
            "{exchange} refused the request: {reason}",
            exchange=exchange_title(error.exchange),
            reason=escape(error.message),
        )
    if isinstance(error, ExchangeError):
        return lang(
            "{exchange} could not do that: {reason}",
            exchange=exchange_title(error.exchange),
            reason=escape(error.message),
        )
    return None


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if error is None:
        return
    if isinstance(error, RetryAfter | TelegramNetworkError | Forbidden) and not isinstance(
        update, Update
    ):
        log.warning("Telegram: %s", error)
        return
    try:
        lang = await lang_for(update, context)
    except Exception:  # the database may be what failed; answer in the default language
        lang = context.services.i18n.get(None)
    text = sentence(lang, error, command_of(update))
    if text is None:
        incident = secrets.token_hex(4)
        log.error("incident %s while handling an update", incident, exc_info=error)
        text = lang(
            "Something went wrong on my side (incident {incident}). "
            "Please try again; if it keeps happening, tell the operator this id.",
            incident=incident,
        )
    else:
        log.info("answered with an error sentence: %s", type(error).__name__)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await reply(update, text)
        except Exception:
            log.exception("could not send the error reply")
