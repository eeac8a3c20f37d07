"""A change of a resource's fields as its table sees it: the columns added and
dropped, made optional or required, the unique indexes gained and lost, a ref's
foreign key and index, an enum's CHECK constraint and default, and the body of
the migration that makes the change (and of the one that undoes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .field import Field
from .resource import Resource


@dataclass(frozen=True)
class FieldChange:
    """The table of `before`'s fields taken to `after`'s (the same resource)."""

    before: Resource
    after: Resource

    @property
    def reverse(self) -> FieldChange:
        return FieldChange(self.after, self.before)

    def _by_name(self, resource: Resource) -> dict[str, Field]:
        return {field.name: field for field in resource.fields}

    @cached_property
    def added(self) -> tuple[Field, ...]:
        old = self._by_name(self.before)
        return tuple(field for field in self.after.fields if field.name not in old)

    @property
    def dropped(self) -> tuple[Field, ...]:
        return self.reverse.added

    def _kept(self) -> list[tuple[Field, Field]]:
        new = self._by_name(self.after)
        return [(field, new[field.name]) for field in self.before.fields if field.name in new]

    @cached_property
    def retyped(self) -> tuple[tuple[Field, Field], ...]:
        return tuple((old, new) for old, new in self._kept() if new.type != old.type)

    @cached_property
    def made_optional(self) -> tuple[Field, ...]:
        return tuple(new for old, new in self._kept() if new.optional and not old.optional)

    @cached_property
    def made_required(self) -> tuple[Field, ...]:
        """Kept fields that become NOT NULL, and added ones that are required with
        no default (one with a default is added NOT NULL: each row gets it)."""
        kept = tuple(new for old, new in self._kept() if old.optional and not new.optional)
        return kept + tuple(field for field in self.added if field.requested)

    @cached_property
    def unique_added(self) -> tuple[Field, ...]:
        old = self._by_name(self.before)
        return tuple(
            field
            for field in self.after.unique
            if field.name not in old or not old[field.name].unique
        )

    @property
    def unique_dropped(self) -> tuple[Field, ...]:
        return self.reverse.unique_added

    @cached_property
    def constrained(self) -> tuple[Field, ...]:
        """The fields whose foreign key or CHECK constraint is created: those added,
        and kept ones whose ON DELETE or values change (their old one is dropped)."""
        kept = tuple(
            new
            for old, new in self._kept()
            if (new.is_ref and new.on_delete != old.on_delete)
            or (new.is_enum and new.choices != old.choices)
        )
        return tuple(f for f in self.added if f.is_ref or f.is_enum) + kept

    @property
    def unconstrained(self) -> tuple[Field, ...]:
        return self.reverse.constrained

    @cached_property
    def redefaulted(self) -> tuple[Field, ...]:
        """Kept enums whose default (the column's server default) changes."""
        return tuple(new for old, new in self._kept() if new.default != old.default)

    @cached_property
    def narrowed(self) -> tuple[Field, ...]:
        """Kept enums that lose a value: rows may hold it, and the new CHECK refuses it."""
        return tuple(
            new
            for old, new in self._kept()
            if new.is_enum and old.is_enum and not set(old.choices) <= set(new.choices)
        )

    @property
    def changes_table(self) -> bool:
        """Whether the table differs: the order of the fields is no matter to it."""
        return set(self.before.fields) != set(self.after.fields)

    def unique_index(self, field: Field) -> str:
        return f"uq_{self.after.plural}_owner_id_{field.name}"

    def statements(self) -> str:
        """The body of upgrade() (of downgrade(), for the reverse change).

        Values are checked first, before anything changes: those of a column that
        becomes required, those an enum's narrower CHECK would refuse. Indexes and
        constraints go before their columns and come back after them; a column
        added required is added nullable, then altered.
        """
        table = self.after.plural
        loosen = [
            *(f'drop_index("{self.unique_index(f)}")' for f in self.unique_dropped),
            *(f'drop_index(batch_op.f("ix_{table}_{f.name}"))' for f in self.dropped if f.is_ref),
            *(_unconstrain(table, f) for f in self.unconstrained),
            *(f'drop_column("{f.name}")' for f in self.dropped),
            *(f"add_column({_column(f)})" for f in self.added),
            *(_nullable(f, True) for f in self.made_optional),
            *(_default(f) for f in self.redefaulted),
        ]
        tighten = [
            *(_nullable(f, False) for f in self.made_required),
            *(
                f'create_index("{self.unique_index(f)}", ["owner_id", "{f.name}"], unique=True, '
                f"sqlite_where={LIVE_ROWS}, postgresql_where={LIVE_ROWS})"
                for f in self.unique_added
            ),
            *(_constrain(table, f) for f in self.constrained),
            *(
                f'create_index(batch_op.f("ix_{table}_{f.name}"), ["{f.name}"])'
                for f in self.added
                if f.is_ref
            ),
        ]
        added = {field.name for field in self.added}
        checks = [
            f'    require_values("{table}", "{f.name}"{", added=True" if f.name in added else ""})'
            for f in self.made_required
        ] + [f'    require_choices("{table}", "{f.name}", {f.choices!r})' for f in self.narrowed]
        lines = [*checks, *self._batch(loosen), *self._batch(tighten)]
        return "\n".join(lines) or "    pass"

    def _batch(self, operations: list[str]) -> list[str]:
        if not operations:
            return []
        head = f'    with op.batch_alter_table("{self.after.plural}") as batch_op:'
        return [head, *(f"        batch_op.{operation}" for operation in operations)]


# The rows a unique index covers, as resource_table.jinja creates it.
LIVE_ROWS = 'sa.text("deleted_at IS NULL")'


def _column(field: Field) -> str:
    """An added column: nullable, unless a default fills it in every row."""
    if not field.default:
        return f'sa.Column("{field.name}", {field.kind.migration})'
    return (
        f'sa.Column("{field.name}", {field.kind.migration}, nullable={field.optional}, '
        f"server_default={field.default!r})"
    )


def _nullable(field: Field, nullable: bool) -> str:
    return (
        f'alter_column("{field.name}", existing_type={field.kind.migration}, nullable={nullable})'
    )


def _default(field: Field) -> str:
    return (
        f'alter_column("{field.name}", existing_type={field.kind.migration}, '
        f"existing_nullable={field.optional}, server_default={field.default or None!r})"
    )


# A ref's foreign key, an enum's CHECK: named as alembic/resource_table.jinja
# names them when it creates the table (a ref's index, too, in statements()).
def _constrain(table: str, field: Field) -> str:
    if field.is_enum:
        return f'create_check_constraint(batch_op.f("ck_{table}_{field.name}"), "{field.check}")'
    ondelete = field.foreign_key_ondelete
    return (
        f'create_foreign_key(batch_op.f("fk_{table}_{field.name}_{field.table}"), '
        f'"{field.table}", ["{field.name}"], ["id"]'
        + (f', ondelete="{ondelete}")' if ondelete else ")")
    )


def _unconstrain(table: str, field: Field) -> str:
    if field.is_enum:
        return f'drop_constraint(batch_op.f("ck_{table}_{field.name}"), type_="check")'
    return (
        f'drop_constraint(batch_op.f("fk_{table}_{field.name}_{field.table}"), type_="foreignkey")'
    )
