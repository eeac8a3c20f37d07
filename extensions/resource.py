"""A resource: an owned, paginated, soft-deleted CRUD feature, described by its fields.

The built-in `projects` feature and every resource a team adds later with
`-d generate=resource` are rendered from the same template files. What differs
between them is a `Resource`: its names (from the singular), and its fields
(from a spec, see extensions/fields.py). This module also holds the validators of
the resource's questions and puts the resource in every template's context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .fields import (
    BUILT_IN_REFERABLE,
    Field,
    SpecError,
    identifier_problem,
    parse_fields,
    pascal,
)
from .service import new_migration, overwriting, read_answers, service_problem, what_to_render

# Every resource's creation time, which its list filters on and sorts by.
CREATED_AT = Field("created_at", "datetime")


def pluralize(singular: str) -> str:
    """English plural of the last word: invoice -> invoices, category -> categories."""
    if not singular:
        return ""
    head, _, last = singular.rpartition("_")
    if re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    else:
        last += "s"
    return f"{head}_{last}" if head else last


@dataclass(frozen=True)
class Resource:
    name: str  # singular, snake_case: line_item
    plural: str  # line_items: the feature, the table, the URL (with hyphens)
    fields: tuple[Field, ...]

    @property
    def feature(self) -> str:
        return self.plural

    @property
    def class_name(self) -> str:
        return pascal(self.name)

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")

    @property
    def plural_title(self) -> str:
        return self.plural.replace("_", " ")

    @property
    def url(self) -> str:
        return "/api/v1/" + self.plural.replace("_", "-")

    @property
    def tag(self) -> str:
        return self.plural.replace("_", "-")

    @property
    def id_param(self) -> str:
        return f"{self.name}_id"

    @cached_property
    def required(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if not field.optional)

    @cached_property
    def optional(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.optional)

    @cached_property
    def unique(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.unique)

    @cached_property
    def requested(self) -> tuple[Field, ...]:
        """The fields a create must send: required, with no default."""
        return tuple(field for field in self.fields if field.requested)

    @cached_property
    def defaulted(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.default)

    @cached_property
    def references(self) -> tuple[Field, ...]:
        """The `ref` fields: ids of the owner's rows of other resources."""
        return tuple(field for field in self.fields if field.is_ref)

    @cached_property
    def enums(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.is_enum)

    def uses(self, *types: str) -> bool:
        return any(field.type in types for field in self.fields)

    def stdlib_imports(self, *always: str) -> str:
        """`import uuid` / `from datetime import ...` / `from decimal import Decimal`.

        `always` names what the file needs whatever the fields are: "uuid",
        "date", "datetime", "Decimal".
        """
        needed = set(always)
        for field in self.fields:
            needed.update(
                {"uuid": {"uuid"}, "date": {"date"}, "decimal": {"Decimal"}}.get(field.type, set())
            )
        lines = ["import uuid"] if "uuid" in needed else []
        dates = sorted(needed & {"date", "datetime"})
        if dates:
            lines.append(f"from datetime import {', '.join(dates)}")
        if "Decimal" in needed:
            lines.append("from decimal import Decimal")
        return "\n".join(lines)

    @property
    def created_at(self) -> Field:
        return CREATED_AT

    @property
    def sorts(self) -> list[str]:
        """What `sort` may name: created_at and each sortable field, either way."""
        names = ["created_at", *(f.name for f in self.fields if f.kind.sortable)]
        return [f"{sign}{name}" for name in names for sign in ("-", "")]

    @property
    def sort_names(self) -> list[str]:
        """A name for each of `sorts`, for generated clients' enums (CREATED_AT_DESC)."""
        return [
            f"{sort.lstrip('-').upper()}{'_DESC' if sort[0] == '-' else ''}" for sort in self.sorts
        ]

    @property
    def filter_lines(self) -> list[str]:
        """The list query's filters: on created_at, then on each field that has one."""
        return [line for f in (CREATED_AT, *self.fields) for line in f.filter_lines]

    @property
    def taken_errors(self) -> list[str]:
        return [f"{field.class_name}TakenError" for field in self.unique]

    @property
    def not_null(self) -> str:
        """The update schema's NOT_NULL: the fields that may be left out, not cleared."""
        names = ", ".join(f'"{f.name}"' for f in self.required)
        return f"    NOT_NULL = frozenset({{{names}}})"

    @property
    def article(self) -> str:
        return "an" if self.title[0] in "aeiou" else "a"

    @property
    def sqlalchemy_names(self) -> list[str]:
        """What the SQLAlchemy model imports from sqlalchemy."""
        names = {"ForeignKey", *(f.kind.column.split("(")[0] for f in self.fields)}
        names.discard("UTCDateTime")  # the service's own, from core.database
        return sorted(names | self.sqlmodel_names)

    @property
    def sqlmodel_names(self) -> set[str]:
        """What the SQLModel model imports from sqlalchemy: its indexes', its checks'."""
        return {"Index", "text"} | ({"CheckConstraint"} if self.enums else set())

    @property
    def pydantic_names(self) -> list[str]:
        names = {"BaseModel", "ConfigDict", "Field"}  # the list query's filters use Field
        return sorted(names)

    @property
    def core_schema_names(self) -> str:
        """What the schemas import from core.schemas."""
        names = {"AwareDateTimeString", "PartialUpdate", "RequestModel"}
        names.update(f.request_python for f in self.fields if f.kind.request_python)
        return ", ".join(sorted(names))


# The built-in feature every service starts with, rendered from the same files.
PROJECTS = Resource(
    name="project",
    plural="projects",
    fields=parse_fields("name:str slug:slug! description:text?"),
)


# Names a resource may not take: the service's own features and packages.
RESERVED_NAMES = frozenset(
    {
        "auth",
        "cli",
        "core",
        "feature",
        "features",
        "health",
        "main",
        "project",
        "projects",
        "resource",
        "resources",
        "test",
        "tests",
        "user",
        "users",
    }
)


def resource_name_problem(value: str, conf: Mapping[str, Any]) -> str:
    problem = identifier_problem(value, "resource_name")
    if problem:
        return problem + "."
    if value in RESERVED_NAMES:
        return (
            f"a name the service does not use: {value!r} is reserved "
            f"({', '.join(sorted(RESERVED_NAMES))})."
        )
    answers_file = f".copier-answers.{value}.yml"
    if not overwriting(conf) and (Path(conf["dst_path"]) / answers_file).exists():
        return (
            f"a new resource: the service has {value} already ({answers_file}); to bring "
            f"it up to date, copier update --answers-file {answers_file}."
        )
    return ""


def resource_plural_problem(
    value: str, singular: str, conf: Mapping[str, Any], files: list[str]
) -> str:
    problem = identifier_problem(value, "resource_plural")
    if problem:
        return problem + "."
    if value == singular:
        return f"a plural that differs from the singular: {value!r} does not."
    if value in RESERVED_NAMES:
        return (
            f"a name the service does not use: {value!r} is reserved "
            f"({', '.join(sorted(RESERVED_NAMES))})."
        )
    if overwriting(conf):
        return ""
    project = Path(conf["dst_path"])
    existing = [path for path in files if (project / path).exists()]
    if existing:
        more = f" and {len(existing) - 2} more" if len(existing) > 2 else ""
        return (
            f"names no file of the service has: {', '.join(existing[:2])}{more} "
            f"exist already, for {singular} or {value}."
        )
    return ""


def referable(dst_path: str | Path | None, name: str = "") -> dict[str, str]:
    """The resources a `ref` of resource `name` may name, with their tables: the
    built-in projects, and each resource added to the service before (its answers
    file says its plural)."""
    found = dict(BUILT_IN_REFERABLE)
    if dst_path is None:
        return found
    for path in sorted(Path(dst_path).glob(".copier-answers.*.yml")):
        answers = read_answers(path)
        other, plural = answers.get("resource_name"), answers.get("resource_plural")
        if isinstance(other, str) and isinstance(plural, str) and other != name:
            found[other] = plural
    return found


def resource_fields_problem(
    value: str, conf: Mapping[str, Any], name: str = "", recorded: Mapping[str, str] | None = None
) -> str:
    # `recorded`: resource_references, on `copier update` (see references()).
    try:
        parse_fields(value, {**(recorded or {}), **referable(conf["dst_path"], name)})
    except SpecError as error:
        return f"{error}."
    return ""


# The filters copier.yml's questions about a resource use.
FILTERS = {
    "pascal": pascal,
    "pluralize": pluralize,
    "new_migration": new_migration,
    "what_to_render": what_to_render,
    "service_problem": service_problem,
    "resource_name_problem": resource_name_problem,
    "resource_plural_problem": resource_plural_problem,
    "resource_fields_problem": resource_fields_problem,
    "referable": referable,
}


def references(context: Mapping[str, Any]) -> dict[str, str]:
    """What a `ref` of the resource being rendered may name: those recorded when it
    was added (`copier update` renders the old release where no other resource's
    answers are), and those the service has now."""
    return {
        **context["resource_references"],
        **referable(context["_copier_conf"]["dst_path"], context["resource_name"]),
    }


def add_resource(context: dict[str, Any]) -> None:
    """Puts the resource being rendered in the context: the built-in projects with a
    service, else the one the answers describe (once they are all known)."""
    if context.get("generate", "service") != "resource":
        context.update(resource=PROJECTS, resource_migration_file="")
        return
    try:
        resource = Resource(
            name=context["resource_name"],
            plural=context["resource_plural"],
            # With those recorded when the resource was added: `copier update`
            # renders the old release where no other resource's answers are.
            fields=parse_fields(context["resource_fields"], references(context)),
        )
        migration = context["resource_migration"]
    except (KeyError, SpecError):
        return  # still asking, or an answer the validators refuse
    context.update(
        resource=resource,
        migration=migration,
        resource_migration_file=(
            f"{migration['created'].replace('-', '_')}_{migration['revision']}"
            f"_create_{resource.plural}.py"
        ),
    )
