"""A resource's fields changed after it was added: the migration of the difference.

`copier update --answers-file .copier-answers.<name>.yml -d resource_fields=...`
re-renders the resource's files from the new spec, and its migration must not
change: it has run wherever the service is deployed. So the answers file keeps
the history, `resource_field_changes`: each change's spec before and after, and
its own Alembic revision. The table is created from the first spec; each change
gets a migration of its own, written once, by the update that makes it, chained
onto the service's head then; and the model, schemas and tests follow the spec
now in `resource_fields`.

Copier renders an update three times: the old release with the recorded answers
(into an empty folder), the new release into the service, and the new release
again into an empty folder. Only the render into the service finds the recorded
answers there, so only it sees the change as new: the default of
`resource_field_changes` appends it, and `resource_new_field_change` names it, so
that its migration is written into the service alone (the renders Copier
compares hold no change migration, so an update never rewrites or deletes one).

Refused, before anything is written, unless an answer allows it:
- dropping a field (its values are gone): allowed by `-d resource_drop_fields=<names>`;
- changing a field's type: never (a cast can fail or lose precision on either
  database); add a field of the new type, copy the values, drop the old one.
A field that becomes required (or is added required) is guarded in the
migration instead: it stops, changing nothing, while rows hold no value in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from .fields import Field, SpecError, parse_fields
from .resource import Resource, referable, references
from .service import alembic_heads, recorded_answers

# The types whose column is all there is to migrate: a type with a constraint of
# its own (a foreign key, a check) is refused until its migration is written here.
COLUMN_TYPES = frozenset(
    {"str", "text", "slug", "int", "float", "decimal", "bool", "date", "datetime", "uuid"}
)


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


def _resource(context: Mapping[str, Any], spec: str) -> Resource:
    fields = parse_fields(spec, references(context))
    return Resource(context["resource_name"], context["resource_plural"], fields)


def _recorded_fields(conf: Mapping[str, Any]) -> str | None:
    """The spec in the resource's answers file in the service, or None.

    Only the render into the service itself finds one (see the docstring).
    """
    fields = recorded_answers(conf).get("resource_fields")
    return fields if isinstance(fields, str) else None


def _same_spec(first: str, second: str, conf: Mapping[str, Any]) -> bool:
    known = referable(conf["dst_path"])
    try:
        return parse_fields(first, known) == parse_fields(second, known)
    except SpecError:
        return first == second


def field_change_problem(value: str, conf: Mapping[str, Any], drop: str = "") -> str:
    """Why `resource_fields` may not change to `value` on update, or "".

    `drop` is the answer `resource_drop_fields`: the fields the team agrees to drop.
    """
    dropping = set(str(drop or "").replace(",", " ").split())
    recorded = _recorded_fields(conf)
    if recorded is None or _same_spec(recorded, value, conf):
        if dropping and not _dropped_by_last_change(conf, value) >= dropping:
            return (
                "resource_drop_fields only with a change of resource_fields that drops "
                f"those fields: this one drops none ({', '.join(sorted(dropping))})"
            )
        return ""
    try:
        known = referable(conf["dst_path"])
        before, after = parse_fields(recorded, known), parse_fields(value, known)
    except SpecError:
        return ""  # resource_fields_problem says why
    change = FieldChange(Resource("x", "xs", before), Resource("x", "xs", after))
    if change.retyped:
        old, new = change.retyped[0]
        return (
            f"the type each kept field has: {old.name!r} is {old.type}, not {new.type} (an "
            f"update changes no column's type; add a field of the new type, copy the "
            f"values in a migration of your own, then drop {old.name!r})"
        )
    moved = [field for field in change.touched if field.type not in COLUMN_TYPES]
    if moved:
        return (
            f"changes of fields of types {', '.join(sorted(COLUMN_TYPES))}: field "
            f"{moved[0].name!r} is a {moved[0].type}, whose constraints an update does not migrate"
        )
    unasked = [field.name for field in change.dropped if field.name not in dropping]
    if unasked:
        names = ",".join(unasked)
        return (
            f"fields dropped only when named: dropping {', '.join(map(repr, unasked))} "
            f"deletes its values from every row; to drop it, give "
            f"-d resource_drop_fields={names} as well"
        )
    stray = sorted(dropping - {field.name for field in change.dropped})
    if stray:
        return (
            f"resource_drop_fields names the fields this change drops: "
            f"{', '.join(map(repr, stray))} is not dropped by it"
        )
    heads = alembic_heads(Path(conf["dst_path"]))
    if len(heads) > 1:
        return (
            f"one head to chain the change's migration onto: merge the migrations' "
            f"heads first (alembic merge heads): there are {len(heads)}"
        )
    return ""


def _dropped_by_last_change(conf: Mapping[str, Any], fields: str) -> set[str]:
    """The fields that the recorded last change, if it made `fields`, dropped.

    Copier renders its message after the update has written the answers file:
    the answers given for the change are checked again, against the change.
    """
    changes = recorded_answers(conf).get("resource_field_changes") or []
    if not changes or not _same_spec(changes[-1]["fields"], fields, conf):
        return set()
    known = referable(conf["dst_path"])
    kept = {field.name for field in parse_fields(fields, known)}
    return {field.name for field in parse_fields(changes[-1]["previous"], known)} - kept


def field_changes(fields: str, conf: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`resource_field_changes` for this render: the recorded changes, and the
    change to `fields` if it is new (only the render into the service sees one)."""
    changes = list(recorded_answers(conf).get("resource_field_changes") or [])
    recorded = _recorded_fields(conf)
    if recorded is None or _same_spec(recorded, fields, conf):
        return changes
    heads = alembic_heads(Path(conf["dst_path"]))
    changes.append(
        {
            "previous": recorded,
            "fields": fields,
            "revision": uuid.uuid4().hex[:12],
            "down_revision": heads[0] if len(heads) == 1 else None,
            "created": datetime.now(UTC).date().isoformat(),
        }
    )
    return changes


def field_changes_problem(changes: Any, fields: str, conf: Mapping[str, Any]) -> str:
    """Whether the recorded changes end at `fields`: on an update that changes them,
    Copier drops the recorded answer it finds stale and takes the default, which
    appends the change (the way Copier lets a template recompute an answer)."""
    recorded = _recorded_fields(conf)
    if recorded is None:
        return ""
    last = changes[-1]["fields"] if changes else recorded
    return "" if _same_spec(last, fields, conf) else "the changes up to the fields of this update"


def new_field_change(changes: Any, conf: Mapping[str, Any]) -> str:
    """The revision of the change this render makes, or "" (see the docstring)."""
    if not changes or _recorded_fields(conf) is None:
        return ""
    recorded = recorded_answers(conf).get("resource_field_changes") or []
    revision = str(changes[-1]["revision"])
    return "" if any(change.get("revision") == revision for change in recorded) else revision


def add_field_change(context: dict[str, Any]) -> None:
    """The resource as it was created (its migration's table), and the change this
    render makes, if any, with its migration file among the resource's files."""
    if context.get("generate") != "resource" or "migration" not in context:
        context.setdefault("creation_resource", context.get("resource"))
        context.setdefault("field_change_migration_file", "")
        return
    changes = context.get("resource_field_changes") or []
    first = changes[0]["previous"] if changes else context["resource_fields"]
    context["creation_resource"] = _resource(context, first)
    context["field_change_migration_file"] = ""
    revision = context.get("resource_new_field_change") or ""
    change = next((c for c in changes if c["revision"] == revision), None)
    if change is None:
        return
    field_change = FieldChange(
        _resource(context, change["previous"]), _resource(context, change["fields"])
    )
    if not field_change.changes_table:
        return
    file = (
        f"{change['created'].replace('-', '_')}_{revision}_change_"
        f"{context['resource_plural']}_fields.py"
    )
    context.update(
        field_change=field_change,
        field_change_migration=change,
        field_change_migration_file=file,
    )
    if "resource_exclusions" in context:
        context["resource_exclusions"] += f"\n!/alembic/versions/{file}"


# The filters copier.yml's questions about a resource's fields use.
FILTERS = {
    "field_change_problem": field_change_problem,
    "field_changes": field_changes,
    "field_changes_problem": field_changes_problem,
    "new_field_change": new_field_change,
}
