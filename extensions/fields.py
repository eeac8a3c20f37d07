"""A resource's fields: the types a spec may use, and the spec's parser.

A spec such as `number:str! amount:decimal due:date paid:bool note:text?` is a
list of `Field`s. Each field type knows its Python type, its validation, its
column and its migration, and the sample values the generated tests use; a
`Field` writes the lines of Python the templates place (ruff lays them out).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# How a message about a name begins (Copier shows only its first 30 or so characters).
IDENTIFIER_RULE = "snake_case, e.g. line_item"

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
# What a `ref` does to the rows that refer to a row being deleted; the key is the
# spec's word, the value the foreign key's ON DELETE ("" for NO ACTION: a live
# reference refuses the delete, and one statement may still delete both rows, as
# an owner's ON DELETE CASCADE does).
ON_DELETE = {"restrict": "", "cascade": "CASCADE", "set_null": "SET NULL"}
# The resources every service has that a `ref` may name, with their tables.
BUILT_IN_REFERABLE = {"project": "projects"}


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

# Types whose column, annotation and values depend on the field's arguments:
# `project:ref` (another resource's id) and `status:enum(draft,sent)`. The
# entries hold what is the same for every such field; `Field` adds the rest.
FIELD_TYPES["ref"] = FieldType(
    python="uuid.UUID",
    schema="",
    column="ForeignKey()",  # its arguments are the field's: Field.foreign_key
    migration="sa.Uuid()",
    sqlmodel="",
    # Stand-ins: the generated API tests replace them with rows of the caller's.
    samples=(
        '"0e7a4c1d-5b3f-4a29-8c6d-1f2e3a4b5c6d"',
        '"6d5c4b3a-2e1f-4d6c-9a8b-7c6d5e4f3a2b"',
    ),
    invalid=('"not-a-uuid"', "42"),
    numbered="",
    # By its id, `project_id=`; an order by a random id would mean nothing.
    filtering="exact",
)
FIELD_TYPES["enum"] = FieldType(
    python="str",
    schema="",
    column="String(50)",  # a value has at most 50 characters
    migration="sa.String(length=50)",
    sqlmodel="max_length=50",
    samples=("", ""),
    invalid=('""', "1"),
    numbered="",
    filtering="exact",  # by one of its values (the query reads the same Literal)
    sortable=True,  # by the value's text
)

# The types a team may use in a spec (`slug` too: the built-in projects use it).
SPEC_TYPES = tuple(FIELD_TYPES)


@dataclass(frozen=True)
class Field:
    name: str  # the column and JSON attribute: `project_id` for `project:ref`
    type: str
    optional: bool = False
    unique: bool = False
    # A ref: the resource it names, that resource's table, and what the foreign
    # key does on delete (a key of ON_DELETE).
    target: str = ""
    table: str = ""
    on_delete: str = "restrict"
    # An enum: its values, and the default a create takes ("" for none).
    choices: tuple[str, ...] = ()
    default: str = ""

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type]

    @property
    def is_ref(self) -> bool:
        return self.type == "ref"

    @property
    def is_enum(self) -> bool:
        return self.type == "enum"

    @property
    def requested(self) -> bool:
        """Whether a create must send it: neither optional nor defaulted."""
        return not self.optional and not self.default

    @property
    def literal(self) -> str:
        """An enum's annotation in schemas, which OpenAPI shows as an enum."""
        return f"Literal[{', '.join(repr(choice) for choice in self.choices)}]"

    @property
    def check(self) -> str:
        """An enum's CHECK constraint's condition: the database refuses other values."""
        values = ", ".join(f"'{choice}'" for choice in self.choices)
        return f"{self.name} IN ({values})"

    @property
    def foreign_key_ondelete(self) -> str:
        """A ref's foreign key's ON DELETE ("" for the default, NO ACTION)."""
        return ON_DELETE[self.on_delete]

    @property
    def foreign_key(self) -> str:
        """A ref's ForeignKey(...) arguments, as the SQLAlchemy model writes them."""
        ondelete = self.foreign_key_ondelete
        return f'"{self.table}.id"' + (f', ondelete="{ondelete}"' if ondelete else "")

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")

    @property
    def class_name(self) -> str:
        return pascal(self.name)

    def _optional(self, python: str) -> str:
        return f"{python} | None" if self.optional else python

    @property
    def _column(self) -> str:
        if self.is_ref:
            return f"ForeignKey({self.foreign_key}), index=True"
        default = f", server_default={self.default!r}" if self.default else ""
        return self.kind.column + default

    @property
    def model_line(self) -> str:
        """The SQLAlchemy declaration: `name: Mapped[str] = mapped_column(String(255))`."""
        annotation = f"Mapped[{self._optional(self.kind.python)}]"
        return f"    {self.name}: {annotation} = mapped_column({self._column})"

    @property
    def sqlmodel_line(self) -> str:
        arguments = [*(["default=None"] if self.optional else []), *_split(self.kind.sqlmodel)]
        if self.is_ref:
            ondelete = self.foreign_key_ondelete
            arguments += [f'foreign_key="{self.table}.id"', "index=True"]
            arguments += [f'ondelete="{ondelete}"'] if ondelete else []
        if self.default:
            arguments.append(f'sa_column_kwargs={{"server_default": {self.default!r}}}')
        return _field_line(self.name, self._optional(self.kind.python), arguments)

    @property
    def request_python(self) -> str:
        return self.literal if self.is_enum else self.kind.request_python or self.kind.python

    @property
    def create_line(self) -> str:
        default = [f"default={self.default!r}"] if self.default else []
        if self.optional:
            default = default or ["default=None"]
        arguments = [*default, *_split(self.kind.schema)]
        return _field_line(self.name, self._optional(self.request_python), arguments)

    @property
    def update_line(self) -> str:
        arguments = ["default=None", *_split(self.kind.schema)]
        return _field_line(self.name, f"{self.request_python} | None", arguments)

    @property
    def response_line(self) -> str:
        python = self.literal if self.is_enum else self.kind.python
        return f"    {self.name}: {self._optional(python)}"

    @property
    def migration_line(self) -> str:
        default = f", server_default={self.default!r}" if self.default else ""
        return (
            f'        sa.Column("{self.name}", {self.kind.migration}, '
            f"nullable={self.optional}{default}),"
        )

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
        if self.is_enum:
            return repr(self.choices[-1]), repr(self.choices[0])
        return self.kind.samples

    @property
    def invalid(self) -> tuple[str, ...]:
        if self.is_enum:
            # Another word, and a value's capitalised twin: the values are exact.
            return (*self.kind.invalid, '"unknown"', repr(self.choices[0].capitalize()))
        return self.kind.invalid

    @property
    def numbered(self) -> str:
        return self.kind.numbered

    @property
    def ordered(self) -> str:
        """A value that never decreases with `n` (0 to 9), as Python source, for the
        list's tests: an enum's values in their order, the last repeated once they
        run out. "" for a ref: its values are rows the tests make."""
        if self.is_enum:
            return f"{sorted(self.choices)!r}[min(n, {len(self.choices) - 1})]"
        return self.numbered


def _split(arguments: str) -> list[str]:
    return [argument.strip() for argument in arguments.split(", ") if argument.strip()]


def _field_line(name: str, annotation: str, arguments: list[str]) -> str:
    if not arguments:
        return f"    {name}: {annotation}"
    if len(arguments) == 1 and arguments[0].startswith("default="):
        return f"    {name}: {annotation} = {arguments[0].removeprefix('default=')}"
    return f"    {name}: {annotation} = Field({', '.join(arguments)})"


class SpecError(ValueError):
    """A resource or field spec that cannot be rendered; the message says why."""


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


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
