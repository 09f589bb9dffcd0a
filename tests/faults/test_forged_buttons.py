"""Forged buttons: callback data is untrusted. Data the bot never issued, issued to
another user, already used, expired or malformed gets an answer saying the button is
expired or not the presser's, and changes nothing (no reply, no edit, no state)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.app import services_of
from bot.buttons import PREFIX
from tests.integration.conftest import RunningBot

UNKNOWN = "This button has expired or is not yours."
NOT_YOURS = UNKNOWN  # one sentence for every refusal
EXPIRED = UNKNOWN
USED = UNKNOWN

FORGED_DATA = [
    PREFIX,  # the prefix only
    PREFIX + "A" * 22,  # the shape of a token, never issued
    PREFIX + "x" * 20_000,  # huge
    PREFIX + "\x00\x01\x7f\ufffd" * 8,  # binary-ish
    PREFIX + "' OR 1=1 --",
    PREFIX + "%" + "_" * 30,  # LIKE wildcards
    "alert_pause",  # an action name without a token
    '{"action": "alert_delete", "id": 1}',
    "x",
    "\u200f" * 64,
]


async def press(bot: RunningBot, user_id: int, chat_id: int, message_id: int, data: str) -> str:
    """Press ``data`` on a bot message; the answer's text once the bot has handled it."""
    emu = bot.stack.telegram
    query_id = await emu.press_forged(user_id, chat_id, message_id, data)
    await asyncio.wait_for(bot.handled.wait(f"q:{query_id}"), 10)
    answers = [a for a in emu.callback_answers if a["callback_query_id"] == query_id]
    assert len(answers) == 1, f"{data[:40]!r} was answered {len(answers)} times"
    return str(answers[0].get("text"))


def bot_messages(bot: RunningBot, chat_id: int) -> list[tuple[int, str, Any]]:
    """Every bot message as (id, text, buttons): an edit or a new reply shows here."""
    return [
        (m["message_id"], str(m.get("text")), m.get("reply_markup"))
        for m in bot.stack.telegram.transcript(chat_id)
        if m.get("from_bot")
    ]


def button_data(message: dict[str, Any]) -> list[str]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [str(b["callback_data"]) for row in rows for b in row]


async def test_forged_foreign_used_and_expired_presses_change_nothing(bot: RunningBot) -> None:
    alice, bob = bot.user(1001), bot.user(1002, name="Bob")
    created = await alice.ask("/alert narkasa BTCTRY below 1000")
    alert_id = int(created.split("Alert #", 1)[1].split(" ", 1)[0])
    listing = await alice.send("/alerts")
    pause_data, delete_data = button_data(listing)[:2]
    await bob.ask("/help")
    bob_message = bot.stack.telegram.last_bot_message(bob.chat_id)
    assert bob_message is not None
    alerts = services_of(bot.app).alerts

    async def state() -> str:
        [view] = await alerts.list(1001)
        return str(view.state)

    before_state = await state()
    before = bot_messages(bot, alice.chat_id), bot_messages(bot, bob.chat_id)

    for data in FORGED_DATA:  # never issued
        answer = await press(bot, 1001, alice.chat_id, listing["message_id"], data)
        assert answer == UNKNOWN, data[:40]
    # Alice's real Delete token, pressed by Bob on a message in his own chat.
    for data in (delete_data, pause_data):
        assert await press(bot, 1002, bob.chat_id, bob_message["message_id"], data) == NOT_YOURS
    # An expired token for Alice's own alert.
    [expired] = await services_of(bot.app).buttons.issue(
        1001, alice.chat_id, [("alert_delete", {"id": alert_id})], ttl=timedelta(seconds=-1)
    )
    assert await press(bot, 1001, alice.chat_id, listing["message_id"], expired) == EXPIRED
    # A token issued for an action that does not exist.
    [unknown_action] = await services_of(bot.app).buttons.issue(
        1001, alice.chat_id, [("drop_tables", {"id": alert_id})]
    )
    assert await press(bot, 1001, alice.chat_id, listing["message_id"], unknown_action) == UNKNOWN

    assert (bot_messages(bot, alice.chat_id), bot_messages(bot, bob.chat_id)) == before
    assert await state() == before_state

    # A real press works once; the same data again is refused. (A list's buttons are
    # independent: the Delete beside it stays valid.)
    await bot.stack.telegram.press_button(1001, alice.chat_id, listing["message_id"], 1)
    await bot.stack.telegram.wait_for_message(
        alice.chat_id, predicate=lambda m: "is paused" in str(m.get("text")), timeout=10
    )
    paused_state = await state()
    assert paused_state != before_state
    after_pause = bot_messages(bot, alice.chat_id)
    for _ in range(3):
        assert await press(bot, 1001, alice.chat_id, listing["message_id"], pause_data) == USED
    assert bot_messages(bot, alice.chat_id) == after_pause
    assert await state() == paused_state


async def test_concurrent_forged_presses_are_each_answered(bot: RunningBot) -> None:
    """A burst of forged presses: every one gets its answer, the bot still replies."""
    alice = bot.user(1001)
    await alice.ask("/help")
    message = bot.stack.telegram.last_bot_message(alice.chat_id)
    assert message is not None
    answers = await asyncio.gather(
        *(
            press(bot, 1001, alice.chat_id, message["message_id"], f"{PREFIX}forged{i}")
            for i in range(30)
        )
    )
    assert set(answers) == {UNKNOWN}
    assert "/price" in await alice.ask("/help")
