"""The sealed JSON of ``bot/persistence.py``: secrets round-trip, never in clear."""

from __future__ import annotations

import json
from copy import deepcopy

import pytest

from bot.persistence import HeldSecret, _decode, _encode
from exchanges.credentials import Secret
from storage.secrets import SecretsError, Vault, new_master_key, parse_master_key


def test_a_held_secret_copies_as_itself_but_never_pickles() -> None:
    held = HeldSecret("k" * 32)
    assert deepcopy({"v": held})["v"] is held
    assert "k" * 32 not in repr(held)
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(held)


def test_chat_data_round_trips_and_drops_what_is_not_json() -> None:
    data = {"sarraf.connect": {"exchange": "wex", "values": {"key": Secret("abc")}}, "x": object()}
    encoded = _encode(data)
    assert "x" not in encoded  # type: ignore[operator]
    back = _decode(json.loads(json.dumps(encoded)))
    value = back["sarraf.connect"]["values"]["key"]  # type: ignore[index]
    assert isinstance(value, HeldSecret) and value.reveal() == "abc"


def test_the_sealed_payload_opens_only_for_its_chat_and_scope() -> None:
    vault = Vault([parse_master_key(new_master_key())])
    sealed = vault.seal(1001, "chat_data", json.dumps(_encode({"s": Secret("topsecret")})).encode())
    assert b"topsecret" not in sealed.ciphertext + sealed.wrapped_key
    assert b"topsecret" in vault.open(1001, "chat_data", sealed)
    with pytest.raises(SecretsError):
        vault.open(1002, "chat_data", sealed)
