"""Rows in a rendered service's database, written and read as its team's data
would be, around a change of a resource's fields (tests/test_field_changes.py).

Run in the service's own environment (its SQLAlchemy and async drivers):

    python field_change_data.py create SERVER_URL NAME  # a new, empty PostgreSQL database
    python field_change_data.py insert DATABASE_URL     # a user and two invoices
    python field_change_data.py read DATABASE_URL       # the invoices' columns and rows, as JSON

Values are typed by SQLAlchemy, so both databases read back the same JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

OWNER = uuid.UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
USERS = sa.table(
    "users",
    *(sa.column(name, sa.Uuid()) for name in ("id",)),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
    *(sa.column(name, sa.String()) for name in ("email", "password_hash", "full_name", "role")),
    sa.column("is_active", sa.Boolean()),
)
# The columns the change keeps, typed; the others are read by name.
KEPT = {
    "id": sa.Uuid(),
    "number": sa.String(),
    "amount": sa.Numeric(12, 2),
    "due": sa.Date(),
    "paid": sa.Boolean(),
}
# Text columns read when the table has them: the one the change drops, the one it adds.
TEXTS = ("note", "reference")
ROWS = [
    {"number": "INV-1", "amount": Decimal("1234.50"), "due": date(2026, 2, 1), "paid": False},
    {"number": "INV-2", "amount": Decimal("-0.75"), "due": date(2026, 3, 1), "paid": True},
]


async def create(server_url: str, name: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def insert(url: str) -> None:
    invoices = sa.table(
        "invoices",
        *(sa.column(name, kind) for name, kind in KEPT.items()),
        sa.column("owner_id", sa.Uuid()),
        sa.column("note", sa.String()),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
    )
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            USERS.insert().values(
                id=OWNER,
                created_at=NOW,
                updated_at=NOW,
                email="team@example.com",
                password_hash="not a hash",
                full_name="Billing Team",
                role="user",
                is_active=True,
            )
        )
        for number, row in enumerate(ROWS, start=1):
            await connection.execute(
                invoices.insert().values(
                    id=uuid.UUID(int=number),
                    owner_id=OWNER,
                    note=f"note {number}",
                    created_at=NOW,
                    updated_at=NOW,
                    **row,
                )
            )
    await engine.dispose()


async def read(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        nullable = await connection.run_sync(
            lambda sync: {
                column["name"]: column["nullable"]
                for column in sa.inspect(sync).get_columns("invoices")
            }
        )
        texts = [name for name in TEXTS if name in nullable]
        invoices = sa.table(
            "invoices",
            *(sa.column(name, kind) for name, kind in KEPT.items()),
            *(sa.column(name, sa.String()) for name in texts),
        )
        rows = (await connection.execute(sa.select(invoices).order_by(invoices.c.number))).all()
    await engine.dispose()
    values = [{name: _json(value) for name, value in row._mapping.items()} for row in rows]
    print(json.dumps({"nullable": nullable, "rows": values}))


def _json(value: object) -> object:
    return value if value is None or isinstance(value, (bool, str)) else str(value)


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    asyncio.run({"create": create, "insert": insert, "read": read}[mode](*arguments))
