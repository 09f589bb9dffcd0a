"""The Narkasa sandbox's accounts and its check of signed requests (seed 001, "Security").

Pure data and pure checks, no aiohttp: ``server.py`` turns them into endpoints.

The check, step by step (every refusal is an entry of the document's error table):
1. No ``X-APNK-APIKEY`` header, or no ``signature`` parameter: 20000 "Authorization
   required".
2. No ``timestamp``: 20003 "Timestamp parameter is missing". A ``timestamp`` or
   ``windowSize`` that is not a whole number (or a window that is not positive), or a
   parameter given twice: 90001 "Invalid Request".
3. A key no account has: 20001 "Invalid API key or secret".
4. A signature that is not the HMAC-SHA256, under the account's secret, of the query
   string exactly as received without its ``signature`` parameter: 20001 again (the
   document has one code for a wrong key and a wrong secret).
5. ``timestamp`` farther than ``windowSize`` (default 10000 ms) from the server's
   clock, either way: 20004 "Timestamp difference limit exceeded". The document's
   pseudo-code tests only ``serverTime - timestamp <= windowSize``; its prose speaks of
   the "difference" of the two, which is what is checked, so a timestamp from the
   future is refused too. The document sets no upper limit on ``windowSize`` and
   neither does the sandbox.
6. An account limited to some IP addresses, called from another: 20002
   "Unauthorized IP".
7. An account that is not registered (closed): 10010 "Account not registered".

Where the document is silent: what is signed is the raw query string (the
document's example signs its query, and its every signed parameter travels there,
even for POST); a body is not read. The check runs after the harness has recorded
the request, so tests see refused requests too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote_plus

DEFAULT_WINDOW_MS = 10_000
KEY_HEADER = "X-APNK-APIKEY"

AUTHORIZATION_REQUIRED = 20000
INVALID_KEY_OR_SECRET = 20001
UNAUTHORIZED_IP = 20002
TIMESTAMP_MISSING = 20003
TIMESTAMP_EXCEEDED = 20004
ACCOUNT_NOT_REGISTERED = 10010
IDENTITY_REQUIRED = 10026
DEPOSIT_DISABLED = 10027
INVALID_REQUEST = 90001

# The demo account ``sarraf demo`` connects with (not a secret: it opens only this sandbox).
DEMO_API_KEY = "SandboxDemoNarkasaApiKey0000000000000000000000000000000000000001"
DEMO_API_SECRET = "SandboxDemoNarkasaApiSecret000000000000000000000000000000000000002"
DEMO_BALANCES: dict[str, tuple[Decimal, Decimal]] = {  # currency: (available, reserved)
    "TRY": (Decimal("48250.75"), Decimal("1500.00")),
    "BTC": (Decimal("0.01843210"), Decimal("0.00250000")),
    "ETH": (Decimal("0.75000000"), Decimal("0")),
    "USDT": (Decimal("1250.500000"), Decimal("100.000000")),
}


@dataclass(frozen=True, slots=True)
class Channel:
    """A deposit channel (network). ``fixed_address`` is the same for every account
    (a bank account for TRY); otherwise each account has its own address."""

    name: str
    enabled: bool = True
    fixed_address: str | None = None


@dataclass(frozen=True, slots=True)
class Currency:
    symbol: str
    name: str
    places: int  # the document's ``maxLength``
    min_deposit: Decimal
    channels: tuple[Channel, ...]
    deposit_enabled: bool = True
    withdraw_enabled: bool = True

    @property
    def id(self) -> str:
        """A 72-hex-digit id shaped like the document's examples."""
        return hashlib.sha256(self.symbol.encode()).hexdigest() + "c0ffee00"


CURRENCIES: tuple[Currency, ...] = (
    Currency(
        "TRY",
        "Türk Lirası",
        2,
        Decimal("10"),
        (Channel("VAKIFBANK", fixed_address="TR 34 0001 5001 5800 7308 8132 39"),),
    ),
    Currency("BTC", "Bitcoin", 8, Decimal("0.0001"), (Channel("BTC"),)),
    Currency("ETH", "Ethereum", 8, Decimal("0.001"), (Channel("ERC20"),)),
    Currency("USDT", "Tether", 6, Decimal("1"), (Channel("ERC20"), Channel("TRC20"))),
    Currency("LTC", "Litecoin", 8, Decimal("0.001"), (Channel("LTC"),)),
    Currency("TRX", "Tron", 6, Decimal("1"), (Channel("TRC20"),)),
    Currency("DOGE", "Dogecoin", 8, Decimal("10"), (Channel("DOGE", enabled=False),)),
    Currency("SOL", "Solana", 8, Decimal("0.01"), (Channel("SOL"),), deposit_enabled=False),
)
CURRENCY_BY_SYMBOL = {c.symbol: c for c in CURRENCIES}

# How each network's addresses start, so generated ones look like the real thing.
_ADDRESS_PREFIX = {"BTC": "bc1q", "ERC20": "0x", "TRC20": "T", "LTC": "ltc1q", "DOGE": "D"}
_ALPHANUMERIC = string.ascii_letters + string.digits


def new_credential() -> str:
    """64 letters and digits, the shape of the document's example key and secret."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(64))


def generated_address(key: str, currency: str, channel: str) -> str:
    """A stable per-account address: the same account always gets the same one."""
    digest = hashlib.sha256(f"{key}|{currency}|{channel}".encode()).hexdigest()
    prefix = _ADDRESS_PREFIX.get(channel, "")
    return prefix + (digest[:40] if prefix == "0x" else digest[: 34 - len(prefix)])


@dataclass
class Account:
    key: str
    secret: str
    balances: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    addresses: dict[tuple[str, str], str] = field(default_factory=dict)
    registered: bool = True
    verified: bool = True
    allowed_ips: frozenset[str] | None = None
    # currency -> saved withdrawal addresses as (name, address), for ``balance/withdraw``.
    withdraw_addresses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Account(key={self.key[:6]}…)"

    def address(self, currency: Currency, channel: Channel) -> str:
        if channel.fixed_address is not None:
            return channel.fixed_address
        found = self.addresses.get((currency.symbol, channel.name))
        return found or generated_address(self.key, currency.symbol, channel.name)

    def wallet(self) -> list[dict[str, object]]:
        """Every listed currency (zeros where nothing is held), then any other held."""
        symbols = [c.symbol for c in CURRENCIES]
        symbols += sorted(s for s in self.balances if s not in CURRENCY_BY_SYMBOL)
        out: list[dict[str, object]] = []
        for symbol in symbols:
            available, reserved = self.balances.get(symbol, (Decimal(0), Decimal(0)))
            out.append(
                {
                    "symbol": symbol,
                    "total": available + reserved,
                    "available": available,
                    "reserved": reserved,
                }
            )
        return out


class Refused(Exception):
    """A signed request refused with one of the document's codes."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def split_query(raw_query: str) -> list[tuple[str, str]]:
    """The raw query's parameters in order, decoded (``+`` as space, as forms do)."""
    out = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out.append((unquote_plus(name), unquote_plus(value)))
    return out


def signed_payload(raw_query: str) -> str:
    """The text the signature covers: the query exactly as received, less its
    ``signature`` parameter."""
    return "&".join(
        part
        for part in raw_query.split("&")
        if part and unquote_plus(part.partition("=")[0]) != "signature"
    )


def signature_of(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _whole_number(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise Refused(INVALID_REQUEST)
    return int(value)


def check_signed(
    accounts: Mapping[str, Account],
    *,
    key: str | None,
    raw_query: str,
    now_ms: int,
    remote: str | None,
) -> tuple[Account, dict[str, str]]:
    """The account a signed request comes from and its own parameters (without
    ``timestamp``, ``windowSize`` and ``signature``), or ``Refused``."""
    params = split_query(raw_query)
    names = [name for name, _ in params]
    values = dict(params)
    if not key or "signature" not in values:
        raise Refused(AUTHORIZATION_REQUIRED)
    if "timestamp" not in values:
        raise Refused(TIMESTAMP_MISSING)
    if len(set(names)) != len(names):
        raise Refused(INVALID_REQUEST)
    timestamp = _whole_number(values["timestamp"])
    window = _whole_number(values.get("windowSize", str(DEFAULT_WINDOW_MS)))
    if window <= 0:
        raise Refused(INVALID_REQUEST)
    account = accounts.get(key)
    if account is None:
        raise Refused(INVALID_KEY_OR_SECRET)
    expected = signature_of(account.secret, signed_payload(raw_query))
    if not hmac.compare_digest(expected, values["signature"].strip().lower()):
        raise Refused(INVALID_KEY_OR_SECRET)
    if abs(now_ms - timestamp) > window:
        raise Refused(TIMESTAMP_EXCEEDED)
    if account.allowed_ips is not None and remote not in account.allowed_ips:
        raise Refused(UNAUTHORIZED_IP)
    if not account.registered:
        raise Refused(ACCOUNT_NOT_REGISTERED)
    own = {k: v for k, v in values.items() if k not in ("signature", "timestamp", "windowSize")}
    return account, own


def make_account(
    key: str | None = None,
    secret: str | None = None,
    *,
    balances: Mapping[str, tuple[Decimal | str, Decimal | str]] | None = None,
    addresses: Mapping[tuple[str, str], str] | None = None,
    registered: bool = True,
    verified: bool = True,
    allowed_ips: Iterable[str] | None = None,
) -> Account:
    return Account(
        key=key or new_credential(),
        secret=secret or new_credential(),
        balances={c.upper(): (Decimal(a), Decimal(r)) for c, (a, r) in (balances or {}).items()},
        addresses=dict(addresses or {}),
        registered=registered,
        verified=verified,
        allowed_ips=frozenset(allowed_ips) if allowed_ips is not None else None,
    )
