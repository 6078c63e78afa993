"""Files only their owner may read: the leadbridge home (0700), the SQLite database and its
-wal/-shm files and the secret key (0600). What leadbridge creates it creates private; what
it finds looser it tightens, with a warning (it was readable by others until now)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
log = logging.getLogger("leadbridge.files")


def create_private_dirs(path: Path) -> None:
    """Make `path` and any missing parents, each one made here 0700 (existing ones are left
    as they are: they may be the user's own folders)."""
    missing: list[Path] = []
    for level in (path, *path.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        try:
            level.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made by another process meanwhile
            continue
        level.chmod(PRIVATE_DIR)  # whatever the umask


def create_private_file(path: Path) -> bool:
    """Create an empty file 0600 unless it exists; True when it was made here."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def tighten(path: Path, mode: int) -> bool:
    """Take away what `mode` does not grant (group and other bits); True when the path was
    looser (a warning is logged). Missing paths are left alone."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if not current & ~mode:
        return False
    path.chmod(current & mode)
    log.warning(
        "%s was readable by others (mode %s): tightened to %s",
        path,
        oct(current),
        oct(current & mode),
    )
    return True
