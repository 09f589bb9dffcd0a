"""Wallex private REST endpoints, written from the Wallex API document (seed 000).

Served: ``GET /v1/account/profile``, ``/v1/account/balances``, ``/v1/account/fee``
and ``/v1/account/wallets/{currency}``, each in the document's own shapes (balances
with ``value`` as the *total* and ``locked``; fee rates as fractions per market plus
``default`` and ``metaData``; wallets per network with ``deposit_availability``).

The private Socket.IO channel: the document says its ``stream_key`` is in "the
output of the login method", which it does not document; the login answer and the
profile describe the same user, so the sandbox puts ``stream_key`` in the profile's
``result`` (one per account, ``DEMO_STREAM_KEY`` for the demo).

Authentication is the document's only scheme: ``Authorization: Bearer <token>`` on
every private call, nothing signed. The document shows no error body; Wallex runs on
Laravel, whose API guard answers a missing header, another scheme (``x-api-key``,
``Token …``) or an unknown or revoked token alike with HTTP 401 and, in Wallex's
envelope, ``{"success": false, "message": "Unauthenticated.", "result": []}``. An
unknown currency in the wallet path is Laravel's validation answer (422).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from sandbox.market import quantize
from sandbox.wire import json_response

UNAUTHENTICATED: dict[str, Any] = {"success": False, "message": "Unauthenticated.", "result": []}

DEMO_TOKEN = "wallex-sandbox-demo-token-7f3a9c2e51b84d06"
"""The demo account's API token (``sarraf demo`` connects with it)."""
DEMO_STREAM_KEY = "wallex-sandbox-demo-stream-key-2b6e0d9a"

ASSET_NAMES: dict[str, str] = {
    "BTC": "بیت کوین",
    "ETH": "اتریوم",
    "USDT": "تتر",
    "LTC": "لایت کوین",
    "DOGE": "دوج کوین",
    "SOL": "سولانا",
    "TRX": "ترون",
    "TMN": "تومان",
}
ASSET_NAMES_EN: dict[str, str] = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "USDT": "Tether",
    "LTC": "Litecoin",
    "DOGE": "Dogecoin",
    "SOL": "Solana",
    "TRX": "Tron",
}
FIAT = frozenset({"TMN"})
# Networks each coin is deposited on, in the order the wallet endpoint lists them.
NETWORKS: dict[str, tuple[str, ...]] = {
    "BTC": ("BTC",),
    "ETH": ("ERC20",),
    "USDT": ("ERC20", "TRC20"),
    "LTC": ("LTC",),
    "DOGE": ("DOGE",),
    "SOL": ("SOL",),
    "TRX": ("TRC20",),
}
# metaData of /v1/account/fee, as in the document.
FEE_LEVELS = (
    0, 5000000, 20000000, 50000000, 100000000, 500000000, 2000000000,
    10000000000, 50000000000, 100000000000,
)  # fmt: skip
FEE_COIN_LEVELS = (0, 1000, 3000, 10000, 50000, 100000, 500000, 1000000)


@dataclass
class WalletNetwork:
    """One deposit network of one coin of one account."""

    name: str
    address: str | None
    memo: str | None = None
    deposit: bool = True
    withdrawal: bool = True
    min_confirmation: int = 1
    transaction_fee: Decimal = Decimal("1")
    min_withdrawal_value: Decimal = Decimal("5")
    min_deposit_value: Decimal = Decimal("2")


@dataclass
class BankEntry:
    """One bank card (``kind`` "card", 16 digits) or IBAN ("iban", ``IR`` + 24 digits)."""

    kind: str
    id: int
    number: str
    status: str


_bank_ids = itertools.count(10)


@dataclass
class WallexAccountState:
    """One Wallex user as the sandbox holds it; tests read and change it freely."""

    token: str
    client_id: int
    first_name: str
    last_name: str
    email: str
    mobile_number: str
    verification: str = "VERIFIED"
    created_at: str = "2020-11-22T18:47:27Z"
    # asset → (available, locked); the wire's ``value`` is their sum.
    balances: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    # coin → its networks.
    wallets: dict[str, list[WalletNetwork]] = field(default_factory=dict)
    coin_deposit: dict[str, bool] = field(default_factory=dict)
    recent_days_sum_tmn: Decimal = Decimal("240448")
    recent_days_sum_coin: Decimal = Decimal("0")
    tmn_fees: tuple[Decimal, Decimal] = (Decimal("0.003"), Decimal("0.004"))
    coin_fees: tuple[Decimal, Decimal] = (Decimal("0.002"), Decimal("0.002"))
    # The account's private Socket.IO channel (``{"channel": stream_key}``).
    stream_key: str = field(default_factory=lambda: secrets.token_hex(20))
    # Bank cards and IBANs (``banks.py``), ids unique across the sandbox.
    banks: list[BankEntry] = field(default_factory=list)

    def add_bank(self, kind: str, number: str, status: str = "PENDING") -> BankEntry:
        entry = BankEntry(kind, next(_bank_ids), number, status)
        self.banks.append(entry)
        return entry


def made_up_address(token: str, coin: str, network: str) -> str:
    """A stable, address-looking string per account, coin and network."""
    digest = hashlib.sha256(f"{token}/{coin}/{network}".encode()).hexdigest()
    if network in ("ERC20",):
        return "0x" + digest[:40]
    if network == "TRC20":
        return "T" + digest[:33]
    if network == "BTC":
        return "bc1q" + digest[:38]
    return network[0].upper() + digest[:33]


def _amount(value: Decimal, asset: str) -> str:
    """Balances as the document writes them: TMN whole, coins with 8 places."""
    return str(quantize(value, 0 if asset in FIAT else 8))


def _rate(value: Decimal) -> str:
    return str(quantize(value, 8))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PrivateHandler = Callable[[web.Request, WallexAccountState], Awaitable[web.Response]]


class WallexPrivate:
    """The accounts and the private routes of the Wallex sandbox."""

    def __init__(self, market_symbols: Mapping[str, str]) -> None:
        # symbol → quote asset, for the per-market fee table.
        self.market_symbols = dict(market_symbols)
        self.accounts: dict[str, WallexAccountState] = {}
        self._next_client_id = 1000
        # Told of every new account (the trading engine books its balances).
        self.on_account: Callable[[WallexAccountState], None] | None = None
        self.demo = self.add_account(
            DEMO_TOKEN,
            stream_key=DEMO_STREAM_KEY,
            first_name="Sara",
            last_name="Demo",
            email="sara.demo@example.com",
            mobile_number="09120000000",
            balances={
                "TMN": ("25000000", "1500000"),
                "BTC": ("0.01234567", "0.00100000"),
                "USDT": ("562.479462", "0"),
                "ETH": ("0.5", "0.25"),
            },
        )

    # --- accounts -----------------------------------------------------------------
    def add_account(
        self,
        token: str | None = None,
        *,
        first_name: str = "محمد",
        last_name: str = "محمدی",
        email: str = "something@something.com",
        mobile_number: str = "09123456789",
        balances: Mapping[str, tuple[str | Decimal, str | Decimal]] | None = None,
        wallets: Mapping[str, list[WalletNetwork]] | None = None,
        stream_key: str | None = None,
    ) -> WallexAccountState:
        """A new account holding ``balances`` (asset → (available, locked)); every
        known asset is listed, at zero when not given. Each coin gets a made-up
        address per network unless ``wallets`` says otherwise."""
        token = token or secrets.token_urlsafe(32)
        self._next_client_id += 1
        held = {asset: (Decimal(0), Decimal(0)) for asset in ASSET_NAMES}
        for asset, (available, locked) in (balances or {}).items():
            held[asset.upper()] = (Decimal(available), Decimal(locked))
        coin_wallets = {
            coin: [WalletNetwork(net, made_up_address(token, coin, net)) for net in nets]
            for coin, nets in NETWORKS.items()
        }
        for coin, nets in (wallets or {}).items():
            coin_wallets[coin.upper()] = list(nets)
        account = WallexAccountState(
            token=token,
            client_id=self._next_client_id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            mobile_number=mobile_number,
            balances=held,
            wallets=coin_wallets,
        )
        if stream_key is not None:
            account.stream_key = stream_key
        self.accounts[token] = account
        if self.on_account is not None:
            self.on_account(account)
        return account

    def by_stream_key(self, key: str) -> WallexAccountState | None:
        return next((a for a in self.accounts.values() if a.stream_key == key), None)

    def revoke(self, token: str) -> None:
        """The user deleted the token on Wallex: it is unknown from now on."""
        self.accounts.pop(token, None)

    # --- routing ------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/account/profile", self._private(self.profile))
        app.router.add_get("/v1/account/balances", self._private(self.balances))
        app.router.add_get("/v1/account/fee", self._private(self.fee))
        app.router.add_get("/v1/account/wallets/{currency}", self._private(self.wallet))

    def authenticate(self, request: web.Request) -> WallexAccountState | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        # The scheme is case-insensitive (RFC 7235, and Laravel's bearerToken());
        # the token is taken exactly as sent after one blank.
        if scheme.lower() != "bearer" or not token or token != token.strip():
            return None
        return self.accounts.get(token)

    def guard(self, handler: PrivateHandler) -> Handler:
        return self._private(handler)

    def _private(self, handler: PrivateHandler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            account = self.authenticate(request)
            if account is None:
                return json_response(UNAUTHENTICATED, status=401)
            return await handler(request, account)

        return guarded

    # --- endpoints ----------------------------------------------------------------
    async def profile(self, request: web.Request, a: WallexAccountState) -> web.Response:
        verified = "ACCEPTED" if a.verification == "VERIFIED" else "PENDING"
        return ok(
            {
                "client_id": a.client_id,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "national_code": "0123456789",
                "birthday": "1997-03-10T00:00:00Z",
                "address": {
                    "city": "تهران",
                    "country": "ایران",
                    "location": "سعادت آباد - بلوار سعادت آباد",
                    "province": "تهران",
                    "postal_code": "1234567890",
                    "house_number": "10",
                },
                "phone_number": {"area_code": "021", "main_number": "12345678"},
                "mobile_number": a.mobile_number,
                "email": a.email,
                "verification": a.verification,
                "invite_code": "oX2sym",
                "avatar": None,
                "commission": 25,
                "settings": {
                    "mode": "pro",
                    "theme": "dark",
                    "logins": True,
                    "coin_deposit": True,
                    "default_mode": True,
                    "coin_withdraw": True,
                    "money_deposit": True,
                    "money_withdraw": True,
                    "order_delete_confirm": False,
                    "order_submit_confirm": False,
                },
                "status": {
                    key: verified
                    for key in (
                        "first_name",
                        "last_name",
                        "national_code",
                        "national_card_image",
                        "birthday",
                        "address",
                        "phone_number",
                        "mobile_number",
                        "email",
                    )
                },
                "created_at": a.created_at,
                "updated_at": a.created_at,
                "stream_key": a.stream_key,
            }
        )

    async def balances(self, request: web.Request, a: WallexAccountState) -> web.Response:
        out: dict[str, Any] = {}
        for asset in sorted(a.balances):
            available, locked = a.balances[asset]
            out[asset] = {
                "asset": asset,
                "faName": ASSET_NAMES.get(asset, asset),
                "fiat": asset in FIAT,
                "value": _amount(available + locked, asset),
                "locked": _amount(locked, asset),
            }
        return ok({"balances": out})

    async def fee(self, request: web.Request, a: WallexAccountState) -> web.Response:
        out: dict[str, Any] = {}
        for symbol, quote in self.market_symbols.items():
            tmn = quote == "TMN"
            maker, taker = a.tmn_fees if tmn else a.coin_fees
            out[symbol] = {
                "makerFeeRate": _rate(maker),
                "takerFeeRate": _rate(taker),
                "recent_days_sum": a.recent_days_sum_tmn if tmn else a.recent_days_sum_coin,
            }
        out["default"] = []
        out["metaData"] = {
            "levels": list(FEE_LEVELS),
            "coin_levels": list(FEE_COIN_LEVELS),
            "latestTradesSum": a.recent_days_sum_tmn,
        }
        return ok(out)

    async def wallet(self, request: web.Request, a: WallexAccountState) -> web.Response:
        coin = request.match_info["currency"].upper()
        if coin not in a.wallets:
            return json_response(
                {
                    "success": False,
                    "message": "The given data was invalid.",
                    "result": {"currency": ["The selected currency is invalid."]},
                },
                status=422,
            )
        enabled = a.coin_deposit.get(coin, True)
        wallets = {}
        for net in a.wallets[coin]:
            wallets[net.name] = {
                "network": {
                    "name": net.name,
                    "message": None,
                    "deposit_availability": "ENABLE" if net.deposit else "DISABLE",
                    "withdrawal_availability": "ENABLE" if net.withdrawal else "DISABLE",
                },
                "address": net.address,
                "memo": net.memo,
                "min_confirmation": net.min_confirmation,
                "transaction_fee": net.transaction_fee,
                "min_withdrawal_value": net.min_withdrawal_value,
                "min_deposit_value": net.min_deposit_value,
            }
        return ok(
            {
                "wallets": wallets,
                "coin_type": {
                    "key": coin,
                    "name": ASSET_NAMES.get(coin, coin),
                    "name_en": ASSET_NAMES_EN.get(coin, coin),
                    "type": "ADDRESS",
                    "deposit_availability": "ENABLE" if enabled else "DISABLE",
                    "withdrawal_availability": "ENABLE",
                },
            }
        )


def ok(result: Any) -> web.Response:
    return json_response(
        {"result": result, "message": "The operation was successful", "success": True}
    )
