"""Checks on the answers to copier.yml's questions.

Each `*_problem` filter returns an empty string for a good answer and, for a bad
one, the message Copier shows: what is wrong and what is allowed.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

from jinja2 import Environment
from jinja2.ext import Extension

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

# Import names of what a rendered service installs (runtime and dev), plus names
# that would be confused with its own folders. A package by one of these names
# would shadow the library it is named after.
DEPENDENCY_IMPORT_NAMES = frozenset(
    {
        "aiosqlite",
        "alembic",
        "annotated_types",
        "anyio",
        "argon2",
        "asyncpg",
        "click",
        "coverage",
        "email_validator",
        "fastapi",
        "greenlet",
        "grimp",
        "h11",
        "httpcore",
        "httpx",
        "importlinter",
        "jwt",
        "mako",
        "multipart",
        "mypy",
        "pwdlib",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "pytest_cov",
        "python_multipart",
        "ruff",
        "sniffio",
        "sqlalchemy",
        "sqlmodel",
        "starlette",
        "structlog",
        "test",
        "tests",
        "typing_extensions",
        "uvicorn",
        "xdist",
        "yaml",
    }
)


def slugify(value: str) -> str:
    """Turn a free-text name into a kebab-case slug: "My API v2" -> "my-api-v2"."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return re.sub(r"^[0-9-]+", "", slug)


def name_problem(value: str) -> str:
    if not value.strip():
        return "project_name must not be empty."
    if '"' in value or "\\" in value or not value.isprintable():
        return (
            "project_name must be printable text without double quotes or "
            "backslashes (it appears in docstrings and titles)."
        )
    if not slugify(value):
        return (
            "project_name must contain at least one letter (a-z), "
            "so that a slug can be derived from it."
        )
    return ""


def slug_problem(value: str) -> str:
    if SLUG_PATTERN.fullmatch(value):
        return ""
    return (
        f"project_slug {value!r} is not kebab-case: use lowercase letters, digits "
        "and single hyphens, starting with a letter (for example billing-service)."
    )


def package_name_problem(value: str) -> str:
    if not value.isidentifier() or not value.isascii():
        return (
            f"package_name {value!r} is not a valid Python identifier: use lowercase "
            "letters, digits and underscores, starting with a letter (for example "
            "billing_service)."
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"package_name {value!r} is a Python keyword; choose another name."
    if value != value.lower():
        return (
            f"package_name {value!r} must be lowercase (PEP 8 module names), "
            f"for example {value.lower()!r}."
        )
    if value in sys.stdlib_module_names:
        return (
            f"package_name {value!r} would shadow the standard library module of the "
            "same name; choose another name."
        )
    if value in DEPENDENCY_IMPORT_NAMES:
        return (
            f"package_name {value!r} would shadow the {value!r} package that the "
            "service depends on; choose another name."
        )
    return ""


def email_problem(value: str) -> str:
    if EMAIL_PATTERN.fullmatch(value):
        return ""
    return f"author_email {value!r} is not an e-mail address: expected the form name@example.com."


class AnswerChecks(Extension):
    """Registers the filters that copier.yml's defaults and validators use."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            slugify=slugify,
            name_problem=name_problem,
            slug_problem=slug_problem,
            package_name_problem=package_name_problem,
            email_problem=email_problem,
        )
