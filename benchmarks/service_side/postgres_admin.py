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
    # Not DROP ... WITH (FORCE): only a superuser may end an autovacuum worker,
    # which the load leaves busy; a plain DROP stops autovacuum itself.
    drop = [
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND usename = current_user"
        ).bindparams(name=name),
        text(f'DROP DATABASE IF EXISTS "{name}"'),
    ]
    statements = {"create": [*drop, text(f'CREATE DATABASE "{name}"')], "drop": drop}[action]
    maintenance = target.set(database="postgres")
    engine = create_async_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(administer(sys.argv[1], sys.argv[2]))
