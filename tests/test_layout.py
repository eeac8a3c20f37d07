"""extensions/layout.py: where components live, the import blocks it writes, and
the import-linter contracts it derives, for both layouts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from extensions.layout import (
    FEATURES,
    LAYERS,
    LINE_LENGTH,
    RESOURCE_COMPONENTS,
    Layout,
    contract_toml,
)
from tests.matrix import COPIER_YML, choice_questions
from tests.template_map import TEMPLATE, header, is_component, readme_table, rows, table

LAYOUTS = tuple(choice_questions()["layout"])
PACKAGE = "app"

ALL_COMPONENTS = [
    (feature, component)
    for feature, (_, components) in FEATURES.items()
    for component in components
]


def ruff_isort_diff(source: str, package: str, directory: Path) -> str:
    """What ruff's isort would change in `source`, as a diff ('' when nothing).

    Isolated from any configuration except what a rendered project sets for
    imports: line length 88; `package` is first-party because, in the project, it
    is found under src/.
    """
    path = directory / "snippet.py"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable, "-m", "ruff", "check", "--select", "I", "--isolated",
            "--line-length", str(LINE_LENGTH),
            "--config", f"lint.isort.known-first-party = [{package!r}]",
            "--diff", str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def module_snippet(import_block: str) -> str:
    """A module as the template writes one: future import, stdlib, third party, ours."""
    return (
        "from __future__ import annotations\n\n"
        "import logging\n\n"
        "from fastapi import APIRouter\n\n"
        f"{import_block}\n\n"
        "logger = logging.getLogger(__name__)\n"
    )


def exactly(length: int) -> str:
    """A spec whose single import line is `length` characters long with package app."""
    prefix = f"from {PACKAGE}.core.config import "
    return "core.config: " + "n" * (length - len(prefix))


SPEC_MIXES = [
    pytest.param(PACKAGE, ("projects.service: ProjectService",), id="single"),
    pytest.param(
        PACKAGE,
        (
            "projects.service: ProjectService",
            "core.config: Settings, get_settings",
            "users.models: User",
            "auth.dependencies: current_user, CurrentUser",
            "health.schemas: HealthRead",
            "projects.repository: ProjectRepository",
        ),
        id="features-and-core",
    ),
    pytest.param(
        PACKAGE,
        (
            "core.config: get_settings, Settings, DEFAULT_PAGE_SIZE",
            "projects.schemas: ProjectRead, ProjectCreate, PROJECT_NAME_MAX, project_filter",
        ),
        id="constants-classes-functions",
    ),
    pytest.param(
        PACKAGE,
        (
            "projects.exceptions: ProjectNotFoundError, ProjectAlreadyExistsError, "
            "ProjectPermissionDeniedError",
            "users.repository: UserRepository",
        ),
        id="wrapped",
    ),
    pytest.param(
        PACKAGE,
        ("core.database: Base", "core.database: get_session", "projects.models: Project"),
        id="same-module-twice",
    ),
    pytest.param(
        PACKAGE,
        (
            "health.router: router as health_router",
            "projects.router: router as projects_router",
            "auth.router: router as auth_router",
            "users.router: router as users_router",
        ),
        id="lone-aliases",
    ),
    pytest.param(PACKAGE, (exactly(LINE_LENGTH),), id="line-at-limit"),
    pytest.param(PACKAGE, (exactly(LINE_LENGTH + 1),), id="line-over-limit"),
    pytest.param(
        "billing_service",
        (
            "users.service: UserService, hash_password",
            "core.security: create_access_token, decode_access_token, TokenPayload",
        ),
        id="other-package",
    ),
    pytest.param(
        PACKAGE,
        ("core.database: Base, get_session as session_dependency",),
        id="alias-beside-other-names",
    ),
    pytest.param(
        PACKAGE,
        ("core.v2: a", "core.v10: b", "core.config: Item2, Item10"),
        id="numbers",
    ),
]


@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize(("package", "specs"), SPEC_MIXES)
def test_imports_are_sorted_as_ruff_sorts_them(
    tmp_path: Path, kind: str, package: str, specs: tuple[str, ...]
) -> None:
    block = Layout(kind=kind, package=package).imports(*specs)
    diff = ruff_isort_diff(module_snippet(block), package, tmp_path)
    assert diff == "", f"ruff would reorder the block:\n{block}\n{diff}"


def test_imports_wrap_only_past_the_line_length() -> None:
    layout = Layout(kind="layered", package=PACKAGE)
    assert "\n" not in layout.imports(exactly(LINE_LENGTH))
    assert layout.imports(exactly(LINE_LENGTH + 1)).endswith(",\n)")


def test_an_indented_block_wraps_as_ruff_formats_it(tmp_path: Path) -> None:
    layout = Layout(kind="layered", package=PACKAGE)
    specs = (exactly(LINE_LENGTH - 4), "users.models: User")
    block = layout.imports(*specs, indent="    ")
    module = (
        "from __future__ import annotations\n\n"
        "from typing import TYPE_CHECKING\n\n"
        f"if TYPE_CHECKING:\n    {block}\n"
    )
    path = tmp_path / "indented.py"
    path.write_text(module, encoding="utf-8")
    formatted = subprocess.run(
        [
            sys.executable, "-m", "ruff", "format", "--isolated",
            "--line-length", str(LINE_LENGTH), "--diff", str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert formatted.returncode == 0, f"ruff would reformat:\n{module}\n{formatted.stdout}"
    assert "\n" not in layout.imports(exactly(LINE_LENGTH - 4), indent="    ")
    assert layout.imports(exactly(LINE_LENGTH - 3), indent="    ").endswith(",\n    )")


# ------------------------------------------------------------------------- mappings


@pytest.mark.parametrize(
    ("feature", "component", "module", "file"),
    [
        ("projects", "service", "app.services.project_service", "services/project_service.py"),
        (
            "users",
            "repository",
            "app.repositories.user_repository",
            "repositories/user_repository.py",
        ),
        ("health", "router", "app.routers.health", "routers/health.py"),
        ("auth", "dependencies", "app.dependencies.auth", "dependencies/auth.py"),
        ("users", "models", "app.models.user", "models/user.py"),
        ("projects", "schemas", "app.schemas.project", "schemas/project.py"),
        ("projects", "exceptions", "app.exceptions.project", "exceptions/project.py"),
    ],
)
def test_layered_mapping(feature: str, component: str, module: str, file: str) -> None:
    layout = Layout(kind="layered", package=PACKAGE)
    assert layout.module(feature, component) == module
    assert layout.feature_dir(feature) == "."
    assert layout.feature_file(feature, component) == file


@pytest.mark.parametrize(("feature", "component"), ALL_COMPONENTS)
def test_feature_sliced_mapping(feature: str, component: str) -> None:
    layout = Layout(kind="feature-sliced", package=PACKAGE)
    assert layout.module(feature, component) == f"app.features.{feature}.{component}"
    assert layout.feature_dir(feature) == f"features/{feature}"
    assert layout.feature_file(feature, component) == f"{component}.py"


@pytest.mark.parametrize("kind", LAYOUTS)
def test_files_match_modules(kind: str) -> None:
    """The file of each component is where Python finds its module, one file each."""
    layout = Layout(kind=kind, package=PACKAGE)
    files = []
    for feature, component in ALL_COMPONENTS:
        path = PurePosixPath(layout.feature_dir(feature), layout.feature_file(feature, component))
        files.append(path)
        assert ".".join((PACKAGE, *path.with_suffix("").parts)) == layout.module(feature, component)
        assert str(path.parent) in layout.packages, f"{path} is outside every package"
    assert len(set(files)) == len(files)


@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize(("feature", "component"), [("health", "models"), ("health", "exceptions")])
def test_missing_component_is_refused(kind: str, feature: str, component: str) -> None:
    layout = Layout(kind=kind, package=PACKAGE)
    with pytest.raises(KeyError, match=f"has no '{component}' component"):
        layout.module(feature, component)
    with pytest.raises(KeyError, match=f"has no '{component}' component"):
        layout.feature_file(feature, component)


def test_packages() -> None:
    assert Layout(kind="layered", package=PACKAGE).packages == [
        "dependencies", "exceptions", "models", "repositories", "routers", "schemas", "services",
    ]  # fmt: skip
    assert Layout(kind="feature-sliced", package=PACKAGE).packages == [
        "features",
        *(f"features/{feature}" for feature in FEATURES),
    ]


@pytest.mark.parametrize("kind", LAYOUTS)
def test_resolve(kind: str) -> None:
    layout = Layout(kind=kind, package=PACKAGE)
    assert layout.resolve("projects.service") == layout.module("projects", "service")
    assert layout.resolve("core.config") == "app.core.config"
    # Only "<feature>.<component>" names a component; anything deeper is a plain path.
    assert layout.resolve("projects.service.helpers") == "app.projects.service.helpers"


def test_test_modules() -> None:
    layered = Layout(kind="layered", package=PACKAGE)
    sliced = Layout(kind="feature-sliced", package=PACKAGE)
    assert layered.test_dir("projects") == "."
    assert layered.test_file("projects", "router") == "integration/api/test_project_router.py"
    assert layered.test_file("users", "service") == "unit/services/test_user_service.py"
    assert layered.test_file("users", "schemas") == "unit/schemas/test_user_schemas.py"
    assert sliced.test_dir("projects") == "features/projects"
    assert sliced.test_file("projects", "router") == "test_router.py"


# -------------------------------------------------------------------------- contracts


@pytest.mark.parametrize("kind", LAYOUTS)
def test_import_contracts_shape(kind: str) -> None:
    layout = Layout(kind=kind, package=PACKAGE)
    contracts = layout.import_contracts()
    names = [contract["name"] for contract in contracts]
    assert len(set(names)) == len(names), "contract names must be unique"
    repository_features = [f for f, (_, cs) in FEATURES.items() if "repository" in cs]
    # Layers, web-free, core-free, users-free, then one per feature that has a repository.
    assert [contract["type"] for contract in contracts] == [
        "layers",
        "forbidden",
        "forbidden",
        "forbidden",
        *["protected"] * len(repository_features),
    ]
    web_free, core_free = contracts[1], contracts[2]
    assert web_free["forbidden_modules"] == ["fastapi", "starlette"]
    assert not any(
        module.endswith(("router", "routers", "dependencies"))
        for module in web_free["source_modules"]
    )
    assert core_free["source_modules"] == [f"{PACKAGE}.core"]
    # Every component of every feature is inside what the core may not import.
    for module in {layout.module(f, c) for f, c in ALL_COMPONENTS}:
        assert any(
            module == forbidden or module.startswith(forbidden + ".")
            for forbidden in core_free["forbidden_modules"]
        ), module


@pytest.mark.parametrize("kind", LAYOUTS)
def test_users_imports_no_other_feature(kind: str) -> None:
    layout = Layout(kind=kind, package=PACKAGE, resource="invoices", resource_entity="invoice")
    contract = layout.users_contract()
    assert contract["type"] == "forbidden"

    def inside(module: str, modules: list[str]) -> bool:
        return any(module == m or module.startswith(m + ".") for m in modules)

    for feature, (_, components) in layout.features.items():
        for component in components:
            module = layout.module(feature, component)
            side = "source_modules" if feature == "users" else "forbidden_modules"
            assert inside(module, contract[side]), (module, side)


@pytest.mark.parametrize("kind", LAYOUTS)
def test_only_its_own_feature_imports_a_repository(kind: str) -> None:
    layout = Layout(kind=kind, package=PACKAGE, resource="invoices", resource_entity="invoice")
    contract = layout.repository_contract("invoices")
    assert contract["type"] == "protected"
    assert contract["protected_modules"] == [layout.module("invoices", "repository")]
    assert contract["allowed_importers"] == [
        *(layout.module("invoices", c) for c in RESOURCE_COMPONENTS if c != "repository"),
        f"{PACKAGE}.cli",
    ]


def test_contract_toml_is_what_import_linter_reads() -> None:
    layout = Layout(kind="layered", package=PACKAGE)
    text = "".join(contract_toml(c) + "\n" for c in layout.import_contracts())
    parsed = tomllib.loads(text)["tool"]["importlinter"]["contracts"]
    assert parsed == [
        {key: value for key, value in contract.items() if key != "allow_indirect_imports"}
        for contract in layout.import_contracts()
    ]


def test_layered_layers_contract() -> None:
    contract = Layout(kind="layered", package=PACKAGE).import_contracts()[0]
    assert "containers" not in contract
    assert contract["layers"] == [
        "app.routers", "app.dependencies", "app.services", "app.repositories", "app.models",
    ]  # fmt: skip


def test_feature_sliced_layers_contract() -> None:
    contract = Layout(kind="feature-sliced", package=PACKAGE).import_contracts()[0]
    # By pattern, so that a resource added later is inside it.
    assert contract["containers"] == ["app.features.*"]
    # Any feature may lack a layer (health has no models; a team's own may be a
    # router alone): each is optional, written in parentheses.
    assert contract["layers"] == [f"({layer})" for layer in LAYERS]
    assert [layer.strip("()") for layer in contract["layers"]] == list(LAYERS)


def test_the_readme_maps_every_template_file_to_its_output() -> None:
    assert readme_table(COPIER_YML.parent / "README.md") == table(), (
        "README.md's map is out of date: paste `uv run python -m tests.template_map`"
    )


def test_each_component_template_opens_naming_its_two_outputs() -> None:
    wrong = []
    for file, layered, sliced in rows():
        name = file.strip("`")
        if is_component(name):
            first = (TEMPLATE / name).read_text(encoding="utf-8").splitlines()[0]
            if first != header(layered, sliced, "resource.feature" in name):
                wrong.append(name)
    assert wrong == []
