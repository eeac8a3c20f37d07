"""The import-linter contracts that encode the standard for a layout.

They go into the rendered pyproject.toml (`import_contracts`, `contract_toml`),
and the resource generator's task adds each new resource's repository contract.
"""

from __future__ import annotations

from typing import Any

from .layout import (
    FEATURES,
    LAYERED_MODULES,
    LAYERS,
    RESOURCE_COMPONENTS,
    WEB_FREE,
    Layout,
    layout_of,
)


def import_contracts(layout: Layout) -> list[dict[str, Any]]:
    """import-linter contracts that encode the standard for this layout.

    They name features by pattern wherever import-linter can, so that a
    resource added later is covered without editing them; the one contract
    that names a feature is each feature's own (see repository_contract).
    """
    package = layout.package
    if layout.layered:
        layers = [f"{package}.{LAYERED_MODULES[c].split('.')[0]}" for c in LAYERS]
        layer_contract: dict[str, Any] = {
            "name": "Layers: routers -> dependencies -> services -> repositories -> models",
            "type": "layers",
            "layers": layers,
        }
        web_free = [
            f"{package}.{LAYERED_MODULES[component].split('.')[0]}" for component in WEB_FREE
        ]
        features = [
            f"{package}.{LAYERED_MODULES[component].split('.')[0]}"
            for component in RESOURCE_COMPONENTS
        ]
    else:
        layer_contract = {
            "name": "Layers within each feature: router -> dependencies -> service "
            "-> repository -> models",
            "type": "layers",
            # Every feature, the team's own too; a feature may lack a layer.
            "containers": [f"{package}.features.*"],
            "layers": [f"({layer})" for layer in LAYERS],
        }
        web_free = [f"{package}.features.*.{component}" for component in WEB_FREE]
        features = [f"{package}.features"]
    contracts = [
        layer_contract,
        {
            "name": "Services, repositories, models, schemas and exceptions "
            "import nothing from FastAPI or Starlette",
            "type": "forbidden",
            "source_modules": web_free,
            "forbidden_modules": ["fastapi", "starlette"],
        },
        {
            "name": "The core imports no feature",
            "type": "forbidden",
            "source_modules": [f"{package}.core"],
            "forbidden_modules": features,
        },
    ]
    contracts.append(users_contract(layout))
    contracts += [
        repository_contract(layout, feature)
        for feature, (_, components) in FEATURES.items()
        if "repository" in components
    ]
    return contracts


def users_contract(layout: Layout) -> dict[str, Any]:
    """Every feature may build on users (the current user is theirs); users
    imports no other feature, directly or not, so no cycle runs through it."""
    return {
        "name": "The users feature imports no other feature",
        "type": "forbidden",
        "source_modules": layout.feature_modules("users"),
        "forbidden_modules": [
            module
            for feature in layout.features
            if feature != "users"
            for module in layout.feature_modules(feature)
        ],
    }


def repository_contract(layout: Layout, feature: str) -> dict[str, Any]:
    """Only the feature itself (and the CLI, a composition root) imports its repository.

    Another feature goes through this feature's service.
    """
    _, components = layout.features[feature]
    return {
        "name": f"Only the {feature} feature imports its repository",
        "type": "protected",
        "protected_modules": [layout.module(feature, "repository")],
        "allowed_importers": [
            *(layout.module(feature, c) for c in components if c != "repository"),
            f"{layout.package}.cli",
        ],
    }


CONTRACT_LISTS = (
    "containers",
    "layers",
    "source_modules",
    "forbidden_modules",
    "protected_modules",
    "allowed_importers",
)


def contract_toml(contract: dict[str, Any]) -> str:
    """One contract as a `[[tool.importlinter.contracts]]` table of pyproject.toml."""
    lines = [
        "[[tool.importlinter.contracts]]",
        f'name = "{contract["name"]}"',
        f'type = "{contract["type"]}"',
    ]
    for key in CONTRACT_LISTS:
        if key in contract:
            lines += [f"{key} = [", *(f'    "{item}",' for item in contract[key]), "]"]
    return "\n".join(lines) + "\n"


def add_contracts(context: dict[str, Any]) -> None:
    """Adds the contracts of the layout (extensions/layout.py) to the context."""
    layout = layout_of(context)
    if layout is not None:
        context.update(
            import_contracts=lambda: import_contracts(layout), contract_toml=contract_toml
        )
