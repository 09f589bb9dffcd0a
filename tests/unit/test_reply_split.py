from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.reply import LIMIT, split_text


def test_short_text_is_one_message() -> None:
    assert split_text("hello\nworld") == ["hello\nworld"]


def test_long_text_splits_on_lines_and_keeps_everything() -> None:
    lines = [f"line {i} " + "x" * 50 for i in range(300)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= LIMIT for p in parts)
    assert "\n".join(parts) == text


def test_a_single_over_long_line_is_cut_not_dropped() -> None:
    text = "y" * (LIMIT * 2 + 10)
    parts = split_text(text)
    assert [len(p) for p in parts] == [LIMIT, LIMIT, 10]
    assert "".join(parts) == text


@given(st.lists(st.text(alphabet="ab \u06f1", min_size=1, max_size=700), min_size=1, max_size=40))
def test_no_part_exceeds_the_limit_and_no_content_is_lost(lines: list[str]) -> None:
    text = "\n".join(lines)
    parts = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "") or not text.strip()
