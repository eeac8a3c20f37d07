"""Pagination (standard 002): cursor-based by default, offset-based with `page`."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from .exceptions import ErrorDetail, ValidationError
from .schemas import RequestModel

T = TypeVar("T")

# A PostgreSQL integer: (page - 1) * limit stays within the 64-bit OFFSET both
# databases take, where an unbounded page overflowed into a 500.
MAX_PAGE = 2_147_483_647


class PaginationParams(RequestModel):
    """Query parameters for pagination."""

    limit: int = Field(20, ge=1, le=100)
    after: str | None = Field(
        None, max_length=200, description="Cursor from next_cursor"
    )
    page: int | None = Field(
        None, ge=1, le=MAX_PAGE, description="Page number (offset pagination)"
    )


class PaginationMeta(BaseModel):
    """Pagination metadata in responses."""

    has_next: bool
    next_cursor: str | None = None
    limit: int
    total: int | None = None  # Only for offset-based pagination


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    meta: PaginationMeta


@dataclass(frozen=True)
class Cursor:
    """Position after the last item of a page: newest first, id breaks ties."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            created_at, _, item_id = (
                base64.urlsafe_b64decode(padded).decode().partition("|")
            )
            moment = datetime.fromisoformat(created_at)
            if moment.tzinfo is None:
                raise _invalid_cursor()
            # Compared in UTC, as stored: a moment outside UTC's years is no row's.
            return cls(moment.astimezone(UTC), uuid.UUID(item_id))
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as error:
            raise _invalid_cursor() from error


def _invalid_cursor() -> ValidationError:
    return ValidationError(
        "Invalid pagination cursor",
        [ErrorDetail(field="after", message="not a cursor this API issued")],
    )
