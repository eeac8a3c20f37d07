"""A resource: an owned, paginated, soft-deleted CRUD feature, described by its fields.

The built-in `projects` feature and every resource a team adds later with
`-d generate=resource` are rendered from the same template files. What differs
between them is a `Resource`: its names (from the singular), and its fields
(from a spec, see extensions/field_spec.py). Its properties are what the
templates write of it: URLs, class names, imports, the list's filters and sorts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .field import Field
from .field_spec import parse_fields
from .naming import pascal

# Every resource's creation time, which its list filters on and sorts by.
CREATED_AT = Field("created_at", "datetime")


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
    def sort_description(self) -> list[str]:
        """The OpenAPI description of `sort`, in the parts a line of source holds:
        how it orders, and each enum's order (declared, not its values' text)."""
        orders = "; ".join(f"{f.name}: {', '.join(f.choices)}" for f in self.enums)
        return [
            "Field to sort by, ascending; with a leading - descending. ",
            "Ties are broken by id; missing values come last.",
            *([f" An enum sorts in declared order, not by text ({orders})."] if orders else []),
        ]

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
