"""The spool says whether posts wait (asked for every form post) right after each change."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from leadbridge.automation.spool import SubmissionSpool
from leadbridge.automation.submissions import FormSubmissionService


def test_has_pending_follows_posts_added_and_taken(tmp_path: Path) -> None:
    spool = SubmissionSpool(tmp_path / "spool", cast(FormSubmissionService, None))
    assert not spool.has_pending()  # no folder yet
    first = spool.add("A" * 16, {"work_email": "a@example.com"})
    assert spool.has_pending()
    assert spool.has_pending()  # from the cache: the folder did not change
    first.path.unlink()
    assert not spool.has_pending()
    spool.add("A" * 16, {"work_email": "b@example.com"})
    assert spool.has_pending() and len(spool.pending()) == 1
