"""A change of a resource's fields as its table sees it: the columns added and
dropped, made optional or required, the unique indexes gained and lost, and the
body of the migration that makes the change (and of the one that undoes it).
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
        """Kept fields that become NOT NULL, and added ones that are required."""
        kept = tuple(new for old, new in self._kept() if old.optional and not new.optional)
        return kept + tuple(field for field in self.added if not field.optional)

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

    @property
    def touched(self) -> tuple[Field, ...]:
        """The fields whose column or index the change alters."""
        return (
            *self.added,
            *self.dropped,
            *self.made_optional,
            *self.made_required,
            *self.unique_added,
            *self.unique_dropped,
        )

    @property
    def changes_table(self) -> bool:
        """Whether the table differs: the order of the fields is no matter to it."""
        return set(self.before.fields) != set(self.after.fields)

    def unique_index(self, field: Field) -> str:
        return f"uq_{self.after.plural}_owner_id_{field.name}"

    def statements(self) -> str:
        """The body of upgrade() (of downgrade(), for the reverse change).

        A column that becomes required is checked first, before anything changes;
        unique indexes go before their columns and come back after them; a column
        added required is added nullable, then altered.
        """
        loosen = [
            *(f'drop_index("{self.unique_index(f)}")' for f in self.unique_dropped),
            *(f'drop_column("{f.name}")' for f in self.dropped),
            *(f'add_column(sa.Column("{f.name}", {f.kind.migration}))' for f in self.added),
            *(_nullable(f, True) for f in self.made_optional),
        ]
        tighten = [
            *(_nullable(f, False) for f in self.made_required),
            *(
                f'create_index("{self.unique_index(f)}", ["owner_id", "{f.name}"], unique=True, '
                f"sqlite_where={LIVE_ROWS}, postgresql_where={LIVE_ROWS})"
                for f in self.unique_added
            ),
        ]
        table = self.after.plural
        added = {field.name for field in self.added}
        checks = [
            f'    require_values("{table}", "{f.name}"{", added=True" if f.name in added else ""})'
            for f in self.made_required
        ]
        lines = [*checks, *self._batch(loosen), *self._batch(tighten)]
        return "\n".join(lines) or "    pass"

    def _batch(self, operations: list[str]) -> list[str]:
        if not operations:
            return []
        head = f'    with op.batch_alter_table("{self.after.plural}") as batch_op:'
        return [head, *(f"        batch_op.{operation}" for operation in operations)]


# The rows a unique index covers, as resource_table.jinja creates it.
LIVE_ROWS = 'sa.text("deleted_at IS NULL")'


def _nullable(field: Field, nullable: bool) -> str:
    return (
        f'alter_column("{field.name}", existing_type={field.kind.migration}, nullable={nullable})'
    )
