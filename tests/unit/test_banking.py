"""Iranian card numbers (Luhn) and IBANs (ISO 13616 mod-97, bank code) as typed."""

from __future__ import annotations

import pytest

from exchanges.wallex import bank_accounts
from exchanges.wallex.bank_numbers import (
    BankNumberError,
    CardNumber,
    Iban,
    luhn_ok,
    mask_card,
    mask_iban,
    mod97_ok,
    parse_bank_number,
    parse_card,
    parse_iban,
)

VALID_IBANS = [
    "IR820540102680020817909002",  # Parsian (054)
    "IR110170000000123456789001",  # Melli (017)
    "IR910120000000004445556667",  # Mellat (012)
    "IR030700000000111122223333",  # Resalat (070)
    "IR970560000000987654321000",  # Saman (056)
]
VALID_CARDS = ["6037991234567893", "6104330000111123", "6219861122334450"]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans_pass(iban: str) -> None:
    parsed = parse_iban(iban)
    assert parsed.text == iban
    assert parsed.wire == iban[2:] and len(parsed.wire) == 24
    assert parsed.bank is not None and parsed.bank.code == iban[4:7]


def test_the_bank_is_read_from_the_iban() -> None:
    bank = parse_iban("IR820540102680020817909002").bank
    assert bank is not None and bank.name == "Parsian Bank" and bank.name_fa == "بانک پارسیان"
    resalat = parse_iban("IR030700000000111122223333").bank
    assert resalat is not None and resalat.name_fa == "بانک قرض الحسنه رسالت"


@pytest.mark.parametrize(
    "typed",
    [
        "ir82 0540 1026 8002 0817 9090 02",
        "IR82-0540-1026-8002-0817-9090-02",
        "IR۸۲۰۵۴۰۱۰۲۶۸۰۰۲۰۸۱۷۹۰۹۰۰۲",
        "IR٨٢٠٥٤٠١٠٢٦٨٠٠٢٠٨١٧٩٠٩٠٠٢",
        "\u200fIR82 0540 1026 8002 0817 9090 02\u200f",
        "820540102680020817909002",  # without IR, as Wallex's form takes it
    ],
)
def test_ibans_are_read_as_people_type_them(typed: str) -> None:
    assert parse_iban(typed).text == "IR820540102680020817909002"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("IR820540102680020817909003", "check digits"),  # last digit changed
        ("IR830540102680020817909002", "check digits"),  # check digits changed
        ("IR820540102680020817909020", "check digits"),  # two digits swapped
        ("IR520000000000000000000000", "check digits"),  # the document's placeholder
        ("IR82054010268002081790900", "IR and 24 digits"),  # one digit short
        ("IR8205401026800208179090021", "IR and 24 digits"),
        ("DE89370400440532013000", "starts with IR"),
        ("IR82O540102680020817909002", "only digits"),  # letter O
        ("", "starts with IR"),
    ],
)
def test_invalid_ibans_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(BankNumberError) as caught:
        parse_iban(typed)
    assert reason in caught.value.reason


def test_an_iban_with_no_banks_code_is_refused_even_with_good_check_digits() -> None:
    bban = "0000000000111122223333"  # bank code 000
    number = int("".join(str(int(c, 36)) for c in bban + "IR00"))
    iban = f"IR{98 - number % 97:02d}{bban}"
    assert mod97_ok(iban)
    with pytest.raises(BankNumberError, match="no Iranian bank"):
        parse_iban(iban)


@pytest.mark.parametrize("card", VALID_CARDS)
def test_valid_cards_pass(card: str) -> None:
    assert parse_card(card).digits == card


@pytest.mark.parametrize(
    "typed",
    ["6037 9912 3456 7893", "6037-9912-3456-7893", "۶۰۳۷۹۹۱۲۳۴۵۶۷۸۹۳", "٦٠٣٧٩٩١٢٣٤٥٦٧٨٩٣"],
)
def test_cards_are_read_as_people_type_them(typed: str) -> None:
    card = parse_card(typed)
    assert card.digits == "6037991234567893"
    assert card.bank is not None and card.bank.name == "Bank Melli"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("6037991234567894", "check digit"),
        ("6037991234567839", "check digit"),  # the last two swapped
        ("6037991895454444", "check digit"),  # the document's example
        ("603799123456789", "16 digits"),
        ("60379912345678930", "16 digits"),
        ("6037 99xx 3456 7893", "only digits"),
    ],
)
def test_invalid_cards_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(BankNumberError) as caught:
        parse_card(typed)
    assert reason in caught.value.reason


def test_luhn_and_mod97_directly() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert mod97_ok("GB82WEST12345698765432") and not mod97_ok("GB82WEST12345698765433")


def test_card_or_iban_is_told_by_shape() -> None:
    assert isinstance(parse_bank_number("6037 9912 3456 7893"), CardNumber)
    assert isinstance(parse_bank_number("ir820540102680020817909002"), Iban)
    assert isinstance(parse_bank_number("820540102680020817909002"), Iban)
    with pytest.raises(BankNumberError, match="16 digits and an IBAN"):
        parse_bank_number("60379912345678931234")


def test_masks_keep_the_bank_and_the_last_four_only() -> None:
    assert mask_card("6037991234561234") == "6037 99** **** 1234"
    assert mask_iban("IR820540102680020817909002") == "IR82 054* **** **** **** **90 02"
    card = parse_card("6037991234567893")
    assert "6037991234567893" not in repr(card) and "7893" in repr(card)
    iban = parse_iban("IR820540102680020817909002")
    assert "0102680020817" not in repr(iban)


def test_the_documents_iban_answer_is_one_object_and_is_read_as_a_list_of_one() -> None:
    example = {
        "id": 10,
        "iban": "IR520000000000000000000000",
        "owners": ["محمد محمدی"],
        "bank_name": "قرض الحسنه رسالت",
        "status": "PENDING",
    }
    [entry] = bank_accounts.entries("iban", example)
    assert entry.id == 10 and entry.bank_name == "قرض الحسنه رسالت"
    assert entry.status == "PENDING" and entry.owners == ("محمد محمدی",)
    assert "IR520000000000000000000000" not in repr(entry)
    assert bank_accounts.entries("iban", []) == [] and bank_accounts.entries("card", None) == []
    cards = bank_accounts.entries(
        "card",
        [
            {"id": 12, "card_number": "6037991895454444", "owners": ["x"], "status": "ACCEPTED"},
            {"id": 14, "card_number": "6037991895453333", "owners": ["x"], "status": "ACCEPTED"},
        ],
    )
    assert [c.id for c in cards] == [12, 14] and cards[0].masked == "6037 99** **** 4444"
