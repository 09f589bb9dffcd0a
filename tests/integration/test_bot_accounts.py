"""Connected accounts through the real bot: secrets deleted, sealed, never shown or logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.accounts import AccountService
from sandbox import wallex, wallexpay, wex
from sandbox.runner import SandboxStack

from .conftest import ChatUser, RunningBot, running_bot


def _step(m: dict[str, object]) -> bool:
    text = str(m.get("text"))
    return any(s in text for s in ("Send your", "is connected", "did not accept", "Nothing was"))


async def connect(user: ChatUser, exchange: str, values: list[str]) -> str:
    """Answer each prompt of /connect only once it has been asked, as a person would."""
    sent = await user.emu.send_text(user.user_id, f"/connect {exchange}")
    prompt = await user.emu.wait_for_message(
        user.chat_id, after_message_id=sent["message_id"], predicate=_step, timeout=20
    )
    for value in values:
        assert "Send your" in str(prompt["text"]), prompt
        sent = await user.emu.send_text(user.user_id, value)
        prompt = await user.emu.wait_for_message(
            user.chat_id, after_message_id=sent["message_id"], predicate=_step, timeout=20
        )
    return str(prompt["text"])


def assert_not_in_database_files(bot: RunningBot, secrets: list[str]) -> None:
    """Read the raw bytes of the SQLite file and its WAL: no secret in clear (on
    PostgreSQL, every row of every table as text)."""
    if bot.settings.database_url.startswith("postgresql"):
        dump = _postgres_rows(bot.settings.database_url)
        for secret in secrets:
            assert secret not in dump, "the database holds a secret in clear"
        return
    base = bot.settings.database_url.split("///", 1)[1]
    for suffix in ("", "-wal", "-shm"):
        path = Path(base + suffix)
        if path.exists():
            raw = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in raw, (path, "holds a secret in clear")


def _postgres_rows(url: str) -> str:
    import asyncio
    import threading

    import asyncpg

    rows: list[str] = []

    async def read() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
            for table in tables:
                name = table["table_name"]
                rows.extend(r[0] for r in await conn.fetch(f'SELECT t::text FROM "{name}" t'))
        finally:
            await conn.close()

    thread = threading.Thread(target=lambda: asyncio.run(read()))
    thread.start()
    thread.join(30)
    assert rows, "read no rows from the database"
    return "\n".join(rows)


def bot_texts(bot: RunningBot, chat_id: int) -> str:
    return "\n".join(
        str(m.get("text") or m.get("caption") or "")
        for m in bot.stack.telegram.transcript(chat_id)
        if m.get("from_bot")
    )


async def test_connect_deletes_the_keys_verifies_and_stores_them_sealed(
    bot: RunningBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = bot.user()
    reply = await connect(user, "wex", [wex.DEMO_KEY, wex.DEMO_SECRET])
    assert "WEX is connected" in reply
    assert "withdraw no" in reply and "read yes" in reply
    # Every message that carried a credential was deleted.
    for m in bot.stack.telegram.transcript(user.chat_id):
        if not m.get("from_bot") and m.get("text") in (wex.DEMO_KEY, wex.DEMO_SECRET):
            assert m["deleted"], m
    balance = await user.ask("/balance wex")
    assert "BTC: 23.998 available · 0.56 locked" in balance
    accounts = await user.ask("/accounts")
    assert "WEX: key DEMO…" in accounts
    # The secret is nowhere: not in what the bot said, not in the logs, not in the database.
    assert wex.DEMO_SECRET not in bot_texts(bot, user.chat_id)
    assert wex.DEMO_SECRET not in caplog.text
    assert_not_in_database_files(bot, [wex.DEMO_SECRET, wex.DEMO_KEY])


async def test_bad_credentials_store_nothing(bot: RunningBot) -> None:
    user = bot.user()
    reply = await connect(user, "wallexpay", [wallexpay.DEMO_KEY, "wrong-secret"])
    assert "did not accept these credentials" in reply and "stored nothing" in reply
    assert "No account connected yet" in await user.ask("/accounts")


async def test_cancel_leaves_the_conversation(bot: RunningBot) -> None:
    user = bot.user()
    assert "Connecting Wallex" in await user.ask("/connect wallex")
    assert "Cancelled. Nothing was stored." in await user.ask("/cancel")
    assert "No account connected yet" in await user.ask("/accounts")


async def test_connect_refuses_in_a_group_and_a_key_posted_there_is_deleted(
    bot: RunningBot,
) -> None:
    emu = bot.stack.telegram
    owner = bot.user(3001)
    group = emu.add_group(
        "Traders", members=[3001], admins=[3001], bot_rights={"can_delete_messages": True}
    )
    sent = await emu.send_text(3001, "/connect wex", chat_id=group.id)
    reply = await emu.wait_for_message(group.id, after_message_id=sent["message_id"], timeout=10)
    assert "private chat" in reply["text"]
    leaked = await emu.send_text(3001, wex.DEMO_SECRET, chat_id=group.id)
    warning = await emu.wait_for_message(
        group.id, after_message_id=leaked["message_id"], timeout=10
    )
    assert "Never post keys in a group" in warning["text"]
    deleted = [m for m in emu.transcript(group.id) if m["message_id"] == leaked["message_id"]]
    assert deleted and deleted[0]["deleted"]
    sent = await emu.send_text(3001, "/balance", chat_id=group.id)
    refusal = await emu.wait_for_message(group.id, after_message_id=sent["message_id"], timeout=10)
    assert "only in a private chat" in refusal["text"]
    assert owner.user_id == 3001


async def test_another_user_cannot_see_or_use_an_account(bot: RunningBot) -> None:
    alice, bob = bot.user(4001), bot.user(4002)
    assert "connected" in await connect(alice, "wallex", [wallex.DEMO_TOKEN])
    assert "No account connected yet" in await bob.ask("/balance")
    assert "no Wallex account connected" in await bob.ask("/deposit wallex BTC")
    assert "No account connected yet" in await bob.ask("/accounts")
    assert "Wallex" in await alice.ask("/accounts")


async def test_disconnect_asks_first_and_its_button_works_once(bot: RunningBot) -> None:
    user = bot.user()
    await connect(user, "wallex", [wallex.DEMO_TOKEN])
    question = await user.send("/disconnect wallex")
    assert "Remove your Wallex account" in question["text"]
    emu = bot.stack.telegram
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("b:") and "wallex" not in data  # opaque token, no meaning inside
    await emu.press_button(user.user_id, user.chat_id, question["message_id"], 1)
    edited = await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "Disconnected" in str(m.get("text")), timeout=10
    )
    assert edited["message_id"] == question["message_id"]
    assert "No account connected yet" in await user.ask("/accounts")


async def test_deposit_address_comes_with_a_qr_picture(bot: RunningBot) -> None:
    user = bot.user()
    await connect(user, "wallex", [wallex.DEMO_TOKEN])
    reply = await user.send("/deposit wallex USDT TRC20")
    assert reply.get("photo")
    assert "Network: TRC20" in reply["caption"]
    data = bot.stack.telegram.file_bytes(reply["photo"][-1]["file_id"])
    assert data is not None and data[:4] == b"\x89PNG"


async def test_nonces_continue_across_a_restart(stack: SandboxStack, tmp_path: Path) -> None:
    db = tmp_path / "nonce.db"
    async with running_bot(stack, db) as bot:
        user = bot.user()
        await connect(user, "wex", [wex.DEMO_KEY, wex.DEMO_SECRET])
        await user.ask("/balance wex")
    async with running_bot(stack, db) as bot:
        assert "BTC: 23.998" in await bot.user().ask("/balance wex")
    sandbox = stack.servers["wex"]
    accepted = sandbox.tapi.keys[wex.DEMO_KEY].accepted  # type: ignore[attr-defined]
    assert accepted == sorted(accepted) and len(set(accepted)) == len(accepted)
    assert not any("invalid nonce" in r.body.decode() for r in sandbox.harness.requests)  # type: ignore[attr-defined]


def test_account_service_type_is_exported() -> None:
    assert AccountService.__name__ == "AccountService"


async def test_wallexpay_addresses_are_taken_for_the_user(bot: RunningBot) -> None:
    user = bot.user(6006)
    assert "connected" in await connect(
        user, "wallexpay", [wallexpay.DEMO_KEY, wallexpay.DEMO_SECRET]
    )
    reply = await user.send("/deposit wallexpay BTC")
    assert reply.get("photo") and "Deposit BTC" in reply["caption"]
    sent = bot.stack.servers["wallexpay"].harness.last("/api/v2/addresses/take")  # type: ignore[attr-defined]
    assert b'"foreign_id":"user-id:6006"' in sent.body
