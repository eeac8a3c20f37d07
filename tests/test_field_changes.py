"""A resource's fields change after day one: `copier update --answers-file
.copier-answers.invoice.yml -d resource_fields=...`, run in the service as its
README says, re-renders the resource keeping the team's edits and adds a
reversible migration of the difference, chained onto the service's head; a
change that would lose data is refused before anything is written.

All real: the template a git repository tagged v1.0.0, the service rendered from
it and committed, two resources added and committed (the second's migration is
the head the change chains onto), the team's edits to the invoice's service and
tests committed, rows in a SQLite file and a PostgreSQL database migrated by the
service's own Alembic, then the change. Run for one combination per layout and
ORM pair, two in all: the change's migration is plain Alembic, the same for every
combination; what differs is the model it must agree with (the ORM) and where the
files are (the layout); logging plays no part (the two cover both anyway).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import copier
import pytest
import yaml
from copier.errors import UserMessageError

from extensions import field_changes
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


def data(environments: Environments, project: Path, *arguments: str) -> dict[str, object]:
    result = environments.run(project, ("python", str(DATA_SCRIPT), *arguments))
    assert result.returncode == 0, result.tail
    return json.loads(result.output.splitlines()[-1]) if arguments[0] == "read" else {}


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
        for name, fields in (("invoice", BEFORE), ("payment", "paid_on:date")):
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
        changes = [path for path in project.glob("alembic/versions/*_change_invoices_fields.py")]
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


def test_a_type_whose_constraints_are_not_migrated_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(field_changes, "COLUMN_TYPES", field_changes.COLUMN_TYPES - {"str"})
    conf = recorded_conf(tmp_path, BEFORE)
    assert field_change_problem(AFTER, conf, "note") == (
        "changes of fields of types bool, date, datetime, decimal, float, int, slug, text, "
        "uuid: field 'reference' is a str, whose constraints an update does not migrate"
    )
