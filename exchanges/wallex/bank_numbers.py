"""Iranian bank card numbers and IBANs (شبا), checked before anything reaches Wallex.

Pure functions, no I/O: the bot checks what a user typed here first, so a typo gets a
sentence at once instead of a round trip, and the client checks again before sending.

- A card number is 16 digits passing the Luhn check (every Shetab card does). Users
  paste them with spaces or dashes, in Persian (۰-۹) or Arabic-Indic (٠-٩) digits, and
  sometimes with invisible direction marks; all of that is accepted.
- An IBAN is ``IR`` + 2 check digits + 22 digits (ISO 13616), checked with mod-97. The
  first three digits after the check digits are the bank's code at the Central Bank of
  Iran (``054`` Parsian, ``017`` Melli …). Wallex's document names the IBAN's bank
  (``bank_name``) in its answers, so the bank is taken from the IBAN: an IBAN whose code
  is no Iranian bank's is refused as incoherent, whatever its check digits. Wallex's
  ``POST /v1/account/ibans`` takes the IBAN *without* ``IR`` ("شماره شبا بدون IR"),
  so ``Iban.wire`` is the 24 digits.
- The first six digits of a card (its BIN) name its issuing bank; an unknown BIN is
  not refused (banks add BINs), it only goes without a bank name.

The document's own examples fail these checks (``6037991895454444`` fails Luhn;
``IR520000000000000000000000`` fails mod-97 and has bank code ``000``): they are
placeholders, and the sandbox, like a real server, refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# What people paste between groups of digits: blanks, dashes, direction marks, ZWNJ.
_MARKS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_SEPARATORS = dict.fromkeys(
    map(ord, " \t-_.\u00a0\u200c\u200d\u200e\u200f" + _MARKS),
    None,
)

#: Bank codes of Iranian IBANs (digits 5-7), as the Central Bank of Iran assigns them.
IBAN_BANKS: dict[str, tuple[str, str]] = {
    "010": ("Central Bank of Iran", "بانک مرکزی"),
    "011": ("Bank of Industry and Mine", "بانک صنعت و معدن"),
    "012": ("Bank Mellat", "بانک ملت"),
    "013": ("Refah Bank", "بانک رفاه کارگران"),
    "014": ("Bank Maskan", "بانک مسکن"),
    "015": ("Bank Sepah", "بانک سپه"),
    "016": ("Bank Keshavarzi", "بانک کشاورزی"),
    "017": ("Bank Melli", "بانک ملی ایران"),
    "018": ("Tejarat Bank", "بانک تجارت"),
    "019": ("Bank Saderat", "بانک صادرات ایران"),
    "020": ("Export Development Bank", "بانک توسعه صادرات"),
    "021": ("Post Bank", "پست بانک ایران"),
    "022": ("Tose'e Ta'avon Bank", "بانک توسعه تعاون"),
    "051": ("Tose'e Credit Institution", "موسسه اعتباری توسعه"),
    "053": ("Karafarin Bank", "بانک کارآفرین"),
    "054": ("Parsian Bank", "بانک پارسیان"),
    "055": ("EN Bank", "بانک اقتصاد نوین"),
    "056": ("Saman Bank", "بانک سامان"),
    "057": ("Pasargad Bank", "بانک پاسارگاد"),
    "058": ("Sarmayeh Bank", "بانک سرمایه"),
    "059": ("Sina Bank", "بانک سینا"),
    "060": ("Mehr Iran Bank", "بانک قرض الحسنه مهر ایران"),
    "061": ("Shahr Bank", "بانک شهر"),
    "062": ("Ayandeh Bank", "بانک آینده"),
    "063": ("Ansar Bank", "بانک انصار"),
    "064": ("Gardeshgari Bank", "بانک گردشگری"),
    "065": ("Hekmat Iranian Bank", "بانک حکمت ایرانیان"),
    "066": ("Dey Bank", "بانک دی"),
    "069": ("Iran Zamin Bank", "بانک ایران زمین"),
    "070": ("Resalat Bank", "بانک قرض الحسنه رسالت"),
    "073": ("Kosar Credit Institution", "موسسه اعتباری کوثر"),
    "075": ("Melal Credit Institution", "موسسه اعتباری ملل"),
    "078": ("Middle East Bank", "بانک خاورمیانه"),
    "080": ("Noor Credit Institution", "موسسه اعتباری نور"),
    "090": ("Mehr Eghtesad Bank", "بانک مهر اقتصاد"),
    "095": ("Iran-Venezuela Bank", "بانک ایران و ونزوئلا"),
}

#: Card BINs (first six digits) → the IBAN bank code of the issuing bank.
CARD_BINS: dict[str, str] = {
    "603799": "017",
    "589210": "015",
    "627648": "020",
    "207177": "020",
    "627961": "011",
    "603770": "016",
    "639217": "016",
    "628023": "014",
    "627760": "021",
    "502908": "022",
    "627412": "055",
    "622106": "054",
    "639194": "054",
    "627884": "054",
    "502229": "057",
    "639347": "057",
    "627488": "053",
    "502910": "053",
    "621986": "056",
    "639346": "059",
    "639607": "058",
    "636214": "062",
    "502806": "061",
    "502938": "066",
    "603769": "019",
    "610433": "012",
    "991975": "012",
    "589463": "013",
    "627353": "018",
    "585983": "018",
    "627381": "063",
    "505785": "069",
    "636949": "065",
    "505416": "064",
    "606373": "060",
    "504172": "070",
    "505801": "073",
    "606256": "075",
    "585947": "078",
    "507677": "080",
}


class BankNumberError(ValueError):
    """What is wrong with a typed number, in a sentence's words (never the number)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    name: str
    name_fa: str


def bank_of_code(code: str) -> Bank | None:
    found = IBAN_BANKS.get(code)
    return Bank(code, *found) if found else None


@dataclass(frozen=True, slots=True)
class CardNumber:
    digits: str = ""

    def __repr__(self) -> str:
        return f"CardNumber({mask_card(self.digits)!r})"

    @property
    def masked(self) -> str:
        return mask_card(self.digits)

    @property
    def bank(self) -> Bank | None:
        code = CARD_BINS.get(self.digits[:6])
        return bank_of_code(code) if code else None

    @property
    def wire(self) -> str:
        return self.digits


@dataclass(frozen=True, slots=True)
class Iban:
    text: str = ""  # "IR" + 24 digits

    def __repr__(self) -> str:
        return f"Iban({mask_iban(self.text)!r})"

    @property
    def masked(self) -> str:
        return mask_iban(self.text)

    @property
    def bank(self) -> Bank | None:
        return bank_of_code(self.text[4:7])

    @property
    def wire(self) -> str:
        """What Wallex's ``POST /v1/account/ibans`` takes: the digits without ``IR``."""
        return self.text[2:]


def plain_digits(text: str) -> str:
    """ASCII digits (and letters) without the separators people paste."""
    return text.translate(_DIGITS).translate(_SEPARATORS)


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def mod97_ok(iban: str) -> bool:
    """ISO 13616: the country and check digits moved to the end, letters as 10..35,
    the whole number mod 97 is 1."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def parse_card(text: str) -> CardNumber:
    digits = plain_digits(text)
    if not digits.isdigit() or not digits.isascii():
        raise BankNumberError("a card number has only digits")
    if len(digits) != 16:
        raise BankNumberError("a card number has 16 digits")
    if not luhn_ok(digits):
        raise BankNumberError("its check digit is wrong (a typo?)")
    return CardNumber(digits)


def parse_iban(text: str) -> Iban:
    """``IR`` + 24 digits, or the 24 digits alone (as Wallex's form takes them)."""
    raw = plain_digits(text).upper()
    if raw.isdigit() and len(raw) == 24:
        raw = "IR" + raw
    if not raw.startswith("IR"):
        raise BankNumberError("an Iranian IBAN starts with IR")
    body = raw[2:]
    if not body.isdigit() or not body.isascii():
        raise BankNumberError("after IR an IBAN has only digits")
    if len(body) != 24:
        raise BankNumberError("an Iranian IBAN is IR and 24 digits")
    if not mod97_ok(raw):
        raise BankNumberError("its check digits are wrong (a typo?)")
    iban = Iban(raw)
    if iban.bank is None:
        raise BankNumberError("no Iranian bank has the code in it")
    return iban


Kind = Literal["card", "iban"]


def parse_bank_number(text: str) -> CardNumber | Iban:
    """A card or an IBAN, told apart by shape: ``IR`` or 24 digits is an IBAN."""
    raw = plain_digits(text).upper()
    if raw.startswith("IR") or len(raw) == 24:
        return parse_iban(text)
    if raw.isdigit() and len(raw) > 16:
        raise BankNumberError("a card number has 16 digits and an IBAN is IR and 24 digits")
    return parse_card(text)


def _grouped(text: str) -> str:
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def mask_card(digits: str) -> str:
    """``6037 99** **** 1234``: the bank's BIN and the last four, as on receipts."""
    if len(digits) < 10:
        return "*" * len(digits)
    return _grouped(digits[:6] + "*" * (len(digits) - 10) + digits[-4:])


def mask_iban(iban: str) -> str:
    """``IR82 054* **** **** **** **90 02``: country, check digits, bank code, last four."""
    if len(iban) < 11:
        return "*" * len(iban)
    return _grouped(iban[:7] + "*" * (len(iban) - 11) + iban[-4:])
