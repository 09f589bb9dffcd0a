"""The caller's own history: trades (/history), deposits and withdrawals, page by page.

Transport-free, like ``bot/market.py``: it takes the exchange and symbol as typed, returns
rows, and raises ``BotError``/``ExchangeError`` for the handlers to put into words.

Where the rows come from:
- trades: ``AccountClient.fills`` (Wallex ``/v1/account/trades``, Narkasa
  ``market/user-trades``, ALP.COM v1 ``exchanges/own``, WEX ``TradeHistory``); WallexPay
  is a payment gateway without trading, which is said instead of asking it. ALP.COM's
  v1 list has trade ids but no fees, its v3 ``accounts/trades`` fees but no ids (and only
  the last 30 days): a client with ``account_trades`` (``FeeTrades``) is asked for both,
  and each v1 fill takes the fee of the v3 fill of the same market, side, price and
  amount within two seconds. Fees are an addition: when v3 fails, the list still shows.
- deposits and withdrawals: ``AccountClient.deposits`` / ``withdrawals`` (Narkasa
  ``balance/deposit-history`` and ``withdraw-history``, ALP.COM ``deposits/`` and
  ``withdraws/``, WEX ``TransHistory``); Wallex's document has no such call, so that is
  said. WallexPay's API has no history call either: its rows come from the ledger its
  callbacks fill (``storage/repos/wallexpay_ledger.py``), with WallexPay's own status
  words.

Whether a system offers a list is read from whether its client overrides the method of
``AccountClient`` (the ``TradingCapabilities`` flags are not set consistently for the
histories: WEX and ALP.COM list withdrawals without ``withdrawals_history``), and a
``NotSupported`` raised by the call itself reads the same.

Paging. A page's buttons carry the whole page state (exchange, symbol, kind, page and an
anchor) in their server-side payload, and every press fetches the rows again instead of
caching them. Why: a cache would live in one process, and with several webhook replicas
the press may reach another; a restart would lose it; and a page press comes at human
speed, one signed read each, well inside every system's limits. The anchor is the time of
the newest row when the list was first shown: rows newer than it are left out on later
pages, so a trade made meanwhile does not shift every page by one, and the CSV export
holds exactly the list the message pages through.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Context, Decimal
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from bot.accounts import AccountService, NotConnected
from bot.errors import BotError, UnknownExchange
from bot.market import MarketService
from bot.paging import Paged
from exchanges.accounts import AccountClient
from exchanges.errors import ExchangeError, NotSupported
from exchanges.models import Deposit, Fill, Market, Side, TransferStatus, Withdrawal
from storage.db import Database
from storage.repos import wallexpay_ledger

log = logging.getLogger(__name__)
FETCH_LIMIT = 200
"""The most rows one list fetches (and one CSV holds): the latest, newest first."""
WALLEXPAY = "wallexpay"
_EXACT = Context(prec=200)  # a product of two exchange numbers, never rounded


class Kind(StrEnum):
    TRADES = "trades"
    DEPOSITS = "deposits"
    WITHDRAWALS = "withdrawals"


_METHOD = {Kind.TRADES: "fills", Kind.DEPOSITS: "deposits", Kind.WITHDRAWALS: "withdrawals"}
_LEDGER_KIND = {Kind.DEPOSITS: "deposit", Kind.WITHDRAWALS: "withdrawal"}


@runtime_checkable
class FeeTrades(Protocol):
    """A second list of the account's trades that carries their fees (ALP.COM v3)."""

    async def account_trades(self, market: Market | None = None) -> list[Fill]: ...


FEE_MATCH_SECONDS = 2.0


def same_trade(a: Fill, b: Fill) -> bool:
    return (a.symbol, a.side, a.price, a.amount) == (b.symbol, b.side, b.price, b.amount) and (
        abs((a.time - b.time).total_seconds()) <= FEE_MATCH_SECONDS
    )


def with_fees(fills: Sequence[Fill], priced: Sequence[Fill]) -> list[Fill]:
    """Each fill without a fee takes the fee of the one priced fill that is the same
    trade (market, side, price, amount, time within ``FEE_MATCH_SECONDS``)."""
    pool = list(priced)
    out = []
    for f in fills:
        if f.fee is None:
            twin = next((p for p in pool if same_trade(p, f)), None)
            if twin is not None:
                pool.remove(twin)
                f = replace(f, fee=twin.fee, fee_currency=twin.fee_currency)
        out.append(f)
    return out


class HistoryNotOffered(BotError):
    """The system has no such list: ``reason`` says which case (for the sentence)."""

    def __init__(self, exchange: str, kind: Kind, reason: Literal["no_trading", "no_call"]) -> None:
        super().__init__(f"{exchange} offers no {kind} history")
        self.exchange = exchange
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TradeRow:
    """One fill, with its market spelled as a pair where the market is known."""

    time: datetime
    market: str
    symbol: str
    side: Side
    price: Decimal
    amount: Decimal
    fee: Decimal | None
    fee_currency: str | None
    order_id: str
    trade_id: str

    @property
    def total(self) -> Decimal:
        return _EXACT.multiply(self.price, self.amount)

    @property
    def quote(self) -> str | None:
        return self.market.split("/", 1)[1] if "/" in self.market else None

    @property
    def base(self) -> str | None:
        return self.market.split("/", 1)[0] if "/" in self.market else None


@dataclass(frozen=True, slots=True)
class TransferRow:
    """One deposit or withdrawal. ``status`` is a ``TransferStatus`` value, or for
    WallexPay its own callback word (``confirmed``, ``not_confirmed``, ...)."""

    kind: Kind
    time: datetime | None
    transfer_id: str
    currency: str
    amount: Decimal | None  # None: a WallexPay callback that named no amount
    status: str
    fee: Decimal | None = None
    fee_currency: str | None = None
    network: str | None = None
    address: str | None = None
    txid: str | None = None


Row = TradeRow | TransferRow


@dataclass(frozen=True, slots=True)
class PageState:
    """What a page button carries: everything needed to show that page again."""

    exchange: str
    kind: Kind
    symbol: str | None
    page: int
    anchor: str | None  # ISO time of the newest row when the list was first shown

    def to_payload(self) -> dict[str, object]:
        return {
            "exchange": self.exchange,
            "kind": self.kind.value,
            "symbol": self.symbol,
            "page": self.page,
            "anchor": self.anchor,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> PageState:
        symbol = payload.get("symbol")
        anchor = payload.get("anchor")
        page = payload.get("page")
        return cls(
            exchange=str(payload["exchange"]),
            kind=Kind(str(payload["kind"])),
            symbol=None if symbol is None else str(symbol),
            page=page if isinstance(page, int) else 0,
            anchor=None if anchor is None else str(anchor),
        )

    def at(self, page: int) -> PageState:
        return PageState(self.exchange, self.kind, self.symbol, page, self.anchor)


@dataclass(frozen=True, slots=True)
class History(Paged[Row]):
    """The rows of one list, newest first, and the page being shown."""

    state: PageState
    market: Market | None  # the market named in /history EXCHANGE SYMBOL
    rows: tuple[Row, ...]


def _newest_first(rows: Sequence[Row]) -> list[Row]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: r.time or oldest, reverse=True)


def anchored(rows: Sequence[Row], anchor: str | None) -> tuple[Row, ...]:
    """The rows not newer than ``anchor`` (all of them without one); rows without a
    time are kept, since nothing says they are new."""
    if anchor is None:
        return tuple(rows)
    limit = datetime.fromisoformat(anchor)
    return tuple(r for r in rows if r.time is None or r.time <= limit)


def anchor_of(rows: Sequence[Row]) -> str | None:
    times = [r.time for r in rows if r.time is not None]
    return max(times).astimezone(UTC).isoformat() if times else None


def trade_row(fill: Fill, markets: dict[str, Market]) -> TradeRow:
    market = markets.get(fill.symbol)
    return TradeRow(
        time=fill.time.astimezone(UTC),
        market=market.pair if market is not None else fill.symbol,
        symbol=fill.symbol,
        side=fill.side,
        price=fill.price,
        amount=fill.amount,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        order_id=fill.order_id,
        trade_id=fill.trade_id or "",
    )


def deposit_row(d: Deposit) -> TransferRow:
    return TransferRow(
        kind=Kind.DEPOSITS,
        time=None if d.time is None else d.time.astimezone(UTC),
        transfer_id=d.deposit_id,
        currency=d.currency,
        amount=d.amount,
        status=TransferStatus(d.status).value,
        network=d.network,
        address=d.address,
        txid=d.txid,
    )


def withdrawal_row(w: Withdrawal) -> TransferRow:
    return TransferRow(
        kind=Kind.WITHDRAWALS,
        time=None if w.time is None else w.time.astimezone(UTC),
        transfer_id=w.withdrawal_id,
        currency=w.currency,
        amount=w.amount,
        status=TransferStatus(w.status).value,
        fee=w.fee,
        fee_currency=w.currency if w.fee is not None else None,
        network=w.network,
        address=w.address or None,
        txid=w.txid,
    )


def offers(cls: type[AccountClient], kind: Kind) -> bool:
    """The client implements the list (overrides ``AccountClient``'s refusal)."""
    method = _METHOD[kind]
    return getattr(cls, method) is not getattr(AccountClient, method)


class HistoryService:
    def __init__(self, accounts: AccountService, market: MarketService, db: Database) -> None:
        self.accounts = accounts
        self.market = market
        self.db = db

    @property
    def exchanges(self) -> tuple[str, ...]:
        return self.accounts.exchanges

    def check(self, exchange: str, kind: Kind) -> str:
        """The exchange's name as we spell it; a sentence-worthy error when it has no
        such list, before any account or upstream is asked."""
        name = exchange.strip().lower()
        if name not in self.accounts.factories:
            raise UnknownExchange(exchange, self.exchanges)
        if name == WALLEXPAY:
            if kind is Kind.TRADES:
                raise HistoryNotOffered(name, kind, "no_trading")
            return name
        if not offers(self.accounts.factories[name][0], kind):
            raise HistoryNotOffered(name, kind, "no_call")
        return name

    async def first(self, user_id: int, exchange: str, kind: Kind, symbol: str | None) -> History:
        """The first page of a new list, anchored at its newest row."""
        name = self.check(exchange, kind)
        market = await self._market(name, symbol) if symbol else None
        rows = await self._rows(user_id, name, kind, market)
        state = PageState(name, kind, market.symbol if market else None, 0, anchor_of(rows))
        return History(state, market, tuple(rows))

    async def page(self, user_id: int, state: PageState) -> History:
        """The page a button asks for, from rows fetched again (see the module's note)."""
        name = self.check(state.exchange, state.kind)
        market = await self._market(name, state.symbol) if state.symbol else None
        rows = await self._rows(user_id, name, state.kind, market)
        return History(state, market, anchored(rows, state.anchor))

    async def _market(self, exchange: str, symbol: str) -> Market:
        return (await self.market.market(exchange, symbol))[1]

    async def _markets(self, exchange: str) -> dict[str, Market]:
        """Symbol → market, to show pairs; the raw symbols when the list is unavailable."""
        try:
            return {m.symbol: m for m in await self.market.markets(exchange)}
        except ExchangeError:  # the history is still worth showing with the exchange's symbols
            return {}

    async def _rows(
        self, user_id: int, exchange: str, kind: Kind, market: Market | None
    ) -> list[Row]:
        if exchange == WALLEXPAY:
            return list(await self._ledger(user_id, kind))
        found: list[Row]
        async with self.accounts.session(user_id, exchange) as client:
            try:
                if kind is Kind.TRADES:
                    fills = await self.accounts.call(exchange, client.fills(market, FETCH_LIMIT))
                    if isinstance(client, FeeTrades) and any(f.fee is None for f in fills):
                        fills = with_fees(fills, await self._priced(exchange, client, market))
                    markets = {market.symbol: market} if market else await self._markets(exchange)
                    found = [trade_row(f, markets) for f in fills]
                elif kind is Kind.DEPOSITS:
                    deposits = await self.accounts.call(exchange, client.deposits(FETCH_LIMIT))
                    found = [deposit_row(d) for d in deposits]
                else:
                    sent = await self.accounts.call(exchange, client.withdrawals(FETCH_LIMIT))
                    found = [withdrawal_row(w) for w in sent]
            except NotSupported:
                raise HistoryNotOffered(exchange, kind, "no_call") from None
        if market is not None:  # a client that cannot narrow by market is narrowed here
            found = [r for r in found if not isinstance(r, TradeRow) or r.symbol == market.symbol]
        return _newest_first(found)[:FETCH_LIMIT]

    async def _priced(self, exchange: str, client: FeeTrades, market: Market | None) -> list[Fill]:
        try:
            return await self.accounts.call(exchange, client.account_trades(market))
        except ExchangeError as exc:
            log.info("%s: trades with fees unavailable (%s); listing without", exchange, exc)
            return []

    async def _ledger(self, user_id: int, kind: Kind) -> list[TransferRow]:
        """WallexPay's rows from its callbacks' ledger; a connected merchant account is
        required like everywhere else (its callbacks are verified with that key)."""
        if not await self.accounts.is_connected(user_id, WALLEXPAY):
            raise NotConnected(WALLEXPAY)
        async with self.db.session() as session:
            found = await wallexpay_ledger.transactions(
                session, user_id, _LEDGER_KIND[kind], limit=FETCH_LIMIT
            )
            return [
                TransferRow(
                    kind=kind,
                    time=r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC).astimezone(UTC),
                    transfer_id=r.transaction_id,
                    currency=r.currency or "",
                    amount=Decimal(r.amount) if r.amount is not None else None,
                    status=r.status,
                    fee=Decimal(r.fee) if r.fee is not None else None,
                    fee_currency=r.fee_currency,
                    address=r.address,
                    txid=r.txid,
                )
                for r in found
            ]
