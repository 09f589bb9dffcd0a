"""Connected accounts: the use cases behind /connect, /accounts, /balance, /deposit, /profile.

Credentials go from the conversation straight into an upstream verification and then
into the vault; they are opened again only inside ``session()``, for the duration of
one command's signed calls. Every method takes the caller's Telegram user id, and
rows are looked up by it, so one user can never reach another's account.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.errors import BotError
from bot.health import Health
from exchanges.accounts import AccountClient, NonceSource
from exchanges.credentials import CredentialField, Credentials, Secret
from exchanges.errors import ExchangeError, RequestTimeout
from exchanges.http import HttpPipeline
from exchanges.models import AccountCheck, AccountProfile, Balance, DepositAddress
from storage.db import Database
from storage.repos import accounts as repo
from storage.repos import nonces
from storage.secrets import SecretsError, Vault

log = logging.getLogger(__name__)
T = TypeVar("T")

ClientFactory = Callable[[str, HttpPipeline, Credentials, NonceSource], AccountClient]


class NotConnected(BotError):
    def __init__(self, exchange: str) -> None:
        super().__init__(f"no {exchange} account connected")
        self.exchange = exchange


class NoAccounts(BotError):
    pass


class NoAccountSupport(BotError):
    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange} accounts are not supported")
        self.exchange = exchange


class StoredSecretUnreadable(BotError):
    """The vault could not open a stored secret (master key missing or row tampered)."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"the stored {exchange} credentials cannot be opened")
        self.exchange = exchange


@dataclass(frozen=True, slots=True)
class AccountSummary:
    exchange: str
    key_hint: str
    label: str | None
    can_withdraw: bool | None
    rights: dict[str, bool | None] | None
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExchangeBalances:
    exchange: str
    balances: Sequence[Balance] | None
    error: ExchangeError | None


class DbNonces:
    """NonceSource on the database, keyed by a hash of the API key (never the key)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._locks: dict[str, asyncio.Lock] = {}

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        # One process: serialise per key so SQLite is not asked to resolve the race.
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock, self.db.session() as session:
            return await nonces.next_value(session, scope, at_least)


def nonce_scope(exchange: str, key: str) -> str:
    return exchange + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]


class ScopedNonces:
    """Hands a client the nonce sequence of its own key whatever scope it asks for."""

    def __init__(self, source: NonceSource, scope: str) -> None:
        self.source = source
        self.scope = scope

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        return await self.source.next_nonce(self.scope, at_least)


def key_hint(fields: Sequence[CredentialField], values: Mapping[str, str]) -> str:
    """The first four characters of what identifies the key (the public key, else the token)."""
    return (values.get("key") or values[fields[0].name])[:4]


def encode_credentials(values: Mapping[str, str]) -> bytes:
    return json.dumps(dict(values), separators=(",", ":")).encode()


def decode_credentials(plaintext: bytes) -> dict[str, str]:
    data = json.loads(plaintext.decode())
    return {str(k): str(v) for k, v in data.items()}


def to_credentials(fields: Sequence[CredentialField], values: Mapping[str, str]) -> Credentials:
    """Map /connect's answers onto (key, secret) by field name: ``key`` is the public key;
    ``secret`` (or, for a token-only system, ``token``) is what signs."""
    key = values.get("key")
    secret = values.get("secret") or values.get("token")
    if secret is None:
        secret = values[fields[-1].name]
    return Credentials(key=key, secret=Secret(secret))


class AccountService:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        health: Health,
        *,
        factories: Mapping[str, tuple[type[AccountClient], str]],
        timeout: float = 15.0,
    ) -> None:
        """``factories``: exchange → (client class, base URL)."""
        self.db = db
        self.vault = vault
        self.health = health
        self.factories = dict(factories)
        self.timeout = timeout
        self.nonces = DbNonces(db)

    @property
    def exchanges(self) -> tuple[str, ...]:
        return tuple(self.factories)

    def supports(self, exchange: str) -> bool:
        return exchange in self.factories

    def fields(self, exchange: str) -> tuple[CredentialField, ...]:
        if exchange not in self.factories:
            raise NoAccountSupport(exchange)
        return self.factories[exchange][0].credential_fields

    def _client(self, exchange: str, values: Mapping[str, str]) -> AccountClient:
        cls, url = self.factories[exchange]
        fields = cls.credential_fields
        credentials = to_credentials(fields, values)
        scope = nonce_scope(exchange, credentials.key or credentials.secret.reveal())
        http = HttpPipeline(exchange, url, timeout=self.timeout)
        return cls(http, credentials, nonces=ScopedNonces(self.nonces, scope))

    async def _call(self, exchange: str, work: Awaitable[T]) -> T:
        async with self.health.track(exchange):
            try:
                async with asyncio.timeout(self.timeout):
                    return await work
            except TimeoutError:
                raise RequestTimeout(exchange, "no answer in time") from None

    async def call(self, exchange: str, work: Awaitable[T]) -> T:
        """One signed call under the account timeout, tracked in /healthz (trading)."""
        return await self._call(exchange, work)

    async def connect(
        self,
        user_id: int,
        exchange: str,
        values: Mapping[str, str],
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> AccountCheck:
        """Verify upstream first; store sealed only if the exchange accepted the key."""
        fields = self.fields(exchange)
        client = self._client(exchange, values)
        try:
            check = await self._call(exchange, client.verify())
        finally:
            await client.close()
        sealed = self.vault.seal(user_id, exchange, encode_credentials(values))
        rights = None
        if check.rights is not None:
            r = check.rights
            rights = {"info": r.info, "trade": r.trade, "withdraw": r.withdraw}
        async with self.db.session() as session:
            await repo.ensure_user(session, user_id, first_name, language_code)
            await repo.save(
                session,
                user_id,
                exchange,
                sealed,
                key_hint(fields, values),
                rights=rights,
                label=check.account_label,
            )
        log.info("user %s connected a %s account", user_id, exchange)
        return check

    async def accounts(self, user_id: int) -> list[AccountSummary]:
        async with self.db.session() as session:
            rows = await repo.of_user(session, user_id)
        return [
            AccountSummary(
                r.exchange,
                r.key_hint,
                r.label,
                r.can_withdraw,
                r.rights,
                r.created_at,
                r.last_used_at,
            )
            for r in rows
        ]

    async def is_connected(self, user_id: int, exchange: str) -> bool:
        async with self.db.session() as session:
            return await repo.get(session, user_id, exchange) is not None

    async def disconnect(self, user_id: int, exchange: str) -> bool:
        async with self.db.session() as session:
            removed = await repo.remove(session, user_id, exchange)
        if removed:
            log.info("user %s disconnected their %s account", user_id, exchange)
        return removed

    @asynccontextmanager
    async def session(self, user_id: int, exchange: str) -> AsyncIterator[AccountClient]:
        """A signed client for the caller's own account on ``exchange``, closed afterwards."""
        if exchange not in self.factories:
            raise NoAccountSupport(exchange)
        async with self.db.session() as db_session:
            row = await repo.get(db_session, user_id, exchange)
            if row is None:
                raise NotConnected(exchange)
            try:
                values = decode_credentials(self.vault.open(user_id, exchange, repo.sealed_of(row)))
            except SecretsError:
                log.error("user %s: stored %s credentials do not open", user_id, exchange)
                raise StoredSecretUnreadable(exchange) from None
            await repo.touch(db_session, row.id)
        client = self._client(exchange, values)
        del values
        try:
            yield client
        finally:
            await client.close()

    async def balances(self, user_id: int, exchange: str | None = None) -> list[ExchangeBalances]:
        if exchange is not None:
            async with self.session(user_id, exchange) as client:
                found = await self._call(exchange, client.balances())
            return [ExchangeBalances(exchange, found, None)]
        connected = [
            a.exchange for a in await self.accounts(user_id) if a.exchange in self.factories
        ]
        if not connected:
            raise NoAccounts("no account connected")

        async def one(name: str) -> ExchangeBalances:
            try:
                async with self.session(user_id, name) as client:
                    return ExchangeBalances(name, await self._call(name, client.balances()), None)
            except ExchangeError as exc:
                return ExchangeBalances(name, None, exc)

        return list(await asyncio.gather(*(one(n) for n in connected)))

    async def deposit_address(
        self, user_id: int, exchange: str, currency: str, network: str | None = None
    ) -> DepositAddress:
        async with self.session(user_id, exchange) as client:
            work = client.deposit_address(currency, network, owner=f"user-id:{user_id}")
            return await self._call(exchange, work)

    async def profile(self, user_id: int, exchange: str) -> AccountProfile:
        async with self.session(user_id, exchange) as client:
            return await self._call(exchange, client.profile())

    async def rotate(self, batch: int = 200) -> int:
        """Re-wrap every secret under the newest master key; returns how many changed.

        One transaction: a failure leaves every row as it was, and rows already under
        the newest key are skipped, so running it again finishes the job.
        """
        changed = 0
        async with self.db.session() as session:
            after = 0
            while True:
                rows = await repo.all_sealed(session, batch, after)
                if not rows:
                    break
                for row in rows:
                    sealed = repo.sealed_of(row)
                    if sealed.key_id != self.vault.current.key_id:
                        fresh = self.vault.rewrap(row.user_id, row.exchange, sealed)
                        await repo.replace_seal(session, row.id, fresh)
                        changed += 1
                    after = row.id
        return changed
