"""Reading command arguments the way people type them.

Persian (۱۲۳) and Arabic-Indic (١٢٣) digits are mapped to ASCII, thousands
separators dropped, and a wrong argument raises ``UsageError`` naming the command so
the reply can show the right form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from handlers.commands import N_

_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬",
    "01234567890123456789.,",
)
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")


# What a command says about an exchange it can't use; the command picks its verb.
UNKNOWN_EXCHANGE = N_("I don't know the exchange “{name}”. I know: {names}.")
CANNOT_CONNECT = N_("I can't connect “{name}”. I can connect: {names}.")
CANNOT_TRADE = N_("I can't trade on “{name}”. I can trade on: {names}.")


class UsageError(Exception):
    """The command was typed wrong; ``problem`` says how, the usage line says what's right."""

    def __init__(self, command: str, problem: str, **params: str) -> None:
        super().__init__(f"/{command}: {problem}")
        self.command = command
        self.problem = problem
        self.params = params


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def clean_args(args: list[str] | None) -> list[str]:
    return [ascii_digits(a).strip() for a in (args or []) if a.strip()]


def parse_decimal(text: str) -> Decimal | None:
    """``1,234.5`` / ``۱۲۳۴٫۵`` → Decimal; None when it is not a plain number."""
    candidate = ascii_digits(text.strip())
    if not _NUMBER.match(candidate):
        return None
    try:
        return Decimal(candidate.replace(",", ""))
    except InvalidOperation:
        return None


def exchange_arg(
    command: str, args: list[str], names: Sequence[str], unknown: str = UNKNOWN_EXCHANGE
) -> str:
    """The EXCHANGE first argument of a command, lower-cased and one of ``names``.

    One helper for every command that starts with an exchange, so the missing and
    the unknown cases read the same everywhere; ``unknown`` is one of the messages
    above, marked for translation where it is written.
    """
    if not args:
        raise UsageError(command, "Which exchange? One of: {names}.", names=", ".join(names))
    name = args[0].lower()
    if name not in names:
        raise UsageError(command, unknown, name=args[0], names=", ".join(names))
    return name
