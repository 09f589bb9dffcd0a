"""Fixtures of the fault suite: the bot and sandbox fixtures of the integration tests,
plus hostile text for property-based tests."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from bot.logs import RedactingFilter
from sandbox.runner import SandboxStack, demo_credentials
from tests.integration.conftest import bot, market_clock, running_bot, stack

__all__ = [
    "HOSTILE_WORDS",
    "bot",
    "hostile_text",
    "hostile_words",
    "market_clock",
    "running_bot",
    "stack",
]

# What people (and attackers) type: numbers in every script and size, words that look
# like numbers but are not, markup and injection attempts, invisible and RTL marks.
HOSTILE_WORDS = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "+5",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "9" * 400,
    "0." + "0" * 300 + "1",
    "1,000,000",
    "1,00,0",
    "۱۲۳٫۴۵",
    "١٢٣٬٤٥٦",
    "٠.٠٠١",
    "12%",
    "%",
    "--",
    "+-3",
    "above",
    "every",
    "until",
    "once",
    "change",
    "cross",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "99999999d",
    "1h",
    "0m",
    "\u200f",  # right-to-left mark
    "\u202e1",  # right-to-left override
    "\u200b",
    "\x00",
    "\ufeff42",
    "'; DROP TABLE alerts; --",
    "<b>bold</b>",
    "</code><script>",
    "&amp;",
    "{price}",
    "%(x)s",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "BTC/TMN",
    "btc_usdt",
    "BTC//",
    "/",
    "wallex",
    "WEX",
    "a" * 5000,
    "💰" * 100,
    "ي",
    "ك",
]

hostile_words = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.text(max_size=40),
    st.text(alphabet="0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩.,٫٬-+eE%", max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
)
"""One argument word (may contain spaces or be empty: the parser must cope)."""

hostile_text = st.lists(hostile_words, max_size=8).map(" ".join)
"""A whole message's argument text."""


@pytest.fixture(scope="package", autouse=True)
def no_secret_in_any_log_of_the_fault_suite() -> Iterator[None]:
    """Everything the fault suite logs, at DEBUG and with every traceback, formatted as
    ``sarraf run`` writes it; at the end no sandbox secret (nor the bot token) may be in it.
    The suite is where upstreams fail, processes die and users misbehave, so this is
    where an exception carrying a secret would show. (Package-scoped: the rest of the
    suite keeps its own logging; aiosqlite's per-operation lines, which carry no data,
    are left out to keep the run fast.)"""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    chatty = logging.getLogger("aiosqlite")
    old_chatty = chatty.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    chatty.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        chatty.setLevel(old_chatty)
    text = stream.getvalue()
    secrets = [v for values in demo_credentials().values() for v in values]
    secrets.append(SandboxStack.token)
    leaked = [s[:4] + "…" for s in secrets if s in text]
    assert not leaked, f"secrets in the fault suite's log: {leaked}"
