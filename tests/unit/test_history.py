"""History rows, paging, anchoring and the CSV file, without Telegram or a network."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.history import (
    History,
    Kind,
    PageState,
    TradeRow,
    TransferRow,
    anchor_of,
    anchored,
    offers,
    with_fees,
)
from bot.history_csv import TRADE_COLUMNS, cell, filename, plain, to_csv
from bot.i18n import I18n
from bot.paging import PAGE_SIZE
from exchanges.alp.account import AlpAccount
from exchanges.models import Fill, Side
from exchanges.wallex.account import WallexAccount
from exchanges.wex.account import WexAccount
from handlers import history_texts as ht

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def trade(i: int, **kw: object) -> TradeRow:
    fields: dict[str, object] = {
        "time": T0 - timedelta(seconds=i),
        "market": "BTC/TRY",
        "symbol": "BTCTRY",
        "side": Side.BUY if i % 2 else Side.SELL,
        "price": Decimal("4012345.67"),
        "amount": Decimal("0.00012345"),
        "fee": Decimal("0.0000002469"),
        "fee_currency": "BTC",
        "order_id": f"o{i}",
        "trade_id": f"t{i}",
    }
    fields.update(kw)
    return TradeRow(**fields)  # type: ignore[arg-type]


def history(n: int, page: int = 0) -> History:
    rows = tuple(trade(i) for i in range(n))
    state = PageState("narkasa", Kind.TRADES, None, page, anchor_of(rows))
    return History(state, None, rows)


def test_pages_split_by_ten_and_clamp() -> None:
    h = history(23)
    assert (h.pages, h.page, len(h.shown), h.has_previous, h.has_next) == (3, 0, 10, False, True)
    last = history(23, page=2)
    assert len(last.shown) == 3 and last.has_previous and not last.has_next
    assert history(23, page=9).page == 2  # a list that shrank: its last page
    assert history(0).pages == 1 and history(0).shown == ()
    assert PAGE_SIZE == 10


def test_the_anchor_leaves_out_rows_newer_than_the_first_view() -> None:
    rows = [trade(i) for i in range(3)]
    anchor = anchor_of(rows)
    assert anchor == T0.isoformat()
    newer = trade(-5)
    assert anchored([newer, *rows], anchor) == tuple(rows)
    assert anchored([newer, *rows], None) == (newer, *rows)
    undated = TransferRow(Kind.DEPOSITS, None, "1", "BTC", Decimal(1), "pending")
    assert anchored([undated], anchor) == (undated,)


def test_page_state_round_trips_through_a_button_payload() -> None:
    state = PageState("wex", Kind.WITHDRAWALS, "btc_usd", 4, T0.isoformat())
    assert PageState.from_payload(state.to_payload()) == state
    assert state.at(1).page == 1 and state.at(1).anchor == state.anchor


def test_csv_writes_exact_decimals_without_exponents() -> None:
    assert plain(Decimal("1E-8")) == "0.00000001"
    assert plain(Decimal("1E+3")) == "1000"
    assert plain(Decimal("0.0010000000000000")) == "0.001"
    assert plain(Decimal("10279400640")) == "10279400640"
    assert plain(None) == ""
    big = trade(0, price=Decimal("10279400640.1234567890123456"), amount=Decimal("0.0000000001"))
    assert big.total == Decimal("1.02794006401234567890123456")  # not rounded to 28 digits
    data = to_csv(Kind.TRADES, [big, trade(1)])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == TRADE_COLUMNS
    assert rows[1] == [
        "2026-12-03T09:00:00Z",
        "BTC/TRY",
        "sell",
        "10279400640.1234567890123456",
        "0.0000000001",
        "1.02794006401234567890123456",
        "0.0000002469",
        "BTC",
        "o0",
        "t0",
    ]
    assert rows[2][5] == plain(Decimal("4012345.67") * Decimal("0.00012345"))
    assert "E" not in data.decode("utf-8-sig").split("\r\n", 1)[1]


def test_csv_transfers_and_formula_cells() -> None:
    row = TransferRow(
        Kind.WITHDRAWALS,
        T0,
        "=HYPERLINK(1)",
        "BTC",
        Decimal("0.5"),
        "completed",
        fee=Decimal("0.0005"),
        fee_currency="BTC",
        address="bc1q",
    )
    text = to_csv(Kind.WITHDRAWALS, [row]).decode("utf-8-sig")
    [head, line] = list(csv.reader(io.StringIO(text)))
    assert dict(zip(head, line, strict=True)) == {
        "time": "2026-12-03T09:00:00Z",
        "type": "withdrawal",
        "currency": "BTC",
        "amount": "0.5",
        "fee": "0.0005",
        "fee currency": "BTC",
        "status": "completed",
        "network": "",
        "address": "bc1q",
        "txid": "",
        "id": "'=HYPERLINK(1)",
    }
    assert cell("-1") == "'-1" and cell("abc") == "abc" and cell(None) == ""
    assert filename("alp", Kind.TRADES, "BTC_USDT", T0) == "alp-trades-BTCUSDT-20261203-090000.csv"


@pytest.mark.parametrize(
    ("cls", "kind", "offered"),
    [
        (WallexAccount, Kind.TRADES, True),
        (WallexAccount, Kind.DEPOSITS, False),
        (WallexAccount, Kind.WITHDRAWALS, False),
        (WexAccount, Kind.WITHDRAWALS, True),
        (AlpAccount, Kind.WITHDRAWALS, True),
    ],
)
def test_which_systems_list_what(cls: type, kind: Kind, offered: bool) -> None:
    assert offers(cls, kind) is offered


def test_page_text_in_english_and_persian_digits() -> None:
    en = I18n().get("en")
    text = ht.page_text(en, history(12))
    assert text.startswith("<b>Your trades on Narkasa</b>\nPage 1 of 2 · 12 in all, newest first")
    assert "Sold 0.00012345 BTC at 4,012,345.67 = 495.324" in text
    assert "fee 0.0000002469 BTC" in text
    fa = ht.page_text(I18n().get("fa"), history(12))
    assert "۱۲" in fa  # the count in Persian digits
    assert "Only the latest" not in text
    assert "Only the latest 200 are listed" in ht.page_text(en, history(200))
    empty = History(PageState("narkasa", Kind.DEPOSITS, None, 0, None), None, ())
    assert ht.page_text(en, empty) == "You have no deposits on Narkasa yet."


def test_fees_from_a_second_list_go_to_the_same_trade_only() -> None:
    def fill(price: str, seconds: float, fee: str | None = None, trade_id: str = "") -> Fill:
        return Fill(
            exchange="alp",
            order_id="",
            symbol="BTC_USDT",
            side=Side.SELL,
            price=Decimal(price),
            amount=Decimal("0.001"),
            time=T0 + timedelta(seconds=seconds),
            trade_id=trade_id or None,
            fee=None if fee is None else Decimal(fee),
            fee_currency=None if fee is None else "USDT",
        )

    v1 = [fill("90000.00000000", 0, trade_id="7"), fill("90000", 10, trade_id="8")]
    v3 = [fill("90000", 0.4, fee="0.108"), fill("89999", 10, fee="0.2")]
    merged = with_fees(v1, v3)
    assert (merged[0].trade_id, merged[0].fee, merged[0].fee_currency) == (
        "7",
        Decimal("0.108"),
        "USDT",
    )
    assert merged[1].fee is None  # another price: another trade
    assert with_fees(v1, [])[0].fee is None
