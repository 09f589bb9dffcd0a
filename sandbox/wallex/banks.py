"""Wallex bank accounts (the document's "حساب بانکی"): card numbers and IBANs.

Served, each behind the Bearer token (``WallexPrivate.guard``):

- ``GET /v1/account/card-numbers`` → a list of ``{"id", "card_number", "owners",
  "status"}`` with ``result_info``, as in the document.
- ``POST /v1/account/card-numbers`` with ``{"card_number": "..."}`` → the new card,
  ``status: PENDING`` (the document's example).
- ``DELETE /v1/account/card-numbers/{cardNumberID}`` → ``{"result": [], "message":
  "Deleted successfully", "success": true}``.
- ``GET /v1/account/ibans``, ``POST /v1/account/ibans`` with ``{"iban": "<24 digits
  without IR>"}`` (the document: "شماره شبا بدون IR"), ``DELETE
  /v1/account/ibans/{ibanID}``; the answer names the bank (``bank_name``) from the
  IBAN's bank code, and a new IBAN is ``ACCEPTED`` (the document's example).

The document titles ``GET /ibans`` a list but its example ``result`` is one object;
the sandbox answers a list, like the card list, unless ``iban_as_object`` is set
(then the first IBAN as one object, the example's shape); the client reads both.

Errors (the document shows none; Wallex runs on Laravel): a body that is not JSON, a
missing field or a malformed number is HTTP 422 ``{"success": false, "message": "The
given data was invalid.", "result": {"<field>": ["<reason>"]}}``: a card must be 16
digits passing Luhn, an IBAN 24 digits (no ``IR``) passing ISO 13616 mod-97 with a
known bank code; a number the account already has is 422 "has already been taken".
Deleting an id the account does not have (another account's included) is HTTP 404
``{"success": false, "message": "Not found.", "result": []}``. Entries persist per
account (on its ``WallexAccountState``) for as long as the sandbox runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.wallex.private import BankEntry, PrivateHandler, WallexAccountState, ok
from sandbox.wire import json_response

Guard = Callable[[PrivateHandler], Callable[[web.Request], Any]]

# Bank codes of Iranian IBANs and the names Wallex writes (``bank_name``).
BANK_NAMES: dict[str, str] = {
    "011": "بانک صنعت و معدن",
    "012": "بانک ملت",
    "013": "بانک رفاه کارگران",
    "014": "بانک مسکن",
    "015": "بانک سپه",
    "016": "بانک کشاورزی",
    "017": "بانک ملی ایران",
    "018": "بانک تجارت",
    "019": "بانک صادرات ایران",
    "020": "بانک توسعه صادرات",
    "021": "پست بانک ایران",
    "022": "بانک توسعه تعاون",
    "051": "موسسه اعتباری توسعه",
    "053": "بانک کارآفرین",
    "054": "بانک پارسیان",
    "055": "بانک اقتصاد نوین",
    "056": "بانک سامان",
    "057": "بانک پاسارگاد",
    "058": "بانک سرمایه",
    "059": "بانک سینا",
    "060": "قرض الحسنه مهر ایران",
    "061": "بانک شهر",
    "062": "بانک آینده",
    "063": "بانک انصار",
    "064": "بانک گردشگری",
    "065": "بانک حکمت ایرانیان",
    "066": "بانک دی",
    "069": "بانک ایران زمین",
    "070": "قرض الحسنه رسالت",
    "073": "موسسه اعتباری کوثر",
    "075": "موسسه اعتباری ملل",
    "078": "بانک خاورمیانه",
    "080": "موسسه اعتباری نور",
    "090": "بانک مهر اقتصاد",
    "095": "بانک ایران و ونزوئلا",
}
NOT_FOUND: dict[str, Any] = {"success": False, "message": "Not found.", "result": []}
DELETED: dict[str, Any] = {"result": [], "message": "Deleted successfully", "success": True}


def invalid(field: str, reason: str) -> web.Response:
    return json_response(
        {"success": False, "message": "The given data was invalid.", "result": {field: [reason]}},
        status=422,
    )


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_checks(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _entry_json(kind: str, e: BankEntry, owner: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.id}
    if kind == "card":
        out["card_number"] = e.number
        out["owners"] = [owner]
    else:
        out["iban"] = e.number
        out["owners"] = [owner]
        out["bank_name"] = BANK_NAMES.get(e.number[4:7], "")
    out["status"] = e.status
    return out


def _owner(a: WallexAccountState) -> str:
    return f"{a.first_name} {a.last_name}"


async def _field(request: web.Request, name: str) -> str | web.Response:
    try:
        body = json.loads(await request.text() or "null")
    except ValueError:
        return invalid(name, f"The {name.replace('_', ' ')} field is required.")
    value = body.get(name) if isinstance(body, dict) else None
    if value is None or value == "":
        return invalid(name, f"The {name.replace('_', ' ')} field is required.")
    if not isinstance(value, str):
        return invalid(name, f"The {name.replace('_', ' ')} must be a string.")
    return value


class WallexBanks:
    """The card and IBAN routes; the entries live on each account's state."""

    def __init__(self) -> None:
        # Answer GET /ibans in the document example's shape: one object, not a list.
        self.iban_as_object = False

    def add_routes(self, app: web.Application, guard: Guard) -> None:
        app.router.add_get("/v1/account/card-numbers", guard(self.list_cards))
        app.router.add_post("/v1/account/card-numbers", guard(self.add_card))
        app.router.add_delete("/v1/account/card-numbers/{card_id}", guard(self.delete_card))
        app.router.add_get("/v1/account/ibans", guard(self.list_ibans))
        app.router.add_post("/v1/account/ibans", guard(self.add_iban))
        app.router.add_delete("/v1/account/ibans/{iban_id}", guard(self.delete_iban))

    @staticmethod
    def _listed(kind: str, a: WallexAccountState) -> web.Response:
        found = [_entry_json(kind, e, _owner(a)) for e in a.banks if e.kind == kind]
        return json_response(
            {
                "result": found,
                "message": "The operation was successful",
                "success": True,
                "result_info": {
                    "page": 1,
                    "per_page": max(len(found), 1),
                    "count": 1,
                    "total_count": len(found),
                },
            }
        )

    async def list_cards(self, request: web.Request, a: WallexAccountState) -> web.Response:
        return self._listed("card", a)

    async def list_ibans(self, request: web.Request, a: WallexAccountState) -> web.Response:
        if self.iban_as_object:
            first = next((e for e in a.banks if e.kind == "iban"), None)
            return ok(_entry_json("iban", first, _owner(a)) if first else [])
        return self._listed("iban", a)

    async def add_card(self, request: web.Request, a: WallexAccountState) -> web.Response:
        value = await _field(request, "card_number")
        if isinstance(value, web.Response):
            return value
        if not (value.isascii() and value.isdigit() and len(value) == 16):
            return invalid("card_number", "The card number must be 16 digits.")
        if not luhn(value):
            return invalid("card_number", "The card number is invalid.")
        return self._add(a, "card", value, "PENDING")

    async def add_iban(self, request: web.Request, a: WallexAccountState) -> web.Response:
        value = await _field(request, "iban")
        if isinstance(value, web.Response):
            return value
        if not (value.isascii() and value.isdigit() and len(value) == 24):
            return invalid("iban", "The iban must be 24 digits.")
        iban = "IR" + value
        if not iban_checks(iban) or iban[4:7] not in BANK_NAMES:
            return invalid("iban", "The iban is invalid.")
        return self._add(a, "iban", iban, "ACCEPTED")

    def _add(self, a: WallexAccountState, kind: str, number: str, status: str) -> web.Response:
        if any(e.kind == kind and e.number == number for e in a.banks):
            field = "card_number" if kind == "card" else "iban"
            return invalid(field, f"The {field.replace('_', ' ')} has already been taken.")
        entry = a.add_bank(kind, number, status)
        return ok(_entry_json(kind, entry, _owner(a)))

    async def delete_card(self, request: web.Request, a: WallexAccountState) -> web.Response:
        return self._delete(a, "card", request.match_info["card_id"])

    async def delete_iban(self, request: web.Request, a: WallexAccountState) -> web.Response:
        return self._delete(a, "iban", request.match_info["iban_id"])

    @staticmethod
    def _delete(a: WallexAccountState, kind: str, raw_id: str) -> web.Response:
        found = next(
            (e for e in a.banks if e.kind == kind and raw_id.isdigit() and e.id == int(raw_id)),
            None,
        )
        if found is None:
            return json_response(NOT_FOUND, status=404)
        a.banks.remove(found)
        return json_response(DELETED)
