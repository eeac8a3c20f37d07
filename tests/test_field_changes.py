"""A resource's fields change after day one: `copier update --answers-file
.copier-answers.invoice.yml -d resource_fields=...`, run in the service as its
README says, re-renders the resource keeping the team's edits and adds a
reversible migration of the difference, chained onto the service's head; a
change that would lose data is refused before anything is written.

All real: the template a git repository tagged v1.0.0, the service rendered from
it and committed, two resources added and committed (the second's migration is
the head the change chains onto; its rows refer to the invoices), the team's
edits to the invoice's service and tests committed, rows in a SQLite file and a
PostgreSQL database migrated by the service's own Alembic, then the change.
Then, in copies of the changed service, the invoice gains a ref and an enum,
changes them, and drops them, each change committed before the next (rows in
databases of their own). Run for one combination per layout and ORM pair, two in
all: the change's migration is plain Alembic, the same for every combination;
what differs is the model it must agree with (the ORM) and where the files are
(the layout); logging plays no part (the two cover both anyway).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from copier.errors import UserMessageError

from extensions.field_change_migration import FieldChange
from extensions.field_changes import field_change_problem
from extensions.field_spec import parse_fields
from extensions.layout import Layout
from extensions.resource import Resource
from tests.conftest import combination_param
from tests.harness import Environments, PerCombination, RenderedProject, render
from tests.matrix import Combination, combinations
from tests.test_service_checks import SQLITE_ONLY_CHECKS, postgres_url_for
from tests.test_update import (
    FIRST,
    commit_all,
    digest,
    git,
    isolated_git,  # noqa: F401 (an autouse fixture: Copier's git sees no user configuration)
    template_repository,
)

PACKAGE = "app"
ANSWERS_FILE = ".copier-answers.invoice.yml"
BEFORE = "number:str! amount:decimal due:date paid:bool note:text?"
# `note` dropped, `reference` added, `due` made optional, `number` no longer unique.
AFTER = "number:str amount:decimal due:date? paid:bool reference:str?"
# Then a link to the owner's projects and a status (with a default): columns with a
# foreign key and an index, a CHECK constraint; then both changed, then dropped.
CONSTRAINED = f"{AFTER} project:ref? status:enum(draft,sent,paid)=draft"
# Then the ref sets null, the enum has one more value and another default.
RECONSTRAINED = f"{AFTER} project:ref(set_null)? status:enum(draft,sent,paid,void)=sent"
CONSTRAINTS = {"ck_invoices_status", "fk_invoices_project_id_projects", "ix_invoices_project_id"}
CHANGE_MIGRATIONS = "alembic/versions/*_change_invoices_fields.py"
# Payments refer to invoices: a change of the invoices' table must keep them.
PAYMENT = "paid_on:date invoice:ref(cascade)"
DATA_SCRIPT = Path(__file__).with_name("field_change_data.py")
TEAM_LINE = "# Invoice numbers come from the billing team's ledger (ours, not the template's).\n"
TEAM_TEST = (
    '\n\ndef test_the_ledger_prefix_is_ours() -> None:\n    assert "INV-1".startswith("INV-")\n'
)

CHANGED = [
    combination
    for combination in combinations()
    if combination.id in ("layered-sqlalchemy-structlog", "feature-sliced-sqlmodel-stdlib")
]


def update_fields(project: Path, **answers: str) -> None:
    """`copier update --trust --defaults --answers-file ... -d ...`, in the service."""
    copier.run_update(
        project,
        answers_file=ANSWERS_FILE,
        data=answers,
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
    )


@dataclass(frozen=True)
class ChangedService:
    project: RenderedProject
    refusal: str  # what the update without resource_drop_fields said
    refused_digests: tuple[str, str]  # the service before and after it
    head_before: str  # the payments' revision, the head when the change was made
    create_migration: tuple[str, str]  # the invoices' create migration, before and after
    migration: Path  # the change's
    sqlite_url: str
    postgres_url: str


def data(environments: Environments, project: Path, *arguments: str) -> dict[str, Any]:
    result = environments.run(project, ("python", str(DATA_SCRIPT), *arguments))
    assert result.returncode == 0, result.tail
    printed = arguments[0] in ("read", "refuse")
    return json.loads(result.output.splitlines()[-1]) if printed else {}


def alembic(environments: Environments, project: Path, url: str, *arguments: str) -> None:
    result = environments.run(project, ("alembic", *arguments), DATABASE_URL=url)
    assert result.returncode == 0, result.tail


def grow_and_change(
    template_source: Path, root: Path, environments: Environments
) -> PerCombination[ChangedService]:
    template = template_repository(template_source, root / "template", [])

    def build(combination: Combination) -> ChangedService:
        project = root / combination.id
        render(template, project, combination.data, FIRST)
        git(project, "init", "--quiet")
        commit_all(project, "Render the service")
        for name, fields in (("invoice", BEFORE), ("payment", PAYMENT)):
            resource = {"generate": "resource", "resource_name": name, "resource_fields": fields}
            render(template, project, resource, FIRST)
            commit_all(project, f"Add the {name} resource")
        service_file, schemas_file, test_file = team_files(project, combination)
        for module in (service_file, schemas_file):
            edit(module, "from __future__ import annotations\n", TEAM_LINE)
        test_file.write_text(test_file.read_text(encoding="utf-8") + TEAM_TEST, encoding="utf-8")
        # The team's data, migrated by the service's own Alembic; its lock committed.
        sqlite_url = f"sqlite+aiosqlite:///{root / (combination.id + '.db')}"
        rendered = RenderedProject(combination, project, ())
        postgres_url = postgres_url_for(rendered, "tpl_fields_")
        server, name = postgres_url.rsplit("/", 1)
        data(environments, project, "create", f"{server}/postgres", name)
        for url in (sqlite_url, postgres_url):
            alembic(environments, project, url, "upgrade", "head")
            data(environments, project, "insert", url)
        commit_all(project, "Our own edits, and the lock")
        head_before = migration_of(project, "payments").name.split("_")[3]
        create = migration_of(project, "invoices")
        create_before = create.read_text(encoding="utf-8")

        before = digest(project)
        with pytest.raises(UserMessageError) as refusal:
            update_fields(project, resource_fields=AFTER)
        refused = (before, digest(project))

        update_fields(project, resource_fields=AFTER, resource_drop_fields="note")
        changes = list(project.glob(CHANGE_MIGRATIONS))
        assert len(changes) == 1, changes
        return ChangedService(
            project=rendered,
            refusal=str(refusal.value),
            refused_digests=refused,
            head_before=head_before,
            create_migration=(create_before, create.read_text(encoding="utf-8")),
            migration=changes[0],
            sqlite_url=sqlite_url,
            postgres_url=postgres_url,
        )

    return PerCombination(build, "growing a service and changing its invoice's fields")


def team_files(project: Path, combination: Combination) -> tuple[Path, Path, Path]:
    """The invoice's service, schemas (which the change re-renders) and service
    test, which the team edits."""
    layout = Layout(combination.data["layout"], PACKAGE, "invoices", "invoice")
    package = Path("src", PACKAGE, layout.feature_dir("invoices"))
    return (
        project / package / layout.feature_file("invoices", "service"),
        project / package / layout.feature_file("invoices", "schemas"),
        project / "tests" / layout.test_dir("invoices") / layout.test_file("invoices", "service"),
    )


def edit(path: Path, before: str, line: str) -> None:
    """Put `line` above `before` (where ruff's isort keeps a comment)."""
    text = path.read_text(encoding="utf-8")
    assert before in text, path
    path.write_text(text.replace(before, line + before, 1), encoding="utf-8")


def migration_of(project: Path, plural: str) -> Path:
    (path,) = project.glob(f"alembic/versions/*_create_{plural}.py")
    return path


@pytest.fixture(scope="session")
def changed_services(
    template_source: Path, tmp_path_factory: pytest.TempPathFactory, environments: Environments
) -> PerCombination[ChangedService]:
    return grow_and_change(template_source, tmp_path_factory.mktemp("fields"), environments)


@pytest.fixture(params=[combination_param(c) for c in CHANGED])
def changed(
    request: pytest.FixtureRequest, changed_services: PerCombination[ChangedService]
) -> ChangedService:
    return changed_services.get(request.param)


def test_dropping_a_field_unnamed_is_refused_and_nothing_written(changed: ChangedService) -> None:
    assert changed.refusal == (
        "resource_fields: fields dropped only when named: dropping 'note' deletes its "
        "values from every row; to drop it, give -d resource_drop_fields=note as well"
    )
    before, after = changed.refused_digests
    assert after == before


def test_the_create_migration_is_untouched_and_the_change_chains_onto_the_head(
    changed: ChangedService,
) -> None:
    before, after = changed.create_migration
    assert after == before
    source = changed.migration.read_text(encoding="utf-8")
    assert f'down_revision: str | Sequence[str] | None = "{changed.head_before}"\n' in source
    answers = (changed.project.path / ANSWERS_FILE).read_text(encoding="utf-8")
    assert f"resource_fields: {AFTER}\n" in answers
    assert f"previous: {BEFORE}\n" in answers


def test_the_team_edits_survive(changed: ChangedService) -> None:
    project = changed.project.path
    service, schemas, test = team_files(project, changed.project.combination)
    assert TEAM_LINE in service.read_text(encoding="utf-8")
    assert test.read_text(encoding="utf-8").endswith(TEAM_TEST)
    # Merged into a file the change re-rendered.
    assert TEAM_LINE in schemas.read_text(encoding="utf-8")
    assert "reference: str | None" in schemas.read_text(encoding="utf-8")
    assert "note:" not in schemas.read_text(encoding="utf-8")
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""
    assert not list(project.rglob("*.rej"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_data_is_kept_and_the_change_goes_back(
    changed: ChangedService, environments: Environments, database: str
) -> None:
    project = changed.project.path
    url = changed.sqlite_url if database == "sqlite" else changed.postgres_url
    before = data(environments, project, "read", url)

    alembic(environments, project, url, "upgrade", "head")
    after = data(environments, project, "read", url)
    alembic(environments, project, url, "downgrade", "-1")
    back = data(environments, project, "read", url)
    alembic(environments, project, url, "upgrade", "head")

    kept = ("id", "number", "amount", "due", "paid")
    assert [[row[k] for k in kept] for row in after["rows"]] == [
        [row[k] for k in kept] for row in before["rows"]
    ]
    assert [Decimal(row["amount"]) for row in after["rows"]] == [
        Decimal("1234.50"),
        Decimal("-0.75"),
    ]
    assert [row["note"] for row in before["rows"]] == ["note 1", "note 2"]
    # On SQLite the table was copied and the old one dropped: no payment went with it.
    assert before["payments"] == after["payments"] == back["payments"] == [str(uuid.UUID(int=1))]
    assert "note" not in after["nullable"]
    assert [row["reference"] for row in after["rows"]] == [None, None]
    assert (before["nullable"]["due"], after["nullable"]["due"]) == (False, True)
    # Back: the previous shape (the dropped values are gone, as the answer allowed).
    assert back["nullable"] == before["nullable"]
    assert [[row[k] for k in kept] for row in back["rows"]] == [
        [row[k] for k in kept] for row in before["rows"]
    ]


@pytest.mark.parametrize("check", SQLITE_ONLY_CHECKS)
def test_the_changed_service_passes(
    changed: ChangedService, environments: Environments, check: str
) -> None:
    result = environments.run(changed.project.path, SQLITE_ONLY_CHECKS[check])
    assert result.returncode == 0, f"{check}: `{result.shown}`\n{result.tail}"


def test_its_migrations_run_and_match_the_models_on_postgresql(
    changed: ChangedService, environments: Environments
) -> None:
    url = postgres_url_for(changed.project, "tpl_fields_suite_")
    result = environments.run(
        changed.project.path, ("pytest", "tests/test_migrations.py"), TEST_DATABASE_URL=url
    )
    assert result.returncode == 0, result.tail


# ---------------------------- a ref and an enum added, changed, then dropped


# Copier's inline conflict: the team's lines, then the release's.
CONFLICT = re.compile(r"<<<<<<< before updating\n(.*?)=======\n(.*?)>>>>>>> after updating\n", re.S)


def resolve_conflicts(project: Path) -> list[str]:
    """The files an update left a conflict in, resolved as the team would: the
    release's side, and our own test kept (both append to the service's tests)."""
    ours = TEAM_TEST.strip()

    def resolved(conflict: re.Match[str]) -> str:
        kept = [conflict[2].strip("\n")] if conflict[2].strip() else []
        kept += [ours] if ours in conflict[1] else []
        # Two blank lines before what is kept, whatever the sides held of them.
        return "\0" + "\n\n\n".join(kept) + "\n" if kept else "\0"

    found = []
    for path in sorted(project.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if CONFLICT.search(text):
            text = CONFLICT.sub(resolved, text)
            text = re.sub(r"\n*\0(?=.)", "\n\n\n", text, flags=re.S)
            path.write_text(re.sub(r"\n*\0$", "\n", text), encoding="utf-8")
            found.append(path.relative_to(project).as_posix())
    return found


@dataclass(frozen=True)
class ConstrainedService:
    # The changed service, copied at each of three changes of its invoice: CONSTRAINED
    # (`added`), then RECONSTRAINED (`changed`), then AFTER again (`dropped`).
    services: dict[str, RenderedProject]
    conflicts: dict[str, list[str]]  # the files each change's update left a conflict in
    refusal: str  # what the drop without resource_drop_fields said
    revisions: dict[str, str]  # each change's migration
    sqlite_url: str
    postgres_url: str


def add_change_and_drop_constraints(
    changed: ChangedService, root: Path, environments: Environments
) -> ConstrainedService:
    """Copies of the changed service, each with one more change of its invoice;
    rows in new databases, migrated up to the first change and filled then."""
    combination = changed.project.combination
    sqlite_url = f"sqlite+aiosqlite:///{root / (combination.id + '-constrained.db')}"
    postgres_url = postgres_url_for(changed.project, "tpl_constrained_")
    server, name = postgres_url.rsplit("/", 1)
    previous = changed.project.path
    services, conflicts, revisions, refusal = {}, {}, {}, ""
    for stage, fields, drop in (
        ("added", CONSTRAINED, ""),
        ("changed", RECONSTRAINED, ""),
        ("dropped", AFTER, "project_id,status"),
    ):
        project = root / f"{combination.id}-{stage}"
        shutil.copytree(previous, project, symlinks=True)
        if stage == "added":
            commit_all(project, "Change the invoice's fields")
            data(environments, project, "create", f"{server}/postgres", name)
            for url in (sqlite_url, postgres_url):
                alembic(environments, project, url, "upgrade", "head")
                data(environments, project, "insert", url)
        if drop:
            with pytest.raises(UserMessageError) as refused:
                update_fields(project, resource_fields=fields)
            refusal = str(refused.value)
        before = {path.name for path in project.glob(CHANGE_MIGRATIONS)}
        update_fields(
            project, resource_fields=fields, **({"resource_drop_fields": drop} if drop else {})
        )
        (migration,) = {path.name for path in project.glob(CHANGE_MIGRATIONS)} - before
        revisions[stage] = migration.split("_")[3]
        conflicts[stage] = resolve_conflicts(project)
        commit_all(project, f"Invoices: {fields}")
        services[stage] = RenderedProject(combination, project, ())
        previous = project
    return ConstrainedService(
        services=services,
        conflicts=conflicts,
        refusal=refusal,
        revisions=revisions,
        sqlite_url=sqlite_url,
        postgres_url=postgres_url,
    )


@pytest.fixture(scope="session")
def constrained_services(
    changed_services: PerCombination[ChangedService],
    tmp_path_factory: pytest.TempPathFactory,
    environments: Environments,
) -> PerCombination[ConstrainedService]:
    root = tmp_path_factory.mktemp("constraints")
    return PerCombination(
        lambda c: add_change_and_drop_constraints(changed_services.get(c), root, environments),
        "adding, changing and dropping a ref and an enum",
    )


@pytest.fixture(params=[combination_param(c) for c in CHANGED])
def constrained(
    request: pytest.FixtureRequest, constrained_services: PerCombination[ConstrainedService]
) -> ConstrainedService:
    return constrained_services.get(request.param)


def test_dropping_a_ref_and_an_enum_unnamed_is_refused(constrained: ConstrainedService) -> None:
    assert constrained.refusal == (
        "resource_fields: fields dropped only when named: dropping 'project_id', 'status' "
        "deletes its values from every row; to drop it, give "
        "-d resource_drop_fields=project_id,status as well"
    )


def test_the_team_resolves_its_test_s_conflict_and_its_edits_survive(
    constrained: ConstrainedService,
) -> None:
    for project in constrained.services.values():
        service, _, test = team_files(project.path, project.combination)
        assert TEAM_LINE in service.read_text(encoding="utf-8")
        assert TEAM_TEST.strip() in test.read_text(encoding="utf-8")
    # The team's test beside the ref's tests, which the template appends and removes.
    added = constrained.services["added"]
    _, _, test = team_files(added.path, added.combination)
    ours = test.relative_to(added.path).as_posix()
    assert constrained.conflicts == {"added": [ours], "changed": [], "dropped": [ours]}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_ref_and_an_enum_are_added_enforced_changed_dropped_and_restored(
    constrained: ConstrainedService, environments: Environments, database: str
) -> None:
    project = constrained.services["dropped"].path  # it holds every change's migration
    url = constrained.sqlite_url if database == "sqlite" else constrained.postgres_url

    def step(*arguments: str) -> dict[str, Any]:
        if arguments:
            alembic(environments, project, url, *arguments)
        return data(environments, project, "read", url)

    def refused() -> dict[str, bool]:
        return data(environments, project, "refuse", url)

    before = step()
    added = step("upgrade", constrained.revisions["added"])
    refused_added = refused()
    changed = step("upgrade", constrained.revisions["changed"])
    refused_changed = refused()
    # A row holds the value the change added: its downgrade stops, changing nothing.
    data(environments, project, "hold", url, "void")
    stopped = environments.run(project, ("alembic", "downgrade", "-1"), DATABASE_URL=url)
    data(environments, project, "hold", url, "paid")
    dropped = step("upgrade", "head")
    restored = step("downgrade", "-1")
    refused_restored = refused()
    step("downgrade", "-1")
    refused_again = refused()
    back = step("downgrade", "-1")
    step("upgrade", "head")

    def kept(state: dict[str, Any]) -> list[list[object]]:
        return [
            [row[k] for k in ("id", "number", "amount", "due", "paid")] for row in state["rows"]
        ]

    assert kept(added) == kept(changed) == kept(dropped) == kept(back) == kept(before)
    assert kept(restored) == kept(before)
    states = (before, added, changed, dropped, restored, back)
    assert [state["payments"] for state in states] == [[str(uuid.UUID(int=1))]] * 6
    # Each row got the enum's default, and no project; the constraints are in place.
    assert [(row["project_id"], row["status"]) for row in added["rows"]] == [(None, "draft")] * 2
    assert [row["status"] for row in changed["rows"]] == ["draft", "draft"]
    for state in (added, changed, restored):
        assert {"project_id": True, "status": False}.items() <= state["nullable"].items()
        assert set(state["constraints"]) >= CONSTRAINTS
    assert (added["status_default"], changed["status_default"]) == ("draft", "sent")
    # Restrict, then set null; `void` refused, then one of the values.
    assert (
        refused_added
        == refused_again
        == {"delete_a_referenced_project": True, "set_status_void": True}
    )
    assert (
        refused_changed
        == refused_restored
        == {"delete_a_referenced_project": False, "set_status_void": False}
    )
    assert stopped.returncode != 0
    assert (
        "invoices.status cannot lose a value: 1 rows hold one that is not among "
        "draft, sent, paid. Give them one of those, then change the values."
    ) in stopped.output
    for state in (dropped, back):
        assert state["nullable"] == before["nullable"]
        assert state["constraints"] == before["constraints"]
    assert not CONSTRAINTS & set(before["constraints"])


CONSTRAINED_CHECKS = [
    *(("added", check) for check in SQLITE_ONLY_CHECKS),
    # The others' suites are much the same (see the migrations' test below).
    *(
        (stage, check)
        for stage in ("changed", "dropped")
        for check in ("ruff-check", "ruff-format", "mypy", "lint-imports")
    ),
]


@pytest.mark.parametrize(("stage", "check"), CONSTRAINED_CHECKS)
def test_the_services_at_each_change_pass(
    constrained: ConstrainedService, environments: Environments, stage: str, check: str
) -> None:
    result = environments.run(constrained.services[stage].path, SQLITE_ONLY_CHECKS[check])
    assert result.returncode == 0, f"{check}: `{result.shown}`\n{result.tail}"


@pytest.mark.parametrize("stage", ["added", "changed", "dropped"])
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_their_migrations_run_and_match_the_models(
    constrained: ConstrainedService, environments: Environments, stage: str, database: str
) -> None:
    project = constrained.services[stage]
    # A short prefix: the suite's own names follow, within PostgreSQL's 63 characters.
    prefix = f"tpl_f{stage[0]}_"
    variables = (
        {"TEST_DATABASE_URL": postgres_url_for(project, prefix)} if database != "sqlite" else {}
    )
    result = environments.run(project.path, ("pytest", "tests/test_migrations.py"), **variables)
    assert result.returncode == 0, result.tail


# ------------------------------------------------------------ no service needed


def recorded_conf(project: Path, fields: str) -> dict[str, str]:
    """Copier's `_copier_conf` of the render into a service whose invoice has `fields`."""
    (project / ANSWERS_FILE).write_text(yaml.safe_dump({"resource_fields": fields}), "utf-8")
    return {"dst_path": str(project), "answers_file": ANSWERS_FILE}


@pytest.mark.parametrize(
    ("fields", "drop", "message"),
    [
        pytest.param(
            BEFORE.replace("number:str!", "number:int!"),
            "",
            "the type each kept field has: 'number' is str, not int (an update changes "
            "no column's type; add a field of the new type, copy the values in a "
            "migration of your own, then drop 'number')",
            id="type",
        ),
        pytest.param(
            AFTER,
            "note,paid",
            "resource_drop_fields names the fields this change drops: 'paid' is not dropped by it",
            id="drop-a-kept-field",
        ),
        pytest.param(
            BEFORE,
            "note",
            "resource_drop_fields only with a change of resource_fields that drops those "
            "fields: this one drops none (note)",
            id="drop-without-a-change",
        ),
        pytest.param(AFTER, "note", "", id="allowed"),
    ],
)
def test_what_a_change_may_do(tmp_path: Path, fields: str, drop: str, message: str) -> None:
    assert field_change_problem(fields, recorded_conf(tmp_path, BEFORE), drop) == message


def test_a_field_made_required_is_checked_before_anything_changes() -> None:
    before = Resource("invoice", "invoices", parse_fields("number:str note:text? memo:text?"))
    after = Resource("invoice", "invoices", parse_fields("number:str! note:text code:int"))
    change = FieldChange(before, after)

    assert change.statements().splitlines() == [
        '    require_values("invoices", "note")',
        '    require_values("invoices", "code", added=True)',
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.drop_column("memo")',
        '        batch_op.add_column(sa.Column("code", sa.Integer()))',
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.alter_column("note", existing_type=sa.String(length=2000), '
        "nullable=False)",
        '        batch_op.alter_column("code", existing_type=sa.Integer(), nullable=False)',
        '        batch_op.create_index("uq_invoices_owner_id_number", ["owner_id", "number"], '
        'unique=True, sqlite_where=sa.text("deleted_at IS NULL"), '
        'postgresql_where=sa.text("deleted_at IS NULL"))',
    ]
    # downgrade(): the same change reversed, the previous shape restored.
    assert change.reverse.statements().splitlines() == [
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.drop_index("uq_invoices_owner_id_number")',
        '        batch_op.drop_column("code")',
        '        batch_op.add_column(sa.Column("memo", sa.String(length=2000)))',
        '        batch_op.alter_column("note", existing_type=sa.String(length=2000), '
        "nullable=True)",
    ]


def invoices(spec: str) -> Resource:
    return Resource("invoice", "invoices", parse_fields(spec))


def test_a_ref_and_an_enum_come_and_go_with_their_constraints() -> None:
    change = FieldChange(
        invoices("number:str"),
        invoices("number:str project:ref status:enum(draft,sent)=draft"),
    )

    # Named as the create migration names them; a required ref waits for no rows,
    # as any field added required does; the enum's default fills every row.
    assert change.statements().splitlines() == [
        '    require_values("invoices", "project_id", added=True)',
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.add_column(sa.Column("project_id", sa.Uuid()))',
        '        batch_op.add_column(sa.Column("status", sa.String(length=50), nullable=False, '
        "server_default='draft'))",
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.alter_column("project_id", existing_type=sa.Uuid(), nullable=False)',
        '        batch_op.create_foreign_key(batch_op.f("fk_invoices_project_id_projects"), '
        '"projects", ["project_id"], ["id"])',
        '        batch_op.create_check_constraint(batch_op.f("ck_invoices_status"), '
        "\"status IN ('draft', 'sent')\")",
        '        batch_op.create_index(batch_op.f("ix_invoices_project_id"), ["project_id"])',
    ]
    assert change.reverse.statements().splitlines() == [
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.drop_index(batch_op.f("ix_invoices_project_id"))',
        '        batch_op.drop_constraint(batch_op.f("fk_invoices_project_id_projects"), '
        'type_="foreignkey")',
        '        batch_op.drop_constraint(batch_op.f("ck_invoices_status"), type_="check")',
        '        batch_op.drop_column("project_id")',
        '        batch_op.drop_column("status")',
    ]


def test_an_enum_s_values_and_a_ref_s_on_delete_replace_their_constraints() -> None:
    change = FieldChange(
        invoices("project:ref status:enum(draft,sent)"),
        invoices("project:ref(cascade) status:enum(draft,sent,paid)=draft"),
    )

    assert change.statements().splitlines() == [
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.drop_constraint(batch_op.f("fk_invoices_project_id_projects"), '
        'type_="foreignkey")',
        '        batch_op.drop_constraint(batch_op.f("ck_invoices_status"), type_="check")',
        '        batch_op.alter_column("status", existing_type=sa.String(length=50), '
        "existing_nullable=False, server_default='draft')",
        '    with op.batch_alter_table("invoices") as batch_op:',
        '        batch_op.create_foreign_key(batch_op.f("fk_invoices_project_id_projects"), '
        '"projects", ["project_id"], ["id"], ondelete="CASCADE")',
        '        batch_op.create_check_constraint(batch_op.f("ck_invoices_status"), '
        "\"status IN ('draft', 'sent', 'paid')\")",
    ]
    # Back, `paid` is no value: rows holding it stop the downgrade before it starts.
    assert change.reverse.statements().splitlines()[0] == (
        "    require_choices(\"invoices\", \"status\", ('draft', 'sent'))"
    )
