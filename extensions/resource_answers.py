"""A resource from the answers to copier.yml's questions about it: the checks of
its name, plural and fields, what its `ref` fields may name, and the resource
each render puts in the context (the built-in projects, or the one answered).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .field_spec import BUILT_IN_REFERABLE, SpecError, parse_fields
from .naming import identifier_problem, pascal, pluralize
from .resource import PROJECTS, Resource
from .service import new_migration, overwriting, read_answers, service_problem, what_to_render

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
