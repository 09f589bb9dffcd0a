"""Wallex orders and own trades, written from the Wallex API document (seed 000).

Served (``Authorization: Bearer <token>`` as every private call):
- ``POST /v1/account/orders`` with ``price``, ``quantity``, ``side``, ``symbol``,
  ``type`` and an optional ``client_id``: the document's answer (``clientOrderId``,
  ``transactTime`` in seconds, ``origQty``, ``executedQty``, ``status``, ``active``,
  ``fills``), numbers as strings with 16 places as in its example;
- ``DELETE /v1/account/orders`` with ``clientOrderId``: the order's state after the
  cancel (an order that had already filled is answered as it is, ``FILLED`` and not
  active, as the document's example shows);
- ``GET /v1/account/openOrders?symbol=`` (required), with ``result_info``;
- ``GET /v1/account/trades`` (``symbol``, ``side``, ``active`` optional):
  ``AccountLatestTrades``, newest first.

Orders match through ``sandbox.matching.MatchingEngine`` against the simulated market
(a limit order when the price crosses it — on arrival when it already does —, a
market order at once at the best
bid/ask). The fee is the account's rate of ``/v1/account/fee``: its ``makerFeeRate``
on a resting limit order's fills, ``takerFeeRate`` on a market order's, taken from
what is received (base on a buy, quote on a sell).

Where the document is silent, the sandbox chooses (the client's docstring repeats
these):
- Parameters: the examples send a JSON body, the tables say "Query Parameters";
  Laravel reads both into one input, and so does the sandbox (the body wins). As in
  Laravel, a body is read only as its ``Content-Type`` says (``application/json`` or a
  form); a JSON body sent without that header is not read.
- Validation answers are Laravel's: HTTP 422, ``"message": "The given data was
  invalid."`` and ``result`` = ``{field: [reason]}``. ``price`` is required for a limit
  order only (a market order's price is the book's). Reasons: "The <field> field is
  required.", "The selected <field> is invalid.", "The <field> must be a number.",
  "The <field> must be greater than 0.", "The <field> field must have 0-<n> decimal
  places." (more places than the market's ``baseAssetPrecision``/``quotePrecision``),
  "The quantity must be at least <minQty>.", "The quantity may not be greater than
  <maxQty>.", "The client id has already been taken." (``client_id`` is unique per
  account, as the document says).
- Refusals after validation are HTTP 400 ``{"success": false, "message": …,
  "result": []}``: "The order total must be at least <minNotional> <quote>.",
  "Insufficient balance.", and "The market is not active." for a market switched off
  (``inactive``).
- Statuses: ``NEW``, ``PARTIALLY_FILLED``, ``FILLED``, ``CANCELED`` (the document shows
  the first and third; the others are spelled as the exchange engines Wallex's
  answers mirror spell them). ``fills`` lists each execution as ``{"price",
  "quantity", "fee", "feeAsset"}``.
- Generated client order ids look like the document's: ``LIMIT-<uuid4>`` /
  ``MARKET-<uuid4>``.
- ``active`` of the trades list selects trades of orders still active (``true``) or
  no longer active (``false``).
- The private channel (``socket.py``): every change of an order is pushed as ``{"type":
  "order", "data": <the order as REST answers it>}``, each fill as ``{"type": "trade",
  "data": <a trades row>}``, and each balance it moved as ``{"type": "balance",
  "data": <a balances entry>}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.matching import CANCELLED, FILLED, INSUFFICIENT, PARTIAL, MatchError, SimOrder
from sandbox.wire import json_response

if TYPE_CHECKING:
    from sandbox.matching import MatchingEngine
    from sandbox.wallex.private import WallexAccountState

WIDE = Decimal("1e-16")
PAGE = 100


def invalid(field: str, reason: str) -> web.Response:
    return json_response(
        {"success": False, "message": "The given data was invalid.", "result": {field: [reason]}},
        status=422,
    )


def refused(message: str) -> web.Response:
    return json_response({"success": False, "message": message, "result": []}, status=400)


def ok(result: Any, info: Mapping[str, int] | None = None) -> web.Response:
    body: dict[str, Any] = {
        "result": result,
        "message": "The operation was successful",
        "success": True,
    }
    if info is not None:
        body["result_info"] = dict(info)
    return json_response(body)


def wide(value: Decimal) -> str:
    return str(value.quantize(WIDE))


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass
class Meta:
    """What the engine does not keep of a Wallex order."""

    client_order_id: str
    kind: str  # "LIMIT" | "MARKET"
    fills_seen: int = 0


class WallexTrading:
    def __init__(
        self,
        engine: MatchingEngine,
        markets: Mapping[str, Any],
        accounts: Mapping[str, WallexAccountState],
        *,
        on_event: Callable[[WallexAccountState, list[dict[str, Any]]], None],
    ) -> None:
        self.engine = engine
        self.markets = markets
        self.accounts = accounts
        self.on_event = on_event
        self.inactive: set[str] = set()
        self.meta: dict[str, Meta] = {}  # engine id -> meta
        self._by_client: dict[tuple[str, str], str] = {}  # (token, client id) -> engine id
        self._next_meta: Meta | None = None
        engine.fee_rate_for = self._fee_rate
        engine.listeners.append(self._on_order)

    # --- fees and accounts ------------------------------------------------------------
    def _account_of(self, order: SimOrder) -> WallexAccountState | None:
        return self.accounts.get(order.account)

    def _fee_rate(self, order: SimOrder) -> Decimal:
        account = self._account_of(order)
        if account is None:
            return self.engine.fee_rate
        maker, taker = account.tmn_fees if order.quote == "TMN" else account.coin_fees
        kind = self.meta[order.order_id].kind if order.order_id in self.meta else None
        if kind is None and self._next_meta is not None:
            kind = self._next_meta.kind
        return taker if kind == "MARKET" else maker

    def bind(self, account: WallexAccountState) -> None:
        self.engine.book(account.token, account.balances)

    # --- routes -----------------------------------------------------------------------
    def add_routes(self, app: web.Application, guard: Callable[[Any], Any]) -> None:
        app.router.add_post("/v1/account/orders", guard(self.place))
        app.router.add_delete("/v1/account/orders", guard(self.cancel))
        app.router.add_get("/v1/account/openOrders", guard(self.open_orders))
        app.router.add_get("/v1/account/trades", guard(self.trades))

    async def _input(self, request: web.Request) -> dict[str, Any]:
        """Laravel's input: the query, then the JSON body over it."""
        data: dict[str, Any] = dict(request.query)
        raw = await request.read()  # cached: the harness has read it already
        kind = request.content_type
        if raw and kind == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict):
                data.update(body)
        elif raw and kind == "application/x-www-form-urlencoded":
            data.update(parse_qsl(raw.decode("utf-8", errors="replace")))
        return data

    # --- wire shapes ------------------------------------------------------------------
    def order_json(self, order: SimOrder) -> dict[str, Any]:
        meta = self.meta[order.order_id]
        m = self.markets[order.symbol]
        status = {
            FILLED: "FILLED",
            PARTIAL: "PARTIALLY_FILLED",
            CANCELLED: "CANCELED",
        }.get(order.status, "NEW")
        price = order.price if order.price is not None else (order.average or Decimal(0))
        fee_asset = order.base if order.side == "buy" else order.quote
        rate = self.engine.rate_of(order)
        fills = []
        for fill_price, amount, _ in order.fills:
            fee = amount * rate if order.side == "buy" else amount * fill_price * rate
            fills.append(
                {
                    "price": wide(fill_price),
                    "quantity": wide(amount),
                    "fee": wide(fee.quantize(Decimal(1).scaleb(-8))),
                    "feeAsset": fee_asset,
                }
            )
        return {
            "symbol": order.symbol,
            "type": meta.kind,
            "side": order.side.upper(),
            "clientOrderId": meta.client_order_id,
            "transactTime": int(order.created_at),
            "price": wide(price.quantize(Decimal(1).scaleb(-m.quote_precision))),
            "origQty": wide(order.amount),
            "executedQty": wide(order.filled),
            "status": status,
            "active": order.is_open,
            "fills": fills,
        }

    def trade_rows(self, order: SimOrder, start: int = 0) -> list[dict[str, Any]]:
        rate = self.engine.rate_of(order)
        fee_asset = order.base if order.side == "buy" else order.quote
        rows = []
        for price, amount, at in order.fills[start:]:
            fee = amount * rate if order.side == "buy" else amount * price * rate
            rows.append(
                {
                    "symbol": order.symbol,
                    "quantity": wide(amount),
                    "price": wide(price),
                    "sum": wide(amount * price),
                    "fee": wide(fee.quantize(Decimal(1).scaleb(-8))),
                    "feeCoefficient": wide(rate),
                    "feeAsset": fee_asset,
                    "isBuyer": order.side == "buy",
                    "timestamp": _zulu(at),
                    "_order_open": order.is_open,
                    "_at": at,
                }
            )
        return rows

    def _on_order(self, order: SimOrder) -> None:
        if order.order_id not in self.meta:
            if self._next_meta is None:
                return
            self.meta[order.order_id] = self._next_meta
        meta = self.meta[order.order_id]
        account = self._account_of(order)
        if account is None:
            return
        events: list[dict[str, Any]] = [{"type": "order", "data": self.order_json(order)}]
        for row in self.trade_rows(order, meta.fills_seen):
            events.append({"type": "trade", "data": _public(row)})
        meta.fills_seen = len(order.fills)
        for asset in (order.base, order.quote):
            events.append({"type": "balance", "data": self.balance_json(account, asset)})
        self.on_event(account, events)

    def balance_json(self, account: WallexAccountState, asset: str) -> dict[str, Any]:
        from sandbox.wallex.private import ASSET_NAMES, FIAT, _amount

        available, locked = account.balances.get(asset, (Decimal(0), Decimal(0)))
        return {
            "asset": asset,
            "faName": ASSET_NAMES.get(asset, asset),
            "fiat": asset in FIAT,
            "value": _amount(available + locked, asset),
            "locked": _amount(locked, asset),
        }

    # --- endpoints --------------------------------------------------------------------
    def _number(self, data: Mapping[str, Any], name: str) -> Decimal | web.Response:
        raw = data.get(name)
        if raw is None or raw == "":
            return invalid(name, f"The {name} field is required.")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            return invalid(name, f"The {name} must be a number.")
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            return invalid(name, f"The {name} must be a number.")
        if not value.is_finite():
            return invalid(name, f"The {name} must be a number.")
        if value <= 0:
            return invalid(name, f"The {name} must be greater than 0.")
        return value

    async def place(self, request: web.Request, account: WallexAccountState) -> web.Response:
        self.bind(account)
        self.engine.sweep()
        data = await self._input(request)
        symbol = data.get("symbol")
        if not symbol:
            return invalid("symbol", "The symbol field is required.")
        m = self.markets.get(symbol) if isinstance(symbol, str) else None
        if m is None:
            return invalid("symbol", "The selected symbol is invalid.")
        side = data.get("side")
        if not side:
            return invalid("side", "The side field is required.")
        if side not in ("buy", "sell"):
            return invalid("side", "The selected side is invalid.")
        kind = data.get("type")
        if not kind:
            return invalid("type", "The type field is required.")
        if kind not in ("limit", "market"):
            return invalid("type", "The selected type is invalid.")
        quantity = self._number(data, "quantity")
        if isinstance(quantity, web.Response):
            return quantity
        price: Decimal | None = None
        if kind == "limit":
            found = self._number(data, "price")
            if isinstance(found, web.Response):
                return found
            price = found
        client_id = data.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()):
            return invalid("client_id", "The client id must be a string.")
        if _places(quantity) > m.base_precision:
            return invalid(
                "quantity", f"The quantity field must have 0-{m.base_precision} decimal places."
            )
        if price is not None and _places(price) > m.quote_precision:
            return invalid(
                "price", f"The price field must have 0-{m.quote_precision} decimal places."
            )
        if quantity < Decimal(m.min_qty):
            return invalid("quantity", f"The quantity must be at least {m.min_qty}.")
        if quantity > Decimal(m.max_qty):
            return invalid("quantity", f"The quantity may not be greater than {m.max_qty}.")
        if client_id is not None and (account.token, client_id) in self._by_client:
            return invalid("client_id", "The client id has already been taken.")
        if symbol in self.inactive:
            return refused("The market is not active.")
        bid, ask = self.engine.bid_ask(m.base, m.quote)
        at = price if price is not None else (ask if side == "buy" else bid)
        if quantity * at < Decimal(m.min_notional):
            return refused(f"The order total must be at least {m.min_notional} {m.quote}.")
        label = "LIMIT" if kind == "limit" else "MARKET"
        meta = Meta(client_order_id=client_id or f"{label}-{uuid.uuid4()}", kind=label)
        self._next_meta = meta
        try:
            order = self.engine.place(
                account.token,
                symbol=m.symbol,
                base=m.base,
                quote=m.quote,
                side=side,
                amount=quantity,
                price=price,
                client_order_id=meta.client_order_id,
            )
        except MatchError as exc:
            if exc.reason == INSUFFICIENT:
                return refused("Insufficient balance.")
            return refused("The order could not be placed.")
        finally:
            self._next_meta = None
        self.meta.setdefault(order.order_id, meta)
        self._by_client[(account.token, meta.client_order_id)] = order.order_id
        self.engine.sweep()  # a limit order the price already crosses fills on arrival
        return ok(self.order_json(order))

    async def cancel(self, request: web.Request, account: WallexAccountState) -> web.Response:
        self.bind(account)
        self.engine.sweep()
        data = await self._input(request)
        client_id = data.get("clientOrderId")
        if not client_id:
            return invalid("clientOrderId", "The client order id field is required.")
        internal = self._by_client.get((account.token, str(client_id)))
        if internal is None:
            return invalid("clientOrderId", "The selected client order id is invalid.")
        order = self.engine.get(account.token, internal)
        if order.is_open:
            self.engine.cancel(account.token, internal)
        return ok(self.order_json(order))

    async def open_orders(self, request: web.Request, account: WallexAccountState) -> web.Response:
        self.bind(account)
        self.engine.sweep()
        symbol = request.query.get("symbol")
        if not symbol:
            return invalid("symbol", "The symbol field is required.")
        if symbol not in self.markets:
            return invalid("symbol", "The selected symbol is invalid.")
        found = self.engine.orders(account.token, symbol, open_only=True)
        orders = []
        for o in found:
            entry = self.order_json(o)
            entry.pop("transactTime")
            entry.pop("fills")
            orders.append(entry)
        info = {"page": 1, "per_page": PAGE, "count": len(orders), "total_count": len(orders)}
        return ok({"orders": orders}, info)

    async def trades(self, request: web.Request, account: WallexAccountState) -> web.Response:
        self.bind(account)
        self.engine.sweep()
        symbol = request.query.get("symbol")
        if symbol is not None and symbol not in self.markets:
            return invalid("symbol", "The selected symbol is invalid.")
        side = request.query.get("side")
        if side is not None and side not in ("buy", "sell"):
            return invalid("side", "The selected side is invalid.")
        active = request.query.get("active")
        if active is not None and active not in ("true", "false", "1", "0"):
            return invalid("active", "The active field must be true or false.")
        rows = []
        for o in self.engine.orders(account.token, symbol):
            if o.order_id not in self.meta or (side is not None and o.side != side):
                continue
            rows.extend(self.trade_rows(o))
        if active is not None:
            wanted = active in ("true", "1")
            rows = [r for r in rows if r["_order_open"] == wanted]
        rows.sort(key=lambda r: r["_at"], reverse=True)
        page = [_public(r) for r in rows[:PAGE]]
        info = {"page": 1, "per_page": PAGE, "count": len(page), "total_count": len(rows)}
        return ok({"AccountLatestTrades": page}, info)


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _zulu(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
