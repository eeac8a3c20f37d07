"""A resource's fields changed after it was added: the changes an update records,
refuses and renders (their migrations' statements: extensions/field_change_migration.py).

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
A field that becomes required (or is added required, with no default), and an
enum that loses a value, are guarded in the migration instead: it stops, changing
nothing, while rows hold no value in it, or the value lost. A ref's foreign key
and index, and an enum's CHECK constraint, are added, dropped and replaced (a
ref's ON DELETE, an enum's values) with their columns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .field_change_migration import FieldChange
from .field_spec import SpecError, parse_fields
from .resource import Resource
from .resource_answers import referable, references
from .service import alembic_heads, recorded_answers


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
