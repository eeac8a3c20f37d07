"""Where each component of a feature lives in the chosen layout.

The template writes every component once. Its file name and the imports other
files make of it are computed here from the `layout` answer, so the two layouts
share one source:

- layered (standard 002/004): `routers/project.py`, `services/project_service.py`,
  `repositories/project_repository.py`, `models/project.py`, `schemas/project.py`...
- feature-sliced (standard 001): `features/projects/{router,service,...}.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from copier_template_extensions import ContextHook

LINE_LENGTH = 88

# The service's features, each with its singular entity name and the components
# it has. Order is the order routers are mounted in.
FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "health": ("health", ("router", "dependencies", "service", "repository", "schemas")),
    "auth": ("auth", ("router", "dependencies", "service", "schemas", "exceptions")),
    "users": (
        "user",
        ("router", "dependencies", "service", "repository", "schemas", "models", "exceptions"),
    ),
    "projects": (
        "project",
        ("router", "dependencies", "service", "repository", "schemas", "models", "exceptions"),
    ),
}

# Layered module of each component, relative to the package ({entity} is singular).
LAYERED_MODULES = {
    "router": "routers.{entity}",
    "dependencies": "dependencies.{entity}",
    "service": "services.{entity}_service",
    "repository": "repositories.{entity}_repository",
    "schemas": "schemas.{entity}",
    "models": "models.{entity}",
    "exceptions": "exceptions.{entity}",
}

# Outer to inner: a layer may import the layers below it, never those above.
LAYERS = ("router", "dependencies", "service", "repository", "models")

# Test modules of a feature, relative to tests/.
LAYERED_TESTS = {
    "router": "integration/api/test_{entity}_router",
    "service": "unit/services/test_{entity}_service",
    "schemas": "unit/schemas/test_{entity}_schemas",
}


@dataclass(frozen=True)
class Layout:
    kind: str  # "layered" or "feature-sliced"
    package: str

    @property
    def layered(self) -> bool:
        return self.kind == "layered"

    def _relative_module(self, feature: str, component: str) -> str:
        entity, components = FEATURES[feature]
        if component not in components:
            msg = f"feature {feature!r} has no {component!r} component"
            raise KeyError(msg)
        if self.layered:
            return LAYERED_MODULES[component].format(entity=entity)
        return f"features.{feature}.{component}"

    def module(self, feature: str, component: str) -> str:
        """Dotted import path of a feature's component."""
        return f"{self.package}.{self._relative_module(feature, component)}"

    def feature_dir(self, feature: str) -> str:
        """Folder under the package that holds the feature ('.' when layered)."""
        return "." if self.layered else f"features/{feature}"

    def feature_file(self, feature: str, component: str) -> str:
        """File of a component, relative to feature_dir(feature)."""
        if self.layered:
            return self._relative_module(feature, component).replace(".", "/") + ".py"
        self._relative_module(feature, component)  # validates the component
        return f"{component}.py"

    def test_dir(self, feature: str) -> str:
        """Folder under tests/ that holds a feature's tests ('.' when layered)."""
        return "." if self.layered else f"features/{feature}"

    def test_file(self, feature: str, kind: str) -> str:
        """Test module of a feature, relative to test_dir(feature)."""
        entity, _ = FEATURES[feature]
        if self.layered:
            return LAYERED_TESTS[kind].format(entity=entity) + ".py"
        return f"test_{kind}.py"

    @property
    def packages(self) -> list[str]:
        """Folders under the package that need an __init__.py, beyond core/."""
        if self.layered:
            return sorted({m.split(".")[0] for m in LAYERED_MODULES.values()})
        return ["features", *(f"features/{feature}" for feature in FEATURES)]

    def resolve(self, spec_module: str) -> str:
        """'projects.service' -> its module; 'core.config' -> '<package>.core.config'.

        'tests.<module>' stays as it is: the rendered tests' own helpers.
        """
        head, _, rest = spec_module.partition(".")
        if head in FEATURES and rest and "." not in rest:
            return self.module(head, rest)
        if head == "tests":
            return spec_module
        return f"{self.package}.{spec_module}"

    def imports(self, *specs: str) -> str:
        """The first-party import block, sorted and wrapped as ruff's isort does.

        Each spec is "module: name, name as alias", where module is either
        "<feature>.<component>" or a path under the package ("core.config").
        """
        by_module: dict[str, set[str]] = {}
        for spec in specs:
            module, _, names = spec.partition(":")
            target = by_module.setdefault(self.resolve(module.strip()), set())
            target.update(name.strip() for name in names.split(",") if name.strip())
        lines: list[str] = []
        for module in sorted(by_module, key=_natural):
            names = sorted(by_module[module], key=_member_key)
            # As ruff does by default: plain names together, each alias on its own.
            plain = [name for name in names if " as " not in name]
            if plain:
                lines.append(_from_import(module, plain))
            lines.extend(_from_import(module, [name]) for name in names if " as " in name)
        return "\n".join(lines)

    def import_contracts(self) -> list[dict[str, Any]]:
        """import-linter contracts that encode the standard for this layout."""
        package = self.package
        if self.layered:
            layers = [f"{package}.{LAYERED_MODULES[c].split('.')[0]}" for c in LAYERS]
            layer_contract: dict[str, Any] = {
                "name": "Layers: routers -> dependencies -> services -> repositories -> models",
                "type": "layers",
                "layers": layers,
            }
        else:
            layer_contract = {
                "name": "Layers within each feature: router -> dependencies -> service "
                "-> repository -> models",
                "type": "layers",
                "containers": [f"{package}.features.{feature}" for feature in FEATURES],
                "layers": [
                    layer if all(layer in comps for _, comps in FEATURES.values()) else f"({layer})"
                    for layer in LAYERS
                ],
            }
        web_free = [
            self.module(feature, component)
            for feature, (_, components) in FEATURES.items()
            for component in ("service", "repository", "models", "schemas", "exceptions")
            if component in components
        ]
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
                "forbidden_modules": sorted(
                    {self.module(f, c) for f, (_, cs) in FEATURES.items() for c in cs}
                ),
            },
        ]
        repositories = {
            feature: self.module(feature, "repository")
            for feature, (_, components) in FEATURES.items()
            if "repository" in components
        }
        for feature, (_, components) in FEATURES.items():
            others = [module for other, module in repositories.items() if other != feature]
            contracts.append(
                {
                    "name": f"The {feature} feature never reaches into another "
                    "feature's repository",
                    "type": "forbidden",
                    "source_modules": [self.module(feature, c) for c in components],
                    "forbidden_modules": others,
                    # Through another feature's service is the right way in.
                    "allow_indirect_imports": True,
                }
            )
        return contracts


def _natural(text: str) -> list[int | str]:
    """Case-insensitive natural order, as ruff's isort sorts: v2 before v10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.lower())]


def _member_key(name: str) -> tuple[int, list[int | str]]:
    # ruff's isort (order-by-type): CONSTANTS, then Classes, then everything else.
    bare = name.split(" as ")[0]
    if bare.isupper() and len(bare) > 1:
        kind = 0
    elif bare[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, _natural(bare)


def _from_import(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{body})"


class LayoutContext(ContextHook):
    """Adds the layout helpers to every template's context."""

    def hook(self, context: dict[str, Any]) -> None:
        if "layout" not in context or "package_name" not in context:
            return  # still asking the questions
        layout = Layout(kind=context["layout"], package=context["package_name"])
        context.update(
            layered=layout.layered,
            features=list(FEATURES),
            module=layout.module,
            feature_dir=layout.feature_dir,
            feature_file=layout.feature_file,
            test_dir=layout.test_dir,
            test_file=layout.test_file,
            packages=layout.packages,
            imports=layout.imports,
            import_contracts=layout.import_contracts,
        )
