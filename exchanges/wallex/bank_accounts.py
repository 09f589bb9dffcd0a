"""The bank cards and IBANs of a Wallex account, as the document's answers give them.

``GET /v1/account/card-numbers`` answers a list of ``{"id", "card_number", "owners",
"status"}``; ``GET /v1/account/ibans`` is titled a list too, but the document's example
``result`` is one object ``{"id", "iban", "owners", "bank_name", "status"}``. Both
shapes are read (a single object is a list of one; ``null`` or ``[]`` is none). The
statuses are the document's ``ACCEPTED``, ``UNACCEPTED`` and ``PENDING``; another
word is kept as it came.

A ``BankAccount``'s repr and ``masked`` never show the full number: these are
sensitive, and reprs end up in logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exchanges.errors import BadResponse
from exchanges.wallex.bank_numbers import Kind, mask_card, mask_iban

NAME = "wallex"
STATUSES = ("ACCEPTED", "UNACCEPTED", "PENDING")


@dataclass(frozen=True, slots=True)
class BankAccount:
    kind: Kind
    id: int
    number: str = field(repr=False)  # full card number, or the IBAN with IR
    owners: tuple[str, ...] = ()
    status: str = ""
    bank_name: str | None = None

    @property
    def masked(self) -> str:
        return mask_card(self.number) if self.kind == "card" else mask_iban(self.number)


def _entry(kind: Kind, raw: Any) -> BankAccount:
    if not isinstance(raw, Mapping):
        raise BadResponse(NAME, f"a {kind} entry is not an object")
    ident = raw.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident).isdigit():
        raise BadResponse(NAME, f"a {kind} entry without a numeric id")
    key = "card_number" if kind == "card" else "iban"
    number = raw.get(key)
    if not isinstance(number, str | int) or not str(number).strip():
        raise BadResponse(NAME, f"a {kind} entry without its {key}")
    text = str(number).strip().upper()
    if kind == "iban" and not text.startswith("IR"):
        text = "IR" + text
    owners = raw.get("owners")
    names = tuple(str(o) for o in owners) if isinstance(owners, list) else ()
    bank = raw.get("bank_name")
    return BankAccount(
        kind=kind,
        id=int(str(ident)),
        number=text,
        owners=names,
        status=str(raw.get("status") or "").upper(),
        bank_name=str(bank) if isinstance(bank, str) and bank else None,
    )


def entries(kind: Kind, result: Any) -> list[BankAccount]:
    """A list answer, a single-object answer (the IBAN example) or none."""
    if result is None or result == [] or result == {}:
        return []
    if isinstance(result, Mapping):
        return [_entry(kind, result)]
    if isinstance(result, list):
        return [_entry(kind, item) for item in result]
    raise BadResponse(NAME, f"the {kind} list is neither a list nor an object")


def entry(kind: Kind, result: Any) -> BankAccount:
    """The one entry a ``POST`` answers with."""
    found = entries(kind, result)
    if len(found) != 1:
        raise BadResponse(NAME, f"the new {kind} is missing from the answer")
    return found[0]
