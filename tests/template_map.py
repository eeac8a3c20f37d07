"""The map from each template file to the path it renders to in each layout.

README.md's "How the template is built" has it as a table, which
tests/test_layout.py compares with this one. Print it after adding, moving or
removing a template file:

    uv run python -m tests.template_map
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import jinja2

from extensions.layout import Layout
from tests.matrix import COPIER_YML, choice_questions

TEMPLATE = COPIER_YML.parent / "template"
SUFFIX = ".jinja"
PACKAGE = "app"
# Imported by the migrations, never rendered (copier.yml's _exclude).
NOT_RENDERED = frozenset({"alembic/resource_table.jinja"})
# The built-in resource, as a service renders it; a resource added later is
# rendered from the same files under its own names.
RESOURCE = SimpleNamespace(feature="projects")
ADDED_MIGRATION = "<date>_<revision>_create_<plural>.py"
CHANGE_MIGRATION = "<date>_<revision>_change_<plural>_fields.py"


def template_files() -> list[str]:
    """Every file under template/, relative to it."""
    return sorted(
        path.relative_to(TEMPLATE).as_posix()
        for path in TEMPLATE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def rendered_path(template_file: str, layout: Layout) -> str:
    """Where Copier writes `template_file` in a new service of this layout."""
    if template_file in NOT_RENDERED:
        return "(not rendered)"
    if "resource_migration_file" in template_file:
        return f"`alembic/versions/{ADDED_MIGRATION}` (an added resource's only)"
    if "field_change_migration_file" in template_file:
        return f"`alembic/versions/{CHANGE_MIGRATION}` (an update that changes its fields)"
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = {
        "package_name": PACKAGE,
        "_copier_conf": SimpleNamespace(answers_file=".copier-answers.yml"),
        "resource": RESOURCE,
        "layered": layout.layered,
        "layer_package": layout.layer_package,
        "feature_dir": layout.feature_dir,
        "feature_file": layout.feature_file,
        "test_dir": layout.test_dir,
        "test_file": layout.test_file,
    }
    parts = [environment.from_string(part).render(context) for part in template_file.split("/")]
    if "" in parts:
        return "(not in this layout)"  # Copier skips a file whose name renders empty
    path = PurePosixPath(*parts).as_posix()
    return f"`{path.removesuffix(SUFFIX)}`"


def rows() -> list[tuple[str, str, str]]:
    """(template file, its path in a layered service, in a feature-sliced one)."""
    layered, sliced = (Layout(kind, PACKAGE) for kind in choice_questions()["layout"])
    assert layered.layered
    assert not sliced.layered
    return [
        (f"`{file}`", rendered_path(file, layered), rendered_path(file, sliced))
        for file in template_files()
    ]


def is_component(template_file: str) -> bool:
    """A feature's component or test module, written once for both layouts."""
    return "feature_file(" in template_file or "test_file(" in template_file


def header(layered: str, sliced: str, added_resource: bool) -> str:
    """The one-line Jinja comment a component template opens with."""
    paths = (path.strip("`").removeprefix(f"src/{PACKAGE}/") for path in (layered, sliced))
    note = "; an added resource's under its own names" if added_resource else ""
    return "{{#- Renders to {} (layered) and {} (feature-sliced){}. -#}}".format(*paths, note)


def table() -> str:
    lines = ["| template file | layered | feature-sliced |", "|---|---|---|"]
    lines += [f"| {file} | {layered} | {sliced} |" for file, layered, sliced in rows()]
    return "\n".join(lines)


def readme_table(readme: Path) -> str:
    """The map's table as README.md has it: the table after its header row."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = lines.index("| template file | layered | feature-sliced |")
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


if __name__ == "__main__":
    print(table())
