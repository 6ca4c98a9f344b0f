"""Password hashing with argon2id and API token hashing."""

from __future__ import annotations

import hashlib
import os
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# KEFU_PASSWORD_HASH=cheapest is for test suites only: the same argon2id code path with the
# smallest cost parameters, so hundreds of test users do not cost minutes.
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if os.environ.get("KEFU_PASSWORD_HASH") == "cheapest"
    else PasswordHasher()
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A bearer token: 'kf_' + 40 url-safe characters; only its hash is stored."""
    return "kf_" + secrets.token_urlsafe(30)


def token_hash(token: str) -> str:
    # Tokens are long random strings, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()
