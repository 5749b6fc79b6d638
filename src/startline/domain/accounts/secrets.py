"""Making, hashing and checking secrets; encrypting the few that must be read back.

Random secrets carry 256 bits, so a fast SHA-256 is the right hash for them (argon2 is for
passwords, which people choose). Every comparison is constant-time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@cache
def _password_hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # only where passwords are handled

    return PasswordHasher()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_public_id(nbytes: int = 12) -> str:
    return secrets.token_hex(nbytes)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def hash_password(password: str) -> str:
    return _password_hasher().hash(password)


def password_matches(password: str, stored_hash: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_password_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not tell.
    Made on first use: an argon2 hash costs a tenth of a second, too much for every CLI start."""
    return hash_password(new_secret(16))


def __getattr__(name: str) -> str:
    # `DUMMY_PASSWORD_HASH` as a module constant, made on first use (PEP 562).
    if name == "DUMMY_PASSWORD_HASH":
        return dummy_password_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def derive_key(server_secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the server secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        server_secret.encode()
    )


class SecretBox:
    """Authenticated encryption (Fernet) of secrets the server must read back."""

    def __init__(self, server_secret: str) -> None:
        key = derive_key(server_secret, "startline signing secrets")
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(sealed)).decode()
        except InvalidToken as exc:
            raise ValueError("sealed secret cannot be opened with this server key") from exc
