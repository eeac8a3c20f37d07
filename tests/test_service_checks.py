"""Every rendered combination passes its own quality gates.

Each check runs inside the rendered project, in the environment its declared
dependencies select (see `Environments` in tests/harness.py), exactly as the
rendered project's own CI runs it: `uv run <check>` after `uv sync`. Its test
suite runs on PostgreSQL with the coverage gate, as its CI runs it; on SQLite,
the developer's `uv run pytest`, it runs as part of the grown service, which
holds every file of the new one (tests/test_resources.py); and once more, for
one combination, on PostgreSQL with two xdist workers.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from extensions.layout import Layout
from extensions.toolchain import DEPENDENCIES_AS_OF, LOCK_COMMAND
from tests.conftest import combination_param
from tests.harness import (
    POSTGRES_URL_VARIABLE,
    Environments,
    PerCombination,
    RenderedProject,
    package_of,
    project_python,
)
from tests.matrix import Combination, combinations

# The configuration of each tool (files, strictness, the coverage gate) is the
# rendered pyproject.toml's; the suite runs as the service's README and CI run it:
# on SQLite as a developer does (`uv run pytest`), and on PostgreSQL with the
# coverage gate, one process, as its CI does (`uv run pytest --cov`).
CHECKS: dict[str, tuple[str, ...]] = {
    "ruff-check": ("ruff", "check", "."),
    "ruff-format": ("ruff", "format", "--check", "."),
    "mypy": ("mypy",),
    "lint-imports": ("lint-imports",),
    "pytest-sqlite": ("pytest",),
    "pytest-postgresql": ("pytest", "--cov"),
}
# A new service's checks. Its suite on SQLite runs inside its grown service's:
# the grown service holds every file of the new one unchanged but the three the
# generator registers a resource in, none of them database code (asserted by
# tests/test_resources.py), and runs every one of its tests, on both databases.
NEW_SERVICE_CHECKS = {name: command for name, command in CHECKS.items() if name != "pytest-sqlite"}
# Projects whose suite runs on SQLite alone (updated services, unusual answers)
# run it with the coverage gate there.
SQLITE_ONLY_CHECKS: dict[str, tuple[str, ...]] = {
    **{name: command for name, command in CHECKS.items() if name != "pytest-postgresql"},
    "pytest-sqlite": ("pytest", "--cov"),
}
# `uv run pytest -n auto` on PostgreSQL, as the service's README offers: safe because
# each xdist worker makes databases of its own (tests/support.py). That code is one
# source for every combination and grown resource, so one combination proves it.
PARALLEL_CHECK = ("pytest", "--numprocesses=2")

NO_SERVER = (
    f"no PostgreSQL server: set {POSTGRES_URL_VARIABLE} to an asyncpg URL whose role "
    "can create databases, e.g. after `pg_ctlcluster 15 main start` (.ci/run does both)"
)


def postgres_url_for(rendered: RenderedProject, prefix: str = "tpl_") -> str:
    """The server's URL with a database name of this project's own."""
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{rendered.combination.id}: {NO_SERVER}", pytrace=False)
        pytest.skip(NO_SERVER)
    name = prefix + rendered.combination.id.replace("-", "_")
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def assert_check_passes(
    project: RenderedProject,
    environments: Environments,
    check: str,
    prefix: str = "tpl_",
    command: tuple[str, ...] | None = None,
) -> None:
    """Run one of CHECKS (or `command` under that check's name) in the project;
    `prefix` names its PostgreSQL databases."""
    variables = {}
    if check.startswith("pytest-postgresql"):
        variables["TEST_DATABASE_URL"] = postgres_url_for(project, prefix)
    result = environments.run(project.path, command or CHECKS[check], **variables)
    if result.returncode != 0:
        pytest.fail(
            f"{project.combination.id}: {check} failed: `{result.shown}` exited "
            f"{result.returncode} in {project.path}\n"
            f"--- last lines of its output ---\n{result.tail}",
            pytrace=False,
        )


@pytest.mark.parametrize("check", NEW_SERVICE_CHECKS)
def test_check(rendered: RenderedProject, environments: Environments, check: str) -> None:
    assert_check_passes(rendered, environments, check)


@pytest.mark.parametrize("parallel", [combination_param(combinations()[0])])
def test_the_suite_runs_in_parallel_on_postgresql(
    parallel: Combination, renders: PerCombination[RenderedProject], environments: Environments
) -> None:
    project = renders.get(parallel)
    assert_check_passes(
        project, environments, "pytest-postgresql-parallel", "tpl_parallel_", PARALLEL_CHECK
    )


def first_of_each_layout() -> list[Combination]:
    firsts: dict[str, Combination] = {}
    for combination in combinations():
        firsts.setdefault(combination.data["layout"], combination)
    return list(firsts.values())


@pytest.mark.parametrize("layout", [combination_param(c) for c in first_of_each_layout()])
def test_the_contracts_refuse_an_import_cycle_between_users_and_auth(
    layout: Combination, renders: PerCombination[RenderedProject], environments: Environments
) -> None:
    """auth builds on users; users importing auth back (as its router once did for
    the current user) breaks a contract, and lint-imports says which."""
    rendered = renders.get(layout)
    modules = Layout(layout.data["layout"], package_of(rendered))
    router = rendered.path / "src" / modules.package / modules.feature_dir("users")
    router = router / modules.feature_file("users", "router")
    original = router.read_text(encoding="utf-8")
    auth = modules.module("auth", "dependencies")
    router.write_text(f"{original}from {auth} import AuthServiceDep as AuthServiceDep\n", "utf-8")
    try:
        result = environments.run(rendered.path, CHECKS["lint-imports"])
    finally:
        router.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.output
    assert "The users feature imports no other feature BROKEN" in result.output, result.tail


def declared_pythons(project: RenderedProject) -> list[str]:
    """The Python versions the rendered project declares it supports: its classifiers."""
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text(encoding="utf-8"))
    prefix = "Programming Language :: Python :: "
    return [
        classifier.removeprefix(prefix)
        for classifier in pyproject["project"].get("classifiers", [])
        if classifier.startswith(prefix) and classifier.count(".") == 1
    ]


# The default combination on the other Pythons: environments of their own, so a
# worker of their own (which renders the combination again, in seconds), in
# parallel with the default combination's environment group.
OTHER_PYTHONS = pytest.param(
    combinations()[0],
    id=combinations()[0].id,
    marks=[pytest.mark.combination, pytest.mark.xdist_group(name="other-pythons")],
)


# ruff is one binary, whatever Python runs it, and reads its target version from
# pyproject.toml: on another Python its checks would prove nothing new. The suite
# runs without coverage there: the coverage gate is the service's CI's, which runs
# on the service's own Python (above), and the code has no branch by Python version.
INTERPRETER_CHECKS = {
    check: ("pytest",) if check.startswith("pytest") else command
    for check, command in CHECKS.items()
    if not check.startswith("ruff")
}


def test_the_service_code_has_no_branch_by_python_version() -> None:
    """What lets the coverage gate run on the service's own Python alone."""
    template = Path(__file__).resolve().parents[1] / "template"
    branching = [
        path.relative_to(template)
        for path in template.rglob("*.jinja")
        if re.search(r"\bsys\.version|\bversion_info\b|PY3\d", path.read_text(encoding="utf-8"))
    ]
    assert branching == []


@pytest.mark.parametrize("check", INTERPRETER_CHECKS)
@pytest.mark.parametrize("default", [OTHER_PYTHONS])
def test_check_on_every_other_supported_python(
    default: Combination,
    renders: PerCombination[RenderedProject],
    environments: Environments,
    check: str,
) -> None:
    """The default combination's checks on each Python it declares besides its own,
    from the same render and against the same uv.lock (an environment per Python)."""
    project = renders.get(default)
    # The lock is the one the project's own Python wrote, as in the service's repository.
    own = environments.sync(project.path)
    assert own is None, own.tail
    others = [v for v in declared_pythons(project) if v != project_python(project.path)]
    assert others, f"{project.path} declares no Python besides its own"
    for python in others:
        variables = {}
        if check == "pytest-postgresql":
            prefix = f"tpl_py{python.replace('.', '')}_"
            variables["TEST_DATABASE_URL"] = postgres_url_for(project, prefix)
        result = environments.run(
            project.path, INTERPRETER_CHECKS[check], python=python, **variables
        )
        if result.returncode != 0:
            pytest.fail(
                f"{project.combination.id} on Python {python}: {check} failed: "
                f"`{result.shown}` exited {result.returncode} in {project.path}\n"
                f"--- last lines of its output ---\n{result.tail}",
                pytrace=False,
            )


@pytest.mark.parametrize("default", [combination_param(combinations()[0])])
def test_dependencies_that_do_not_resolve_name_the_maintainer_command(
    default: Combination,
    renders: PerCombination[RenderedProject],
    environments: Environments,
    tmp_path: Path,
) -> None:
    """A bound the resolution date cannot meet (a date older than the declared
    versions, as when a bound is raised without moving the date) fails the sync,
    and the failure says what to run."""
    project = tmp_path / "project"
    shutil.copytree(renders.get(default).path, project, ignore=shutil.ignore_patterns("uv.lock"))
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    as_of = f'exclude-newer = "{DEPENDENCIES_AS_OF}"'
    assert as_of in text
    pyproject.write_text(text.replace(as_of, 'exclude-newer = "2020-01-01T00:00:00Z"'), "utf-8")

    result = environments.run(project, ("python", "--version"))

    assert result.returncode != 0
    assert f"`{LOCK_COMMAND} --as-of now`" in result.output
