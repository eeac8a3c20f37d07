"""A resource's fields: the types a spec may use, and the spec's parser.

A spec such as `number:str! amount:decimal due:date paid:bool note:text?` is a
list of `Field`s. Each field type knows its Python type, its validation, its
column and its migration, and the sample values the generated tests use; a
`Field` writes the lines of Python the templates place (ruff lays them out).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Literal

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# How a message about a name begins (Copier shows only its first 30 or so characters).
IDENTIFIER_RULE = "snake_case, e.g. line_item"

# Column names every resource has; a field may not take them.
BUILT_IN_COLUMNS = frozenset({"id", "owner_id", "created_at", "updated_at", "deleted_at"})
# Names a model or schema class already uses for something else.
CLASS_ATTRIBUTES = frozenset({"metadata", "registry", "model_config", "model_fields"})
# In a class body, a field by one of these names would hide the type it names.
TYPE_NAMES = frozenset({"bool", "date", "datetime", "decimal", "float", "int", "str", "uuid"})


@dataclass(frozen=True)
class FieldType:
    python: str  # annotation in models and responses
    schema: str  # pydantic Field() arguments that validate it, "" when none
    column: str  # SQLAlchemy column type
    migration: str  # the same type as Alembic writes it
    sqlmodel: str  # SQLModel Field() arguments beyond default=None, "" when none
    samples: tuple[str, str]  # two valid values, as Python source of their JSON
    invalid: tuple[str, ...]  # values the API refuses with a 422
    numbered: str  # a distinct value per number `n`, as Python source
    request_python: str = ""  # annotation in request schemas, when not `python`
    # How the list filters on it: `field=` (exact), `min_field=` and `max_field=`
    # (range), or not at all (long text: a search, not a filter, is what it needs).
    filtering: Literal["exact", "range", "none"] = "none"
    sortable: bool = False  # whether `sort=field` may order the list by it
    # Its filter is a query parameter, a string: the type and Field() arguments
    # that read it there, when not `request_python` and `schema` (strict ones).
    query_python: str = ""
    query_schema: str | None = None


FIELD_TYPES: dict[str, FieldType] = {
    "str": FieldType(
        python="str",
        schema="min_length=1, max_length=255",
        column="String(255)",
        migration="sa.String(length=255)",
        sqlmodel="max_length=255",
        samples=('"Apollo"', '"Artemis"'),
        # Stripped before its length is checked; NUL is what PostgreSQL cannot store.
        invalid=('""', '"   "', '"x" * 256', '"Apollo\\x00"'),
        numbered='f"p{n}"',
        filtering="exact",
        sortable=True,
    ),
    "slug": FieldType(
        python="str",
        schema="min_length=1, max_length=255, pattern=SLUG_PATTERN",
        column="String(255)",
        migration="sa.String(length=255)",
        sqlmodel="max_length=255",
        samples=('"apollo"', '"artemis"'),
        invalid=('""', '"   "', '"Not A Slug"', '"apollo--11"', '"x" * 256', '"apollo\\x00"'),
        numbered='f"p{n}"',
        filtering="exact",
        sortable=True,
    ),
    "text": FieldType(
        python="str",
        schema="max_length=2000",
        column="String(2000)",
        migration="sa.String(length=2000)",
        sqlmodel="max_length=2000",
        samples=('"To the moon"', '"And back"'),
        invalid=('"x" * 2001', '"To the\\x00moon"'),
        numbered='f"p{n}"',
    ),
    "int": FieldType(
        python="int",
        request_python="WholeNumber",  # 42 or 42.0, as JSON Schema, not "42"
        # A PostgreSQL integer: anything wider would be a database error, not a 422.
        schema="ge=-2_147_483_648, le=2_147_483_647",
        column="Integer()",
        migration="sa.Integer()",
        sqlmodel="",
        samples=("42", "7"),
        invalid=("2_147_483_648", "-2_147_483_649", '"many"', '"42"', "42.5"),
        numbered="n",
        filtering="range",
        sortable=True,
        query_python="int",
    ),
    "float": FieldType(
        python="float",
        schema="strict=True, allow_inf_nan=False",
        column="Float()",
        migration="sa.Float()",
        sqlmodel="",
        samples=("1.5", "-0.25"),
        invalid=('"NaN"', '"Infinity"', "10**400", '"a lot"', '"1.5"'),
        numbered="n + 0.5",
        filtering="range",
        sortable=True,
        query_schema="allow_inf_nan=False",
    ),
    "decimal": FieldType(
        python="Decimal",
        request_python="DecimalString",  # its pattern is NUMERIC(12, 2)
        schema="",
        column="Numeric(12, 2)",
        migration="sa.Numeric(precision=12, scale=2)",
        sqlmodel="max_digits=12, decimal_places=2",
        samples=('"1234.50"', '"-0.75"'),
        invalid=('"12.345"', '"1e12"', '"NaN"', "12.5", '"12345678901.5"'),
        numbered='f"{n}.25"',
        filtering="range",
        sortable=True,
    ),
    "bool": FieldType(
        python="bool",
        schema="strict=True",
        column="Boolean()",
        migration="sa.Boolean()",
        sqlmodel="",
        samples=("True", "False"),
        invalid=('"maybe"', "0"),
        numbered="n % 2 == 0",
        filtering="exact",
        query_schema="",
    ),
    "date": FieldType(
        python="date",
        request_python="DateString",
        schema="",
        column="Date()",
        migration="sa.Date()",
        sqlmodel="",
        samples=('"2026-01-31"', '"2026-12-01"'),
        # A string of digits is not read as seconds since the epoch.
        invalid=('"2026-02-30"', '"tomorrow"', "0", '"0"', '"10000-01-01"'),
        numbered='f"2026-01-{n + 1:02d}"',
        filtering="range",
        sortable=True,
    ),
    "datetime": FieldType(
        python="datetime",
        request_python="AwareDateTimeString",
        schema="",
        column="UTCDateTime()",
        migration="sa.DateTime(timezone=True)",
        sqlmodel="sa_type=UTCDateTime",
        samples=('"2026-01-31T12:00:00Z"', '"2026-12-01T08:30:00Z"'),
        # Without an offset the moment is ambiguous: refused, never guessed. It is
        # stored in UTC, so it must exist there.
        invalid=(
            '"2026-01-31T12:00:00"',
            '"noon"',
            "0",
            '"0.5"',
            '"0001-01-01T00:00:00+01:00"',
            '"9999-12-31T23:30:00-01:00"',
        ),
        numbered='f"2026-01-{n + 1:02d}T12:00:00Z"',
        filtering="range",
        sortable=True,
    ),
    "uuid": FieldType(
        python="uuid.UUID",
        schema="",
        column="Uuid()",
        migration="sa.Uuid()",
        sqlmodel="",
        samples=(
            '"8b9c6f3e-2d4a-4c1b-9e7f-0a1b2c3d4e5f"',
            '"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"',
        ),
        invalid=('"not-a-uuid"',),
        numbered='f"00000000-0000-4000-8000-{n:012d}"',
        filtering="exact",
    ),
}

# The list's own query parameters (pagination, order, the created_at range):
# a field's filter may not take one.
LIST_PARAMETERS = frozenset({"limit", "after", "page", "sort", "min_created_at", "max_created_at"})

# The types a team may use in a spec (`slug` too: the built-in projects use it).
SPEC_TYPES = tuple(FIELD_TYPES)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    optional: bool = False
    unique: bool = False

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type]

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")

    @property
    def class_name(self) -> str:
        return pascal(self.name)

    def _optional(self, python: str) -> str:
        return f"{python} | None" if self.optional else python

    @property
    def model_line(self) -> str:
        """The SQLAlchemy declaration: `name: Mapped[str] = mapped_column(String(255))`."""
        annotation = f"Mapped[{self._optional(self.kind.python)}]"
        return f"    {self.name}: {annotation} = mapped_column({self.kind.column})"

    @property
    def sqlmodel_line(self) -> str:
        arguments = [*(["default=None"] if self.optional else []), *_split(self.kind.sqlmodel)]
        return _field_line(self.name, self._optional(self.kind.python), arguments)

    @property
    def request_python(self) -> str:
        return self.kind.request_python or self.kind.python

    @property
    def create_line(self) -> str:
        arguments = [*(["default=None"] if self.optional else []), *_split(self.kind.schema)]
        return _field_line(self.name, self._optional(self.request_python), arguments)

    @property
    def update_line(self) -> str:
        arguments = ["default=None", *_split(self.kind.schema)]
        return _field_line(self.name, f"{self.request_python} | None", arguments)

    @property
    def response_line(self) -> str:
        return f"    {self.name}: {self._optional(self.kind.python)}"

    @property
    def migration_line(self) -> str:
        return f'        sa.Column("{self.name}", {self.kind.migration}, nullable={self.optional}),'

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """The list's query parameters that filter on it, each with its comparison."""
        return {
            "exact": ((self.name, "eq"),),
            "range": ((f"min_{self.name}", "ge"), (f"max_{self.name}", "le")),
            "none": (),
        }[self.kind.filtering]

    @property
    def filter_lines(self) -> list[str]:
        """The list query's fields that filter on it, each marked with its `Filter`."""
        kind = self.kind
        annotation = kind.query_python or self.request_python
        schema = kind.schema if kind.query_schema is None else kind.query_schema
        what = {"eq": "is", "ge": "is at least", "le": "is at most"}
        return [
            f'    {parameter}: Annotated[{annotation} | None, Filter("{self.name}", "{op}")]'
            f" = Field({', '.join(['default=None', *_split(schema)])}, "
            f'description="Only those whose {self.title} {what[op]} this")'
            for parameter, op in self.filters
        ]

    @property
    def samples(self) -> tuple[str, str]:
        return self.kind.samples

    @property
    def invalid(self) -> tuple[str, ...]:
        return self.kind.invalid

    @property
    def numbered(self) -> str:
        return self.kind.numbered


def _split(arguments: str) -> list[str]:
    return [argument.strip() for argument in arguments.split(", ") if argument.strip()]


def _field_line(name: str, annotation: str, arguments: list[str]) -> str:
    if not arguments:
        return f"    {name}: {annotation}"
    if arguments == ["default=None"]:
        return f"    {name}: {annotation} = None"
    return f"    {name}: {annotation} = Field({', '.join(arguments)})"


class SpecError(ValueError):
    """A resource or field spec that cannot be rendered; the message says why."""


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def parse_fields(spec: str) -> tuple[Field, ...]:
    """`name:type` words, `?` after the type for optional, `!` for unique per owner."""
    fields: list[Field] = []
    for word in spec.split():
        name, colon, kind = word.partition(":")
        if not colon or not name:
            msg = f"name:type words, e.g. amount:decimal note:text?; {word!r} is not one"
            raise SpecError(msg)
        marks = kind[len(kind.rstrip("?!")) :]
        kind = kind.rstrip("?!")
        optional, unique = "?" in marks, "!" in marks
        if optional and unique:
            msg = f"`?` (optional) or `!` (unique), not both: field {name!r} has both"
            raise SpecError(msg)
        if kind not in FIELD_TYPES:
            types = ", ".join(SPEC_TYPES)
            msg = f"types {types}; field {name!r} has the unknown type {kind!r}"
            raise SpecError(msg)
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
        field = Field(name, kind, optional=optional, unique=unique)
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


def identifier_problem(name: str, what: str, longest: int = 24) -> str:
    if len(name) > longest:
        # PostgreSQL cuts names of constraints at 63 characters; they hold these.
        return f"at most {longest} characters: {what} {name!r} has {len(name)}"
    if not NAME_PATTERN.fullmatch(name):
        return (
            f"{IDENTIFIER_RULE}: {what} {name!r} is not (lowercase letters, digits and "
            "single underscores, starting with a letter)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{IDENTIFIER_RULE}, not a Python keyword: {what} {name!r} is one"
    return ""
