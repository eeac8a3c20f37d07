"""Join the service's Alembic heads into one, when a release adds a migration.

Run by a `_migrations` entry of copier.yml after `copier update` has applied a
release that adds a migration to the template's own chain, in the service's
directory, with the Python that runs Copier:

    python merge_alembic_heads.py

The template's new migration revises the template's previous one; a service
that has added resources chained their migrations onto that same revision, so
after the update two revisions revise it. `alembic upgrade head` refuses several
heads, and so does the resource generator. This writes the empty merge revision
that `alembic merge heads` would, for the team to commit with the update. Does
nothing when there is one head.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extensions.service import alembic_heads

MERGE = '''"""Merge the heads {listed} (the template's and the service's own).

Revision ID: {revision}
Revises: {listed}
Create Date: {created}
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "{revision}"
down_revision: str | Sequence[str] | None = ({quoted})
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def merge_heads(project: Path) -> Path | None:
    """The merge revision written into the project's alembic/versions, if needed."""
    heads = alembic_heads(project)
    if len(heads) < 2:
        return None
    revision = uuid.uuid4().hex[:12]
    created = datetime.now(UTC).date().isoformat()
    path = project / "alembic" / "versions" / f"{created.replace('-', '_')}_{revision}_merge.py"
    path.write_text(
        MERGE.format(
            listed=", ".join(heads),
            revision=revision,
            created=created,
            quoted=", ".join(f'"{head}"' for head in heads),
        ),
        encoding="utf-8",
    )
    return path


def main() -> int:
    merged = merge_heads(Path.cwd())
    if merged is not None:
        print(f"Merged the Alembic heads in {merged}: commit it with the update.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
