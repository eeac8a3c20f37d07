"""Pagination (standard 002): cursor-based by default, offset-based with `page`;
and what a list takes besides: filters on its fields, and `sort`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Generic, Literal, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator
from pydantic_core import to_jsonable_python

from .config import get_settings
from .exceptions import ErrorDetail, ValidationError
from .schemas import RequestModel, ResponseModel

T = TypeVar("T")

# A cursor is the sort it was issued for, the last item's value of that sort and
# its id, signed: only a cursor this service issued, for this sort, is accepted.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$"
MAX_CURSOR_LENGTH = 2048
# The order of a list unless `sort` says otherwise: newest first.
NEWEST_FIRST: Final = "-created_at"

# A PostgreSQL integer: (page - 1) * limit stays within the 64-bit OFFSET both
# databases take, where an unbounded page overflowed into a 500.
MAX_PAGE = 2_147_483_647


class PaginationParams(RequestModel):
    """Query parameters for pagination."""

    limit: int = Field(20, ge=1, le=100)
    after: str | None = Field(
        None,
        pattern=CURSOR_PATTERN,
        max_length=MAX_CURSOR_LENGTH,
        description="Cursor from next_cursor, of a page listed with the same sort",
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
class Filter:
    """Marks a list query parameter as a filter: rows whose `column` is equal to
    (eq), at least (ge) or at most (le) the value sent."""

    column: str
    op: Literal["eq", "ge", "le"]


class ListQuery(PaginationParams):
    """A list's query: pagination, `sort`, and filters (fields marked `Filter`).

    Each feature's subclass narrows `sort` to the fields it may be sorted by. A
    parameter the list does not take is refused, so a misspelt filter is a 422,
    not a page of everything."""

    model_config = ConfigDict(extra="forbid")

    sort: str = NEWEST_FIRST

    def filters(self) -> list[tuple[Filter, object]]:
        """Each filter sent, with its value."""
        return [
            (marker, value)
            for name, field in type(self).model_fields.items()
            for marker in field.metadata
            if isinstance(marker, Filter) and (value := getattr(self, name)) is not None
        ]

    @field_validator("*")
    @classmethod
    def at_least_the_minimum(cls, value: Any, info: ValidationInfo) -> Any:
        """A `max_` below its `min_` is a mistake, not a question with no answer."""
        marker = _filter_of(cls, info.field_name)
        if value is None or marker is None or marker.op != "le":
            return value
        for name in cls.model_fields:
            low = _filter_of(cls, name)
            if low == Filter(marker.column, "ge"):
                minimum = info.data.get(name)
                if minimum is not None and value < minimum:
                    msg = f"must not be less than {name}"
                    raise ValueError(msg)
        return value


def _filter_of(model: type[ListQuery], name: str | None) -> Filter | None:
    field = model.model_fields.get(name or "")
    found = [m for m in field.metadata if isinstance(m, Filter)] if field else []
    return found[0] if found else None


@dataclass(frozen=True)
class Sort:
    """`name` ascending, or `-name` descending."""

    column: str
    descending: bool

    @classmethod
    def parse(cls, sort: str) -> Sort:
        return cls(sort.removeprefix("-"), sort.startswith("-"))


class InvalidCursorError(ValidationError):
    def __init__(self, sort: str) -> None:
        super().__init__(
            "The cursor was not issued by this list",
            [
                ErrorDetail(
                    field="query.after",
                    message=f"not a next_cursor of this list sorted by {sort}",
                )
            ],
        )


@dataclass(frozen=True)
class Cursor:
    """Position after the last item of a page: its value of the sort, and its id."""

    sort: str
    value: Any
    id: uuid.UUID

    def encode(self) -> str:
        payload = json.dumps(
            [self.sort, to_jsonable_python(self.value), self.id.hex],
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(_signature(payload))}"

    @classmethod
    def decode(cls, token: str, sort: str, kind: type) -> Cursor:
        """The position `token` names; a token not issued for `sort` is refused.
        `kind` is the sort column's Python type, which its value is read as."""
        payload_part, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(
                payload_part + "=" * (-len(payload_part) % 4)
            )
            given = base64.urlsafe_b64decode(signature + "==")
        except (binascii.Error, ValueError):
            raise InvalidCursorError(sort) from None
        if not hmac.compare_digest(given, _signature(payload)):
            raise InvalidCursorError(sort)
        issued_for, value, item_id = json.loads(payload)
        if issued_for != sort:
            raise InvalidCursorError(sort)
        return cls(sort, _reader(kind).validate_python(value), uuid.UUID(hex=item_id))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(payload: bytes) -> bytes:
    return hmac.digest(_cursor_key(), payload, "sha256")[:16]


def _cursor_key() -> bytes:
    # A key of its own, derived from SECRET_KEY: a cursor is never a token.
    secret = get_settings().secret_key.get_secret_value().encode()
    return hashlib.sha256(b"cursor:" + secret).digest()


@lru_cache
def _reader(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind | None)
