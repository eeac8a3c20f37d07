"""The machinery behind the fixtures of conftest.py: renders and environments.

- Each answer combination is rendered once per session (per xdist worker) from a
  plain copy of the working tree, uncommitted and untracked changes included.
- Rendered projects run their tools in virtual environments keyed by a hash of
  their Python version and what they declare, on pyenv's interpreter of their
  `.python-version`, with a process environment scrubbed of this test run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Generic, TypeVar

import copier
import httpx
import pytest
import yaml
from pytest_copie.plugin import Copie

from extensions.field_spec import BUILT_IN_REFERABLE, parse_fields
from extensions.naming import pluralize
from extensions.resource import Resource
from extensions.toolchain import LOCK_COMMAND, SUPPORTED_PYTHONS
from tests.matrix import Combination

# Used when the repository is not a git work tree (an unpacked archive, say).
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "tmp"
)

# Variables of this test run that must not reach a rendered project's tools.
# PYTHONDONTWRITEBYTECODE too, should the machine set it: the tools write bytecode
# as they do on a team's machine, or every one of the suite's hundreds of Python
# processes would compile FastAPI, SQLAlchemy and pydantic from source again.
DROPPED_VARIABLES = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT", "PYTHONDONTWRITEBYTECODE"}
)
DROPPED_PREFIXES = ("PYTEST_", "COV_CORE_", "COVERAGE_", "COPIER_")

# A PostgreSQL server for the rendered suites, as an asyncpg URL whose role may
# create databases (.ci/run starts one). Each combination's suite gets the
# database name `tpl_<combination>`, and creates and drops its own databases
# from it (see the rendered tests/support.py).
POSTGRES_URL_VARIABLE = "TEMPLATE_TEST_POSTGRES_URL"

T = TypeVar("T")

# Where the rendered projects' Pythons are: pyenv's versions (uv cannot use pyenv's
# shims, so the interpreter's path is passed to it).
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
# What uv says when the declared bounds cannot be met as of the rendered
# `exclude-newer` (extensions/toolchain.py's DEPENDENCIES_AS_OF), or when a lock
# no longer matches pyproject.toml.
UNRESOLVABLE = ("No solution found when resolving", "needs to be updated, but `--locked`")

COMMAND_TIMEOUT_SECONDS = 900
SERVICE_START_SECONDS = 30
OUTPUT_TAIL_LINES = 80


# ----------------------------------------------------------------------- processes


def clean_environment(**explicit: str) -> dict[str, str]:
    """This process's environment without what belongs to this test run, plus `explicit`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in DROPPED_VARIABLES and not name.startswith(DROPPED_PREFIXES)
    }
    # `uv run pytest` put this repository's venv first on PATH; take it out so that a
    # rendered project only ever finds its own tools.
    own_venv = os.environ.get("VIRTUAL_ENV")
    if own_venv:
        own_bin = str(Path(own_venv) / "bin")
        environment["PATH"] = os.pathsep.join(
            entry for entry in environment.get("PATH", "").split(os.pathsep) if entry != own_bin
        )
    # uv itself, first: where uv is pyenv's shim, a project whose .python-version
    # names a Python without uv would make `uv` fail ("pyenv: uv: command not found").
    # And the Pythons a service supports, which uv finds on PATH where a user's uv
    # would download them (this machine cannot; pyenv's shims fail for uv).
    folder = tool_folder()
    environment["PATH"] = os.pathsep.join((str(folder), environment.get("PATH", "")))
    environment.update(explicit)
    return environment


@cache
def tool_folder() -> Path:
    """A folder of this process's own with the uv (and uvx) that `uv run` names and
    pyenv's interpreters of the supported Pythons (`python3.13`...), alone."""
    folder = Path(tempfile.mkdtemp(prefix="tools-"))
    uv = os.environ.get("UV")
    for name in ("uv", "uvx") if uv else ():
        source = Path(uv).with_name(name)
        if source.is_file():
            (folder / name).symlink_to(source)
    for version in SUPPORTED_PYTHONS:
        try:
            (folder / f"python{version}").symlink_to(pyenv_python(version))
        except LookupError:
            continue  # the project's own sync says which Python is missing
    return folder


@dataclass(frozen=True)
class CommandResult:
    command: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr interleaved

    @property
    def shown(self) -> str:
        """The command as a person would type it (`uv ...`, not the path to uv)."""
        return " ".join((Path(self.command[0]).name, *self.command[1:]))

    @property
    def tail(self) -> str:
        return "\n".join(self.output.splitlines()[-OUTPUT_TAIL_LINES:])


def run_command(command: Sequence[str], cwd: Path, environment: dict[str, str]) -> CommandResult:
    try:
        completed = subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = error.output if isinstance(error.output, str) else ""
        return CommandResult(
            tuple(command), -1, f"{output}\n[timed out after {COMMAND_TIMEOUT_SECONDS} s]"
        )
    return CommandResult(tuple(command), completed.returncode, completed.stdout)


# ------------------------------------------------------------------------- renders


def source_files(root: Path) -> list[Path] | None:
    """Tracked plus untracked-not-ignored files, or None outside a git work tree."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    names = sorted({name for name in listing.decode().split("\0") if name})
    # --cached still lists files deleted from the work tree.
    return [root / name for name in names if (root / name).is_file()]


def copy_working_tree(root: Path, destination: Path) -> None:
    """Copy the repository's files as they are on disk into a plain directory.

    Copier given a git repository renders a commit (and warns about a dirty tree);
    given a plain directory it renders exactly what is there.
    """
    files = source_files(root)
    if files is None:
        shutil.copytree(root, destination, ignore=COPY_IGNORE)
        return
    for source in files:
        target = destination / source.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@dataclass(frozen=True)
class RenderedProject:
    combination: Combination
    path: Path
    files: tuple[Path, ...]  # what Copier wrote, before any tool ran in the project


def render(
    source: Path, destination: Path, data: Mapping[str, str], vcs_ref: str | None = None
) -> tuple[Path, ...]:
    """`copier copy` with these answers and every other question at its default,
    whatever the user's own Copier settings say; returns the files written."""
    copier.run_copy(
        str(source),
        destination,
        data=dict(data),
        vcs_ref=vcs_ref,
        settings=copier.Settings(),
        defaults=True,
        unsafe=True,  # the template loads Jinja extensions from extensions/
        quiet=True,
    )
    return tuple(sorted(path for path in destination.rglob("*") if path.is_file()))


class PerCombination(Generic[T]):
    """Builds a value for each combination at most once per session (per worker).

    A build that fails is not tried again: every test that asks for it fails
    with the cause.
    """

    def __init__(self, build: Callable[[Combination], T], what: str) -> None:
        self._build = build
        self._what = what
        self._built: dict[str, T | Exception] = {}

    def get(self, combination: Combination) -> T:
        if combination.id not in self._built:
            try:
                self._built[combination.id] = self._build(combination)
            except Exception as error:  # reported by every test of the combination
                self._built[combination.id] = error
        result = self._built[combination.id]
        if isinstance(result, Exception):
            pytest.fail(f"{combination.id}: {self._what} failed: {result!r}", pytrace=False)
        return result


def copied(copie: Copie, source: Path, data: Mapping[str, str]) -> RenderedProject:
    """A new project rendered by pytest-copie (`copier copy` with these answers and
    every other question at its default, extensions trusted) into a folder of its
    own; raises what Copier raised, which pytest-copie returns instead."""
    result = copie.copy(extra_answers=dict(data), template_dir=source)
    if result.exception is not None:
        raise result.exception
    assert result.project_dir is not None
    files = tuple(sorted(path for path in result.project_dir.rglob("*") if path.is_file()))
    return RenderedProject(Combination(tuple(data.items())), result.project_dir, files)


def render_cache(copie: Copie, source: Path) -> PerCombination[RenderedProject]:
    """Each combination rendered by pytest-copie's session fixture, once."""
    return PerCombination(lambda combination: copied(copie, source, combination.data), "rendering")


# (singular, fields): between them every type, unique and optional fields, and a
# chain of references (project <- invoice <- line_item) with each ON DELETE
# (restrict, cascade, set_null); long field names, so generated lines must wrap
# as ruff formats them.
RESOURCES = (
    (
        "invoice",
        "project:ref number:str! status:enum(draft,sent,paid)=draft amount:decimal "
        "due:date paid:bool note:text?",
    ),
    (
        "line_item",
        "invoice:ref(cascade) project:ref(set_null)? reference_code:slug! priority:int! "
        "weight:float starts_at:datetime ends_at:datetime? device_id:uuid? notes:text?",
    ),
)


def parsed_resources() -> tuple[Resource, ...]:
    """RESOURCES as the generator reads them, each ref naming one added before it."""
    resources, referable = [], dict(BUILT_IN_REFERABLE)
    for name, spec in RESOURCES:
        resources.append(Resource(name, pluralize(name), parse_fields(spec, referable)))
        referable[name] = pluralize(name)
    return tuple(resources)


def git(project: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Service Team", "-c", "user.email=team@example.com", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def committed_service(source: Path, project: Path, data: Mapping[str, str]) -> Path:
    render(source, project, data)
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "Render the service")
    return project


def add_resource(source: Path, project: Path, name: str, fields: str) -> None:
    """The documented command, as a team runs it from inside the service."""
    render(
        source,
        project,
        {"generate": "resource", "resource_name": name, "resource_fields": fields},
    )


def grow_cache(source: Path, root: Path) -> PerCombination[RenderedProject]:
    """Per combination: a service rendered and committed, then each of RESOURCES
    added with the generator and committed (tests/test_resources.py)."""

    def grow(combination: Combination) -> RenderedProject:
        project = committed_service(source, root / combination.id, combination.data)
        for name, fields in RESOURCES:
            add_resource(source, project, name, fields)
            git(project, "add", "--all")
            git(project, "commit", "--quiet", "--message", f"Add the {name} resource")
        files = tuple(sorted(p for p in project.rglob("*") if p.is_file()))
        return RenderedProject(combination=combination, path=project, files=files)

    return PerCombination(grow, "rendering a service and adding resources to it")


# -------------------------------------------------------------------- environments


def pyenv_python(version: str) -> Path:
    """pyenv's interpreter of `version` ("3.13": the newest 3.13.x installed)."""
    found = [
        path
        for path in PYENV_ROOT.glob(f"versions/{version}*/bin/python{version}")
        if re.fullmatch(rf"{re.escape(version)}(\.\d+)*", path.parents[1].name)
    ]
    if not found:
        msg = (
            f"Python {version} is not installed: no {PYENV_ROOT}/versions/{version}.*/bin/"
            f"python{version} (install it with `pyenv install {version}`)"
        )
        raise LookupError(msg)
    return max(found, key=lambda path: [int(part) for part in path.parents[1].name.split(".")])


def project_python(project: Path) -> str:
    """The Python version a project runs on: its `.python-version`, as uv reads it."""
    return (project / ".python-version").read_text(encoding="utf-8").strip()


def distribution_name(requirement: str) -> str:
    """The normalised name of the distribution a PEP 508 requirement names."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    if match is None:
        raise ValueError(f"unreadable requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def environment_key(project: Path, python: str) -> str:
    """A hash of the Python version and of which distributions pyproject.toml
    declares, whatever their versions.

    Projects that differ only in version bounds (a release that raises one, say)
    share an environment: `uv sync`, run before each project's commands, installs
    exactly what that project resolves to, and mostly finds it there already.
    """
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    metadata = pyproject.get("project", {})
    sections = [
        metadata.get("dependencies", []),
        *metadata.get("optional-dependencies", {}).values(),
        *pyproject.get("dependency-groups", {}).values(),
    ]
    declared = {
        "python": python,
        "requires-python": metadata.get("requires-python"),
        "distributions": sorted(
            {
                distribution_name(entry)
                for entries in sections
                for entry in entries
                if isinstance(entry, str)  # not a group's {include-group = ...}
            }
        ),
        # Sources, overrides and constraints change the resolution too.
        "tool.uv": pyproject.get("tool", {}).get("uv", {}),
    }
    encoded = json.dumps(declared, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


class Environments:
    """Virtual environments for rendered projects, one per Python version and set
    of declared distributions.

    `uv sync` is exact (it removes what the project does not declare), so projects
    that declare the same distributions can take turns in one environment: before
    a project's command runs, the environment is synced to that project unless it
    already is. Projects that declare different ones get different environments.
    Each project runs on the Python of its `.python-version` (pyenv's), unless a
    command asks for another (`python="3.11"`).
    """

    def __init__(self, root: Path, uv: str) -> None:
        self._root = root
        self._uv = uv
        self._synced_to: dict[Path, Path] = {}  # environment -> project synced into it
        # By project and Python version.
        self._sync_failures: dict[tuple[Path, str], CommandResult] = {}

    def _venv(self, project: Path, python: str) -> Path:
        return self._root / "envs" / environment_key(project, python)

    def _environment(self, project: Path, python: str, **variables: str) -> dict[str, str]:
        try:
            interpreter = pyenv_python(python)
        except LookupError as error:
            pytest.fail(f"{project.name}: {error}", pytrace=False)
        explicit = {
            "UV_PROJECT_ENVIRONMENT": str(self._venv(project, python)),
            "UV_PYTHON": str(interpreter),
            "UV_PYTHON_DOWNLOADS": "never",
            # One mypy cache for every project: mypy revalidates each cached module
            # by its path, its source's hash and its dependencies' interfaces, as it
            # does when a branch changes, so sharing is sound; and FastAPI, SQLAlchemy
            # and pydantic, the same in every environment, are analysed only once.
            "MYPY_CACHE_DIR": str(self._root / "mypy-cache"),
            "NO_COLOR": "1",
            **variables,
        }
        return clean_environment(**explicit)

    def sync(self, project: Path, python: str | None = None) -> CommandResult | None:
        """Make the project's environment hold exactly what the project's lock says
        (the first sync writes the lock).

        Returns the failed `uv sync`, if it failed; a failure is remembered, so the
        other checks of the project report it without trying again.
        """
        python = python or project_python(project)
        if (project, python) in self._sync_failures:
            return self._sync_failures[project, python]
        venv = self._venv(project, python)
        if self._synced_to.get(venv) == project:
            return None
        # The lock a project's first sync wrote (as a team's first `uv sync` does) is
        # what every later sync installs, on any Python, as the service's CI does.
        locked = ["--locked"] if (project / "uv.lock").exists() else []
        result = run_command(
            [self._uv, "sync", *locked], project, self._environment(project, python)
        )
        if result.returncode != 0:
            if any(sign in result.output for sign in UNRESOLVABLE):
                result = CommandResult(
                    result.command,
                    result.returncode,
                    f"{result.output}\nThe rendered dependencies do not resolve as of their "
                    f"`exclude-newer` date: run `{LOCK_COMMAND} --as-of now` (README.md, "
                    '"Dependencies of a rendered service") and commit extensions/toolchain.py.',
                )
            self._sync_failures[project, python] = result
            self._synced_to.pop(venv, None)
            return result
        self._synced_to[venv] = project
        return None

    def uv(self, project: Path, *arguments: str) -> CommandResult:
        """uv itself in the project, on its Python (`uv lock --upgrade`, say), as its
        team runs it; the project's environments are synced again before next use."""
        python = project_python(project)
        self._synced_to = {env: to for env, to in self._synced_to.items() if to != project}
        return run_command([self._uv, *arguments], project, self._environment(project, python))

    def start(
        self, project: Path, command: Sequence[str], output: IO[str], **variables: str
    ) -> subprocess.Popen[bytes]:
        """Start a long-running `uv run --no-sync <command>` in its own process group."""
        failed_sync = self.sync(project)
        if failed_sync is not None:
            pytest.fail(f"uv sync failed:\n{failed_sync.tail}", pytrace=False)
        return subprocess.Popen(
            [self._uv, "run", "--no-sync", *command],
            cwd=project,
            env=self._environment(project, project_python(project), **variables),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def run(
        self, project: Path, command: Sequence[str], python: str | None = None, **variables: str
    ) -> CommandResult:
        """`uv run --no-sync <command>` in the project with extra environment
        `variables`, its environment synced first (or the failed `uv sync`), on
        the project's Python or on `python` ("3.11")."""
        python = python or project_python(project)
        failed_sync = self.sync(project, python)
        if failed_sync is not None:
            return failed_sync
        return run_command(
            [self._uv, "run", "--no-sync", *command],
            project,
            self._environment(project, python, **variables),
        )


# ------------------------------------------------------------------ running services


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def package_of(project: RenderedProject) -> str:
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    return str(answers["package_name"])


@dataclass(frozen=True)
class Service:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def running(self) -> bool:
        return self.process.poll() is None


@contextmanager
def serving(
    environments: Environments, project: RenderedProject, log: Path, **variables: str
) -> Iterator[Service]:
    """Run the rendered service under uvicorn on a free loopback port.

    Stopped (its whole process group) when the block ends, whatever happened.
    """
    port = free_port()
    command = (
        "uvicorn",
        "--factory",
        f"{package_of(project)}.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    url = f"http://127.0.0.1:{port}"
    with log.open("w", encoding="utf-8") as output:
        process = environments.start(project.path, command, output, **variables)
        try:
            wait_until_listening(url, process, log)
            yield Service(url, process)
        finally:
            stop(process)


def wait_until_listening(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVICE_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited on start:\n{log.read_text()[-4000:]}", pytrace=False)
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(f"the service did not listen within {SERVICE_START_SECONDS} s", pytrace=False)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def serving_with_admin(
    environments: Environments,
    project: RenderedProject,
    directory: Path,
    email: str,
    password: str,
    database_url: str | None = None,
) -> Iterator[Service]:
    """The service on `database_url` (by default a new SQLite file in `directory`),
    migrated, with an admin made by its own CLI; its log is `directory/service.log`."""
    variables = {
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{directory / 'service.db'}",
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
    }
    migrated = environments.run(project.path, ("alembic", "upgrade", "head"), **variables)
    assert migrated.returncode == 0, migrated.tail
    create_admin = ("python", "-m", f"{package_of(project)}.cli", "create-admin", "--email", email)
    admin = environments.run(project.path, create_admin, ADMIN_PASSWORD=password, **variables)
    assert admin.returncode == 0, admin.tail
    with serving(environments, project, directory / "service.log", **variables) as service:
        yield service
