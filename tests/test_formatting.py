"""extensions/formatting.py: a template rendering to Python comes out as ruff
sorts and formats it, under the pyproject.toml the template renders beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from copier.errors import UserMessageError
from jinja2 import Environment, FileSystemLoader

from extensions.formatting import RuffFormatting, ruff_binary
from extensions.toolchain import RUFF_VERSION

PYPROJECT = """\
[tool.ruff]
line-length = {{ line_length }}
src = ["src"]
"""

# Plain Python, as a template is written: the imports unsorted, a call of any length.
MODULE = """\
from __future__ import annotations
from {{ package }}.core import config
import sys
from pydantic import Field


class Settings:
    app_name: str = Field(default="{{ name }}", description="In titles")


print(sys, config)
"""


def render(tmp_path: Path, template: str, **answers: object) -> str:
    root = tmp_path / "template"
    (root / "src" / "{{ package }}" / "core").mkdir(parents=True)
    (root / "pyproject.toml.jinja").write_text(PYPROJECT, encoding="utf-8")
    (root / "src" / "{{ package }}" / "core" / "config.py.jinja").write_text(
        MODULE, encoding="utf-8"
    )
    (root / "notes.md.jinja").write_text("x = {{ name }}\n", encoding="utf-8")
    environment = Environment(
        loader=FileSystemLoader(tmp_path), extensions=[RuffFormatting], keep_trailing_newline=True
    )
    answers = {"ruff_version": RUFF_VERSION, "package": "billing", "line_length": 88, **answers}
    return environment.get_template(template).render(answers)


def test_a_python_template_renders_sorted_and_formatted(tmp_path: Path) -> None:
    rendered = render(tmp_path, "template/src/{{ package }}/core/config.py.jinja", name="Billing")
    assert rendered == (
        "from __future__ import annotations\n"
        "\n"
        "import sys\n"
        "\n"
        "from pydantic import Field\n"
        "\n"
        "from billing.core import config\n"
        "\n"
        "\n"
        "class Settings:\n"
        '    app_name: str = Field(default="Billing", description="In titles")\n'
        "\n"
        "\n"
        "print(sys, config)\n"
    )


def test_the_rendered_settings_decide_the_layout(tmp_path: Path) -> None:
    """A longer name, or a shorter line length, wraps the call as ruff does."""
    rendered = render(
        tmp_path, "template/src/{{ package }}/core/config.py.jinja", name="B", line_length=50
    )
    assert "    app_name: str = Field(\n        default=" in rendered


def test_other_templates_render_as_written(tmp_path: Path) -> None:
    assert render(tmp_path, "template/notes.md.jinja", name="Billing") == "x = Billing\n"


def test_another_ruff_version_is_refused_with_the_command_to_run() -> None:
    with pytest.raises(UserMessageError, match=r"--with ruff==0\.0\.1 copier"):
        ruff_binary("0.0.1")
    assert Path(ruff_binary(RUFF_VERSION)).exists()
