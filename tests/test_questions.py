"""Invalid answers are refused with a message that says what is allowed.

Through Copier: an answer given with `-d` (`data`) that its question refuses
stops Copier before anything is asked or written, with `AnswerRefused` (see
extensions/answers.py), which Copier's command line prints as the message
alone: "<question>: " and the validator's message, or, for a value outside
`choices`, the allowed values. Each message leads with what is allowed, since
Copier's prompt shows one line of it after its own 47-character prefix. Copier
does not validate *default* values under `--defaults`, which is why the
defaults are checked against their validators here as well.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from copier.errors import UserMessageError
from jinja2 import Environment

from extensions.answers import (
    EMAIL_RULE,
    NAME_RULE,
    PACKAGE_RULE,
    SLUG_RULE,
    AnswerRefused,
    email_problem,
    given_answer_problem,
    name_problem,
    not_a_choice,
    package_name_problem,
    slug_problem,
    slugify,
)
from extensions.context import TemplateContext
from extensions.messages import changelog_between
from tests.matrix import COPIER_YML, choice_questions

PROBLEMS: dict[str, Callable[[str], str]] = {
    "project_name": name_problem,
    "project_slug": slug_problem,
    "package_name": package_name_problem,
    "author_email": email_problem,
}


def refusal(question: str, answer: str) -> str:
    """The message Copier stops with when `answer` is given to `question` with -d."""
    if question in PROBLEMS:
        return given_answer_problem(question, PROBLEMS[question](answer))
    return not_a_choice(question, choice_questions()[question], answer)


def invalid(question: str, answer: str) -> Any:
    return pytest.param(question, answer, id=f"{question}={answer}")


INVALID_ANSWERS = [
    invalid("project_slug", "My_Service"),
    invalid("project_slug", "-x"),
    invalid("project_slug", "a--b"),
    invalid("package_name", "my-app"),
    invalid("package_name", "1app"),
    invalid("package_name", "class"),
    invalid("package_name", "match"),  # a soft keyword
    invalid("package_name", "json"),
    invalid("package_name", "logging"),
    invalid("package_name", "fastapi"),
    invalid("package_name", "sqlalchemy"),
    # Not in sys.stdlib_module_names, though CPython ships a `test` package.
    invalid("package_name", "test"),
    invalid("package_name", "App"),
    invalid("author_email", "nobody"),
    invalid("author_email", "a@b"),
    invalid("project_name", ""),
    invalid("project_name", 'The "Best" Service'),
    invalid("layout", "hexagonal"),
    invalid("orm", "peewee"),
    invalid("logging", "loguru"),
]


@pytest.mark.parametrize(("question", "answer"), INVALID_ANSWERS)
def test_copier_refuses_invalid_answer(
    template_source: Path, tmp_path: Path, question: str, answer: str
) -> None:
    # An existing, empty destination: Copier's clean-up on error only removes a
    # destination it created, so whatever it wrote here would still be found.
    destination = tmp_path / "project"
    destination.mkdir()
    # Copier loads extensions/answers.py under a name of its own: the class is
    # AnswerRefused, but not the object this module imports.
    with pytest.raises(UserMessageError) as refused:
        copier.run_copy(
            str(template_source),
            destination,
            data={question: answer},
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    assert type(refused.value).__name__ == AnswerRefused.__name__
    assert isinstance(refused.value, ValueError)  # what Copier raises for a bad answer
    assert str(refused.value) == refusal(question, answer)
    assert list(destination.iterdir()) == []


@pytest.mark.parametrize(
    ("question", "answer"),
    [("package_name", "my-app"), ("layout", "hexagonal")],
)
def test_the_command_line_prints_the_refusal_alone(
    template_source: Path, tmp_path: Path, question: str, answer: str
) -> None:
    copier_command = Path(sys.executable).with_name("copier")
    result = subprocess.run(
        [
            str(copier_command),
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "-d",
            f"{question}={answer}",
            str(template_source),
            str(tmp_path / "project"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [refusal(question, answer)]
    assert not (tmp_path / "project").exists()


def test_each_message_leads_with_what_is_allowed() -> None:
    assert name_problem("").startswith(NAME_RULE)
    assert slug_problem("My_Service").startswith(SLUG_RULE)
    for package in ("my-app", "class", "App", "json", "fastapi"):
        assert package_name_problem(package).startswith(PACKAGE_RULE), package
    assert email_problem("nobody").startswith(EMAIL_RULE)


def test_every_help_line_fits_an_80_column_terminal() -> None:
    # Copier prints a question's help after a 3-column mark; a longer line wraps
    # and, within prompt_toolkit's drawing, can hide what follows it.
    questions: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    long_lines = [
        line
        for name, spec in questions.items()
        if not name.startswith("_") and spec.get("ask", True) is not False
        for line in [*str(spec.get("help", "")).splitlines(), *(spec.get("choices") or [])]
        if len(line) + 5 > 80
    ]
    assert long_lines == []


# ------------------------------------------------------------------ filters directly


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Service", "my-service"),
        ("Ünïcode API v2", "unicode-api-v2"),
        ("  Billing -- Service  ", "billing-service"),
        ("2fast Service", "fast-service"),  # a slug starts with a letter
        ("42", ""),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["My Service", "Ünïcode API v2", "2fast Service", "x"])
def test_slug_derived_from_a_valid_name_is_valid(name: str) -> None:
    assert name_problem(name) == ""
    assert slug_problem(slugify(name)) == ""


# Each refusal leads with the rule (imported, not copied) and names what is wrong:
# the answer itself, or the characters or words that make it wrong.
@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("42", ["'42'", "letter"]),
        ('The "Best" Service', ['"']),
        ("Back\\slash", ["\\"]),
        ("Tab\tService", ["control"]),
    ],
    ids=["empty", "blank", "no-letter", "double-quote", "backslash", "control-character"],
)
def test_name_problem(name: str, names: list[str]) -> None:
    problem = name_problem(name)
    assert problem.startswith(NAME_RULE)
    assert all(word in problem for word in names)


@pytest.mark.parametrize("slug", ["billing-service", "a", "api-v2", "x1-2y"])
def test_good_slugs(slug: str) -> None:
    assert slug_problem(slug) == ""


@pytest.mark.parametrize("slug", ["My_Service", "-x", "a--b", "billing-", "2fa", "", "a b"])
def test_bad_slugs(slug: str) -> None:
    problem = slug_problem(slug)
    assert problem.startswith(SLUG_RULE)
    assert repr(slug) in problem


@pytest.mark.parametrize("package", ["app", "billing_service", "svc2", "my_app"])
def test_good_package_names(package: str) -> None:
    assert package_name_problem(package) == ""


# The answer, and what makes it wrong: the rule it breaks, or what it would shadow.
BAD_PACKAGE_NAMES = [
    ("my-app", ["identifier"]),
    ("café", ["identifier"]),  # an identifier, but not ASCII
    ("", ["identifier"]),
    ("None", ["keyword"]),
    ("case", ["keyword"]),  # a soft keyword
    ("Billing", ["lowercase", "'billing'"]),  # and the name it would take
    ("asyncio", ["shadow", "standard library"]),
    ("pydantic", ["shadow", "'pydantic' package"]),
    ("tests", ["shadow", "'tests' package"]),
]


@pytest.mark.parametrize(
    ("package", "names"),
    BAD_PACKAGE_NAMES,
    ids=[package or "empty" for package, _ in BAD_PACKAGE_NAMES],
)
def test_bad_package_names(package: str, names: list[str]) -> None:
    problem = package_name_problem(package)
    assert problem.startswith(PACKAGE_RULE)
    assert all(word in problem for word in [repr(package), *names])


@pytest.mark.parametrize("email", ["platform@example.com", "first.last+tag@sub.example.org"])
def test_good_emails(email: str) -> None:
    assert email_problem(email) == ""


@pytest.mark.parametrize("email", ["nobody", "a@b", "a b@example.com", "@example.com", "a@b.c"])
def test_bad_emails(email: str) -> None:
    problem = email_problem(email)
    assert problem.startswith(EMAIL_RULE)
    assert repr(email) in problem


def test_defaults_pass_their_validators(tmp_path: Path) -> None:
    # Copier does not validate defaults when run with defaults=True: check them here.
    questions: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    environment = Environment(extensions=[TemplateContext])
    # As Copier describes a new project: an empty destination, nothing given with -d.
    conf = {
        "dst_path": tmp_path,
        "answers_file": ".copier-answers.yml",
        "data": {},
        "defaults": True,
    }
    answers: dict[str, Any] = {"_copier_conf": conf}
    for name, spec in questions.items():
        if name.startswith("_") or "default" not in spec:
            continue
        if not yaml.safe_load(environment.from_string(str(spec.get("when", True))).render(answers)):
            continue  # not asked of a new service: a resource's question
        default = spec["default"]
        answers[name] = (
            environment.from_string(default).render(answers)
            if isinstance(default, str)
            else default
        )
        if "validator" in spec:
            problem = environment.from_string(spec["validator"]).render(answers).strip()
            assert problem == "", f"default of {name} ({answers[name]!r}): {problem}"
    assert answers["project_slug"] == "my-service"


def test_extension_registers_the_filters() -> None:
    environment = Environment(extensions=[TemplateContext])
    rendered = environment.from_string("{{ 'Ünïcode API v2' | slugify }}").render()
    assert rendered == "unicode-api-v2"
    for name in ("name_problem", "slug_problem", "package_name_problem", "email_problem"):
        assert name in environment.filters


# ------------------------------------------------------------ Copier's messages

CHANGELOG = """# Changelog

## [Unreleased]

### Fixed
- Past the last release.

## [0.3.0] - 2026-12-01

### Added
- Third.

## [0.2.0] - 2026-11-01

### Added
- Second.

## [0.1.0] - 2026-10-01

- First.
"""


@pytest.mark.parametrize(
    ("old", "new", "versions"),
    [
        ("v0.2.0", "v0.3.0", ["0.3.0"]),
        ("v0.1.0", "v0.3.0", ["0.3.0", "0.2.0"]),
        ("v0.1.0-4-g1a2b3c4", "v0.2.0", ["0.2.0"]),
        ("v0.2.0", "v0.3.0-2-gdced7d2", ["Unreleased", "0.3.0"]),
        ("v0.3.0", "v0.3.0", []),
        ("dced7d2", "v0.3.0", []),  # no release to count from: the message says so
    ],
)
def test_the_changelog_entries_an_update_brings(old: str, new: str, versions: list[str]) -> None:
    entries = changelog_between(CHANGELOG, old, new)
    assert re.findall(r"^## \[([^\]]+)\]", entries, re.M) == versions
