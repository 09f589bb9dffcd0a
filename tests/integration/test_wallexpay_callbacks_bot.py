"""WallexPay callbacks reaching the bot's HTTP server: signed or refused, told once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import aiohttp
import pytest

from sandbox import wallexpay

from .conftest import ChatUser, RunningBot
from .test_bot_accounts import connect
from .test_bot_withdrawals import money


def signature(secret: str, body: bytes) -> str:
    """The document's scheme, written out here: lowercase hex HMAC-SHA512 of the body."""
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=body, headers={"Content-Type": "application/json", **headers}
        ) as answer,
    ):
        return answer.status


def deposit(status: str, tx: int = 501) -> bytes:
    payload: dict[str, Any] = {
        "id": tx,
        "foreign_id": "user-id:1001",
        "type": "deposit",
        "status": status,
        "currency_sent": {"currency": "BTC", "amount": "0.01000000"},
        "currency_received": {"currency": "BTC", "amount": "0.00990000"},
        "fees": [{"type": "deposit", "currency": "BTC", "amount": "0.00010000"}],
        "transactions": [{"txid": "3a4b5c", "currency": "BTC", "amount": "0.01"}],
        "crypto_address": {"address": "bc1qdemo", "currency": "BTC", "foreign_id": "user-id:1001"},
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signed(
    body: bytes, key: str = wallexpay.DEMO_KEY, secret: str = wallexpay.DEMO_SECRET
) -> dict[str, str]:
    return {"X-Processing-Key": key, "X-Processing-Signature": signature(secret, body)}


async def wallexpay_user(bot: RunningBot) -> tuple[ChatUser, str]:
    user = bot.user()
    assert "connected" in await connect(
        user, "wallexpay", [wallexpay.DEMO_KEY, wallexpay.DEMO_SECRET]
    )
    url, heard = await money(bot).payments.callback_url(user.user_id)
    assert url is not None and not heard and url.startswith(bot.http.url + "/callbacks/wallexpay/")
    return user, url


def bot_messages(bot: RunningBot, user: ChatUser, needle: str) -> list[str]:
    return [
        str(m.get("text"))
        for m in bot.stack.telegram.transcript(user.chat_id)
        if m.get("from_bot") and needle in str(m.get("text"))
    ]


async def test_unsigned_or_badly_signed_callbacks_are_refused_and_logged(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user, url = await wallexpay_user(bot)
    body = deposit("confirmed")
    assert await post(url, body, {}) == 403
    assert await post(url, body, {"X-Processing-Key": wallexpay.DEMO_KEY}) == 403
    assert await post(url, body, signed(body, secret="not-the-secret")) == 403
    assert await post(url, body, signed(body, key="someone-else")) == 403
    tampered = body.replace(b"0.01000000", b"9.01000000")
    assert await post(url, tampered, signed(body)) == 403
    token = url.rsplit("/", 1)[1]
    assert await post(url.replace(token, "x" + token[1:]), body, signed(body)) == 403
    refusals = [r for r in caplog.records if "callback refused" in r.getMessage()]
    assert len(refusals) == 6
    assert "bad signature" in refusals[0].getMessage()
    assert "unknown token" in refusals[-1].getMessage()
    assert wallexpay.DEMO_SECRET not in caplog.text
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert token not in ours and body.decode() not in ours
    assert not bot_messages(bot, user, "WallexPay deposit")


async def test_a_signed_callback_reaches_the_merchant_once_per_status(bot: RunningBot) -> None:
    user, url = await wallexpay_user(bot)
    emu = bot.stack.telegram
    first = deposit("not_confirmed")
    assert await post(url, first, signed(first)) == 200
    await emu.wait_for_message(
        user.chat_id, predicate=lambda m: "not yet confirmed" in str(m.get("text")), timeout=10
    )
    assert await post(url, first, signed(first)) == 200  # WallexPay repeats itself
    done = deposit("confirmed")
    assert await post(url, done, signed(done)) == 200
    confirmed = await emu.wait_for_message(
        user.chat_id,
        predicate=lambda m: "deposit of 0.01 BTC: confirmed" in str(m.get("text")),
        timeout=10,
    )
    text = str(confirmed["text"])
    assert "Received: 0.0099 BTC" in text and "Fee: 0.0001 BTC" in text and "3a4b5c" in text
    assert len(bot_messages(bot, user, "deposit of 0.01 BTC")) == 2
    _, heard = await money(bot).payments.callback_url(user.user_id)
    assert heard


async def test_a_wallexpay_withdrawal_and_its_callbacks(bot: RunningBot) -> None:
    from exchanges.wallexpay.account import WallexPayAccount

    from .test_bot_withdrawals import code_messages, confirm_and_get_code, summary

    if not WallexPayAccount.trading.withdraw:
        pytest.skip("the WallexPay client offers no withdrawals yet")
    user, url = await wallexpay_user(bot)
    sandbox = bot.stack.servers["wallexpay"]
    sandbox.set_callback_url(wallexpay.DEMO_KEY, url)
    p2sh = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    message = await summary(bot, user, f"/withdraw wallexpay BTC 0.01 {p2sh}")
    code = await confirm_and_get_code(bot, user, message)
    assert code_messages(bot, user)
    done = await user.ask(code)
    assert "WallexPay accepted the withdrawal" in done, done
    [sent] = [
        json.loads(r.body)
        for r in sandbox.harness.requests
        if r.path == "/api/v2/withdrawal/crypto"
    ]
    assert sent["address"] == p2sh and sent["currency"] == "BTC" and sent["foreign_id"]
    await sandbox.sweep()  # WallexPay sends it to the chain and says so
    told = await bot.stack.telegram.wait_for_message(
        user.chat_id, predicate=lambda m: "📤" in str(m.get("text")), timeout=10
    )
    assert "WallexPay withdrawal of 0.01 BTC: not yet confirmed." in str(told["text"])
