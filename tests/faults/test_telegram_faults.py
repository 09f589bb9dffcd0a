"""Telegram faults, injected by the emulator: gateway errors, connection resets, a user
who blocked the bot, a chat that became a supergroup, a message deleted before the bot
edits it. An alert that fires meanwhile reaches its chat exactly once (or, blocked, is
held and its chat's alerts paused); the bot keeps answering everyone else."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from bot.app import services_of
from sandbox.runner import SandboxStack, demo_credentials
from tests.integration.conftest import RunningBot
from tests.integration.test_bot_accounts import connect


def btc_tmn(stack: SandboxStack) -> Decimal:
    sandbox: Any = stack.servers["wallex"]
    return Decimal(sandbox._stats(sandbox.markets["BTCTMN"])["lastPrice"])


def fired(m: dict[str, Any]) -> bool:
    return (
        bool(m.get("from_bot"))
        and "Price:" in str(m.get("text"))
        and "Alert #" in str(m.get("text"))
    )


async def set_alert(bot: RunningBot, user_id: int, chat_id: int) -> None:
    level = (btc_tmn(bot.stack) * Decimal("1.01")).quantize(Decimal(1))
    emu = bot.stack.telegram
    sent = await emu.send_text(user_id, f"/alert wallex BTCTMN above {level}", chat_id=chat_id)
    reply = await emu.wait_for_message(chat_id, after_message_id=sent["message_id"], timeout=15)
    assert "is set" in str(reply.get("text")), reply
    # Armed once the command is handled (after its reply): only then may a tick fire it.
    await asyncio.wait_for(bot.handled.wait(f"m:{chat_id}:{sent['message_id']}"), 15)


async def fire(bot: RunningBot) -> None:
    bot.stack.market.shift("BTC", 3)
    await bot.stack.servers["wallex"].push("BTCTMN")  # type: ignore[attr-defined]


async def test_gateway_errors_and_resets_are_retried_and_delivered_once(bot: RunningBot) -> None:
    user = bot.user()
    emu = bot.stack.telegram
    await set_alert(bot, 1001, 1001)
    emu.faults.fail("sendMessage", "5xx", times=2)
    emu.faults.fail("sendMessage", "reset", times=1)
    await fire(bot)
    message = await emu.wait_for_message(user.chat_id, predicate=fired, timeout=30)
    assert "is done" in message["text"]
    assert [k for _, k in emu.faults.injected] == ["5xx", "5xx", "reset"]
    assert "/price" in await user.ask("/help")
    assert sum(1 for m in emu.transcript(user.chat_id) if fired(m)) == 1


async def test_a_reply_through_a_gateway_error_still_arrives(bot: RunningBot) -> None:
    """A command's reply meets one 502: python-telegram-bot's request fails, the error
    handler answers, the user is not left in silence."""
    user = bot.user()
    bot.stack.telegram.faults.fail("sendMessage", "5xx", times=1)
    text = await user.ask("/help", timeout=20)
    assert text and "Traceback" not in text


async def test_an_alert_follows_a_group_that_became_a_supergroup(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    bot.user(1001)
    group = emu.add_group("Traders", members=[1001], admins=[1001], supergroup=False)
    await set_alert(bot, 1001, group.id)
    supergroup = emu.add_group("Traders", members=[1001], admins=[1001], supergroup=True)
    emu.faults.migrate(group.id, supergroup.id)
    await fire(bot)
    message = await emu.wait_for_message(supergroup.id, predicate=fired, timeout=30)
    assert "is done" in message["text"]
    assert ("sendMessage", "migrated") in emu.faults.injected
    assert [m for m in emu.transcript(group.id) if fired(m)] == []
    assert sum(1 for m in emu.transcript(supergroup.id) if fired(m)) == 1


async def test_a_user_who_blocked_the_bot_gets_nothing_and_others_go_on(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    blocker, other = bot.user(1002, name="Blocker"), bot.user(1003, name="Other")
    await set_alert(bot, 1002, 1002)
    await set_alert(bot, 1003, 1003)
    emu.block_bot(1002)
    await fire(bot)
    await emu.wait_for_message(other.chat_id, predicate=fired, timeout=30)
    alerts = services_of(bot.app).alerts
    async with asyncio.timeout(15):
        while (await alerts.list(1002))[0].state == "active":  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.05)
    assert [m for m in emu.transcript(blocker.chat_id) if fired(m)] == []
    assert "/price" in await other.ask("/help")


async def test_a_message_deleted_before_the_bot_edits_it(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    user = bot.user()
    assert "is connected" in await connect(user, "wex", demo_credentials()["wex"])
    asked = await user.send("/disconnect wex")
    assert asked.get("reply_markup")
    query = await emu.press_forged(
        1001,
        user.chat_id,
        asked["message_id"],
        asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    emu.delete_message(1001, user.chat_id, asked["message_id"])  # before the bot edits it
    await asyncio.wait_for(bot.handled.wait(f"q:{query}"), 15)
    assert not await services_of(bot.app).accounts.is_connected(1001, "wex")
    texts = [str(m.get("text")) for m in emu.transcript(user.chat_id) if m.get("from_bot")]
    assert not any("Traceback" in t for t in texts)
    assert "/price" in await user.ask("/help")


async def test_429_with_retry_after_is_waited_out_and_nothing_is_lost_or_reordered(
    bot: RunningBot,
) -> None:
    """The emulator answers the next sends with 429 and ``retry_after``: the bot waits at
    least that long before sending to the chat again, every alert arrives once, and a
    chat's alerts arrive in the order they were queued."""
    user = bot.user()
    emu = bot.stack.telegram
    for _ in range(3):  # three alerts in one chat, all crossed by one tick
        await set_alert(bot, 1001, 1001)
    sends: list[float] = []  # accepted sends to the chat
    refused: list[float] = []  # the 429s served
    clock = asyncio.get_running_loop().time
    emu.on_request(
        lambda r: (
            sends.append(clock())
            if r.method == "sendMessage" and str(r.params.get("chat_id")) == "1001"
            else None
        )
    )
    take = emu.faults.take

    def timed_take(method: str, chat_id: object) -> Any:
        fault = take(method, chat_id)
        if fault is not None and not isinstance(fault, str):
            refused.append(clock())
        return fault

    emu.faults.take = timed_take  # type: ignore[method-assign]
    emu.faults.fail("sendMessage", "429", times=2, retry_after=2)
    await fire(bot)
    last = emu.transcript(user.chat_id)[-1]["message_id"]
    for _ in range(3):
        got = await emu.wait_for_message(
            user.chat_id, predicate=fired, after_message_id=last, timeout=30
        )
        last = got["message_id"]
    assert [k for _, k in emu.faults.injected] == ["429", "429"]
    # After each 429 the next try waited retry_after (2 s), give or take the clock's grain.
    assert refused[1] - refused[0] >= 1.9
    assert sends and sends[0] - refused[1] >= 1.9
    delivered = [m for m in emu.transcript(user.chat_id) if fired(m)]
    assert len(delivered) == 3  # once each
    async with services_of(bot.app).db.session() as session:
        from sqlalchemy import select

        from storage.models import OutboxMessage

        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == user.chat_id, OutboxMessage.kind == "alert")
                .order_by(OutboxMessage.id)
            )
        ).all()

    # In the order queued (the outbox's ids): each row's alert, in turn.
    def alert_no(text: str) -> str:
        return text.rsplit("Alert #", 1)[1].split()[0]

    assert [alert_no(r.text) for r in rows] == [alert_no(m["text"]) for m in delivered]
