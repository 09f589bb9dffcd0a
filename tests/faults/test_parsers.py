"""Bad chat input, property-based: every argument parser, fed arbitrary text, returns a
value or raises the one error that becomes a sentence — never anything else.

The parsers are the pure functions behind each command (``handlers/args.py``,
``handlers/alert_args.py``, the amount/price/currency readers of the money and trading
commands, address and memo checks, symbols and intervals). A ``UsageError`` or a
``BotError`` is rendered here in all four languages, the way the error handler does,
so a message that crashes in rendering is caught too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.addresses import BadAddress, check_address, check_memo
from bot.alerts.model import Kind
from bot.errors import BotError
from bot.i18n import I18n
from exchanges.intervals import interval_seconds, normalise_interval
from exchanges.models import Market
from exchanges.symbols import find_market, looks_like_symbol, split_pair, suggest
from handlers.alert_args import MAX_WINDOW, parse_alert, parse_when
from handlers.args import UsageError, clean_args, parse_decimal
from handlers.errors import sentence
from handlers.money_texts import money_error
from handlers.payments import _currency
from handlers.reply import LIMIT, split_text
from handlers.trading import _number
from handlers.withdrawals import amount_arg

from .conftest import HOSTILE_WORDS, hostile_text, hostile_words

FAST = settings(max_examples=60, deadline=None)
I18N = I18n()
LANGS = [I18N.get(code) for code in ("en", "fa", "tr", "ru")]
NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def assert_sentence(error: BaseException, command: str) -> None:
    """What the user would read for ``error``: a non-empty sentence in every language."""
    for lang in LANGS:
        if isinstance(error, UsageError):
            text = sentence(lang, error, command)
        else:
            text = money_error(lang, error)
        assert text is not None and text.strip(), f"no sentence for {error!r}"
        assert "Traceback" not in text and "Error(" not in text


def words_of(text: str) -> list[str]:
    """What python-telegram-bot hands a handler as ``context.args``."""
    return text.split()


@FAST
@given(hostile_text)
def test_clean_args_keeps_only_trimmed_non_empty_words(text: str) -> None:
    for word in clean_args(words_of(text)):
        assert word and word == word.strip()


@FAST
@given(hostile_words)
def test_parse_decimal_is_a_finite_number_or_none(word: str) -> None:
    value = parse_decimal(word)
    assert value is None or (isinstance(value, Decimal) and value.is_finite())


@pytest.mark.parametrize("word", ["1e309", "NaN", "Infinity", "-Infinity", "sNaN", "inf", "1,00,0"])
def test_words_that_python_reads_as_numbers_are_not_numbers_here(word: str) -> None:
    assert parse_decimal(word) is None


def test_persian_and_arabic_digits_are_numbers() -> None:
    assert parse_decimal("۱۲۳٫۴۵") == Decimal("123.45")
    assert parse_decimal("١٢٣٬٤٥٦") == Decimal("123456")


def check_alert(text: str) -> None:
    try:
        request = parse_alert(clean_args(words_of(text)), NOW)
    except UsageError as error:
        assert error.command == "alert"
        assert_sentence(error, "alert")
        return
    if request.kind is Kind.CHANGE:
        assert request.pct is not None and request.pct.is_finite() and 0 < abs(request.pct) <= 1000
        assert request.window is not None and 0 < request.window <= MAX_WINDOW
    else:
        assert request.price is not None and request.price.is_finite() and request.price > 0
    assert request.until is None or request.until > NOW
    assert request.repeat_every is None or request.repeat_every > 0


@FAST
@given(hostile_text)
def test_alert_arguments_parse_to_a_sane_request_or_a_sentence(text: str) -> None:
    check_alert(text)


@FAST
@given(st.sampled_from(["above", "below", "cross", "change"]), hostile_text)
def test_every_condition_with_arbitrary_rest(kind: str, rest: str) -> None:
    check_alert(f"{kind} {rest}")


@FAST
@given(hostile_words)
def test_when_is_a_time_or_none(word: str) -> None:
    when = parse_when(word, NOW)
    assert when is None or isinstance(when, datetime)


@FAST
@given(hostile_words)
def test_amounts_and_prices_are_positive_finite_or_a_sentence(word: str) -> None:
    readers: list[tuple[str, Callable[[str], object]]] = [
        ("withdraw", partial(amount_arg, "withdraw")),
        ("buy", partial(_number, "buy", what="amount")),
        ("sell", partial(_number, "sell", what="price")),
        ("convert", partial(_currency, "convert")),
    ]
    for command, read in readers:
        try:
            value = read(word)
        except UsageError as error:
            assert_sentence(error, command)
            continue
        if isinstance(value, Decimal):
            assert value.is_finite() and value > 0
        else:
            assert isinstance(value, str) and value.isalnum() and len(value) <= 10


@FAST
@given(
    st.sampled_from(["BTC", "LTC", "DOGE", "TRX", "ETH", "USDT", "", "ب"]),
    hostile_words,
    st.one_of(
        st.none(), st.sampled_from(["TRC20", "ERC20", "BEP20", "BITCOIN", ""]), hostile_words
    ),
)
def test_addresses_and_memos_are_accepted_or_refused_with_a_sentence(
    currency: str, address: str, network: str | None
) -> None:
    checks: list[Callable[[], None]] = [
        partial(check_address, currency, address, network),
        partial(check_memo, address),
    ]
    for check in checks:
        try:
            check()
        except BadAddress as error:
            assert isinstance(error, BotError)
            assert_sentence(error, "withdraw")


@FAST
@given(hostile_words)
def test_intervals_and_symbols_never_raise(word: str) -> None:
    seconds = interval_seconds(word)
    assert seconds is None or seconds > 0
    normalised = normalise_interval(word)
    assert normalised is None or interval_seconds(normalised) == seconds
    looks_like_symbol(word)
    pair = split_pair(word)
    assert pair is None or all(pair)
    markets = {
        "BTCTMN": Market(
            exchange="wallex",
            symbol="BTCTMN",
            base="BTC",
            quote="TMN",
            price_decimals=0,
            amount_decimals=6,
        )
    }
    found = find_market(markets, word)
    assert found is None or found.symbol == "BTCTMN"
    assert isinstance(suggest(markets.values(), word), list)


@FAST
@given(st.text(min_size=0, max_size=3 * LIMIT), st.integers(min_value=1, max_value=4))
def test_long_text_is_split_never_dropped(text: str, copies: int) -> None:
    text = "\n".join([text] * copies)
    chunks = split_text(text)
    assert chunks and all(0 < len(c) <= LIMIT for c in chunks)
    if text.strip():  # nothing but the separators that split them is lost
        assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_a_hostile_word_list_covers_the_brief() -> None:
    """The fixed words include what the issue names (a guard against trimming them)."""
    for needed in ("1e309", "NaN", "Infinity", "\u200f", "'; DROP TABLE alerts; --"):
        assert needed in HOSTILE_WORDS
    assert timedelta(seconds=MAX_WINDOW) == timedelta(days=7)
