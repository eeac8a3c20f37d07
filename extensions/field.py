"""One field of a resource, and the lines of Python it writes into the model, the
schemas, the list's filters and the migration (ruff lays them out), with the
values the generated tests use for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .field_types import FIELD_TYPES, ON_DELETE, FieldType
from .naming import pascal


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
    def declared(self) -> str:
        """An enum's column `info`: its values in their declared order, which the
        list sorts it by (core/repository.py), "" for another type."""
        return f'{{"enum": {self.choices!r}}}' if self.is_enum else ""

    @property
    def _column(self) -> str:
        if self.is_ref:
            return f"ForeignKey({self.foreign_key}), index=True"
        default = f", server_default={self.default!r}" if self.default else ""
        info = f", info={self.declared}" if self.declared else ""
        return self.kind.column + default + info

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
        column = {
            **({"server_default": repr(self.default)} if self.default else {}),
            **({"info": self.declared} if self.declared else {}),
        }
        if column:
            keywords = ", ".join(f'"{key}": {value}' for key, value in column.items())
            arguments.append(f"sa_column_kwargs={{{keywords}}}")
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
        list's tests: an enum's values in their declared order, which its sort
        follows, the last repeated once they run out. "" for a ref: its values are
        rows the tests make."""
        if self.is_enum:
            return f"{list(self.choices)!r}[min(n, {len(self.choices) - 1})]"
        return self.numbered


def _split(arguments: str) -> list[str]:
    return [argument.strip() for argument in arguments.split(", ") if argument.strip()]


def _field_line(name: str, annotation: str, arguments: list[str]) -> str:
    if not arguments:
        return f"    {name}: {annotation}"
    if len(arguments) == 1 and arguments[0].startswith("default="):
        return f"    {name}: {annotation} = {arguments[0].removeprefix('default=')}"
    return f"    {name}: {annotation} = Field({', '.join(arguments)})"
