"""Hashing, password checks and the encryption of signing secrets."""

import pytest

from startline.domain.accounts.secrets import (
    SecretBox,
    hash_password,
    hash_secret,
    new_secret,
    password_matches,
    secret_matches,
)


def test_secret_hash_is_sha256_and_matches_in_constant_time_helper():
    secret = new_secret()
    stored = hash_secret(secret)
    assert len(stored) == 64 and secret not in stored
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)


def test_passwords_use_argon2():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2")
    assert password_matches("correct horse", stored)
    assert not password_matches("wrong", stored)
    assert not password_matches("x", "not-a-hash")


def test_secret_box_round_trip_and_key_separation():
    sealed = SecretBox("server-key-1").seal("signing-secret")
    assert b"signing-secret" not in sealed
    assert SecretBox("server-key-1").open(sealed) == "signing-secret"
    with pytest.raises(ValueError):
        SecretBox("another-key").open(sealed)
