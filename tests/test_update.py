"""`copier update` brings a template release into a service without losing a line
of its team's work, and refuses, before writing anything, what it cannot do safely.

Everything is real. The template is a git repository in a temporary directory,
its releases tagged: v1.0.0 is the working tree, v1.1.0 the working tree with a
next release's changes. A service is rendered from v1.0.0 with Copier and
committed, its team's work is committed on top, and then it is updated.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml
from copier.errors import UserMessageError

from extensions.answers import given_answer_problem
from extensions.layout import Layout
from extensions.service import alembic_heads
from extensions.update import fixed_answer_problem
from migrations.merge_alembic_heads import merge_heads
from migrations.rename_answers import rename_answers
from tests.conftest import environment_group
from tests.harness import RESOURCES, Environments, PerCombination, render
from tests.matrix import Combination, combinations
from tests.test_service_checks import SQLITE_ONLY_CHECKS

pytestmark = pytest.mark.update

FIRST, NEXT = "v1.0.0", "v1.1.0"
PACKAGE = "app"  # the default package_name, which every service here keeps
ANSWERS_FILE = ".copier-answers.yml"
Snapshot = dict[str, list[str]]  # path relative to the project -> its lines


# ----------------------------------------------------------------------------- git


# No user or system git configuration (hooks, signing, default branch, ...).
GIT_ISOLATION = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
GIT_IDENTITY = {
    f"GIT_{role}_{field}": value
    for role in ("AUTHOR", "COMMITTER")
    for field, value in (("NAME", "Service Team"), ("EMAIL", "team@example.com"))
}


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The git that Copier runs sees none of this machine's configuration either."""
    for name, value in GIT_ISOLATION.items():
        monkeypatch.setenv(name, value)


def git(repository: Path, *arguments: str) -> str:
    completed = subprocess.run(
        ["git", *arguments],
        cwd=repository,
        env={**os.environ, **GIT_ISOLATION, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"git {' '.join(arguments)} failed in {repository}:\n{completed.stderr}")
    return completed.stdout


def commit_all(repository: Path, message: str) -> None:
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--message", message)


# ------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """Replace `old`, which must occur exactly once in the file, with `new`.

    An empty `old` creates the file, which must not exist yet.
    """

    path: str
    old: str
    new: str

    def apply(self, root: Path) -> None:
        file = root / self.path
        if not self.old:
            assert not file.exists(), f"{self.path} exists already"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(self.new, encoding="utf-8")
            return
        text = file.read_text(encoding="utf-8")
        if text.count(self.old) != 1:
            # The template moved on under this test: its edits need updating.
            pytest.fail(f"{self.path}: expected exactly one {self.old!r}", pytrace=False)
        file.write_text(text.replace(self.old, self.new), encoding="utf-8")


@dataclass(frozen=True)
class Move:
    """Move a file of the template (with git, as a maintainer would)."""

    path: str
    to: str

    def apply(self, root: Path) -> None:
        (root / self.to).parent.mkdir(parents=True, exist_ok=True)
        git(root, "mv", self.path, self.to)


def apply_all(root: Path, edits: Sequence[Edit | Move]) -> None:
    for edit in edits:
        edit.apply(root)


SOURCE = "template/src/{{package_name}}"
RESOURCE_ROUTER = (
    f"{SOURCE}/{{{{ feature_dir(resource.feature) }}}}/"
    "{{ feature_file(resource.feature, 'router') }}.jinja"
)
PAGE_COMMENT = (
    "    # One validation of the whole page, each {{ R.title }} read from its attributes.\n"
)
NEXT_PAGE_COMMENT = "    # No dict is built per row: the response reads the rows' attributes.\n"
CORS_SETTING = '    cors_origins: list[str] = ["http://localhost:3000"]\n'
TOKEN_SETTING = "    access_token_expire_minutes: int = Field(default=30, ge=1)\n"
TIGHTER_TOKEN_SETTING = "    access_token_expire_minutes: int = Field(default=30, ge=1, le=1440)\n"

# A realistic next release: a middleware option with its setting and test, a
# tightened setting, a dependency bump, and files no service team edits.
NEXT_RELEASE = (
    Edit(
        f"{SOURCE}/core/config.py.jinja",
        CORS_SETTING,
        CORS_SETTING + "    # Paths the request middleware leaves alone (no request id, timing or\n"
        "    # access-log line), such as a health check polled every few seconds.\n"
        "    skip_paths: tuple[str, ...] = ()\n",
    ),
    Edit(f"{SOURCE}/core/config.py.jinja", TOKEN_SETTING, TIGHTER_TOKEN_SETTING),
    Edit(
        f"{SOURCE}/core/middleware.py",
        "        access_log: bool = True,\n    ) -> None:\n        self.app = app\n",
        "        access_log: bool = True,\n"
        "        skip_paths: tuple[str, ...] = (),\n"
        "    ) -> None:\n"
        "        self.app = app\n"
        "        self.skip_paths = frozenset(skip_paths)\n",
    ),
    Edit(
        f"{SOURCE}/core/middleware.py",
        '        if scope["type"] != "http":\n',
        '        if scope["type"] != "http" or scope["path"] in self.skip_paths:\n',
    ),
    Edit(
        f"{SOURCE}/main.py.jinja",
        "        access_log=settings.access_log,\n    )\n",
        "        access_log=settings.access_log,\n        skip_paths=settings.skip_paths,\n    )\n",
    ),
    Edit(
        "template/tests/test_skip_paths.py.jinja",
        "",
        '"""SKIP_PATHS: requests the middleware leaves alone, such as health checks."""\n'
        "\n"
        "from __future__ import annotations\n"
        "\n"
        "from httpx import ASGITransport, AsyncClient\n"
        "from starlette.responses import PlainTextResponse\n"
        "\n"
        "from {{ package_name }}.core.middleware import RequestContextMiddleware\n"
        "\n"
        "\n"
        "async def test_a_skipped_path_gets_no_request_id() -> None:\n"
        "    app = RequestContextMiddleware(\n"
        '        PlainTextResponse("ok"), max_body_bytes=1024, skip_paths=("/ping",)\n'
        "    )\n"
        "    transport = ASGITransport(app=app)\n"
        '    async with AsyncClient(transport=transport, base_url="http://test") as client:\n'
        '        skipped = await client.get("/ping")\n'
        '        traced = await client.get("/other")\n'
        '    assert "X-Request-ID" not in skipped.headers\n'
        '    assert "X-Request-ID" in traced.headers\n',
    ),
    Edit(
        "template/.env.example.jinja",
        'CORS_ORIGINS=["http://localhost:3000"]\n',
        'CORS_ORIGINS=["http://localhost:3000"]\n'
        "\n"
        '# JSON list of paths with no request id or access-log line, e.g. ["/api/health"]\n'
        "SKIP_PATHS=[]\n",
    ),
    Edit(
        "template/pyproject.toml.jinja", '"python-multipart>=0.0.20"', '"python-multipart>=0.0.34"'
    ),
    Edit("template/.dockerignore", ".pytest_cache\n", ".pytest_cache\n.hypothesis\n"),
    # In the sources of every resource, the built-in projects and those added later.
    Edit(RESOURCE_ROUTER, PAGE_COMMENT, PAGE_COMMENT + NEXT_PAGE_COMMENT),
    Edit(
        "template/README.md.jinja",
        "| `MAX_REQUEST_BODY_BYTES` | integer ≥ 1 | `1048576` | any |\n",
        "| `MAX_REQUEST_BODY_BYTES` | integer ≥ 1 | `1048576` | any |\n"
        "| `SKIP_PATHS` | JSON list of strings | `[]` | any |\n",
    ),
    Edit(
        "template/README.md.jinja",
        "the fast ones before each commit.\n",
        "the fast ones before each commit, and `pre-commit run --all-files` runs them now.\n",
    ),
)


def team_work(layout: str) -> tuple[Edit, ...]:
    """A service team's own work: an endpoint with its test, wired into the app,
    a setting with their own default, and their words in the README."""
    places = Layout(kind=layout, package=PACKAGE)
    users_router = places.module("users", "router")
    package_init: tuple[Edit, ...] = ()
    if places.layered:
        status_module = "routers/status.py"
    else:
        status_module = "features/status/router.py"
        package_init = (Edit(f"src/{PACKAGE}/features/status/__init__.py", "", ""),)
    status_import = f"{PACKAGE}.{status_module.removesuffix('.py').replace('/', '.')}"
    return (
        *package_init,
        Edit(
            f"src/{PACKAGE}/{status_module}",
            "",
            '"""Service status for the operations dashboard (ours, not the template\'s)."""\n'
            "\n"
            "from __future__ import annotations\n"
            "\n"
            "from fastapi import APIRouter\n"
            "\n"
            'router = APIRouter(prefix="/api/v1/status", tags=["status"])\n'
            "\n"
            "\n"
            '@router.get("")\n'
            "async def read_status() -> dict[str, str]:\n"
            '    return {"status": "operational"}\n',
        ),
        # Where ruff's isort puts it: status sorts between projects and users.
        Edit(
            f"src/{PACKAGE}/main.py",
            f"from {users_router} import router as users_router\n",
            f"from {status_import} import router as status_router\n"
            f"from {users_router} import router as users_router\n",
        ),
        Edit(
            f"src/{PACKAGE}/main.py",
            "    projects_router,\n)\n",
            "    projects_router,\n    status_router,\n)\n",
        ),
        Edit(
            "tests/test_status.py",
            "",
            '"""The status endpoint of the operations dashboard."""\n'
            "\n"
            "from __future__ import annotations\n"
            "\n"
            "from httpx import AsyncClient\n"
            "\n"
            "\n"
            "async def test_status_is_operational(client: AsyncClient) -> None:\n"
            '    response = await client.get("/api/v1/status")\n'
            "    assert response.status_code == 200\n"
            '    assert response.json() == {"status": "operational"}\n',
        ),
        Edit(
            f"src/{PACKAGE}/core/config.py",
            "    db_pool_size: int = Field(default=10, ge=1)\n",
            "    db_pool_size: int = Field(default=20, ge=1)\n",
        ),
        # The settings table follows the default: the service's own test checks it.
        Edit(
            "README.md",
            "| `DB_POOL_SIZE` | integer ≥ 1 | `10` |",
            "| `DB_POOL_SIZE` | integer ≥ 1 | `20` |",
        ),
        Edit(
            "README.md",
            '(liveness) and `GET /api/health` (readiness); see "Deploy" below.\n',
            '(liveness) and `GET /api/health` (readiness); see "Deploy" below. The\n'
            "operations dashboard polls `GET /api/v1/status` every 30 seconds.\n",
        ),
    )


# The team changes the line the next release changes too: a conflict.
CONFLICTING_WORK = Edit(
    f"src/{PACKAGE}/core/config.py",
    TOKEN_SETTING,
    "    access_token_expire_minutes: int = Field(default=15, ge=1)\n",
)


# -------------------------------------------------------------------- template


def template_repository(
    source: Path, destination: Path, releases: Sequence[tuple[str, Sequence[Edit | Move]]]
) -> Path:
    """A git repository of the template: `source` tagged FIRST, then each release's
    edits committed and tagged. Returns its path, which Copier takes as its source."""
    shutil.copytree(source, destination)
    git(destination, "init", "--quiet")
    commit_all(destination, "The template as it is")
    git(destination, "tag", FIRST)
    for tag, edits in releases:
        apply_all(destination, edits)
        commit_all(destination, f"Release {tag}")
        git(destination, "tag", tag)
    return destination


@pytest.fixture(scope="session")
def template_repo(template_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("update-template") / "template"
    return template_repository(template_source, destination, [(NEXT, NEXT_RELEASE)])


# --------------------------------------------------------------------- projects


def update(project: Path, tag: str = NEXT, answers: dict[str, str] | None = None) -> None:
    """`copier update --defaults --trust [--vcs-ref tag] [-d answer ...]`."""
    copier.run_update(
        project,
        data=answers or {},
        vcs_ref=tag,
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
    )


def update_resource(project: Path, name: str) -> None:
    """`copier update --answers-file .copier-answers.<name>.yml`, to NEXT."""
    copier.run_update(
        project,
        answers_file=f".copier-answers.{name}.yml",
        vcs_ref=NEXT,
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
    )


def committed_service(template: Path, project: Path, answers: dict[str, str]) -> Path:
    render(template, project, answers, FIRST)
    git(project, "init", "--quiet")
    commit_all(project, "Render the service from the template")
    return project


def project_files(project: Path) -> list[Path]:
    return sorted(
        path
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )


def snapshot(project: Path) -> Snapshot:
    """Every file but the answers file (whose `_commit` differs by design)."""
    return {
        str(path.relative_to(project)): path.read_text(encoding="utf-8").splitlines()
        for path in project_files(project)
        if path.name != ANSWERS_FILE
    }


def digest(project: Path) -> str:
    """A hash of every file of the work tree, and of its commit if it has one."""
    hasher = hashlib.sha256()
    if (project / ".git").exists():
        hasher.update(git(project, "rev-parse", "HEAD").encode())
    for path in project_files(project):
        hasher.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def answers_of(project: Path) -> dict[str, object]:
    answers: dict[str, object] = yaml.safe_load(
        (project / ANSWERS_FILE).read_text(encoding="utf-8")
    )
    return answers


# ------------------------------------------------------------------ merge checks


def is_conflict_marker(line: str) -> bool:
    return line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="


def changes(before: list[str], after: list[str]) -> tuple[list[str], list[str]]:
    """The lines added, and the lines removed, from `before` to `after`."""
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed.extend(before[i1:i2])
            added.extend(after[j1:j2])
    return added, removed


def missing_in_order(lines: list[str], result: list[str]) -> list[str]:
    """The `lines` that `result` does not contain in this order."""
    missing, position = [], 0
    for line in lines:
        try:
            position = result.index(line, position) + 1
        except ValueError:
            missing.append(line)
    return missing


def merge_problems(base: Snapshot, ours: Snapshot, theirs: Snapshot, result: Snapshot) -> list[str]:
    """How `result` fails to be the merge of the team's `ours` and the template's
    `theirs`, both made from `base`: a file only one side changed is exactly that
    side's; in a file both changed, every line either side wrote is there, in its
    order, and every line either side removed is gone."""
    problems = []
    for path in sorted(result.keys() | ours.keys() | theirs.keys()):
        original, merged = base.get(path), result.get(path)
        team, template = ours.get(path), theirs.get(path)
        if team == original or template == original:
            expected = template if team == original else team
            if merged != expected:
                diff = difflib.unified_diff(expected or [], merged or [], lineterm="", n=1)
                problems.append(f"{path}: not the version expected:\n" + "\n".join(diff))
        elif team is None or template is None or merged is None:
            problems.append(f"{path}: deleted by one side, changed by the other, or lost")
        else:
            problems += line_problems(path, original or [], team, template, merged)
    return problems


def line_problems(
    path: str, original: list[str], team: list[str], template: list[str], merged: list[str]
) -> list[str]:
    problems = []
    for name, side, other in (("the team", team, template), ("the template", template, team)):
        added, removed = changes(original, side)
        missing = missing_in_order(added, merged)
        if missing:
            problems.append(f"{path}: lines {name} wrote are missing: {missing}")
        other_added, _ = changes(original, other)
        back = [line for line in removed if line not in side + other_added and line in merged]
        if back:
            problems.append(f"{path}: lines {name} removed are back: {back}")
    return problems


def conflicted_files(result: Snapshot) -> list[str]:
    return sorted(path for path, lines in result.items() if any(map(is_conflict_marker, lines)))


# ---------------------------------------------------------- updated services


@dataclass(frozen=True)
class UpdatedService:
    path: Path
    base: Snapshot  # as rendered from FIRST
    ours: Snapshot  # with the team's work
    theirs: Snapshot  # NEXT rendered afresh with the same answers
    result: Snapshot  # after `copier update`


def updated_service(
    template: Path,
    root: Path,
    answers: dict[str, str],
    team_edits: Sequence[Edit],
    new_answers: dict[str, str] | None = None,
) -> UpdatedService:
    """A service rendered from FIRST, committed, worked on by its team, committed,
    then updated to NEXT (with `new_answers` given as -d, if any)."""
    project = committed_service(template, root / "service", answers)
    base = snapshot(project)
    apply_all(project, team_edits)
    commit_all(project, "Our own work")
    ours = snapshot(project)
    fresh = root / "fresh"
    render(template, fresh, {**answers, **(new_answers or {})}, NEXT)
    update(project, answers=new_answers)
    return UpdatedService(project, base, ours, snapshot(fresh), snapshot(project))


@pytest.fixture(scope="session")
def update_cache(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> PerCombination[UpdatedService]:
    root = tmp_path_factory.mktemp("updated")

    def update_combination(combination: Combination) -> UpdatedService:
        edits = team_work(combination.data["layout"])
        return updated_service(template_repo, root / combination.id, combination.data, edits)

    return PerCombination(update_combination, "the update")


@pytest.fixture
def updated(
    update_cache: PerCombination[UpdatedService], combination: Combination
) -> UpdatedService:
    return update_cache.get(combination)


def check_problems(service: Path, environments: Environments) -> list[str]:
    problems = []
    for check, command in SQLITE_ONLY_CHECKS.items():
        result = environments.run(service, command)
        if result.returncode != 0:
            problems.append(
                f"{check}: `{result.shown}` exited {result.returncode} in {service}\n{result.tail}"
            )
    return problems


# ------------------------------------------------------------------------ tests


def test_update_records_the_new_release(updated: UpdatedService) -> None:
    assert answers_of(updated.path)["_commit"] == NEXT


def test_update_keeps_every_line_and_brings_every_change(updated: UpdatedService) -> None:
    assert conflicted_files(updated.result) == []
    assert not any(path.endswith(".rej") for path in updated.result)
    problems = merge_problems(updated.base, updated.ours, updated.theirs, updated.result)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("check", SQLITE_ONLY_CHECKS)
def test_updated_service_passes(
    updated: UpdatedService, environments: Environments, check: str
) -> None:
    result = environments.run(updated.path, SQLITE_ONLY_CHECKS[check])
    if result.returncode != 0:
        pytest.fail(
            f"{check} failed after the update: `{result.shown}` exited {result.returncode} "
            f"in {updated.path}\n--- last lines of its output ---\n{result.tail}",
            pytrace=False,
        )


DEFAULT = combinations()[0]  # layered-sqlalchemy-structlog


@pytest.mark.combination
def test_a_conflict_is_marked_inline_in_that_file_alone(
    template_repo: Path, tmp_path: Path
) -> None:
    edits = (*team_work(DEFAULT.data["layout"]), CONFLICTING_WORK)
    service = updated_service(template_repo, tmp_path, DEFAULT.data, edits)
    config = CONFLICTING_WORK.path

    assert conflicted_files(service.result) == [config]
    lines = service.result[config]
    start = lines.index("<<<<<<< before updating")
    middle, end = lines.index("=======", start), lines.index(">>>>>>> after updating", start)
    assert lines[start + 1 : middle] == CONFLICTING_WORK.new.splitlines()
    assert lines[middle + 1 : end] == TIGHTER_TOKEN_SETTING.splitlines()
    # No line of either side is lost, in the conflicted file or anywhere else.
    problems = merge_problems(service.base, service.ours, service.theirs, service.result)
    assert not problems, "\n".join(problems)
    assert not any(path.endswith(".rej") for path in service.result)
    # git shows the file as unmerged until the team resolves it.
    assert git(service.path, "diff", "--name-only", "--diff-filter=U").split() == [config]


def combination_with(id_: str) -> Combination:
    return next(combination for combination in combinations() if combination.id == id_)


# Each logging library to the other, from services that differ in everything else.
LOGGING_CHANGES = [
    (combination_with("layered-sqlalchemy-structlog"), "stdlib"),
    (combination_with("feature-sliced-sqlmodel-stdlib"), "structlog"),
]


def changed(combination: Combination, question: str, answer: str) -> Combination:
    return Combination(
        answers=tuple((q, answer if q == question else a) for q, a in combination.answers)
    )


@pytest.mark.combination
@pytest.mark.parametrize(
    ("source", "logging"),
    [
        pytest.param(
            source,
            logging,
            id=f"{source.id}-to-{logging}",
            # The environment, and so the worker, of the service it becomes.
            marks=pytest.mark.xdist_group(
                name=environment_group(changed(source, "logging", logging))
            ),
        )
        for source, logging in LOGGING_CHANGES
    ],
)
def test_update_changes_the_logging_library(
    source: Combination,
    logging: str,
    template_repo: Path,
    tmp_path: Path,
    environments: Environments,
) -> None:
    edits = team_work(source.data["layout"])
    service = updated_service(
        template_repo, tmp_path, source.data, edits, new_answers={"logging": logging}
    )

    assert answers_of(service.path)["logging"] == logging
    assert conflicted_files(service.result) == []
    # `theirs` is NEXT rendered with the new logging: its files arrived whole.
    problems = merge_problems(service.base, service.ours, service.theirs, service.result)
    problems += check_problems(service.path, environments)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------- refusals


@pytest.fixture
def service(template_repo: Path, tmp_path: Path) -> Path:
    return committed_service(template_repo, tmp_path / "service", DEFAULT.data)


def assert_refused(
    project: Path, message: str, answers: dict[str, str] | None = None, tag: str = NEXT
) -> None:
    """The update fails with `message` and leaves every file as it was."""
    before = digest(project)
    with pytest.raises((UserMessageError, ValueError)) as refusal:
        update(project, tag, answers)
    assert message in str(refusal.value)
    assert digest(project) == before


def test_a_dirty_work_tree_is_refused(service: Path) -> None:
    readme = service / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "Not committed yet.\n", "utf-8")
    assert_refused(
        service,
        "Destination repository is dirty; cannot continue. "
        "Please commit or stash your local changes and retry.",
    )


def test_a_service_outside_git_is_refused(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "service"
    render(template_repo, project, DEFAULT.data, FIRST)
    assert_refused(project, "Updating is only supported in git-tracked subprojects.")


def test_a_template_commit_the_template_does_not_know_is_refused(service: Path) -> None:
    answers = service / ANSWERS_FILE
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace(f"_commit: {FIRST}", "_commit: v0.9.0"), "utf-8")
    commit_all(service, "Point at a release the template never had")
    assert_refused(service, "Unknown revision: 'v0.9.0'")


def test_a_choice_the_template_retired_is_refused(template_source: Path, tmp_path: Path) -> None:
    retired = Edit(
        "copier.yml", '    "stdlib: the standard library\'s logging, no dependency": stdlib\n', ""
    )
    template = template_repository(template_source, tmp_path / "template", [(NEXT, [retired])])
    stdlib = changed(DEFAULT, "logging", "stdlib").data
    project = committed_service(template, tmp_path / "service", stdlib)
    assert_refused(
        project,
        "Validation error for question 'logging': logging 'stdlib', recorded in "
        ".copier-answers.yml, is no longer an answer this version of the template "
        "accepts, and an update does not replace it with 'structlog' unasked.",
    )


@pytest.mark.parametrize(
    ("question", "answer"),
    [("layout", "feature-sliced"), ("orm", "sqlmodel"), ("package_name", "billing")],
)
def test_changing_an_answer_that_moves_code_is_refused(
    service: Path, question: str, answer: str
) -> None:
    recorded = answers_of(service)[question]
    # Given with -d: refused before anything is asked, the message without a traceback.
    assert_refused(
        service,
        given_answer_problem(question, fixed_answer_problem(question, recorded, answer)),
        answers={question: answer},
    )


# -------------------------------------------------------------------- migrations

# A release that renames a question, with the migration that keeps its answers.
RENAMED_QUESTION = (
    Edit("copier.yml", "\nauthor_name:\n", "\nteam_name:\n"),
    Edit(
        "copier.yml",
        "\n_migrations:\n",
        "\n_migrations:\n"
        "  - command:\n"
        '      - "{{ _copier_python }}"\n'
        '      - "{{ _copier_conf.src_path }}/migrations/rename_answers.py"\n'
        '      - "{{ _copier_conf.answers_file }}"\n'
        "      - author_name=team_name\n"
        f"    version: {NEXT}\n"
        "    when: \"{{ _stage == 'before' }}\"\n",
    ),
    Edit("template/pyproject.toml.jinja", "{{ author_name | tojson }}", "{{ team_name | tojson }}"),
)


def test_a_renamed_question_keeps_its_answer(template_source: Path, tmp_path: Path) -> None:
    template = template_repository(
        template_source, tmp_path / "template", [(NEXT, RENAMED_QUESTION)]
    )
    answers = {**DEFAULT.data, "author_name": "Ledger Team"}
    project = committed_service(template, tmp_path / "service", answers)
    update(project)

    recorded = answers_of(project)
    assert recorded["team_name"] == "Ledger Team"
    assert "author_name" not in recorded
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert 'authors = [{ name = "Ledger Team",' in pyproject
    assert conflicted_files(snapshot(project)) == []


@pytest.mark.parametrize(
    ("answers", "renamed"),
    [
        ({"author_name": "A", "x": 1}, {"team_name": "A", "x": 1}),
        ({"team_name": "B"}, {"team_name": "B"}),  # renamed already: nothing to do
        ({"author_name": "A", "team_name": "B"}, {"author_name": "A", "team_name": "B"}),
    ],
)
def test_rename_answers_never_overwrites(
    answers: dict[str, object], renamed: dict[str, object]
) -> None:
    assert rename_answers(answers, {"author_name": "team_name"}) == renamed


# A release that moves a file, with the migration that moves the service's copy.
MOVED_FILE = (
    Move("template/.env.example.jinja", "template/config/.env.example.jinja"),
    Edit(
        "copier.yml",
        "\n_migrations:\n",
        "\n_migrations:\n"
        "  - command:\n"
        '      - "{{ _copier_python }}"\n'
        '      - "{{ _copier_conf.src_path }}/migrations/move_file.py"\n'
        "      - .env.example\n"
        "      - config/.env.example\n"
        f"    version: {NEXT}\n"
        "    when: \"{{ _stage == 'before' }}\"\n",
    ),
)


def test_a_moved_file_keeps_the_team_lines(template_source: Path, tmp_path: Path) -> None:
    template = template_repository(template_source, tmp_path / "template", [(NEXT, MOVED_FILE)])
    project = committed_service(template, tmp_path / "service", DEFAULT.data)
    apply_all(project, [Edit(".env.example", "DB_POOL_SIZE=10\n", "DB_POOL_SIZE=20\n")])
    commit_all(project, "Our own pool size")
    update(project)

    assert not (project / ".env.example").exists()
    result = snapshot(project)
    # Copier has no common base for the moved file: the team's line comes through
    # marked for review, beside the template's, instead of being deleted.
    assert conflicted_files(result) == ["config/.env.example"]
    assert "DB_POOL_SIZE=20" in result["config/.env.example"]
    assert not any(path.endswith(".rej") for path in result)


def test_a_resource_is_updated_from_its_own_answers_file(
    template_repo: Path, tmp_path: Path
) -> None:
    service = committed_service(template_repo, tmp_path / "service", {})
    fields = "number:str!"
    resource = {"generate": "resource", "resource_name": "invoice", "resource_fields": fields}
    render(template_repo, service, resource, FIRST)
    commit_all(service, "Add the invoice resource")
    router = service / "src" / PACKAGE / "routers" / "invoice.py"
    assert NEXT_PAGE_COMMENT not in router.read_text(encoding="utf-8")

    update_resource(service, "invoice")

    assert NEXT_PAGE_COMMENT in router.read_text(encoding="utf-8")
    resource_answers = yaml.safe_load((service / ".copier-answers.invoice.yml").read_text())
    assert (resource_answers["_commit"], resource_answers["resource_fields"]) == (NEXT, fields)
    # Only the resource moved: the service's own files wait for its own update.
    changed = git(service, "status", "--porcelain").splitlines()
    assert sorted(line[3:] for line in changed) == [
        ".copier-answers.invoice.yml",
        f"src/{PACKAGE}/routers/invoice.py",
    ]
    assert answers_of(service)["_commit"] == FIRST


def test_a_resource_whose_ref_names_an_added_one_is_updated_with_it_unchanged(
    template_repo: Path, tmp_path: Path
) -> None:
    """The chain project <- invoice <- line_item: the line item, updated from its
    own answers file, keeps each `ref` as it was added (column, foreign key, ON
    DELETE, validation and tests), though the old release is rendered where the
    invoice is not; the team's edit is kept."""
    service = committed_service(template_repo, tmp_path / "service", {})
    for name, fields in RESOURCES:
        resource = {"generate": "resource", "resource_name": name, "resource_fields": fields}
        render(template_repo, service, resource, FIRST)
        commit_all(service, f"Add the {name} resource")
    service_module = service / "src" / PACKAGE / "services" / "line_item_service.py"
    team_line = "# Line items are priced by their invoice."
    service_module.write_text(
        f"{service_module.read_text(encoding='utf-8')}{team_line}\n", encoding="utf-8"
    )
    commit_all(service, "Our own work")
    before = snapshot(service)

    update_resource(service, "line_item")

    after = snapshot(service)
    router = f"src/{PACKAGE}/routers/line_item.py"
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert changed == [".copier-answers.line_item.yml", router]
    # The release's line, and nothing else: models, migration, schemas, service
    # and tests as the resource was added, the team's line among them.
    assert changes(before[router], after[router]) == ([NEXT_PAGE_COMMENT.rstrip("\n")], [])
    assert after[f"src/{PACKAGE}/services/line_item_service.py"][-1] == team_line
    recorded = yaml.safe_load((service / ".copier-answers.line_item.yml").read_text())
    assert recorded["resource_references"] == {"invoice": "invoices", "project": "projects"}


def migration(revision: str, down_revision: str | None) -> str:
    down = f'"{down_revision}"' if down_revision else "None"
    return f'revision: str = "{revision}"\ndown_revision: str | Sequence[str] | None = {down}\n'


def test_a_release_migration_is_merged_with_the_resources_chained_before_it(
    template_source: Path, tmp_path: Path
) -> None:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    for path in (template_source / "template" / "alembic" / "versions").glob("*.py"):
        (versions / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (release_head,) = alembic_heads(tmp_path)
    # A resource added before the release chained onto the template's head then.
    (versions / "2026_11_30_abc123_create_invoices.py").write_text(migration("abc123", "0001"))
    assert sorted(alembic_heads(tmp_path)) == sorted([release_head, "abc123"])

    merged = merge_heads(tmp_path)

    assert merged is not None
    assert len(alembic_heads(tmp_path)) == 1
    assert f'= ("abc123", "{release_head}")\n' in merged.read_text(encoding="utf-8")
    assert merge_heads(tmp_path) is None  # one head: nothing more to merge


def locked_versions(project: Path) -> dict[str, str]:
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"]}


@pytest.mark.combination
@pytest.mark.xdist_group(name=environment_group(DEFAULT))
def test_the_lock_follows_a_release_that_changes_dependencies(
    template_repo: Path, tmp_path: Path, environments: Environments
) -> None:
    """As the service's README has it: uv.lock committed with the render; the
    update leaves it alone (it is no template file, so it never conflicts); the
    release's raised bound makes `uv sync --locked` refuse it; `uv lock --upgrade`
    takes the versions a new service of that release gets, and they pass."""
    project = tmp_path / "service"
    render(template_repo, project, DEFAULT.data, FIRST)
    assert environments.sync(project) is None  # the first `uv sync` writes uv.lock
    git(project, "init", "--quiet")
    commit_all(project, "Render the service, with its lock")
    rendered_lock = (project / "uv.lock").read_text(encoding="utf-8")

    update(project)

    assert (project / "uv.lock").read_text(encoding="utf-8") == rendered_lock
    assert "uv.lock" not in git(project, "status", "--porcelain")
    refused = environments.uv(project, "sync", "--locked")
    assert refused.returncode != 0
    assert "needs to be updated" in refused.output, refused.tail

    upgraded = environments.uv(project, "lock", "--upgrade")
    assert upgraded.returncode == 0, upgraded.tail
    fresh = tmp_path / "fresh"
    render(template_repo, fresh, DEFAULT.data, NEXT)
    assert environments.sync(fresh) is None
    assert locked_versions(project) == locked_versions(fresh)
    result = environments.run(project, ("pytest", "-q"))
    assert result.returncode == 0, result.tail
