"""/margin as a use case: ALP.COM's margin positions and history (read-only), and
borrow, repay, transfer and close behind the two-step confirmation.

ALP.COM is the only system whose document has margin (its v3 "Margin" sections), so
this service speaks to ``AlpAccount``'s margin calls directly, like ``bot/banking.py``
does for Wallex's bank accounts.

Checks made before a summary is shown, so a request that cannot work is refused in
words before any Confirm (the exchange checks again when it arrives):
- the amount is positive with at most 8 decimal places (ALP writes every amount with
  eight places) and the currency is one ALP lists (v1 ``currencies/``); an isolated
  wallet's pair exists and holds the currency;
- transfer to margin: the spot balance available (v1 ``wallets/``); transfer to spot
  and repay: the margin wallet's available balance (v3 ``accounts/balances``);
- repay: something is owed in that currency and wallet (v3 ``margin``), and the
  amount is not more than principal and interest owed;
- borrow: the margin wallet holds collateral. The document gives no maximum to
  borrow, so the summary says the exchange sets the limit, and its refusal is shown;
- close: the wallet owes or holds something, and holds enough of each currency owed.

Executing follows ``bot/trading.py``: the winning Confirm marks the row ``sent`` before
the request leaves, then ``done`` or ``failed``. ALP's margin calls take no client
reference, so an unanswered request is never sent again: the row stays ``sent`` and
the user is told to look at /margin history before trying again.

A crash between Confirm and the recorded outcome leaves the row ``confirmed`` (it never
left) or ``sent`` (it may have). Like /banks, the next /margin of its owner settles
such rows older than ``STALE_AFTER`` as failed and says which were not sent and which
may have been: nothing is ever sent again on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from bot.accounts import AccountService
from bot.confirmations import Action, ConfirmationStore, Pending, State, decimal_of
from bot.errors import BotError
from bot.market import MarketService
from exchanges.alp.account import AlpAccount
from exchanges.alp.client import AlpClient
from exchanges.alp.margin import MarginEvent, MarginPosition
from exchanges.alp.wallets import SPOT, WalletBalance
from exchanges.errors import ExchangeError, NetworkError, NotSupported
from exchanges.models import Market

EXCHANGE = "alp"
BORROW = "margin_borrow"
REPAY = "margin_repay"
TRANSFER = "margin_transfer"
CLOSE = "margin_close"
KINDS = (BORROW, REPAY, TRANSFER, CLOSE)
PLACES = 8
STALE_AFTER = timedelta(minutes=2)
Operation = Literal["borrow", "repay", "transfer", "close"]
_KIND: dict[Operation, str] = {
    "borrow": BORROW,
    "repay": REPAY,
    "transfer": TRANSFER,
    "close": CLOSE,
}
_OPERATION: dict[str, Operation] = {kind: operation for operation, kind in _KIND.items()}


class MarginRefused(BotError):
    """A request refused before any Confirm; ``reason`` names the case, ``params`` what
    the sentence needs (amounts as Decimals, codes as text)."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(f"margin: {reason}")
        self.reason = reason
        self.params = params


class MarginOutcomeUnknown(BotError):
    """The request left and no answer came: it may have been carried out."""


@dataclass(frozen=True, slots=True)
class MarginOverview:
    positions: tuple[MarginPosition, ...]
    wallets: tuple[WalletBalance, ...]  # margin wallets only, non-zero


@dataclass(frozen=True, slots=True)
class MarginRequest:
    operation: Operation
    currency: str  # "" for close
    amount: Decimal  # 0 for close
    pair: str | None = None  # an isolated wallet's pair (the exchange's symbol)
    to_margin: bool = True  # transfers only

    @property
    def wallet_type(self) -> str:
        return "ISOLATED_MARGIN" if self.pair else "CROSS_MARGIN"


@dataclass(frozen=True, slots=True)
class MarginPreview:
    request: MarginRequest
    market: Market | None  # the isolated wallet's market
    available: Decimal | None  # what the source wallet has free (transfer, repay)
    owed: Decimal | None  # what is owed in the currency (repay, borrow)
    collateral: tuple[WalletBalance, ...] = ()  # the margin wallet (borrow, close)
    debts: tuple[MarginPosition, ...] = ()  # what a close repays


@dataclass(frozen=True, slots=True)
class MarginProposal:
    pending: Pending
    preview: MarginPreview


def in_wallet(row: WalletBalance | MarginPosition, wallet_type: str, pair: str | None) -> bool:
    return row.wallet_type == wallet_type and (row.pair or None) == (pair or None)


class MarginService:
    def __init__(
        self, accounts: AccountService, market: MarketService, confirmations: ConfirmationStore
    ) -> None:
        self.accounts = accounts
        self.market = market
        self.confirmations = confirmations

    async def interrupted(self, user_id: int) -> list[tuple[datetime, bool]]:
        """Settle the caller's margin requests a crash (or a lost answer) left
        unfinished: (when each was confirmed, whether it may have been sent)."""
        settled = await self.confirmations.settle_interrupted(user_id, KINDS, STALE_AFTER)
        return [
            (act.confirmed_at, act.state is State.SENT)
            for act in settled
            if act.confirmed_at is not None
        ]

    async def overview(self, user_id: int) -> MarginOverview:
        async with self.accounts.session(user_id, EXCHANGE) as client:
            alp = _alp(client)
            positions = await self.accounts.call(EXCHANGE, alp.margin_positions())
            wallets = await self.accounts.call(EXCHANGE, alp.wallet_balances())
        margin_wallets = tuple(w for w in wallets if w.wallet_type != SPOT and w.total != 0)
        owing = tuple(p for p in positions if p.owed != 0)
        return MarginOverview(owing, margin_wallets)

    async def margin_wallets(self, user_id: int) -> tuple[WalletBalance, ...]:
        """The margin wallets that hold something (for /balance alp)."""
        async with self.accounts.session(user_id, EXCHANGE) as client:
            wallets = await self.accounts.call(EXCHANGE, _alp(client).wallet_balances())
        return tuple(w for w in wallets if w.wallet_type != SPOT and w.total != 0)

    async def history(self, user_id: int) -> list[MarginEvent]:
        async with self.accounts.session(user_id, EXCHANGE) as client:
            return await self.accounts.call(EXCHANGE, _alp(client).margin_history())

    # --- proposing ------------------------------------------------------------------------
    async def _pair(self, symbol: str | None) -> Market | None:
        if not symbol:
            return None
        return (await self.market.market(EXCHANGE, symbol))[1]

    async def _currencies(self) -> set[str]:
        """What ALP lists (v1 ``currencies/``); its pairs' currencies where the market
        client is not ALP's own (a test double)."""
        client = self.market.client(EXCHANGE)
        if isinstance(client, AlpClient):
            return set(await self.accounts.call(EXCHANGE, client.currencies()))
        markets = await self.market.markets(EXCHANGE)
        return {m.base for m in markets} | {m.quote for m in markets}

    async def preview(
        self,
        user_id: int,
        operation: Operation,
        currency: str = "",
        amount: Decimal = Decimal(0),
        *,
        pair: str | None = None,
        to_margin: bool = True,
    ) -> MarginPreview:
        """The checked request, with the balances its summary shows."""
        market = await self._pair(pair)
        code = currency.upper()
        if operation != "close":
            if amount <= 0:
                raise MarginRefused("amount")
            exponent = amount.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > PLACES:
                raise MarginRefused("places", places=PLACES)
            if code not in await self._currencies():
                raise MarginRefused("currency", currency=code)
            if market is not None and code not in (market.base, market.quote):
                raise MarginRefused("pair_currency", currency=code, pair=market.pair)
        request = MarginRequest(
            operation, code, amount, market.symbol if market else None, to_margin
        )
        wallet_type, symbol = request.wallet_type, request.pair
        async with self.accounts.session(user_id, EXCHANGE) as client:
            alp = _alp(client)
            if operation == "transfer" and to_margin:
                spot = await self.accounts.call(EXCHANGE, alp.balances())
                free = next((b.available for b in spot if b.currency == code), Decimal(0))
                if free < amount:
                    raise MarginRefused("spot_short", currency=code, needed=amount, available=free)
                return MarginPreview(request, market, free, None)
            wallets = await self.accounts.call(EXCHANGE, alp.wallet_balances())
            mine = tuple(w for w in wallets if in_wallet(w, wallet_type, symbol))
            free = sum((w.available for w in mine if w.currency == code), Decimal(0))
            if operation == "transfer":
                if free < amount:
                    raise MarginRefused(
                        "margin_short", currency=code, needed=amount, available=free
                    )
                return MarginPreview(request, market, free, None)
            positions = await self.accounts.call(EXCHANGE, alp.margin_positions())
            debts = tuple(p for p in positions if in_wallet(p, wallet_type, symbol) and p.owed)
            owed = sum((p.owed for p in debts if p.currency == code), Decimal(0))
        held = tuple(w for w in mine if w.total != 0)
        if operation == "borrow":
            if not held:
                raise MarginRefused("no_collateral", pair=market.pair if market else "")
            return MarginPreview(request, market, None, owed, collateral=held)
        if operation == "repay":
            if owed <= 0:
                raise MarginRefused("nothing_owed", currency=code)
            if amount > owed:
                raise MarginRefused("over_debt", currency=code, owed=owed)
            if free < amount:
                raise MarginRefused("margin_short", currency=code, needed=amount, available=free)
            return MarginPreview(request, market, free, owed)
        if not held and not debts:
            raise MarginRefused("empty_wallet", pair=market.pair if market else "")
        for debt in debts:
            has = sum((w.available for w in mine if w.currency == debt.currency), Decimal(0))
            if has < debt.owed:
                raise MarginRefused(
                    "margin_short", currency=debt.currency, needed=debt.owed, available=has
                )
        return MarginPreview(request, market, None, None, collateral=held, debts=debts)

    async def propose(self, user_id: int, chat_id: int, preview: MarginPreview) -> Pending:
        r = preview.request
        payload: dict[str, Any] = {
            "exchange": EXCHANGE,
            "currency": r.currency,
            "amount": r.amount,
            "pair": r.pair,
            "to_margin": r.to_margin,
        }
        return await self.confirmations.create(
            user_id=user_id, chat_id=chat_id, kind=_KIND[r.operation], payload=payload
        )

    # --- executing ------------------------------------------------------------------------
    async def execute(self, action: Action) -> MarginRequest:
        """Send the confirmed request once; raises what the exchange refused."""
        payload = action.payload
        operation = _OPERATION[action.kind]
        amount = decimal_of(payload, "amount") or Decimal(0)
        pair = payload.get("pair") or None
        request = MarginRequest(
            operation,
            str(payload.get("currency") or ""),
            amount,
            None if pair is None else str(pair),
            bool(payload.get("to_margin", True)),
        )
        async with self.accounts.session(action.user_id, EXCHANGE) as client:
            alp = _alp(client)
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            try:
                await self.accounts.call(EXCHANGE, _send(alp, request))
            except NetworkError:
                # It may have arrived; ALP takes no reference to look it up by.
                raise MarginOutcomeUnknown("no answer from ALP.COM") from None
            except ExchangeError as exc:
                await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                raise
        await self.confirmations.mark_done(action.id, {"operation": operation})
        return request


def _send(alp: AlpAccount, request: MarginRequest) -> Any:
    if request.operation == "borrow":
        return alp.margin_borrow(request.currency, request.amount, request.pair)
    if request.operation == "repay":
        return alp.margin_repay(request.currency, request.amount, request.pair)
    if request.operation == "transfer":
        return alp.margin_transfer(
            request.currency, request.amount, request.to_margin, request.pair
        )
    return alp.margin_close(request.pair)


def _alp(client: object) -> AlpAccount:
    if not isinstance(client, AlpAccount):
        raise NotSupported(EXCHANGE, "margin is offered only on ALP.COM")
    return client
