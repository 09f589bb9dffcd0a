"""The tables, as SQLAlchemy 2 typed mappings. Migrations in ``storage/migrations``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Chat(Base):
    """A chat the bot talks in, and the language it talks there."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str | None] = mapped_column(String(256))
    language_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Account(Base):
    """One user's connected exchange account: credentials sealed (storage/secrets.py)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("user_id", "exchange", name="uq_accounts_user_exchange"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    exchange: Mapped[str] = mapped_column(String(16))
    key_hint: Mapped[str] = mapped_column(String(8))
    key_id: Mapped[str] = mapped_column(String(16))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    can_withdraw: Mapped[bool | None] = mapped_column(Boolean)
    rights: Mapped[dict[str, bool | None] | None] = mapped_column(JSON)
    label: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Nonce(Base):
    """The last nonce used per API key (scope is a hash of the key, never the key)."""

    __tablename__ = "nonces"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class Button(Base):
    """What an inline button means, server side: callback data carries only ``token``.

    A press is valid once, by ``user_id``, before ``expires_at``: claiming sets
    ``used_at`` in one conditional UPDATE, the single place "exactly once" is decided.
    """

    __tablename__ = "buttons"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    group_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Alert(Base):
    """A price alert. Prices are stored as decimal strings: exact on every database."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    exchange: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    pair: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    price: Mapped[str | None] = mapped_column(String(64))
    pct: Mapped[str | None] = mapped_column(String(32))
    window_s: Mapped[int | None] = mapped_column(Integer)
    repeat_every_s: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reference_price: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    fire_count: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MarketMark(Base):
    """The last tick seen per market, so a restart can look back over what it missed."""

    __tablename__ = "market_marks"

    exchange: Mapped[str] = mapped_column(String(16), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_price: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Base):
    """A message to send, written in the same transaction as what caused it.

    ``dedupe`` makes the cause idempotent (one row per alert firing); the notifier marks
    a row sent only after Telegram accepted it.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe: Mapped[str] = mapped_column(String(96), unique=True)
    text: Mapped[str] = mapped_column(String(8192))
    buttons: Mapped[list[list[dict[str, object]]] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(256))
    leased_by: Mapped[str | None] = mapped_column(String(64))
    """The notifier that may send this row until ``lease_until`` (migration 0006)."""
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- trading (issue 7): confirmations, watched orders, account event cursors ---------
class Confirmation(Base):
    """An action waiting for its owner's Confirm, and what became of it.

    ``state`` moves pending → confirmed → sent → done | failed, or pending → cancelled |
    expired. pending → confirmed is one conditional UPDATE (``storage/repos/confirmations``):
    the single place a Confirm is decided to count, once. ``payload`` is JSON with
    Decimals as strings; ``client_ref`` the idempotency reference sent upstream.
    """

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, object] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(512))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TrackedOrder(Base):
    """An order of a connected account the bot watches, with the fill last announced.

    Amounts are decimal strings (exact on every database).
    """

    __tablename__ = "tracked_orders"
    __table_args__ = (
        UniqueConstraint("user_id", "exchange", "order_id", name="uq_tracked_orders_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    exchange: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[str] = mapped_column(String(96))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    amount: Mapped[str] = mapped_column(String(64))
    price: Mapped[str | None] = mapped_column(String(64))
    filled: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), index=True)
    client_order_id: Mapped[str | None] = mapped_column(String(64))
    confirmation_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class AccountCursor(Base):
    """The deposits of an account already known, so only new ones are announced."""

    __tablename__ = "account_cursors"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    exchange: Mapped[str] = mapped_column(String(16), primary_key=True)
    deposit_ids: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# --- money: withdrawals, address book, daily caps, WallexPay payments (issue 7) -------
class SavedAddress(Base):
    """An address the user vouched for; a withdrawal anywhere else is flagged in bold.

    ``network`` and ``memo`` are "" rather than NULL when absent, so the unique
    constraint also holds for addresses without them (NULLs never collide).
    """

    __tablename__ = "saved_addresses"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "exchange", "currency", "address", "network", "memo", name="uq_saved_address"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    exchange: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(256))
    network: Mapped[str] = mapped_column(String(32), default="")
    memo: Mapped[str] = mapped_column(String(128), default="")
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WithdrawalCap(Base):
    """A user's daily withdrawal cap in one currency (amounts as exact decimal strings).

    ``amount`` None means no cap. A raise or a removal waits in ``next_amount`` /
    ``next_from`` (``next_off`` for a removal) and takes over once ``next_from`` passed.
    """

    __tablename__ = "withdrawal_caps"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    currency: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount: Mapped[str | None] = mapped_column(String(64))
    next_amount: Mapped[str | None] = mapped_column(String(64))
    next_off: Mapped[bool] = mapped_column(Boolean, default=False)
    next_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MoneyTransfer(Base):
    """Money the bot sent upstream on a user's confirmed order: withdrawals, coupons,
    conversions. Written (``sending``) before the upstream call, so the daily cap counts
    it even if the process dies mid-call, and ``reference`` is the idempotency key sent
    where the system takes one. A coupon's code is never stored."""

    __tablename__ = "money_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    exchange: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(16))
    amount: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(256))
    network: Mapped[str | None] = mapped_column(String(32))
    memo: Mapped[str | None] = mapped_column(String(128))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    upstream_id: Mapped[str | None] = mapped_column(String(128))
    upstream_status: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WallexPayHook(Base):
    """The unguessable path token of a merchant's callback URL: it says whose secret
    verifies the signature (the signature, not the token, is what authenticates)."""

    __tablename__ = "wallexpay_hooks"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_callback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WallexPayInvoice(Base):
    """An invoice a merchant created through the bot, so its callbacks reach them."""

    __tablename__ = "wallexpay_invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    invoice_id: Mapped[str] = mapped_column(String(64))
    foreign_id: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(512))
    amount: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32))
    release_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WallexPayTransaction(Base):
    """A merchant's WallexPay transaction as its callbacks told it: WallexPay's API has no
    history call, so ``/deposits wallexpay`` and ``/withdrawals wallexpay`` read this
    ledger. One row per (merchant, transaction id); a later callback updates its status."""

    __tablename__ = "wallexpay_transactions"
    __table_args__ = (UniqueConstraint("user_id", "transaction_id", name="uq_wallexpay_tx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    transaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # deposit | withdrawal | exchange | invoice | other
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[str | None] = mapped_column(String(64))
    fee: Mapped[str | None] = mapped_column(String(64))
    fee_currency: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(256))
    txid: Mapped[str | None] = mapped_column(String(256))
    foreign_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- operations (issue 9): leader lease, users who started the bot, broadcasts ------------


class LeaderLease(Base):
    """Who runs the singletons, on SQLite (PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "leader_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BotUser(Base):
    """A user who talked to the bot in private: a broadcast's audience."""

    __tablename__ = "bot_users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Broadcast(Base):
    """An operator's message to every user; recipients are settled one by one, so a
    restart resumes where it stopped."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String(4096))
    state: Mapped[str] = mapped_column(String(16), index=True)
    total: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BroadcastRecipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_state", "broadcast_id", "state"),)

    broadcast_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(16))


# --- price feeds (issue 8) -------------------------------------------------------------------


class Feed(Base):
    """A price board posted on a schedule in a group or channel (``bot/feeds``).

    ``markets`` is a list of ``[exchange, symbol, pair]`` (the exchange's own symbol,
    and the pair as boards show it).
    ``next_at`` is the schedule itself, so a restart resumes it; ``message_id`` and
    ``last_key`` are the pinned message and what it shows (pin mode); ``last_prices``
    the prices of the last post, ``{"exchange:symbol": "price"}`` (on-move mode).
    """

    __tablename__ = "feeds"
    __table_args__ = {"sqlite_autoincrement": True}  # an id is never reused for a new feed

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_kind: Mapped[str] = mapped_column(String(16))
    chat_title: Mapped[str | None] = mapped_column(String(256))
    creator_id: Mapped[int] = mapped_column(BigInteger)
    markets: Mapped[list[list[str]]] = mapped_column(JSON)
    every_s: Mapped[int] = mapped_column(Integer)
    pin: Mapped[bool] = mapped_column(Boolean, default=False)
    move_pct: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    paused_reason: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_key: Mapped[str | None] = mapped_column(String(2048))
    last_prices: Mapped[dict[str, str] | None] = mapped_column(JSON)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_post_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConversationState(Base):
    """A chat's conversation step or chat data, shared by every replica (``bot/persistence.py``).

    ``scope`` is ``conversation:<name>`` or ``chat_data``; ``key`` the conversation key
    (``"chat:user"``) or the chat id. The payload is always sealed by the vault (it can
    hold half-typed API keys), bound to ``owner`` (the chat) and the scope.
    """

    __tablename__ = "conversation_states"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
