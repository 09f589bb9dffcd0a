"""Envelope encryption of per-user credentials, with master-key rotation.

Each record gets its own random data key; the credentials are sealed with AES-256-GCM
under that data key, and the data key is wrapped (AES-256-GCM again) under a master
key. Both seals carry associated data naming the owner and the exchange, so a row
copied to another user or exchange fails to open instead of quietly working.
Rotation re-wraps only the small data keys, so it is cheap, and a row already under the
newest master key is skipped, so an interrupted rotation resumes where it stopped.

Master keys come from ``SARRAF_MASTER_KEY`` (comma-separated, newest first: the first
seals, any opens) or from a key file created with mode 0600 on first use; a key file
that other users may read or write stops the start with a sentence saying how to fix it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

VERSION = b"sarraf:v1"


class SecretsError(Exception):
    """A key is missing, malformed or does not open a record. Never carries key material."""


@dataclass(frozen=True, slots=True, repr=False)
class MasterKey:
    key_id: str
    material: bytes

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id})"


def new_master_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def parse_master_key(text: str) -> MasterKey:
    try:
        material = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (ValueError, TypeError):
        raise SecretsError(
            "a master key is not URL-safe base64 (make one with `sarraf keygen`)"
        ) from None
    if len(material) != 32:
        raise SecretsError("a master key must be 32 bytes (make one with `sarraf keygen`)")
    key_id = hashlib.sha256(b"sarraf-key-id:" + material).hexdigest()[:12]
    return MasterKey(key_id, material)


@dataclass(frozen=True, slots=True)
class Sealed:
    """What is stored: which master key wrapped the data key, and the two seals."""

    key_id: str
    wrapped_key: bytes
    ciphertext: bytes


def _aad(owner: int, exchange: str) -> bytes:
    return VERSION + b":" + str(owner).encode() + b":" + exchange.encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)


class Vault:
    def __init__(self, keys: Sequence[MasterKey]) -> None:
        if not keys:
            raise SecretsError("no master key")
        self.keys = list(keys)
        self._by_id = {k.key_id: k for k in keys}

    @property
    def current(self) -> MasterKey:
        return self.keys[0]

    def seal(self, owner: int, exchange: str, plaintext: bytes) -> Sealed:
        aad = _aad(owner, exchange)
        data_key = AESGCM.generate_key(bit_length=256)
        return Sealed(
            key_id=self.current.key_id,
            wrapped_key=_seal(self.current.material, data_key, aad),
            ciphertext=_seal(data_key, plaintext, aad),
        )

    def open(self, owner: int, exchange: str, sealed: Sealed) -> bytes:
        master = self._by_id.get(sealed.key_id)
        if master is None:
            raise SecretsError(
                f"the secret was sealed under master key {sealed.key_id}, which is not configured"
            )
        aad = _aad(owner, exchange)
        try:
            data_key = _open(master.material, sealed.wrapped_key, aad)
            return _open(data_key, sealed.ciphertext, aad)
        except InvalidTag:
            raise SecretsError(
                "a stored secret does not open for this owner and exchange"
            ) from None

    def rewrap(self, owner: int, exchange: str, sealed: Sealed) -> Sealed:
        """The same secret with its data key wrapped under the newest master key."""
        if sealed.key_id == self.current.key_id:
            return sealed
        master = self._by_id.get(sealed.key_id)
        if master is None:
            raise SecretsError(f"master key {sealed.key_id} is not configured")
        aad = _aad(owner, exchange)
        try:
            data_key = _open(master.material, sealed.wrapped_key, aad)
        except InvalidTag:
            raise SecretsError(
                "a stored secret does not open for this owner and exchange"
            ) from None
        return Sealed(
            self.current.key_id, _seal(self.current.material, data_key, aad), sealed.ciphertext
        )


def load_master_keys(env_value: str | None, key_file: str) -> list[MasterKey]:
    """Keys from the environment, else from the key file (created 0600 with a warning;
    refused when its mode lets group or others in)."""
    if env_value and env_value.strip():
        return [parse_master_key(part) for part in env_value.split(",") if part.strip()]
    path = Path(key_file)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(new_master_key() + "\n")
        log.warning(
            "created a new master key in %s (mode 0600); back it up — without it the stored "
            "exchange keys cannot be read. Set SARRAF_MASTER_KEY to manage keys yourself.",
            path,
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        # Anyone who can read this file can open every stored exchange key: refuse to start
        # rather than keep running on a key others may already have copied.
        raise SecretsError(
            f"the master key file {path} can be read or changed by other users "
            f"(mode {mode:o}); run `chmod 600 {path}` and start again"
        )
    lines = [ln for ln in path.read_text(encoding="ascii").splitlines() if ln.strip()]
    return [parse_master_key(line) for line in lines]
