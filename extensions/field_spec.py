"""A resource's spec, parsed into its fields, or refused with the reason.

A spec such as `number:str! amount:decimal due:date paid:bool note:text?` is
`name:type` words: `?` marks an optional field, `!` one unique per owner; a
`ref` names another resource (`project:ref(cascade)`), an `enum` its values
(`status:enum(draft,sent)=draft`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .field import Field
from .field_types import FIELD_TYPES, ON_DELETE, SPEC_TYPES
from .naming import NAME_PATTERN, identifier_problem

# Column names every resource has; a field may not take them.
BUILT_IN_COLUMNS = frozenset({"id", "owner_id", "created_at", "updated_at", "deleted_at"})
# Names a model or schema class already uses for something else.
CLASS_ATTRIBUTES = frozenset({"metadata", "registry", "model_config", "model_fields"})
# In a class body, a field by one of these names would hide the type it names.
TYPE_NAMES = frozenset({"bool", "date", "datetime", "decimal", "float", "int", "str", "uuid"})

# `type(arguments)`, then the marks, then `=default`: `status:enum(draft,sent)=draft`.
TYPE_PATTERN = re.compile(
    r"^(?P<type>\w*)(?:\((?P<arguments>[^()]*)\))?(?P<marks>[?!]*)(?:=(?P<default>.*))?$"
)
# The resources every service has that a `ref` may name, with their tables.
BUILT_IN_REFERABLE = {"project": "projects"}

# The list's own query parameters (pagination, order, the created_at range):
# a field's filter may not take one.
LIST_PARAMETERS = frozenset({"limit", "after", "page", "sort", "min_created_at", "max_created_at"})


class SpecError(ValueError):
    """A resource or field spec that cannot be rendered; the message says why."""


def parse_fields(spec: str, referable: Mapping[str, str] = BUILT_IN_REFERABLE) -> tuple[Field, ...]:
    """`name:type` words, `?` after the type for optional, `!` for unique per owner.

    `referable` maps each resource a `ref` may name to its table: the service's
    built-in projects and the resources added before this one.
    """
    fields: list[Field] = []
    for word in spec.split():
        name, colon, written = word.partition(":")
        parsed = TYPE_PATTERN.fullmatch(written)
        if not colon or not name or not parsed:
            msg = f"name:type words, e.g. amount:decimal note:text?; {word!r} is not one"
            raise SpecError(msg)
        kind, arguments, marks = parsed["type"], parsed["arguments"], parsed["marks"]
        optional, unique = "?" in marks, "!" in marks
        if optional and unique:
            msg = f"`?` (optional) or `!` (unique), not both: field {name!r} has both"
            raise SpecError(msg)
        if kind not in FIELD_TYPES:
            types = ", ".join(SPEC_TYPES)
            msg = f"types {types}; field {name!r} has the unknown type {kind!r}"
            raise SpecError(msg)
        if arguments is not None and kind not in ("ref", "enum"):
            msg = f"arguments only to ref and enum: field {name!r} ({kind}) has {arguments!r}"
            raise SpecError(msg)
        if parsed["default"] is not None and kind != "enum":
            msg = f"a default (=) only on an enum: field {name!r} is a {kind}"
            raise SpecError(msg)
        extra: dict[str, Any] = {}
        if kind == "ref":
            extra = _reference(
                name, arguments, optional=optional, unique=unique, referable=referable
            )
            name = f"{name}_id"
        elif kind == "enum":
            extra = _choices(name, arguments, parsed["default"], unique=unique)
        problem = identifier_problem(name, "field name", longest=26)
        if problem:
            raise SpecError(problem)
        taken = BUILT_IN_COLUMNS | CLASS_ATTRIBUTES | TYPE_NAMES
        if name in taken or name.startswith("model_"):
            msg = (
                f"a name of its own: field name {name!r} is taken; every resource has "
                f"{', '.join(sorted(BUILT_IN_COLUMNS))}; models and schemas use "
                f"{', '.join(sorted(CLASS_ATTRIBUTES | TYPE_NAMES))} and the model_ prefix"
            )
            raise SpecError(msg)
        if any(field.name == name for field in fields):
            msg = f"each field once: field {name!r} is given twice"
            raise SpecError(msg)
        field = Field(name, kind, optional=optional, unique=unique, **extra)
        taken_parameters = LIST_PARAMETERS | {p for f in fields for p, _ in f.filters}
        clash = [p for p, _ in field.filters if p in taken_parameters]
        if clash:
            msg = (
                f"a name whose list filter is free: field {name!r} would filter the list "
                f"with ?{clash[0]}=, which the list takes already"
            )
            raise SpecError(msg)
        if unique and kind in ("bool", "float"):
            msg = f"`!` (unique) on a type of many values: a {kind} ({name!r}) has too few"
            raise SpecError(msg)
        fields.append(field)
    if not fields:
        msg = "at least one field, e.g. number:str! amount:decimal due:date"
        raise SpecError(msg)
    return tuple(fields)


def _reference(
    name: str,
    argument: str | None,
    *,
    optional: bool,
    unique: bool,
    referable: Mapping[str, str],
) -> dict[str, Any]:
    """A `ref` field's target, table and ON DELETE, or the SpecError saying why not."""
    if name not in referable:
        msg = (
            f"a ref to a resource of the service ({', '.join(sorted(referable))}): "
            f"field {name!r} names none"
        )
        raise SpecError(msg)
    on_delete = argument or "restrict"
    if on_delete not in ON_DELETE:
        msg = f"ref({'|'.join(ON_DELETE)}): field {name!r} has ref({argument})"
        raise SpecError(msg)
    if on_delete == "set_null" and not optional:
        msg = f"ref(set_null) only with `?` (optional): field {name!r} is required"
        raise SpecError(msg)
    if unique:
        msg = f"`!` (unique) not on a ref: field {name!r} is one"
        raise SpecError(msg)
    return {"target": name, "table": referable[name], "on_delete": on_delete}


def _choices(
    name: str, argument: str | None, default: str | None, *, unique: bool
) -> dict[str, Any]:
    """An enum field's values and default, or the SpecError saying why not."""
    choices = tuple(argument.split(",")) if argument else ()
    if len(choices) < 2:
        msg = f"enum(a,b,...) with two values or more: field {name!r} has {len(choices)}"
        raise SpecError(msg)
    for choice in choices:
        if not NAME_PATTERN.fullmatch(choice) or len(choice) > 50:
            msg = (
                f"enum values in snake_case, e.g. enum(draft,sent): field {name!r} has "
                f"{choice!r} (lowercase letters, digits and single underscores, at most 50)"
            )
            raise SpecError(msg)
    repeated = sorted({choice for choice in choices if choices.count(choice) > 1})
    if repeated:
        msg = f"each enum value once: field {name!r} repeats {', '.join(repeated)}"
        raise SpecError(msg)
    if default is not None and default not in choices:
        msg = f"a default among the values ({', '.join(choices)}): field {name!r} has {default!r}"
        raise SpecError(msg)
    if unique:
        msg = f"`!` (unique) not on an enum: field {name!r} has too few values"
        raise SpecError(msg)
    return {"choices": choices, "default": default or ""}
