"""Schemathesis hooks for tests/test_api_fuzz.py (loaded through schemathesis.toml).

Every generated request carries the bearer token of the admin that the test
created on the service under test, so every authenticated operation, the
admin-only ones included, is fuzzed for real rather than answered with 401/403.
Generated bodies and queries also come with hostile text in each string: what
PostgreSQL cannot store, and what would break a log line.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import httpx
import schemathesis
from hypothesis import strategies as st

# NUL (PostgreSQL's text refuses it), line breaks, a terminal escape, DEL.
HOSTILE_TEXT = ("\x00", "\r\n", "\x1b]0;x\x07", "\x7f", "\u2028")


def _with_text(text: str, values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    return {
        name: value + text if isinstance(value, str) else value for name, value in values.items()
    }


def _sometimes_hostile(values: Any) -> st.SearchStrategy[Any]:
    hostile = st.sampled_from(HOSTILE_TEXT).map(partial(_with_text, values=values))
    return st.one_of(st.just(values), hostile)


@schemathesis.hook
def flatmap_body(_context: Any, body: Any) -> st.SearchStrategy[Any]:
    return _sometimes_hostile(body)


@schemathesis.hook
def flatmap_query(_context: Any, query: Any) -> st.SearchStrategy[Any]:
    return _sometimes_hostile(query)


# The token lives for 30 minutes; a run takes seconds. No refetch on 401 either:
# a generated request may well be rejected, and that is not an expired token.
@schemathesis.auth(retry_on=[])
class AdminToken:
    def get(self, case: Any, context: Any) -> str:
        issued = httpx.post(
            f"{os.environ['SERVICE_URL']}/api/v1/auth/token",
            data={
                "username": os.environ["FUZZ_EMAIL"],
                "password": os.environ["FUZZ_PASSWORD"],
            },
        )
        issued.raise_for_status()
        token: str = issued.json()["access_token"]
        return token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
