"""Names: the snake_case identifiers a team gives (a resource, a field), checked,
and the names derived from them (a class's PascalCase, a table's plural).
"""

from __future__ import annotations

import keyword
import re

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# How a message about a name begins (Copier shows only its first 30 or so characters).
IDENTIFIER_RULE = "snake_case, e.g. line_item"


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
