"""extensions/layout.py: where components live, the import lines it writes, and
the import-linter contracts it derives, for both layouts."""

from __future__ import annotations

import tomllib
from pathlib import PurePosixPath

import pytest

from extensions.contracts import (
    contract_toml,
    import_contracts,
    repository_contract,
    users_contract,
)
from extensions.layout import FEATURES, LAYERS, RESOURCE_COMPONENTS, Layout
from tests.matrix import COPIER_YML, choice_questions
from tests.template_map import TEMPLATE, header, is_component, readme_table, rows, table

LAYOUTS = tuple(choice_questions()["layout"])
PACKAGE = "app"

ALL_COMPONENTS = [
    (feature, component)
    for feature, (_, components) in FEATURES.items()
    for component in components
]


@pytest.mark.parametrize("kind", LAYOUTS)
def test_imports_name_each_module_where_the_layout_puts_it(kind: str) -> None:
    """One `from` line per spec, the component resolved for the layout; ruff sorts
    and wraps them as the file renders (extensions/formatting.py)."""
    layout = Layout(kind=kind, package=PACKAGE)
    block = layout.imports(
        "projects.service: ProjectService", "core.config: Settings, get_settings"
    )
    assert block.splitlines() == [
        f"from {layout.module('projects', 'service')} import ProjectService",
        "from app.core.config import Settings, get_settings",
    ]


def test_an_indented_block_indents_every_line() -> None:
    block = Layout(kind="layered", package=PACKAGE).imports(
        "core.config: Settings", "users.models: User", indent="    "
    )
    assert block == ("from app.core.config import Settings\n    from app.models.user import User")


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
    contracts = import_contracts(layout)
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
    contract = users_contract(layout)
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
    contract = repository_contract(layout, "invoices")
    assert contract["type"] == "protected"
    assert contract["protected_modules"] == [layout.module("invoices", "repository")]
    assert contract["allowed_importers"] == [
        *(layout.module("invoices", c) for c in RESOURCE_COMPONENTS if c != "repository"),
        f"{PACKAGE}.cli",
    ]


def test_contract_toml_is_what_import_linter_reads() -> None:
    layout = Layout(kind="layered", package=PACKAGE)
    text = "".join(contract_toml(c) + "\n" for c in import_contracts(layout))
    parsed = tomllib.loads(text)["tool"]["importlinter"]["contracts"]
    assert parsed == [
        {key: value for key, value in contract.items() if key != "allow_indirect_imports"}
        for contract in import_contracts(layout)
    ]


def test_layered_layers_contract() -> None:
    contract = import_contracts(Layout(kind="layered", package=PACKAGE))[0]
    assert "containers" not in contract
    assert contract["layers"] == [
        "app.routers", "app.dependencies", "app.services", "app.repositories", "app.models",
    ]  # fmt: skip


def test_feature_sliced_layers_contract() -> None:
    contract = import_contracts(Layout(kind="feature-sliced", package=PACKAGE))[0]
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
