"""Password hashing (Argon2 through pwdlib) and access tokens (JWT through PyJWT)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from .exceptions import UnauthorizedError

if TYPE_CHECKING:
    from .config import Settings

SIGNING_ALGORITHM = "HS256"


class PasswordHasher:
    """Argon2 hashing that takes the same time whether or not a user exists.

    Argon2 is slow by design, so it runs in a worker thread: a login never holds
    up the other requests the event loop is serving.
    """

    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        self._hash = PasswordHash((hasher or Argon2Hasher(),))
        # Verified against when there is no user, so an unknown e-mail costs the
        # same Argon2 work as a wrong password: timing reveals nothing.
        self._dummy_hash = self._hash.hash("no user has this password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_hash is None:
            await asyncio.to_thread(self._hash.verify, password, self._dummy_hash)
            return False
        return await asyncio.to_thread(self._hash.verify, password, password_hash)


class InvalidTokenError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("Could not validate credentials")


@dataclass(frozen=True)
class TokenCodec:
    """Signs and checks bearer tokens whose subject is a user id."""

    secret_key: str
    lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCodec:
        return cls(
            secret_key=settings.secret_key.get_secret_value(),
            lifetime=timedelta(minutes=settings.access_token_expire_minutes),
        )

    def issue(self, subject: str) -> str:
        now = datetime.now(UTC)
        claims = {"sub": subject, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret_key, algorithm=SIGNING_ALGORITHM)

    def subject(self, token: str) -> str:
        """The token's subject; InvalidTokenError if forged, expired or malformed."""
        try:
            claims = jwt.decode(
                token,
                self.secret_key,
                algorithms=[SIGNING_ALGORITHM],  # never "none", never another key type
                options={"require": ["sub", "exp"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError from error
        # PyJWT has checked that "sub" is present and a string.
        return str(claims["sub"])
