from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.secrets import (
    SecretsError,
    Vault,
    load_master_keys,
    new_master_key,
    parse_master_key,
)

PLAIN = b'{"key":"AKEY","secret":"TOP-SECRET-VALUE"}'


def test_seal_and_open_round_trip_and_ciphertext_hides_the_secret() -> None:
    vault = Vault([parse_master_key(new_master_key())])
    sealed = vault.seal(7, "wex", PLAIN)
    assert b"TOP-SECRET-VALUE" not in sealed.ciphertext + sealed.wrapped_key
    assert vault.open(7, "wex", sealed) == PLAIN


def test_a_row_copied_to_another_owner_or_exchange_does_not_open() -> None:
    vault = Vault([parse_master_key(new_master_key())])
    sealed = vault.seal(7, "wex", PLAIN)
    with pytest.raises(SecretsError):
        vault.open(8, "wex", sealed)
    with pytest.raises(SecretsError):
        vault.open(7, "alp", sealed)


def test_rotation_from_a_to_b_then_a_removed() -> None:
    a, b = parse_master_key(new_master_key()), parse_master_key(new_master_key())
    old = Vault([a]).seal(7, "wex", PLAIN)
    both = Vault([b, a])
    assert both.open(7, "wex", old) == PLAIN  # any configured key may open
    rotated = both.rewrap(7, "wex", old)
    assert rotated.key_id == b.key_id and rotated.ciphertext == old.ciphertext
    assert both.rewrap(7, "wex", rotated) is rotated  # already current: skipped (resumable)
    only_b = Vault([b])
    assert only_b.open(7, "wex", rotated) == PLAIN
    with pytest.raises(SecretsError, match=a.key_id):
        only_b.open(7, "wex", old)


@pytest.mark.parametrize("bad", ["", "not-base64!!", "c2hvcnQ="])
def test_malformed_master_keys_are_refused_without_echo(bad: str) -> None:
    with pytest.raises(SecretsError) as info:
        parse_master_key(bad)
    assert bad not in str(info.value) or not bad


def test_key_file_is_created_0600_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sarraf.key"
    keys = load_master_keys(None, str(path))
    assert len(keys) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "created a new master key" in caplog.text
    assert load_master_keys(None, str(path))[0].key_id == keys[0].key_id  # stable
    env = load_master_keys(f"{new_master_key()},{new_master_key()}", str(path))
    assert len(env) == 2  # the environment wins over the file


def test_master_key_repr_shows_only_its_id() -> None:
    text = new_master_key()
    key = parse_master_key(text)
    assert text not in repr(key) and key.key_id in repr(key)
