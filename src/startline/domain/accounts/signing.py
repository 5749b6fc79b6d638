"""Making a protected API signature: `<ID>.<unix_ts>.<nonce>.<hmac>`, the HMAC-SHA1 of
`"<ID>.<ts>.<nonce>."` keyed with the signing identity's secret. Checking one is the RunSignup
dialect's job (`dialects/runsignup/signature.py`); this module stays light, because
`startline partners sign` runs it once per request for some clients."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import time

NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 8


def sign(identity_id: int, secret: str, timestamp: int, nonce: str) -> str:
    """The signature for one (time, nonce)."""
    message = f"{identity_id}.{timestamp}.{nonce}."
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest()
    return f"{message}{digest}"


def fresh_signature(identity_id: int, secret: str) -> str:
    """A signature for now with a random nonce: valid for the signature window, once."""
    nonce = "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))
    return sign(identity_id, secret, int(time.time()), nonce)
