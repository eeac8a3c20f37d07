"""Invalid answers are refused with a message that says what is allowed.

Through Copier: with `defaults=True`, an answer given in `data` is parsed and
validated, and a bad one makes `run_copy` raise a plain `ValueError` before
anything is written. Its text is "Validation error for question '<name>': "
followed by the validator's message, or, for a value outside `choices`,
"Invalid choice for '<name>': <value> is not in [<allowed values>]".
Note that Copier does not validate *default* values in that mode, which is why
the defaults are checked against their validators here as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from jinja2 import Environment

from extensions.answers import (
    AnswerChecks,
    email_problem,
    name_problem,
    package_name_problem,
    slug_problem,
    slugify,
)
from extensions.resource import ResourceContext
from extensions.update import UpdateChecks
from tests.matrix import COPIER_YML, choice_questions

QUOTES_OR_BACKSLASHES = (
    "project_name must be printable text without double quotes or backslashes "
    "(it appears in docstrings and titles)."
)


def validation_error(question: str, message: str) -> str:
    return f"Validation error for question '{question}': {message}"


def not_kebab_case(value: str) -> str:
    return validation_error(
        "project_slug",
        f"project_slug {value!r} is not kebab-case: use lowercase letters, digits and "
        "single hyphens, starting with a letter (for example billing-service).",
    )


def not_identifier(value: str) -> str:
    return validation_error(
        "package_name",
        f"package_name {value!r} is not a valid Python identifier: use lowercase letters, "
        "digits and underscores, starting with a letter (for example billing_service).",
    )


def keyword(value: str) -> str:
    return validation_error(
        "package_name", f"package_name {value!r} is a Python keyword; choose another name."
    )


def not_lowercase(value: str) -> str:
    return validation_error(
        "package_name",
        f"package_name {value!r} must be lowercase (PEP 8 module names), "
        f"for example {value.lower()!r}.",
    )


def shadows_stdlib(value: str) -> str:
    return validation_error(
        "package_name",
        f"package_name {value!r} would shadow the standard library module of the same "
        "name; choose another name.",
    )


def shadows_dependency(value: str) -> str:
    return validation_error(
        "package_name",
        f"package_name {value!r} would shadow the {value!r} package that the service "
        "depends on; choose another name.",
    )


def not_email(value: str) -> str:
    return validation_error(
        "author_email",
        f"author_email {value!r} is not an e-mail address: expected the form name@example.com.",
    )


def without_question(message: str) -> str:
    """The validator's own message, without the prefix Copier adds."""
    return message.split(": ", 1)[1]


def invalid_choice(question: str, value: str) -> str:
    allowed = choice_questions()[question]
    return f"Invalid choice for {question!r}: {value!r} is not in {allowed!r}"


def invalid(question: str, answer: str, message: str) -> Any:
    return pytest.param(question, answer, message, id=f"{question}={answer}")


INVALID_ANSWERS = [
    invalid("project_slug", "My_Service", not_kebab_case("My_Service")),
    invalid("project_slug", "-x", not_kebab_case("-x")),
    invalid("project_slug", "a--b", not_kebab_case("a--b")),
    invalid("package_name", "my-app", not_identifier("my-app")),
    invalid("package_name", "1app", not_identifier("1app")),
    invalid("package_name", "class", keyword("class")),
    invalid("package_name", "match", keyword("match")),  # a soft keyword
    invalid("package_name", "json", shadows_stdlib("json")),
    invalid("package_name", "logging", shadows_stdlib("logging")),
    invalid("package_name", "fastapi", shadows_dependency("fastapi")),
    invalid("package_name", "sqlalchemy", shadows_dependency("sqlalchemy")),
    # Not in sys.stdlib_module_names, though CPython ships a `test` package.
    invalid("package_name", "test", shadows_dependency("test")),
    invalid("package_name", "App", not_lowercase("App")),
    invalid("author_email", "nobody", not_email("nobody")),
    invalid("author_email", "a@b", not_email("a@b")),
    invalid(
        "project_name", "", validation_error("project_name", "project_name must not be empty.")
    ),
    invalid(
        "project_name",
        'The "Best" Service',
        validation_error("project_name", QUOTES_OR_BACKSLASHES),
    ),
    invalid("layout", "hexagonal", invalid_choice("layout", "hexagonal")),
    invalid("orm", "peewee", invalid_choice("orm", "peewee")),
    invalid("logging", "loguru", invalid_choice("logging", "loguru")),
]


@pytest.mark.parametrize(("question", "answer", "message"), INVALID_ANSWERS)
def test_copier_refuses_invalid_answer(
    template_source: Path, tmp_path: Path, question: str, answer: str, message: str
) -> None:
    # An existing, empty destination: Copier's clean-up on error only removes a
    # destination it created, so whatever it wrote here would still be found.
    destination = tmp_path / "project"
    destination.mkdir()
    with pytest.raises(ValueError) as refusal:  # noqa: PT011 - the text is asserted below
        copier.run_copy(
            str(template_source),
            destination,
            data={question: answer},
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    assert str(refusal.value) == message
    assert list(destination.iterdir()) == []


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


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "project_name must not be empty."),
        ("   ", "project_name must not be empty."),
        (
            "42",
            "project_name must contain at least one letter (a-z), "
            "so that a slug can be derived from it.",
        ),
        ('The "Best" Service', QUOTES_OR_BACKSLASHES),
        ("Back\\slash", QUOTES_OR_BACKSLASHES),
        ("Tab\tService", QUOTES_OR_BACKSLASHES),
    ],
    ids=["empty", "blank", "no-letter", "double-quote", "backslash", "control-character"],
)
def test_name_problem(name: str, message: str) -> None:
    assert name_problem(name) == message


@pytest.mark.parametrize("slug", ["billing-service", "a", "api-v2", "x1-2y"])
def test_good_slugs(slug: str) -> None:
    assert slug_problem(slug) == ""


@pytest.mark.parametrize("slug", ["My_Service", "-x", "a--b", "billing-", "2fa", "", "a b"])
def test_bad_slugs(slug: str) -> None:
    assert slug_problem(slug) == without_question(not_kebab_case(slug))


@pytest.mark.parametrize("package", ["app", "billing_service", "svc2", "my_app"])
def test_good_package_names(package: str) -> None:
    assert package_name_problem(package) == ""


BAD_PACKAGE_NAMES = [
    ("my-app", not_identifier("my-app")),
    ("café", not_identifier("café")),  # an identifier, but not ASCII
    ("", not_identifier("")),
    ("None", keyword("None")),
    ("case", keyword("case")),  # a soft keyword
    ("Billing", not_lowercase("Billing")),
    ("asyncio", shadows_stdlib("asyncio")),
    ("pydantic", shadows_dependency("pydantic")),
    ("tests", shadows_dependency("tests")),
]


@pytest.mark.parametrize(
    ("package", "message"),
    BAD_PACKAGE_NAMES,
    ids=[package or "empty" for package, _ in BAD_PACKAGE_NAMES],
)
def test_bad_package_names(package: str, message: str) -> None:
    assert package_name_problem(package) == without_question(message)


@pytest.mark.parametrize("email", ["platform@example.com", "first.last+tag@sub.example.org"])
def test_good_emails(email: str) -> None:
    assert email_problem(email) == ""


@pytest.mark.parametrize("email", ["nobody", "a@b", "a b@example.com", "@example.com", "a@b.c"])
def test_bad_emails(email: str) -> None:
    assert email_problem(email) == without_question(not_email(email))


def test_defaults_pass_their_validators(tmp_path: Path) -> None:
    # Copier does not validate defaults when run with defaults=True: check them here.
    questions: dict[str, Any] = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    environment = Environment(extensions=[AnswerChecks, UpdateChecks, ResourceContext])
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
    environment = Environment(extensions=[AnswerChecks])
    rendered = environment.from_string("{{ 'Ünïcode API v2' | slugify }}").render()
    assert rendered == "unicode-api-v2"
    for name in ("name_problem", "slug_problem", "package_name_problem", "email_problem"):
        assert name in environment.filters
