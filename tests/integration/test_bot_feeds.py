"""Price feeds through the real bot: groups, channels, pin and on-move modes, removal of
the bot, and a restart restoring the schedule. Runs are triggered with a chosen moment
(``FeedService.run_due``) instead of waiting minutes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.app import services_of
from bot.feeds.service import FeedService
from sandbox.runner import SandboxStack
from sandbox.telegram import TelegramEmulator

from .conftest import RunningBot, running_bot

ADMIN, MEMBER, STRANGER = 1001, 1002, 1003
PERSIAN = re.compile("[۰-۹]")


def feeds_of(bot: RunningBot) -> FeedService:
    feeds = services_of(bot.app).feeds
    assert feeds is not None
    return feeds


def people(emu: TelegramEmulator) -> None:
    for uid, name in ((ADMIN, "Ali"), (MEMBER, "Sara"), (STRANGER, "Reza")):
        emu.add_user(user_id=uid, first_name=name, started=True)


def board(m: dict[str, Any]) -> bool:
    return bool(m.get("from_bot")) and "Prices" in str(m.get("text", ""))


def boards(emu: TelegramEmulator, chat_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in emu.transcript(chat_id)
        if m.get("from_bot") and not m.get("deleted") and "🕒" in str(m.get("text"))
    ]


async def say(bot: RunningBot, user_id: int, chat_id: int, text: str) -> str:
    """Send in any chat; once handled, every bot message after it there, joined."""
    emu = bot.stack.telegram
    sent = await emu.send_text(user_id, text, chat_id=chat_id)
    await asyncio.wait_for(bot.handled.wait(f"m:{chat_id}:{sent['message_id']}"), 10)
    return "\n".join(
        str(m.get("text") or "")
        for m in emu.transcript(chat_id)
        if m.get("from_bot") and m["message_id"] > sent["message_id"]
    )


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - the emulator and the bot share no event
            await asyncio.sleep(0.02)


def calls(emu: TelegramEmulator, method: str, chat_id: int) -> list[dict[str, Any]]:
    return [
        r.params
        for r in emu.requests
        if r.method == method and str(r.params.get("chat_id")) == str(chat_id)
    ]


async def first_board(bot: RunningBot, chat_id: int) -> dict[str, Any]:
    return await bot.stack.telegram.wait_for_message(chat_id, predicate=board, timeout=15)


async def moved_price(stack: SandboxStack, bot: RunningBot, pct: float) -> None:
    """Move BTC by ``pct`` and let the Wallex stream tell the bot."""
    last = services_of(bot.app).market.last_prices
    assert last is not None
    before = last.get("wallex", "BTCTMN")
    stack.market.shift("BTC", pct)
    await until(lambda: services_of(bot.app).streams.is_live("wallex"), 15)
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        await stack.servers["wallex"].push("BTCTMN")  # type: ignore[attr-defined]
        now = last.get("wallex", "BTCTMN")
        if now is not None and (before is None or now.price != before.price):
            return
        assert asyncio.get_running_loop().time() < deadline, "the stream did not move"
        await asyncio.sleep(0.05)


async def test_group_feed_admins_only_and_the_board(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Traders", members=[MEMBER], admins=[ADMIN]).id
    refused = await say(bot, MEMBER, group, "/feed wallex BTC/TMN")
    assert "only an admin of this group can set up a price feed" in refused
    assert "Usage: /feed" in await say(bot, ADMIN, group, "/feed wallex")
    assert "is not an interval" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN soon")
    created = await say(bot, ADMIN, group, "/feed wallex BTC/TMN,ETH/TMN,narkasa:BTCTRY 5m")
    assert "Feed #" in created and "every 5 minutes" in created
    assert "BTC/TMN (Wallex)" in created and "BTC/TRY (Narkasa)" in created
    first = await first_board(bot, group)
    text = first["text"]
    assert "BTC/TMN · Wallex" in text and "ETH/TMN · Wallex" in text
    assert "BTC/TRY · Narkasa" in text and "UTC" in text
    assert re.search(r"[▲▼•]", text), text
    feeds = feeds_of(bot)
    fetched = feeds.quotes.upstream_calls
    # Five minutes later, the next board; prices the bot already knows cost no upstream call.
    result = await feeds.run_due(datetime.now(UTC) + timedelta(minutes=5))
    assert result.posted == 1
    assert len(boards(emu, group)) == 2
    assert feeds.quotes.upstream_calls == fetched
    # Anyone may list; only admins get buttons.
    listing = await say(bot, MEMBER, group, "/feeds")
    assert "#1" in listing and "active" in listing
    assert "reply_markup" not in (emu.last_bot_message(group) or {})
    # The admin removes it; a member cannot.
    assert "Only an admin" in await say(bot, MEMBER, group, "/unfeed 1")
    assert "#1" in await say(bot, ADMIN, group, "/unfeed 1")
    assert feeds.due_at(1) is None
    assert not (await feeds.run_due(datetime.now(UTC) + timedelta(hours=1))).feeds
    # The chat's language: Persian, with Persian digits.
    await say(bot, ADMIN, group, "/lang fa")
    assert "#2" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 5m")
    await until(lambda: len(boards(emu, group)) == 3)
    persian = boards(emu, group)[-1]["text"]
    assert PERSIAN.search(persian) and "قیمت" in persian and "Prices" not in persian


async def test_a_chats_feeds_stay_within_telegrams_group_limit(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Busy", admins=[ADMIN]).id
    for _ in range(7):  # 7 × 2 a minute = 14 of the 15 feeds may use
        assert "Feed #" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 30s")
    refused = await say(bot, ADMIN, group, "/feed wallex BTC/TMN 30s")
    assert "too often" in refused and "Every 1 minute or longer fits" in refused
    assert "Feed #8" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 1m")
    assert "at most every 30 seconds" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 10s")


async def test_channel_feed_from_private_with_admin_checks(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    people(emu)
    channel = emu.add_channel("Price news", "pricenews", admins=[ADMIN]).id
    emu.add_channel("Read only", "readonly", admins=[ADMIN], bot_rights={"can_post_messages": True})
    emu.add_channel("Without me", "withoutme", admins=[ADMIN], with_bot=False)
    group = emu.add_group("A group", admins=[ADMIN], username="agroup").id
    assert group
    refused = await say(bot, STRANGER, STRANGER, "/feed @pricenews wallex BTC/TMN")
    assert "You are not an administrator of @pricenews" in refused
    assert "can't find @nosuch" in await say(bot, ADMIN, ADMIN, "/feed @nosuch wallex BTC/TMN")
    assert "is not a channel" in await say(bot, ADMIN, ADMIN, "/feed @agroup wallex BTC/TMN")
    missing = await say(bot, ADMIN, ADMIN, "/feed @readonly wallex BTC/TMN pin")
    assert "lack the right “Edit messages of others”" in missing
    absent = await say(bot, ADMIN, ADMIN, "/feed @withoutme wallex BTC/TMN")
    assert "can't find @withoutme" in absent or "I am not an administrator" in absent
    assert "in a private chat with me" in await say(
        bot, ADMIN, group, "/feed @pricenews wallex BTC/TMN"
    )
    created = await say(bot, ADMIN, ADMIN, "/feed @pricenews wallex BTC/TMN 1h")
    assert "Feed #1 is set in @pricenews" in created
    await first_board(bot, channel)
    # The stranger sees nothing of it; the admin sees it with buttons and pauses it.
    assert "None of the channels you administer" in await say(bot, STRANGER, STRANGER, "/feeds")
    listing = await emu.send_text(ADMIN, "/feeds", chat_id=ADMIN)
    reply = await emu.wait_for_message(ADMIN, after_message_id=listing["message_id"])
    assert "@pricenews" in reply["text"] and "every 1 hour" in reply["text"]
    await emu.press_button(ADMIN, ADMIN, reply["message_id"], 1)
    await emu.wait_for_message(ADMIN, predicate=lambda m: "is paused" in str(m.get("text")))
    assert feeds_of(bot).due_at(1) is None
    assert "paused" in await say(bot, ADMIN, ADMIN, "/feeds")
    assert "Only an admin of @pricenews" in await say(bot, STRANGER, STRANGER, "/unfeed 1")
    assert "Feed #1 is removed" in await say(bot, ADMIN, ADMIN, "/unfeed 1")


async def test_pin_mode_edits_one_message_only_when_prices_change(bot: RunningBot) -> None:
    emu, stack = bot.stack.telegram, bot.stack
    people(emu)
    group = emu.add_group(
        "Pinned", admins=[ADMIN], bot_rights={"can_pin_messages": True, "can_delete_messages": True}
    ).id
    plain = emu.add_group("No pins", admins=[ADMIN]).id
    assert "Pin messages" in await say(bot, ADMIN, plain, "/feed wallex BTC/TMN pin")
    assert "one pinned message" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 1m pin")
    pinned = await first_board(bot, group)
    await until(lambda: bool(calls(emu, "pinChatMessage", group)))
    assert calls(emu, "pinChatMessage", group)[0]["message_id"] == pinned["message_id"]
    feeds = feeds_of(bot)
    now = datetime.now(UTC)
    await feeds.run_due(now + timedelta(minutes=1))  # the stream's price may differ a little
    edits = len(calls(emu, "editMessageText", group))
    # Nothing changed: no edit at all.
    result = await feeds.run_due(now + timedelta(minutes=2))
    assert result.unchanged == 1 and len(calls(emu, "editMessageText", group)) == edits
    # The price moves: the same message is edited.
    await moved_price(stack, bot, 3)
    result = await feeds.run_due(now + timedelta(minutes=3))
    assert result.edited == 1
    assert len(calls(emu, "editMessageText", group)) == edits + 1
    assert len(boards(emu, group)) == 1
    # An admin deletes the board: the next change posts it anew and pins it again.
    emu.delete_message(ADMIN, group, pinned["message_id"])
    await moved_price(stack, bot, 2)
    result = await feeds.run_due(now + timedelta(minutes=4))
    assert result.posted == 1
    again = boards(emu, group)
    assert len(again) == 1 and again[0]["message_id"] != pinned["message_id"]
    assert calls(emu, "pinChatMessage", group)[-1]["message_id"] == again[0]["message_id"]


async def test_on_move_posts_only_after_a_move(bot: RunningBot) -> None:
    emu, stack = bot.stack.telegram, bot.stack
    people(emu)
    group = emu.add_group("Movers", admins=[ADMIN]).id
    created = await say(bot, ADMIN, group, "/feed wallex BTC/TMN on move 2%")
    assert "when a price moves 2% (checked every 1 minute)" in created
    await first_board(bot, group)  # the first check posts, to set the reference
    feeds = feeds_of(bot)
    now = datetime.now(UTC)
    assert (await feeds.run_due(now + timedelta(minutes=1))).not_moved == 1
    await moved_price(stack, bot, 1)
    assert (await feeds.run_due(now + timedelta(minutes=2))).not_moved == 1
    await moved_price(stack, bot, 2)  # 3 % in all since the last board
    result = await feeds.run_due(now + timedelta(minutes=3))
    assert result.posted == 1
    posted = boards(emu, group)
    assert len(posted) == 2 and "Moved" in posted[-1]["text"]
    assert (await feeds.run_due(now + timedelta(minutes=4))).not_moved == 1


async def test_removed_bot_pauses_the_feed_and_tells_its_creator(bot: RunningBot) -> None:
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Leaving", admins=[ADMIN]).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 5m")
    await first_board(bot, group)
    emu.remove_bot(group, by_user_id=ADMIN)
    told = await emu.wait_for_message(
        ADMIN, predicate=lambda m: "removed from" in str(m.get("text")), timeout=15
    )
    assert "Leaving" in told["text"] and "#1" in told["text"] and "/feeds" in told["text"]
    feeds = feeds_of(bot)
    assert feeds.due_at(1) is None
    assert (await feeds.get(1)).state == "paused"
    # A channel where the bot loses the right to post: the same.
    channel = emu.add_channel("News", "newsfeed", admins=[ADMIN]).id
    assert "Feed #2" in await say(bot, ADMIN, ADMIN, "/feed @newsfeed wallex BTC/TMN 1h")
    await first_board(bot, channel)
    emu.set_bot_rights(channel, by_user_id=ADMIN, can_edit_messages=True)
    told = await emu.wait_for_message(
        ADMIN, predicate=lambda m: "Post messages" in str(m.get("text")), timeout=15
    )
    assert "#2" in told["text"]
    assert (await feeds.get(2)).paused_reason == "no_rights"


async def test_a_failed_post_pauses_the_feed(bot: RunningBot) -> None:
    """Telegram refusing a post (no my_chat_member seen) pauses it the same way."""
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Quiet", admins=[ADMIN]).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 5m")
    await first_board(bot, group)
    feeds = feeds_of(bot)
    await feeds.stop()  # the scheduler and the update it would see are held back
    bot.app.remove_handler(bot.app.handlers[8][0], group=8)
    emu.remove_bot(group, by_user_id=ADMIN)
    result = await feeds.run_due(datetime.now(UTC) + timedelta(minutes=5))
    assert result.paused == 1
    await emu.wait_for_message(
        ADMIN, predicate=lambda m: "removed from" in str(m.get("text")), timeout=15
    )


async def test_a_restart_restores_the_schedule(stack: SandboxStack, tmp_path: Path) -> None:
    emu = stack.telegram
    people(emu)
    group = emu.add_group("Restart", admins=[ADMIN]).id
    db = tmp_path / "feeds.db"
    async with running_bot(stack, db) as bot:
        assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 15m")
        assert "Feed #2" in await say(bot, ADMIN, group, "/feed narkasa BTCTRY 1h")
        await until(lambda: len(boards(emu, group)) == 2, 15)
        await say(bot, ADMIN, group, "/unfeed 2")
        assert "Feed #3" in await say(bot, ADMIN, group, "/feed wallex ETH/TMN 1h")
        await until(lambda: len(boards(emu, group)) == 3, 15)
        feeds = feeds_of(bot)
        await feeds.pause(3)
        planned = feeds.due_at(1)
        assert planned is not None and planned.minute % 15 == 0
    async with running_bot(stack, db) as bot:
        feeds = feeds_of(bot)
        await until(lambda: feeds.due_at(1) is not None)
        assert feeds.due_at(1) == planned
        assert feeds.due_at(2) is None and feeds.due_at(3) is None
        # Hours later (the bot was down meanwhile): one board, not a backlog.
        result = await feeds.run_due(planned + timedelta(hours=2))
        assert result.posted == 1 and result.feeds == [1]
        assert len(boards(emu, group)) == 4
        later = feeds.due_at(1)
        assert later is not None and later > planned + timedelta(hours=2)
    assert Decimal(1)  # keeps Decimal imported for readers of the figures above


async def test_the_demo_terminal_acts_in_a_group_and_a_channel(bot: RunningBot) -> None:
    import io

    from sandbox.terminal import TerminalChat

    emu = bot.stack.telegram
    people(emu)
    out = io.StringIO()
    chat = TerminalChat(emu, ADMIN, out=out, handled=bot.handled.wait)
    status = await chat.run_script(
        [
            "!chat group Demo room",
            "/feed wallex BTC/TMN 1m pin",
            "!wait 10",
            "!chat channel demonews",
            "!chat private",
            "/feed @demonews wallex BTC/TMN 1h",
        ]
    )
    await first_board(bot, chat._chats[("channel", "demonews")])
    status += await chat.run_script(["!chat channel demonews"])
    text = out.getvalue()
    assert status == 0, text
    assert "(now in group Demo room)" in text and "Feed #1 is set in Demo room" in text
    assert "Feed #2 is set in @demonews" in text
    assert text.count("📊 Prices") == 2, text


async def test_a_pinned_board_without_the_right_to_pin_pauses_only_that_feed(
    bot: RunningBot,
) -> None:
    emu, stack = bot.stack.telegram, bot.stack
    people(emu)
    group = emu.add_group(
        "Pins", admins=[ADMIN], bot_rights={"can_pin_messages": True, "can_delete_messages": True}
    ).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 1m pin")
    pinned = await first_board(bot, group)
    assert "Feed #2" in await say(bot, ADMIN, group, "/feed narkasa BTCTRY 1h")
    await until(lambda: len(boards(emu, group)) == 2)
    emu.set_bot_rights(group, by_user_id=ADMIN, can_delete_messages=True)  # no more pins
    emu.delete_message(ADMIN, group, pinned["message_id"])
    await moved_price(stack, bot, 2)
    feeds = feeds_of(bot)
    result = await feeds.run_due(datetime.now(UTC) + timedelta(minutes=1))
    assert result.paused == 1
    told = await emu.wait_for_message(
        ADMIN, predicate=lambda m: "may not pin" in str(m.get("text")), timeout=15
    )
    assert "“Pin messages”" in told["text"] and "#1" in told["text"]
    assert (await feeds.get(1)).paused_reason == "no_pin"
    assert (await feeds.get(2)).state == "active"


async def test_a_pinned_board_is_still_edited_after_a_restart(
    stack: SandboxStack, tmp_path: Path
) -> None:
    emu = stack.telegram
    people(emu)
    rights = {"can_pin_messages": True}
    group = emu.add_group("Pinned restart", admins=[ADMIN], bot_rights=rights).id
    db = tmp_path / "pinned.db"
    async with running_bot(stack, db) as bot:
        assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 1m pin")
        pinned = await first_board(bot, group)
    async with running_bot(stack, db) as bot:
        feeds = feeds_of(bot)
        await until(lambda: feeds.due_at(1) is not None)
        await moved_price(stack, bot, 3)
        result = await feeds.run_due(datetime.now(UTC) + timedelta(minutes=2))
        assert result.edited == 1
        shown = boards(emu, group)
        assert [m["message_id"] for m in shown] == [pinned["message_id"]]
        assert shown[0]["text"] != pinned["text"]


async def test_the_emulator_lets_only_those_who_may_delete_a_message(stack: SandboxStack) -> None:
    """The user-side delete the pin tests rely on keeps Telegram's rules."""
    import pytest

    emu = stack.telegram
    people(emu)
    group = emu.add_group("Deleting", members=[MEMBER], admins=[ADMIN]).id
    mine = await emu.send_text(MEMBER, "hello", chat_id=group)
    theirs = await emu.send_text(ADMIN, "admin here", chat_id=group)
    with pytest.raises(ValueError, match="may not delete"):
        emu.delete_message(MEMBER, group, theirs["message_id"])
    emu.delete_message(MEMBER, group, mine["message_id"])
    emu.delete_message(ADMIN, group, theirs["message_id"])  # the creator may delete anything
    gone = {m["message_id"]: m.get("deleted") for m in emu.transcript(group)}
    assert gone[mine["message_id"]] and gone[theirs["message_id"]]
    with pytest.raises(ValueError, match="no message"):
        emu.delete_message(ADMIN, group, mine["message_id"])


async def test_feeds_resume_when_the_bot_is_back_but_not_those_paused_by_hand(
    bot: RunningBot,
) -> None:
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Coming back", admins=[ADMIN]).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 5m")
    assert "Feed #2" in await say(bot, ADMIN, group, "/feed narkasa BTCTRY 1h")
    await until(lambda: len(boards(emu, group)) == 2)
    feeds = feeds_of(bot)
    await feeds.pause(2)  # by hand: it must stay paused
    emu.remove_bot(group, by_user_id=ADMIN)
    await emu.wait_for_message(
        ADMIN, predicate=lambda m: "removed from" in str(m.get("text")), timeout=15
    )
    assert (await feeds.get(1)).paused_reason == "removed"
    before = len(boards(emu, group))
    emu.add_bot_to(group, by_user_id=ADMIN)
    told = await emu.wait_for_message(
        ADMIN, predicate=lambda m: "running again" in str(m.get("text")), timeout=15
    )
    assert "Coming back" in told["text"] and "#1" in told["text"] and "#2" not in told["text"]
    assert (await feeds.get(1)).state == "active"
    assert (await feeds.get(2)).state == "paused"
    await until(lambda: len(boards(emu, group)) == before + 1)  # the board at once
    # A channel: the right to post taken, then given back.
    channel = emu.add_channel("Back news", "backnews", admins=[ADMIN]).id
    assert "Feed #3" in await say(bot, ADMIN, ADMIN, "/feed @backnews wallex BTC/TMN 1h")
    await first_board(bot, channel)
    emu.set_bot_rights(channel, by_user_id=ADMIN, can_edit_messages=True)
    await until(lambda: feeds.due_at(3) is None)
    assert (await feeds.get(3)).paused_reason == "no_rights"
    emu.set_bot_rights(channel, by_user_id=ADMIN, can_post_messages=True)
    await emu.wait_for_message(
        ADMIN, predicate=lambda m: "#3 is running again" in str(m.get("text")), timeout=15
    )
    await until(lambda: len(boards(emu, channel)) == 2)


async def test_a_pinned_board_resumes_only_once_the_bot_may_pin_again(bot: RunningBot) -> None:
    """Re-added as a plain member, the bot resumes the plain feed but not the pinned board
    (it would only pause again); given the right to pin, that one resumes too."""
    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group("Return", admins=[ADMIN], bot_rights={"can_pin_messages": True}).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 5m")
    assert "Feed #2" in await say(bot, ADMIN, group, "/feed wallex ETH/TMN 1h pin")
    await until(lambda: len(boards(emu, group)) == 2)
    feeds = feeds_of(bot)
    emu.remove_bot(group, by_user_id=ADMIN)
    await until(lambda: feeds.due_at(1) is None and feeds.due_at(2) is None)
    emu.add_bot_to(group, by_user_id=ADMIN)
    back = await emu.wait_for_message(
        ADMIN, predicate=lambda m: "running again" in str(m.get("text")), timeout=15
    )
    assert "#1" in back["text"] and "#2" not in back["text"]
    assert (await feeds.get(2)).state == "paused"
    emu.set_bot_rights(group, by_user_id=ADMIN, can_pin_messages=True)
    back = await emu.wait_for_message(
        ADMIN,
        predicate=lambda m: "#2 is running again" in str(m.get("text")),
        timeout=15,
    )
    assert (await feeds.get(2)).state == "active" and feeds.due_at(2) is not None


async def test_a_deleted_pinned_board_comes_back_at_the_next_tick_without_a_move(
    bot: RunningBot,
) -> None:
    emu = bot.stack.telegram
    people(emu)
    rights = {"can_pin_messages": True, "can_delete_messages": True}
    group = emu.add_group("Still", admins=[ADMIN], bot_rights=rights).id
    assert "Feed #1" in await say(bot, ADMIN, group, "/feed wallex BTC/TMN 1m pin")
    pinned = await first_board(bot, group)
    feeds = feeds_of(bot)
    now = datetime.now(UTC)
    await feeds.run_due(now + timedelta(minutes=1))  # settle on the stream's price
    assert (await feeds.run_due(now + timedelta(minutes=2))).unchanged == 1
    emu.delete_message(ADMIN, group, pinned["message_id"])
    result = await feeds.run_due(now + timedelta(minutes=3))  # prices stand still
    assert result.posted == 1
    again = boards(emu, group)
    assert len(again) == 1 and again[0]["message_id"] != pinned["message_id"]
    assert calls(emu, "pinChatMessage", group)[-1]["message_id"] == again[0]["message_id"]


async def test_an_anonymous_admins_feed_is_told_in_its_group(bot: RunningBot) -> None:
    """An admin who writes as the group (GroupAnonymousBot, sender_chat = the group) may
    set up a feed; with no private chat to tell, its notices go to the group. (Only an
    administrator can write as the group: the emulator refuses it of a member.)"""
    from bot.feeds.model import ANONYMOUS_ADMIN

    emu = bot.stack.telegram
    people(emu)
    group = emu.add_group(
        "Anonymous", members=[MEMBER], admins=[ADMIN], bot_rights={"can_pin_messages": True}
    ).id
    with pytest.raises(ValueError, match="not an administrator"):
        await emu.send_text(MEMBER, "/feed wallex BTC/TMN 1m pin", chat_id=group, anonymous=True)
    sent = await emu.send_text(ADMIN, "/feed wallex BTC/TMN 1m pin", chat_id=group, anonymous=True)
    assert sent["from"]["id"] == ANONYMOUS_ADMIN and sent["sender_chat"]["id"] == group
    await asyncio.wait_for(bot.handled.wait(f"m:{group}:{sent['message_id']}"), 10)
    created = emu.last_bot_message(group) or {}
    assert "Feed #" in str(created.get("text")), created
    feeds = feeds_of(bot)
    (view,) = await feeds.of_chat(group)
    assert view.creator_id == ANONYMOUS_ADMIN
    await first_board(bot, group)
    assert f"#{view.id}" in await say(bot, ADMIN, group, "/feeds")
    emu.set_bot_rights(group, by_user_id=ADMIN, can_delete_messages=True)  # no more pins
    emu.delete_message(ADMIN, group, boards(emu, group)[0]["message_id"])
    result = await feeds.run_due(datetime.now(UTC) + timedelta(minutes=1))
    assert result.paused == 1
    told = await emu.wait_for_message(
        group, predicate=lambda m: "may not pin" in str(m.get("text")), timeout=15
    )
    assert f"#{view.id}" in told["text"]
    emu.set_bot_rights(group, by_user_id=ADMIN, can_pin_messages=True)
    await emu.wait_for_message(
        group, predicate=lambda m: "running again" in str(m.get("text")), timeout=15
    )
