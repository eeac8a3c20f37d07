"""Pagination (standard 002): cursor-based by default, offset-based with `page`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from pydantic import Field

from .schemas import RequestModel, ResponseModel

T = TypeVar("T")

# A cursor is the instant (microseconds since the epoch) and id of the last item
# of a page. Its pattern is in the schema: any string it matches is a position.
CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9a-f]{32}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# A PostgreSQL integer: (page - 1) * limit stays within the 64-bit OFFSET both
# databases take, where an unbounded page overflowed into a 500.
MAX_PAGE = 2_147_483_647


class PaginationParams(RequestModel):
    """Query parameters for pagination."""

    limit: int = Field(20, ge=1, le=100)
    after: str | None = Field(
        None, pattern=CURSOR_PATTERN, description="Cursor from next_cursor"
    )
    page: int | None = Field(
        None, ge=1, le=MAX_PAGE, description="Page number (offset pagination)"
    )


class PaginationMeta(ResponseModel):
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
        return f"{(self.created_at - EPOCH) // MICROSECOND}-{self.id.hex}"

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """A token that PaginationParams accepted: its pattern is checked there."""
        instant, _, item_id = token.partition("-")
        return cls(EPOCH + int(instant) * MICROSECOND, uuid.UUID(hex=item_id))
