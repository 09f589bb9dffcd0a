"""The notifier's flood limits (bot/ratelimit.py), on a clock the tests move by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ratelimit import (
    ArrivalWindow,
    FloodTracker,
    Limiter,
    Limits,
    SlidingWindow,
    TokenBucket,
    backoff,
    is_group,
)
from sandbox.telegram.errors import ApiError
from sandbox.telegram.flood import FloodControl, FloodLimits

EXACT = Limits(slack=0.0, global_gap=0.0)  # Telegram's numbers with no margin


def test_sliding_window_counts_any_span() -> None:
    window = SlidingWindow(3, 1.0)
    for t in (0.0, 0.2, 0.4):
        assert window.wait(t) == 0
        window.record(t)
    assert window.wait(0.5) == pytest.approx(0.5)  # the one at 0.0 leaves at 1.0
    assert window.wait(1.0) == 0
    window.record(1.0)
    assert window.wait(1.0) == pytest.approx(0.2)
    assert not window.idle(1.5)
    assert window.idle(2.0)


def test_token_bucket_bursts_then_refills() -> None:
    bucket = TokenBucket(3, 1.0, now=0.0)
    for _ in range(3):
        assert bucket.wait(0.0) == 0
        bucket.record(0.0)
    assert bucket.wait(0.0) == pytest.approx(1.0)
    assert bucket.wait(0.25) == pytest.approx(0.75)
    assert bucket.wait(1.0) == 0
    bucket.record(1.0)
    assert bucket.wait(1.0) == pytest.approx(1.0)
    assert not bucket.idle(2.0)
    assert bucket.idle(100.0)
    bucket.record(100.0)  # a long rest refills to the burst, no more
    bucket.record(100.0)
    bucket.record(100.0)
    assert bucket.wait(100.0) == pytest.approx(1.0)


def test_global_window_with_slack_and_gap() -> None:
    limiter = Limiter(Limits(slack=0.03, global_gap=0.01))
    now = 0.0
    for chat in range(1, 31):
        assert limiter.wait(chat, now) == 0
        limiter.answered(limiter.record(chat, now), now)  # answered at once: no delay
        if chat < 30:
            assert limiter.global_wait(now) == pytest.approx(0.01)  # the gap
        now += 0.01
    # 30 sent in [0, 0.29]: the 31st waits for the first to leave a 1.03 s window.
    assert limiter.global_wait(now) == pytest.approx(1.03 - now)
    assert limiter.chat_wait(99, now) == 0  # a new chat's own limit is not the obstacle


def test_arrival_window_counts_a_late_request_from_when_it_may_have_arrived() -> None:
    window = ArrivalWindow(1, 1.0, max_late=0.5)
    first = window.record(0.0)
    window.answered(first, 0.05)  # the quickest round trip: 50 ms
    assert window.wait(0.5) == pytest.approx(0.5)  # on time: counts from when it left
    slow = window.record(1.0)
    # Unanswered after 0.35 s: it may arrive as late as 1.0 + (0.35 - 0.05).
    assert window.wait(1.35) == pytest.approx(1.30 + 1.0 - 1.35)
    window.answered(slow, 1.4)  # 0.35 s slower than the quickest
    assert window.wait(1.5) == pytest.approx(1.35 + 1.0 - 1.5)
    third = window.record(3.0)
    window.departs(third, 3.1)  # its buttons were issued first
    window.answered(third, 3.15)
    assert window.wait(3.2) == pytest.approx(3.1 + 1.0 - 3.2)
    assert not window.idle(3.2)
    assert window.idle(5.0)


def test_a_hung_request_delays_others_at_most_max_late() -> None:
    window = ArrivalWindow(1, 1.0, max_late=0.5)
    window.record(0.0)
    assert window.wait(10.0) == 0  # 0 + 0.5 + 1.0 is long past


def test_one_chat_gets_a_burst_then_about_one_a_second() -> None:
    limiter = Limiter(Limits(slack=0.05, global_gap=0.0))
    for _ in range(3):
        assert limiter.wait(7, 0.0) == 0
        limiter.record(7, 0.0)
    assert limiter.chat_wait(7, 0.0) == pytest.approx(1.05)
    assert limiter.chat_wait(8, 0.0) == 0


def test_groups_have_the_chat_bucket_and_a_minute_window() -> None:
    limiter = Limiter(Limits(slack=0.0, global_gap=0.0, chat_burst=50))
    now = 0.0
    for _ in range(20):
        assert limiter.chat_wait(-100, now) == 0
        limiter.record(-100, now)
        now += 0.5
    assert is_group(-100) and not is_group(100)
    assert limiter.chat_wait(-100, now) == pytest.approx(60.0 - now)  # 20 a minute
    assert limiter.chat_wait(100, now) == 0


def test_pauses() -> None:
    limiter = Limiter(EXACT)
    limiter.pause_chat(5, 10.0)
    limiter.pause_chat(5, 3.0)  # a shorter pause does not cut a longer one
    assert limiter.chat_wait(5, 1.0) == pytest.approx(9.0)
    assert limiter.wait(6, 1.0) == 0
    limiter.pause_all(4.0)
    assert limiter.wait(6, 1.0) == pytest.approx(3.0)
    assert limiter.wait(5, 1.0) == pytest.approx(9.0)
    assert limiter.wait(6, 4.0) == 0


def test_prune_forgets_chats_that_have_recovered() -> None:
    limiter = Limiter(EXACT)
    limiter.record(1, 0.0)
    limiter.record(-2, 0.0)
    limiter.pause_chat(3, 5.0)
    assert limiter.tracked_chats() == 4  # bucket 1, bucket and window -2, pause 3
    limiter.prune(1.0)
    assert limiter.tracked_chats() == 2  # both buckets full again; window and pause left
    limiter.prune(61.0)
    assert limiter.tracked_chats() == 0


def test_flood_tracker_tells_one_chat_from_the_whole_bot() -> None:
    tracker = FloodTracker(chats=3, window=1.0)
    assert tracker.refused(1, 2.0, now=0.0) is None
    assert tracker.refused(1, 2.0, now=0.1) is None  # the same chat twice is still one
    assert tracker.refused(2, 5.0, now=0.2) is None
    assert tracker.refused(3, 1.0, now=0.3) == pytest.approx(5.2)  # the longest wait
    assert tracker.refused(4, 1.0, now=5.0) is None  # the others are long gone


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 1.0, 10.0) for n in range(0, 7)] == [0, 1, 2, 4, 8, 10, 10]
    assert backoff(10_000, 1.0, 60.0) == 60.0


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Limits(global_messages=0)
    with pytest.raises(ValueError):
        Limits(chat_per_second=0)
    with pytest.raises(ValueError):
        Limits(slack=-1)
    with pytest.raises(ValueError):
        Limits(max_in_flight=0)


@settings(max_examples=60, deadline=None)
@given(
    chats=st.lists(
        st.sampled_from([1, 2, 3, 4, 5, 6, -10, -11, -12, *range(100, 140)]),
        min_size=1,
        max_size=400,
    )
)
def test_whatever_the_limiter_admits_telegram_accepts(chats: list[int]) -> None:
    """Drive the limiter at full speed on a shared clock and feed every admitted send to
    the emulator's flood control (Telegram's rules): it must never answer 429."""
    now = 1000.0
    telegram = FloodControl(FloodLimits(), lambda: now)
    limiter = Limiter(EXACT)
    for chat in chats:
        now += limiter.wait(chat, now)
        limiter.answered(limiter.record(chat, now), now)
        try:
            telegram.send(1, chat, is_group(chat))
        except ApiError as error:  # pragma: no cover - the failure being tested for
            pytest.fail(f"429 for chat {chat} at {now}: {error}")


def test_full_rate_over_many_chats_is_thirty_a_second() -> None:
    """3,000 chats at full speed: about 100 s, as Telegram allows (plus the slack)."""
    limits = Limits()
    limiter = Limiter(limits)
    now = 0.0
    for chat in range(1, 3001):
        now += limiter.wait(chat, now)
        limiter.answered(limiter.record(chat, now), now)
    ideal = (3000 - 30) / 30
    assert ideal <= now <= ideal * (1 + limits.slack) + 0.5
