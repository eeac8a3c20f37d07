"""Checks on the answers to copier.yml's questions.

Each `*_problem` filter returns an empty string for a good answer and, for a bad
one, the message Copier shows: what is wrong and what is allowed.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from copier.errors import UserMessageError
from jinja2 import Environment, meta

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


# What each answer must be, as each message about it begins: Copier shows a
# message on one line after "Validation error for question '<name>': ", so at
# 80 columns only its first 30 or so characters are seen.
NAME_RULE = "a name with a letter, e.g. Billing Service"
SLUG_RULE = "kebab-case, e.g. billing-service"
PACKAGE_RULE = "snake_case, e.g. billing_service"
EMAIL_RULE = "name@example.com"


def name_problem(value: str) -> str:
    if not value.strip():
        return f"{NAME_RULE}: it must not be empty."
    if '"' in value or "\\" in value or not value.isprintable():
        return (
            f'{NAME_RULE}, without ", \\ or control characters '
            "(it appears in docstrings and titles)."
        )
    if not slugify(value):
        return f"{NAME_RULE}: {value!r} has no letter a-z to derive the slug from."
    return ""


def slug_problem(value: str) -> str:
    if SLUG_PATTERN.fullmatch(value):
        return ""
    return (
        f"{SLUG_RULE}: {value!r} is not (lowercase letters, digits and single "
        "hyphens, starting with a letter)."
    )


def package_name_problem(value: str) -> str:
    if not value.isidentifier() or not value.isascii():
        return (
            f"{PACKAGE_RULE}: {value!r} is not a Python identifier (lowercase "
            "letters, digits and underscores, starting with a letter)."
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"{PACKAGE_RULE}, not a Python keyword such as {value!r}."
    if value != value.lower():
        return f"{PACKAGE_RULE}, lowercase: {value.lower()!r}, not {value!r} (PEP 8 module names)."
    if value in sys.stdlib_module_names:
        return (
            f"{PACKAGE_RULE}, not {value!r}: it would shadow the standard library "
            "module of that name."
        )
    if value in DEPENDENCY_IMPORT_NAMES:
        return (
            f"{PACKAGE_RULE}, not {value!r}: it would shadow the {value!r} package "
            "that the service depends on."
        )
    return ""


def email_problem(value: str) -> str:
    if EMAIL_PATTERN.fullmatch(value):
        return ""
    return f"{EMAIL_RULE}: {value!r} is not an e-mail address."


class AnswerRefused(UserMessageError, ValueError):
    """An answer the template refuses before asking or writing anything.

    Copier's command line prints a `UserMessageError` as its message alone and
    exits 1; the `ValueError` it raises for a bad `-d` answer comes with a
    traceback around the one line that matters.
    """


def given_answer_problem(question: str, problem: str) -> str:
    """How a bad answer given with -d is refused: the question, then what is allowed."""
    return f"{question}: {problem}"


def not_a_choice(question: str, allowed: list[str], value: object) -> str:
    return given_answer_problem(question, f"one of {', '.join(allowed)}; not {value!r}.")


def refuse(message: str) -> bool:
    """Stop Copier with `message`, or return True when there is none (for `when:`)."""
    if message:
        raise AnswerRefused(message)
    return True


@cache
def questions_of(template: Path) -> dict[str, dict[str, Any]]:
    """The questions of the template's copier.yml, by name."""
    questions = yaml.safe_load((template / "copier.yml").read_text(encoding="utf-8"))
    return {
        name: spec
        for name, spec in questions.items()
        if not name.startswith("_") and isinstance(spec, dict)
    }


def choice_values(spec: Mapping[str, Any]) -> list[str]:
    choices = spec.get("choices") or []
    return [str(value) for value in (choices.values() if isinstance(choices, dict) else choices)]


# The filters that copier.yml's defaults and validators use.
FILTERS = {
    "slugify": slugify,
    "name_problem": name_problem,
    "slug_problem": slug_problem,
    "package_name_problem": package_name_problem,
    "email_problem": email_problem,
    "refuse": refuse,
}


class AnswerChecks:
    """Refuses a bad answer given with `-d` before Copier asks anything.

    Copier validates an answer given with `-d` as it reaches its question and
    raises a `ValueError`, which its command line prints with a traceback. This
    check sees every render's context: as soon as the answers a given answer's
    validator reads are known, it runs that validator (and checks the choices),
    and a refusal stops Copier with the message alone. Each given answer is
    checked once.
    """

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._checked: set[tuple[str, str]] = set()
        self._checking = False

    def check(self, context: dict[str, Any]) -> None:
        conf = context["_copier_conf"]
        given = conf["data"]
        # An update's replays of the recorded answers (which carry `_commit`)
        # were checked when they were given.
        if self._checking or not given or "_commit" in given:
            return
        questions = questions_of(Path(conf["src_path"]))
        pending = [
            (name, value)
            for name, value in given.items()
            if name in questions and (name, repr(value)) not in self._checked
        ]
        # Copier blanks `answers_file` while it renders the answers file's name:
        # validators that read the answers file must wait for a later render.
        if pending and conf["answers_file"]:
            for name, value in pending:
                self._check(name, value, questions[name], context)

    def _check(
        self, name: str, value: Any, spec: Mapping[str, Any], context: dict[str, Any]
    ) -> None:
        allowed = choice_values(spec)
        if allowed and str(value) not in allowed:
            raise AnswerRefused(not_a_choice(name, allowed, value))
        validator = spec.get("validator")
        if validator:
            needed = meta.find_undeclared_variables(self.environment.parse(validator))
            if any(variable not in context and variable != name for variable in needed):
                return  # it reads an answer not given yet: checked on a later render
            self._checking = True
            try:
                message = self.environment.from_string(validator).render({**context, name: value})
            finally:
                self._checking = False
            if message.strip():
                raise AnswerRefused(given_answer_problem(name, message.strip()))
        self._checked.add((name, repr(value)))
