"""The field types a resource's spec may use: for each, its Python type, its
validation, its column and migration, how the list filters and sorts by it, and
the values the generated tests send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What a `ref` does to the rows that refer to a row being deleted; the key is the
# spec's word, the value the foreign key's ON DELETE ("" for NO ACTION: a live
# reference refuses the delete, and one statement may still delete both rows, as
# an owner's ON DELETE CASCADE does).
ON_DELETE = {"restrict": "", "cascade": "CASCADE", "set_null": "SET NULL"}


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
        # stored in UTC, so it must exist there: on its first and last days, only
        # given in UTC (core/schemas.py EDGE_DAYS), as its schema's pattern says.
        invalid=(
            '"2026-01-31T12:00:00"',
            '"noon"',
            "0",
            '"0.5"',
            '"0001-01-01T00:00:00+01:00"',
            '"9999-12-31T23:30:00-01:00"',
            '"0001-01-01T12:00:00+01:00"',
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
