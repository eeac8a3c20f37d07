"""Schemas shared by every feature: the base of what clients send, the request
types whose OpenAPI schema says exactly what the server accepts, and the error
envelope (standard 002)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError, PydanticKnownError

# What RequestModel accepts, in the schema too, so that a client (or a fuzzer)
# knows it before it asks: no NUL, and something besides whitespace where a
# length is required (strings are stripped before their minLength is checked).
STORABLE_TEXT = r"^[^\x00]*$"
STORABLE_NONBLANK_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"
# A datetime is stored in UTC, which ends on 0001-01-01 and 9999-12-31: on those
# days one is taken in UTC only (Z or +00:00), a rule the schema can state.
EDGE_DAYS = (date.min, date.max)
DATETIME_IN_UTC_RANGE = r"^(?!(?:0001-01-01|9999-12-31).*[+-](?!00:00)\d\d:\d\d$)"


# A bound set by Field() on a type that has a validator of its own, made optional
# (`WholeNumber | None`), is still enforced, but pydantic documents it under its
# own argument's name, which JSON Schema does not know (pydantic issue 11576): a
# client would see no bound at all. Their JSON Schema names:
NUMERIC_KEYWORDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
}


def _request_schema(schema: dict[str, Any], model: type[Any] | None = None) -> None:
    for field in schema.get("properties", {}).values():
        for kind in field.get("anyOf", [field]):
            for argument, keyword in NUMERIC_KEYWORDS.items():
                if argument in kind:
                    kind[keyword] = kind.pop(argument)
            if kind.get("format") == "date-time" and "pattern" not in kind:
                kind["pattern"] = DATETIME_IN_UTC_RANGE
            if kind.get("type") == "string" and not {"pattern", "format"} & kind.keys():
                blank_refused = kind.get("minLength", 0) >= 1
                kind["pattern"] = (
                    STORABLE_NONBLANK_TEXT if blank_refused else STORABLE_TEXT
                )


class RequestModel(BaseModel):
    """The base of every body, form and query model a client fills in.

    One rule for every field, whatever the database: strings are stripped (after
    their maxLength and pattern are checked as sent, as the schema states them,
    and before minLength), and refused when PostgreSQL's `text` cannot hold them
    (NUL; lone surrogates never get past pydantic's `str`); a datetime must exist
    in UTC, where it is stored (EDGE_DAYS). A field that must keep its spaces (a
    password) says `Annotated[str, StringConstraints(strip_whitespace=False)]`.
    """

    model_config = ConfigDict(
        str_strip_whitespace=True, json_schema_extra=_request_schema
    )

    @field_validator("*", mode="wrap")
    @classmethod
    def storable(
        cls, value: object, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> object:
        if isinstance(value, str):
            if "\x00" in value:
                raise PydanticCustomError(
                    "nul_character", "must not contain the NUL character (U+0000)"
                )
            # The schema's maxLength and pattern are of the string as sent: one
            # padded with spaces is refused, though it would pass once stripped.
            longest, pattern = _as_sent(cls, info.field_name)
            if longest is not None and len(value) > longest:
                raise PydanticKnownError("string_too_long", {"max_length": longest})
            if pattern is not None and not pattern.search(value):
                raise PydanticKnownError(
                    "string_pattern_mismatch", {"pattern": pattern.pattern}
                )
        validated = handler(value)
        if (
            isinstance(validated, datetime)
            and validated.date() in EDGE_DAYS
            and validated.utcoffset()
        ):
            raise PydanticCustomError(
                "datetime_out_of_range",
                "on 0001-01-01 and 9999-12-31, must be in UTC (Z or +00:00)",
            )
        return validated


@cache
def _as_sent(
    model: type[BaseModel], field: str | None
) -> tuple[int | None, re.Pattern[str] | None]:
    """The max_length and pattern that `field` of `model` declares, if any."""
    if field is None or field not in model.model_fields:
        return None, None
    metadata = model.model_fields[field].metadata
    bounds = [getattr(m, "max_length", None) for m in metadata]
    patterns = [getattr(m, "pattern", None) for m in metadata]
    longest = min((bound for bound in bounds if bound is not None), default=None)
    pattern = next((p for p in patterns if p is not None), None)
    return longest, None if pattern is None else re.compile(pattern)


def _any_case(name: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in name)


# email-validator refuses addresses on special-use domains (RFC 6761: .test,
# .local, ...); the schema says so, so that a client knows before it asks.
NOT_ON_A_SPECIAL_USE_DOMAIN = (
    rf"^(?!.*[.@](?:{'|'.join(_any_case(n) for n in SPECIAL_USE_DOMAIN_NAMES)})$)"
)
EmailAddress = Annotated[
    EmailStr,
    Field(max_length=320, json_schema_extra={"pattern": NOT_ON_A_SPECIAL_USE_DOMAIN}),
]


# JSON has no dates or decimals: they come as strings. A number is refused, not
# read as seconds since the epoch or as a binary float.
def _not_a_number(value: object) -> object:
    if isinstance(value, int | float):
        msg = "must be a string, not a number"
        raise ValueError(msg)
    return value


def _a_number(value: object) -> object:
    if isinstance(value, str | bool):
        msg = "must be a number"
        raise ValueError(msg)
    return value


# pydantic reads a string of digits as seconds since the epoch: "0" is not a
# date (a query parameter is always a string, so this is where numbers come).
EPOCH_SECONDS = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")


def _not_seconds(value: object) -> object:
    if isinstance(value, str) and EPOCH_SECONDS.fullmatch(value):
        msg = "must be an ISO 8601 date or time, not a number"
        raise ValueError(msg)
    return _not_a_number(value)


# As JSON Schema's integer: 42 and 42.0, but not "42" or true.
WholeNumber = Annotated[int, BeforeValidator(_a_number)]
DateString = Annotated[date, BeforeValidator(_not_seconds)]
AwareDateTimeString = Annotated[AwareDatetime, BeforeValidator(_not_seconds)]

# A NUMERIC(12, 2) column: up to 10 digits before the point and 2 after.
DECIMAL_PATTERN = r"^[+-]?[0-9]{1,10}(\.[0-9]{1,2})?$"


def _decimal_string(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(DECIMAL_PATTERN, value):
        msg = "must be a decimal such as 1234.50: 10 digits at most, then 2 at most"
        raise ValueError(msg)
    return _not_a_number(value)


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]


class ResponseModel(BaseModel):
    """A response body: a field with a default is still always sent, so the
    OpenAPI schema marks it required (and a generated client need not test it)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ErrorDetailResponse(ResponseModel):
    field: str | None = None
    message: str


class ErrorBody(ResponseModel):
    code: str
    message: str
    details: list[ErrorDetailResponse] = []


class ErrorResponse(ResponseModel):
    """Every error the service returns has this body."""

    error: ErrorBody


def _partial_update_schema(schema: dict[str, Any], model: type[Any]) -> None:
    # A field left out keeps its value: there is no default to document, and
    # null is documented only where it is accepted.
    _request_schema(schema)
    for name, field in schema.get("properties", {}).items():
        field.pop("default", None)
        if name in model.NOT_NULL and "anyOf" in field:
            kinds = [kind for kind in field.pop("anyOf") if kind != {"type": "null"}]
            field.update(kinds[0] if len(kinds) == 1 else {"anyOf": kinds})


class PartialUpdate(RequestModel):
    """A PATCH body: only the fields sent change, every field defaults to None
    ("not sent"). The fields in NOT_NULL may be left out, but not sent as null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_partial_update_schema)
    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def refuse_null(cls, value: object, info: ValidationInfo) -> object:
        # Before the field's own validation, which would not expect None.
        if value is None and info.field_name in cls.NOT_NULL:
            msg = "may be omitted, but not null"
            raise ValueError(msg)
        return value
