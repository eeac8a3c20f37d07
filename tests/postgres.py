"""A PostgreSQL cluster of a test's own, which it may stop and start at will.

The machine's shared server must keep running for the other tests, so the
database-fault tests make a throwaway cluster with the installed PostgreSQL's
initdb and pg_ctl, on a free loopback port, trusting local connections.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.harness import free_port

# The server refuses to run as root; as root, run its tools as this user.
SERVER_USER = "postgres"


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class PrivateCluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        # Under /tmp itself: the server user must reach it, and pytest's own
        # temporary directories are private to the user running the tests.
        self.root = Path(tempfile.mkdtemp(prefix="template-tests-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, user=SERVER_USER)
        self._tool("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._tool(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._tool("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._tool("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"{self.server_url}/{name}"

    def remove(self) -> None:
        subprocess.run(
            self._as_server_user("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _as_server_user(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *command]
        return command

    def _tool(self, tool: str, *args: str) -> None:
        subprocess.run(
            self._as_server_user(tool, *args), capture_output=True, check=True, timeout=120
        )
