"""Rendered Python, formatted by ruff itself as part of rendering.

A template whose file renders to a `.py` file is rendered inside a `{%
ruff_formatted %}` block, added as the template is loaded, so the text Copier
writes is what `ruff check --select I --fix` (the imports) and `ruff format` make
of the rendered text, under the rendered service's own `[tool.ruff]` settings.
The templates are written as plain Python: how long a name is never decides
their layout. Being part of the render, rather than a task, it applies to every
render: `copier copy`, and both renders (the old release and the new) that
`copier update` compares, so formatting is never a difference between them.

The ruff that formats is the one installed beside Copier, at the version the
rendered service's dev dependencies pin (`RUFF_VERSION` in extensions/toolchain.py),
so the service's own `ruff format --check` agrees with it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from copier.errors import UserMessageError
from jinja2 import Environment, Template, TemplateNotFound, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context

# The file beside (or above) a template that holds the rendered service's ruff settings.
CONFIG_TEMPLATE = "pyproject.toml.jinja"


def ruff_binary(wanted: str) -> str:
    """The ruff installed beside Copier, when it is the version the service pins."""
    try:
        from ruff import find_ruff_bin  # a message of our own when it is missing
    except ImportError:
        find_ruff_bin = None
    binary = find_ruff_bin() if find_ruff_bin else shutil.which("ruff")
    installed = ""
    if binary:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        installed = version.stdout.split()[-1] if version.returncode == 0 else ""
    if installed != wanted:
        found = f"ruff {installed} is installed" if installed else "no ruff is installed"
        msg = (
            f"The template formats the Python it renders with ruff {wanted}, the "
            f"version the service's checks use; {found} beside Copier. Run Copier "
            f"with it: uvx --with copier-template-extensions --with ruff=={wanted} copier ..."
        )
        raise UserMessageError(msg)
    return binary


class RuffFormatting(Extension):
    """Formats each rendered Python file with ruff, as Copier renders it.

    Starting ruff once per file would cost more than the rest of a render. So
    the first Python file a render reaches has every Python template of the
    service rendered with the same answers, ruff formats them all at once, and
    Copier's own render of each takes its formatted text from there. A template
    not in that batch is formatted alone.
    """

    tags = frozenset({"ruff_formatted"})

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._binary = ""
        self._batching = False  # while the batch renders: the text as written
        self._batched: set[tuple[str, str]] = set()  # (root, answers)
        self._formatted: dict[tuple[str, str], str] = {}  # (template, answers) -> text
        self._plain: set[tuple[str, str]] = set()  # (template, answers) not Python
        self._names: dict[str, Template] = {}
        self._rendered_names: dict[tuple[str, str], str] = {}  # (name, answers) -> name
        self._roots: dict[str, str] = {}  # a template's folder -> its config root
        self._workspace = Path(tempfile.mkdtemp(prefix="template-ruff-"))
        weakref.finalize(self, shutil.rmtree, self._workspace, ignore_errors=True)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.endswith(".jinja"):
            return source  # a string from copier.yml, or a file copied as it is
        file_name = PurePosixPath(name).name.removesuffix(".jinja")
        if not file_name.endswith(".py") and "{" not in file_name:
            return source  # not Python, e.g. a library of macros others import
        return f"{{% ruff_formatted {name!r} %}}{source}{{% endruff_formatted %}}"

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        template = parser.parse_expression()
        body = parser.parse_statements(("name:endruff_formatted",), drop_needle=True)
        call = self.call_method("_render_formatted", [nodes.ContextReference(), template])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render_formatted(self, context: Context, template: str, caller: Callable[[], str]) -> str:
        if self._batching:
            return caller()
        answers = context.get_all()
        answers_key = _key(answers)
        key = (template, answers_key)
        if key in self._plain:
            return caller()
        root = self._config_root(template)
        if (root, answers_key) not in self._batched:
            self._batched.add((root, answers_key))
            self._batch(root, answers, answers_key)
        if key not in self._formatted:
            path = self._destination(template, root, answers, answers_key)
            if path is None:
                self._plain.add(key)
                return caller()
            formatted = self._format(root, answers, {path: caller()})
            self._formatted[key] = formatted[path]
        return self._formatted[key]

    def _batch(self, root: str, answers: dict[str, Any], key: str) -> None:
        """Render and format every Python template under `root` with `answers`."""
        templates, files = self._render_all(root, answers, key)
        formatted = self._format(root, answers, files)
        for template, path in templates.items():
            if path is None:
                self._plain.add((template, key))
            else:
                self._formatted[template, key] = formatted[path]

    def _destination(
        self, template: str, root: str, answers: dict[str, Any], answers_key: str
    ) -> str | None:
        """The file a template renders to, relative to `root`; None unless Python."""
        parts = PurePosixPath(template).relative_to(root).parts
        rendered = PurePosixPath(*(self._render_name(part, answers, answers_key) for part in parts))
        if rendered.with_suffix("").suffix != ".py":
            return None
        return rendered.with_suffix("").as_posix()

    def _render_name(self, text: str, answers: dict[str, Any], answers_key: str) -> str:
        if "{" not in text:
            return text
        key = (text, answers_key)
        if key not in self._rendered_names:
            if text not in self._names:
                self._names[text] = self.environment.from_string(text)
            self._rendered_names[key] = self._names[text].render(answers)
        return self._rendered_names[key]

    def _config_root(self, template: str) -> str:
        """The nearest folder above the template with the service's pyproject.toml."""
        folder = PurePosixPath(template).parent.as_posix()
        if folder in self._roots:
            return self._roots[folder]
        for above in PurePosixPath(template).parents:
            if self._exists((above / CONFIG_TEMPLATE).as_posix()):
                self._roots[folder] = above.as_posix()
                return above.as_posix()
        msg = f"no {CONFIG_TEMPLATE} above {template} to take ruff's settings from"
        raise UserMessageError(msg)

    def _exists(self, template: str) -> bool:
        try:
            self.environment.get_template(template)
        except TemplateNotFound:
            return False
        return True

    def _render_all(
        self, root: str, answers: dict[str, Any], key: str
    ) -> tuple[dict[str, str | None], dict[str, str]]:
        """Where each template under `root` renders to (None: not Python), and the
        Python files' text by path, rendered with `answers`.

        A template that does not render with them (one this render excludes) is
        left out: if Copier renders it after all, it is formatted alone.
        """
        templates: dict[str, str | None] = {}
        files: dict[str, str] = {}
        self._batching = True
        try:
            for template in self.environment.list_templates(filter_func=_under(root)):
                try:
                    if template.endswith(".py"):
                        # Copied as it is; there for ruff to tell first-party modules.
                        path = self._destination(template + ".jinja", root, answers, key)
                        files[str(path)] = self.environment.loader.get_source(  # type: ignore[union-attr]
                            self.environment, template
                        )[0]
                        continue
                    path = self._destination(template, root, answers, key)
                    if path is not None:
                        files[path] = self.environment.get_template(template).render(answers)
                    templates[template] = path
                except Exception:  # Copier reports it, if it renders the file
                    continue
        finally:
            self._batching = False
        return templates, files

    def _format(self, root: str, answers: dict[str, Any], files: dict[str, str]) -> dict[str, str]:
        """`files` (path: text) as ruff sorts their imports and formats them."""
        project = Path(tempfile.mkdtemp(dir=self._workspace))
        self._batching = True
        try:
            config = self.environment.get_template(f"{root}/{CONFIG_TEMPLATE}".lstrip("/"))
            (project / "pyproject.toml").write_text(config.render(answers), encoding="utf-8")
        finally:
            self._batching = False
        for path, text in files.items():
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_text(text, encoding="utf-8")
        # ruff's isort knows the service's own packages by their __init__.py.
        for folder in (project / "src").glob("**/"):
            (folder / "__init__.py").touch()
        if not self._binary:
            self._binary = ruff_binary(str(answers["ruff_version"]))
        self._ruff(project, "check", "--select", "I", "--fix")
        self._ruff(project, "format")
        formatted = {path: (project / path).read_text(encoding="utf-8") for path in files}
        shutil.rmtree(project, ignore_errors=True)
        return formatted

    def _ruff(self, project: Path, *arguments: str) -> None:
        completed = subprocess.run(
            [self._binary, *arguments, "--quiet", "--no-cache", "."],
            capture_output=True,
            text=True,
            cwd=project,
            check=False,
        )
        if completed.returncode != 0:
            msg = f"ruff {arguments[0]} failed on the rendered Python:\n{completed.stderr}"
            raise UserMessageError(msg)


def _key(answers: dict[str, Any]) -> str:
    """The answers a render's text depends on, as a key."""
    data = (str, int, float, bool, type(None), list, tuple, dict)
    return repr(sorted((k, v) for k, v in answers.items() if isinstance(v, data)))


def _under(root: str) -> Callable[[str], bool]:
    prefix = f"{root}/" if root else ""
    return lambda name: name.startswith(prefix) and name.endswith((".jinja", ".py"))
