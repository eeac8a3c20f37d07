"""Creates or drops one PostgreSQL database: `python postgres_admin.py create|drop URL`.

URL is the new database's asyncpg URL; the statement runs from the server's
maintenance database, outside a transaction, as CREATE/DROP DATABASE must.
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


async def administer(action: str, url: str) -> None:
    target = make_url(url)
    name = target.database
    statements = {
        "create": [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
        "drop": [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
    }[action]
    maintenance = target.set(database="postgres")
    engine = create_async_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(administer(sys.argv[1], sys.argv[2]))
