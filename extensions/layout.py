"""Where each component of a feature lives in the chosen layout.

The template writes every component once. Its file name and the imports other
files make of it are computed here from the `layout` answer, so the two layouts
share one source:

- layered (standard 002/004): `routers/project.py`, `services/project_service.py`,
  `repositories/project_repository.py`, `models/project.py`, `schemas/project.py`...
- feature-sliced (standard 001): `features/projects/{router,service,...}.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Every component of a resource (the built-in projects, and each one added later).
RESOURCE_COMPONENTS = (
    "router",
    "dependencies",
    "service",
    "repository",
    "schemas",
    "models",
    "exceptions",
)

# The service's features, each with its singular entity name and the components
# it has. Order is the order routers are mounted in; the projects resource is last.
CORE_FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "health": ("health", ("router", "dependencies", "service", "repository", "schemas")),
    "auth": (
        "auth",
        ("router", "dependencies", "service", "repository", "schemas", "models", "exceptions"),
    ),
    "users": ("user", RESOURCE_COMPONENTS),
}
# The built-in resource (extensions/resource.py's PROJECTS).
FEATURES = {**CORE_FEATURES, "projects": ("project", RESOURCE_COMPONENTS)}

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
# Components that know nothing of HTTP.
WEB_FREE = ("service", "repository", "models", "schemas", "exceptions")

# Test modules of a feature, relative to tests/.
LAYERED_TESTS = {
    "router": "integration/api/test_{entity}_router",
    "service": "unit/services/test_{entity}_service",
    "schemas": "unit/schemas/test_{entity}_schemas",
    # A resource's sample values, shared by its tests.
    "samples": "samples/{entity}",
}


# The core modules that mutation testing covers, with every service and the
# projects repository (issue 14): the code whose behaviour the suite must pin.
MUTATED_CORE = ("errors", "middleware", "pagination", "repository", "security")


@dataclass(frozen=True)
class Layout:
    kind: str  # "layered" or "feature-sliced"
    package: str
    # The resource being rendered: "projects" with the service, or the one a
    # team adds later. Specs may name it "resource" ("resource.service: X").
    resource: str = "projects"
    resource_entity: str = "project"

    @property
    def layered(self) -> bool:
        return self.kind == "layered"

    @property
    def features(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The features this render knows: the service's own, and the resource."""
        return {**FEATURES, self.resource: (self.resource_entity, RESOURCE_COMPONENTS)}

    def _relative_module(self, feature: str, component: str) -> str:
        entity, components = self.features[feature]
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
        entity, _ = self.features[feature]
        if self.layered:
            return LAYERED_TESTS[kind].format(entity=entity) + ".py"
        return "samples.py" if kind == "samples" else f"test_{kind}.py"

    def test_module(self, feature: str, kind: str) -> str:
        """Dotted import path of a feature's test module ('tests.samples.project')."""
        path = _join("tests", self.test_dir(feature), self.test_file(feature, kind))
        return path.removesuffix(".py").replace("/", ".")

    def layer_package(self, component: str) -> str:
        """The folder of a layer when layered ('routers'); '' when feature-sliced,
        so that Copier skips a template file named by it."""
        return LAYERED_MODULES[component].split(".")[0] if self.layered else ""

    @property
    def packages(self) -> list[str]:
        """Folders under the package that need an __init__.py, beyond core/."""
        if self.layered:
            return sorted({m.split(".")[0] for m in LAYERED_MODULES.values()})
        return ["features", *(f"features/{feature}" for feature in self.features)]

    def resource_paths(self, feature: str) -> list[str]:
        """Every file of a resource, relative to the project: what it adds to a service."""
        source = f"src/{self.package}"
        paths = [
            _join(source, self.feature_dir(feature), self.feature_file(feature, component))
            for component in RESOURCE_COMPONENTS
        ]
        if not self.layered:
            paths.append(_join(source, self.feature_dir(feature), "__init__.py"))
        paths += [
            _join("tests", self.test_dir(feature), self.test_file(feature, kind))
            for kind in LAYERED_TESTS
        ]
        return paths

    @property
    def mutation_paths(self) -> list[str]:
        """What `mutmut run` mutates (its `only_mutate` patterns; `*` spans folders).

        Every feature's service, a resource added later included.
        """
        source = f"src/{self.package}"
        services = "services/*_service.py" if self.layered else "features/*/service.py"
        projects_repository = self.feature_file("projects", "repository")
        return [
            f"{source}/{services}",
            *(f"{source}/core/{name}.py" for name in MUTATED_CORE),
            _join(source, self.feature_dir("projects"), projects_repository),
        ]

    def resolve(self, spec_module: str) -> str:
        """'projects.service' -> its module; 'core.config' -> '<package>.core.config'.

        'resource.<component>' is the resource being rendered. 'tests.<module>'
        stays as it is: the rendered tests' own helpers.
        """
        head, _, rest = spec_module.partition(".")
        if head == "resource":
            head = self.resource
        if head in self.features and rest and "." not in rest:
            return self.module(head, rest)
        if head == "tests":
            return spec_module
        return f"{self.package}.{spec_module}"

    def imports(self, *specs: str, indent: str = "") -> str:
        """First-party imports, a `from` line per spec (ruff sorts them as it renders).

        Each spec is "module: name, name as alias", where module is either
        "<feature>.<component>" or a path under the package ("core.config").
        `indent` is that of the call's line (an `if TYPE_CHECKING:` block): the
        lines after the first get it.
        """
        lines = []
        for spec in specs:
            module, _, names = spec.partition(":")
            lines.append(import_line(self.resolve(module.strip()), names.split(",")))
        return f"\n{indent}".join(lines)

    def feature_modules(self, feature: str) -> list[str]:
        """The modules of a feature: its folder, or its file in each layer."""
        if not self.layered:
            return [f"{self.package}.features.{feature}"]
        _, components = self.features[feature]
        return [self.module(feature, component) for component in components]


def _join(*parts: str) -> str:
    return "/".join(part for part in parts if part != ".")


def import_line(module: str, names: Iterable[str]) -> str:
    """`from module import names`."""
    return f"from {module} import {', '.join(name.strip() for name in names if name.strip())}"


def layout_of(context: dict[str, Any]) -> Layout | None:
    """The layout the answers chose, with the resource being rendered among its
    features; None while the questions are still being asked."""
    if "layout" not in context or "package_name" not in context:
        return None
    kind, package = context["layout"], context["package_name"]
    resource = context.get("resource")
    if resource:
        return Layout(kind, package, resource=resource.feature, resource_entity=resource.name)
    return Layout(kind, package)


def add_layout(context: dict[str, Any]) -> None:
    """Adds the layout helpers to every template's context.

    The resource being rendered (`resource`, put there by
    extensions/resource_answers.py before this runs) is one of the layout's features.
    """
    layout = layout_of(context)
    if layout is None:
        return  # still asking the questions
    kind, package, resource = layout.kind, layout.package, context.get("resource")

    def resource_files(plural: str, singular: str) -> list[str]:
        return Layout(kind, package, plural, singular).resource_paths(plural)

    def resource_test_module(plural: str, singular: str, test_kind: str) -> str:
        """A test module of another resource (one a `ref` field names)."""
        return Layout(kind, package, plural, singular).test_module(plural, test_kind)

    generating_resource = context.get("generate") == "resource" and resource is not None
    context.update(
        layered=layout.layered,
        features=list(layout.features),
        module=layout.module,
        feature_dir=layout.feature_dir,
        feature_file=layout.feature_file,
        test_dir=layout.test_dir,
        test_file=layout.test_file,
        test_module=layout.test_module,
        resource_test_module=resource_test_module,
        layer_package=layout.layer_package,
        imports=layout.imports,
        import_line=import_line,
        resource_files=resource_files,
        mutation_paths=layout.mutation_paths,
    )
    if generating_resource:
        # Everything is excluded but the resource's own files.
        kept = [
            *layout.resource_paths(resource.feature),
            f"alembic/versions/{context['resource_migration_file']}",
            ".copier-answers.*.yml",
        ]
        context["resource_exclusions"] = "\n".join(["*", *(f"!/{path}" for path in kept)])
