"""The resource generator: `copier copy -d generate=resource` inside a service adds
a complete CRUD feature in the service's own layout, ORM and logging.

For every combination a service is rendered and committed, two resources are
added to it (every field type between them, unique and optional fields, a long
name), each committed, and the grown service then passes all of its checks. Bad
answers are refused before anything is written.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from extensions.field_types import FIELD_TYPES, ON_DELETE
from extensions.layout import Layout
from extensions.naming import pluralize
from tests.harness import (
    RESOURCES,
    Environments,
    PerCombination,
    RenderedProject,
    add_resource,
    committed_service,
    git,
    parsed_resources,
    render,
)
from tests.matrix import combinations
from tests.test_service_checks import CHECKS, assert_check_passes

PACKAGE = "app"


def digest(project: Path) -> str:
    """Every file of the project but git's own, names and contents."""
    hashed = hashlib.sha256()
    for path in sorted(p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts):
        hashed.update(str(path.relative_to(project)).encode())
        hashed.update(path.read_bytes())
    return hashed.hexdigest()


def test_the_resources_cover_every_field_type_and_on_delete() -> None:
    fields = [field for resource in parsed_resources() for field in resource.fields]
    used = {field.type for field in fields}
    on_delete = {field.on_delete for field in fields if field.is_ref}
    assert used == set(FIELD_TYPES)
    assert on_delete == set(ON_DELETE)


@pytest.mark.parametrize("check", CHECKS)
def test_grown_service_passes(
    grown: RenderedProject, environments: Environments, check: str
) -> None:
    assert_check_passes(grown, environments, check, prefix="tpl_grown_")


# The files the generator registers a resource in (tasks/register_resource.py):
# routers, the models Alembic sees, import-linter contracts; no database code.
REGISTRATION_FILES = {"alembic/env.py", "pyproject.toml", "src/app/main.py"}


def test_a_grown_service_holds_the_new_service(
    grown: RenderedProject, renders: PerCombination[RenderedProject]
) -> None:
    """Every file of the new service is in its grown service, unchanged, but the
    registration files: so the grown service's suite on SQLite runs the new
    service's tests on its code, and the new service's SQLite run is not repeated
    (tests/test_service_checks.py, NEW_SERVICE_CHECKS)."""
    new = renders.get(grown.combination)
    changed = set()
    for path in new.files:
        name = path.relative_to(new.path)
        kept = grown.path / name
        if not kept.is_file() or kept.read_bytes() != path.read_bytes():
            changed.add(name.as_posix())
    assert changed == REGISTRATION_FILES


def test_each_resource_is_in_the_layout_and_registered(grown: RenderedProject) -> None:
    data = grown.combination.data
    project = grown.path
    main = (project / "src" / PACKAGE / "main.py").read_text(encoding="utf-8")
    env = (project / "alembic" / "env.py").read_text(encoding="utf-8")
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    for name, fields in RESOURCES:
        plural = f"{name}s"
        layout = Layout(data["layout"], PACKAGE, resource=plural, resource_entity=name)
        missing = [path for path in layout.resource_paths(plural) if not (project / path).is_file()]
        assert missing == [], f"{name}: not written"
        # Explicit imports, which mypy and import-linter follow.
        assert f"from {layout.module(plural, 'router')} import router as {plural}_router\n" in main
        assert f"    {plural}_router,\n" in main
        class_name = "".join(part.capitalize() for part in name.split("_"))
        assert f"from {layout.module(plural, 'models')} import {class_name}\n" in env
        assert f'name = "Only the {plural} feature imports its repository"' in pyproject
        answers = yaml.safe_load((project / f".copier-answers.{name}.yml").read_text())
        assert answers["resource_fields"] == fields
        assert "generate" not in answers  # derived: a resource's answers file is a resource's
        assert answers["layout"] == data["layout"]  # the service's, asked of nobody


def test_migrations_chain_onto_the_head_in_order(grown: RenderedProject) -> None:
    revisions = {}
    for path in (grown.path / "alembic" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision: str = "(\w+)"', source, re.M)
        down = re.search(r"^down_revision: .* = (.+)$", source, re.M)
        assert revision, path.name
        assert down, path.name
        revisions[revision.group(1)] = down.group(1).strip('"')
    # One line: the template's own migrations, then each resource's in turn.
    chain = ["None"]
    children = [r for r, down in revisions.items() if down == chain[-1]]
    while children:
        assert len(children) == 1, f"{chain[-1]} has more than one child: {children}"
        chain += children
        children = [r for r, down in revisions.items() if down == chain[-1]]
    assert chain[1:5] == ["0001", "0002", "0003", "0004"]
    assert sorted(chain[1:]) == sorted(revisions)
    assert len(revisions) == 6  # the template's four, and the two resources'


# ---------------------------------------------------------------- refused input


@pytest.fixture(scope="module")
def service_with_invoices(template_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = committed_service(
        template_source, tmp_path_factory.mktemp("refusals") / "service", {}
    )
    add_resource(template_source, project, *RESOURCES[0])
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "Add invoices")
    return project


# (answers given, part of the message, test id)
REFUSED = [
    ({"resource_name": "Invoice"}, "resource_name: snake_case, e.g. line_item", "capitals"),
    ({"resource_name": "line-item"}, "resource_name 'line-item' is not", "hyphen"),
    ({"resource_name": "class"}, "not a Python keyword: resource_name 'class'", "keyword"),
    ({"resource_name": "users"}, "resource_name: a name the service does not use", "reserved"),
    ({"resource_name": "invoice"}, "the service has invoice already", "exists"),
    ({"resource_plural": "widget"}, "resource_plural: a plural that differs", "plural-same"),
    ({"resource_fields": "amount:money"}, "'amount' has the unknown type 'money'", "bad-type"),
    ({"resource_fields": "code:str code:int"}, "field 'code' is given twice", "duplicate"),
    ({"resource_fields": "id:uuid"}, "field name 'id' is taken", "built-in-column"),
    ({"resource_fields": "code"}, "name:type words", "no-type"),
    ({"resource_fields": ""}, "at least one field", "no-fields"),
    ({"resource_fields": "paid:bool!"}, "a bool ('paid') has too few", "unique-bool"),
    ({"resource_fields": "code:str?!"}, "not both: field 'code' has both", "optional-unique"),
    ({"resource_fields": "sort:str"}, "field 'sort' would filter the list", "filter-clash"),
    (
        {"resource_fields": "client:ref"},
        "a ref to a resource of the service (invoice, project): field 'client' names none",
        "ref-unknown",
    ),
    ({"resource_fields": "project:ref(set_null)"}, "only with `?` (optional)", "ref-set-null"),
    ({"resource_fields": "project:ref(soft)"}, "ref(restrict|cascade|set_null)", "ref-on-delete"),
    ({"resource_fields": "state:enum(on)"}, "with two values or more", "enum-one-value"),
    ({"resource_fields": "state:enum(on,off,on)"}, "'state' repeats on", "enum-repeated"),
    ({"resource_fields": "state:enum(on,Off)"}, "enum values in snake_case", "enum-value"),
    ({"resource_fields": "state:enum(on,off)=maybe"}, "a default among the values", "enum-default"),
    ({"resource_fields": "code:str=x"}, "a default (=) only on an enum", "default-not-enum"),
]


@pytest.mark.parametrize(("answers", "message"), [pytest.param(a, m, id=i) for a, m, i in REFUSED])
def test_bad_answers_are_refused_and_nothing_is_written(
    template_source: Path, service_with_invoices: Path, answers: dict[str, str], message: str
) -> None:
    before = digest(service_with_invoices)
    data = {
        "generate": "resource",
        "resource_name": "widget",
        "resource_fields": "label:str",
        **answers,
    }

    with pytest.raises(ValueError, match=re.escape(message)):
        render(template_source, service_with_invoices, data)

    assert digest(service_with_invoices) == before
    assert git(service_with_invoices, "status", "--porcelain") == ""


def test_outside_a_service_it_is_refused(template_source: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"holds no \.copier-answers\.yml of a service"):
        add_resource(template_source, tmp_path, "widget", "label:str")

    assert list(tmp_path.iterdir()) == []


def test_a_service_outside_git_is_refused_before_any_question(
    template_source: Path, renders: PerCombination[RenderedProject], tmp_path: Path
) -> None:
    project = tmp_path / "service"
    shutil.copytree(renders.get(combinations()[0]).path, project)  # never in git
    before = digest(project)

    with pytest.raises(ValueError, match=r"^Commit the service to git first \(git init"):
        add_resource(template_source, project, "widget", "label:str")

    assert digest(project) == before


def test_uncommitted_changes_are_refused_before_any_question(
    template_source: Path, service_with_invoices: Path
) -> None:
    readme = service_with_invoices / "README.md"
    original = readme.read_text(encoding="utf-8")
    readme.write_text(original + "Not committed yet.\n", encoding="utf-8")
    try:
        before = digest(service_with_invoices)
        with pytest.raises(ValueError, match=r"^Commit or stash your changes first \(README\.md\)"):
            add_resource(template_source, service_with_invoices, "widget", "label:str")
        assert digest(service_with_invoices) == before
    finally:
        readme.write_text(original, encoding="utf-8")


def test_a_service_from_before_the_generator_is_told_to_update(
    template_source: Path, tmp_path: Path
) -> None:
    project = committed_service(template_source, tmp_path / "service", {})
    main = project / "src" / PACKAGE / "main.py"
    old = re.sub(r"ROUTERS = \(\n(    .*\n)*\)", "ROUTERS = (health_router,)", main.read_text())
    main.write_text(old, encoding="utf-8")
    git(project, "commit", "--quiet", "--all", "--message", "An older service")
    before = digest(project)

    with pytest.raises(ValueError, match=r"Update the service first \(copier update\)"):
        add_resource(template_source, project, "widget", "label:str")

    assert digest(project) == before


def test_the_plural_shown_as_the_default() -> None:
    words = ("invoice", "category", "box", "line_item", "key", "batch")
    assert [pluralize(word) for word in words] == [
        "invoices",
        "categories",
        "boxes",
        "line_items",
        "keys",
        "batches",
    ]
