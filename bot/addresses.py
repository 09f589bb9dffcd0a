"""The address book, and what can be checked of an address before money goes to it.

A withdrawal to an address the user never saved is flagged in bold in its summary:
the address book is the user's own list of destinations they vouched for, per
exchange, currency and network/memo. Shape checks catch typos where the format has
a checksum (Bitcoin, Litecoin and Tron base58check; bech32/bech32m segwit addresses)
or a fixed form (``0x`` + 40 hex digits on Ethereum-like networks); elsewhere only
what no address can contain (spaces, control characters) is refused, and the
exchange has the last word.

Some systems keep an address book of their own (Narkasa: ``balance/withdraw``'s
``addressList`` of each channel, per currency). ``exchange_book`` reads it for
``/addresses EXCHANGE [CURRENCY]``: for one currency when named, otherwise for the
currencies the account holds (at most ``EXCHANGE_BOOK_CURRENCIES``, since the call
takes one currency at a time), with their names from the system's currency list where
it has one (Narkasa ``balance/currencies``). ``saved_on_exchange`` tells ``/withdraw``
that an address saved on the exchange is not an unknown one; a failure to read that
list only leaves the address marked unsaved (the book is a comfort, never a gate).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.accounts import AccountService
from bot.errors import BotError
from exchanges.accounts import AccountClient
from exchanges.errors import ExchangeError, NetworkError
from exchanges.models import ExchangeAddress
from storage.db import Database
from storage.models import SavedAddress
from storage.repos import addresses as repo

MAX_ADDRESSES = 200
EXCHANGE_BOOK_CURRENCIES = 8
LABEL_MAX = 64
_ADDRESS = re.compile(r"^[A-Za-z0-9:._\-]{4,128}$")
_MEMO = re.compile(r"^[A-Za-z0-9:._\-]{1,128}$")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")
_EVM_NETWORKS = {"ETH", "ERC20", "BEP20", "BSC", "BNB", "POLYGON", "MATIC", "ARBITRUM", "OP"}
_TRON_NETWORKS = {"TRX", "TRC20", "TRON"}


class BadAddress(BotError):
    """The address cannot be right; ``reason`` is a message id shown to the user."""

    def __init__(self, address: str, reason: str, currency: str = "") -> None:
        super().__init__(reason)
        self.address = address
        self.reason = reason
        self.currency = currency


class AddressBookFull(BotError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} saved addresses")
        self.limit = limit


class AddressNotFound(BotError):
    pass


def N_(message: str) -> str:
    return message


def _base58_decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        index = _BASE58.find(char)
        if index < 0:
            return None
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def base58check(text: str) -> bytes | None:
    """The payload of a base58check string (version byte first), None if the checksum fails."""
    raw = _base58_decode(text)
    if raw is None or len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def bech32_hrp(text: str) -> str | None:
    """The human-readable part of a valid bech32 or bech32m string, else None."""
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > 90:
        return None
    hrp, data = text[:pos], text[pos + 1 :]
    if any(c not in _BECH32 for c in data):
        return None
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    return hrp if _bech32_polymod(values) in (1, 0x2BC830A3) else None


# Version bytes of base58check addresses (main and test networks) per currency.
_BASE58_VERSIONS: dict[str, set[int]] = {
    "BTC": {0x00, 0x05, 0x6F, 0xC4},
    "LTC": {0x30, 0x32, 0x05, 0x6F, 0x3A, 0xC4},
    "DOGE": {0x1E, 0x16, 0x71, 0xC4},
}
_BECH32_HRPS: dict[str, set[str]] = {"BTC": {"bc", "tb", "bcrt"}, "LTC": {"ltc", "tltc"}}


def check_address(currency: str, address: str, network: str | None = None) -> None:
    """Refuse an address that cannot be right for ``currency`` (on ``network``)."""
    if not _ADDRESS.match(address):
        raise BadAddress(
            address,
            N_("An address has only letters, digits and : . _ - (4 to 128 of them), no spaces."),
        )
    currency = currency.upper()
    net = (network or "").upper()
    if net in _EVM_NETWORKS or (not net and currency in ("ETH", "BNB")):
        if not _HEX40.match(address):
            raise BadAddress(
                address, N_("On this network an address is 0x followed by 40 hex digits.")
            )
        return
    if net in _TRON_NETWORKS or (not net and currency == "TRX"):
        payload = base58check(address)
        if payload is None or len(payload) != 21 or payload[0] != 0x41:
            raise BadAddress(
                address, N_("This is not a Tron address (T…, 34 characters, with a checksum).")
            )
        return
    if currency in _BASE58_VERSIONS and net in ("", currency, "BITCOIN", "LITECOIN", "DOGECOIN"):
        hrp = bech32_hrp(address) if "1" in address else None
        if hrp is not None and hrp in _BECH32_HRPS.get(currency, set()):
            return
        payload = base58check(address)
        if payload is not None and len(payload) == 21 and payload[0] in _BASE58_VERSIONS[currency]:
            return
        raise BadAddress(
            address,
            N_("This is not a valid {currency} address: its checksum does not match. Check it."),
            currency,
        )


def check_memo(memo: str) -> None:
    if not _MEMO.match(memo):
        raise BadAddress(memo, N_("A memo or tag has only letters, digits and : . _ - ."))


@dataclass(frozen=True, slots=True)
class SavedAddressView:
    id: int
    exchange: str
    currency: str
    address: str
    network: str | None
    memo: str | None
    label: str | None
    created_at: datetime


class AddressBook:
    def __init__(self, db: Database, *, limit: int = MAX_ADDRESSES) -> None:
        self.db = db
        self.limit = limit

    async def add(
        self,
        user_id: int,
        exchange: str,
        currency: str,
        address: str,
        *,
        network: str | None = None,
        memo: str | None = None,
        label: str | None = None,
    ) -> bool:
        """Save after checking its shape; False if it was saved already."""
        check_address(currency, address, network)
        if memo:
            check_memo(memo)
        async with self.db.session() as session:
            if await repo.count(session, user_id) >= self.limit:
                raise AddressBookFull(self.limit)
            return await repo.add(
                session,
                user_id=user_id,
                exchange=exchange,
                currency=currency.upper(),
                address=address,
                network=(network or "").upper(),
                memo=memo or "",
                label=(label or "").strip()[:LABEL_MAX] or None,
            )

    async def known(
        self,
        user_id: int,
        exchange: str,
        currency: str,
        address: str,
        *,
        network: str | None = None,
        memo: str | None = None,
    ) -> SavedAddressView | None:
        """The saved address, if the user saved it (without a network, or on this one)."""
        async with self.db.session() as session:
            row = await repo.find(
                session,
                user_id=user_id,
                exchange=exchange,
                currency=currency.upper(),
                address=address,
                network=(network or "").upper(),
                memo=memo or "",
                any_network=True,
            )
        return None if row is None else _view(row)

    async def list(self, user_id: int) -> list[SavedAddressView]:
        async with self.db.session() as session:
            return [_view(r) for r in await repo.of_user(session, user_id)]

    async def remove(self, user_id: int, address_id: int) -> bool:
        async with self.db.session() as session:
            return await repo.remove(session, user_id, address_id)


def _view(row: SavedAddress) -> SavedAddressView:
    return SavedAddressView(
        id=row.id,
        exchange=row.exchange,
        currency=row.currency,
        address=row.address,
        network=row.network or None,
        memo=row.memo or None,
        label=row.label,
        created_at=row.created_at,
    )


# --- the exchange's own address book ---------------------------------------------------
class NoExchangeBook(BotError):
    """The system keeps no address book its API gives out."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange}: no address book in its API")
        self.exchange = exchange


@runtime_checkable
class ListsCurrencies(Protocol):
    async def currencies(self) -> dict[str, str]: ...


def has_exchange_book(client: AccountClient | type[AccountClient]) -> bool:
    cls = client if isinstance(client, type) else type(client)
    return cls.withdrawal_addresses is not AccountClient.withdrawal_addresses


@dataclass(frozen=True, slots=True)
class ExchangeBook:
    """What ``/addresses EXCHANGE`` shows: the saved addresses per currency asked."""

    exchange: str
    entries: tuple[ExchangeAddress, ...]
    asked: tuple[str, ...]  # currencies whose list was read
    names: dict[str, str]  # currency code → name, where the system names them
    unread: tuple[str, ...] = ()  # currencies held but not asked (over the limit)
    refused: tuple[tuple[str, str], ...] = ()  # (currency, the exchange's reason)


async def exchange_book(
    accounts: AccountService, user_id: int, exchange: str, currency: str | None = None
) -> ExchangeBook:
    factory = accounts.factories.get(exchange)
    if factory is None or not has_exchange_book(factory[0]):
        raise NoExchangeBook(exchange)
    async with accounts.session(user_id, exchange) as client:
        names: dict[str, str] = {}
        if isinstance(client, ListsCurrencies):
            names = await accounts.call(exchange, client.currencies())
        if currency is not None:
            wanted = [currency.strip().upper()]
            unread: list[str] = []
        else:
            held = [
                b.currency.upper()
                for b in await accounts.call(exchange, client.balances())
                if b.available + b.locked > 0
            ]
            wanted, unread = held[:EXCHANGE_BOOK_CURRENCIES], held[EXCHANGE_BOOK_CURRENCIES:]
        entries: list[ExchangeAddress] = []
        refused: list[tuple[str, str]] = []
        for code in wanted:
            try:
                entries += await accounts.call(exchange, client.withdrawal_addresses(code))
            except NetworkError:
                raise
            except ExchangeError as exc:
                if currency is not None:
                    raise
                refused.append((code, exc.message))
    return ExchangeBook(
        exchange=exchange,
        entries=tuple(entries),
        asked=tuple(wanted),
        names=names,
        unread=tuple(unread),
        refused=tuple(refused),
    )


async def saved_on_exchange(
    client: AccountClient, currency: str, address: str, network: str | None, timeout: float
) -> ExchangeAddress | None:
    """The entry of the exchange's own book for this address, if it has one."""
    if not has_exchange_book(client):
        return None
    try:
        async with asyncio.timeout(timeout):
            entries: Sequence[ExchangeAddress] = await client.withdrawal_addresses(currency)
    except (ExchangeError, TimeoutError):
        return None
    for entry in entries:
        if entry.address != address:
            continue
        if network is None or entry.network is None or entry.network.upper() == network.upper():
            return entry
    return None
