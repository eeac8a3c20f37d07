"""Move a service's file to where a template release moved it.

Run by a `_migrations` entry of copier.yml, before `copier update` applies the
release that moves the file, in the service's directory:

    python move_file.py OLD NEW

Copier compares the service with the old release, where the file is at OLD: left
alone, the update deletes the service's OLD, the team's edits with it, and writes
the template's NEW. Moved first with `git mv` (Copier reads the service from git's
index), the team's edits come through into NEW, between conflict markers where
Copier cannot place them. Does nothing when OLD is gone or NEW exists.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: move_file.py OLD NEW", file=sys.stderr)
        return 2
    old, new = Path(argv[0]), Path(argv[1])
    if old.exists() and not new.exists():
        new.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", "--", str(old), str(new)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
