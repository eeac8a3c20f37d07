"""Schemathesis hooks for tests/test_api_fuzz.py (loaded through schemathesis.toml).

Every generated request carries the bearer token of the admin that the test
created on the service under test, so every authenticated operation, the
admin-only ones included, is fuzzed for real rather than answered with 401/403.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis


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
