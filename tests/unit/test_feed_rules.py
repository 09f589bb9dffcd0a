"""Feed rules without a network: reading /feed, the chat's budget, moves, the schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from telegram.error import BadRequest

from bot.feeds import model
from bot.feeds.service import classify
from handlers.args import UsageError
from handlers.feed_args import parse_feed


def test_the_minimal_form_and_its_defaults() -> None:
    parsed = parse_feed(["wallex", "BTC/TMN"])
    assert parsed.channel is None
    assert parsed.request.markets == (("wallex", "BTC/TMN"),)
    assert parsed.request.every == 300 and not parsed.request.pin
    assert parsed.request.move_pct is None


def test_several_symbols_mixed_exchanges_and_options_in_any_order() -> None:
    parsed = parse_feed(["@News", "Wallex", "BTC/TMN,", "ETH/TMN,narkasa:BTCTRY", "pin", "1h"])
    assert parsed.channel == "@News"
    assert parsed.request.markets == (
        ("wallex", "BTC/TMN"),
        ("wallex", "ETH/TMN"),
        ("narkasa", "BTCTRY"),
    )
    assert parsed.request.pin and parsed.request.every == 3600
    items = parse_feed(["wallex:BTC/TMN,alp:BTC_USDT", "on", "move", "1.5%"]).request
    assert items.markets == (("wallex", "BTC/TMN"), ("alp", "BTC_USDT"))
    assert items.move_pct == Decimal("1.5") and items.every == model.DEFAULT_MOVE_EVERY


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ([], "I need an exchange"),
        (["wallex"], "at least one symbol"),
        (["BTC/TMN,narkasa:BTCTRY"], "needs an exchange"),
        (["wallex", "BTC/TMN", "soon"], "is not an interval"),
        (["wallex", "BTC/TMN", "10s"], "at most every"),
        (["wallex", "BTC/TMN", "30d"], "once a week"),
        (["wallex", "BTC/TMN", "on", "move"], "percentage above 0"),
        (["wallex", "BTC/TMN", "on", "up", "2"], "on move PCT"),
        (["wallex", "BTC/TMN", "move", "0"], "percentage above 0"),
        (["wallex", "B@D"], "not a market symbol"),
        (["wallex", ",".join(["BTC/TMN"] * 13)], "at most"),
    ],
)
def test_every_mistake_gets_a_sentence(words: list[str], problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_feed(words)
    assert problem in caught.value.problem


def test_the_chats_budget_of_posts_a_minute() -> None:
    assert model.budget_check(300, []) is None
    assert model.budget_check(30, [30] * 6) is None  # 14 a minute
    refused = model.budget_check(30, [30] * 7)  # would be 16
    assert refused is not None and refused.smallest == 60
    assert refused.used_per_minute == 14
    full = model.budget_check(60, [30] * 7 + [60])  # 15 already
    assert full is not None and full.smallest is None


def test_moves_since_the_last_board() -> None:
    assert model.largest_move(None, {"w:B": Decimal(100)}) is None
    ref = {"w:B": "100", "w:E": "50"}
    assert model.largest_move(ref, {"w:B": Decimal(101), "w:E": Decimal(48)}) == Decimal(4)
    assert model.largest_move(ref, {"w:X": Decimal(1)}) is None  # a new market: post
    assert model.should_post(Decimal(2), Decimal("1.99")) is False
    assert model.should_post(Decimal(2), Decimal(2)) and model.should_post(None, None)


def test_boards_keep_to_the_clock() -> None:
    at = datetime(2026, 12, 3, 7, 3, 10, tzinfo=UTC)
    assert model.first_due(300, at) == datetime(2026, 12, 3, 7, 5, tzinfo=UTC)
    on_time = datetime(2026, 12, 3, 7, 5, tzinfo=UTC)
    assert model.next_due(300, on_time) == datetime(2026, 12, 3, 7, 10, tzinfo=UTC)
    assert model.describe_every(5400) == (90, "m") and model.describe_every(45) == (45, "s")


def test_telegram_refusals_that_pause_a_feed() -> None:
    assert classify(BadRequest("Chat not found")) == model.REASON_REMOVED
    rights = BadRequest("Not enough rights to send text messages to the chat")
    assert classify(rights) == model.REASON_NO_RIGHTS
    assert classify(BadRequest("Need administrator rights in the channel chat")) == "no_rights"
    pins = BadRequest("Not enough rights to manage pinned messages in the chat")
    assert classify(pins) == model.REASON_NO_PIN
    assert classify(BadRequest("Message is too long")) is None
