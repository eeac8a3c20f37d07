"""Password hashing (Argon2 through pwdlib) and access tokens (JWT through PyJWT)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from .exceptions import UnauthorizedError

if TYPE_CHECKING:
    from collections.abc import Callable

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
    """Signs and checks bearer tokens whose subject is a user id.

    A token that passed the check is remembered with its subject until it
    expires, so a client's next requests skip PyJWT's decoding. The key is the
    whole token, signature included: only the exact string that was verified is
    trusted, and a forged or altered token is checked in full like any new one.
    """

    secret_key: str
    lifetime: timedelta
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    # Tokens remembered at most; past this the oldest is forgotten first.
    remembered: int = field(default=4096, repr=False, compare=False)
    # token -> (subject, expiry as a Unix time); oldest first.
    _verified: dict[str, tuple[str, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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
        known = self._verified.get(token)
        if known is not None:
            subject, expires_at = known
            if self.clock() < expires_at:
                return subject
            del self._verified[token]  # expired: the full check below refuses it
        try:
            claims = jwt.decode(
                token,
                self.secret_key,
                algorithms=[SIGNING_ALGORITHM],  # never "none", never another key type
                options={"require": ["sub", "exp"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError from error
        # PyJWT has checked that "sub" is present and a string, and "exp" a number.
        subject = str(claims["sub"])
        if len(self._verified) >= self.remembered:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (subject, float(claims["exp"]))
        return subject
