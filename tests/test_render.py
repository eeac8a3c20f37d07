"""What each combination renders: no template syntax left, the answers recorded,
the chosen layout's files and not the other's, the chosen libraries declared."""

from __future__ import annotations

import hashlib
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import yaml

from extensions.layout import FEATURES, Layout
from extensions.toolchain import DEPENDENCIES_AS_OF, PYTHON_VERSION
from tests.harness import RenderedProject, distribution_name
from tests.matrix import COPIER_YML, choice_questions
from tests.template_map import PACKAGE, rows
from tests.test_service_checks import declared_pythons

# `${{ ... }}` is GitHub Actions' expression syntax, which rendered workflows keep.
JINJA_MARKER = re.compile(r"(?<!\$)\{\{|\{%|\{#")

LAYOUTS = tuple(choice_questions()["layout"])


# Services have applied the initial migration: its file name, revision and text
# stay as released, though its projects table is now rendered from the resource
# spec (alembic/resource_table.jinja). SHA-256 of the file as released (unchanged
# since commit 4c283ae).
INITIAL_MIGRATION = "alembic/versions/2026_11_23_0001_initial.py"
INITIAL_MIGRATION_SHA256 = "da52d9fccffb960d8484f092d2d5fddcd9ba9811ec59ca12e1293b1ffa465e5b"


def answers_of(rendered: RenderedProject) -> dict[str, object]:
    answers: dict[str, object] = yaml.safe_load(
        (rendered.path / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    return answers


def layout_files(layout: Layout) -> set[PurePosixPath]:
    """The files a layout puts under src/: every component of every feature, and
    the __init__.py of every package that holds them."""
    package = PurePosixPath("src", layout.package)
    components = {
        package / layout.feature_dir(feature) / layout.feature_file(feature, component)
        for feature, (_, feature_components) in FEATURES.items()
        for component in feature_components
    }
    inits = {package / folder / "__init__.py" for folder in layout.packages}
    return components | inits


def dependency_names(pyproject: Path) -> set[str]:
    """Normalised distribution names of [project].dependencies."""
    requirements = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    return {distribution_name(requirement) for requirement in requirements}


def test_no_template_syntax_left(rendered: RenderedProject) -> None:
    leftovers = []
    for path in rendered.files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), start=1):
            if JINJA_MARKER.search(line):
                leftovers.append(f"{path.relative_to(rendered.path)}:{number}: {line.strip()}")
    assert not leftovers, f"{rendered.combination.id}: Jinja left in:\n" + "\n".join(leftovers)


def test_answers_are_recorded(rendered: RenderedProject) -> None:
    answers = answers_of(rendered)
    questions = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    # A service records every question it is asked: those without a `when` (what
    # is rendered is derived, and a resource's questions are asked of a resource).
    service_questions = [
        name for name, spec in questions.items() if not name.startswith("_") and "when" not in spec
    ]
    missing = sorted(q for q in service_questions if q not in answers)
    assert not missing, f"{rendered.combination.id}: answers file lacks {missing}"
    assert "generate" not in answers
    assert not any(name.startswith("resource_") for name in answers)
    for question, value in rendered.combination.answers:
        assert answers[question] == value, f"{rendered.combination.id}: {question}"


def test_layout_files_exist(rendered: RenderedProject) -> None:
    package = str(answers_of(rendered)["package_name"])
    expected = layout_files(Layout(kind=rendered.combination.data["layout"], package=package))
    missing = sorted(str(p) for p in expected if not (rendered.path / p).is_file())
    assert not missing, f"{rendered.combination.id}: missing files:\n" + "\n".join(missing)


def test_other_layout_files_absent(rendered: RenderedProject) -> None:
    package = str(answers_of(rendered)["package_name"])
    kind = rendered.combination.data["layout"]
    own = layout_files(Layout(kind=kind, package=package))
    others = set().union(
        *(layout_files(Layout(kind=other, package=package)) for other in LAYOUTS if other != kind)
    )
    strays = sorted(str(p) for p in others - own if (rendered.path / p).exists())
    assert not strays, f"{rendered.combination.id}: files of another layout:\n" + "\n".join(strays)


def test_mutation_testing_covers_each_module_it_names(rendered: RenderedProject) -> None:
    """Every `only_mutate` pattern matches a rendered module (mutmut would skip it
    silently), and together they take every service and the projects repository."""
    config = tomllib.loads((rendered.path / "pyproject.toml").read_text())["tool"]["mutmut"]
    modules = [
        str(path.relative_to(rendered.path)) for path in rendered.files if path.suffix == ".py"
    ]
    matched = {
        pattern: [module for module in modules if fnmatch(module, pattern)]
        for pattern in config["only_mutate"]
    }
    assert all(matched.values()), matched
    mutated = set().union(*matched.values())
    services = [
        module
        for module in modules
        if module.startswith("src/") and re.search(r"[_/]service\.py$", module)
    ]
    assert set(services) - mutated == set(), services
    assert any("project" in module and "repositor" in module for module in mutated)
    for copied in config["also_copy"]:
        assert (rendered.path / copied).exists(), copied


def test_orm_and_logging_dependencies(rendered: RenderedProject) -> None:
    names = dependency_names(rendered.path / "pyproject.toml")
    answers = rendered.combination.data
    assert ("sqlmodel" in names) == (answers["orm"] == "sqlmodel"), names
    assert ("structlog" in names) == (answers["logging"] == "structlog"), names


def test_compose_migrates_once_then_serves_on_postgresql(rendered: RenderedProject) -> None:
    """The wiring that `docker compose up` relies on, in every combination
    (tests/test_containers.py brings the default one up with podman)."""
    compose = yaml.safe_load((rendered.path / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    db, migrate, app = services["db"], services["migrate"], services["app"]
    package = answers_of(rendered)["package_name"]

    assert db["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    for service in (migrate, app):
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
    assert migrate["environment"] == app["environment"]

    # One-shot: a bounded wait for the database, then the migrations, once.
    steps = [step.strip() for step in migrate["command"][-1].split("&&")]
    assert steps == [
        f"python -m {package}.cli wait-for-db --timeout 60",
        "exec alembic upgrade head",
    ]
    assert migrate["restart"] == "no"
    # The web process starts after it succeeded, and does not migrate itself.
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "command" not in app


def test_one_python_version_everywhere(rendered: RenderedProject) -> None:
    """The Python of `.python-version` is the images' and the CI's (uv reads the
    file there), and one of those the project declares it supports."""
    python = (rendered.path / ".python-version").read_text(encoding="utf-8").strip()
    assert python == PYTHON_VERSION
    dockerfile = (rendered.path / "Dockerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM (\S+)", dockerfile, re.M) == [f"python:{python}-slim"] * 2
    workflow = yaml.safe_load(
        (rendered.path / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert not any("python-version" in step.get("with", {}) for step in steps)
    assert "uv sync --locked" in [step.get("run") for step in steps]

    pyproject = tomllib.loads((rendered.path / "pyproject.toml").read_text(encoding="utf-8"))
    declared = declared_pythons(rendered)
    assert python in declared
    assert pyproject["project"]["requires-python"] == f">={declared[0]}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + declared[0].replace(".", "")
    # Resolved as of the template's date: the versions its tests ran with.
    assert pyproject["tool"]["uv"]["exclude-newer"] == DEPENDENCIES_AS_OF


def test_the_initial_migration_is_the_one_services_applied(rendered: RenderedProject) -> None:
    migration = (rendered.path / INITIAL_MIGRATION).read_bytes()
    assert hashlib.sha256(migration).hexdigest() == INITIAL_MIGRATION_SHA256
    assert not (rendered.path / "alembic/resource_table").exists()


def test_each_file_the_map_names_is_rendered_there(rendered: RenderedProject) -> None:
    column = 1 if answers_of(rendered)["layout"] == "layered" else 2
    package = str(answers_of(rendered)["package_name"])
    named = [row[column] for row in rows() if re.fullmatch(r"`[^`<]+`", row[column])]
    missing = [
        path
        for path in (
            name.strip("`").replace(f"src/{PACKAGE}/", f"src/{package}/") for name in named
        )
        if not (rendered.path / path).is_file()
    ]
    assert named, "the map names no single path"
    assert missing == []
