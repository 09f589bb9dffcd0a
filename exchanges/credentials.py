"""Credentials as values that cannot leak by accident.

A ``Secret`` masks itself in ``repr``/``str``/f-strings and refuses to pickle, so a
log line, an exception message or a traceback's locals never show it; code that must
sign reads it with ``reveal()`` for exactly as long as the signature takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MASK = "****"


class Secret:
    """A secret string that never shows itself in ``repr``/``str``/f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        # Pickling would write the secret in clear wherever the pickle lands.
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """What one account signs with: a public key (None where the system has only a
    token, as Wallex) and a secret. Both masked in ``repr``: even the public key
    identifies the account."""

    key: str | None
    secret: Secret

    @classmethod
    def of(cls, key: str | None, secret: str | Secret | None) -> Credentials | None:
        """Credentials from optional parts: None when both are absent. One without the
        other is a configuration mistake, reported without echoing either value."""
        raw_secret = secret.reveal() if isinstance(secret, Secret) else secret
        if not key and not raw_secret:
            return None
        if not key or not raw_secret:
            raise ValueError("both a key and its secret are needed")
        return cls(key=key, secret=Secret(raw_secret))

    def __repr__(self) -> str:
        return f"Credentials(key={MASK}, secret={MASK})"


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One thing /connect asks for, in the system's own words (``API token``)."""

    name: str
    label: str
    secret: bool = True
