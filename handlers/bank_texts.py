"""Messages of /banks: the list of cards and IBANs, the add and delete summaries, the
results, and the sentences for a number that does not check out. Numbers appear only
masked (``6037 99** **** 1234``)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.banking import AlreadyThere, AmbiguousEntry, BankList, NoSuchEntry, Outcome, Proposal
from bot.i18n import Lang
from exchanges.wallex.bank_accounts import BankAccount
from exchanges.wallex.bank_numbers import BankNumberError, bank_of_code
from handlers.commands import N_

# The reasons of ``exchanges.wallex.bank_numbers``, marked for the catalogs.
REASONS = {
    "a card number has only digits": N_("a card number has only digits"),
    "a card number has 16 digits": N_("a card number has 16 digits"),
    "its check digit is wrong (a typo?)": N_("its check digit is wrong (a typo?)"),
    "an Iranian IBAN starts with IR": N_("an Iranian IBAN starts with IR"),
    "after IR an IBAN has only digits": N_("after IR an IBAN has only digits"),
    "an Iranian IBAN is IR and 24 digits": N_("an Iranian IBAN is IR and 24 digits"),
    "its check digits are wrong (a typo?)": N_("its check digits are wrong (a typo?)"),
    "no Iranian bank has the code in it": N_("no Iranian bank has the code in it"),
    "a card number has 16 digits and an IBAN is IR and 24 digits": N_(
        "a card number has 16 digits and an IBAN is IR and 24 digits"
    ),
}


def _code(lang: Lang, masked: str) -> str:
    return f"<code>{escape(lang.digits(masked))}</code>"


def status_text(lang: Lang, status: str) -> str:
    names = {
        "ACCEPTED": lang("accepted"),
        "UNACCEPTED": lang("not accepted"),
        "PENDING": lang("pending Wallex's check"),
    }
    return names.get(status, escape(status.lower()))


def _kind(lang: Lang, kind: str) -> str:
    return lang("Card") if kind == "card" else lang("IBAN")


def _entry_bank(lang: Lang, entry: BankAccount) -> str | None:
    """Wallex names an IBAN's bank in Persian; other languages get the name the IBAN's
    bank code gives, when known."""
    if entry.kind != "iban":
        return None
    known = bank_of_code(entry.number[4:7])
    if lang.code != "fa" and known is not None:
        return known.name
    return entry.bank_name or (known.name_fa if known else None)


def entry_line(lang: Lang, entry: BankAccount) -> str:
    name = _entry_bank(lang, entry)
    bank = f" · {escape(name)}" if name else ""
    return lang(
        "{kind} #{id}: {number}{bank} — {status}",
        kind=_kind(lang, entry.kind),
        id=lang.integer(entry.id),
        number=_code(lang, entry.masked),
        bank=bank,
        status=status_text(lang, entry.status),
    )


def list_text(lang: Lang, held: BankList) -> str:
    if not held.all:
        return lang(
            "Your Wallex account has no bank card or IBAN yet. Add one with "
            "/banks add CARD or /banks add IBAN."
        )
    lines = [lang("<b>Your Wallex bank accounts</b>")]
    lines += [entry_line(lang, e) for e in held.all]
    lines.append(lang("A button below deletes one (you confirm first). Add: /banks add CARD|IBAN"))
    return "\n".join(lines)


def delete_button(lang: Lang, entry: BankAccount) -> str:
    n = lang.integer(entry.id)
    if entry.kind == "card":
        return "🗑 " + lang("Delete card #{id}", id=n)
    return "🗑 " + lang("Delete IBAN #{id}", id=n)


def _bank_of(lang: Lang, proposal: Proposal) -> str:
    name = proposal.bank_fa if lang.code == "fa" else proposal.bank
    return escape(name) if name else lang("unknown bank")


def add_preview(lang: Lang, proposal: Proposal, seconds: int, deleted: bool) -> str:
    lines = [
        lang("Add this card to your Wallex account?")
        if proposal.kind == "card"
        else lang("Add this IBAN to your Wallex account?"),
        lang(
            "{kind}: {number} ({bank})",
            kind=_kind(lang, proposal.kind),
            number=_code(lang, proposal.masked),
            bank=_bank_of(lang, proposal),
        ),
        lang(
            "Wallex accepts only accounts in your own name; it may show as pending "
            "until it has checked."
        ),
        lang("Confirm within {seconds} s; nothing is sent before.", seconds=seconds),
    ]
    lines.append(deleted_notice(lang, deleted))
    return "\n".join(lines)


def delete_preview(lang: Lang, proposal: Proposal, seconds: int) -> str:
    number = _code(lang, proposal.masked)
    return "\n".join(
        [
            lang("Delete card {number} from your Wallex account?", number=number)
            if proposal.kind == "card"
            else lang("Delete IBAN {number} from your Wallex account?", number=number),
            lang("Confirm within {seconds} s; nothing is sent before.", seconds=seconds),
        ]
    )


def outcome_text(lang: Lang, outcome: Outcome) -> str:
    number = _code(lang, outcome.masked)
    if outcome.operation == "delete":
        return lang("Deleted {number} from your Wallex account.", number=number)
    entry = outcome.entry
    status = status_text(lang, entry.status) if entry is not None else ""
    return lang(
        "Added {number} to your Wallex account (#{id}): {status}. /banks lists them.",
        number=number,
        id=lang.integer(entry.id) if entry is not None else "?",
        status=status,
    )


def number_problem(lang: Lang, error: BankNumberError, *, looks_like_iban: bool) -> str:
    reason = REASONS.get(error.reason)
    why = lang(reason) if reason else escape(error.reason)
    if looks_like_iban:
        return lang("That is not a valid IBAN: {why}. Nothing was sent.", why=why)
    return lang("That is not a valid card number: {why}. Nothing was sent.", why=why)


def problem_text(lang: Lang, error: Exception) -> str | None:
    if isinstance(error, AlreadyThere):
        return lang(
            "Your Wallex account already has {number} (#{id}).",
            number=_code(lang, error.entry.masked),
            id=lang.integer(error.entry.id),
        )
    if isinstance(error, NoSuchEntry):
        return lang(
            "Your Wallex account has no card or IBAN #{id}. /banks lists them.",
            id=lang.integer(error.entry_id),
        )
    if isinstance(error, AmbiguousEntry):
        return lang(
            "Both a card and an IBAN have #{id}: say which, e.g. /banks delete card {id}.",
            id=error.entry_id,
        )
    return None


def interrupted_text(lang: Lang, confirmed_at: datetime) -> str:
    return lang(
        "⚠️ A change you confirmed at {time} was cut off by a restart and was not sent "
        "again: the list below shows whether Wallex made it.",
        time=lang.time(confirmed_at),
    )


def unknown_outcome(lang: Lang) -> str:
    return lang(
        "Wallex did not answer in time, so I can't tell whether it was done. "
        "Check with /banks before trying again."
    )


def deleted_notice(lang: Lang, deleted: bool) -> str:
    if deleted:
        return lang("I deleted your message with the full number: it is sensitive.")
    return lang("I could not delete your message with the full number: please delete it yourself.")
