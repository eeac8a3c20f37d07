"""The index by which ended login-failure windows are found and deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_login_failures_window_started_at"),
        "login_failures",
        ["window_started_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_login_failures_window_started_at"), table_name="login_failures"
    )
