"""ALP.COM's signed methods, as the document gives them (seed 002).

Served, for the accounts the sandbox holds (``add_account``; one demo account with the
credentials ``DEMO_API_KEY``/``DEMO_API_SECRET`` is always present):

- v1 ``GET /api/v1/wallets/`` (filter ``currency_id``): ``[{"currency", "balance",
  "reserve"}]``, one wallet per listed currency, amounts padded to eight places as in
  the example (``0.00000000``);
- v3 ``GET /api/v3/accounts`` (``include_subaccounts``), ``GET /api/v3/accounts/balances``
  and ``GET /api/v3/feeinfo``, in the shapes of the document's examples; the balances
  list the spot wallets, then the margin wallets (``CROSS_MARGIN`` with an empty pair,
  ``ISOLATED_MARGIN`` with its pair) that ``sandbox.alp.margin`` keeps.

Authentication, from the "Authorization" section: ``X-KEY`` names the key, ``X-SIGN``
must be the lowercase hex HMAC-SHA256, under the key's secret, of the key followed by
the call's POST data sorted by key and url-encoded, and ``X-NONCE`` an integer greater
than the nonce of the key's previous accepted call. Checked in that order — headers
present, key known, signature, nonce — and a refused call does not move the nonce.

Where the document is silent or contradicts itself:
- Serialising the payload: the Python example uses ``urlencode`` (space → ``+``), the
  JavaScript one ``encodeURIComponent`` (space → ``%20``, ``!'()*`` kept); a signature
  made either way is accepted.
- A GET has no POST data, so it signs ``{}`` (as every GET example does); its query
  string is not part of the signature.
- v3 says only "include valid api-secret and api-key". The sandbox authenticates v3
  exactly as v1 (same key pair, same three headers, one nonce sequence per key for
  both), so the secret never travels.
- Refusals: the document shows no v1 error body; v1 answers as the Django REST
  Framework service it is (see ``replies``): 401 ``{"detail": reason}``. v3 documents
  only the status, 401; its body is ``{"code": "UNAUTHORIZED", "message": reason}``
  (400s likewise with ``BAD_REQUEST``).
- Rate limit: "2 calls per second from single account to authorization required
  methods" is stated for v1; it is applied (after authentication, as DRF throttles)
  to the v1 signed methods, with DRF's 429. v3 states no limit.
- ``wallets/``'s ``currency_id`` takes a currency code (the document's currencies have
  no other id). ``balance`` is the available amount, ``reserve`` the part locked in
  orders (v3: "locked in orders"; its wallet activity moves amounts between the two).
- Fee rates are fractions of the traded value (the v3 trade example: ``fee_rate``
  0.001 on 23400.34 × 0.05 gives ``fee_amount`` 1.170017).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlencode

from aiohttp import web

from sandbox.alp.catalogue import Positional, bare, fixed
from sandbox.alp.replies import INVALID_CHOICE, Throttle, field_error
from sandbox.market import SimulatedMarket
from sandbox.wire import json_response

DEMO_API_KEY = "0000-0000-alp-demo-key"
DEMO_API_SECRET = "alp-demo-secret-Z%2Fsandbox"
DEMO_ACCOUNT_ID = 25  # the document's own example account id
PLACES = 8  # v1 writes amounts with eight places

NO_CREDENTIALS = "Authentication credentials were not provided."
UNKNOWN_KEY = "Invalid API key."
BAD_SIGNATURE = "Invalid signature."
BAD_NONCE = "Invalid nonce: it must be an integer."
STALE_NONCE = "Invalid nonce: it must be greater than the nonce of the previous call."

_DIGITS = re.compile(r"[0-9]{1,19}")
_JS_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves as is, besides letters and digits
_GO_BOOLS = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}


@dataclass
class Wallet:
    balance: Decimal  # available
    reserve: Decimal  # locked in orders


@dataclass(frozen=True, slots=True)
class FeeRule:
    """One row of ``feeinfo``: rates are fractions (0.001 is 0.1 %)."""

    taker_fee_rate: Decimal
    maker_fee_rate: Decimal
    fee_currency: str = "USDT"
    pair: str = ""
    currency: str = ""
    priority: int = 1
    is_active: bool = True


DEFAULT_FEES: tuple[FeeRule, ...] = (FeeRule(Decimal("0.002"), Decimal("0.001")),)


@dataclass
class SandboxAccount:
    """An ALP.COM account with one API key; ``nonces`` lists every nonce it accepted."""

    id: int
    name: str
    email: str
    key: str
    secret: str
    wallets: dict[str, Wallet]
    fees: list[FeeRule]
    last_nonce: int = 0
    nonces: list[int] = field(default_factory=list)
    # Margin wallets: (wallet type, pair — "" for cross margin) → currency → wallet.
    margin: dict[tuple[str, str], dict[str, Wallet]] = field(default_factory=dict)


Signed = Callable[[web.Request, SandboxAccount], Awaitable[web.Response]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _python_form(payload: Mapping[str, str]) -> str:
    return urlencode(sorted(payload.items()))


def _javascript_form(payload: Mapping[str, str]) -> str:
    return "&".join(f"{k}={quote(payload[k], safe=_JS_SAFE)}" for k in sorted(payload))


def signature_ok(account: SandboxAccount, payload: Mapping[str, str], given: str) -> bool:
    """Whether ``given`` signs key + payload under the secret, by either example's reading."""
    for form in (_python_form(payload), _javascript_form(payload)):
        expected = hmac.new(
            account.secret.encode("utf-8"),
            (account.key + form).encode("utf-8"),
            hashlib.sha256,
        ).hexdigest()
        if hmac.compare_digest(expected, given):
            return True
    return False


class _Number(str):
    """A JSON number kept as the digits it was written with."""


def _compact(value: object) -> str:
    """Compact JSON of a parsed value, its numbers written with their own digits."""
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, list):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_compact(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _text(value: object) -> str:
    """A JSON value as the text it is signed as: strings and numbers as written, true/
    false, null as empty, anything nested as compact JSON (``[1,5,8]``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return str.__str__(value)
    return _compact(value)


async def signed_payload(request: web.Request) -> dict[str, str] | web.Response:
    """The POST data a signature covers: the form fields, or the top-level fields of a
    JSON body, each as the text it was written with (a number's own digits)."""
    if request.method == "GET":
        return {}
    raw = await request.read()
    if not raw:
        return {}
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        # Numbers kept as their literal text, so ``0.00000010`` is signed as written.
        body = json.loads(raw, parse_float=_Number, parse_int=_Number)
    except ValueError:
        return v3_bad_request("the body is not valid JSON")
    if not isinstance(body, dict):
        return v3_bad_request("the body must be a JSON object")
    return {str(k): _text(v) for k, v in body.items()}


def v1_refused(reason: str) -> web.Response:
    return json_response({"detail": reason}, status=401)


def v3_refused(reason: str) -> web.Response:
    return json_response({"code": "UNAUTHORIZED", "message": reason}, status=401)


def v3_bad_request(reason: str) -> web.Response:
    return json_response({"code": "BAD_REQUEST", "message": reason}, status=400)


def _amount(value: Decimal | str, what: str) -> Decimal:
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount != round(amount, PLACES):
        raise ValueError(f"{what} must be a non-negative amount with at most {PLACES} places")
    return amount


def _v3_number(value: Decimal) -> Decimal:
    """Written as in the v3 examples: ``2000.0``, ``500.0``, ``0.05``."""
    exact = value.normalize()
    if exact == exact.to_integral_value():
        return Positional(value.quantize(Decimal("0.0")))
    return Positional(exact)


class PrivateApi:
    """The signed v1 and v3 route group, and the accounts it serves."""

    def __init__(
        self, market: SimulatedMarket, currencies: Sequence[str], throttle: Throttle
    ) -> None:
        self.market = market
        self.currencies = list(currencies)
        self.throttle = throttle
        self.accounts: dict[str, SandboxAccount] = {}
        # Told of every new account (the trading engine books its wallets).
        self.on_account: Callable[[SandboxAccount], None] | None = None
        self._next_id = DEMO_ACCOUNT_ID
        self.demo = self.add_account(
            {
                "BTC": ("0.52310000", "0.01500000"),
                "ETH": ("3.2", "0"),
                "USDT": ("1520.75", "250"),
                "TRX": ("12000", "0"),
            },
            key=DEMO_API_KEY,
            secret=DEMO_API_SECRET,
            name="Sarraf demo",
            email="demo@alp.sandbox",
            fees=(
                FeeRule(Decimal("0.0015"), Decimal("0.0008"), pair="BTC_USDT", priority=1),
                FeeRule(Decimal("0.002"), Decimal("0.001"), priority=2),
            ),
        )

    def add_account(
        self,
        balances: Mapping[str, tuple[Decimal | str, Decimal | str]] | None = None,
        *,
        key: str | None = None,
        secret: str | None = None,
        name: str = "",
        email: str = "",
        fees: Sequence[FeeRule] | None = None,
    ) -> SandboxAccount:
        """A new account holding ``balances`` (currency → (available, locked)).

        Credentials are generated when not given; the returned account carries them.
        """
        key = key or secrets.token_hex(16)
        if key in self.accounts:
            raise ValueError("that API key is already in use")
        wallets = {
            code.upper(): Wallet(_amount(avail, "balance"), _amount(locked, "reserve"))
            for code, (avail, locked) in (balances or {}).items()
        }
        account = SandboxAccount(
            id=self._next_id,
            name=name or f"account {self._next_id}",
            email=email or f"user{self._next_id}@alp.sandbox",
            key=key,
            secret=secret or secrets.token_urlsafe(24),
            wallets=wallets,
            fees=list(DEFAULT_FEES if fees is None else fees),
        )
        self._next_id += 1
        self.accounts[key] = account
        if self.on_account is not None:
            self.on_account(account)
        return account

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/v1/wallets/", self._v1(self.wallets)),
            web.get("/api/v3/feeinfo", self._v3(self.fee_info)),
            web.get("/api/v3/accounts", self._v3(self.account_list)),
            web.get("/api/v3/accounts/balances", self._v3(self.balances)),
        ]

    # --- authentication -----------------------------------------------------------------
    def authenticate(
        self, request: web.Request, payload: Mapping[str, str] | None = None
    ) -> SandboxAccount | str:
        """The caller's account, or the reason it is refused (its nonce then unchanged).

        ``payload`` is the call's POST data as text (``signed_payload``); {} for a GET."""
        key = request.headers.get("X-KEY", "")
        given = request.headers.get("X-SIGN", "")
        nonce_text = request.headers.get("X-NONCE", "")
        if not key or not given or not nonce_text:
            return NO_CREDENTIALS
        account = self.accounts.get(key)
        if account is None:
            return UNKNOWN_KEY
        if not signature_ok(account, payload or {}, given):
            return BAD_SIGNATURE
        if not _DIGITS.fullmatch(nonce_text):
            return BAD_NONCE
        nonce = int(nonce_text)
        if nonce <= account.last_nonce:
            return STALE_NONCE
        account.last_nonce = nonce
        account.nonces.append(nonce)
        return account

    def v1(self, handler: Signed) -> Handler:
        """``handler`` behind v1's authentication and per-account throttle."""
        return self._v1(handler)

    def v3(self, handler: Signed) -> Handler:
        """``handler`` behind v3's authentication."""
        return self._v3(handler)

    def _v1(self, handler: Signed) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            payload = await signed_payload(request)
            if isinstance(payload, web.Response):
                return payload
            found = self.authenticate(request, payload)
            if isinstance(found, str):
                return v1_refused(found)
            refused = self.throttle.check(f"account:{found.id}")
            return refused if refused is not None else await handler(request, found)

        return guarded

    def _v3(self, handler: Signed) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            payload = await signed_payload(request)
            if isinstance(payload, web.Response):
                return payload
            found = self.authenticate(request, payload)
            if isinstance(found, str):
                return v3_refused(found)
            return await handler(request, found)

        return guarded

    # --- v1 -------------------------------------------------------------------------------
    def _listed(self, account: SandboxAccount) -> list[str]:
        return sorted(set(self.currencies) | set(account.wallets))

    async def wallets(self, request: web.Request, account: SandboxAccount) -> web.Response:
        codes = self._listed(account)
        wanted = request.query.get("currency_id")
        if wanted:
            if wanted not in codes:
                return field_error("currency_id", INVALID_CHOICE)
            codes = [wanted]
        empty = Wallet(Decimal(0), Decimal(0))
        return json_response(
            [
                {
                    "currency": code,
                    "balance": fixed(account.wallets.get(code, empty).balance, PLACES),
                    "reserve": fixed(account.wallets.get(code, empty).reserve, PLACES),
                }
                for code in codes
            ]
        )

    # --- v3 -------------------------------------------------------------------------------
    def _stamp(self) -> str:
        return datetime.fromtimestamp(self.market.now(), tz=UTC).isoformat(timespec="microseconds")

    async def fee_info(self, request: web.Request, account: SandboxAccount) -> web.Response:
        return json_response(
            [
                {
                    "name": account.name,
                    "account_id": account.id,
                    "is_active": rule.is_active,
                    "currency": rule.currency,
                    "pair": rule.pair,
                    "taker_fee_rate": bare(rule.taker_fee_rate, PLACES),
                    "maker_fee_rate": bare(rule.maker_fee_rate, PLACES),
                    "fee_currency": rule.fee_currency,
                    "priority": rule.priority,
                }
                for rule in account.fees
            ]
        )

    async def account_list(self, request: web.Request, account: SandboxAccount) -> web.Response:
        raw = request.query.get("include_subaccounts")
        if raw is not None and raw.lower() not in _GO_BOOLS:
            return v3_bad_request("include_subaccounts must be a boolean")
        # Sandbox accounts have no sub-accounts, so the flag changes nothing.
        return json_response(
            [{"id": account.id, "name": account.name, "email": account.email, "id_parent": 0}]
        )

    async def balances(self, request: web.Request, account: SandboxAccount) -> web.Response:
        stamp = self._stamp()
        rows = [("SPOT", "", code, w) for code, w in sorted(account.wallets.items())]
        for (wallet_type, pair), held in sorted(account.margin.items()):
            rows.extend((wallet_type, pair, code, w) for code, w in sorted(held.items()))
        return json_response(
            [
                {
                    "account_id": account.id,
                    "balance": _v3_number(wallet.balance),
                    "reserve": _v3_number(wallet.reserve),
                    "currency": code,
                    "pair": pair,
                    "wallet_type": wallet_type,
                    "last_update_at": stamp,
                }
                for wallet_type, pair, code, wallet in rows
            ]
        )
