"""The extensions copier.yml's `_jinja_extensions` names, from this template's own files.

copier-template-extensions loads a file named there by its path, as the module
`copier_template_extensions.<stem>`: the files of extensions/ could not import
each other by that name, and `copier update` renders two releases of the
template in one process, so a module imported once, under one name, would serve
the old release's code to the new. This file loads extensions/ as a package named
after its files' contents: each release's render uses its own files, and the
modules import each other relatively (as `extensions.<module>` does in the
template's tests and tasks).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_package(folder: Path) -> ModuleType:
    """`folder` as a package, named after its Python files' names and contents."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    name = f"template_extensions_{digest.hexdigest()[:16]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        if spec is None or spec.loader is None:
            msg = f"cannot load {folder} as a package"
            raise ImportError(msg)
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    return sys.modules[name]


_package = load_package(Path(__file__).resolve().parent)
TemplateContext = importlib.import_module(f"{_package.__name__}.context").TemplateContext
RuffFormatting = importlib.import_module(f"{_package.__name__}.formatting").RuffFormatting
