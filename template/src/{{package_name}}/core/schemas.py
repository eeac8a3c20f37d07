"""Schemas shared by every feature: the base of what clients send, and the error
envelope (standard 002)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError


class RequestModel(BaseModel):
    """The base of every body, form and query model a client fills in.

    One rule for every field, whatever the database: strings are stripped before
    their length is checked, and refused when PostgreSQL's `text` cannot hold
    them (NUL; lone surrogates never get past pydantic's `str`); a datetime must
    exist in UTC, where it is stored. A field that must keep its spaces (a
    password) says `Annotated[str, StringConstraints(strip_whitespace=False)]`.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    @field_validator("*", mode="wrap")
    @classmethod
    def storable(cls, value: object, handler: ValidatorFunctionWrapHandler) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError(
                "nul_character", "must not contain the NUL character (U+0000)"
            )
        validated = handler(value)
        if isinstance(validated, datetime) and validated.tzinfo is not None:
            try:
                validated.astimezone(UTC)
            except OverflowError:
                raise PydanticCustomError(
                    "datetime_out_of_range",
                    "must lie between 0001-01-01 and 9999-12-31 in UTC",
                ) from None
        return validated


class ErrorDetailResponse(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetailResponse] = []


class ErrorResponse(BaseModel):
    """Every error the service returns has this body."""

    error: ErrorBody
