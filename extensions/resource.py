"""A resource: an owned, paginated, soft-deleted CRUD feature, described by its fields.

The built-in `projects` feature and every resource a team adds later with
`-d generate=resource` are rendered from the same template files. What differs
between them is a `Resource`: its names (from the singular), and its fields
(from a spec such as `number:str! amount:decimal due:date paid:bool note:text?`).
Each field type knows its Python type, its validation, its column and its
migration, and the sample values the generated tests use.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from copier_template_extensions import ContextHook
from jinja2 import Environment

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# How a message about a name begins (Copier shows only its first 30 or so characters).
IDENTIFIER_RULE = "snake_case, e.g. line_item"

# Column names every resource has; a field may not take them.
BUILT_IN_COLUMNS = frozenset({"id", "owner_id", "created_at", "updated_at", "deleted_at"})
# Names a model or schema class already uses for something else.
CLASS_ATTRIBUTES = frozenset({"metadata", "registry", "model_config", "model_fields"})
# In a class body, a field by one of these names would hide the type it names.
TYPE_NAMES = frozenset({"bool", "date", "datetime", "decimal", "float", "int", "str", "uuid"})


@dataclass(frozen=True)
class FieldType:
    python: str  # annotation in models and responses
    schema: str  # pydantic Field() arguments that validate it, "" when none
    column: str  # SQLAlchemy column type
    migration: str  # the same type as Alembic writes it
    sqlmodel: str  # SQLModel Field() arguments beyond default=None, "" when none
    samples: tuple[str, str]  # two valid values, as Python source of their JSON
    invalid: tuple[str, ...]  # values the API refuses with a 422
    numbered: str  # a distinct value per number `n`, as Python source
    request_python: str = ""  # annotation in request schemas, when not `python`


FIELD_TYPES: dict[str, FieldType] = {
    "str": FieldType(
        python="str",
        schema="min_length=1, max_length=255",
        column="String(255)",
        migration="sa.String(length=255)",
        sqlmodel="max_length=255",
        samples=('"Apollo"', '"Artemis"'),
        # Stripped before its length is checked; NUL is what PostgreSQL cannot store.
        invalid=('""', '"   "', '"x" * 256', '"Apollo\\x00"'),
        numbered='f"p{n}"',
    ),
    "slug": FieldType(
        python="str",
        schema="min_length=1, max_length=255, pattern=SLUG_PATTERN",
        column="String(255)",
        migration="sa.String(length=255)",
        sqlmodel="max_length=255",
        samples=('"apollo"', '"artemis"'),
        invalid=('""', '"   "', '"Not A Slug"', '"apollo--11"', '"x" * 256', '"apollo\\x00"'),
        numbered='f"p{n}"',
    ),
    "text": FieldType(
        python="str",
        schema="max_length=2000",
        column="String(2000)",
        migration="sa.String(length=2000)",
        sqlmodel="max_length=2000",
        samples=('"To the moon"', '"And back"'),
        invalid=('"x" * 2001', '"To the\\x00moon"'),
        numbered='f"p{n}"',
    ),
    "int": FieldType(
        python="int",
        request_python="WholeNumber",  # 42 or 42.0, as JSON Schema, not "42"
        # A PostgreSQL integer: anything wider would be a database error, not a 422.
        schema="ge=-2_147_483_648, le=2_147_483_647",
        column="Integer()",
        migration="sa.Integer()",
        sqlmodel="",
        samples=("42", "7"),
        invalid=("2_147_483_648", "-2_147_483_649", '"many"', '"42"', "42.5"),
        numbered="n",
    ),
    "float": FieldType(
        python="float",
        schema="strict=True, allow_inf_nan=False",
        column="Float()",
        migration="sa.Float()",
        sqlmodel="",
        samples=("1.5", "-0.25"),
        invalid=('"NaN"', '"Infinity"', "10**400", '"a lot"', '"1.5"'),
        numbered="n + 0.5",
    ),
    "decimal": FieldType(
        python="Decimal",
        request_python="DecimalString",  # its pattern is NUMERIC(12, 2)
        schema="",
        column="Numeric(12, 2)",
        migration="sa.Numeric(precision=12, scale=2)",
        sqlmodel="max_digits=12, decimal_places=2",
        samples=('"1234.50"', '"-0.75"'),
        invalid=('"12.345"', '"1e12"', '"NaN"', "12.5", '"12345678901.5"'),
        numbered='f"{n}.25"',
    ),
    "bool": FieldType(
        python="bool",
        schema="strict=True",
        column="Boolean()",
        migration="sa.Boolean()",
        sqlmodel="",
        samples=("True", "False"),
        invalid=('"maybe"', "0"),
        numbered="n % 2 == 0",
    ),
    "date": FieldType(
        python="date",
        request_python="DateString",
        schema="",
        column="Date()",
        migration="sa.Date()",
        sqlmodel="",
        samples=('"2026-01-31"', '"2026-12-01"'),
        invalid=('"2026-02-30"', '"tomorrow"', "0", '"10000-01-01"'),
        numbered='f"2026-01-{n + 1:02d}"',
    ),
    "datetime": FieldType(
        python="datetime",
        request_python="AwareDateTimeString",
        schema="",
        column="UTCDateTime()",
        migration="sa.DateTime(timezone=True)",
        sqlmodel="sa_type=UTCDateTime",
        samples=('"2026-01-31T12:00:00Z"', '"2026-12-01T08:30:00Z"'),
        # Without an offset the moment is ambiguous: refused, never guessed. It is
        # stored in UTC, so it must exist there.
        invalid=(
            '"2026-01-31T12:00:00"',
            '"noon"',
            "0",
            '"0001-01-01T00:00:00+01:00"',
            '"9999-12-31T23:30:00-01:00"',
        ),
        numbered='f"2026-01-{n + 1:02d}T12:00:00Z"',
    ),
    "uuid": FieldType(
        python="uuid.UUID",
        schema="",
        column="Uuid()",
        migration="sa.Uuid()",
        sqlmodel="",
        samples=(
            '"8b9c6f3e-2d4a-4c1b-9e7f-0a1b2c3d4e5f"',
            '"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"',
        ),
        invalid=('"not-a-uuid"',),
        numbered='f"00000000-0000-4000-8000-{n:012d}"',
    ),
}

# The types a team may use in a spec (`slug` too: the built-in projects use it).
SPEC_TYPES = tuple(FIELD_TYPES)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    optional: bool = False
    unique: bool = False

    @property
    def kind(self) -> FieldType:
        return FIELD_TYPES[self.type]

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")

    @property
    def class_name(self) -> str:
        return pascal(self.name)

    def _optional(self, python: str) -> str:
        return f"{python} | None" if self.optional else python

    @property
    def model_line(self) -> str:
        """The SQLAlchemy declaration: `name: Mapped[str] = mapped_column(String(255))`."""
        annotation = f"Mapped[{self._optional(self.kind.python)}]"
        return f"    {self.name}: {annotation} = mapped_column({self.kind.column})"

    @property
    def sqlmodel_line(self) -> str:
        arguments = [*(["default=None"] if self.optional else []), *_split(self.kind.sqlmodel)]
        return _field_line(self.name, self._optional(self.kind.python), arguments)

    @property
    def request_python(self) -> str:
        return self.kind.request_python or self.kind.python

    @property
    def create_line(self) -> str:
        arguments = [*(["default=None"] if self.optional else []), *_split(self.kind.schema)]
        return _field_line(self.name, self._optional(self.request_python), arguments)

    @property
    def update_line(self) -> str:
        arguments = ["default=None", *_split(self.kind.schema)]
        return _field_line(self.name, f"{self.request_python} | None", arguments)

    @property
    def response_line(self) -> str:
        return f"    {self.name}: {self._optional(self.kind.python)}"

    @property
    def migration_line(self) -> str:
        return f'        sa.Column("{self.name}", {self.kind.migration}, nullable={self.optional}),'

    @property
    def samples(self) -> tuple[str, str]:
        return self.kind.samples

    @property
    def invalid(self) -> tuple[str, ...]:
        return self.kind.invalid

    @property
    def numbered(self) -> str:
        return self.kind.numbered


def _split(arguments: str) -> list[str]:
    return [argument.strip() for argument in arguments.split(", ") if argument.strip()]


def _field_line(name: str, annotation: str, arguments: list[str]) -> str:
    if not arguments:
        return f"    {name}: {annotation}"
    if arguments == ["default=None"]:
        return f"    {name}: {annotation} = None"
    return f"    {name}: {annotation} = Field({', '.join(arguments)})"


class SpecError(ValueError):
    """A resource or field spec that cannot be rendered; the message says why."""


def pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def pluralize(singular: str) -> str:
    """English plural of the last word: invoice -> invoices, category -> categories."""
    if not singular:
        return ""
    head, _, last = singular.rpartition("_")
    if re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    else:
        last += "s"
    return f"{head}_{last}" if head else last


def parse_fields(spec: str) -> tuple[Field, ...]:
    """`name:type` words, `?` after the type for optional, `!` for unique per owner."""
    fields: list[Field] = []
    for word in spec.split():
        name, colon, kind = word.partition(":")
        if not colon or not name:
            msg = f"name:type words, e.g. amount:decimal note:text?; {word!r} is not one"
            raise SpecError(msg)
        marks = kind[len(kind.rstrip("?!")) :]
        kind = kind.rstrip("?!")
        optional, unique = "?" in marks, "!" in marks
        if optional and unique:
            msg = f"`?` (optional) or `!` (unique), not both: field {name!r} has both"
            raise SpecError(msg)
        if kind not in FIELD_TYPES:
            types = ", ".join(SPEC_TYPES)
            msg = f"types {types}; field {name!r} has the unknown type {kind!r}"
            raise SpecError(msg)
        problem = identifier_problem(name, "field name", longest=26)
        if problem:
            raise SpecError(problem)
        taken = BUILT_IN_COLUMNS | CLASS_ATTRIBUTES | TYPE_NAMES
        if name in taken or name.startswith("model_"):
            msg = (
                f"a name of its own: field name {name!r} is taken; every resource has "
                f"{', '.join(sorted(BUILT_IN_COLUMNS))}; models and schemas use "
                f"{', '.join(sorted(CLASS_ATTRIBUTES | TYPE_NAMES))} and the model_ prefix"
            )
            raise SpecError(msg)
        if any(field.name == name for field in fields):
            msg = f"each field once: field {name!r} is given twice"
            raise SpecError(msg)
        if unique and kind in ("bool", "float"):
            msg = f"`!` (unique) on a type of many values: a {kind} ({name!r}) has too few"
            raise SpecError(msg)
        fields.append(Field(name, kind, optional=optional, unique=unique))
    if not fields:
        msg = "at least one field, e.g. number:str! amount:decimal due:date"
        raise SpecError(msg)
    return tuple(fields)


def identifier_problem(name: str, what: str, longest: int = 24) -> str:
    if len(name) > longest:
        # PostgreSQL cuts names of constraints at 63 characters; they hold these.
        return f"at most {longest} characters: {what} {name!r} has {len(name)}"
    if not NAME_PATTERN.fullmatch(name):
        return (
            f"{IDENTIFIER_RULE}: {what} {name!r} is not (lowercase letters, digits and "
            "single underscores, starting with a letter)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{IDENTIFIER_RULE}, not a Python keyword: {what} {name!r} is one"
    return ""


@dataclass(frozen=True)
class Resource:
    name: str  # singular, snake_case: line_item
    plural: str  # line_items: the feature, the table, the URL (with hyphens)
    fields: tuple[Field, ...]

    @property
    def feature(self) -> str:
        return self.plural

    @property
    def class_name(self) -> str:
        return pascal(self.name)

    @property
    def title(self) -> str:
        return self.name.replace("_", " ")

    @property
    def plural_title(self) -> str:
        return self.plural.replace("_", " ")

    @property
    def url(self) -> str:
        return "/api/v1/" + self.plural.replace("_", "-")

    @property
    def tag(self) -> str:
        return self.plural.replace("_", "-")

    @property
    def id_param(self) -> str:
        return f"{self.name}_id"

    @cached_property
    def required(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if not field.optional)

    @cached_property
    def optional(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.optional)

    @cached_property
    def unique(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.unique)

    def uses(self, *types: str) -> bool:
        return any(field.type in types for field in self.fields)

    def stdlib_imports(self, *always: str) -> str:
        """`import uuid` / `from datetime import ...` / `from decimal import Decimal`.

        `always` names what the file needs whatever the fields are: "uuid",
        "date", "datetime", "Decimal".
        """
        needed = set(always)
        for field in self.fields:
            needed.update(
                {"uuid": {"uuid"}, "date": {"date"}, "decimal": {"Decimal"}}.get(field.type, set())
            )
        lines = ["import uuid"] if "uuid" in needed else []
        dates = sorted(needed & {"date", "datetime"})
        if dates:
            lines.append(f"from datetime import {', '.join(dates)}")
        if "Decimal" in needed:
            lines.append("from decimal import Decimal")
        return "\n".join(lines)

    @property
    def taken_errors(self) -> list[str]:
        return [f"{field.class_name}TakenError" for field in self.unique]

    @property
    def not_null(self) -> str:
        """The update schema's NOT_NULL: the fields that may be left out, not cleared."""
        names = ", ".join(f'"{f.name}"' for f in self.required)
        return f"    NOT_NULL = frozenset({{{names}}})"

    @property
    def article(self) -> str:
        return "an" if self.title[0] in "aeiou" else "a"

    @property
    def sqlalchemy_names(self) -> list[str]:
        """What the SQLAlchemy model imports from sqlalchemy."""
        names = {"ForeignKey", *(f.kind.column.split("(")[0] for f in self.fields)}
        names.discard("UTCDateTime")  # the service's own, from core.database
        return sorted(names | self.sqlmodel_names)

    @property
    def sqlmodel_names(self) -> set[str]:
        """What the SQLModel model imports from sqlalchemy."""
        return {"Index", "text"} if self.unique else set()

    @property
    def pydantic_names(self) -> list[str]:
        lines = [f.create_line + f.update_line for f in self.fields]
        names = {"BaseModel", "ConfigDict"}
        if any("Field(" in line for line in lines):
            names.add("Field")
        return sorted(names)

    @property
    def core_schema_names(self) -> str:
        """What the schemas import from core.schemas."""
        names = {"PartialUpdate", "RequestModel"}
        names.update(f.request_python for f in self.fields if f.kind.request_python)
        return ", ".join(sorted(names))


# The built-in feature every service starts with, rendered from the same files.
PROJECTS = Resource(
    name="project",
    plural="projects",
    fields=parse_fields("name:str slug:slug! description:text?"),
)


# Names a resource may not take: the service's own features and packages.
RESERVED_NAMES = frozenset(
    {
        "auth",
        "cli",
        "core",
        "feature",
        "features",
        "health",
        "main",
        "project",
        "projects",
        "resource",
        "resources",
        "test",
        "tests",
        "user",
        "users",
    }
)

# The lines tasks/register_resource.py adds to; a service without them predates
# the resource generator (copier update brings them).
REGISTRIES = {
    "src/{package}/main.py": "ROUTERS = (\n",
    "alembic/env.py": "TABLES = (\n",
    "pyproject.toml": "[[tool.importlinter.contracts]]\n",
}


def recorded_service(conf: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of the service a resource is added to, or {} outside a service."""
    path = Path(conf["dst_path"]) / ".copier-answers.yml"
    try:
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return answers if isinstance(answers, dict) else {}


def alembic_heads(project: Path) -> list[str]:
    """Revisions of alembic/versions that no other revision revises."""
    revisions: dict[str, list[str]] = {}
    for path in sorted((project / "alembic" / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision(?::[^=]*)?=\s*["\']([^"\']+)["\']', source, re.M)
        if revision is None:
            continue
        down = re.search(r"^down_revision(?::[^=]*)?=\s*(.+)$", source, re.M)
        parents = re.findall(r'["\']([^"\']+)["\']', down.group(1)) if down else []
        revisions[revision.group(1)] = parents
    revised = {parent for parents in revisions.values() for parent in parents}
    return [revision for revision in revisions if revision not in revised]


def new_migration(dst_path: str | Path) -> dict[str, str | None]:
    """A new revision, chained onto the service's single head."""
    heads = alembic_heads(Path(dst_path))
    return {
        "revision": uuid.uuid4().hex[:12],
        "down_revision": heads[0] if len(heads) == 1 else None,
        "created": datetime.now(UTC).date().isoformat(),
    }


def _overwriting(conf: Mapping[str, Any]) -> bool:
    """Whether Copier may write over the resource: `copier update`, or --overwrite.

    An update re-renders an existing resource, and does so first into empty
    folders (replaying the recorded answers, `_commit` among them); the checks
    that the service is ready and the resource new would only stand in its way.
    """
    return "_commit" in conf["data"] or bool(conf["overwrite"])


def what_to_render(conf: Mapping[str, Any], resource_name: str) -> str:
    """ "resource" or "service": copier.yml's `generate`, which nobody is asked.

    A resource is rendered when its name is known (given with -d, or recorded in
    the answers file Copier reads: a resource's own, on update), and when
    `copier copy` runs in a service's folder; anything else renders a service.
    `--overwrite` (an update, a recopy) keeps a service a service.
    """
    if resource_name:
        return "resource"
    if not _overwriting(conf) and recorded_service(conf):
        return "resource"
    return "service"


def git_output(project: Path, *arguments: str) -> str | None:
    """What git prints, or None when the project is not in a git work tree."""
    try:
        completed = subprocess.run(
            ["git", *arguments], cwd=project, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return completed.stdout if completed.returncode == 0 else None


def service_problem(conf: Mapping[str, Any]) -> str:
    """Why no resource can be added to the destination now, or "".

    Checked before the resource's questions, so that nothing is asked, or
    written, in a folder that is not a committed service ready for one.
    """
    if _overwriting(conf):
        return ""
    project = Path(conf["dst_path"]).resolve()
    service = recorded_service(conf)
    if not service:
        return (
            f"Run this in a service's folder: {project} holds no .copier-answers.yml "
            "of a service rendered from this template."
        )
    if git_output(project, "rev-parse", "--show-toplevel") is None:
        return (
            "Commit the service to git first (git init && git add --all && git commit): "
            "a resource is added, and later updated, on a clean git work tree."
        )
    changes = git_output(project, "status", "--porcelain", "--untracked-files=all", ".")
    if changes:
        first = changes.splitlines()[0][3:]
        return (
            f"Commit or stash your changes first ({first}"
            f"{' and more' if len(changes.splitlines()) > 1 else ''}): the resource's "
            "files and registrations must be reviewable on their own."
        )
    package = str(service.get("package_name", ""))
    missing = [
        path
        for path, line in REGISTRIES.items()
        if line not in _read(project / path.format(package=package))
    ]
    if missing:
        return (
            "Update the service first (copier update): it has no "
            f"{', '.join(repr(REGISTRIES[m].strip()) for m in missing)} in "
            f"{', '.join(m.format(package=package) for m in missing)}, where a "
            "resource is registered."
        )
    heads = alembic_heads(project)
    if len(heads) > 1:
        return (
            f"Merge the migrations' heads first (alembic merge heads): there are "
            f"{len(heads)} ({', '.join(heads)}), and a new migration chains onto one."
        )
    return ""


def resource_name_problem(value: str, conf: Mapping[str, Any]) -> str:
    problem = identifier_problem(value, "resource_name")
    if problem:
        return problem + "."
    if value in RESERVED_NAMES:
        return (
            f"a name the service does not use: {value!r} is reserved "
            f"({', '.join(sorted(RESERVED_NAMES))})."
        )
    answers_file = f".copier-answers.{value}.yml"
    if not _overwriting(conf) and (Path(conf["dst_path"]) / answers_file).exists():
        return (
            f"a new resource: the service has {value} already ({answers_file}); to bring "
            f"it up to date, copier update --answers-file {answers_file}."
        )
    return ""


def resource_plural_problem(
    value: str, singular: str, conf: Mapping[str, Any], files: list[str]
) -> str:
    problem = identifier_problem(value, "resource_plural")
    if problem:
        return problem + "."
    if value == singular:
        return f"a plural that differs from the singular: {value!r} does not."
    if value in RESERVED_NAMES:
        return (
            f"a name the service does not use: {value!r} is reserved "
            f"({', '.join(sorted(RESERVED_NAMES))})."
        )
    if _overwriting(conf):
        return ""
    project = Path(conf["dst_path"])
    existing = [path for path in files if (project / path).exists()]
    if existing:
        more = f" and {len(existing) - 2} more" if len(existing) > 2 else ""
        return (
            f"names no file of the service has: {', '.join(existing[:2])}{more} "
            f"exist already, for {singular} or {value}."
        )
    return ""


def resource_fields_problem(value: str) -> str:
    try:
        parse_fields(value)
    except SpecError as error:
        return f"{error}."
    return ""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return ""


class ResourceContext(ContextHook):
    """Puts the resource being rendered in the context, and the filters copier.yml uses."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            pascal=pascal,
            pluralize=pluralize,
            new_migration=new_migration,
            what_to_render=what_to_render,
            service_problem=service_problem,
            resource_name_problem=resource_name_problem,
            resource_plural_problem=resource_plural_problem,
            resource_fields_problem=resource_fields_problem,
        )

    def hook(self, context: dict[str, Any]) -> None:
        if context.get("generate", "service") != "resource":
            context.update(resource=PROJECTS, resource_migration_file="")
            return
        try:
            resource = Resource(
                name=context["resource_name"],
                plural=context["resource_plural"],
                fields=parse_fields(context["resource_fields"]),
            )
            migration = context["resource_migration"]
        except (KeyError, SpecError):
            return  # still asking, or an answer the validators refuse
        context.update(
            resource=resource,
            migration=migration,
            resource_migration_file=(
                f"{migration['created'].replace('-', '_')}_{migration['revision']}"
                f"_create_{resource.plural}.py"
            ),
        )
