"""WallexPay API v2 sandbox, written from the WallexPay API document (seed 003) and the
signing scheme the seed index gives for it.

Served: ``GET /api/v2/ping`` (plain ``OK``, unsigned) and the signed ``POST`` calls
``currencies/list``, ``currencies/pairs``, ``currencies/rates``, ``accounts/list`` and
``addresses/take``; the money-moving calls (``withdrawal/crypto``, ``exchange/*``,
``futures/*``, ``invoices/create``), the settling of transactions and the signed
callbacks to the merchant's URL are in ``sandbox.wallexpay.payments`` and
``sandbox.wallexpay.callbacks``. Authentication and body decoding happen once, in
``_signed``; a background sweep (while the app runs) settles what is due and delivers
callbacks.

Merchants: ``add_account`` (or ``add_merchant``) creates one with its balances; the
demo merchant (``DEMO_KEY``/``DEMO_SECRET``, balances ``DEMO_BALANCES``, two addresses
already taken for ``DEMO_FOREIGN_ID``) is always present. ``accounts/list`` answers
every currency, zero balances included, as the document says, with eight decimals
("5973.97568920"). ``addresses/take`` creates a NEW address on every call, as the
document's deposit flow reads ("You obtain new address ... and store it somewhere on
your side"; "you don't have to generate new address for this customer anymore"): it
does not say that the same ``foreign_id`` gives back the same address, so the sandbox
does not either; every address taken stays on the merchant (``Merchant.addresses``).
Addresses are made up deterministically from the merchant's key, the address id and
the currency, in each chain's format (BTC ``3…`` and LTC ``M…`` P2SH, TRX ``T…``
base58check; ETH and USDT, taken as ERC-20, ``0x…``); none of the sandbox's currencies
needs a tag, so ``tag`` is null as in the document's futures example. Its refusals
follow the document's envelope with Laravel's wording: "The foreign id field is
required." (the document's own example), "The selected currency is invalid." for an
unknown, disabled or fiat currency, "The selected convert to is invalid.", and
"Exchange is unavailable for given currencies" (the document's exchange wording) for a
``convert_to`` that forms no pair with ``currency``. Success is HTTP 201 as documented.

Signing: ``X-Processing-Key`` names a merchant, ``X-Processing-Signature`` must be the
lowercase hex HMAC-SHA512 of the raw body under that merchant's secret, and the body
must be JSON (``Content-Type: application/json``). The scheme has no timestamp and no
nonce, so there is no window or sequence to check: every call is checked for its key,
its signature and its content, nothing else. The document shows no answer for a refused
signature; the sandbox answers as the CoinsPaid API v2 WallexPay mirrors does: 403
``{"error": "No key header"|"Bad key header"|"No signature header"|"Bad signature
header", "code": …}`` and 400 ``{"error": "Bad content format", "code":
"bad_content_format"}``.

Validation errors use the document's envelope, HTTP 400 ``{"errors": {param:
reason}}`` with Laravel's wording ("The selected currency from is invalid.").
Amounts and rates are strings with eight decimals as in the document; ``id`` and
``precision`` are numbers. ``currencies/rates`` is documented only as ``OK``: it
answers a list holding the asked pair in the ``currencies/pairs`` shape (as the
CoinsPaid reference does), and an empty list for two known currencies that form no
pair. Rates follow the document's example: ``rate_from`` is ``"1"`` and ``rate_to`` is
the price of the crypto side in the other side — below the market when the merchant
sells crypto, above it when it buys crypto with fiat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.harness import Harness
from sandbox.market import SimulatedMarket, quantize
from sandbox.wallexpay.callbacks import CallbackSender
from sandbox.wallexpay.payments import Payments, Transaction
from sandbox.wire import json_response

PREFIX = "/api/v2"
VENUE = "wallexpay"
DEMO_KEY = "demo-processing-key"
DEMO_SECRET = "demo-processing-secret"
# What the demo merchant holds; every other currency is listed with a zero balance.
DEMO_BALANCES: Mapping[str, str] = {
    "BTC": "0.51234567",
    "ETH": "3.20000000",
    "USDT": "1250.50000000",
    "USD": "5973.97568920",
}
DEMO_FOREIGN_ID = "user-id:2048"  # the document's example; the demo's addresses carry it
DEMO_ADDRESS_CURRENCIES = ("BTC", "USDT")
MARGIN = 0.005  # WallexPay's spread either side of the market, as in the document's example
PLACES = 8


@dataclass(frozen=True, slots=True)
class SandboxCurrency:
    id: int
    code: str
    type: str
    precision: int
    minimum_amount: str
    deposit_fee_percent: str
    withdrawal_fee_percent: str
    min_exchange: str  # least amount sent in an exchange (pair ``min_amount``)
    min_deposit_with_exchange: str | None  # crypto only
    visible: bool = True


CURRENCIES: tuple[SandboxCurrency, ...] = (
    SandboxCurrency(1, "BTC", "crypto", 8, "0.0001", "0.99", "0", "0.00030000", "0.00010000"),
    SandboxCurrency(2, "ETH", "crypto", 8, "0.005", "0.99", "0", "0.01000000", "0.00500000"),
    SandboxCurrency(3, "LTC", "crypto", 8, "0.05", "0.99", "0", "0.20000000", "0.05000000"),
    SandboxCurrency(4, "TRX", "crypto", 6, "20", "0.99", "0", "100.00000000", "20.00000000"),
    SandboxCurrency(5, "USDT", "crypto", 6, "5", "0.5", "0", "20.00000000", "5.00000000"),
    SandboxCurrency(
        6, "DOGE", "crypto", 8, "50", "0.99", "0", "100.00000000", "50.00000000", visible=False
    ),
    SandboxCurrency(7, "USD", "fiat", 2, "10", "0", "0", "25.00000000", None),
)
_FIAT = "USD"
_STABLE = "USDT"
PAIRS: tuple[tuple[str, str], ...] = (
    *((c, _FIAT) for c in ("BTC", "ETH", "LTC", "TRX", "USDT")),
    *((_FIAT, c) for c in ("BTC", "ETH", "LTC", "TRX", "USDT")),
    *((c, _STABLE) for c in ("BTC", "ETH", "LTC", "TRX")),
)


@dataclass(frozen=True, slots=True)
class IssuedAddress:
    """One address ``addresses/take`` gave out, as it serves it."""

    id: int
    currency: str
    address: str
    foreign_id: str
    convert_to: str | None = None
    tag: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "currency": self.currency,
            "convert_to": self.convert_to,
            "address": self.address,
            "tag": self.tag,
            "foreign_id": self.foreign_id,
        }


@dataclass
class Merchant:
    """One merchant account: its processing key and secret, balances and addresses."""

    key: str
    secret: str
    balances: dict[str, Decimal] = field(default_factory=dict)
    addresses: list[IssuedAddress] = field(default_factory=list)
    # Where WallexPay posts this merchant's callbacks (set in its back office).
    callback_url: str | None = None

    def balance(self, currency: str) -> Decimal:
        return self.balances.get(currency, Decimal(0))

    def addresses_for(self, foreign_id: str) -> list[IssuedAddress]:
        return [a for a in self.addresses if a.foreign_id == foreign_id]


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated call: who sent it and its decoded JSON parameters."""

    merchant: Merchant
    params: Mapping[str, Any]
    remote: str = ""
    base_url: str = ""


SignedHandler = Callable[[Call], Awaitable[web.Response]]


def invalid(**reasons: str) -> web.Response:
    return json_response({"errors": reasons}, status=400)


def refused(message: str, code: str, status: int = 403) -> web.Response:
    return json_response({"error": message, "code": code}, status=status)


def places(value: str | Decimal, decimals: int = PLACES) -> str:
    return str(quantize(Decimal(value), decimals))


_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# How each sandbox crypto writes an address: a base58check version byte, or None for
# Ethereum's 0x-hex (USDT is taken as the ERC-20 token).
ADDRESS_VERSIONS: Mapping[str, int | None] = {
    "BTC": 0x05,
    "LTC": 0x32,
    "TRX": 0x41,
    "ETH": None,
    "USDT": None,
    "DOGE": 0x16,
}


def base58check(version: int, payload: bytes) -> str:
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _BASE58[digit] + out
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + out


def make_address(merchant_key: str, address_id: int, currency: str) -> str:
    """A well-formed, deterministic address for one take (same inputs, same address)."""
    digest = hashlib.sha256(f"{merchant_key}|{address_id}|{currency}".encode()).digest()[:20]
    version = ADDRESS_VERSIONS.get(currency)
    if version is None:
        return "0x" + digest.hex()
    return base58check(version, digest)


def as_amount(value: Decimal | str | int) -> Decimal:
    """A balance given to ``add_account``; floats are refused (they are not exact)."""
    if isinstance(value, float | bool):
        raise TypeError("balances are Decimal, str or int")
    return Decimal(value)


class WallexPaySandbox:
    name = "wallexpay"

    def __init__(
        self, market: SimulatedMarket, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.market = market
        self.harness = Harness()
        self.base_url = ""  # this server's root, learnt from the first request
        self.payments = Payments(self, monotonic)
        self._sweeper: asyncio.Task[None] | None = None
        self.merchants: dict[str, Merchant] = {}
        self.currencies = {c.code: c for c in CURRENCIES}
        self.pairs = PAIRS
        self._next_address_id = 1
        demo = self.add_account(DEMO_KEY, DEMO_SECRET, balances=DEMO_BALANCES)
        for code in DEMO_ADDRESS_CURRENCIES:
            self.issue_address(demo, code, DEMO_FOREIGN_ID)

    def add_account(
        self,
        key: str | None = None,
        secret: str | None = None,
        *,
        balances: Mapping[str, Decimal | str | int] | None = None,
    ) -> Merchant:
        """A merchant with these balances; key and secret are made up when not given
        (read them off the returned ``Merchant``)."""
        merchant = Merchant(
            key=key or f"pk-{secrets.token_hex(12)}",
            secret=secret or secrets.token_hex(32),
            balances={code: as_amount(v) for code, v in (balances or {}).items()},
        )
        self.merchants[merchant.key] = merchant
        return merchant

    def add_merchant(self, key: str, secret: str) -> Merchant:
        return self.add_account(key, secret)

    def issue_address(
        self, merchant: Merchant, currency: str, foreign_id: str, convert_to: str | None = None
    ) -> IssuedAddress:
        """A new address for ``merchant``, kept on it (what ``addresses/take`` does)."""
        address_id = self._next_address_id
        self._next_address_id += 1
        issued = IssuedAddress(
            id=address_id,
            currency=currency,
            address=make_address(merchant.key, address_id, currency),
            foreign_id=foreign_id,
            convert_to=convert_to,
        )
        merchant.addresses.append(issued)
        return issued

    def env_vars(self, url: str) -> dict[str, str]:
        # The demo merchant's key lets `sarraf run` show WallexPay's public rates.
        return {
            "WALLEXPAY_API_URL": url,
            "WALLEXPAY_PROCESSING_KEY": DEMO_KEY,
            "WALLEXPAY_PROCESSING_SECRET": DEMO_SECRET,
        }

    def signed_routes(self) -> dict[str, SignedHandler]:
        return {
            "currencies/list": self.currencies_list,
            "currencies/pairs": self.currency_pairs,
            "currencies/rates": self.currency_rates,
            "accounts/list": self.accounts_list,
            "addresses/take": self.addresses_take,
            **self.payments.routes(),
        }

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.harness.middleware])
        app.router.add_get(f"{PREFIX}/ping", self.ping)
        for method, handler in self.signed_routes().items():
            app.router.add_post(f"{PREFIX}/{method}", self._signed(handler))
        app.router.add_get("/invoice/{code}", self.payments.invoice_page)
        app.router.add_post("/_sandbox/callback-url", self.callback_url_setting)
        app.on_startup.append(self._start_sweeping)
        app.on_cleanup.append(self._stop_sweeping)
        return app

    # --- what happens between calls (callbacks, settlement) --------------------------
    def set_callback_url(self, key: str, url: str | None) -> None:
        """Where the merchant with this key receives its callbacks (its back office)."""
        self.merchants[key].callback_url = url

    async def callback_url_setting(self, request: web.Request) -> web.Response:
        """``POST /_sandbox/callback-url`` ``{"key", "url"}``: the back office's setting
        for a sandbox in another process. Not part of WallexPay's API."""
        try:
            body = json.loads(await request.read())
            key, url = body["key"], body.get("url")
        except (ValueError, KeyError, TypeError):
            return json_response({"error": 'send {"key": …, "url": …}'}, status=400)
        if key not in self.merchants:
            return json_response({"error": "no such merchant"}, status=404)
        self.set_callback_url(key, url)
        return json_response({"key": key, "url": url})

    def simulate_deposit(
        self, address: str, amount: str | Decimal, *, double_spend: bool = False
    ) -> Transaction:
        return self.payments.simulate_deposit(address, amount, double_spend=double_spend)

    def pay_invoice(self, invoice_id: int) -> None:
        self.payments.pay_invoice(invoice_id)

    def cancel_withdrawal(self, merchant: Merchant, transaction_id: int) -> None:
        self.payments.cancel_withdrawal(merchant, transaction_id)

    @property
    def callbacks(self) -> CallbackSender:
        return self.payments.callbacks

    async def sweep(self) -> None:
        """Settle what is due and deliver the callbacks that are due."""
        self.payments.advance()
        await self.payments.callbacks.deliver()

    async def _start_sweeping(self, app: web.Application) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="wallexpay-sandbox")

    async def _sweep_forever(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(0.2)

    async def _stop_sweeping(self, app: web.Application) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.payments.callbacks.close()

    # --- authentication ------------------------------------------------------------
    def _signed(self, handler: SignedHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def checked(request: web.Request) -> web.Response:
            raw = await request.read()
            merchant_or_error = self.authenticate(request.headers, raw)
            if isinstance(merchant_or_error, web.Response):
                return merchant_or_error
            if request.content_type != "application/json":
                return refused("Bad content format", "bad_content_format", 400)
            try:
                decoded = json.loads(raw.decode("utf-8"), parse_float=Decimal)
            except (UnicodeDecodeError, ValueError):
                return refused("Bad content format", "bad_content_format", 400)
            if not isinstance(decoded, dict | list):
                return refused("Bad content format", "bad_content_format", 400)
            params = decoded if isinstance(decoded, dict) else {}
            base = f"{request.scheme}://{request.host}"
            self.base_url = self.base_url or base
            call = Call(merchant_or_error, params, remote=request.remote or "", base_url=base)
            return await handler(call)

        return checked

    def authenticate(self, headers: Mapping[str, str], raw: bytes) -> Merchant | web.Response:
        key = headers.get("X-Processing-Key", "")
        if not key:
            return refused("No key header", "required_header_key")
        merchant = self.merchants.get(key)
        if merchant is None:
            return refused("Bad key header", "bad_header_key")
        signature = headers.get("X-Processing-Signature", "")
        if not signature:
            return refused("No signature header", "required_header_signature")
        expected = hmac.new(merchant.secret.encode(), raw, hashlib.sha512).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return refused("Bad signature header", "bad_header_signature")
        return merchant

    # --- rates ---------------------------------------------------------------------
    def rate_to(self, sender: str, receiver: str) -> Decimal:
        """``rate_to`` of a pair: the crypto side's price, margin included."""
        if self.currencies[sender].type == "fiat" and self.currencies[receiver].type != "fiat":
            price = self.market.price(receiver, sender, venue=VENUE) * (1 + MARGIN)
        else:
            price = self.market.price(sender, receiver, venue=VENUE) * (1 - MARGIN)
        return quantize(price, PLACES)

    def pair_object(self, sender: str, receiver: str) -> dict[str, Any]:
        """One pair exactly as ``currencies/pairs`` and ``currencies/rates`` serve it now."""
        src, dst = self.currencies[sender], self.currencies[receiver]
        side: dict[str, Any] = {
            "currency": src.code,
            "type": src.type,
            "min_amount": places(src.min_exchange),
        }
        if src.min_deposit_with_exchange is not None:
            side["min_amount_deposit_with_exchange"] = places(src.min_deposit_with_exchange)
        return {
            "currency_from": side,
            "currency_to": {"currency": dst.code, "type": dst.type},
            "rate_from": "1",
            "rate_to": str(self.rate_to(sender, receiver)),
        }

    # --- validation ----------------------------------------------------------------
    def _currency_param(
        self, params: Mapping[str, Any], name: str, *, required: bool
    ) -> tuple[str | None, str | None]:
        """(currency code, None) or (None, Laravel's reason)."""
        label = name.replace("_", " ")
        value = params.get(name)
        if value is None or value == "":
            return None, (f"The {label} field is required." if required else None)
        if not isinstance(value, str):
            return None, f"The {label} must be a string."
        if value not in self.currencies:
            return None, f"The selected {label} is invalid."
        return value, None

    # --- handlers ------------------------------------------------------------------
    async def ping(self, request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def currencies_list(self, call: Call) -> web.Response:
        visible = call.params.get("visible")
        if visible is not None:
            if visible not in (True, False, 0, 1, "0", "1"):
                return invalid(visible="The visible field must be true or false.")
            visible = visible in (True, 1, "1")
        out = [
            {
                "id": c.id,
                "type": c.type,
                "currency": c.code,
                "minimum_amount": c.minimum_amount,
                "deposit_fee_percent": c.deposit_fee_percent,
                "withdrawal_fee_percent": c.withdrawal_fee_percent,
                "precision": c.precision,
            }
            for c in CURRENCIES
            if visible is None or c.visible == visible
        ]
        return json_response({"data": out})

    async def currency_pairs(self, call: Call) -> web.Response:
        sender, sender_error = self._currency_param(call.params, "currency_from", required=False)
        receiver, receiver_error = self._currency_param(call.params, "currency_to", required=False)
        reasons = {
            k: v for k, v in (("currency_from", sender_error), ("currency_to", receiver_error)) if v
        }
        if reasons:
            return invalid(**reasons)
        out = [
            self.pair_object(a, b)
            for a, b in self.pairs
            if (sender is None or a == sender) and (receiver is None or b == receiver)
        ]
        return json_response({"data": out})

    async def currency_rates(self, call: Call) -> web.Response:
        sender, sender_error = self._currency_param(call.params, "currency_from", required=True)
        receiver, receiver_error = self._currency_param(call.params, "currency_to", required=True)
        reasons = {
            k: v for k, v in (("currency_from", sender_error), ("currency_to", receiver_error)) if v
        }
        if reasons or sender is None or receiver is None:
            return invalid(**reasons)
        if (sender, receiver) not in self.pairs:
            return json_response({"data": []})
        return json_response({"data": [self.pair_object(sender, receiver)]})

    async def accounts_list(self, call: Call) -> web.Response:
        merchant = call.merchant
        out = [
            {"currency": c.code, "type": c.type, "balance": places(merchant.balance(c.code))}
            for c in CURRENCIES
        ]
        return json_response({"data": out})

    async def addresses_take(self, call: Call) -> web.Response:
        params = call.params
        reasons: dict[str, str] = {}
        foreign_id = params.get("foreign_id")
        if foreign_id is None or foreign_id == "":
            reasons["foreign_id"] = "The foreign id field is required."
        elif not isinstance(foreign_id, str):
            reasons["foreign_id"] = "The foreign id must be a string."
        currency, currency_error = self._currency_param(params, "currency", required=True)
        if currency is not None:
            known = self.currencies[currency]
            if known.type != "crypto" or not known.visible:
                currency, currency_error = None, "The selected currency is invalid."
        if currency_error:
            reasons["currency"] = currency_error
        convert_to, convert_error = self._currency_param(params, "convert_to", required=False)
        if convert_error:
            reasons["convert_to"] = convert_error
        if reasons:
            return invalid(**reasons)
        assert currency is not None and isinstance(foreign_id, str)
        if convert_to is not None and (currency, convert_to) not in self.pairs:
            return invalid(convert_to="Exchange is unavailable for given currencies")
        issued = self.issue_address(call.merchant, currency, foreign_id, convert_to)
        return json_response({"data": issued.as_json()}, status=201)
