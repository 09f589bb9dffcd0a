"""One-time codes, the daily cap, the address book and migration 0007: the rules alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.addresses import AddressBook, BadAddress, base58check, bech32_hrp, check_address
from bot.caps import CapExceeded, Caps, CapView, plan_change
from bot.one_time_codes import OneTimeCodes, Outcome, normalise
from storage.db import Database, upgrade_schema
from storage.models import Base
from storage.repos import withdrawals as transfers

from ..conftest import FixedClock
from ..integration.test_notifier import postgres_database, sqlite_database

MONEY_TABLES = {
    "saved_addresses",
    "withdrawal_caps",
    "money_transfers",
    "wallexpay_hooks",
    "wallexpay_invoices",
}


# --- one-time codes ---------------------------------------------------------------
def test_a_code_is_six_digits_kept_only_as_a_keyed_hash() -> None:
    codes = OneTimeCodes(clock=FixedClock())
    code, challenge = codes.issue(7, {"id": 1})
    assert len(code) == 6 and code.isdigit()
    assert code not in repr(challenge) and code.encode() not in challenge.digest
    assert codes.check(7, code).outcome is Outcome.ACCEPTED
    assert codes.check(7, code).outcome is Outcome.NONE  # released once


def test_three_wrong_codes_end_the_challenge() -> None:
    codes = OneTimeCodes(clock=FixedClock())
    code, _ = codes.issue(7, {"id": 1})
    wrong = "000000" if code != "000000" else "111111"
    first = codes.check(7, wrong)
    assert first.outcome is Outcome.WRONG and first.attempts_left == 2
    assert codes.check(7, wrong).attempts_left == 1
    assert codes.check(7, wrong).outcome is Outcome.LOCKED
    assert codes.check(7, code).outcome is Outcome.NONE  # the right code is too late now


def test_a_code_after_two_minutes_is_refused() -> None:
    clock = FixedClock()
    codes = OneTimeCodes(clock=clock)
    code, _ = codes.issue(7, {"id": 1})
    clock.advance(119.9)
    assert codes.pending(7) is not None
    clock.advance(0.2)
    assert codes.check(7, code).outcome is Outcome.EXPIRED
    assert codes.pending(7) is None


def test_codes_are_per_user_and_typed_in_any_digits() -> None:
    codes = OneTimeCodes(clock=FixedClock())
    code, _ = codes.issue(7, {"id": 1})
    assert codes.check(8, code).outcome is Outcome.NONE
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert normalise(persian[:3] + " " + persian[3:]) == code
    assert codes.check(7, persian).outcome is Outcome.ACCEPTED


def test_codes_differ() -> None:
    codes = OneTimeCodes(clock=FixedClock())
    assert len({codes.issue(i, {})[0] for i in range(200)}) > 190


# --- the daily cap ----------------------------------------------------------------
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_tightening_applies_now_loosening_waits_a_day() -> None:
    assert plan_change(None, Decimal("1"), NOW) == (Decimal("1"), None, False, None)
    one = CapView("BTC", Decimal("1"))
    assert plan_change(one, Decimal("0.5"), NOW) == (Decimal("0.5"), None, False, None)
    later = NOW + timedelta(hours=24)
    assert plan_change(one, Decimal("2"), NOW) == (Decimal("1"), Decimal("2"), False, later)
    assert plan_change(one, None, NOW) == (Decimal("1"), None, True, later)
    with pytest.raises(ValueError):
        plan_change(one, Decimal("0"), NOW)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Both databases the bot supports: the caps' sums and the address book's uniqueness
    must hold on each (PostgreSQL tests skip when no server answers)."""
    if request.param == "sqlite":
        async with sqlite_database(tmp_path / "m.db") as database:
            yield database
    else:
        async with postgres_database() as database:
            yield database


async def test_cap_counts_the_last_24_hours_in_the_same_currency(db: Database) -> None:
    clock = FixedClock(NOW.timestamp())
    caps = Caps(db, clock=clock)
    await caps.set(5, "btc", Decimal("1"))
    assert await caps.check(5, "BTC", Decimal("1")) is not None

    async def spend(currency: str, amount: str, state: str, kind: str = "withdrawal") -> None:
        async with db.session() as session:
            row = await transfers.start(
                session,
                user_id=5,
                chat_id=5,
                exchange="wex",
                kind=kind,
                currency=currency,
                amount=Decimal(amount),
                reference=f"r{currency}{amount}{state}{kind}{clock.now}",
                at=datetime.fromtimestamp(clock.now, UTC),
            )
            if state != transfers.SENDING:
                await transfers.finish(session, row.id, state=state)

    await spend("BTC", "0.6", transfers.SENT)
    await spend("BTC", "5", transfers.FAILED)  # nothing left the account
    await spend("USDT", "100", transfers.SENT)  # another currency
    await spend("BTC", "9", transfers.SENT, kind="convert")  # not a withdrawal
    await spend("BTC", "0.3", transfers.UNKNOWN)  # may have gone out: counts
    with pytest.raises(CapExceeded) as refused:
        await caps.check(5, "BTC", Decimal("0.2"))
    assert refused.value.spent == Decimal("0.9") and refused.value.left == Decimal("0.1")
    assert await caps.check(5, "BTC", Decimal("0.1")) is not None
    assert await caps.check(5, "USDT", Decimal("1000000")) is None  # no cap on USDT
    clock.advance(24 * 3600 + 1)  # the window moves on
    assert (await caps.check(5, "BTC", Decimal("1"))) is not None


async def test_raising_the_cap_waits_a_day(db: Database) -> None:
    clock = FixedClock(NOW.timestamp())
    caps = Caps(db, clock=clock)
    first = await caps.set(5, "BTC", Decimal("1"))
    assert first.immediate and first.view.amount == Decimal("1")
    raised = await caps.set(5, "BTC", Decimal("3"))
    assert not raised.immediate and raised.view.amount == Decimal("1")
    assert raised.applies_at == NOW + timedelta(hours=24)
    with pytest.raises(CapExceeded):
        await caps.check(5, "BTC", Decimal("2"))
    clock.advance(24 * 3600)
    assert await caps.check(5, "BTC", Decimal("2")) is not None
    off = await caps.set(5, "BTC", None)
    assert not off.immediate and off.view.next_off
    clock.advance(24 * 3600)
    assert await caps.view(5, "BTC") is None and await caps.all(5) == []


# --- addresses --------------------------------------------------------------------
def test_checksummed_addresses() -> None:
    assert base58check("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") is not None
    assert base58check("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb") is None
    assert bech32_hrp("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") == "bc"
    assert bech32_hrp("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdz") is None
    check_address("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    check_address("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    check_address("USDT", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TRC20")
    check_address("USDT", "0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "ERC20")
    check_address("XRP", "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe")  # no rule: shape only
    for currency, address, network in (
        ("BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", None),
        ("BTC", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", None),
        ("USDT", "0x742d35Cc6634C0532925a3b844Bc454e4438f4", "ERC20"),
        ("USDT", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "TRC20"),
        ("XRP", "rPT1Sjq2 YGrBMTtt", None),
        ("XRP", "<b>", None),
    ):
        with pytest.raises(BadAddress):
            check_address(currency, address, network)


async def test_address_book_is_per_user(db: Database) -> None:
    book = AddressBook(db, limit=3)
    btc = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert await book.add(5, "wex", "btc", btc, label="cold wallet")
    assert not await book.add(5, "wex", "BTC", btc)
    assert await book.known(5, "wex", "BTC", btc) is not None
    assert await book.known(6, "wex", "BTC", btc) is None
    assert await book.known(5, "narkasa", "BTC", btc) is None
    # Saved without a network: good on any network; saved on one: only on that one.
    assert await book.known(5, "wex", "BTC", btc, network="BTC") is not None
    usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert await book.add(5, "narkasa", "USDT", usdt, network="TRC20")
    assert await book.known(5, "narkasa", "USDT", usdt, network="TRC20") is not None
    assert await book.known(5, "narkasa", "USDT", usdt, network="BEP20") is None
    [tron] = [a for a in await book.list(5) if a.currency == "USDT"]
    assert tron.network == "TRC20" and await book.remove(5, tron.id)
    saved = await book.list(5)
    assert [(a.currency, a.label) for a in saved] == [("BTC", "cold wallet")]
    assert not await book.remove(6, saved[0].id)
    assert await book.remove(5, saved[0].id)
    assert await book.list(5) == []


# --- migration 0007 agrees with the models -----------------------------------------
def test_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade_schema(url.replace("sqlite://", "sqlite+aiosqlite://"))
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    ours = [d for d in diff if any(t in repr(d) for t in MONEY_TABLES)]
    assert ours == []


# --- reading what follows the address ------------------------------------------------
def test_network_or_memo() -> None:
    from bot.withdrawals import split_extras
    from handlers.addresses import split_add_extras

    assert split_extras(["TRC20"], needs_memo=False) == ("TRC20", None)
    assert split_extras(["12345"], needs_memo=True) == (None, "12345")
    assert split_extras(["bep20", "777"], needs_memo=False) == ("BEP20", "777")
    assert split_extras(["memo=abc"], needs_memo=False) == (None, "abc")
    assert split_add_extras(["TRC20", "cold", "wallet"]) == ("TRC20", None, "cold wallet")
    assert split_add_extras(["12345", "exchange", "tag"]) == (None, "12345", "exchange tag")
    assert split_add_extras(["my", "Savings"]) == (None, None, "my Savings")


def test_what_reaches_the_address() -> None:
    from bot.withdrawals import receives

    assert receives(Decimal("1"), Decimal("0.1"), True) == Decimal("0.9")
    assert receives(Decimal("1"), Decimal("0.1"), False) == Decimal("1")
    assert receives(Decimal("1"), Decimal("0.1"), None) is None  # the summary gives bounds
    assert receives(Decimal("1"), None, None) is None
    assert receives(Decimal("1"), Decimal("0"), None) == Decimal("1")
