"""The form spool: a website's form post is never lost nor refused because the store is busy.

When a post cannot be written within a short wait (the database is locked by a long write,
PostgreSQL is unreachable), the HTTP app writes it here — one JSON file per post, written to
a temporary name, fsynced, renamed into place and the folder fsynced — and answers 200. A
background thread drains the spool in arrival order once the store answers again, through
the same `FormSubmissionService.submit` as a direct write, so the effects are the same
(prospect created or updated, completion actions, rules, push queued), exactly once: the
submission row keeps the spool id, so a post drained again after a crash between the commit
and the file's removal is not applied twice. While anything waits
in the spool new posts join the queue behind it, so posts land in the order they arrived.

A spooled post the store then refuses for good (the handler was deleted, a value no longer
valid) is moved to `failed/` with the reason beside it and logged: it is kept, not retried.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadbridge.automation.submissions import FormSubmissionService
from leadbridge.errors import LeadbridgeError
from leadbridge.store.database import StoreTransientError

logger = logging.getLogger(__name__)
DRAIN_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Spooled:
    spool_id: str
    path: Path


class SubmissionSpool:
    def __init__(self, folder: Path, service: FormSubmissionService) -> None:
        self.folder = folder
        self.failed = folder / "failed"
        self.service = service
        self._lock = threading.Lock()  # one drainer at a time
        self._wake = threading.Event()
        self._seen: tuple[int, bool] | None = None  # (the folder's mtime, posts waiting)

    def pending(self) -> list[Path]:
        """Spooled posts waiting, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.json"))

    def has_pending(self) -> bool:
        """Whether any spooled post waits: asked for every form post, so the folder is
        listed again only when its mtime says a file came or went (else one stat)."""
        try:
            mtime = self.folder.stat().st_mtime_ns
        except FileNotFoundError:
            return False
        seen = self._seen
        if seen is not None and seen[0] == mtime:
            return seen[1]
        waiting = next(self.folder.glob("*.json"), None) is not None
        self._seen = (mtime, waiting)
        return waiting

    def add(self, public_id: str, submitted: Mapping[str, Any]) -> Spooled:
        """Keep a post to the handler `public_id` durably (it survives a crash once this
        returns)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        spool_id = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
        body = json.dumps({"handler": public_id, "submitted": dict(submitted)})
        final = self.folder / f"{spool_id}.json"
        temporary = self.folder / f".{spool_id}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, body.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        temporary.replace(final)
        _fsync_folder(self.folder)
        self._wake.set()
        return Spooled(spool_id, final)

    def drain(self) -> int:
        """Write the spooled posts to the store, in order; stops at the first transient
        failure (the rest wait for the next try). Returns how many landed."""
        landed = 0
        with self._lock:
            for path in self.pending():
                try:
                    self._submit(json.loads(path.read_text(encoding="utf-8")), path.stem)
                except StoreTransientError:
                    return landed
                except (LeadbridgeError, ValueError, KeyError, TypeError) as error:
                    self._set_aside(path, error)
                    continue
                path.unlink()
                _fsync_folder(self.folder)
                landed += 1
        if landed:
            logger.info("form spool: %d spooled post(s) written to the store", landed)
        return landed

    def _submit(self, entry: dict[str, Any], spool_id: str) -> None:
        if "handler" in entry:
            self.service.submit_public(str(entry["handler"]), entry["submitted"], spool_id=spool_id)
        else:  # spooled before handlers had public ids: the row id
            self.service.submit(int(entry["handler_id"]), entry["submitted"], spool_id=spool_id)

    def drain_forever(self, stop: threading.Event) -> None:
        """The background thread `serve` runs: drain whenever something waits."""
        while not stop.is_set():
            self._wake.clear()
            if self.pending():
                self.drain()
            self._wake.wait(DRAIN_EVERY_SECONDS)

    def _set_aside(self, path: Path, error: Exception) -> None:
        logger.error("form spool: post %s refused by the store, kept in failed/: %s", path, error)
        self.failed.mkdir(mode=0o700, exist_ok=True)
        (self.failed / f"{path.stem}.error.txt").write_text(f"{error}\n", encoding="utf-8")
        path.replace(self.failed / path.name)
        _fsync_folder(self.folder)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
